/* `tank agent` (the daemon in the foreground) and `tank apply`. */
#include "agent/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/api.h"
#include "agent/config.h"
#include "agent/imagegc.h"
#include "agent/events.h"
#include "agent/loop.h"
#include "agent/nodesel.h"
#include "agent/prober.h"
#include "agent/reconcile.h"
#include "agent/runtime.h"
#include "agent/manifests.h"
#include "agent/sync.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/parse.h"
#include "spec/spec.h"

static const char agent_usage[] =
    "usage: tank agent [--config FILE] [-v|--verbose]\n"
    "\n"
    "Run the agent in the foreground: converge the pods to the manifests in the pods\n"
    "directory and serve the status API. SIGTERM or SIGINT stop the agent and leave the\n"
    "pods running; the next agent adopts them.\n"
    "\n"
    "Example: tank agent --config /etc/tank/tank.ini\n";

/* Tell systemd (Type=notify) that the agent is up, when NOTIFY_SOCKET is set. */
static void notify_ready(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !path[0])
        return;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace */
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    static const char msg[] = "READY=1\nSTATUS=converging pods";
    if (sendto(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        tk_warn("notify systemd through '%s': %m", path);
}

/* The running agent's parts (what agent_up made, agent_down frees). */
struct agent_ctx {
    struct tank_config *cfg;
    struct loop *loop;
    struct runtime *rt;
    struct reconciler *rec;
    struct api *api;
    struct imagegc *igc;
    struct sync *sync;
};

/* SIGHUP: tank.ini again (what can change live does; the rest is logged as needing a
 * restart), then the pods. */
static void reload_config(struct tank_config *cfg)
{
    _cleanup_buf_ struct tk_buf applied = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf restart = TK_BUF_INIT;
    struct tk_err err = {0};
    if (config_reload(cfg, &applied, &restart, &err) < 0) {
        tk_error("reload configuration: %s (the previous one stays)", err.msg);
        return;
    }
    if (applied.len)
        tk_info("configuration '%s' reloaded: %s changed", cfg->path, applied.s);
    if (restart.len)
        tk_warn("configuration '%s': %s changed: takes effect after a restart of the agent",
                cfg->path, restart.s);
    if (!applied.len && !restart.len)
        tk_info("configuration '%s' reloaded: unchanged", cfg->path);
}

static void on_signal(struct loop *loop, int signo, void *data)
{
    struct agent_ctx *a = data;
    if (signo == SIGTERM || signo == SIGINT) {
        tk_info("received %s: stopping the agent, pods keep running", strsignal(signo));
        loop_stop(loop);
    } else if (signo == SIGHUP) {
        tk_info("received SIGHUP: reload the configuration, resync");
        if (a->cfg->path)
            reload_config(a->cfg);
        if (a->rec)
            reconcile_resync(a->rec);
    }
}

/*
 * One agent per configuration: before it touches anything, the agent holds an exclusive
 * flock on run_dir/agent.lock, state_dir/agent.lock and SOCKET.lock (beside the socket),
 * each holding its pid. A second agent sharing any of the three exits at once; the first
 * keeps its socket (only the lock holder may replace or remove it) and its pods. A lock
 * of a dead agent is free again (the kernel drops it with the process), so a stale file is
 * simply taken over. Lock fds are close-on-exec: monitors and workloads never hold them.
 */
#define AGENT_LOCKS 3

/* The pid the holder wrote into the lock file; it writes it right after taking the lock,
 * so a reader may come in between: look again a few times (startup only). */
static long lock_holder(int fd)
{
    for (int i = 0; i < 100; i++) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        char *nl = n > 0 ? strchr(buf, '\n') : NULL;
        int64_t pid;
        if (nl) {
            *nl = '\0';
            if (tk_parse_int64(buf, 1, INT32_MAX, &pid) == 0)
                return (long)pid;
        }
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

static bool same_file(int fd, const int *held, size_t n)
{
    struct stat a, b;
    if (fstat(fd, &a) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fstat(held[i], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return true;
    return false;
}

/* flock(LOCK_EX | LOCK_NB), except that a lock whose holder (the pid in the file) is dead
 * is waited for, up to 5 s: a child the dead agent forked (a sandbox being made or removed)
 * still holds it until the kernel has killed it too (it dies with the agent). */
static int flock_or_wait(int fd)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno != EWOULDBLOCK)
        return -1;
    long pid = lock_holder(fd);
    for (int i = 0; i < 100 && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH; i++) {
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
    }
    errno = EWOULDBLOCK;
    return -1;
}

/* Lock path for the configured key = value; -1 (message printed) when another agent holds
 * it. The fd joins held[] unless the same file is held already. */
static int take_lock(const char *key, const char *value, const char *path, int *held, size_t *n)
{
    _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fprintf(stderr, "tank agent: open lock '%s': %m\n", path);
        return -1;
    }
    if (same_file(fd, held, *n))
        return 0;
    if (flock_or_wait(fd) < 0) {
        if (errno != EWOULDBLOCK) {
            fprintf(stderr, "tank agent: lock '%s': %m\n", path);
            return -1;
        }
        long pid = lock_holder(fd);
        if (pid > 0)
            fprintf(stderr, "tank agent: another agent (pid %ld) is running with %s %s\n", pid, key,
                    value);
        else
            fprintf(stderr, "tank agent: another agent is running with %s %s\n", key, value);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        tk_warn("write pid into '%s': %m", path);
    held[(*n)++] = TAKE_FD(fd);
    return 0;
}

static int lock_agent(const struct tank_config *cfg, int *held, size_t *n)
{
    _cleanup_free_ char *sock_dir = strdup(cfg->socket);
    const char *dirs[] = {cfg->run_dir, cfg->state_dir, sock_dir ? dirname(sock_dir) : NULL};
    for (size_t i = 0; i < TK_ARRAY_SIZE(dirs); i++) {
        int r = dirs[i] ? config_make_dir(cfg, dirs[i], false) : -ENOMEM;
        if (r < 0) {
            fprintf(stderr, "tank agent: create '%s': %s\n", dirs[i] ? dirs[i] : "", strerror(-r));
            return -1;
        }
    }
    _cleanup_buf_ struct tk_buf run = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf state = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf sock = TK_BUF_INIT;
    tk_buf_addf(&run, "%s/agent.lock", cfg->run_dir);
    tk_buf_addf(&state, "%s/agent.lock", cfg->state_dir);
    tk_buf_addf(&sock, "%s.lock", cfg->socket);
    if (take_lock("run_dir", cfg->run_dir, run.s, held, n) < 0 ||
        take_lock("state_dir", cfg->state_dir, state.s, held, n) < 0 ||
        take_lock("socket", cfg->socket, sock.s, held, n) < 0)
        return -1;
    return 0;
}

static int make_dirs(const struct tank_config *cfg)
{
    const char *dirs[] = {cfg->run_dir, cfg->state_dir, cfg->log_dir};
    for (size_t i = 0; i < TK_ARRAY_SIZE(dirs); i++) {
        /* log_dir set-group-ID: the log files made in it get the group */
        int r = config_make_dir(cfg, dirs[i], dirs[i] == cfg->log_dir);
        if (r < 0) {
            fprintf(stderr, "tank agent: create '%s': %s\n", dirs[i], strerror(-r));
            return r;
        }
    }
    return 0;
}

/* A worktree stays while the store reads it or a pod's spec came from it. */
static bool revision_in_use(const char *commit, void *data)
{
    const struct store_state *st = reconcile_desired(data);
    if (st->revision && !strcmp(st->revision, commit))
        return true;
    for (size_t i = 0; st->pod_revisions && i < st->set.n_pods; i++)
        if (st->pod_revisions[i] && !strcmp(st->pod_revisions[i], commit))
            return true;
    return false;
}

/* Make the agent's parts: the loop and its signals, directories, events, the runtime, the
 * reconciler, the API (and metrics), the sync, the image GC. -1 with a message printed. */
static int agent_up(struct agent_ctx *a)
{
    struct tank_config *cfg = a->cfg;
    struct tk_err err = {0};
    if (probe_init() < 0)
        tk_warn("cannot open the agent's network namespace: network probes will fail");
    a->loop = loop_new();
    if (!a->loop) {
        fprintf(stderr, "tank agent: create event loop: %m\n");
        return -1;
    }
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < TK_ARRAY_SIZE(sigs); i++)
        sigaddset(&set, sigs[i]);
    if (make_dirs(cfg) < 0 || loop_set_signals(a->loop, &set, on_signal, a) < 0)
        return -1;
    nodesel_init(cfg); /* before the store's first read */
    int er = events_open(cfg->state_dir, EVENTS_MAX_LINES);
    if (er < 0)
        tk_warn("keep events in '%s': %s (events are not kept over a restart)", cfg->state_dir,
                strerror(-er));
    if (!(a->rt = runtime_new_host(cfg, &err)) ||
        !(a->rec = reconcile_new(a->loop, cfg, a->rt, &err)) ||
        !(a->api = api_new(a->loop, cfg->socket, a->rec, &err)))
        goto fail;
    reconcile_set_event_hook(a->rec, api_events_changed, a->api);
    if (cfg->metrics_listen && api_listen_metrics(a->api, cfg->metrics_listen, &err) < 0)
        goto fail;
    if (cfg->sync_repo) {
        if (!(a->sync = sync_new(a->loop, cfg, revision_in_use, a->rec, &err)))
            goto fail;
        api_set_sync(a->api, a->sync);
    }
    a->igc = imagegc_start(a->loop, cfg); /* NULL when image_gc_high_percent is off */
    return 0;
fail:
    fprintf(stderr, "tank agent: %s\n", err.msg);
    return -1;
}

static void agent_down(struct agent_ctx *a)
{
    imagegc_free(a->igc);
    sync_free(a->sync); /* first: requests waiting on it are answered */
    if (a->rec)
        reconcile_set_event_hook(a->rec, NULL, NULL); /* the API goes first */
    api_free(a->api);
    reconcile_free(a->rec);
    runtime_free(a->rt);
    loop_free(a->loop);
    events_close();
}

static int run_agent(struct tank_config *cfg)
{
    struct agent_ctx a = {.cfg = cfg};
    int locks[AGENT_LOCKS], ret = 1;
    size_t n_locks = 0;
    if (lock_agent(cfg, locks, &n_locks) == 0 && agent_up(&a) == 0) {
        tk_info("agent started: pods from '%s', status API on '%s'", cfg->pods_dir, cfg->socket);
        notify_ready();
        int r = loop_run(a.loop);
        if (r < 0)
            tk_error("event loop: %s", strerror(-r));
        ret = r < 0 ? 1 : 0;
    }
    agent_down(&a);
    while (n_locks) /* last: the socket is gone by now */
        close(locks[--n_locks]);
    return ret;
}

int cmd_agent(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, agent_usage))
        return 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            tk_log_set_level(TK_LOG_DEBUG);
            continue;
        }
        fprintf(stderr, "tank agent: unexpected argument '%s'\n%s", argv[i], agent_usage);
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "tank agent: must run as root (it creates namespaces, mounts and "
                        "cgroups): sudo tank agent, or systemctl start tank\n");
        return 1;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    tk_log_set_level(tk_log_get_level() < TK_LOG_INFO ? TK_LOG_INFO : tk_log_get_level());
    int r = run_agent(&cfg);
    config_free(&cfg);
    return r;
}
