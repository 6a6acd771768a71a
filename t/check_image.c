/* Unit tests: user resolution, StopSignal parsing, and image config + container request ->
 * run parameters (Kubernetes rules), with passwd/group read from fake layer directories
 * (whiteouts and opaque directories included); flattening; implicit parent directories. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "image/flatten.h"
#include "image/image.h"
#include "image/user.h"
#include "image/pull.h"
#include "image/imgconfig.h"
#include "image/internal.h"
#include "t/testlib.h"

static const char PASSWD[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "app:x:1000:1000:App:/home/app:/bin/sh\n"
                             "nohome:x:1001:1002::/:/bin/sh\n"
                             "broken:x:notanumber:1:::\n";
static const char GROUP[] = "root:x:0:\n"
                            "daemon:x:1:\n"
                            "wheel:x:10:root,app\n"
                            "app:x:1000:\n"
                            "audio:x:29:daemon,app\n"
                            "staff:x:50:\n";

static const struct user_case {
    const char *spec;
    int ret;
    unsigned uid, gid;
    const char *home;
    const char *groups; /* comma-separated, sorted */
    const char *msg;    /* substring of the error */
} user_cases[] = {
    {NULL, 0, 0, 0, "/root", "10", NULL},
    {"", 0, 0, 0, "/root", "10", NULL},
    {"root", 0, 0, 0, "/root", "10", NULL},
    {"app", 0, 1000, 1000, "/home/app", "10,29", NULL},
    {"1000", 0, 1000, 1000, "/home/app", "10,29", NULL},
    {"1000:50", 0, 1000, 50, "/home/app", "10,29", NULL},
    {"app:staff", 0, 1000, 50, "/home/app", "10,29", NULL},
    {"1000:staff", 0, 1000, 50, "/home/app", "10,29", NULL},
    {"daemon", 0, 1, 1, "/usr/sbin", "29", NULL},
    {"nohome", 0, 1001, 1002, "/", "", NULL},
    {"4242", 0, 4242, 0, NULL, "", NULL},   /* numeric, not in passwd: allowed, gid 0 */
    {"4242:7", 0, 4242, 7, NULL, "", NULL}, /* numeric group need not exist */
    {"ghost", -ENOENT, 0, 0, NULL, NULL, "no user 'ghost'"},
    {"app:ghosts", -ENOENT, 0, 0, NULL, NULL, "group 'ghosts'"},
    {"broken", -ENOENT, 0, 0, NULL, NULL, "no user 'broken'"},
    {":10", -EINVAL, 0, 0, NULL, NULL, "empty user"},
    {"app:", -EINVAL, 0, 0, NULL, NULL, "empty user or group"},
};

static void groups_str(const gid_t *g, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(out);
        snprintf(out + l, size - l, "%s%u", i ? "," : "", (unsigned)g[i]);
    }
}

START_TEST(test_user_resolve)
{
    const struct user_case *c = &user_cases[_i];
    struct image_user u;
    struct tk_err err = {0};
    int r = image_user_resolve(c->spec, PASSWD, GROUP, &u, &err);
    ck_assert_msg(r == c->ret, "spec '%s': got %d (%s), want %d", c->spec ? c->spec : "(null)", r,
                  err.msg, c->ret);
    if (r < 0) {
        ck_assert_msg(strstr(err.msg, c->msg), "spec '%s': message '%s' lacks '%s'", c->spec,
                      err.msg, c->msg);
        return;
    }
    ck_assert_uint_eq(u.uid, c->uid);
    ck_assert_uint_eq(u.gid, c->gid);
    if (c->home)
        ck_assert_str_eq(u.home, c->home);
    else
        ck_assert_ptr_null(u.home);
    char g[128];
    groups_str(u.groups, u.n_groups, g, sizeof(g));
    ck_assert_str_eq(g, c->groups);
    image_user_free(&u);
}
END_TEST

START_TEST(test_user_no_files)
{
    struct image_user u;
    struct tk_err err = {0};
    ck_assert_int_eq(image_user_resolve("0", NULL, NULL, &u, &err), 0);
    ck_assert_uint_eq(u.uid, 0);
    ck_assert_ptr_null(u.home);
    image_user_free(&u);
    ck_assert_int_eq(image_user_resolve("root", NULL, NULL, &u, &err), -ENOENT);
}
END_TEST

static const struct {
    const char *s;
    int sig;
} signal_cases[] = {
    {"SIGTERM", SIGTERM}, {"TERM", SIGTERM},      {"sigquit", SIGQUIT}, {"9", SIGKILL},
    {"SIGUSR1", SIGUSR1}, {"SIGWINCH", SIGWINCH}, {"SIGRTMIN", -1},     {"SIGRTMIN+3", -2},
    {"SIGRTMAX-1", -3},   {"0", -EINVAL},         {"SIGNOPE", -EINVAL}, {"", -EINVAL},
    {"99999", -EINVAL},   {"15x", -EINVAL},
};

START_TEST(test_signal)
{
    int want = signal_cases[_i].sig;
    if (want == -1)
        want = SIGRTMIN;
    else if (want == -2)
        want = SIGRTMIN + 3;
    else if (want == -3)
        want = SIGRTMAX - 1;
    ck_assert_int_eq(image_parse_signal(signal_cases[_i].s), want);
}
END_TEST

/* ---- run parameters over fake layers ---- */

static char tmpdir[64];
static char *layers[5];

static void write_file(const char *dir, const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
    *slash = '/';
    ck_assert_int_eq(tk_write_file_atomic(p, text, strlen(text), 0644), 0);
}

/* layer 0: passwd/group as above; layer 1: a new passwd, group whited out; layer 2: nothing
 * about etc; layer 3: an opaque etc without passwd/group. */
static void setup_layers(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/check-image.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    for (int i = 0; i < 4; i++) {
        ck_assert_int_ne(asprintf(&layers[i], "%s/l%d", tmpdir, i), -1);
        ck_assert_int_eq(mkdir(layers[i], 0755), 0);
    }
    layers[4] = NULL;
    write_file(layers[0], "etc/passwd", PASSWD);
    write_file(layers[0], "etc/group", GROUP);
    write_file(layers[1], "etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:web:/var/www:/bin/sh\n");
    char p[256];
    snprintf(p, sizeof(p), "%s/etc/group", layers[1]);
    ck_assert_int_eq(mknod(p, S_IFCHR, makedev(0, 0)), 0); /* whiteout: no group file */
    write_file(layers[2], "usr/share/x", "x");
    /* layer 3: /etc opaque, holding only a hostname: no passwd, no group below it count */
    write_file(layers[3], "etc/hostname", "h");
    snprintf(p, sizeof(p), "%s/etc", layers[3]);
    ck_assert_int_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
}

static void teardown_layers(void)
{
    tk_rm_rf(tmpdir);
    for (int i = 0; i < 4; i++)
        free(layers[i]);
}

static char *ep[] = {"/entry", "--flag", NULL};
static char *cmd[] = {"serve", "--port=80", NULL};
static char *env[] = {"FOO=image", "PATH=/image/bin", "KEEP=1", NULL};
static char *ports[] = {"80/tcp", NULL};
static char *lkeys[] = {"org.example.a", NULL}, *lvals[] = {"b", NULL};

static struct image_info fake_info(size_t n_layers, const char *user)
{
    struct image_info i = {
        .layer_dirs = layers,
        .n_layers = n_layers,
        .config =
            {
                .entrypoint = ep,
                .cmd = cmd,
                .env = env,
                .working_dir = "/srv",
                .user = (char *)user,
                .exposed_ports = ports,
                .stop_signal = "SIGQUIT",
                .label_keys = lkeys,
                .label_values = lvals,
            },
    };
    return i;
}

static void join(char **v, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; v && v[i]; i++) {
        size_t l = strlen(out);
        snprintf(out + l, size - l, "%s%s", i ? " " : "", v[i]);
    }
}

static const char *const c_cmd[] = {"/bin/other", "-x"};
static const char *const c_args[] = {"a1", "a2"};
static const char *const c_env[] = {"FOO=pod", "NEW=2", "EMPTY"};
static const gid_t c_groups[] = {500, 10};

static const struct run_case {
    const char *name;
    size_t n_layers;
    const char *image_user;
    int command, args, env, groups;
    const char *workdir;
    int64_t run_as_user, run_as_group;
    int ret;
    const char *argv, *envs, *cwd, *ids; /* ids "uid:gid:groups" */
} run_cases[] = {
    {"image defaults", 1, NULL, 0, 0, 0, 0, NULL, -1, -1, 0, "/entry --flag serve --port=80",
     "FOO=image PATH=/image/bin KEEP=1 HOME=/root", "/srv", "0:0:10"},
    {"command drops Cmd", 1, NULL, 1, 0, 0, 0, NULL, -1, -1, 0, "/bin/other -x", NULL, NULL, NULL},
    {"args replace Cmd", 1, NULL, 0, 1, 0, 0, NULL, -1, -1, 0, "/entry --flag a1 a2", NULL, NULL,
     NULL},
    {"command and args", 1, NULL, 1, 1, 0, 0, NULL, -1, -1, 0, "/bin/other -x a1 a2", NULL, NULL,
     NULL},
    {"env by name", 1, NULL, 0, 0, 1, 0, NULL, -1, -1, 0, NULL,
     "FOO=pod PATH=/image/bin KEEP=1 NEW=2 EMPTY= HOME=/root", NULL, NULL},
    {"workingDir", 1, NULL, 0, 0, 0, 0, "/work", -1, -1, 0, NULL, NULL, "/work", NULL},
    {"image user by name", 1, "app", 0, 0, 0, 0, NULL, -1, -1, 0, NULL,
     "FOO=image PATH=/image/bin KEEP=1 HOME=/home/app", NULL, "1000:1000:10,29"},
    {"runAsUser over image user", 1, "app", 0, 0, 0, 0, NULL, 1, -1, 0, NULL, NULL, NULL, "1:1:29"},
    {"runAsGroup keeps image user", 1, "app", 0, 0, 0, 0, NULL, -1, 50, 0, NULL, NULL, NULL,
     "1000:50:10,29"},
    {"runAsUser+Group", 1, NULL, 0, 0, 0, 0, NULL, 4242, 7, 0, NULL,
     "FOO=image PATH=/image/bin KEEP=1 HOME=/", NULL, "4242:7:"},
    {"supplementalGroups", 1, "app", 0, 0, 0, 1, NULL, -1, -1, 0, NULL, NULL, NULL,
     "1000:1000:10,29,500"},
    {"missing user", 1, "ghost", 0, 0, 0, 0, NULL, -1, -1, -ENOENT, NULL, NULL, NULL, NULL},
    /* upper layer: a new passwd, /etc/group whited out */
    {"upper passwd wins", 3, "web", 0, 0, 0, 0, NULL, -1, -1, 0, NULL,
     "FOO=image PATH=/image/bin KEEP=1 HOME=/var/www", NULL, "33:33:"},
    {"lower user hidden", 3, "app", 0, 0, 0, 0, NULL, -1, -1, -ENOENT, NULL, NULL, NULL, NULL},
    {"group whited out", 3, "web:staff", 0, 0, 0, 0, NULL, -1, -1, -ENOENT, NULL, NULL, NULL, NULL},
    /* top layer: /etc opaque without passwd: names fail, numbers still work */
    {"opaque etc hides passwd", 4, "web", 0, 0, 0, 0, NULL, -1, -1, -ENOENT, NULL, NULL, NULL,
     NULL},
    {"opaque etc, numeric user", 4, "33", 0, 0, 0, 0, NULL, -1, -1, 0, NULL,
     "FOO=image PATH=/image/bin KEEP=1 HOME=/", NULL, "33:0:"},
};

START_TEST(test_resolve_run)
{
    const struct run_case *c = &run_cases[_i];
    struct image_info info = fake_info(c->n_layers, c->image_user);
    struct image_run_request req = {
        .command = c->command ? c_cmd : NULL,
        .n_command = c->command ? 2 : 0,
        .args = c->args ? c_args : NULL,
        .n_args = c->args ? 2 : 0,
        .env = c->env ? c_env : NULL,
        .n_env = c->env ? 3 : 0,
        .working_dir = c->workdir,
        .run_as_user = c->run_as_user,
        .run_as_group = c->run_as_group,
        .supplemental_groups = c->groups ? c_groups : NULL,
        .n_supplemental_groups = c->groups ? 2 : 0,
    };
    struct image_run run;
    struct tk_err err = {0};
    int r = image_resolve_run(&info, &req, &run, &err);
    ck_assert_msg(r == c->ret, "%s: got %d (%s)", c->name, r, err.msg);
    if (r < 0) {
        ck_assert_msg(err.msg[0], "%s: no message", c->name);
        return;
    }
    char buf[512];
    if (c->argv) {
        join(run.argv, buf, sizeof(buf));
        ck_assert_str_eq(buf, c->argv);
    }
    size_t argc = 0;
    while (run.argv[argc])
        argc++;
    ck_assert_uint_eq(run.argc, argc);
    ck_assert_uint_ge(argc, 1);
    if (c->envs) {
        join(run.env, buf, sizeof(buf));
        ck_assert_str_eq(buf, c->envs);
    }
    if (c->cwd)
        ck_assert_str_eq(run.cwd, c->cwd);
    if (c->ids) {
        char g[128];
        groups_str(run.groups, run.n_groups, g, sizeof(g));
        snprintf(buf, sizeof(buf), "%u:%u:%s", (unsigned)run.uid, (unsigned)run.gid, g);
        ck_assert_str_eq(buf, c->ids);
    }
    ck_assert_int_eq(run.stop_signal, SIGQUIT);
    ck_assert_str_eq(run.exposed_ports[0], "80/tcp");
    ck_assert_str_eq(run.label_keys[0], "org.example.a");
    ck_assert_str_eq(run.label_values[0], "b");
    image_run_free(&run);
}
END_TEST

START_TEST(test_run_defaults_and_errors)
{
    struct image_info info = fake_info(1, NULL);
    info.config.env = NULL;
    info.config.working_dir = NULL;
    info.config.stop_signal = NULL;
    struct image_run_request req = {.run_as_user = -1, .run_as_group = -1};
    struct image_run run;
    struct tk_err err = {0};
    ck_assert_int_eq(image_resolve_run(&info, &req, &run, &err), 0);
    char buf[512];
    join(run.env, buf, sizeof(buf));
    ck_assert_str_eq(buf, "PATH=" IMAGE_DEFAULT_PATH " HOME=/root");
    ck_assert_str_eq(run.cwd, "/");
    ck_assert_int_eq(run.stop_signal, SIGTERM);
    image_run_free(&run);

    info.config.stop_signal = "SIGBOGUS";
    ck_assert_int_eq(image_resolve_run(&info, &req, &run, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "SIGBOGUS"));
    info.config.stop_signal = NULL;
    info.config.entrypoint = NULL;
    info.config.cmd = NULL;
    ck_assert_int_eq(image_resolve_run(&info, &req, &run, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no command"));
}
END_TEST

/* ---- flatten (tank unpack, the sandbox's copy fallback) ---- */

static void put_file(const char *dir, const char *rel, const char *text)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    ck_assert_int_eq(tk_write_file_atomic(p, text, strlen(text), 0640), 0);
}

static void make_dir(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
}

/* Two layers: the upper one removes a file (whiteout), hides a directory (opaque), adds a
 * hard-linked pair with an xattr and an old mtime. The flat tree shows exactly that. */
START_TEST(test_flatten)
{
    char dir[] = "/tmp/tank-check-flatten-XXXXXX", l1[PATH_MAX], l2[PATH_MAX], out[PATH_MAX],
         p[PATH_MAX], q[PATH_MAX];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(l1, sizeof(l1), "%s/l1", dir);
    snprintf(l2, sizeof(l2), "%s/l2", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    make_dir(l1, "etc");
    make_dir(l1, "var/cache");
    make_dir(l2, "etc");
    make_dir(l2, "var/cache");
    make_dir(out, "");
    put_file(l1, "etc/gone", "x");
    put_file(l1, "var/cache/old", "x");
    put_file(l1, "etc/kept", "kept");
    put_file(l2, "etc/a", "linked");
    snprintf(p, sizeof(p), "%s/etc/a", l2);
    snprintf(q, sizeof(q), "%s/etc/b", l2);
    ck_assert_int_eq(link(p, q), 0);
    ck_assert_int_eq(setxattr(p, "user.tank", "v1", 2, 0), 0);
    struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
    snprintf(p, sizeof(p), "%s/etc/gone", l2);
    ck_assert_int_eq(mknod(p, S_IFCHR | 0000, makedev(0, 0)), 0); /* whiteout */
    snprintf(p, sizeof(p), "%s/var/cache", l2);
    ck_assert_int_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
    put_file(l2, "var/cache/new", "new");

    const char *two[] = {l1, l2};
    struct tk_err err = {0};
    ck_assert_msg(image_flatten(two, 2, out, &err) == 0, "%s", err.msg);
    struct stat a, b;
    snprintf(p, sizeof(p), "%s/etc/a", out);
    snprintf(q, sizeof(q), "%s/etc/b", out);
    ck_assert_int_eq(stat(p, &a), 0);
    ck_assert_int_eq(stat(q, &b), 0);
    ck_assert_uint_eq(a.st_ino, b.st_ino); /* still one file */
    ck_assert_uint_eq(a.st_nlink, 2);
    ck_assert_int_eq(a.st_mode & 07777, 0640);
    ck_assert_int_eq(a.st_mtim.tv_sec, 1000000000);
    char v[8] = "";
    ck_assert_int_eq(getxattr(p, "user.tank", v, sizeof(v)), 2);
    ck_assert_int_eq(memcmp(v, "v1", 2), 0);
    snprintf(p, sizeof(p), "%s/etc/gone", out);
    ck_assert_int_eq(access(p, F_OK), -1); /* whited out */
    snprintf(p, sizeof(p), "%s/etc/kept", out);
    ck_assert_int_eq(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/var/cache/old", out);
    ck_assert_int_eq(access(p, F_OK), -1); /* below an opaque directory */
    snprintf(p, sizeof(p), "%s/var/cache/new", out);
    ck_assert_int_eq(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/var/cache", out);
    ck_assert_int_eq(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), -1);

    /* A tree deeper than any image: refused with the entry named, not a crashed copy. */
    char deep[PATH_MAX] = "";
    size_t len = (size_t)snprintf(deep, sizeof(deep), "%s/l3", dir);
    for (int i = 0; i < 600 && len + 3 < sizeof(deep); i++)
        len += (size_t)snprintf(deep + len, sizeof(deep) - len, "/d");
    ck_assert_int_eq(tk_mkdir_p(deep, 0755), 0);
    snprintf(p, sizeof(p), "%s/l3", dir);
    const char *deep_layer[] = {p};
    snprintf(q, sizeof(q), "%s/out2", dir);
    make_dir(q, "");
    ck_assert_int_eq(image_flatten(deep_layer, 1, q, &err), -ELOOP);
    ck_assert_msg(strstr(err.msg, "deeper than 512 directories"), "%s", err.msg);
    ck_assert_int_eq(tk_rm_rf(dir), 0);
}
END_TEST

/* A directory dir/rel owned by uid, with mode. */
static void owned_dir(const char *dir, const char *rel, uid_t uid, mode_t mode)
{
    char p[PATH_MAX];
    make_dir(dir, rel);
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    ck_assert_int_eq(chown(p, uid, uid), 0);
    ck_assert_int_eq(chmod(p, mode), 0);
}

static const char *meta(const char *dir, const char *rel)
{
    static char out[64];
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    ck_assert_int_eq(lstat(p, &st), 0);
    snprintf(out, sizeof(out), "%u:%u %o", (unsigned)st.st_uid, (unsigned)st.st_gid,
             (unsigned)(st.st_mode & 07777));
    return out;
}

/* The extractor records the parents it creates, unless an entry names them. */
START_TEST(test_parent_set)
{
    char dir[] = "/tmp/tank-check-parents-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
    struct parent_set *ps = parent_set_new();
    struct tk_err err = {0};
    make_dir(dir, "listed");
    ck_assert_int_eq(parent_set_before(ps, "listed/x/y/file", 1, &err), 0);
    ck_assert_int_eq(parent_set_before(ps, "listed/x/y/other", 1, &err), 0);
    ck_assert_int_eq(parent_set_before(ps, "a/b/", 0, &err), 0);
    ck_assert_int_eq(parent_set_make(ps, "a/b", &err), 0);
    parent_set_explicit(ps, "a/b/");
    ck_assert_int_eq(symlink("/", "link"), 0);
    ck_assert_int_eq(parent_set_before(ps, "link/etc/file", 1, &err), 0); /* not followed */
    char *list = NULL;
    size_t len = 0;
    ck_assert_int_eq(parent_set_list(ps, &list, &len), 3);
    ck_assert_uint_eq(len, sizeof("a\0listed/x\0listed/x/y"));
    ck_assert_int_eq(memcmp(list, "a\0listed/x\0listed/x/y", len), 0);
    free(list);
    parent_set_free(ps);
    ck_assert_int_eq(tk_rm_rf(dir), 0);
}
END_TEST

/* Implicit directories take the metadata of the directory that shows through from below;
 * a whiteout, a symlink or an opaque directory hides it; no symlink is followed. */
START_TEST(test_parents_fix)
{
    char dir[] = "/tmp/tank-check-parents-XXXXXX", l0[PATH_MAX], l1[PATH_MAX], up[PATH_MAX],
         p[PATH_MAX], q[PATH_MAX];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(l0, sizeof(l0), "%s/l0", dir);
    snprintf(l1, sizeof(l1), "%s/l1", dir);
    snprintf(up, sizeof(up), "%s/up", dir);
    owned_dir(l0, "a", 1000, 0750);
    snprintf(p, sizeof(p), "%s/a", l0);
    ck_assert_int_eq(setxattr(p, "user.tank", "v1", 2, 0), 0);
    struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
    owned_dir(l0, "b", 1000, 0700);
    owned_dir(l0, "c", 1000, 0700);
    owned_dir(l0, "o/x", 1000, 0700);
    owned_dir(l0, "deep/er", 1000, 0711);
    make_dir(l1, "o");
    snprintf(p, sizeof(p), "%s/o", l1);
    ck_assert_int_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
    snprintf(p, sizeof(p), "%s/b", l1);
    ck_assert_int_eq(mknod(p, S_IFCHR | 0000, makedev(0, 0)), 0); /* whiteout */
    snprintf(p, sizeof(p), "%s/c", l1);
    ck_assert_int_eq(symlink("/", p), 0);
    make_dir(l1, "deep"); /* not opaque: deep/er shows through */
    for (const char *d = "a\0b\0c\0o/x\0deep/er\0"; *d; d += strlen(d) + 1)
        make_dir(up, d);
    snprintf(p, sizeof(p), "%s/lnk", up);
    snprintf(q, sizeof(q), "%s/a", l0);
    ck_assert_int_eq(symlink(q, p), 0);
    char *lower[] = {l0, l1, NULL};
    static const char list[] = "a\0b\0c\0deep/er\0lnk\0o/x";
    struct tk_err err = {0};
    ck_assert_msg(parents_fix(up, lower, 2, list, sizeof(list), &err) == 0, "%s", err.msg);
    ck_assert_str_eq(meta(up, "a"), "1000:1000 750");
    snprintf(p, sizeof(p), "%s/a", up);
    char v[8] = "";
    ck_assert_int_eq(getxattr(p, "user.tank", v, sizeof(v)), 2);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mtim.tv_sec, 1000000000);
    ck_assert_str_eq(meta(up, "b"), "0:0 755");
    ck_assert_str_eq(meta(up, "c"), "0:0 755");
    ck_assert_str_eq(meta(up, "o/x"), "0:0 755");
    ck_assert_str_eq(meta(up, "deep/er"), "1000:1000 711");
    ck_assert_str_eq(meta(l0, "a"), "1000:1000 750"); /* through the symlink: untouched */
    static const char dotdot[] = "a\0../l0/a";
    ck_assert_int_eq(parents_fix(up, lower, 2, dotdot, sizeof(dotdot), &err), -EBADMSG);
    ck_assert_int_eq(parents_fix(up, lower, 2, "a", 1, &err), -EBADMSG); /* no NUL */
    ck_assert_int_eq(tk_rm_rf(dir), 0);
}
END_TEST

Suite *image_suite(void)
{
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("user");
    tcase_add_loop_test(tc, test_user_resolve, 0, sizeof(user_cases) / sizeof(user_cases[0]));
    tcase_add_test(tc, test_user_no_files);
    tcase_add_loop_test(tc, test_signal, 0, sizeof(signal_cases) / sizeof(signal_cases[0]));
    suite_add_tcase(s, tc);
    TCase *run = tcase_create("run");
    tcase_add_checked_fixture(run, setup_layers, teardown_layers);
    tcase_add_loop_test(run, test_resolve_run, 0, sizeof(run_cases) / sizeof(run_cases[0]));
    tcase_add_test(run, test_run_defaults_and_errors);
    suite_add_tcase(s, run);
    if (geteuid() == 0) { /* the copy chroots: root only */
        TCase *flat = tcase_create("flatten");
        tcase_add_test(flat, test_flatten);
        suite_add_tcase(s, flat);
    } else {
        test_not_run("image/flatten", "needs root (the copy chroots)");
    }
    TCase *parents = tcase_create("parents");
    tcase_add_test(parents, test_parent_set);
    if (geteuid() == 0) /* chown */
        tcase_add_test(parents, test_parents_fix);
    else
        test_not_run("image/parents (test_parents_fix)", "needs root (chown)");
    suite_add_tcase(s, parents);
    return s;
}
