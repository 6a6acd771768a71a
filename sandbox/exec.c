/* One way into a running container. See exec.h. */
#include "sandbox/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "sandbox/cgroup.h"
#include "sandbox/exec-int.h"
#include "sandbox/seccomp.h"

enum { XMSG_PID = 1, XMSG_FAIL, XMSG_PTY };

struct xmsg {
    int type;
    pid_t pid;
    struct sandbox_fail fail;
};

/* What the helper and the command need, made before the fork. */
struct exec_ctx {
    const struct sandbox_exec_config *cfg;
    struct sandbox_exec_info info;
    char **env; /* the container's environment with cfg->env over it */
    pid_t wpid, caller;
    int pidfd, chan, ns_flags;
};

static int xsend(int fd, const struct xmsg *m, int passfd)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (passfd >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passfd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(*m) ? 0 : -EPIPE;
}

/* Tell the caller why the command cannot run, and end (127: not found, else 126). */
static _Noreturn void exec_fail(int chan, const struct sandbox_fail *f)
{
    struct xmsg m = {.type = XMSG_FAIL, .fail = *f};
    xsend(chan, &m, -1);
    _exit(f->stage == SANDBOX_STAGE_EXEC && f->err == ENOENT ? 127 : 126);
}

/* The namespaces of pid other than ours (CLONE_NEW* flags). */
static int ns_differ(pid_t pid)
{
    static const struct {
        const char *name;
        int flag;
    } ns[] = {{"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID}, {"net", CLONE_NEWNET},
              {"uts", CLONE_NEWUTS},  {"ipc", CLONE_NEWIPC}, {"cgroup", CLONE_NEWCGROUP},
              {"user", CLONE_NEWUSER}};
    int flags = 0;
    for (size_t i = 0; i < TK_ARRAY_SIZE(ns); i++) {
        char a[64], b[64];
        struct stat sa, sb;
        snprintf(a, sizeof(a), "/proc/self/ns/%s", ns[i].name);
        snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, ns[i].name);
        if (stat(b, &sb) < 0)
            continue; /* a namespace type this kernel lacks */
        if (stat(a, &sa) < 0 || sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
            flags |= ns[i].flag;
    }
    return flags;
}

/* fds 0, 1, 2 of the command: a terminal of the container's, or the caller's fds. */
static int setup_tty(const struct exec_ctx *c, struct sandbox_fail *f)
{
    _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int unlock = 0;
    if (m < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "open the container's /dev/ptmx");
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "unlock the pty");
    _cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "open the pty");
    if (c->cfg->rows && c->cfg->cols) {
        struct winsize ws = {.ws_row = c->cfg->rows, .ws_col = c->cfg->cols};
        ioctl(s, TIOCSWINSZ, &ws);
    }
    if (ioctl(s, TIOCSCTTY, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "make the pty the controlling terminal");
    struct xmsg msg = {.type = XMSG_PTY};
    if (xsend(c->chan, &msg, m) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, EPIPE, "pass the pty");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(s, fd) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "dup the pty");
    return 0;
}

static int setup_stdio(const struct exec_ctx *c, struct sandbox_fail *f)
{
    if (c->cfg->tty)
        return setup_tty(c, f);
    int want[3] = {c->cfg->in_fd, c->cfg->out_fd, c->cfg->err_fd}, tmp[3];
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++) {
        int src = want[i] >= 0 ? want[i] : null;
        if (src < 0 || (tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, 10)) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETUP, src < 0 ? errno : errno, "set up stdio");
    }
    for (int i = 0; i < 3; i++)
        if (dup2(tmp[i], i) < 0 || close(tmp[i]) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "set up stdio");
    return 0;
}

/* In the container's PID namespace: become what the workload became, then exec. */
static _Noreturn void command_main(const struct exec_ctx *c)
{
    struct sandbox_fail f = {0};
    const struct sandbox_exec_info *in = &c->info;
    struct sandbox_container_config cc = {
        .id = in->id,
        .argv = c->cfg->argv,
        .env = c->env,
        .cwd = in->cwd,
        .uid = in->uid,
        .gid = in->gid,
        .groups = in->groups,
        .n_groups = in->n_groups,
        .no_new_privs = in->no_new_privs,
    };
    char path[PATH_MAX];
    if (setsid() < 0)
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, errno, "setsid");
    else if (sandbox_keyring_join(&cc, &f) < 0)
        ;
    else if ((c->ns_flags & CLONE_NEWUSER) && setns(c->pidfd, CLONE_NEWUSER) < 0)
        sandbox_fail(&f, SANDBOX_STAGE_SETNS, errno, "join the container's user namespace");
    else if (!cc.no_new_privs && sandbox_seccomp_apply(in->filter, &f) < 0)
        ;
    else if (sandbox_user_caps_apply(&cc, in->caps, &f) < 0 || setup_stdio(c, &f) < 0)
        ;
    else if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, errno, "set the parent-death signal");
    else if (chdir(cc.cwd) < 0)
        sandbox_fail(&f, SANDBOX_STAGE_CWD, errno, "chdir '%s'", cc.cwd);
    else if (sandbox_find_exec(&cc, path, sizeof(path), &f) < 0)
        ;
    else if (cc.no_new_privs && sandbox_seccomp_apply(in->filter, &f) < 0)
        ;
    else {
        execve(path, cc.argv, cc.env);
        sandbox_fail(&f, SANDBOX_STAGE_EXEC, errno, "exec %s", path);
    }
    exec_fail(c->chan, &f);
}

/* Close every fd above 2 but the n in keep (which the command needs). */
static void close_all_but(const int *keep, size_t n)
{
    int from = 3;
    for (;;) {
        int next = INT_MAX;
        for (size_t i = 0; i < n; i++)
            if (keep[i] >= from && keep[i] < next)
                next = keep[i];
        if (next == INT_MAX)
            break;
        if (next > from)
            syscall(SYS_close_range, from, next - 1, 0);
        from = next + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

static int command_entry(void *arg)
{
    command_main(arg);
}

/* The command, in the PID namespace the helper joined: a vfork-like clone that shares the
 * helper's memory (and stops it) until its execve, so the agent-sized address space the
 * helper inherited is never copied again (page tables, copy-on-write faults, teardown: most
 * of an exec probe's cost); a plain fork where it must join a user namespace, which a task
 * sharing its memory cannot, and in a sanitized build. */
#if defined(__SANITIZE_ADDRESS__)
#define TK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TK_ASAN 1
#endif
#endif
#ifdef TK_ASAN
/* AddressSanitizer cannot follow a task onto a stack it did not allocate (it warns on the
 * command's stderr): a sanitized build forks. */
static const bool vfork_clone = false;
#else
static const bool vfork_clone = true;
#endif

static pid_t spawn_command(const struct exec_ctx *c)
{
    const size_t size = 256 * 1024;
    if ((c->ns_flags & CLONE_NEWUSER) || !vfork_clone) {
        pid_t pid = fork();
        if (pid == 0)
            command_main(c);
        return pid;
    }
    void *stack =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    pid_t pid =
        clone(command_entry, (char *)stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)c);
    int e = errno;
    munmap(stack, size); /* the child exec'd or ended: its stack is ours again */
    errno = e;
    return pid;
}

/* Outside the container's PID namespace: join its cgroups and namespaces, spawn the command,
 * wait for it and exit with its status. */
static _Noreturn void helper_main(const struct exec_ctx *c)
{
    struct sandbox_fail f = {0};
    struct tk_err e = {0};
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != c->caller)
        _exit(126);
    sandbox_reset_signals();
    int keep[] = {c->chan, c->pidfd, c->cfg->in_fd, c->cfg->out_fd, c->cfg->err_fd};
    close_all_but(keep, c->cfg->tty ? 2 : TK_ARRAY_SIZE(keep));
    if (sandbox_cgroup_join_like(c->wpid, getpid(), &e) < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, 0, "%s", e.msg);
        exec_fail(c->chan, &f);
    }
    int flags = c->ns_flags & ~CLONE_NEWUSER;
    if (flags && setns(c->pidfd, flags) < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETNS, errno, "join the container's namespaces");
        exec_fail(c->chan, &f);
    }
    pid_t pid = spawn_command(c);
    if (pid < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_CLONE, errno, "fork");
        exec_fail(c->chan, &f);
    }
    struct xmsg m = {.type = XMSG_PID, .pid = pid};
    xsend(c->chan, &m, -1);
    close(c->chan);
    close(c->pidfd);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            _exit(126);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The container's environment with extra over it (and TERM for a terminal). */
static int merge_env(struct exec_ctx *c)
{
    size_t n = 0, k = 0;
    for (char **e = c->info.env; *e; e++)
        n++;
    for (char *const *e = c->cfg->env; e && *e; e++)
        n++;
    c->env = calloc(n + 2, sizeof(char *));
    if (!c->env)
        return -ENOMEM;
    for (char **e = c->info.env; *e; e++) {
        size_t kl = strcspn(*e, "=");
        bool over = false;
        for (char *const *x = c->cfg->env; x && *x && !over; x++)
            over = !strncmp(*x, *e, kl + 1);
        if (!over)
            c->env[k++] = *e;
    }
    for (char *const *e = c->cfg->env; e && *e; e++)
        c->env[k++] = *e;
    bool term = false;
    for (size_t i = 0; i < k; i++)
        term |= !strncmp(c->env[i], "TERM=", 5);
    if (c->cfg->tty && !term)
        c->env[k++] = "TERM=xterm";
    return 0;
}

/* A pidfd of the running workload of state_dir, checked against its recorded start time. */
static int workload_pidfd(const char *state_dir, pid_t *pid, struct tk_err *err)
{
    struct sandbox_container_state st, again;
    int r = sandbox_container_state(state_dir, &st, err);
    if (r < 0)
        return r == -ENOENT ? tk_err_set(err, -ESRCH, "container is not running") : r;
    if (!st.running)
        return tk_err_set(err, -ESRCH, "container is not running");
    int fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
    if (fd < 0)
        return tk_err_set(err, -ESRCH, "container is not running");
    /* The pidfd pins the pid: the workload is still the one recorded if the state says so. */
    if (sandbox_container_state(state_dir, &again, NULL) < 0 || !again.running ||
        again.pid != st.pid) {
        close(fd);
        return tk_err_set(err, -ESRCH, "container is not running");
    }
    *pid = st.pid;
    return fd;
}

int sandbox_container_exec(const char *state_dir, const struct sandbox_exec_config *cfg,
                           struct sandbox_exec *x, struct tk_err *err)
{
    struct exec_ctx c = {.cfg = cfg, .caller = getpid(), .pidfd = -1};
    int sv[2] = {-1, -1};
    *x = (struct sandbox_exec){.status_fd = -1, .pty_master = -1};
    int r = sandbox_exec_info_read(state_dir, &c.info, err);
    if (r >= 0 && (r = workload_pidfd(state_dir, &c.wpid, err)) >= 0)
        c.pidfd = r;
    if (r >= 0 && (r = merge_env(&c)) < 0)
        tk_err_set(err, r, "out of memory");
    if (r >= 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        r = tk_err_sys(err, -errno, "socketpair");
    if (r >= 0) {
        sandbox_cgroup_join_warm(); /* the helper's fork inherits what it read */
        c.ns_flags = ns_differ(c.wpid);
        c.chan = sv[1];
        x->pid = fork();
        if (x->pid == 0) {
            close(sv[0]);
            helper_main(&c);
        }
        if (x->pid < 0)
            r = tk_err_sys(err, -errno, "fork");
    }
    if (sv[1] >= 0)
        close(sv[1]);
    if (r >= 0) {
        x->status_fd = sv[0];
        fcntl(x->status_fd, F_SETFL, O_NONBLOCK);
    } else if (sv[0] >= 0) {
        close(sv[0]);
    }
    if (c.pidfd >= 0)
        close(c.pidfd);
    free(c.env);
    sandbox_exec_info_free(&c.info);
    return r < 0 ? r : 0;
}

static int xrecv(struct sandbox_exec *x)
{
    struct xmsg m;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n;
    do
        n = recvmsg(x->status_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN ? 1 : -errno;
    if (n == 0)
        return 0;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm && cm->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
        if (m.type == XMSG_PTY && x->pty_master < 0)
            x->pty_master = fd;
        else
            close(fd);
    }
    if (n != (ssize_t)sizeof(m))
        return -EPROTO;
    if (m.type == XMSG_PID)
        x->cmd_pid = m.pid;
    if (m.type == XMSG_FAIL && !x->failed) {
        x->failed = m.fail.err ? m.fail.err : EINVAL;
        snprintf(x->msg, sizeof(x->msg), "%.*s", (int)sizeof(m.fail.msg) - 1, m.fail.msg);
    }
    return 2;
}

int sandbox_exec_advance(struct sandbox_exec *x)
{
    int r;
    while (!x->over && (r = xrecv(x)) != 1) {
        if (r <= 0) {
            x->over = 1;
            if (r < 0 && !x->failed) {
                x->failed = -r;
                snprintf(x->msg, sizeof(x->msg), "read the exec channel: %s", strerror(-r));
            }
        }
    }
    if (!x->over)
        return 1;
    return x->failed ? -x->failed : 0;
}

int sandbox_exec_started(struct sandbox_exec *x, int timeout_ms)
{
    int r;
    while ((r = sandbox_exec_advance(x)) == 1) {
        struct pollfd p = {.fd = x->status_fd, .events = POLLIN};
        int n = poll(&p, 1, timeout_ms);
        if (n == 0)
            return -ETIMEDOUT;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
    return r;
}

/* Session id of a process (host view), -1 when unknown. */
static pid_t session_of(const char *pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    int sid;
    /* ") S ppid pgrp session" */
    if (!p || sscanf(p + 1, " %*c %*d %*d %d", &sid) != 1)
        return -1;
    return sid;
}

void sandbox_exec_kill(const struct sandbox_exec *x)
{
    if (x->cmd_pid > 0) {
        kill(x->cmd_pid, SIGKILL);
        _cleanup_closedir_ DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
            int pid;
            if (sscanf(de->d_name, "%d", &pid) == 1 && session_of(de->d_name) == x->cmd_pid)
                kill((pid_t)pid, SIGKILL);
        }
    }
    if (x->pid > 0)
        kill(x->pid, SIGKILL);
}

void sandbox_exec_free(struct sandbox_exec *x)
{
    if (x->status_fd >= 0)
        close(x->status_fd);
    if (x->pty_master >= 0)
        close(x->pty_master);
    x->status_fd = x->pty_master = -1;
}
