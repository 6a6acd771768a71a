/* sandbox/cgroup.c: the hierarchy, the device policy, kill and removal — as root, on the
 * machine's real cgroups: v1 where it has them, and v2 on its cgroup2 mount (a hybrid
 * host's empty one, or a private mount in the case's own mount namespace). Every case works
 * under a subtree of its own below the runner's cgroup and removes it (the runner removes
 * what a failed case left). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static char subtree[64];
static char v2own[PATH_MAX]; /* the v2 cases' own cgroup (made by the case) */
static char tmpdir[PATH_MAX];

/* The v2 directory to work in: the cgroup2 mount's view of our own cgroup, or, when the
 * machine has no cgroup2 mount, a private one (made by the case in its own mount
 * namespace: mount_private). */
static bool v2_private;

static void find_v2(void)
{
    static const char *const mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
    char mnt[PATH_MAX] = "", own[PATH_MAX] = "/";
    struct statfs sf;
    for (size_t i = 0; i < TK_ARRAY_SIZE(mounts) && !mnt[0]; i++)
        if (statfs(mounts[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
            snprintf(mnt, sizeof(mnt), "%s", mounts[i]);
    v2_private = !mnt[0];
    if (v2_private)
        snprintf(mnt, sizeof(mnt), "%s/cg2", tmpdir);
    _cleanup_free_ char *self = NULL;
    if (tk_read_file("/proc/self/cgroup", 1 << 16, &self, NULL) == 0) {
        char *l = strstr(self, "0::");
        if (l && (l == self || l[-1] == '\n'))
            snprintf(own, sizeof(own), "%.*s", (int)strcspn(l + 3, "\n"), l + 3);
    }
    snprintf(v2own, sizeof(v2own), "%s%s/%s", mnt, strcmp(own, "/") ? own : "", subtree);
}

static void base_setup(void)
{
    snprintf(subtree, sizeof(subtree), "tank-check-%d", (int)getpid());
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/tank-cg.XXXXXX");
    if (geteuid() != 0 || !mkdtemp(tmpdir))
        tmpdir[0] = 0;
    else
        find_v2();
}

static void remove_subtree(const char *v2_own_dir)
{
    struct sandbox_cgroups *cg = NULL;
    struct sandbox_cgroup_options o = {.subtree = subtree, .v2_own_dir = v2_own_dir};
    if (sandbox_cgroups_open(&o, &cg, NULL) == 0) {
        sandbox_cgroups_remove_all(cg, NULL);
        sandbox_cgroups_free(cg);
    }
}

/* In the runner: whatever a failed case left (v1 subtree, v2 directory) goes. */
static void base_teardown(void)
{
    if (geteuid() != 0)
        return;
    remove_subtree(NULL);
    if (!v2_private && v2own[0] && access(v2own, F_OK) == 0) {
        remove_subtree(v2own);
        rmdir(v2own);
    }
    if (tmpdir[0])
        tk_rm_rf(tmpdir);
}

static int v2_dir(void)
{
    if (v2_private) {
        char mnt[PATH_MAX];
        snprintf(mnt, sizeof(mnt), "%s/cg2", tmpdir);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            (mkdir(mnt, 0755) < 0 && errno != EEXIST) ||
            mount("cgroup2", mnt, "cgroup2", 0, NULL) < 0)
            return -errno;
    }
    return mkdir(v2own, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* mode 1: the machine's layout (v1 here); mode 2: v2. */
static struct sandbox_cgroups *open_mode(int mode)
{
    struct sandbox_cgroups *cg = NULL;
    struct tk_err err = {0};
    struct sandbox_cgroup_options o = {.subtree = subtree};
    if (mode == 2) {
        ck_assert_int_eq(v2_dir(), 0);
        o.v2_own_dir = v2own;
    }
    ck_assert_msg(sandbox_cgroups_open(&o, &cg, &err) == 0, "%s", err.msg);
    if (mode == 2)
        ck_assert_int_eq(sandbox_cgroups_version(cg), SANDBOX_CGROUP_V2);
    return cg;
}

static void close_mode(struct sandbox_cgroups *cg)
{
    struct tk_err err = {0};
    bool v2 = sandbox_cgroups_version(cg) == SANDBOX_CGROUP_V2;
    ck_assert_msg(sandbox_cgroups_remove_all(cg, &err) == 0, "%s", err.msg);
    sandbox_cgroups_free(cg);
    if (v2)
        ck_assert_int_eq(rmdir(v2own), 0);
}

START_TEST(test_detect)
{
    if (geteuid() != 0)
        return;
    struct sandbox_cgroups *cg = open_mode(1);
    char d[PATH_MAX];
    const char *desc = sandbox_cgroups_describe(cg);
    ck_assert_ptr_nonnull(strstr(desc, "cgroup v"));
    ck_assert_ptr_nonnull(strstr(desc, subtree));
    /* Nested under our own cgroup in each hierarchy, and nowhere else. */
    ck_assert_int_eq(sandbox_cgroup_create(cg, "p", "c", NULL, NULL), 0);
    ck_assert_int_eq(sandbox_cgroup_path(cg, "devices", "p", "c", d, sizeof(d)), 0);
    ck_assert_int_eq(access(d, F_OK), 0);
    ck_assert_ptr_nonnull(strstr(d, subtree));
    ck_assert_int_eq(sandbox_cgroup_path(cg, "memory", "p", NULL, d, sizeof(d)), 0);
    ck_assert_int_eq(access(d, F_OK), 0);
    ck_assert_int_eq(sandbox_cgroup_create(cg, "../x", NULL, NULL, NULL), -EINVAL);
    close_mode(cg);
}
END_TEST

/* What a process in a cgroup with the default policy may open. */
static int probe_devices(void)
{
    char node[PATH_MAX];
    static const char *const ok[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                     "/dev/urandom"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(ok); i++) {
        int fd = open(ok[i], O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return 10 + (int)i;
        close(fd);
    }
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY); /* ENXIO without a terminal */
    if (fd < 0 && errno == EPERM)
        return 20;
    if (fd >= 0)
        close(fd);
    /* Made by mknod (allowed: "m"), refused at open: a loop disk and /dev/kmsg. */
    static const struct {
        mode_t type;
        int ma, mi;
    } bad[] = {{S_IFBLK, 7, 0}, {S_IFCHR, 1, 11}, {S_IFCHR, 10, 232}};
    for (size_t i = 0; i < TK_ARRAY_SIZE(bad); i++) {
        snprintf(node, sizeof(node), "%s/node%d-%zu", tmpdir, (int)getpid(), i);
        if (mknod(node, bad[i].type | 0600, makedev(bad[i].ma, bad[i].mi)) < 0)
            return 30 + (int)i;
        fd = open(node, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 || errno != EPERM)
            return 40 + (int)i;
    }
    return 0;
}

START_TEST(test_device_policy)
{
    if (geteuid() != 0 || !tmpdir[0])
        return;
    struct sandbox_cgroups *cg = open_mode(_i);
    struct sandbox_cgroup_limits l = {.devices = true};
    struct tk_err err = {0};
    ck_assert_msg(sandbox_cgroup_create(cg, "pod", "ctr", &l, &err) == 0, "%s", err.msg);
    if (_i == 1 && sandbox_cgroups_version(cg) == SANDBOX_CGROUP_V1) {
        char d[PATH_MAX];
        _cleanup_free_ char *list = NULL;
        ck_assert_int_eq(sandbox_cgroup_path(cg, "devices", "pod", "ctr", d, sizeof(d)), 0);
        char f[PATH_MAX + 16];
        snprintf(f, sizeof(f), "%s/devices.list", d);
        ck_assert_int_eq(tk_read_file(f, 4096, &list, NULL), 0);
        ck_assert_str_eq(list, "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\n"
                               "c 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n");
    }
    /* Control: outside the cgroup the nodes open (so the refusal below is the cgroup's). */
    char node[PATH_MAX];
    snprintf(node, sizeof(node), "%s/control%d", tmpdir, _i);
    ck_assert_int_eq(mknod(node, S_IFCHR | 0600, makedev(1, 11)), 0);
    int fd = open(node, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0 || errno != EPERM, "control open refused: %m");
    if (fd >= 0)
        close(fd);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (sandbox_cgroup_join(cg, "pod", "ctr", getpid(), NULL) < 0)
            _exit(2);
        _exit(probe_devices());
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "probe failed with %d", WEXITSTATUS(st));
    /* Without the policy (a privileged container) the same process may open them. */
    ck_assert_int_eq(sandbox_cgroup_create(cg, "pod", "priv", NULL, NULL), 0);
    pid = fork();
    if (pid == 0) {
        sandbox_cgroup_join(cg, "pod", "priv", getpid(), NULL);
        int f = open(node, O_RDONLY | O_CLOEXEC);
        _exit(f < 0 && errno == EPERM ? 1 : 0);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close_mode(cg);
}
END_TEST

/* Stopping a pod: every process in it is killed, also one that left the workload's
 * process tree, then its cgroups are removed. */
START_TEST(test_kill_and_remove)
{
    if (geteuid() != 0)
        return;
    struct sandbox_cgroups *cg = open_mode(_i);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(sandbox_cgroup_create(cg, "pod", "ctr", NULL, NULL), 0);
    pid_t pid = fork();
    if (pid == 0) {
        sandbox_cgroup_join(cg, "pod", "ctr", getpid(), NULL);
        if (fork() == 0) { /* a grandchild, out of our sight */
            setsid();
            if (write(p[1], "g", 1) < 0)
                _exit(1);
            for (;;)
                pause();
        }
        for (;;)
            pause();
    }
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    ck_assert_int_eq(sandbox_cgroup_count_procs(cg, "pod", NULL), 2);
    char **names = NULL;
    ck_assert_int_eq(sandbox_cgroup_list(cg, NULL, &names), 1);
    ck_assert_str_eq(names[0], "pod");
    free(names[0]);
    free(names);
    struct tk_err err = {0};
    ck_assert_msg(sandbox_cgroup_remove(cg, "pod", NULL, &err) == 0, "%s", err.msg);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    ck_assert_int_eq(sandbox_cgroup_count_procs(cg, "pod", NULL), -ENOENT);
    ck_assert_int_eq(sandbox_cgroup_list(cg, NULL, &names), 0);
    free(names);
    close(p[0]);
    close(p[1]);
    close_mode(cg);
}
END_TEST

/* Limits land in the controller files; a controller that is missing is a clear error. */
START_TEST(test_limits)
{
    if (geteuid() != 0)
        return;
    struct sandbox_cgroups *cg = open_mode(_i);
    struct sandbox_cgroup_limits l = {
        .memory_max = 32 << 20, .cpu_quota_us = 20000, .cpu_shares = 512, .pids_max = 64};
    struct tk_err err = {0};
    int r = sandbox_cgroup_create(cg, "pod", "ctr", &l, &err);
    char d[PATH_MAX], f[PATH_MAX + 32];
    _cleanup_free_ char *v = NULL;
    if (sandbox_cgroup_path(cg, "memory", "pod", "ctr", d, sizeof(d)) < 0 ||
        (snprintf(f, sizeof(f), "%s/%s", d, _i == 2 ? "memory.max" : "memory.limit_in_bytes"),
         access(f, F_OK) < 0)) {
        /* No memory controller here (a hybrid host's empty cgroup2): said so. */
        ck_assert_int_eq(r, -EOPNOTSUPP);
        ck_assert_str_eq(err.msg, "memory limit requested but no memory controller is available");
        close_mode(cg);
        return;
    }
    ck_assert_msg(r == 0, "%s", err.msg);
    ck_assert_int_eq(tk_read_file(f, 64, &v, NULL), 0);
    ck_assert_str_eq(v, "33554432\n");
    free(v), v = NULL;
    ck_assert_int_eq(sandbox_cgroup_path(cg, "cpu", "pod", "ctr", d, sizeof(d)), 0);
    snprintf(f, sizeof(f), "%s/%s", d, _i == 2 ? "cpu.max" : "cpu.cfs_quota_us");
    ck_assert_int_eq(tk_read_file(f, 64, &v, NULL), 0);
    ck_assert_str_eq(v, _i == 2 ? "20000 100000\n" : "20000\n");
    free(v), v = NULL;
    ck_assert_int_eq(sandbox_cgroup_path(cg, "pids", "pod", "ctr", d, sizeof(d)), 0);
    snprintf(f, sizeof(f), "%s/pids.max", d);
    ck_assert_int_eq(tk_read_file(f, 64, &v, NULL), 0);
    ck_assert_str_eq(v, "64\n");
    close_mode(cg);
}
END_TEST

/* ---- a faked cgroup2 tree: what exactly is written ---- */

static void fake_file(const char *dir, const char *name, const char *content)
{
    char f[PATH_MAX + 64];
    snprintf(f, sizeof(f), "%s/%s", dir, name);
    ck_assert_int_eq(tk_write_file_atomic(f, content, strlen(content), 0644), 0);
}

/* A directory laid out as a cgroup2 one with the memory, cpu and pids controllers. */
static void fake_cgroup(const char *dir)
{
    static const char *const files[] = {"cgroup.procs", "cgroup.subtree_control",
                                        "memory.max",   "memory.swap.max",
                                        "cpu.max",      "cpu.weight",
                                        "pids.max"};
    ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
    fake_file(dir, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    for (size_t i = 0; i < TK_ARRAY_SIZE(files); i++)
        fake_file(dir, files[i], "");
}

static void expect_file(const char *dir, const char *name, const char *want)
{
    char f[PATH_MAX + 64];
    _cleanup_free_ char *v = NULL;
    snprintf(f, sizeof(f), "%s/%s", dir, name);
    ck_assert_int_eq(tk_read_file(f, 4096, &v, NULL), 0);
    ck_assert_msg(!strcmp(v, want), "%s: '%s', want '%s'", f, v, want);
}

START_TEST(test_v2_fake_tree)
{
    char base[] = "/tmp/tank-fakecg.XXXXXX", own[PATH_MAX], d[PATH_MAX + 64], self[32];
    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(own, sizeof(own), "%s/tank.service", base);
    fake_cgroup(own);
    snprintf(self, sizeof(self), "%d\n", (int)getpid());
    fake_file(own, "cgroup.procs", self); /* the agent alone in its own cgroup */
    snprintf(d, sizeof(d), "%s/agent", own);
    fake_cgroup(d);
    snprintf(d, sizeof(d), "%s/pods", own);
    fake_cgroup(d);
    snprintf(d, sizeof(d), "%s/pods/p", own);
    fake_cgroup(d);
    snprintf(d, sizeof(d), "%s/pods/p/c", own);
    fake_cgroup(d);
    struct sandbox_cgroups *cg = NULL;
    struct tk_err err = {0};
    struct sandbox_cgroup_options o = {.subtree = "pods", .move_self = true, .v2_own_dir = own};
    ck_assert_msg(sandbox_cgroups_open(&o, &cg, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sandbox_cgroups_version(cg), SANDBOX_CGROUP_V2);
    /* The agent moved into OWN/agent, then OWN and OWN/pods gave their children the
     * controllers, in one write each. */
    snprintf(d, sizeof(d), "%s/agent", own);
    self[strlen(self) - 1] = 0;
    expect_file(d, "cgroup.procs", self);
    expect_file(own, "cgroup.subtree_control", "+memory +cpu +pids");
    snprintf(d, sizeof(d), "%s/pods", own);
    expect_file(d, "cgroup.subtree_control", "+memory +cpu +pids");
    ck_assert(sandbox_cgroups_has(cg, "memory") && sandbox_cgroups_has(cg, "pids"));
    /* The limits of the pod and of its container, as the kubelet and runc write them. */
    struct sandbox_cgroup_limits pl = {.memory_max = 64 << 20, .cpu_shares = 2, .pids_max = 100};
    struct sandbox_cgroup_limits l = {
        .memory_max = 32 << 20, .cpu_quota_us = 20000, .cpu_shares = 512};
    ck_assert_msg(sandbox_cgroup_update(cg, "p", NULL, &pl, &err) == 0, "%s", err.msg);
    ck_assert_msg(sandbox_cgroup_update(cg, "p", "c", &l, &err) == 0, "%s", err.msg);
    snprintf(d, sizeof(d), "%s/pods/p", own);
    expect_file(d, "memory.max", "67108864");
    expect_file(d, "memory.swap.max", "0");
    expect_file(d, "cpu.weight", "1");
    expect_file(d, "cpu.max", "max 100000"); /* no cpu limit: none, in place */
    expect_file(d, "pids.max", "100");
    snprintf(d, sizeof(d), "%s/pods/p/c", own);
    expect_file(d, "memory.max", "33554432");
    expect_file(d, "memory.swap.max", "0");
    expect_file(d, "cpu.max", "20000 100000");
    expect_file(d, "cpu.weight", "20"); /* 1 + (512 - 2) * 9999 / 262142 */
    /* A resize that drops the limits writes them as none. */
    struct sandbox_cgroup_limits none = {.cpu_shares = 1024};
    ck_assert_msg(sandbox_cgroup_update(cg, "p", "c", &none, &err) == 0, "%s", err.msg);
    expect_file(d, "memory.max", "max");
    expect_file(d, "cpu.max", "max 100000");
    expect_file(d, "cpu.weight", "39");
    ck_assert_int_eq(sandbox_cgroup_update(cg, "p", "gone", &none, &err), -ENOENT);
    ck_assert_int_eq(sandbox_cgroup_shares_to_weight(2), 1);
    ck_assert_int_eq(sandbox_cgroup_shares_to_weight(262144), 10000);
    /* Usage: cpu.stat's usage_usec in ns, the working set = memory.current - inactive_file. */
    fake_file(d, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
    fake_file(d, "memory.current", "10485760\n");
    fake_file(d, "memory.stat", "anon 4096\nfile 8192\nactive_file 4096\ninactive_file 2097152\n");
    uint64_t cpu = 0, mem = 0;
    ck_assert_int_eq(sandbox_cgroup_usage(cg, "p", "c", &cpu, &mem), 0);
    ck_assert_uint_eq(cpu, 1500000);
    ck_assert_uint_eq(mem, 10485760 - 2097152);
    cpu = 0;
    ck_assert_int_eq(sandbox_cgroup_usage(cg, "p", "c", &cpu, NULL), 0); /* CPU time only */
    ck_assert_uint_eq(cpu, 1500000);
    ck_assert_int_eq(sandbox_cgroup_usage(cg, "p", "gone", &cpu, &mem), -ENOENT);
    ck_assert_uint_eq(cpu, UINT64_MAX);
    ck_assert_uint_eq(mem, UINT64_MAX);
    ck_assert_int_eq(sandbox_cgroup_usage(cg, "..", "c", &cpu, &mem), -ENOENT);
    sandbox_cgroups_free(cg);
    tk_rm_rf(base);
}
END_TEST

/* Another process in OWN: the agent is not alone, so it moves nowhere. */
START_TEST(test_v2_fake_not_alone)
{
    char base[] = "/tmp/tank-fakecg.XXXXXX", own[PATH_MAX], d[PATH_MAX + 64], procs[64];
    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(own, sizeof(own), "%s/tank.service", base);
    fake_cgroup(own);
    snprintf(procs, sizeof(procs), "1\n%d\n", (int)getpid());
    fake_file(own, "cgroup.procs", procs);
    snprintf(d, sizeof(d), "%s/agent", own);
    fake_cgroup(d);
    struct sandbox_cgroups *cg = NULL;
    struct tk_err err = {0};
    struct sandbox_cgroup_options o = {.subtree = "pods", .move_self = true, .v2_own_dir = own};
    ck_assert_msg(sandbox_cgroups_open(&o, &cg, &err) == 0, "%s", err.msg);
    expect_file(d, "cgroup.procs", "");
    expect_file(own, "cgroup.procs", procs);
    sandbox_cgroups_free(cg);
    tk_rm_rf(base);
}
END_TEST

Suite *cgroup_suite(void)
{
    Suite *s = suite_create("cgroup");
    TCase *tc = tcase_create("cgroup");
    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_detect);
    tcase_add_loop_test(tc, test_device_policy, 1, 3);
    tcase_add_loop_test(tc, test_kill_and_remove, 1, 3);
    tcase_add_loop_test(tc, test_limits, 1, 3);
    tcase_add_test(tc, test_v2_fake_tree);
    tcase_add_test(tc, test_v2_fake_not_alone);
    suite_add_tcase(s, tc);
    return s;
}
