/* sandbox/ containers: spawn, rootfs, privileges, monitor — run as root against a busybox
 * rootfs built in a temp dir from Debian's busybox-static. Every case forks (libcheck's
 * default) and waits with a timeout; nothing of it is left behind (checked in teardown). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/container.h"
#include "sandbox/ctr_internal.h"
#include "t/testlib.h"

#define BUSYBOX "/bin/busybox"
#define WAIT_MS 20000

static char tmp[PATH_MAX], rootfs[PATH_MAX], state_dir[PATH_MAX], log_path[PATH_MAX];
static char hostdir[PATH_MAX];
static int usable; /* root and busybox present */

static char *const env_path[] = {"PATH=/bin", NULL};

static void copy_file(const char *from, const char *to, mode_t mode)
{
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(tk_read_file(from, 64 << 20, &data, &len), 0);
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tk_write_all(fd, data, len), 0);
    close(fd);
}

static char base[PATH_MAX]; /* per tcase, made and removed by the runner process itself */

/* Runs in the runner (unforked), so it cleans up after a failed case too: containers that
 * a failed case left running are killed, then everything is removed. */
static void base_setup(void)
{
    base[0] = '\0';
    if (geteuid() != 0)
        return;
    snprintf(base, sizeof(base), "/tmp/tank-sbx.XXXXXX");
    if (!mkdtemp(base))
        base[0] = '\0';
}

static void base_teardown(void)
{
    if (!base[0])
        return;
    _cleanup_closedir_ DIR *d = opendir(base);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char sd[PATH_MAX];
        if (e->d_name[0] == '.')
            continue;
        snprintf(sd, sizeof(sd), "%s/%s/state", base, e->d_name);
        int mfd = sandbox_monitor_pidfd(sd, NULL);
        if (sandbox_container_kill(sd, SIGKILL, NULL) == 0 && mfd >= 0) {
            struct pollfd p = {.fd = mfd, .events = POLLIN};
            poll(&p, 1, WAIT_MS);
        }
        if (mfd >= 0)
            close(mfd);
    }
    tk_rm_rf(base);
}

static void setup(void)
{
    usable = base[0] && access(BUSYBOX, X_OK) == 0;
    if (!usable)
        return;
    snprintf(tmp, sizeof(tmp), "%s/case.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmp);
    snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
    snprintf(log_path, sizeof(log_path), "%s/logs/ctr.log", tmp);
    snprintf(hostdir, sizeof(hostdir), "%s/host", tmp);
    char p[PATH_MAX];
    static const char *const dirs[] = {"bin", "etc", "tmp"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(dirs); i++) {
        snprintf(p, sizeof(p), "%s/%s", rootfs, dirs[i]);
        ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
    }
    ck_assert_int_eq(tk_mkdir_p(hostdir, 0755), 0);
    snprintf(p, sizeof(p), "%s/bin/busybox", rootfs);
    copy_file(BUSYBOX, p, 0755);
    static const char *const applets[] = {"sh",    "cat",  "hostname", "id",     "ls",   "echo",
                                          "sleep", "true", "grep",     "touch",  "ip",   "wc",
                                          "kill",  "head", "tr",       "printf", "test", "mkdir"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(applets); i++) {
        snprintf(p, sizeof(p), "%s/bin/%s", rootfs, applets[i]);
        ck_assert_int_eq(symlink("busybox", p), 0);
    }
}

/* Mount points of the host naming our temp dir: none may be left. */
static int host_mounts_under_tmp(void)
{
    _cleanup_free_ char *mi = NULL;
    if (tk_read_file("/proc/self/mountinfo", 1 << 20, &mi, NULL) < 0)
        return -1;
    return strstr(mi, tmp) != NULL;
}

static void teardown(void)
{
    if (!usable)
        return;
    ck_assert_int_eq(host_mounts_under_tmp(), 0);
    ck_assert_int_eq(tk_rm_rf(tmp), 0);
}

static void cfg_init(struct sandbox_container_config *c, char **argv)
{
    *c = (struct sandbox_container_config){
        .id = "test",
        .rootfs = rootfs,
        .argv = argv,
        .env = env_path,
        .state_dir = state_dir,
        .log_path = log_path,
        .hostname = "sbx-host",
        .no_new_privs = 1,
    };
}

struct run {
    int rc;
    struct sandbox_container_result res;
    struct tk_err err;
    struct sandbox_container_state st;
    char out[65536]; /* the stdout "F" lines of the log, '\n'-joined */
    char err_out[8192];
};

/* The texts of "F" lines of stream in the CRI log, each followed by '\n'. */
static void log_lines(const char *stream, char *out, size_t size)
{
    _cleanup_free_ char *log = NULL;
    out[0] = '\0';
    if (tk_read_file(log_path, 16 << 20, &log, NULL) < 0)
        return;
    char key[32];
    snprintf(key, sizeof(key), " %s F ", stream);
    size_t used = 0;
    for (char *line = log; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *k = memmem(line, len, key, strlen(key));
        if (k && k - line < 40) {
            char *text = k + strlen(key);
            used += (size_t)snprintf(out + used, size - used, "%.*s\n",
                                     (int)(len - (size_t)(text - line)), text);
            if (used >= size)
                break;
        }
        line = nl ? nl + 1 : NULL;
    }
}

/* Wait (bounded) for the monitor to exit and reap it. */
static void wait_monitor(const struct sandbox_container_result *res)
{
    if (res->monitor_pid <= 0)
        return;
    ck_assert_int_ge(res->monitor_pidfd, 0);
    struct pollfd p = {.fd = res->monitor_pidfd, .events = POLLIN};
    ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "the monitor did not exit in time");
    ck_assert_int_eq(waitpid(res->monitor_pid, NULL, 0), res->monitor_pid);
    close(res->monitor_pidfd);
}

static void run_wait(const struct sandbox_container_config *c, struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->rc = sandbox_container_start(c, &r->res, &r->err);
    wait_monitor(&r->res);
    ck_assert_int_eq(sandbox_container_state(c->state_dir, &r->st, NULL), 0);
    log_lines("stdout", r->out, sizeof(r->out));
    log_lines("stderr", r->err_out, sizeof(r->err_out));
}

/* Run argv over image layers (lowest first) with its writable layer under rw, and wait. */
static void run_layers(char **argv, const char *const *layers, size_t n, const char *rw,
                       struct run *r)
{
    struct sandbox_container_config c;
    cfg_init(&c, argv);
    c.rootfs = NULL;
    c.layers = layers;
    c.n_layers = n;
    c.rw_dir = rw;
    run_wait(&c, r);
    ck_assert_msg(r->rc == 0, "start: %s", r->err.msg);
}

/* The test case is registered only where root and busybox are there (sandbox_suite): a
 * setup that still failed is a failure, not a pass. */
#define NEED_ROOT() ck_assert_msg(usable, "sandbox test setup failed (root, " BUSYBOX ", /tmp)")

START_TEST(test_hostname_and_pid_namespace)
{
    NEED_ROOT();
    char *argv[] = {"sh", "-c", "hostname; echo $$; for p in /proc/[0-9]*; do echo $p; done", NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_int_gt(r.res.pid, 1);
    ck_assert_str_eq(r.out, "sbx-host\n1\n/proc/1\n");
    ck_assert_int_eq(r.st.exited, 1);
    ck_assert_int_eq(r.st.exit_code, 0);
    ck_assert_int_eq(r.st.signal, 0);

    /* No signal is left ignored or blocked by the caller's or the monitor's set-up. */
    char *argv2[] = {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL};
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);
    cfg_init(&c, argv2);
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_str_eq(r.out, "sbx-host\n1\n/proc/1\nSigBlk:\t0000000000000000\n"
                            "SigIgn:\t0000000000000000\n");
}
END_TEST

START_TEST(test_host_invisible_and_masks)
{
    NEED_ROOT();
    char marker[PATH_MAX], script[PATH_MAX * 4], expect[1024];
    snprintf(marker, sizeof(marker), "%s/marker", hostdir);
    ck_assert_int_eq(tk_write_file_atomic(marker, "x", 1, 0644), 0);
    int n = snprintf(script, sizeof(script), "test -e %s && echo host-visible; ls /;", marker);
    int e = snprintf(expect, sizeof(expect), "bin\ndev\netc\nproc\nsys\ntmp\n");
    /* Masked paths that exist on this host read as empty inside. */
    static const char *const masked[] = {
        "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
        "/proc/acpi",  "/proc/scsi", "/sys/firmware",    "/proc/latency_stats"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(masked); i++) {
        struct stat st;
        if (stat(masked[i], &st) < 0)
            continue;
        n += snprintf(script + n, sizeof(script) - (size_t)n,
                      S_ISDIR(st.st_mode) ? "ls %s | wc -l;" : "wc -c < %s;", masked[i]);
        e += snprintf(expect + e, sizeof(expect) - (size_t)e, "0\n");
    }
    snprintf(script + n, sizeof(script) - (size_t)n,
             "echo x > /proc/sysrq-trigger || echo sysrq-ro;"
             "echo h > /proc/sys/kernel/hostname || echo procsys-ro;"
             "touch /sys/x 2>/dev/null || echo sys-ro");
    snprintf(expect + e, sizeof(expect) - (size_t)e, "sysrq-ro\nprocsys-ro\nsys-ro\n");
    char *argv[] = {"sh", "-c", script, NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_str_eq(r.out, expect);
}
END_TEST

START_TEST(test_privileged_no_masks)
{
    NEED_ROOT();
    char *argv[] = {"sh", "-c", "wc -c < /proc/timer_list; grep CapEff /proc/self/status", NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.privileged = 1;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_msg(strncmp(r.out, "0\n", 2) != 0, "timer_list is masked: %s", r.out);
    char want[64];
    uint64_t all = sandbox_cap_last() >= 63 ? ~0ULL : (1ULL << (sandbox_cap_last() + 1)) - 1;
    /* The host's own bounding set limits what a privileged container gets. */
    _cleanup_free_ char *st = NULL;
    ck_assert_int_eq(tk_read_file("/proc/self/status", 1 << 16, &st, NULL), 0);
    const char *bnd = strstr(st, "CapBnd:");
    ck_assert_ptr_nonnull(bnd);
    all &= strtoull(bnd + 7, NULL, 16);
    snprintf(want, sizeof(want), "CapEff:\t%016llx\n", (unsigned long long)all);
    ck_assert_ptr_nonnull(strstr(r.out, want));
}
END_TEST

/* Expected CapEff for the Docker default set, from the capability numbers. */
static uint64_t default_set(void)
{
    static const char *const names[] = {"CHOWN",   "DAC_OVERRIDE", "FSETID",           "FOWNER",
                                        "MKNOD",   "NET_RAW",      "SETGID",           "SETUID",
                                        "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT",
                                        "KILL",    "AUDIT_WRITE"};
    uint64_t s = 0;
    for (size_t i = 0; i < TK_ARRAY_SIZE(names); i++)
        s |= 1ULL << sandbox_cap_from_name(names[i]);
    return s;
}

static const struct {
    uid_t uid;
    const char *add, *drop;
    int add_net_admin, drop_chown, all_dropped;
} cap_cases[] = {
    {0, NULL, NULL, 0, 0, 0},    {0, "NET_ADMIN", "cap_chown", 1, 1, 0},
    {1000, NULL, NULL, 0, 0, 0}, {1000, "CAP_NET_ADMIN", "CHOWN", 1, 1, 0},
    {0, NULL, "ALL", 0, 0, 1},
};

START_TEST(test_caps_and_user)
{
    NEED_ROOT();
    char *argv[] = {"sh", "-c", "id; grep -E '^(Cap(Eff|Bnd|Amb)|NoNewPrivs)' /proc/self/status",
                    NULL};
    const char *add[1] = {cap_cases[_i].add}, *drop[1] = {cap_cases[_i].drop};
    gid_t groups[] = {10, 20};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.no_new_privs = _i % 2; /* allowPrivilegeEscalation true in the even cases */
    c.uid = cap_cases[_i].uid;
    c.gid = cap_cases[_i].uid;
    if (c.uid) {
        c.groups = groups;
        c.n_groups = 2;
    }
    c.cap_add = add;
    c.n_cap_add = add[0] ? 1 : 0;
    c.cap_drop = drop;
    c.n_cap_drop = drop[0] ? 1 : 0;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    uint64_t want = default_set();
    if (cap_cases[_i].add_net_admin)
        want |= 1ULL << sandbox_cap_from_name("NET_ADMIN");
    if (cap_cases[_i].drop_chown)
        want &= ~(1ULL << sandbox_cap_from_name("CHOWN"));
    if (cap_cases[_i].all_dropped)
        want = 0;
    char expect[512];
    int n = snprintf(expect, sizeof(expect),
                     c.uid ? "uid=1000 gid=1000 groups=10,20\n" : "uid=0 gid=0\n");
    /* Docker's rule: a non-root user holds nothing but the bounding set. */
    snprintf(expect + n, sizeof(expect) - (size_t)n,
             "CapEff:\t%016llx\nCapBnd:\t%016llx\nCapAmb:\t%016llx\nNoNewPrivs:\t%d\n",
             (unsigned long long)(c.uid ? 0 : want), (unsigned long long)want, 0ULL,
             c.no_new_privs);
    ck_assert_str_eq(r.out, expect);
}
END_TEST

START_TEST(test_unknown_cap_fails)
{
    NEED_ROOT();
    char *argv[] = {"true", NULL};
    const char *add[] = {"NET_WIZARDRY"};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.cap_add = add;
    c.n_cap_add = 1;
    run_wait(&c, &r);
    ck_assert_int_eq(r.rc, -EINVAL);
    ck_assert_int_eq(r.res.failed_stage, SANDBOX_STAGE_CAPS);
    ck_assert_ptr_nonnull(strstr(r.err.msg, "NET_WIZARDRY"));
}
END_TEST

START_TEST(test_exec_failure)
{
    NEED_ROOT();
    char *argv[] = {"/bin/nginx", "-g", "daemon off;", NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    run_wait(&c, &r);
    ck_assert_int_eq(r.rc, -ENOENT);
    ck_assert_int_eq(r.res.failed_stage, SANDBOX_STAGE_EXEC);
    ck_assert_int_eq(r.res.failed_errno, ENOENT);
    ck_assert_str_eq(r.err.msg, "exec /bin/nginx: No such file or directory");
    ck_assert_str_eq(sandbox_stage_to_string(r.res.failed_stage), "exec");
    /* The monitor recorded it too, for an agent that restarts. */
    ck_assert_int_eq(r.st.exited, 1);
    ck_assert_int_eq(r.st.exit_code, 127);
    ck_assert_str_eq(r.st.message, "exec /bin/nginx: No such file or directory");

    char *argv2[] = {"nginx", NULL};
    cfg_init(&c, argv2);
    run_wait(&c, &r);
    ck_assert_int_eq(r.rc, -ENOENT);
    ck_assert_int_eq(r.res.failed_stage, SANDBOX_STAGE_EXEC);
    ck_assert_ptr_nonnull(strstr(r.err.msg, "exec nginx"));
}
END_TEST

START_TEST(test_volumes_readonly)
{
    NEED_ROOT();
    char rw[PATH_MAX], ro[PATH_MAX], f[PATH_MAX];
    snprintf(rw, sizeof(rw), "%s/rw", hostdir);
    snprintf(ro, sizeof(ro), "%s/ro", hostdir);
    ck_assert_int_eq(tk_mkdir_p(rw, 0755), 0);
    ck_assert_int_eq(tk_mkdir_p(ro, 0755), 0);
    char *argv[] = {"sh", "-c",
                    "echo hi > /data/rw/new && echo rw-ok; touch /data/ro/new || echo ro-refused;"
                    "touch /newfile || echo rootfs-ro",
                    NULL};
    struct sandbox_mount m[] = {
        {.source = rw, .destination = "/data/rw"},
        {.source = ro, .destination = "/data/ro", .flags = SANDBOX_MOUNT_READONLY}};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.mounts = m;
    c.n_mounts = 2;
    c.readonly_rootfs = 1;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_str_eq(r.out, "rw-ok\nro-refused\nrootfs-ro\n");
    snprintf(f, sizeof(f), "%s/new", rw);
    ck_assert_int_eq(access(f, F_OK), 0);
    snprintf(f, sizeof(f), "%s/new", ro);
    ck_assert_int_eq(access(f, F_OK), -1);
    snprintf(f, sizeof(f), "%s/newfile", rootfs);
    ck_assert_int_eq(access(f, F_OK), -1);
}
END_TEST

/* An image whose /evil points at a host directory, absolutely and through "..": the mount
 * must land inside the rootfs, never on the host. */
START_TEST(test_hostile_symlink)
{
    NEED_ROOT();
    char link[PATH_MAX], rel[PATH_MAX * 2], vol[PATH_MAX], f[PATH_MAX];
    snprintf(link, sizeof(link), "%s/evil", rootfs);
    ck_assert_int_eq(symlink(hostdir, link), 0);
    snprintf(link, sizeof(link), "%s/evil2", rootfs);
    snprintf(rel, sizeof(rel), "../../../../../../../..%s", hostdir);
    ck_assert_int_eq(symlink(rel, link), 0);
    snprintf(vol, sizeof(vol), "%s/vol", tmp);
    ck_assert_int_eq(tk_mkdir_p(vol, 0755), 0);
    snprintf(f, sizeof(f), "%s/marker", vol);
    ck_assert_int_eq(tk_write_file_atomic(f, "vol\n", 4, 0644), 0);
    char *argv[] = {"sh", "-c", "cat /evil/sub/marker /evil2/sub2/marker", NULL};
    struct sandbox_mount m[] = {{.source = vol, .destination = "/evil/sub"},
                                {.source = vol, .destination = "/evil2/sub2"}};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.mounts = m;
    c.n_mounts = 2;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_str_eq(r.out, "vol\nvol\n");
    snprintf(f, sizeof(f), "%s/sub", hostdir);
    ck_assert_msg(access(f, F_OK) < 0, "a mount target was created on the host");
    snprintf(f, sizeof(f), "%s/sub2", hostdir);
    ck_assert_msg(access(f, F_OK) < 0, "a mount target was created on the host");
    snprintf(f, sizeof(f), "%s%s/sub", rootfs, hostdir);
    ck_assert_int_eq(access(f, F_OK), 0);
}
END_TEST

START_TEST(test_open_in_root)
{
    NEED_ROOT();
    char link[PATH_MAX], got[PATH_MAX], want[PATH_MAX * 2];
    snprintf(link, sizeof(link), "%s/etc/abs", rootfs);
    ck_assert_int_eq(symlink("/", link), 0);
    snprintf(link, sizeof(link), "%s/etc/up", rootfs);
    ck_assert_int_eq(symlink("../../../../..", link), 0);
    int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(root, 0);
    static const char *const paths[] = {"/etc/abs/bin", "/etc/up/bin", "/../../bin"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(paths); i++) {
        int fd = sandbox_open_in_root(root, paths[i], 0, 0);
        ck_assert_int_ge(fd, 0);
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(p, got, sizeof(got) - 1);
        ck_assert_int_gt(n, 0);
        got[n] = '\0';
        snprintf(want, sizeof(want), "%s/bin", rootfs);
        ck_assert_str_eq(got, want);
        close(fd);
    }
    int fd = sandbox_open_in_root(root, "/etc/abs/a/b/c", 1, 1);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(want, sizeof(want), "%s/a/b/c", rootfs);
    ck_assert_int_eq(access(want, F_OK), 0);
    close(root);
}
END_TEST

/* On a busy host (renames and mounts of other containers) openat2 may ask for a retry when a
 * ".." raced with them; the resolution must retry, not fail the container's start. */
START_TEST(test_open_in_root_busy_host)
{
    NEED_ROOT();
    char link[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    snprintf(link, sizeof(link), "%s/etc/up", rootfs);
    ck_assert_int_eq(symlink("../../../../..", link), 0);
    snprintf(a, sizeof(a), "%s/tmp-a", rootfs);
    snprintf(b, sizeof(b), "%s/tmp-b", rootfs);
    ck_assert_int_eq(mkdir(a, 0755), 0);
    pid_t renamer = fork();
    ck_assert_int_ge(renamer, 0);
    if (renamer == 0) {
        for (;;) {
            rename(a, b);
            rename(b, a);
        }
    }
    int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(root, 0);
    int failed = 0, last = 0;
    for (int i = 0; i < 20000; i++) {
        int fd = sandbox_open_in_root(root, "/etc/up/../etc/up/bin", 0, 0);
        if (fd < 0) {
            failed++;
            last = fd;
        } else {
            close(fd);
        }
    }
    kill(renamer, SIGKILL);
    waitpid(renamer, NULL, 0);
    close(root);
    ck_assert_msg(failed == 0, "%d of 20000 resolutions failed (last: %s)", failed,
                  strerror(-last));
}
END_TEST

START_TEST(test_cri_log_and_exit)
{
    NEED_ROOT();
    /* 20000 'a's without a newline: one P part of 16 KiB, then the rest as F. */
    char *argv[] = {"sh", "-c",
                    "echo out; echo err >&2; head -c 20000 /dev/zero | tr '\\0' a; echo; exit 3",
                    NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_int_eq(r.st.exited, 1);
    ck_assert_int_eq(r.st.exit_code, 3);
    ck_assert_int_eq(r.st.signal, 0);
    ck_assert_int_gt(r.st.finished_ns, 0);
    ck_assert_int_ge(r.st.finished_ns, r.st.started_ns);
    ck_assert_str_eq(r.err_out, "err\n");
    ck_assert_int_eq(strncmp(r.out, "out\n", 4), 0);
    ck_assert_uint_eq(strlen(r.out), 4 + (20000 - 16384) + 1);

    _cleanup_free_ char *log = NULL;
    ck_assert_int_eq(tk_read_file(log_path, 1 << 20, &log, NULL), 0);
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z "
                             "(stdout|stderr) [FP] ",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    int lines = 0, partial = 0;
    for (char *line = log; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad log line: %.80s", line);
        if (strstr(line, " stdout P ")) {
            partial++;
            ck_assert_uint_eq(strlen(strstr(line, " stdout P ") + 10), 16384);
        }
        lines++;
        line = nl + 1;
    }
    regfree(&re);
    ck_assert_int_eq(lines, 4);
    ck_assert_int_eq(partial, 1);
}
END_TEST

START_TEST(test_log_rotation)
{
    NEED_ROOT();
    char *argv[] = {"sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done",
                    NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.log_max_size = 4096;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    char old[PATH_MAX];
    snprintf(old, sizeof(old), "%s.1", log_path);
    struct stat a, b;
    ck_assert_int_eq(stat(log_path, &a), 0);
    ck_assert_int_eq(stat(old, &b), 0);
    ck_assert_int_le(a.st_size, 4096);
    ck_assert_int_le(b.st_size, 4096);
    ck_assert_ptr_nonnull(strstr(r.out, "line299\n"));
    snprintf(old, sizeof(old), "%s.2", log_path); /* two files by default */
    ck_assert_int_eq(stat(old, &b), -1);
}
END_TEST

/* log_max_files keeps that many files in all: LOG, LOG.1 .. LOG.N-1, newest first. */
START_TEST(test_log_rotation_files)
{
    NEED_ROOT();
    char *argv[] = {"sh", "-c", "i=0; while [ $i -lt 600 ]; do echo line$i; i=$((i+1)); done",
                    NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.log_max_size = 2048;
    c.log_max_files = 4;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    char p[PATH_MAX];
    struct stat st;
    int64_t prev_mtime = INT64_MAX;
    for (int i = 1; i <= 3; i++) {
        snprintf(p, sizeof(p), "%s.%d", log_path, i);
        ck_assert_msg(stat(p, &st) == 0, "%s missing", p);
        ck_assert_int_le(st.st_size, 2048);
        int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        ck_assert_int_le(m, prev_mtime); /* .1 newer than .2, .2 than .3 */
        prev_mtime = m;
    }
    snprintf(p, sizeof(p), "%s.4", log_path);
    ck_assert_int_eq(stat(p, &st), -1);
    ck_assert_ptr_nonnull(strstr(r.out, "line599\n"));
}
END_TEST

static int stop_forever_start(struct sandbox_container_config *c,
                              struct sandbox_container_result *res, char **argv)
{
    struct tk_err err = {0};
    cfg_init(c, argv);
    int rc = sandbox_container_start(c, res, &err);
    ck_assert_msg(rc == 0, "start: %s", err.msg);
    return rc;
}

/* Wait (WAIT_MS at most) until process pid has a handler for sig (SigCgt in its status). */
static bool wait_catches(pid_t pid, int sig)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    for (int i = 0; i < WAIT_MS / 10; i++, usleep(10000)) {
        FILE *f = fopen(path, "r");
        if (!f)
            return false;
        char line[256];
        unsigned long long mask = 0;
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "SigCgt: %llx", &mask) == 1)
                break;
        fclose(f);
        if (mask & (1ULL << (sig - 1)))
            return true;
    }
    return false;
}

START_TEST(test_kill_and_stop)
{
    NEED_ROOT();
    char *argv[] = {"sleep", "1000", NULL};
    struct sandbox_container_config c;
    struct sandbox_container_result res;
    struct sandbox_container_state st;
    stop_forever_start(&c, &res, argv);
    /* The monitor becomes the small embedded program (shortly after start returned). */
    char exe[64], target[PATH_MAX] = "";
    snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)res.monitor_pid);
    for (int i = 0; i < WAIT_MS / 10 && !strstr(target, "memfd:tank-monitor"); i++) {
        ssize_t n = readlink(exe, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        if (!strstr(target, "memfd:tank-monitor"))
            usleep(10000);
    }
    ck_assert_msg(strstr(target, "memfd:tank-monitor"), "monitor runs '%s'", target);
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.running, 1);
    ck_assert_int_eq(st.monitor_alive, 1);
    ck_assert_int_eq(st.pid, res.pid);
    ck_assert_int_eq(st.monitor_pid, res.monitor_pid);
    ck_assert_int_eq(st.stop_signal, SIGTERM);
    ck_assert_int_eq(sandbox_container_kill(state_dir, SIGKILL, NULL), 0);
    wait_monitor(&res);
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.running, 0);
    ck_assert_int_eq(st.exited, 1);
    ck_assert_int_eq(st.exit_code, 137);
    ck_assert_int_eq(st.signal, SIGKILL);
    ck_assert_int_eq(sandbox_container_kill(state_dir, SIGKILL, NULL), -ESRCH);
    ck_assert_int_eq(sandbox_container_cleanup(state_dir, NULL, 1, NULL), 0);
    ck_assert_int_eq(access(state_dir, F_OK), -1);

    /* sleep as PID 1 has no SIGTERM handler: the stop signal is ignored, SIGKILL follows. */
    stop_forever_start(&c, &res, argv);
    ck_assert_int_eq(sandbox_container_stop(state_dir, 0, 200, NULL), 0);
    wait_monitor(&res);
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.exit_code, 137);

    /* A shell that traps TERM exits on the stop signal itself. */
    char *argv2[] = {"sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.05; done", NULL};
    stop_forever_start(&c, &res, argv2);
    /* Not before the shell has run its trap: until then TERM to PID 1 is ignored. */
    ck_assert_msg(wait_catches(res.pid, SIGTERM), "the shell never set its TERM trap");
    ck_assert_int_eq(sandbox_container_stop(state_dir, SIGTERM, WAIT_MS, NULL), 0);
    wait_monitor(&res);
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.exit_code, 7);
}
END_TEST

/* The monitor outlives the process that started it; a new process adopts it by state_dir. */
START_TEST(test_monitor_survives_parent)
{
    NEED_ROOT();
    /* The orphaned monitor is reparented to us, so we can reap it at the end. */
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    int pfd[2];
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    pid_t agent = fork();
    ck_assert_int_ge(agent, 0);
    if (agent == 0) {
        char *argv[] = {"sleep", "1000", NULL};
        struct sandbox_container_config c;
        struct sandbox_container_result res;
        struct tk_err err = {0};
        cfg_init(&c, argv);
        int rc = sandbox_container_start(&c, &res, &err);
        ssize_t w = write(pfd[1], &rc, sizeof(rc));
        (void)w;
        pause();
        _exit(0);
    }
    close(pfd[1]);
    int rc = -1;
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
    ck_assert_int_eq(read(pfd[0], &rc, sizeof(rc)), (ssize_t)sizeof(rc));
    close(pfd[0]);
    kill(agent, SIGKILL);
    ck_assert_int_eq(waitpid(agent, NULL, 0), agent);
    ck_assert_int_eq(rc, 0);

    struct sandbox_container_state st;
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.monitor_alive, 1);
    ck_assert_int_eq(st.running, 1);
    int mfd = sandbox_monitor_pidfd(state_dir, NULL);
    ck_assert_int_ge(mfd, 0);
    ck_assert_int_eq(sandbox_container_cleanup(state_dir, NULL, 1, NULL), -EBUSY);
    ck_assert_int_eq(sandbox_container_kill(state_dir, SIGKILL, NULL), 0);
    struct pollfd mp = {.fd = mfd, .events = POLLIN};
    ck_assert_int_eq(poll(&mp, 1, WAIT_MS), 1);
    close(mfd);
    ck_assert_int_eq(waitpid(st.monitor_pid, NULL, 0), st.monitor_pid);
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.exited, 1);
    ck_assert_int_eq(st.exit_code, 137);
    ck_assert_int_eq(st.monitor_alive, 0);
}
END_TEST

static int hook_pid;
static int hook_ok(pid_t pid, void *data, struct tk_err *err)
{
    (void)err;
    hook_pid = pid;
    /* The workload waits at the checkpoint: it has not exec'd yet (still our image). */
    char p[64], self[PATH_MAX], its[PATH_MAX];
    snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
    ssize_t a = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ssize_t b = readlink(p, its, sizeof(its) - 1);
    *(int *)data = a > 0 && a == b && !memcmp(self, its, (size_t)a);
    return 0;
}
static int hook_fail(pid_t pid, void *data, struct tk_err *err)
{
    (void)pid;
    (void)data;
    return tk_err_set(err, -EPERM, "no cgroup for you");
}

/* The start in halves: a caller that gives a start up before its end (an agent that stops)
 * leaves a container that still comes up and can be adopted from its state_dir. */
START_TEST(test_start_async_abandoned)
{
    NEED_ROOT();
    char *argv[] = {"sleep", "1000", NULL};
    struct sandbox_container_config c;
    struct sandbox_container_result res;
    struct sandbox_start *s = NULL;
    struct tk_err err = {0};
    cfg_init(&c, argv);
    ck_assert_msg(sandbox_container_start_begin(&c, &s, &res, &err) == 0, "%s", err.msg);
    ck_assert_int_ge(sandbox_start_fd(s), 0);
    ck_assert_int_gt(res.monitor_pid, 0);
    sandbox_start_free(s, 0);
    struct sandbox_container_state st = {0};
    for (int i = 0; i < WAIT_MS / 10; i++, usleep(10000))
        if (sandbox_container_state(state_dir, &st, NULL) == 0 && st.running)
            break;
    ck_assert_msg(st.running, "the container did not come up after its caller left");
    ck_assert_int_gt(st.pid, 0);
    ck_assert_int_eq(sandbox_container_kill(state_dir, SIGKILL, NULL), 0);
    wait_monitor(&res);
    ck_assert_int_eq(sandbox_container_state(state_dir, &st, NULL), 0);
    ck_assert_int_eq(st.exit_code, 137);

    /* Advanced to its end, with the fd polled as an event loop would. */
    ck_assert_int_eq(sandbox_container_cleanup(state_dir, NULL, 1, NULL), 0);
    ck_assert_msg(sandbox_container_start_begin(&c, &s, &res, &err) == 0, "%s", err.msg);
    int r;
    while ((r = sandbox_container_start_advance(s, &res, &err)) == 1) {
        struct pollfd p = {.fd = sandbox_start_fd(s), .events = POLLIN};
        ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
    }
    ck_assert_msg(r == 0, "%s", err.msg);
    ck_assert_int_gt(res.pid, 0);
    ck_assert_int_eq(sandbox_container_start_advance(s, &res, &err), -EINVAL); /* over */
    sandbox_start_free(s, 0);
    ck_assert_int_eq(sandbox_container_kill(state_dir, SIGKILL, NULL), 0);
    wait_monitor(&res);
}
END_TEST

START_TEST(test_ready_hook)
{
    NEED_ROOT();
    char *argv[] = {"true", NULL};
    struct sandbox_container_config c;
    struct run r;
    int waiting = 0;
    cfg_init(&c, argv);
    c.ready_hook = hook_ok;
    c.ready_data = &waiting;
    run_wait(&c, &r);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_int_eq(hook_pid, r.res.pid);
    ck_assert_int_eq(waiting, 1);

    c.ready_hook = hook_fail;
    run_wait(&c, &r);
    ck_assert_int_eq(r.rc, -EPERM);
    ck_assert_int_eq(r.res.failed_stage, SANDBOX_STAGE_HOOK);
    ck_assert_str_eq(r.err.msg, "ready hook: no cgroup for you");
    ck_assert_int_eq(r.st.exited, 1);
}
END_TEST

/* Run argv (a host tool) and wait for it; returns its exit status. */
static int run_host(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_join_netns)
{
    NEED_ROOT();
    char name[64], path[128], veth[32], peer[32];
    snprintf(name, sizeof(name), "tank-sbx-%d", (int)getpid());
    snprintf(path, sizeof(path), "/run/netns/%s", name);
    snprintf(veth, sizeof(veth), "tkva%d", (int)getpid() % 100000);
    snprintf(peer, sizeof(peer), "tkvb%d", (int)getpid() % 100000);
    char *add[] = {"ip", "netns", "add", name, NULL};
    if (run_host(add) != 0) {
        fprintf(stderr, "test_join_netns: 'ip netns add' failed, skipped\n");
        return;
    }
    /* Both ends of the pair stay inside the test's namespace. */
    char *lo[] = {"ip", "-n", name, "link", "set", "lo", "up", NULL};
    char *pair[] = {"ip",   "-n",   name,   "link", "add", veth,
                    "type", "veth", "peer", "name", peer,  NULL};
    int ok = run_host(lo) == 0 && run_host(pair) == 0;
    char *argv[] = {"sh", "-c", "ip -o link | tr -s ' ' | cut -d' ' -f2,3", NULL};
    struct sandbox_container_config c;
    struct run r;
    cfg_init(&c, argv);
    c.netns = path;
    if (ok)
        run_wait(&c, &r);
    char *del[] = {"ip", "netns", "del", name, NULL};
    ck_assert_int_eq(run_host(del), 0);
    ck_assert_msg(ok, "set up the test namespace");
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    char want[128];
    snprintf(want, sizeof(want), "%s@%s:", veth, peer);
    ck_assert_msg(!strncmp(r.out, "lo: <LOOPBACK,UP,LOWER_UP>\n", 27), "links: %s", r.out);
    ck_assert_msg(strstr(r.out, want), "links: %s", r.out);
    ck_assert_msg(!strstr(r.out, "eth0"), "links: %s", r.out);
}
END_TEST

START_TEST(test_overlay_layers)
{
    NEED_ROOT();
    char top[PATH_MAX], f[PATH_MAX], rw[PATH_MAX];
    snprintf(top, sizeof(top), "%s/layer2", tmp);
    snprintf(f, sizeof(f), "%s/etc", top);
    ck_assert_int_eq(tk_mkdir_p(f, 0755), 0);
    snprintf(f, sizeof(f), "%s/etc/motd", top);
    ck_assert_int_eq(tk_write_file_atomic(f, "layer2\n", 7, 0644), 0);
    snprintf(rw, sizeof(rw), "%s/rw", tmp);
    const char *layers[] = {rootfs, top};
    char *argv[] = {"sh", "-c", "cat /etc/motd; echo changed > /etc/motd; touch /new", NULL};
    struct run r;
    run_layers(argv, layers, 2, rw, &r);
    ck_assert_str_eq(r.out, "layer2\n");
    _cleanup_free_ char *motd = NULL;
    ck_assert_int_eq(tk_read_file(f, 64, &motd, NULL), 0);
    ck_assert_str_eq(motd, "layer2\n");
    snprintf(f, sizeof(f), "%s/upper/new", rw);
    ck_assert_int_eq(access(f, F_OK), 0);
    ck_assert_int_eq(sandbox_container_cleanup(state_dir, rw, 1, NULL), 0);
    snprintf(f, sizeof(f), "%s/upper", rw);
    ck_assert_int_eq(access(f, F_OK), -1);
}
END_TEST

/* A device node that comes with the image (here: a copy of /dev/null's numbers, as a
 * hostile image could carry the host disk's) cannot be opened: the root is nodev, both as an
 * overlay and as a plain directory. */
START_TEST(test_image_device_nodes)
{
    NEED_ROOT();
    char layer[PATH_MAX], node[PATH_MAX], rw[PATH_MAX], rootnode[PATH_MAX];
    snprintf(layer, sizeof(layer), "%s/devlayer", tmp);
    ck_assert_int_eq(tk_mkdir_p(layer, 0755), 0);
    snprintf(node, sizeof(node), "%s/imgdev", layer);
    ck_assert_int_eq(mknod(node, S_IFCHR | 0666, makedev(1, 3)), 0);
    snprintf(rw, sizeof(rw), "%s/rw-dev", tmp);
    const char *layers[] = {rootfs, layer};
    char *argv[] = {"sh", "-c", "echo x > /imgdev && echo opened || echo refused", NULL};
    struct run r;
    run_layers(argv, layers, 2, rw, &r);
    ck_assert_str_eq(r.out, "refused\n");
    ck_assert_int_eq(sandbox_container_cleanup(state_dir, rw, 1, NULL), 0);

    /* The same node in a plain rootfs directory. */
    snprintf(rootnode, sizeof(rootnode), "%s/imgdev", rootfs);
    ck_assert_int_eq(mknod(rootnode, S_IFCHR | 0666, makedev(1, 3)), 0);
    struct sandbox_container_config c;
    cfg_init(&c, argv);
    run_wait(&c, &r);
    unlink(rootnode);
    ck_assert_msg(r.rc == 0, "start: %s", r.err.msg);
    ck_assert_str_eq(r.out, "refused\nrefused\n"); /* the log holds both runs */
}
END_TEST

/* A layer path overlayfs options cannot carry (a ','): the layers are copied instead, with
 * the upper layer's whiteout applied and its hard links kept; the copy is reused by the next
 * start. */
START_TEST(test_copy_fallback)
{
    NEED_ROOT();
    char top[PATH_MAX], f[PATH_MAX], rw[PATH_MAX];
    snprintf(top, sizeof(top), "%s/lay,er2", tmp);
    snprintf(f, sizeof(f), "%s/etc", top);
    ck_assert_int_eq(tk_mkdir_p(f, 0755), 0);
    snprintf(f, sizeof(f), "%s/etc/motd", top);
    ck_assert_int_eq(tk_write_file_atomic(f, "layer2\n", 7, 0644), 0);
    snprintf(f, sizeof(f), "%s/tmp", top);
    ck_assert_int_eq(mknod(f, S_IFCHR | 0000, 0), 0); /* whiteout of /tmp */
    char f2[PATH_MAX];
    snprintf(f, sizeof(f), "%s/etc/motd", top);
    snprintf(f2, sizeof(f2), "%s/etc/motd.link", top);
    ck_assert_int_eq(link(f, f2), 0); /* a hard link stays one */
    snprintf(rw, sizeof(rw), "%s/rw", tmp);
    const char *layers[] = {rootfs, top};
    char *argv[] = {"sh", "-c",
                    "cat /etc/motd; test -e /tmp || echo no-tmp; cat /kept 2>/dev/null;"
                    "echo kept > /kept; test /etc/motd -ef /etc/motd.link || echo two-files",
                    NULL};
    struct run r;
    run_layers(argv, layers, 2, rw, &r);
    ck_assert_str_eq(r.out, "layer2\nno-tmp\n");
    run_layers(argv, layers, 2, rw, &r);
    /* The log file is appended to: the first run's lines, then the second's. */
    ck_assert_str_eq(r.out, "layer2\nno-tmp\nlayer2\nno-tmp\nkept\n");
    snprintf(f, sizeof(f), "%s/tmp", rootfs);
    ck_assert_int_eq(access(f, F_OK), 0); /* the lower layer is untouched */
    ck_assert_int_eq(sandbox_container_cleanup(state_dir, rw, 1, NULL), 0);
    snprintf(f, sizeof(f), "%s/rootfs", rw);
    ck_assert_int_eq(access(f, F_OK), -1);
}
END_TEST

/* The termination message's read: inside the root (links resolved in it, the last one not
 * followed), regular files only and not the kernel's, never blocking, its end only. */
START_TEST(test_read_in_root)
{
    char root[] = "/tmp/tank-check-inroot-XXXXXX", p[PATH_MAX], out[64];
    ck_assert_ptr_nonnull(mkdtemp(root));
    char host[] = "/tmp/tank-check-secret-XXXXXX";
    int hfd = mkstemp(host);
    ck_assert_int_ge(hfd, 0);
    ck_assert_int_eq(write(hfd, "host secret", 11), 11);
    close(hfd);
    snprintf(p, sizeof(p), "%s/dev", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/dev/msg", root);
    ck_assert_int_eq(tk_write_file_atomic(p, "bye\n", 4, 0644), 0);
    snprintf(p, sizeof(p), "%s/dev/abs", root);
    ck_assert_int_eq(symlink(host, p), 0);
    snprintf(p, sizeof(p), "%s/up", root); /* a directory link leading up and out */
    ck_assert_int_eq(symlink("../../../../../../tmp", p), 0);
    snprintf(p, sizeof(p), "%s/proc", root);
    ck_assert_int_eq(symlink("/proc", p), 0);
    snprintf(p, sizeof(p), "%s/dev/fifo", root);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    struct tk_buf big = TK_BUF_INIT;
    for (int i = 0; i < 10000; i++)
        tk_buf_adds(&big, "0123456789");
    tk_buf_adds(&big, "END");
    snprintf(p, sizeof(p), "%s/dev/big", root);
    ck_assert_int_eq(tk_write_file_atomic(p, big.s, big.len, 0644), 0);
    tk_buf_free(&big);
    int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(rfd, 0);
    ck_assert_int_eq(sandbox_read_in_root(rfd, "/dev/msg", out, sizeof(out)), 4);
    ck_assert_str_eq(out, "bye\n");
    ck_assert_int_eq(sandbox_read_in_root(rfd, "/dev/abs", out, sizeof(out)), -EPERM);
    ck_assert_str_eq(out, "");
    snprintf(p, sizeof(p), "/up%s", host); /* resolved in the root: not the host's file */
    ck_assert_int_eq(sandbox_read_in_root(rfd, p, out, sizeof(out)), -ENOENT);
    ck_assert_int_lt(sandbox_read_in_root(rfd, "/proc/version", out, sizeof(out)), 0); /* a loop */
    ck_assert_int_eq(sandbox_read_in_root(rfd, "/dev/fifo", out, sizeof(out)), -EPERM);
    ck_assert_int_eq(sandbox_read_in_root(rfd, "/dev", out, sizeof(out)), -EPERM);
    ck_assert_int_eq(sandbox_read_in_root(rfd, "/dev/big", out, sizeof(out)), 63);
    ck_assert_str_eq(out + 60, "END");
    close(rfd);
    unlink(host);
    const char *const rm[] = {"dev/msg", "dev/abs", "dev/fifo", "dev/big", "up", "proc"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(rm); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, rm[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/dev", root);
    rmdir(p);
    rmdir(root);
}
END_TEST

Suite *sandbox_suite(void)
{
    Suite *s = suite_create("sandbox");
    if (geteuid() != 0 || access(BUSYBOX, X_OK) != 0) {
        test_not_run("sandbox/container", "needs root and " BUSYBOX);
        return s;
    }
    TCase *ir = tcase_create("read_in_root");
    tcase_add_test(ir, test_read_in_root);
    suite_add_tcase(s, ir);
    TCase *tc = tcase_create("container");
    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hostname_and_pid_namespace);
    tcase_add_test(tc, test_host_invisible_and_masks);
    tcase_add_test(tc, test_privileged_no_masks);
    tcase_add_loop_test(tc, test_caps_and_user, 0, (int)TK_ARRAY_SIZE(cap_cases));
    tcase_add_test(tc, test_unknown_cap_fails);
    tcase_add_test(tc, test_exec_failure);
    tcase_add_test(tc, test_volumes_readonly);
    tcase_add_test(tc, test_hostile_symlink);
    tcase_add_test(tc, test_open_in_root);
    tcase_add_test(tc, test_open_in_root_busy_host);
    tcase_add_test(tc, test_cri_log_and_exit);
    tcase_add_test(tc, test_log_rotation);
    tcase_add_test(tc, test_log_rotation_files);
    tcase_add_test(tc, test_kill_and_stop);
    tcase_add_test(tc, test_monitor_survives_parent);
    tcase_add_test(tc, test_ready_hook);
    tcase_add_test(tc, test_start_async_abandoned);
    tcase_add_test(tc, test_join_netns);
    tcase_add_test(tc, test_overlay_layers);
    tcase_add_test(tc, test_copy_fallback);
    tcase_add_test(tc, test_image_device_nodes);
    suite_add_tcase(s, tc);
    return s;
}
