#include "base/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"

/* The child's side: run fn, send the record, exit. Never returns. */
static _Noreturn void child_main(tk_child_fn fn, void *arg, int fd, size_t out_size, unsigned flags,
                                 pid_t parent)
{
    if ((flags & TK_CHILD_PDEATHSIG) &&
        (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
        _exit(1);
    struct tk_err e = {0};
    void *out = out_size ? calloc(1, out_size) : NULL;
    int r = out_size && !out ? tk_err_set(&e, -ENOMEM, "out of memory") : fn(arg, fd, out, &e);
    if (r < 0 && !e.code)
        tk_err_sys(&e, r, "child step");
    if (r >= 0)
        e.code = 0;
    if (tk_write_all(fd, &e, sizeof(e)) < 0 || (out_size && tk_write_all(fd, out, out_size) < 0))
        _exit(1);
    _exit(r < 0 ? 1 : 0);
}

int tk_child_begin(struct tk_child *c, tk_child_fn fn, void *arg, size_t out_size, unsigned flags,
                   struct tk_err *err)
{
    int p[2];
    c->pid = 0;
    c->fd = -1;
    int r = flags & TK_CHILD_SOCKET ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)
                                    : pipe2(p, O_CLOEXEC);
    if (r < 0)
        return tk_err_sys(err, -errno, "create the channel to a child");
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(p[0]);
        close(p[1]);
        return tk_err_sys(err, e, "fork");
    }
    if (pid == 0) {
        close(p[0]);
        child_main(fn, arg, p[1], out_size, flags, parent);
    }
    close(p[1]);
    c->pid = pid;
    c->fd = p[0];
    return 0;
}

int tk_child_wait(struct tk_child *c)
{
    int status = 0;
    pid_t r;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->pid <= 0)
        return -ECHILD;
    while ((r = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    c->pid = 0;
    return r < 0 ? -errno : status;
}

int tk_child_end(struct tk_child *c, void *out, size_t out_size, const char *what,
                 struct tk_err *err)
{
    struct tk_err e = {0};
    size_t got = c->fd >= 0 ? tk_read_full(c->fd, &e, sizeof(e)) : 0;
    void *tmp = out_size ? calloc(1, out_size) : NULL;
    size_t got_out = got == sizeof(e) && out_size && tmp ? tk_read_full(c->fd, tmp, out_size) : 0;
    int status = tk_child_wait(c);
    int r = 0;
    if (got == sizeof(e) && e.code < 0) {
        e.msg[sizeof(e.msg) - 1] = '\0';
        r = tk_err_set(err, e.code, "%s", e.msg);
    } else if (out_size && !tmp) {
        r = tk_err_set(err, -ENOMEM, "%s: out of memory", what);
    } else if (got != sizeof(e) || got_out != out_size || status < 0 || !WIFEXITED(status) ||
               WEXITSTATUS(status) != 0) {
        if (status >= 0 && WIFSIGNALED(status))
            r = tk_err_set(err, -EIO, "%s failed (signal %d)", what, WTERMSIG(status));
        else
            r = tk_err_set(err, -EIO, "%s failed (exit status %d)", what,
                           status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else if (out_size) {
        memcpy(out, tmp, out_size);
    }
    free(tmp);
    return r;
}

int tk_child_end_by(struct tk_child *c, int64_t deadline_ms, int limit_s, const char *what,
                    struct tk_err *err)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    bool late = false;
    if (poll(&p, 1, 0) == 0) {
        if (tk_now_monotonic_ms() < deadline_ms)
            return 1;
        late = true;
        kill(c->pid, SIGKILL);
    }
    int r = tk_child_end(c, NULL, 0, what, err);
    if (late)
        r = tk_err_set(err, -ETIMEDOUT, "%s did not finish in %d s", what, limit_s);
    return r;
}

int tk_child_run(tk_child_fn fn, void *arg, void *out, size_t out_size, unsigned flags,
                 const char *what, struct tk_err *err)
{
    struct tk_child c;
    int r = tk_child_begin(&c, fn, arg, out_size, flags, err);
    return r < 0 ? tk_err_wrap(err, "%s", what) : tk_child_end(&c, out, out_size, what, err);
}

void tk_child_kill(struct tk_child *c)
{
    if (c->pid > 0)
        kill(c->pid, SIGKILL);
    tk_child_wait(c);
}
