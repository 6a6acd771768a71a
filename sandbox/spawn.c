/*
 * Spawn with a ready checkpoint.
 *
 *   caller ──fork──▶ monitor (setsid; setns into the pod's net/uts/ipc; unshare(NEWPID), or
 *                        │          setns into the pod's PID namespace, or neither: hostPID)
 *                        └──fork──▶ workload, pid 1 of its PID namespace (when new)
 *   monitor → caller   PID n            the workload meanwhile: unshare(NEWNS|UTS|IPC),
 *                                        hostname, exec record, rootfs; then it waits on
 *                                        the go pipe, nothing of the image run yet
 *   caller             ready hook(n)    (cgroups, network, ...)
 *   caller → monitor   GO | ABORT       (only when there is a ready hook: else the monitor
 *                                        goes on at once, and the caller may even be gone)
 *   monitor → workload go byte          workload: unshare(NEWCGROUP), user + caps, cwd,
 *                                        execve
 *   workload → monitor (error pipe, close-on-exec): EOF = exec'd; a struct sandbox_fail = failed
 *   monitor → caller   OK | FAIL(stage, errno, message)
 * The sync channel is a SOCK_SEQPACKET pair, so every message arrives whole.
 */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/exec-int.h"
#include "sandbox/spawn-int.h"

int spawn_send_msg(int fd, const struct sync_msg *m)
{
    ssize_t n;
    do
        n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(*m) ? 0 : -EPIPE;
}

/* Receive one message; 0 on EOF, -ETIMEDOUT after timeout_ms (< 0 = forever). */
int spawn_recv_msg(int fd, struct sync_msg *m, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return -ETIMEDOUT;
    ssize_t n;
    do
        n = recv(fd, m, sizeof(*m), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    return n == (ssize_t)sizeof(*m) ? 1 : -EPROTO;
}

/* ---- the workload child ---- */

static int child_unshare(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    int flags = CLONE_NEWNS;
    if (!cfg->utsns)
        flags |= CLONE_NEWUTS;
    if (!cfg->ipcns)
        flags |= CLONE_NEWIPC;
    if (unshare(flags) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_CLONE, errno, "unshare namespaces");
    if (!cfg->utsns) {
        const char *h = cfg->hostname ? cfg->hostname : cfg->id;
        if (sethostname(h, strlen(h)) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_HOSTNAME, errno, "set hostname '%s'", h);
    }
    return 0;
}

/* The ready checkpoint: wait for the go byte, i.e. until the caller's hook placed this
 * process in its cgroups; then the cgroup namespace, rooted at them. */
static int child_wait_go(int gofd, struct sandbox_fail *f)
{
    char go;
    ssize_t n;
    do
        n = read(gofd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(1); /* aborted at the checkpoint */
    /* No cgroup namespace where the kernel refuses one (hybrid layouts): the container then
     * sees the host's cgroup paths, as with cgroupns=host. */
    if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL)
        return sandbox_fail(f, SANDBOX_STAGE_CLONE, errno, "unshare the cgroup namespace");
    return 0;
}

/* The monitor's channels to the workload: the go byte, its failure record, its stdout and
 * stderr (with a log), its held-open stdin (stdin_open without tty), and the socket its
 * terminal's master comes over (tty). -1 where unused. */
struct pipes {
    int go[2], err[2], out[2], serr[2], in[2], tty[2];
    int piv[2]; /* with a termination path: the workload's word that its root is built */
};

/* The namespaces, the exec record and the root are built while the caller's ready hook runs
 * (moving a process between cgroups waits for an RCU grace period: milliseconds); nothing of
 * the image runs before the go byte, so the workload is in its cgroups, and its cgroup
 * namespace rooted there, before its first instruction. */
static int child_setup(const struct sandbox_container_config *cfg, const struct pipes *p,
                       struct sandbox_fail *f)
{
    int gofd = p->go[0];
    uint64_t caps;
    struct sandbox_seccomp_filter *filter = NULL; /* freed by the exec or the exit */
    _cleanup_close_ int userns = cfg->userns ? open(cfg->userns, O_RDONLY | O_CLOEXEC) : -1;
    if (cfg->userns && userns < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETNS, errno, "open namespace '%s'", cfg->userns);
    /* Not ptrace-able by the pod's other containers (a shared PID namespace) until its
     * execve makes it the container's program (as runc's init). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "make the child not dumpable");
    int r = child_unshare(cfg, f);
    if (r < 0)
        return r;
    r = sandbox_caps_compute(cfg, &caps, f);
    if (r < 0 || (r = sandbox_keyring_join(cfg, f)) < 0 ||
        (r = sandbox_seccomp_prepare(cfg, caps, &filter, f)) < 0 ||
        (r = sandbox_exec_record(cfg, caps, filter, f)) < 0)
        return r;
    r = sandbox_rootfs_setup(cfg, f);
    if (r == 0 && p->piv[1] >= 0) { /* the monitor may look at the root now (and only now) */
        ssize_t w = write(p->piv[1], "p", 1);
        (void)w;
        close(p->piv[1]);
    }
    if (r < 0 || (cfg->tty && (r = spawn_tty_child(cfg, p->tty[1], f)) < 0) ||
        (r = sandbox_apparmor_exec(cfg, f)) < 0 || (r = child_wait_go(gofd, f)) < 0)
        return r;
    /* Mounts are made; from here on root is the pod's root, not the host's. */
    if (userns >= 0 && setns(userns, CLONE_NEWUSER) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETNS, errno, "join namespace '%s'", cfg->userns);
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before the drop. */
    if (!cfg->no_new_privs && (r = sandbox_seccomp_apply(filter, f)) < 0)
        return r;
    r = sandbox_user_caps_apply(cfg, caps, f);
    if (r < 0)
        return r;
    const char *cwd = cfg->cwd ? cfg->cwd : "/";
    if (chdir(cwd) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_CWD, errno, "chdir '%s'", cwd);
    char path[PATH_MAX];
    r = sandbox_find_exec(cfg, path, sizeof(path), f);
    if (r < 0)
        return r;
    if (cfg->no_new_privs && (r = sandbox_seccomp_apply(filter, f)) < 0)
        return r;
    static char *const empty_env[] = {NULL};
    execve(path, cfg->argv, cfg->env ? cfg->env : empty_env);
    return sandbox_fail(f, SANDBOX_STAGE_EXEC, errno, "exec %s", path);
}

static _Noreturn void child_main(const struct sandbox_container_config *cfg, const struct pipes *p)
{
    struct sandbox_fail f = {0};
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(p->in[0] >= 0 ? p->in[0] : null, 0);
    dup2(p->out[1] >= 0 ? p->out[1] : null, 1);
    dup2(p->serr[1] >= 0 ? p->serr[1] : null, 2);
    child_setup(cfg, p, &f);
    ssize_t w = write(p->err[1], &f, sizeof(f));
    (void)w;
    _exit(f.stage == SANDBOX_STAGE_EXEC && f.err == ENOENT ? 127 : 126);
}

/* ---- the monitor, before the workload exec'd ---- */

/* Close every fd above 2 but a and b (-1 = none). */
static void close_others(int a, int b)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    int keep[2] = {lo, hi}, from = 3;
    for (int i = 0; i < 2; i++) {
        if (keep[i] < from)
            continue;
        for (int fd = from; fd < keep[i]; fd++)
            close(fd);
        from = keep[i] + 1;
    }
    if (syscall(SYS_close_range, from, ~0U, 0) < 0) {
        for (int fd = from; fd < 65536; fd++)
            close(fd);
    }
}

static int join_namespaces(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    const struct {
        const char *path;
        int type;
    } ns[] = {{cfg->netns, CLONE_NEWNET}, {cfg->utsns, CLONE_NEWUTS}, {cfg->ipcns, CLONE_NEWIPC}};
    for (size_t i = 0; i < TK_ARRAY_SIZE(ns); i++) {
        if (!ns[i].path)
            continue;
        _cleanup_close_ int fd = open(ns[i].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETNS, errno, "open namespace '%s'", ns[i].path);
        if (setns(fd, ns[i].type) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETNS, errno, "join namespace '%s'", ns[i].path);
    }
    return 0;
}

/* The workload's PID namespace, for the monitor's next fork: a new one, the pod's or the
 * caller's own. */
static int pid_namespace(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    if (cfg->host_pid)
        return 0;
    if (!cfg->pidns) {
        if (unshare(CLONE_NEWPID) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_CLONE, errno, "create the PID namespace");
        return 0;
    }
    _cleanup_close_ int fd = open(cfg->pidns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETNS, errno, "join the pod's PID namespace '%s'",
                            cfg->pidns);
    return 0;
}

static int write_state(const struct sandbox_container_config *cfg, pid_t pid)
{
    uint64_t pstart = 0, mstart = 0;
    sandbox_proc_start_time(pid, &pstart);
    sandbox_proc_start_time(getpid(), &mstart);
    char buf[512], path[PATH_MAX];
    int n = snprintf(buf, sizeof(buf),
                     "pid=%d\npid_start=%llu\nmonitor_pid=%d\nmonitor_start=%llu\n"
                     "started_at=%lld\nstop_signal=%d\n",
                     (int)pid, (unsigned long long)pstart, (int)getpid(),
                     (unsigned long long)mstart, (long long)tk_now_realtime_ns(),
                     cfg->stop_signal > 0 ? cfg->stop_signal : SIGTERM);
    snprintf(path, sizeof(path), "%s/state", cfg->state_dir);
    return tk_write_file_replace(path, buf, (size_t)n, 0644); /* run_dir */
}

/* Record a pre-exec failure and tell the caller; the monitor then exits. */
static _Noreturn void monitor_fail(const struct sandbox_container_config *cfg, int sync,
                                   const struct sandbox_fail *f, pid_t child)
{
    int status = 0;
    if (child > 0) {
        kill(child, SIGKILL);
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
            ;
    }
    int code = f->stage == SANDBOX_STAGE_EXEC && f->err == ENOENT ? 127 : 126;
    char msg[600];
    snprintf(msg, sizeof(msg), "%s", f->msg);
    sandbox_write_exit(cfg->state_dir, code, 0, msg);
    struct sync_msg m = {.type = MSG_FAIL, .pid = child, .fail = *f};
    spawn_send_msg(sync, &m);
    _exit(1);
}

static void set_inherit(int fd, bool inherit)
{
    if (fd >= 0)
        fcntl(fd, F_SETFD, inherit ? 0 : FD_CLOEXEC);
}

/* Become the small monitor program (the embedded one, else "EXE __monitor ..."); returns
 * only if the exec failed. */
static void monitor_reexec(const struct sandbox_container_config *cfg, int memfd, pid_t pid,
                           const int fds[4])
{
    char spid[16], sfd[4][16], smax[32], sfiles[16];
    snprintf(spid, sizeof(spid), "%d", (int)pid);
    for (int i = 0; i < 4; i++)
        snprintf(sfd[i], sizeof(sfd[i]), "%d", fds[i]);
    snprintf(smax, sizeof(smax), "%llu", (unsigned long long)cfg->log_max_size);
    snprintf(sfiles, sizeof(sfiles), "%u", cfg->log_max_files);
    const char *argv[24] = {"tank",       "__monitor",   "--pid",       spid,           "--out",
                            sfd[0],       "--err",       sfd[1],        "--term-root",  sfd[2],
                            "--term-mnt", sfd[3],        "--state-dir", cfg->state_dir, "--log-max",
                            smax,         "--log-files", sfiles};
    size_t n = 18;
    if (fds[2] >= 0 && cfg->termination_path) {
        argv[n++] = "--term-path";
        argv[n++] = cfg->termination_path;
    }
    if (cfg->log_path) {
        argv[n++] = "--log";
        argv[n++] = cfg->log_path;
    }
    static char *const env[] = {NULL};
    for (int i = 0; i < 4; i++)
        set_inherit(fds[i], true);
    if (memfd >= 0)
        fexecve(memfd, (char *const *)argv, env);
    if (cfg->monitor_exe)
        execve(cfg->monitor_exe, (char *const *)argv, env);
    for (int i = 0; i < 4; i++)
        set_inherit(fds[i], false);
}

/* The monitor from here on: the small monitor program (re-exec'd) or, where it cannot be,
 * this process. fds: the workload's stdout and stderr, its root and mount namespace held. */
static _Noreturn void monitor_become(const struct sandbox_container_config *cfg, int memfd,
                                     pid_t child, const int fds[4])
{
    if (memfd >= 0 || cfg->monitor_exe)
        monitor_reexec(cfg, memfd, child, fds);
    struct sandbox_monitor_args a = {
        .pid = child,
        .out_fd = fds[0],
        .err_fd = fds[1],
        .state_dir = cfg->state_dir,
        .log_path = cfg->log_path,
        .log_max_size = cfg->log_max_size,
        .log_max_files = cfg->log_max_files,
        .term_root = fds[2],
        .term_mnt = fds[3],
        .term_path = cfg->termination_path,
    };
    _exit(sandbox_monitor_run(&a) < 0 ? 1 : 0);
}

/* The workload exec'd: hold its root and its mount namespace, so that its termination
 * message can be read once it has exited (its mounts, /dev among them, stay while the
 * namespace is held). Opened only now, after its pivot_root: never the host's root. */
static void term_open(const struct sandbox_container_config *cfg, pid_t child, int *root, int *mnt)
{
    char path[64];
    *root = *mnt = -1;
    if (!cfg->termination_path)
        return;
    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)child);
    *mnt = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof(path), "/proc/%d/root", (int)child);
    *root = *mnt >= 0 ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (*root < 0 && *mnt >= 0) {
        close(*mnt);
        *mnt = -1;
    }
}

static void pipes_close(struct pipes *p)
{
    int *all = &p->go[0];
    for (size_t i = 0; i < sizeof(*p) / sizeof(int); i++)
        if (all[i] >= 0) {
            close(all[i]);
            all[i] = -1;
        }
}

/* Close the other side's ends, once forked: the workload keeps what it reads (go, in) and the
 * ends it writes (err, out, serr, piv, tty); the monitor the opposite ends. */
static void pipes_keep(struct pipes *p, bool workload)
{
    int(*const read_by_workload[])[2] = {&p->go, &p->in};
    int(*const written_by_workload[])[2] = {&p->err, &p->out, &p->serr, &p->piv, &p->tty};
    for (size_t i = 0; i < TK_ARRAY_SIZE(read_by_workload); i++) {
        int *fd = &(*read_by_workload[i])[workload ? 1 : 0];
        if (*fd >= 0)
            close(*fd), *fd = -1;
    }
    for (size_t i = 0; i < TK_ARRAY_SIZE(written_by_workload); i++) {
        int *fd = &(*written_by_workload[i])[workload ? 0 : 1];
        if (*fd >= 0)
            close(*fd), *fd = -1;
    }
}

static int pipes_open(const struct sandbox_container_config *cfg, struct pipes *p)
{
    memset(p, 0xff, sizeof(*p));
    if (pipe2(p->go, O_CLOEXEC) < 0 || pipe2(p->err, O_CLOEXEC) < 0)
        return -errno;
    if (cfg->termination_path && pipe2(p->piv, O_CLOEXEC) < 0)
        return -errno;
    if (cfg->log_path && !cfg->tty &&
        (pipe2(p->out, O_CLOEXEC) < 0 || pipe2(p->serr, O_CLOEXEC) < 0))
        return -errno;
    if (cfg->stdin_open && !cfg->tty && pipe2(p->in, O_CLOEXEC) < 0)
        return -errno;
    if (cfg->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->tty) < 0)
        return -errno;
    return 0;
}

/* Checkpoint: tell the caller the pid, wait for its verdict, release the workload. Then wait
 * for the exec (EOF on the error pipe) or the failure record. */
static void term_open(const struct sandbox_container_config *cfg, pid_t child, int *root, int *mnt);

static void monitor_checkpoint(const struct sandbox_container_config *cfg, int sync,
                               struct pipes *p, pid_t child, int *term_root, int *term_mnt)
{
    struct sandbox_fail f = {0};
    struct sync_msg m = {.type = MSG_PID, .pid = child};
    int sent = spawn_send_msg(sync, &m);
    /* Without a ready hook there is nothing to wait for: the start goes on even when the
     * caller has gone meanwhile (its successor adopts the container from state_dir). */
    if (cfg->ready_hook && (sent < 0 || spawn_recv_msg(sync, &m, -1) <= 0 || m.type != MSG_GO)) {
        sandbox_fail(&f, SANDBOX_STAGE_HOOK, ECANCELED, "start aborted at the ready checkpoint");
        monitor_fail(cfg, sync, &f, child);
    }
    ssize_t n;
    char c;
    *term_root = *term_mnt = -1;
    if (p->piv[0] >= 0) { /* its root is built (EOF: it failed before) */
        do
            n = read(p->piv[0], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1)
            term_open(cfg, child, term_root, term_mnt);
    }
    do
        n = write(p->go[1], "g", 1);
    while (n < 0 && errno == EINTR);
    do
        n = read(p->err[0], &f, sizeof(f));
    while (n < 0 && errno == EINTR);
    if (n != 0) {
        if (n != (ssize_t)sizeof(f))
            sandbox_fail(&f, SANDBOX_STAGE_EXEC, EPROTO, "read the workload's status");
        monitor_fail(cfg, sync, &f, child);
    }
}

_Noreturn void spawn_monitor_main(const struct sandbox_container_config *cfg, int sync, int memfd)
{
    struct sandbox_fail f = {0};
    struct pipes p;
    setsid();
    sandbox_reset_signals();
    close_others(sync, memfd);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null >= 0; fd++)
        dup2(null, fd);
    if (null > 2)
        close(null);
    if (join_namespaces(cfg, &f) < 0)
        monitor_fail(cfg, sync, &f, 0);
    int r = pipes_open(cfg, &p);
    if (r < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, -r, "create pipes");
        monitor_fail(cfg, sync, &f, 0);
    }
    if (pid_namespace(cfg, &f) < 0)
        monitor_fail(cfg, sync, &f, 0);
    pid_t child = fork();
    if (child < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_CLONE, errno, "fork the workload");
        monitor_fail(cfg, sync, &f, 0);
    }
    if (child == 0) {
        close(sync);
        pipes_keep(&p, true);
        child_main(cfg, &p);
    }
    /* Only the monitor ignores SIGPIPE (a workload that died before reading the go byte
     * must not kill it); the workload keeps the default disposition through its exec. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);
    int outr = TAKE_FD(p.out[0]), errr = TAKE_FD(p.serr[0]);
    int term_root, term_mnt;
    pipes_keep(&p, false);
    monitor_checkpoint(cfg, sync, &p, child, &term_root, &term_mnt);
    if (cfg->tty) /* sent before the exec the checkpoint saw */
        outr = spawn_tty_recv(p.tty[0]);
    /* stdin_open: the write end stays open in this process (and its re-exec) for good. */
    int hold = TAKE_FD(p.in[1]);
    if (hold >= 0)
        fcntl(hold, F_SETFD, 0);
    pipes_close(&p);
    write_state(cfg, child);
    struct sync_msg ok = {.type = MSG_OK, .pid = child};
    spawn_send_msg(sync, &ok);
    close(sync);
    const int fds[4] = {outr, errr, term_root, term_mnt};
    monitor_become(cfg, memfd, child, fds);
}
