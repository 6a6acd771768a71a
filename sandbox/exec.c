/* One way into a running container: the caller's side. See exec.h; the helper's side is
 * exec_helper.c. */
#include "sandbox/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "sandbox/blob.h"
#include "sandbox/cgroup.h"
#include "sandbox/exec-int.h"

/* A sanitized build forks the helper: AddressSanitizer does not follow vfork() reliably. */
#if defined(__SANITIZE_ADDRESS__)
#define TK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TK_ASAN 1
#endif
#endif
#ifdef TK_ASAN
static const bool use_vfork = false;
#else
static const bool use_vfork = true;
#endif

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

/* The helper's argv (exec_helper.c): strings of the caller's, of cgroups, and numbers written
 * into nums. */
static char **helper_argv(const char *state_dir, const struct sandbox_exec_config *cfg, pid_t wpid,
                          const struct tk_buf *cgroups, char nums[5][24])
{
    size_t n = 16, k = 0;
    for (size_t o = 0; o < cgroups->len; o += strlen(cgroups->s + o) + 1)
        n += 2;
    for (char *const *e = cfg->env; e && *e; e++)
        n += 2;
    for (char *const *a = cfg->argv; *a; a++)
        n++;
    char **v = calloc(n, sizeof(char *));
    if (!v)
        return NULL;
    const long num[5] = {getpid(), wpid, cfg->tty, cfg->rows, cfg->cols};
    const char *opt[5] = {"-p", "-w", "-t", "-r", "-c"};
    v[k++] = "tank-exec", v[k++] = "-s", v[k++] = (char *)state_dir;
    for (int i = 0; i < 5; i++) {
        snprintf(nums[i], sizeof(nums[i]), "%ld", num[i]);
        v[k++] = (char *)opt[i], v[k++] = nums[i];
    }
    for (size_t o = 0; o < cgroups->len; o += strlen(cgroups->s + o) + 1)
        v[k++] = "-g", v[k++] = cgroups->s + o;
    for (char *const *e = cfg->env; e && *e; e++)
        v[k++] = "-e", v[k++] = *e;
    v[k++] = "--";
    for (char *const *a = cfg->argv; *a; a++)
        v[k++] = *a;
    return v;
}

/* In the (v)forked child: the helper's fds in place (0, 1, 2 stdio, 3 channel, 4 pidfd). */
static int helper_fds(const struct sandbox_exec_config *cfg, int chan, int pidfd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int want[5] = {cfg->tty ? -1 : cfg->in_fd, cfg->tty ? -1 : cfg->out_fd,
                   cfg->tty ? -1 : cfg->err_fd, chan, pidfd};
    int tmp[5];
    for (int i = 0; i < 5; i++) {
        int src = want[i] >= 0 ? want[i] : null;
        if (src < 0 || (tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, 10)) < 0)
            return -1;
    }
    for (int i = 0; i < 5; i++)
        if (dup2(tmp[i], i) < 0)
            return -1;
    return 0;
}

/* Start the helper: vfork and execve the embedded program (the caller waits only for the
 * execve), or where that cannot be, fork and run the same code in the copy. */
static pid_t helper_start(const struct sandbox_exec_config *cfg, char **argv, int chan, int pidfd)
{
    static char *const env[] = {NULL};
    int memfd = sandbox_blob_memfd(SANDBOX_BLOB_EXEC_HELPER);
    int argc = 0;
    while (argv[argc])
        argc++;
    pid_t pid = memfd >= 0 && use_vfork ? vfork() : fork();
    if (pid == 0) {
        if (helper_fds(cfg, chan, pidfd) < 0)
            _exit(126);
        if (memfd < 0)
            _exit(sandbox_exec_helper_main(argc, argv));
        fexecve(memfd, argv, env);
        struct xmsg m = {.type = XMSG_FAIL}; /* (say why on the channel, now fd 3) */
        sandbox_fail(&m.fail, SANDBOX_STAGE_EXEC, errno, "start the exec helper");
        sandbox_send_fd(EXEC_HELPER_CHAN, &m, sizeof(m), -1);
        _exit(126);
    }
    return pid;
}

int sandbox_container_exec(const char *state_dir, const struct sandbox_exec_config *cfg,
                           struct sandbox_exec *x, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf cgroups = TK_BUF_INIT;
    char nums[5][24];
    _cleanup_free_ char **argv = NULL;
    int sv[2] = {-1, -1}, pidfd;
    pid_t wpid = 0;
    *x = (struct sandbox_exec){.status_fd = -1, .pty_master = -1};
    int r = pidfd = workload_pidfd(state_dir, &wpid, err);
    if (r >= 0)
        r = sandbox_cgroup_dirs_like(wpid, &cgroups, err);
    if (r >= 0 && !(argv = helper_argv(state_dir, cfg, wpid, &cgroups, nums)))
        r = tk_err_set(err, -ENOMEM, "out of memory");
    if (r >= 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        r = tk_err_sys(err, -errno, "socketpair");
    if (r >= 0 && (x->pid = helper_start(cfg, argv, sv[1], pidfd)) < 0)
        r = tk_err_sys(err, -errno, "fork");
    if (sv[1] >= 0)
        close(sv[1]);
    if (r >= 0) {
        x->status_fd = sv[0];
        fcntl(x->status_fd, F_SETFL, O_NONBLOCK);
    } else if (sv[0] >= 0) {
        close(sv[0]);
    }
    if (pidfd >= 0)
        close(pidfd);
    return r < 0 ? r : 0;
}

static int xrecv(struct sandbox_exec *x)
{
    struct xmsg m;
    int fd;
    ssize_t n = sandbox_recv_fd(x->status_fd, &m, sizeof(m), &fd);
    if (n < 0)
        return n == -EAGAIN ? 1 : (int)n;
    if (fd >= 0 && n == (ssize_t)sizeof(m) && m.type == XMSG_PTY && x->pty_master < 0)
        x->pty_master = fd;
    else if (fd >= 0)
        close(fd);
    if (n == 0)
        return 0;
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
