/* `tank agent` (the daemon in the foreground) and `tank apply`. */
#include "agent/cli.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/api.h"
#include "agent/config.h"
#include "agent/imagegc.h"
#include "agent/loop.h"
#include "agent/reconcile.h"
#include "agent/runtime.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "spec/spec.h"

static const char agent_usage[] =
    "usage: tank agent [--config FILE] [-v|--verbose]\n"
    "\n"
    "Run the agent in the foreground: converge the pods to the manifests in the pods\n"
    "directory and serve the status API. SIGTERM or SIGINT stop the agent and leave the\n"
    "pods running; the next agent adopts them.\n";

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

static void on_signal(struct loop *loop, int signo, void *data)
{
    if (signo == SIGTERM || signo == SIGINT) {
        tk_info("received %s: stopping the agent, pods keep running", strsignal(signo));
        loop_stop(loop);
    } else if (signo == SIGHUP) {
        tk_info("received SIGHUP: resync");
        reconcile_resync(*(struct reconciler **)data);
    }
}

static int make_dirs(const struct tank_config *cfg)
{
    const char *dirs[] = {cfg->run_dir, cfg->state_dir, cfg->log_dir};
    for (size_t i = 0; i < TK_ARRAY_SIZE(dirs); i++) {
        int r = tk_mkdir_p(dirs[i], 0755);
        if (r < 0) {
            fprintf(stderr, "tank agent: create '%s': %s\n", dirs[i], strerror(-r));
            return r;
        }
    }
    return 0;
}

static int run_agent(const struct tank_config *cfg)
{
    struct tk_err err = {0};
    struct reconciler *rec = NULL;
    struct runtime *rt = NULL;
    struct api *api = NULL;
    struct imagegc *igc = NULL;
    int ret = 1;
    struct loop *loop = loop_new();
    if (!loop) {
        fprintf(stderr, "tank agent: create event loop: %m\n");
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    if (make_dirs(cfg) < 0 || loop_set_signals(loop, &set, on_signal, &rec) < 0)
        goto out;
    rt = runtime_new_host(cfg, &err);
    if (rt)
        rec = reconcile_new(loop, cfg, rt, &err);
    if (rec)
        api = api_new(loop, cfg->socket, rec, &err);
    if (!api) {
        fprintf(stderr, "tank agent: %s\n", err.msg);
        goto out;
    }
    igc = imagegc_start(loop, cfg); /* NULL when image_gc_high_percent is off */
    tk_info("agent started: pods from '%s', status API on '%s'", cfg->pods_dir, cfg->socket);
    notify_ready();
    int r = loop_run(loop);
    if (r < 0)
        tk_error("event loop: %s", strerror(-r));
    ret = r < 0 ? 1 : 0;
out:
    imagegc_free(igc);
    api_free(api);
    reconcile_free(rec);
    runtime_free(rt);
    loop_free(loop);
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
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    tk_log_set_level(tk_log_get_level() < TK_LOG_INFO ? TK_LOG_INFO : tk_log_get_level());
    int r = run_agent(&cfg);
    config_free(&cfg);
    return r;
}

/* ---- apply ---- */

static const char apply_usage[] =
    "usage: tank apply FILE...\n"
    "\n"
    "Validate the manifests, then place each file atomically into the pods directory\n"
    "(nothing is placed when any is invalid). The agent picks them up.\n";

static int place(const char *pods_dir, const char *file)
{
    _cleanup_free_ char *data = NULL;
    _cleanup_free_ char *copy = strdup(file);
    size_t len = 0;
    int r = copy ? tk_read_file(file, SPEC_MAX_FILE_SIZE, &data, &len) : -ENOMEM;
    if (r < 0) {
        fprintf(stderr, "tank apply: read '%s': %s\n", file, strerror(-r));
        return r;
    }
    _cleanup_buf_ struct tk_buf dest = TK_BUF_INIT;
    tk_buf_addf(&dest, "%s/%s", pods_dir, basename(copy));
    r = tk_write_file_atomic(dest.s, data, len, 0644);
    if (r < 0) {
        fprintf(stderr, "tank apply: write '%s': %s\n", dest.s, strerror(-r));
        return r;
    }
    printf("%s applied\n", dest.s);
    return 0;
}

int cmd_apply(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, apply_usage))
        return 0;
    if (argc < 2) {
        fprintf(stderr, "tank apply: no FILE given\n%s", apply_usage);
        return 2;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    struct spec_set set;
    spec_set_init(&set);
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        if (spec_parse_file(&set, argv[i]) < 0) {
            fprintf(stderr, "tank apply: out of memory\n");
            bad = 1;
        }
    }
    for (size_t i = 0; i < set.n_errors; i++) {
        char line[2048];
        spec_error_format(&set.errors[i], line, sizeof(line));
        fprintf(stderr, "%s\n", line);
        bad = 1;
    }
    spec_set_free(&set);
    int r = bad ? 1 : tk_mkdir_p(cfg.pods_dir, 0755);
    if (r < 0)
        fprintf(stderr, "tank apply: create '%s': %s\n", cfg.pods_dir, strerror(-r));
    for (int i = 1; r == 0 && i < argc; i++)
        r = place(cfg.pods_dir, argv[i]);
    config_free(&cfg);
    return r == 0 ? 0 : 1;
}
