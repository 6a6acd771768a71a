/* `tank logs`: a container's CRI log files, printed or followed until the container
 * instance that ran when the command started has exited. */
#include "agent/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runtime.h"
#include "base/sort.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/parse.h"
#include "sandbox/container.h"
#include "base/alloc.h"

/* How often -f looks at the container's state where its monitor cannot be watched through
 * a pidfd, or the log directory through inotify. */
#define FOLLOW_POLL_MS 1000

static const char logs_usage[] =
    "usage: tank logs [-f] [-p] [--tail N] [--since DURATION] [--timestamps]\n"
    "                 [-c CTR | --all-containers] POD [CTR]\n"
    "\n"
    "Print a container's log (the CRI-format files under log_dir, rotated ones first).\n"
    "CTR (or -c CTR) may be left out when the pod has one container.\n"
    "\n"
    "  -c, --container CTR  the container\n"
    "  --all-containers     every container of the pod, each line prefixed [CTR] (one\n"
    "                       after the other; with -f, followed together)\n"
    "  -p, --previous       the previous instance's log (the one before the last restart;\n"
    "                       the last two instances are kept)\n"
    "  --tail N             start with the last N lines (of each container)\n"
    "  --since DURATION     only lines written in the last DURATION (10s, 5m, 1h)\n"
    "  --timestamps         prefix each line with its time\n"
    "  -f, --follow         follow the log (see below)\n"
    "\n"
    "Example: tank logs -p --tail 20 web main\n"
    "\n"
    "-f follows the log (across rotations) while the container runs, as kubectl logs -f\n"
    "does: once the container instance that ran when the command started has exited, the\n"
    "rest of what it wrote is printed and tank logs exits 0, also when the agent has\n"
    "restarted the container meanwhile (what the new instance writes is not printed).\n"
    "For a container that does not run, -f prints the log and exits.\n";

struct log_reader {
    bool timestamps;
    char since[64];  /* when set: lines stamped earlier are skipped */
    char prefix[80]; /* "[CTR] " with --all-containers */
    int64_t tail;    /* -1 = all */
    char **ring;     /* the last lines while collecting for --tail */
    size_t n_ring, ring_pos;
    bool collecting;
    struct tk_buf partial[2]; /* per stream: "P" parts waiting for their "F" */
    char first_ts[2][64];
    struct tk_buf rest; /* an incomplete line at the end of what was read */
    char bound[64];     /* when set: lines stamped later are a later instance's; stop there */
    bool done;          /* such a line was seen: nothing more is printed */
};

static void log_emit(struct log_reader *lr, const char *ts, const char *text, size_t len)
{
    struct tk_buf line = TK_BUF_INIT;
    if (lr->since[0] && strcmp(ts, lr->since) < 0)
        return;
    tk_buf_addf(&line, "%s", lr->prefix);
    if (lr->timestamps)
        tk_buf_addf(&line, "%s ", ts);
    tk_buf_add(&line, text, len);
    tk_buf_addc(&line, '\n');
    if (!lr->collecting) {
        fwrite(line.s, 1, line.len, stdout);
        tk_buf_free(&line);
        return;
    }
    if (lr->tail == 0) {
        tk_buf_free(&line);
        return;
    }
    size_t slot = lr->ring_pos % (size_t)lr->tail;
    free(lr->ring[slot]);
    lr->ring[slot] = tk_buf_detach(&line);
    lr->ring_pos++;
    if (lr->n_ring < (size_t)lr->tail)
        lr->n_ring++;
}

/* One CRI line: "TIME STREAM TAG TEXT". */
static void log_feed_line(struct log_reader *lr, const char *s, size_t len)
{
    const char *end = s + len, *f[3];
    size_t fl[3];
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp && i < 2)
            return; /* not a CRI line */
        f[i] = p;
        fl[i] = (size_t)((sp ? sp : end) - p);
        p = sp ? sp + 1 : end;
    }
    if (lr->bound[0] && fl[0] == strlen(lr->bound) && memcmp(f[0], lr->bound, fl[0]) > 0)
        lr->done = true; /* a later instance wrote this */
    if (lr->done)
        return;
    int st = fl[1] == 6 && !memcmp(f[1], "stderr", 6);
    char ts[64];
    snprintf(ts, sizeof(ts), "%.*s", (int)(fl[0] < 63 ? fl[0] : 63), f[0]);
    if (fl[2] == 1 && f[2][0] == 'P') {
        if (!lr->partial[st].len)
            snprintf(lr->first_ts[st], sizeof(lr->first_ts[st]), "%s", ts);
        tk_buf_add(&lr->partial[st], p, (size_t)(end - p));
        return;
    }
    if (lr->partial[st].len) {
        tk_buf_add(&lr->partial[st], p, (size_t)(end - p));
        log_emit(lr, lr->first_ts[st], lr->partial[st].s, lr->partial[st].len);
        tk_buf_reset(&lr->partial[st]);
        return;
    }
    log_emit(lr, ts, p, (size_t)(end - p));
}

static void log_feed(struct log_reader *lr, const char *data, size_t len)
{
    tk_buf_add(&lr->rest, data, len);
    size_t start = 0;
    for (size_t i = 0; i < lr->rest.len; i++) {
        if (lr->rest.s[i] != '\n')
            continue;
        log_feed_line(lr, lr->rest.s + start, i - start);
        start = i + 1;
    }
    memmove(lr->rest.s, lr->rest.s + start, lr->rest.len - start);
    lr->rest.len -= start;
    if (lr->rest.s)
        lr->rest.s[lr->rest.len] = '\0';
}

/* Read fd to its end. */
static void log_drain(struct log_reader *lr, int fd)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        log_feed(lr, buf, (size_t)n);
}

static void log_flush_tail(struct log_reader *lr)
{
    if (!lr->collecting)
        return;
    lr->collecting = false;
    size_t first = lr->ring_pos - lr->n_ring;
    for (size_t i = 0; i < lr->n_ring; i++) {
        char *s = lr->ring[(first + i) % (size_t)lr->tail];
        fputs(s, stdout);
    }
    for (size_t i = 0; lr->tail > 0 && i < (size_t)lr->tail; i++)
        free(lr->ring[i]);
    free(lr->ring);
    lr->ring = NULL;
    fflush(stdout);
}

/* Append what fd has past its offset to out. */
static void read_rest(int fd, struct tk_buf *out)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        tk_buf_add(out, buf, (size_t)n);
}

/* What was added to the log file path names, read through fd (opened when fd < 0), into
 * out: after a rotation (the monitor renamed it to PATH.1 and started a new one) the end
 * of the old file, then the new one from its start. */
static void follow_read(const char *path, int *fd, struct tk_buf *out)
{
    struct stat cur, now;
    if (*fd >= 0) {
        read_rest(*fd, out);
        if (stat(path, &now) < 0 ||
            (fstat(*fd, &cur) == 0 && cur.st_dev == now.st_dev && cur.st_ino == now.st_ino))
            return;
        read_rest(*fd, out); /* what was written before the rename */
        close(*fd);
    }
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd >= 0)
        read_rest(*fd, out);
}

/* The container instance -f follows, as its state dir recorded it when the command started:
 * its monitor writes the log and exits once the workload's exit status is recorded. */
struct instance {
    char *state_dir;
    pid_t monitor_pid;
    int64_t started_ns;
    int pidfd; /* the monitor's pidfd (readable once it exited); -1 = poll the state dir */
};

static bool instance_is(const struct instance *in, const struct sandbox_container_state *st)
{
    return st->monitor_pid == in->monitor_pid && st->started_ns == in->started_ns;
}

static void instance_close(struct instance *in)
{
    if (in->pidfd >= 0)
        close(in->pidfd);
}

/* 1 when a container instance runs in in->state_dir (in filled), 0 when none does, -errno
 * when the state cannot be read (other than not being there). */
static int instance_open(struct instance *in)
{
    struct sandbox_container_state st;
    int r = sandbox_container_state(in->state_dir, &st, NULL);
    if (r < 0)
        return r == -ENOENT ? 0 : r;
    if (st.exited || !st.monitor_alive)
        return 0;
    in->monitor_pid = st.monitor_pid;
    in->started_ns = st.started_ns;
    in->pidfd = sandbox_monitor_pidfd(in->state_dir, NULL);
    if (in->pidfd >= 0)
        return 1;
    /* Exited meanwhile, or no pidfds here (then the state dir is polled). */
    r = sandbox_container_state(in->state_dir, &st, NULL);
    return r == 0 && instance_is(in, &st) && !st.exited && st.monitor_alive;
}

/* Has the instance ended (monitor_gone: its pidfd said so)? When it has, *bound is a time
 * no line of it is stamped after and every later instance's line is. */
static bool instance_ended(const struct instance *in, bool monitor_gone, int64_t *bound)
{
    struct sandbox_container_state st;
    int r = sandbox_container_state(in->state_dir, &st, NULL);
    bool same = r == 0 && instance_is(in, &st);
    if (same && !st.exited && st.monitor_alive && !monitor_gone)
        return false;
    /* Its monitor records the exit after its last line; a later instance records its start
     * before its first. With neither (the state removed, or the monitor died), no later
     * instance had started when the state was read. */
    if (same && st.exited && st.finished_ns > 0)
        *bound = st.finished_ns;
    else if (r == 0 && !same && st.started_ns > 0)
        *bound = st.started_ns;
    else
        *bound = tk_now_realtime_ns();
    return true;
}

/* Has the instance ended? Asked after each read and before what was read is printed:
 * while its monitor lives no later instance can have written, and once it is gone,
 * lr->bound tells the lines apart. Polls the pidfd (never blocks), or reads the state. */
static bool follow_check(struct log_reader *lr, struct instance *in)
{
    int64_t bound;
    struct pollfd p = {.fd = in ? in->pidfd : -1, .events = POLLIN};
    bool gone = p.fd >= 0 && poll(&p, 1, 0) > 0;
    if (!in || (in->pidfd >= 0 && !gone) || !instance_ended(in, gone, &bound))
        return false;
    tk_format_rfc3339nano(bound, lr->bound, sizeof(lr->bound));
    return true;
}

/* Follow path until in has ended (in NULL: until interrupted). */
static int log_follow(struct log_reader *lr, const char *dir, const char *path, int fd,
                      struct instance *in)
{
    _cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    _cleanup_buf_ struct tk_buf got = TK_BUF_INIT;
    if (ifd >= 0 &&
        inotify_add_watch(ifd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        close(ifd);
        ifd = -1;
    }
    bool polled = ifd < 0 || (in && in->pidfd < 0), ended = false;
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        /* Once the end is known, one more read takes what was written until then. */
        bool last = ended;
        follow_read(path, &fd, &got);
        ended = ended || follow_check(lr, in);
        if (got.len)
            log_feed(lr, got.s, got.len);
        tk_buf_reset(&got);
        fflush(stdout);
        if (last)
            break;
        if (ended)
            continue;
        struct pollfd p[2] = {{.fd = ifd, .events = POLLIN},
                              {.fd = in ? in->pidfd : -1, .events = POLLIN}};
        if (poll(p, 2, polled ? FOLLOW_POLL_MS : -1) < 0 && errno != EINTR) {
            fprintf(stderr, "tank logs: wait for '%s': %m\n", path);
            break;
        }
        if (p[0].revents)
            while (read(ifd, buf, sizeof(buf)) > 0)
                ; /* a wake-up only: the file itself says what changed */
    }
    if (fd >= 0)
        close(fd);
    return ended ? 0 : 1;
}

/* The container's log name when the pod has exactly one. */
static int only_container(const char *dir, char **out)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *de;
    struct tk_buf names = TK_BUF_INIT;
    int n = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".log"))
            continue;
        tk_buf_addf(&names, "%s%.*s", n ? ", " : "", (int)(len - 4), de->d_name);
        if (!n++)
            *out = strndup(de->d_name, len - 4);
    }
    if (n == 1) {
        tk_buf_free(&names);
        return 0;
    }
    free(*out);
    *out = tk_buf_detach(&names);
    return n ? -E2BIG : -ENOENT;
}

/* Print the rotated LOG.N .. LOG.1, oldest first, then LOG (--tail applied); *fd is left
 * open on LOG (-1 when absent). Returns false when none exists; *denied is set when one
 * could not be read for permissions. */
static bool log_print(struct log_reader *lr, const char *path, int *fd, bool *denied)
{
    char old[PATH_MAX];
    int n = 0, fds[SANDBOX_LOG_MAX_FILES];
    *denied = false;
    while (n < SANDBOX_LOG_MAX_FILES - 1) {
        snprintf(old, sizeof(old), "%s.%d", path, n + 1);
        fds[n] = open(old, O_RDONLY | O_CLOEXEC);
        if (fds[n] < 0) {
            *denied = errno == EACCES;
            break;
        }
        n++;
    }
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    *denied = *denied || (*fd < 0 && errno == EACCES);
    for (int i = n - 1; i >= 0; i--) {
        log_drain(lr, fds[i]);
        close(fds[i]);
    }
    if (*fd >= 0)
        log_drain(lr, *fd);
    log_flush_tail(lr);
    return n > 0 || *fd >= 0;
}

struct logs_opts {
    bool follow, previous, all;
};

/* Print, then with follow and a running instance follow, the log of ctr in dir; with
 * previous, the previous instance's. */
static int logs_of(const struct tank_config *cfg, const char *pod, const char *ctr, const char *dir,
                   struct log_reader *lr, const struct logs_opts *o)
{
    _cleanup_free_ char *cur = runtime_log_path(cfg->log_dir, pod, ctr);
    _cleanup_buf_ struct tk_buf path = TK_BUF_INIT;
    tk_buf_addf(&path, "%s%s", cur, o->previous ? ".prev" : "");
    bool follow = o->follow && !o->previous;
    /* Whether an instance runs is asked before the log is read, so that its end cannot be
     * missed. */
    _cleanup_free_ char *sd = runtime_ctr_state_dir(cfg->run_dir, pod, ctr);
    _cleanup_(instance_close) struct instance in = {.state_dir = sd, .pidfd = -1};
    int live = follow ? instance_open(&in) : 0;
    if (live < 0)
        fprintf(stderr,
                "tank logs: cannot tell whether container '%s' runs (read '%s': %s), "
                "following until interrupted\n",
                ctr, sd, strerror(-live));
    int fd;
    bool denied;
    bool any = log_print(lr, path.s, &fd, &denied);
    if (denied) {
        fprintf(stderr, "tank logs: cannot read '%s': %s: run as root%s\n", path.s,
                strerror(EACCES), cfg->group ? " or as a member of [agent] group" : "");
        if (fd >= 0)
            close(fd);
        return 1;
    }
    if (!any && !live) {
        if (o->previous)
            fprintf(stderr, "tank logs: no previous instance of container '%s' of pod '%s'\n", ctr,
                    pod);
        else
            fprintf(stderr, "tank logs: no log for container '%s' of pod '%s'\n", ctr, pod);
        return 1;
    }
    if (!live) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    return log_follow(lr, dir, path.s, fd, live > 0 ? &in : NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The containers that have a log in dir, sorted (heap; NULL-terminated). */
static char **log_containers(const char *dir, int *err)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    *err = d ? 0 : -errno;
    if (!d)
        return NULL;
    char **names = calloc(1, sizeof(char *));
    size_t n = 0;
    struct dirent *de;
    while (names && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".log"))
            continue;
        char **more = realloc(names, (n + 2) * sizeof(char *));
        if (!more)
            break;
        names = more;
        names[n++] = tk_xstrndup(de->d_name, len - 4);
        names[n] = NULL;
    }
    if (names)
        tk_sort(names, n, sizeof(char *), cmp_str);
    return names;
}

/* A fresh reader for one more container, with the options of proto. */
static void reader_reset(struct log_reader *lr, const struct log_reader *proto)
{
    tk_buf_free(&lr->partial[0]);
    tk_buf_free(&lr->partial[1]);
    tk_buf_free(&lr->rest);
    *lr = *proto;
    if (lr->tail >= 0) {
        lr->collecting = true;
        lr->ring = calloc(lr->tail ? (size_t)lr->tail : 1, sizeof(char *));
        if (!lr->ring)
            lr->collecting = false;
    }
}

/* -f --all-containers: a follower process per container, each writing whole prefixed lines
 * (line-buffered, so lines do not mix); done when all are. */
static int follow_all(const struct tank_config *cfg, const char *pod, const char *dir,
                      struct log_reader *lr, const struct logs_opts *o, char **names)
{
    struct log_reader proto = *lr;
    int rc = 0;
    size_t n = 0;
    fflush(stdout);
    for (size_t i = 0; names[i]; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "tank logs: fork: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (pid == 0) {
            setvbuf(stdout, NULL, _IOLBF, 0);
            if (i)
                reader_reset(lr, &proto);
            snprintf(lr->prefix, sizeof(lr->prefix), "[%s] ", names[i]);
            int r = logs_of(cfg, pod, names[i], dir, lr, o);
            log_flush_tail(lr);
            fflush(stdout);
            _exit(r);
        }
        n++;
    }
    while (n) {
        int st;
        pid_t w = wait(&st);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        n--;
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            rc = 1;
    }
    return rc;
}

static int logs_all(const struct tank_config *cfg, const char *pod, const char *dir,
                    struct log_reader *lr, const struct logs_opts *o)
{
    int e, rc = 0, printed = 0;
    char **names = log_containers(dir, &e);
    if (!names) {
        if (e == -EACCES)
            fprintf(stderr, "tank logs: cannot read '%s': %s: run as root\n", dir,
                    strerror(EACCES));
        else
            fprintf(stderr, "tank logs: no logs for pod '%s'\n", pod);
        return 1;
    }
    struct log_reader proto = *lr;
    if (o->follow) {
        rc = follow_all(cfg, pod, dir, lr, o, names);
        for (size_t i = 0; names[i]; i++)
            free(names[i]);
        free(names);
        return rc;
    }
    for (size_t i = 0; names[i]; i++) {
        if (i)
            reader_reset(lr, &proto);
        snprintf(lr->prefix, sizeof(lr->prefix), "[%s] ", names[i]);
        int r = logs_of(cfg, pod, names[i], dir, lr, o);
        log_flush_tail(lr);
        printed += r == 0;
        if (r != 0 && !o->previous)
            rc = r;
        free(names[i]);
    }
    free(names);
    return printed || !rc ? rc : 1;
}

static int logs(const struct tank_config *cfg, const char *pod, const char *ctr,
                struct log_reader *lr, const struct logs_opts *o)
{
    _cleanup_buf_ struct tk_buf dir = TK_BUF_INIT;
    _cleanup_free_ char *only = NULL;
    tk_buf_addf(&dir, "%s/%s", cfg->log_dir, pod);
    if (o->all)
        return logs_all(cfg, pod, dir.s, lr, o);
    if (!ctr) {
        int r = only_container(dir.s, &only);
        if (r == -E2BIG) {
            fprintf(stderr, "tank logs: pod '%s' has several containers, name one: %s\n", pod,
                    only);
            return 2;
        }
        if (r == -EACCES) {
            fprintf(stderr, "tank logs: cannot read '%s': %s: run as root%s\n", dir.s,
                    strerror(EACCES), cfg->group ? " or as a member of [agent] group" : "");
            return 1;
        }
        if (r < 0) {
            fprintf(stderr, "tank logs: no logs for pod '%s'\n", pod);
            return 1;
        }
        ctr = only;
    }
    return logs_of(cfg, pod, ctr, dir.s, lr, o);
}

/* --since DURATION: the oldest time printed, as a log line stamps it. */
static int set_since(struct log_reader *lr, const char *v)
{
    int64_t ms;
    if (tk_parse_duration_ms(v, &ms) < 0 || ms < 0) {
        fprintf(stderr, "tank logs: --since: '%s' is not a duration (like 10s, 5m, 1h)\n", v);
        return -1;
    }
    tk_format_rfc3339nano(tk_now_realtime_ns() - ms * 1000000, lr->since, sizeof(lr->since));
    return 0;
}

/* An option with a value: "--name V", "--name=V" or (short) "-c V". */
static const char *opt_value(int argc, char **argv, int *i, const char *s, const char *l)
{
    size_t n = strlen(l);
    if (!strncmp(argv[*i], l, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if ((!strcmp(argv[*i], l) || (s && !strcmp(argv[*i], s))) && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_logs_args(int argc, char **argv, struct log_reader *lr, struct logs_opts *o,
                           const char **args, int *n)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-f") || !strcmp(a, "--follow"))
            o->follow = true;
        else if (!strcmp(a, "-p") || !strcmp(a, "--previous"))
            o->previous = true;
        else if (!strcmp(a, "--all-containers"))
            o->all = true;
        else if (!strcmp(a, "--timestamps"))
            lr->timestamps = true;
        else if ((v = opt_value(argc, argv, &i, NULL, "--tail"))) {
            if (tk_parse_int64(v, -1, 1000000, &lr->tail) < 0) {
                fprintf(stderr, "tank logs: --tail: '%s' is not a number of lines\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, NULL, "--since"))) {
            if (set_since(lr, v) < 0)
                return 2;
        } else if ((v = opt_value(argc, argv, &i, "-c", "--container"))) {
            args[1] = v;
        } else if (a[0] != '-' && *n < 2 && !(*n == 1 && args[1])) {
            args[(*n)++] = a;
        } else {
            fprintf(stderr, "tank logs: unexpected argument '%s'\n%s", a, logs_usage);
            return 2;
        }
    }
    if (!*n) {
        fprintf(stderr, "tank logs: no POD given\n%s", logs_usage);
        return 2;
    }
    if (o->all && args[1]) {
        fprintf(stderr, "tank logs: --all-containers and a container are exclusive\n");
        return 2;
    }
    return 0;
}

int cmd_logs(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, logs_usage))
        return 0;
    struct log_reader lr = {.tail = -1};
    struct logs_opts o = {0};
    const char *args[2] = {NULL, NULL};
    int n = 0;
    int r = parse_logs_args(argc, argv, &lr, &o, args, &n);
    if (r)
        return r;
    if (lr.tail >= 0) {
        lr.collecting = true;
        lr.ring = calloc(lr.tail ? (size_t)lr.tail : 1, sizeof(char *));
        if (!lr.ring)
            return 1;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    r = logs(&cfg, args[0], args[1], &lr, &o);
    log_flush_tail(&lr);
    tk_buf_free(&lr.partial[0]);
    tk_buf_free(&lr.partial[1]);
    tk_buf_free(&lr.rest);
    config_free(&cfg);
    return r;
}
