/* sandbox/volmount.c: subPath resolved beneath its volume (openat2 and the O_NOFOLLOW walk),
 * and volume mounts made in a private mount namespace of the (forked) case: symlinks a
 * container planted never lead a mount or a mkdir out of the volume, recursiveReadOnly
 * reaches sub-mounts, a destination on procfs is refused. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/container.h"
#include "sandbox/ctr_internal.h"
#include "t/testlib.h"

static char base[PATH_MAX], tmp[PATH_MAX], vol[PATH_MAX], host[PATH_MAX], root[PATH_MAX];

/* In the runner (unforked): removed after failed cases too. The cases mount only in their own
 * mount namespaces, which end with them. */
static void base_setup(void)
{
    snprintf(base, sizeof(base), "/tmp/tank-volmount.XXXXXX");
    if (!mkdtemp(base))
        base[0] = '\0';
}

static void base_teardown(void)
{
    if (base[0])
        tk_rm_rf(base);
}

static void setup(void)
{
    ck_assert(base[0]);
    snprintf(tmp, sizeof(tmp), "%s/case.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(vol, sizeof(vol), "%s/vol", tmp);
    snprintf(host, sizeof(host), "%s/host", tmp);
    snprintf(root, sizeof(root), "%s/root", tmp);
    ck_assert_int_eq(tk_mkdir_p(vol, 0755), 0);
    ck_assert_int_eq(tk_mkdir_p(host, 0755), 0);
    ck_assert_int_eq(tk_mkdir_p(root, 0755), 0);
}

static void in(const char *dir, const char *name, char *out)
{
    snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static void link_in_vol(const char *target, const char *name)
{
    char p[PATH_MAX];
    in(vol, name, p);
    ck_assert_int_eq(symlink(target, p), 0);
}

/* The path an O_PATH fd names, relative to vol ("" for vol itself). */
static void fd_rel(int fd, char *out, size_t size)
{
    char p[64], got[PATH_MAX];
    snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, got, sizeof(got) - 1);
    ck_assert_int_gt(n, 0);
    got[n] = '\0';
    size_t l = strlen(vol);
    ck_assert_msg(!strncmp(got, vol, l) && (got[l] == '\0' || got[l] == '/'),
                  "%s is outside the volume", got);
    snprintf(out, size, "%s", got[l] ? got + l + 1 : "");
}

/* _i = 0: openat2; _i = 1: the walk for kernels without it. */
START_TEST(test_open_beneath)
{
    int nofollow = _i;
    char p[PATH_MAX], rel[PATH_MAX];
    in(vol, "real/deeper", p);
    ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
    link_in_vol("/", "abs");
    link_in_vol(host, "hostlink");
    link_in_vol("../host", "up");
    link_in_vol("real", "rel");
    link_in_vol("missing", "dangling");
    _cleanup_close_ int v = open(vol, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(v, 0);

    int fd = sandbox_open_beneath(v, "real/deeper", 0, nofollow);
    ck_assert_int_ge(fd, 0);
    fd_rel(fd, rel, sizeof(rel));
    ck_assert_str_eq(rel, "real/deeper");
    close(fd);
    /* A link that stays inside is followed (as the kubelet follows one), but not by the walk. */
    fd = sandbox_open_beneath(v, "rel/deeper", 0, nofollow);
    if (nofollow) {
        ck_assert_int_eq(fd, -ELOOP);
    } else {
        ck_assert_int_ge(fd, 0);
        fd_rel(fd, rel, sizeof(rel));
        ck_assert_str_eq(rel, "real/deeper");
        close(fd);
    }
    /* Links out of the volume: refused, also with create, and nothing is made outside. */
    static const char *const out[] = {"abs", "abs/etc", "hostlink/new", "up/new", "real/../.."};
    for (size_t i = 0; i < TK_ARRAY_SIZE(out); i++)
        for (int create = 0; create < 2; create++) {
            fd = sandbox_open_beneath(v, out[i], create, nofollow);
            ck_assert_msg(fd == -EXDEV || (nofollow && fd == -ELOOP), "%s (create %d): %d", out[i],
                          create, fd);
        }
    in(host, "new", p);
    ck_assert_int_eq(access(p, F_OK), -1);
    /* A link to nothing is not created through. */
    fd = sandbox_open_beneath(v, "dangling/x", 1, nofollow);
    ck_assert_int_eq(fd, -ELOOP);
    in(vol, "missing", p);
    ck_assert_int_eq(access(p, F_OK), -1);
    /* Missing components are made, inside. */
    fd = sandbox_open_beneath(v, "a/./b//c", 1, nofollow);
    ck_assert_int_ge(fd, 0);
    fd_rel(fd, rel, sizeof(rel));
    ck_assert_str_eq(rel, "a/b/c");
    close(fd);
    if (!nofollow) {
        fd = sandbox_open_beneath(v, "rel/made", 1, 0);
        ck_assert_int_ge(fd, 0);
        fd_rel(fd, rel, sizeof(rel));
        ck_assert_str_eq(rel, "real/made");
        close(fd);
    }
    ck_assert_int_eq(sandbox_open_beneath(v, "nothere", 0, nofollow), -ENOENT);
}
END_TEST

/* A private mount namespace for the (forked) case, and a tmpfs as the container's root. */
static int enter_ns(void)
{
    ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
    ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
    ck_assert_int_eq(mount("tmpfs", root, "tmpfs", 0, "size=1m"), 0);
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    return fd;
}

START_TEST(test_mount_refuses_escape)
{
    _cleanup_close_ int rootfd = enter_ns();
    link_in_vol("/", "escape");
    link_in_vol(host, "mk");
    struct sandbox_fail f = {0};
    struct sandbox_mount m = {.source = vol,
                              .destination = "/host",
                              .flags = SANDBOX_MOUNT_MKDIR,
                              .sub_path = "escape",
                              .volume = "data"};
    ck_assert_int_lt(sandbox_volume_mount(rootfd, &m, &f), 0);
    ck_assert_int_eq(f.stage, SANDBOX_STAGE_MOUNT);
    ck_assert_str_eq(f.msg, "volume 'data': subPath 'escape' leads outside the volume");
    m.sub_path = "mk/new";
    memset(&f, 0, sizeof(f));
    ck_assert_int_lt(sandbox_volume_mount(rootfd, &m, &f), 0);
    ck_assert_str_eq(f.msg, "volume 'data': subPath 'mk/new' leads outside the volume");
    char p[PATH_MAX];
    in(host, "new", p);
    ck_assert_int_eq(access(p, F_OK), -1);
    in(root, "host/etc", p);
    ck_assert_int_eq(access(p, F_OK), -1);
    /* The same volume with a subPath that stays inside: mounted, made where missing. */
    m.sub_path = "made/here";
    memset(&f, 0, sizeof(f));
    ck_assert_msg(sandbox_volume_mount(rootfd, &m, &f) == 0, "%s", f.msg);
    in(root, "host/marker", p);
    ck_assert_int_eq(tk_write_file_atomic(p, "x", 1, 0644), 0);
    in(vol, "made/here/marker", p);
    ck_assert_int_eq(access(p, F_OK), 0);
}
END_TEST

START_TEST(test_mount_recursive_read_only)
{
    _cleanup_close_ int rootfd = enter_ns();
    char sub[PATH_MAX], p[PATH_MAX];
    in(vol, "sub", sub);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    ck_assert_int_eq(mount("tmpfs", sub, "tmpfs", 0, "size=1m"), 0);
    static const struct {
        const char *dest;
        unsigned flags;
        int sub_writable;
    } cases[] = {
        {"/plain", SANDBOX_MOUNT_READONLY, 1},
        {"/rro", SANDBOX_MOUNT_READONLY | SANDBOX_MOUNT_RRO, 0},
        {"/ifpossible", SANDBOX_MOUNT_READONLY | SANDBOX_MOUNT_RRO_IF_POSSIBLE, 0},
        {"/rw", 0, 1},
    };
    for (size_t i = 0; i < TK_ARRAY_SIZE(cases); i++) {
        struct sandbox_fail f = {0};
        struct sandbox_mount m = {
            .source = vol, .destination = cases[i].dest, .flags = cases[i].flags, .volume = "h"};
        ck_assert_msg(sandbox_volume_mount(rootfd, &m, &f) == 0, "%s: %s", cases[i].dest, f.msg);
        snprintf(p, sizeof(p), "%s%s/top", root, cases[i].dest);
        int top = tk_write_file_atomic(p, "x", 1, 0644);
        ck_assert_int_eq(top, cases[i].flags ? -EROFS : 0);
        snprintf(p, sizeof(p), "%s%s/sub/f", root, cases[i].dest);
        int w = tk_write_file_atomic(p, "x", 1, 0644);
        ck_assert_msg(cases[i].sub_writable ? w == 0 : w == -EROFS, "%s: sub-mount write %d",
                      cases[i].dest, w);
    }
}
END_TEST

/* A hostPath file onto a file the mount creates, read-only. */
START_TEST(test_mount_file)
{
    _cleanup_close_ int rootfd = enter_ns();
    char src[PATH_MAX], p[PATH_MAX];
    in(host, "conf", src);
    ck_assert_int_eq(tk_write_file_atomic(src, "hello", 5, 0644), 0);
    struct sandbox_fail f = {0};
    struct sandbox_mount m = {.source = src,
                              .destination = "/etc/app/conf",
                              .flags = SANDBOX_MOUNT_READONLY | SANDBOX_MOUNT_RRO,
                              .volume = "conf"};
    ck_assert_msg(sandbox_volume_mount(rootfd, &m, &f) == 0, "%s", f.msg);
    in(root, "etc/app/conf", p);
    _cleanup_free_ char *got = NULL;
    ck_assert_int_eq(tk_read_file(p, 64, &got, NULL), 0);
    ck_assert_str_eq(got, "hello");
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, EROFS);
    /* A subPath below a file is no directory. */
    m.sub_path = "x";
    memset(&f, 0, sizeof(f));
    ck_assert_int_lt(sandbox_volume_mount(rootfd, &m, &f), 0);
    ck_assert_str_eq(f.msg, "volume 'conf': subPath 'x': Not a directory");
}
END_TEST

START_TEST(test_mount_destination_on_proc)
{
    _cleanup_close_ int rootfd = enter_ns();
    char p[PATH_MAX];
    in(root, "proc", p);
    ck_assert_int_eq(mkdir(p, 0555), 0);
    ck_assert_int_eq(mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), 0);
    in(root, "p", p);
    ck_assert_int_eq(symlink("/proc/sys", p), 0); /* as a volume or an image could have it */
    struct sandbox_fail f = {0};
    struct sandbox_mount m = {.source = vol, .destination = "/p/kernel", .volume = "data"};
    ck_assert_int_lt(sandbox_volume_mount(rootfd, &m, &f), 0);
    ck_assert_str_eq(f.msg, "volume 'data': mountPath '/p/kernel' resolves into /proc, where "
                            "nothing may be mounted");
}
END_TEST

Suite *volmount_suite(void)
{
    Suite *s = suite_create("volmount");
    TCase *tc = tcase_create("volmount");
    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_open_beneath, 0, 2);
    suite_add_tcase(s, tc);
    if (geteuid() != 0) {
        test_not_run("volmount/mounts", "needs root (mount namespaces)");
        return s;
    }
    tc = tcase_create("mounts");
    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_mount_refuses_escape);
    tcase_add_test(tc, test_mount_recursive_read_only);
    tcase_add_test(tc, test_mount_file);
    tcase_add_test(tc, test_mount_destination_on_proc);
    suite_add_tcase(s, tc);
    return s;
}
