/*
 * The per-container monitor (its loop: CRI log, exit status) and the state-dir side of the
 * API (state, kill, stop, cleanup).
 */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"

#define LOG_LINE_MAX 16384
#define LOG_DEFAULT_MAX (10u << 20)
#define STOP_WAIT_MS 10000

/* ---- CRI log writer ---- */

struct log {
    int fd;
    const char *path;
    uint64_t size, max;
    unsigned files; /* files kept, the live one included (>= 2) */
};

struct stream {
    int fd;
    const char *name;
    size_t len;
    char buf[LOG_LINE_MAX];
};

/* A container's output may hold secrets: its log is 0600, or 0640 when its directory passes
 * a group on (set-group-ID: the agent's [agent] group), so that group may read it. */
static mode_t log_mode(const char *path)
{
    char dir[PATH_MAX];
    struct stat st;
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return slash && stat(dir, &st) == 0 && (st.st_mode & S_ISGID) ? 0640 : 0600;
}

static void log_open(struct log *l, int trunc)
{
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (trunc ? O_TRUNC : 0),
                 log_mode(l->path));
    struct stat st;
    l->size = (l->fd >= 0 && fstat(l->fd, &st) == 0) ? (uint64_t)st.st_size : 0;
}

/* At max bytes PATH.N-1 becomes PATH.N (the oldest, PATH.FILES-1, is replaced), ...,
 * PATH becomes PATH.1, and a new PATH starts: as the kubelet's containerLogMaxFiles. */
static void log_rotate(struct log *l)
{
    char from[PATH_MAX], to[PATH_MAX];
    if (l->fd >= 0)
        close(l->fd);
    for (unsigned i = l->files - 1; i > 1; i--) {
        snprintf(from, sizeof(from), "%s.%u", l->path, i - 1);
        snprintf(to, sizeof(to), "%s.%u", l->path, i);
        rename(from, to);
    }
    snprintf(to, sizeof(to), "%s.1", l->path);
    rename(l->path, to);
    log_open(l, 1);
}

static void log_record(struct log *l, const char *stream, char tag, const char *data, size_t len)
{
    if (!l->path)
        return;
    char head[80];
    tk_format_rfc3339nano(tk_now_realtime_ns(), head, 48);
    size_t hl = strlen(head);
    hl += (size_t)snprintf(head + hl, sizeof(head) - hl, " %s %c ", stream, tag);
    size_t total = hl + len + 1;
    if (l->size > 0 && l->size + total > l->max)
        log_rotate(l);
    if (l->fd < 0)
        return;
    struct iovec iov[3] = {{head, hl}, {(void *)data, len}, {"\n", 1}};
    ssize_t n;
    do
        n = writev(l->fd, iov, 3);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        l->size += (uint64_t)n;
}

/* Emit the complete lines in s->buf (F), or the whole buffer as a part (P) when it is full
 * or, at_eof, the rest. */
static void stream_flush(struct stream *s, struct log *l, int at_eof)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(s->buf + start, '\n', s->len - start);
        if (!nl)
            break;
        /* A line ends with "\n" or "\r\n" (a terminal's ONLCR): neither is logged, as
         * containerd's CRI logger reads lines. */
        size_t len = (size_t)(nl - (s->buf + start));
        if (len && nl[-1] == '\r')
            len--;
        log_record(l, s->name, 'F', s->buf + start, len);
        start = (size_t)(nl - s->buf) + 1;
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
    if (at_eof && s->len > 0) {
        log_record(l, s->name, 'F', s->buf, s->len);
        s->len = 0;
    } else if (s->len == sizeof(s->buf)) {
        /* a part ending in '\r' keeps it for the next one: it may be its line's "\r\n" */
        size_t keep = s->buf[s->len - 1] == '\r';
        log_record(l, s->name, 'P', s->buf, s->len - keep);
        memmove(s->buf, s->buf + s->len - keep, keep);
        s->len = keep;
    }
}

/* Read what is there; returns 0 at EOF (the stream is then closed). */
static int stream_read(struct stream *s, struct log *l)
{
    ssize_t n;
    do
        n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        stream_flush(s, l, 1);
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    s->len += (size_t)n;
    stream_flush(s, l, 0);
    return 1;
}

int sandbox_write_exit(const char *state_dir, int code, int sig, const char *message)
{
    char buf[1024], path[PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "exit_code=%d\nsignal=%d\nfinished_at=%lld\nmessage=", code,
                     sig, (long long)tk_now_realtime_ns());
    for (const char *m = message ? message : ""; *m && n < (int)sizeof(buf) - 2; m++)
        buf[n++] = (*m == '\n' || *m == '\r') ? ' ' : *m;
    buf[n++] = '\n';
    snprintf(path, sizeof(path), "%s/exit", state_dir);
    return tk_write_file_replace(path, buf, (size_t)n, 0644); /* run_dir */
}

/* ---- the termination message ---- */

/* File systems whose "regular files" are the kernel's, not the container's: never read from
 * them as the host's root (a link to /proc/kallsyms would show the host's addresses). */
static int kernel_fs(int fd)
{
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
        return 1;
    switch ((unsigned long)sfs.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case BPF_FS_MAGIC:
        return 1;
    default:
        return 0;
    }
}

int sandbox_read_in_root(int rootfd, const char *path, char *buf, size_t size)
{
    struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    if (size == 0)
        return -EINVAL;
    buf[0] = '\0';
    _cleanup_close_ int pfd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    if (pfd < 0)
        return -errno;
    struct stat st, st2;
    if (fstat(pfd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || kernel_fs(pfd))
        return -EPERM;
    /* Reopen what was resolved (never the path again: its fd's link in /proc, which names
     * that very file) for reading, O_NONBLOCK so that nothing could block the open. */
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
    _cleanup_close_ int fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st2) < 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev ||
        !S_ISREG(st2.st_mode))
        return -EPERM;
    /* Its end, as the kubelet reads it (at most size - 1 bytes, however large it is). */
    off_t from = st2.st_size > (off_t)(size - 1) ? st2.st_size - (off_t)(size - 1) : 0;
    size_t got = 0;
    while (got < size - 1) {
        ssize_t n = pread(fd, buf + got, size - 1 - got, from + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return (int)got;
}

/* The workload has exited (its mount namespace kept by a->term_mnt): keep its message. */
static void keep_termination_message(const struct sandbox_monitor_args *a)
{
    if (a->term_root < 0 || !a->term_path)
        return;
    static char msg[SANDBOX_TERM_MESSAGE_MAX + 1];
    char path[PATH_MAX];
    int n = sandbox_read_in_root(a->term_root, a->term_path, msg, sizeof(msg));
    snprintf(path, sizeof(path), "%s/" SANDBOX_TERM_MESSAGE_FILE, a->state_dir);
    if (n > 0)
        tk_write_file_replace(path, msg, (size_t)n, 0600); /* run_dir */
    close(a->term_root);
    if (a->term_mnt >= 0)
        close(a->term_mnt);
}

int sandbox_container_termination_message(const char *state_dir, char *buf, size_t size)
{
    char path[PATH_MAX];
    if (size == 0)
        return -EINVAL;
    buf[0] = '\0';
    snprintf(path, sizeof(path), "%s/" SANDBOX_TERM_MESSAGE_FILE, state_dir);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -EPERM;
    ssize_t n = read(fd, buf, size - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return (int)n;
}

/* The workload ended: log what its output holds now (at most 1 MiB more a stream: what it
 * left running may write on), then close it. */
static void streams_drain(struct stream *streams, struct log *l)
{
    for (int i = 0; i < 2; i++) {
        if (streams[i].fd < 0)
            continue;
        fcntl(streams[i].fd, F_SETFL, fcntl(streams[i].fd, F_GETFL) | O_NONBLOCK);
        for (int n = 0; n < 64 && streams[i].fd >= 0 && stream_read(&streams[i], l); n++)
            ;
        if (streams[i].fd >= 0) { /* still more: the rest is not the workload's */
            stream_flush(&streams[i], l, 1);
            close(streams[i].fd);
            streams[i].fd = -1;
        }
    }
}

int sandbox_monitor_run(const struct sandbox_monitor_args *a)
{
    static struct stream streams[2];
    struct log l = {.fd = -1,
                    .path = a->log_path,
                    .max = a->log_max_size ? a->log_max_size : LOG_DEFAULT_MAX,
                    .files = a->log_max_files >= 2 ? a->log_max_files : 2};
    streams[0].fd = a->out_fd;
    streams[0].name = "stdout";
    streams[1].fd = a->err_fd;
    streams[1].name = "stderr";
    if (l.path)
        log_open(&l, 0);
    /* The workload's end: in a PID namespace of its own it closes its output (all in it
     * goes), but in a shared or the host's one what it left running may hold its stdout or
     * its terminal open; the container ends with the workload, not with its output. */
    int exitfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
    for (;;) {
        struct pollfd p[3];
        int np = 0;
        for (int i = 0; i < 2; i++)
            if (streams[i].fd >= 0)
                p[np++] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
        if (np == 0)
            break;
        if (exitfd >= 0)
            p[np] = (struct pollfd){.fd = exitfd, .events = POLLIN};
        if (poll(p, (nfds_t)np + (exitfd >= 0), -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (exitfd >= 0 && p[np].revents) {
            streams_drain(streams, &l);
            break;
        }
        for (int i = 0, k = 0; i < 2; i++) {
            if (streams[i].fd < 0)
                continue;
            if (p[k++].revents)
                stream_read(&streams[i], &l);
        }
    }
    if (exitfd >= 0)
        close(exitfd);
    /* Look at the exit status without reaping, so the pid stays ours until the exit file
     * exists (sandbox_container_kill() relies on that). */
    siginfo_t si = {0};
    while (waitid(P_PID, (id_t)a->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    int code = si.si_status, sig = 0;
    if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
        sig = si.si_status;
        code = 128 + sig;
    }
    keep_termination_message(a);
    int r = sandbox_write_exit(a->state_dir, code, sig, NULL);
    while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (l.fd >= 0)
        close(l.fd);
    return r;
}

/* ---- reading the state dir ---- */

int sandbox_proc_start_time(pid_t pid, uint64_t *out)
{
    char path[64];
    _cleanup_free_ char *buf = NULL;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int r = tk_read_file(path, 4096, &buf, NULL);
    if (r < 0)
        return r;
    const char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -EINVAL;
    if (p[2] == 'Z' || p[2] == 'X')
        return -ESRCH; /* exited, not yet reaped */
    /* After "(comm)" come fields 3, 4, ...; starttime is field 22. */
    for (int field = 2; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -EINVAL;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + 1, &end, 10);
    if (errno || end == p + 1)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Value of "key=" in a key=value file body as a number; def when absent or bad. */
static long long kv_num(const char *body, const char *key, long long def)
{
    size_t kl = strlen(key);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) || p[kl] != '=')
            continue;
        char *end;
        errno = 0;
        long long v = strtoll(p + kl + 1, &end, 10);
        return (errno || end == p + kl + 1) ? def : v;
    }
    return def;
}

static int proc_matches(pid_t pid, long long start)
{
    uint64_t now;
    return pid > 0 && sandbox_proc_start_time(pid, &now) == 0 && (long long)now == start;
}

int sandbox_container_state(const char *state_dir, struct sandbox_container_state *st,
                            struct tk_err *err)
{
    _cleanup_free_ char *state = NULL, *ex = NULL;
    char path[PATH_MAX];
    *st = (struct sandbox_container_state){0};
    snprintf(path, sizeof(path), "%s/state", state_dir);
    int rs = tk_read_file(path, 4096, &state, NULL);
    snprintf(path, sizeof(path), "%s/exit", state_dir);
    int re = tk_read_file(path, 4096, &ex, NULL);
    if (rs < 0 && re < 0)
        return tk_err_sys(err, rs, "read container state in '%s'", state_dir);
    if (rs >= 0) {
        st->pid = (pid_t)kv_num(state, "pid", 0);
        st->monitor_pid = (pid_t)kv_num(state, "monitor_pid", 0);
        st->started_ns = kv_num(state, "started_at", 0);
        st->stop_signal = (int)kv_num(state, "stop_signal", SIGTERM);
        st->monitor_alive = proc_matches(st->monitor_pid, kv_num(state, "monitor_start", -1));
    }
    if (re >= 0) {
        st->exited = 1;
        st->exit_code = (int)kv_num(ex, "exit_code", 255);
        st->signal = (int)kv_num(ex, "signal", 0);
        st->finished_ns = kv_num(ex, "finished_at", 0);
        const char *m = strstr(ex, "message=");
        if (m) {
            m += 8;
            snprintf(st->message, sizeof(st->message), "%.*s", (int)strcspn(m, "\n"), m);
        }
    } else {
        st->running = proc_matches(st->pid, kv_num(state, "pid_start", -1));
    }
    return 0;
}

/* A pidfd for the pid recorded under key in state_dir/state, verified by its start time. */
static int open_recorded(const char *state_dir, const char *key, int need_running,
                         struct tk_err *err)
{
    _cleanup_free_ char *state = NULL;
    char path[PATH_MAX], skey[32];
    snprintf(path, sizeof(path), "%s/state", state_dir);
    int r = tk_read_file(path, 4096, &state, NULL);
    if (r < 0)
        return r == -ENOENT ? tk_err_set(err, -ESRCH, "'%s': not started", state_dir)
                            : tk_err_sys(err, r, "read '%s'", path);
    pid_t pid = (pid_t)kv_num(state, key, 0);
    snprintf(skey, sizeof(skey), "%s_start", strcmp(key, "pid") ? "monitor" : "pid");
    long pfd = pid > 0 ? syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pfd < 0)
        return tk_err_set(err, -ESRCH, "'%s': %s is gone", state_dir, key);
    /* The pidfd pins the process; now check it is the one we started and, for the workload,
     * that the monitor has not yet recorded its exit (until then it is not reaped). */
    snprintf(path, sizeof(path), "%s/exit", state_dir);
    if (!proc_matches(pid, kv_num(state, skey, -1)) || (need_running && access(path, F_OK) == 0)) {
        close((int)pfd);
        return tk_err_set(err, -ESRCH, "'%s': %s is gone", state_dir, key);
    }
    return (int)pfd;
}

int sandbox_monitor_pidfd(const char *state_dir, struct tk_err *err)
{
    return open_recorded(state_dir, "monitor_pid", 0, err);
}

int sandbox_container_kill(const char *state_dir, int sig, struct tk_err *err)
{
    _cleanup_close_ int pfd = open_recorded(state_dir, "pid", 1, err);
    if (pfd < 0)
        return pfd;
    if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0) {
        if (errno == ESRCH)
            return tk_err_set(err, -ESRCH, "'%s': the workload is gone", state_dir);
        return tk_err_sys(err, -errno, "signal %d to '%s'", sig, state_dir);
    }
    return 0;
}

static int wait_fd(int fd, int64_t ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t deadline = tk_now_monotonic_ms() + ms;
    for (;;) {
        int64_t left = deadline - tk_now_monotonic_ms();
        int r = poll(&p, 1, left < 0 ? 0 : (int)(left > INT32_MAX ? INT32_MAX : left));
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

int sandbox_container_stop(const char *state_dir, int sig, int64_t grace_ms, struct tk_err *err)
{
    struct sandbox_container_state st;
    int r = sandbox_container_state(state_dir, &st, err);
    if (r < 0)
        return r;
    _cleanup_close_ int wfd = open_recorded(state_dir, "pid", 1, NULL);
    _cleanup_close_ int mfd = open_recorded(state_dir, "monitor_pid", 0, NULL);
    if (wfd >= 0) {
        syscall(SYS_pidfd_send_signal, wfd, sig > 0 ? sig : st.stop_signal, NULL, 0);
        if (wait_fd(wfd, grace_ms) < 0)
            syscall(SYS_pidfd_send_signal, wfd, SIGKILL, NULL, 0);
        if (wait_fd(wfd, STOP_WAIT_MS) < 0)
            return tk_err_set(err, -ETIMEDOUT, "stop '%s': the workload does not exit", state_dir);
    }
    if (mfd >= 0 && wait_fd(mfd, STOP_WAIT_MS) < 0)
        return tk_err_set(err, -ETIMEDOUT, "stop '%s': the monitor does not exit", state_dir);
    return 0;
}

int sandbox_container_cleanup(const char *state_dir, const char *rw_dir, int remove_rw,
                              struct tk_err *err)
{
    struct sandbox_container_state st;
    if (sandbox_container_state(state_dir, &st, NULL) == 0 && (st.monitor_alive || st.running))
        return tk_err_set(err, -EBUSY, "clean up '%s': the container still runs", state_dir);
    const char *rw = rw_dir ? rw_dir : state_dir;
    static const char *const rw_parts[] = {"upper",  "work",        "merged",
                                           "rootfs", "rootfs.done", "rootfs.tmp"};
    char path[PATH_MAX];
    if (remove_rw) {
        for (size_t i = 0; i < TK_ARRAY_SIZE(rw_parts); i++) {
            snprintf(path, sizeof(path), "%s/%s", rw, rw_parts[i]);
            int r = tk_rm_rf(path);
            if (r < 0)
                return tk_err_sys(err, r, "remove '%s'", path);
        }
    }
    if (remove_rw || (rw_dir && strcmp(rw_dir, state_dir))) {
        int r = tk_rm_rf(state_dir);
        return r < 0 ? tk_err_sys(err, r, "remove '%s'", state_dir) : 0;
    }
    snprintf(path, sizeof(path), "%s/state", state_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/exit", state_dir);
    unlink(path);
    return 0;
}

/* ---- "tank __monitor" ---- */

static int parse_int(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

int sandbox_monitor_main(int argc, char **argv)
{
    struct sandbox_monitor_args a = {.out_fd = -1, .err_fd = -1, .term_root = -1, .term_mnt = -1};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        long long n = 0;
        if (!strcmp(k, "--state-dir"))
            a.state_dir = v;
        else if (!strcmp(k, "--log"))
            a.log_path = v;
        else if (!strcmp(k, "--term-path"))
            a.term_path = v;
        else if (parse_int(v, &n) < 0)
            return 2;
        else if (!strcmp(k, "--pid"))
            a.pid = (pid_t)n;
        else if (!strcmp(k, "--out"))
            a.out_fd = (int)n;
        else if (!strcmp(k, "--err"))
            a.err_fd = (int)n;
        else if (!strcmp(k, "--term-root"))
            a.term_root = (int)n;
        else if (!strcmp(k, "--term-mnt"))
            a.term_mnt = (int)n;
        else if (!strcmp(k, "--log-max"))
            a.log_max_size = (uint64_t)n;
        else if (!strcmp(k, "--log-files") && n >= 0 && n <= SANDBOX_LOG_MAX_FILES)
            a.log_max_files = (unsigned)n;
        else
            return 2;
    }
    if (a.pid <= 0 || !a.state_dir)
        return 2;
    return sandbox_monitor_run(&a) < 0 ? 1 : 0;
}
