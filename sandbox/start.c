/*
 * Starting a container, the caller's side: checks and directories, the monitor's fork, the
 * ready checkpoint (the caller's hook between the workload's PID and its GO), the word of
 * the exec or of the failure, the deadline. The protocol is drawn in spawn.c, which holds
 * the monitor's and the workload's sides.
 */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/blob.h"
#include "sandbox/spawn-int.h"

static int start_fail(struct sandbox_container_result *res, struct tk_err *err,
                      const struct sandbox_fail *f)
{
    res->failed_stage = f->stage;
    res->failed_errno = f->err;
    return tk_err_set(err, -f->err, "%s", f->msg);
}

/* A start under way: the caller's end of the sync channel and what it learnt so far. */
struct sandbox_start {
    int sync;            /* SOCK_SEQPACKET, non-blocking */
    pid_t monitor;       /* a child of the caller */
    pid_t pid;           /* the workload once the monitor told it, else 0 */
    bool over;           /* exec'd or failed */
    int64_t deadline_ms; /* monotonic */
    char id[256];
    int (*ready_hook)(pid_t pid, void *data, struct tk_err *err);
    void *ready_data;
};

int sandbox_start_fd(const struct sandbox_start *s)
{
    return s->sync;
}

int64_t sandbox_start_deadline_ms(const struct sandbox_start *s)
{
    return s->deadline_ms;
}

static void start_kill(struct sandbox_start *s)
{
    if (s->pid > 0)
        kill(s->pid, SIGKILL); /* pid 1 of its namespace: everything in it goes */
    if (s->monitor > 0)
        kill(s->monitor, SIGKILL);
}

/* The monitor said pid: run the ready hook, then release or abort the workload. */
static int start_on_pid(struct sandbox_start *s, pid_t pid, struct sandbox_container_result *res,
                        struct tk_err *err)
{
    struct sandbox_fail f = {0};
    s->pid = res->pid = pid;
    if (!s->ready_hook)
        return 1; /* the monitor did not wait */
    struct tk_err herr = {0};
    struct sync_msg go = {.type = MSG_GO};
    if (s->ready_hook && s->ready_hook(pid, s->ready_data, &herr) < 0) {
        go.type = MSG_ABORT;
        spawn_send_msg(s->sync, &go);
        sandbox_fail(&f, SANDBOX_STAGE_HOOK, herr.code < 0 ? -herr.code : EIO, "ready hook");
        snprintf(f.msg, sizeof(f.msg), "ready hook: %s", herr.msg);
        return start_fail(res, err, &f);
    }
    if (spawn_send_msg(s->sync, &go) < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, EPIPE, "release the workload");
        return start_fail(res, err, &f);
    }
    return 1;
}

int sandbox_container_start_advance(struct sandbox_start *s, struct sandbox_container_result *res,
                                    struct tk_err *err)
{
    struct sandbox_fail f = {0};
    if (s->over)
        return tk_err_set(err, -EINVAL, "start '%s': already over", s->id);
    for (;;) {
        struct sync_msg m;
        ssize_t n;
        do
            n = recv(s->sync, &m, sizeof(m), MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (tk_now_monotonic_ms() < s->deadline_ms)
                return 1;
            s->over = true;
            start_kill(s);
            sandbox_fail(&f, SANDBOX_STAGE_SETUP, ETIMEDOUT,
                         "start '%s': no word from the monitor in %d s", s->id,
                         SANDBOX_START_TIMEOUT_MS / 1000);
            return start_fail(res, err, &f);
        }
        if (n <= 0 || (size_t)n != sizeof(m)) {
            s->over = true;
            start_kill(s);
            sandbox_fail(&f, SANDBOX_STAGE_SETUP,
                         n < 0    ? errno
                         : n == 0 ? EPIPE
                                  : EPROTO,
                         "start '%s': no word from the monitor", s->id);
            return start_fail(res, err, &f);
        }
        switch (m.type) {
        case MSG_OK:
            s->over = true;
            return 0;
        case MSG_FAIL:
            s->over = true;
            m.fail.msg[sizeof(m.fail.msg) - 1] = '\0';
            return start_fail(res, err, &m.fail);
        case MSG_PID: {
            int r = start_on_pid(s, m.pid, res, err);
            if (r < 0) {
                s->over = true;
                return r;
            }
            break;
        }
        default:
            break;
        }
    }
}

void sandbox_start_free(struct sandbox_start *s, int kill_it)
{
    if (!s)
        return;
    if (!s->over && kill_it)
        start_kill(s);
    close(s->sync);
    free(s);
}

/* Everything before the fork: checks, directories, stale state, the sync channel. */
static int start_prepare(const struct sandbox_container_config *cfg, int sv[2],
                         struct sandbox_container_result *res, struct tk_err *err)
{
    struct sandbox_fail f = {0};
    if (!cfg->id || !cfg->argv || !cfg->argv[0] || !cfg->state_dir) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, EINVAL,
                     "start container: id, argv and state_dir "
                     "are required");
        return start_fail(res, err, &f);
    }
    int r = tk_mkdir_p(cfg->state_dir, 0700);
    if (r < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, -r, "create '%s'", cfg->state_dir);
        return start_fail(res, err, &f);
    }
    char path[PATH_MAX];
    if (cfg->log_path) {
        snprintf(path, sizeof(path), "%s", cfg->log_path);
        char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            *slash = '\0';
            r = tk_mkdir_p(path, 0700);
            if (r < 0) {
                sandbox_fail(&f, SANDBOX_STAGE_SETUP, -r, "create '%s'", path);
                return start_fail(res, err, &f);
            }
        }
    }
    snprintf(path, sizeof(path), "%s/exit", cfg->state_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/state", cfg->state_dir);
    unlink(path);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, errno, "create the sync socket");
        return start_fail(res, err, &f);
    }
    return 0;
}

int sandbox_container_start_begin(const struct sandbox_container_config *cfg,
                                  struct sandbox_start **out, struct sandbox_container_result *res,
                                  struct tk_err *err)
{
    struct sandbox_fail f = {0};
    *out = NULL;
    *res = (struct sandbox_container_result){.monitor_pidfd = -1};
    struct sandbox_start *s = calloc(1, sizeof(*s));
    if (!s) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, ENOMEM, "start '%s'", cfg->id ? cfg->id : "?");
        return start_fail(res, err, &f);
    }
    int sv[2];
    int r = start_prepare(cfg, sv, res, err);
    if (r < 0) {
        free(s);
        return r;
    }
    int memfd = sandbox_blob_memfd(SANDBOX_BLOB_MONITOR);
    sandbox_seccomp_precompile(cfg);
    pid_t pid = fork();
    if (pid < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, errno, "fork the monitor");
        close(sv[0]);
        close(sv[1]);
        free(s);
        return start_fail(res, err, &f);
    }
    if (pid == 0) {
        close(sv[0]);
        spawn_monitor_main(cfg, sv[1], memfd);
    }
    close(sv[1]);
    res->monitor_pid = pid;
    long pfd = syscall(SYS_pidfd_open, pid, 0);
    res->monitor_pidfd = pfd >= 0 ? (int)pfd : -1; /* pidfds are close-on-exec */
    s->sync = sv[0];
    s->monitor = pid;
    s->deadline_ms = tk_now_monotonic_ms() + SANDBOX_START_TIMEOUT_MS;
    snprintf(s->id, sizeof(s->id), "%s", cfg->id);
    s->ready_hook = cfg->ready_hook;
    s->ready_data = cfg->ready_data;
    *out = s;
    return 0;
}

int sandbox_container_start(const struct sandbox_container_config *cfg,
                            struct sandbox_container_result *res, struct tk_err *err)
{
    struct sandbox_start *s;
    int r = sandbox_container_start_begin(cfg, &s, res, err);
    if (r < 0)
        return r;
    int perr = 0;
    while ((r = sandbox_container_start_advance(s, res, err)) == 1) {
        int64_t left = s->deadline_ms - tk_now_monotonic_ms();
        struct pollfd p = {.fd = s->sync, .events = POLLIN};
        if (poll(&p, 1, left < 0 ? 0 : (int)left) < 0 && errno != EINTR) {
            perr = errno;
            break;
        }
    }
    sandbox_start_free(s, r == 1);
    if (r == 1) {
        struct sandbox_fail f = {0};
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, perr, "start '%s': wait for the monitor", cfg->id);
        return start_fail(res, err, &f);
    }
    return r;
}
