#include "agent/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"

struct fd_reg {
    loop_fd_fn fn;
    void *data;
    uint32_t gen; /* bumped on every add/del, so a stale event is recognised */
    bool active;
};

struct timer {
    uint64_t id;
    int64_t when; /* monotonic ms */
    loop_timer_fn fn;
    void *data;
};

struct loop {
    int epfd;
    struct fd_reg *fds;
    size_t n_fds;
    struct timer *timers;
    size_t n_timers, cap_timers;
    uint64_t next_id;
    int64_t now;
    bool stop;
    int sigfd;
    loop_signal_fn sig_fn;
    void *sig_data;
};

struct loop *loop_new(void)
{
    struct loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        int e = errno;
        free(l);
        errno = e;
        return NULL;
    }
    l->sigfd = -1;
    l->next_id = 1;
    l->now = tk_now_monotonic_ms();
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    if (l->sigfd >= 0)
        close(l->sigfd);
    close(l->epfd);
    free(l->fds);
    free(l->timers);
    free(l);
}

int64_t loop_now_ms(struct loop *l)
{
    return l->now;
}

static int grow_fds(struct loop *l, int fd)
{
    if ((size_t)fd < l->n_fds)
        return 0;
    size_t n = l->n_fds ? l->n_fds : 64;
    while (n <= (size_t)fd)
        n *= 2;
    struct fd_reg *r = realloc(l->fds, n * sizeof(*r));
    if (!r)
        return -ENOMEM;
    memset(r + l->n_fds, 0, (n - l->n_fds) * sizeof(*r));
    l->fds = r;
    l->n_fds = n;
    return 0;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *data)
{
    if (fd < 0)
        return -EBADF;
    int r = grow_fds(l, fd);
    if (r < 0)
        return r;
    struct fd_reg *reg = &l->fds[fd];
    if (reg->active)
        return -EEXIST;
    reg->gen++;
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)reg->gen << 32 | (uint32_t)fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    reg->fn = fn;
    reg->data = data;
    reg->active = true;
    return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->n_fds || !l->fds[fd].active)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->fds[fd].active = false;
    l->fds[fd].gen++;
}

uint64_t loop_add_timer(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *data)
{
    if (l->n_timers == l->cap_timers) {
        size_t n = l->cap_timers ? l->cap_timers * 2 : 16;
        struct timer *t = realloc(l->timers, n * sizeof(*t));
        if (!t)
            return 0;
        l->timers = t;
        l->cap_timers = n;
    }
    if (delay_ms < 0)
        delay_ms = 0;
    uint64_t id = l->next_id++;
    l->timers[l->n_timers++] =
        (struct timer){.id = id, .when = tk_now_monotonic_ms() + delay_ms, .fn = fn, .data = data};
    return id;
}

static struct timer *find_timer(struct loop *l, uint64_t id)
{
    for (size_t i = 0; i < l->n_timers; i++)
        if (l->timers[i].id == id)
            return &l->timers[i];
    return NULL;
}

void loop_del_timer(struct loop *l, uint64_t id)
{
    struct timer *t = id ? find_timer(l, id) : NULL;
    if (!t)
        return;
    *t = l->timers[--l->n_timers];
}

static void on_signal(struct loop *l, int fd, uint32_t events, void *data)
{
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        if (l->sig_fn)
            l->sig_fn(l, (int)si.ssi_signo, l->sig_data);
}

int loop_set_signals(struct loop *l, const sigset_t *set, loop_signal_fn fn, void *data)
{
    if (l->sigfd >= 0)
        return -EEXIST;
    if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
        return -errno;
    int fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    int r = loop_add_fd(l, fd, EPOLLIN, on_signal, NULL);
    if (r < 0) {
        close(fd);
        return r;
    }
    l->sigfd = fd;
    l->sig_fn = fn;
    l->sig_data = data;
    return 0;
}

struct child_watch {
    pid_t pid;
    loop_child_fn fn;
    void *data;
};

static void on_child(struct loop *l, int fd, uint32_t events, void *data)
{
    struct child_watch *c = data;
    int status = 0;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == 0)
        return; /* not yet: spurious wakeup */
    if (r < 0)
        status = W_EXITCODE(255, 0); /* reaped elsewhere: unknown status */
    loop_del_fd(l, fd);
    close(fd);
    struct child_watch copy = *c;
    free(c);
    copy.fn(l, copy.pid, status, copy.data);
}

int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn fn, void *data)
{
    struct child_watch *c = malloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    *c = (struct child_watch){.pid = pid, .fn = fn, .data = data};
    int fd = pidfd_open(pid, 0);
    if (fd < 0) {
        int e = -errno;
        free(c);
        return e;
    }
    int r = loop_add_fd(l, fd, EPOLLIN, on_child, c);
    if (r < 0) {
        close(fd);
        free(c);
    }
    return r;
}

/* Milliseconds until the earliest timer, -1 when none, capped by timeout (-1 = none). */
static int next_timeout(struct loop *l, int timeout)
{
    if (!l->n_timers)
        return timeout;
    int64_t min = l->timers[0].when;
    for (size_t i = 1; i < l->n_timers; i++)
        if (l->timers[i].when < min)
            min = l->timers[i].when;
    int64_t d = min - tk_now_monotonic_ms();
    if (d < 0)
        d = 0;
    if (d > 24 * 3600 * 1000)
        d = 24 * 3600 * 1000;
    if (timeout >= 0 && d > timeout)
        d = timeout;
    return (int)d;
}

/* Run the timers due now; timers added by callbacks wait for the next round. */
static int run_timers(struct loop *l)
{
    int ran = 0;
    uint64_t limit = l->next_id;
    for (;;) {
        struct timer *due = NULL;
        for (size_t i = 0; i < l->n_timers; i++)
            if (l->timers[i].id < limit && l->timers[i].when <= l->now &&
                (!due || l->timers[i].when < due->when))
                due = &l->timers[i];
        if (!due)
            return ran;
        uint64_t id = due->id;
        loop_timer_fn fn = due->fn;
        void *data = due->data;
        /* Mark as not due until the callback decides. */
        due->when = INT64_MAX;
        int64_t next = fn(l, id, data);
        ran++;
        struct timer *t = find_timer(l, id);
        if (!t)
            continue;
        if (next < 0)
            loop_del_timer(l, id);
        else
            t->when = tk_now_monotonic_ms() + next;
    }
}

int loop_run_once(struct loop *l, int timeout_ms)
{
    struct epoll_event evs[64];
    int n = epoll_wait(l->epfd, evs, 64, next_timeout(l, timeout_ms));
    if (n < 0 && errno != EINTR)
        return -errno;
    l->now = tk_now_monotonic_ms();
    int ran = 0;
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)evs[i].data.u64;
        uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
        if ((size_t)fd >= l->n_fds || !l->fds[fd].active || l->fds[fd].gen != gen)
            continue;
        l->fds[fd].fn(l, fd, evs[i].events, l->fds[fd].data);
        ran++;
    }
    return ran + run_timers(l);
}

int loop_run(struct loop *l)
{
    l->stop = false;
    while (!l->stop) {
        int r = loop_run_once(l, -1);
        if (r < 0)
            return r;
    }
    return 0;
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}

int loop_spawn_self(char *const argv[], int out_fd, pid_t *pid)
{
    extern char **environ;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd >= 0 ? out_fd : 2, 1);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int r = posix_spawn(pid, "/proc/self/exe", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return -r;
}
