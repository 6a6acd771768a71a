/* `tank events [-f] [POD]`: the agent's kept events (GET /v1/events?since=). */
#include "agent/cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/config.h"
#include "agent/events.h"
#include "base/buf.h"
#include "base/err.h"

static const char events_usage[] =
    "usage: tank events [-f] [--since TIME] [POD]\n"
    "\n"
    "Print the events the agent kept (they survive an agent restart: the newest 1000 to\n"
    "2000, in STATE_DIR/events.jsonl), oldest first: TIME POD[/CONTAINER] REASON MESSAGE.\n"
    "With POD, that pod's only. -f: keep printing new ones as they come. --since: those at\n"
    "or after TIME (2026-01-02T03:04:05Z, or Unix seconds).\n";

static char *jstr_esc(json_t *o, const char *key, char *buf, size_t size)
{
    const char *s = json_string_value(json_object_get(o, key));
    return tk_escape(s ? s : "", buf, size);
}

/* Print the events after the last one printed (*last: its line); returns the count or -1. */
static int print_new(const char *socket, const char *pod, char *since, size_t since_size,
                     struct tk_buf *last)
{
    char path[512];
    struct tk_buf body = TK_BUF_INIT;
    snprintf(path, sizeof(path), "/v1/events?since=%s%s%s", since, pod ? "&pod=" : "",
             pod ? pod : "");
    long code = cli_api_get(socket, path, &body);
    json_t *root = code == 200 ? json_loads(tk_buf_str(&body), 0, NULL) : NULL;
    tk_buf_free(&body);
    if (!root) {
        if (code >= 0)
            fprintf(stderr, "tank events: unexpected answer from the agent (HTTP %ld)\n", code);
        return -1;
    }
    json_t *evs = json_object_get(root, "events"), *e;
    size_t i, start = 0, n = 0;
    /* since is inclusive: skip up to the last line printed before */
    json_array_foreach(evs, i, e)
    {
        char *line = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        if (line && last->len && !strcmp(line, tk_buf_str(last)))
            start = i + 1;
        free(line);
    }
    for (i = start; i < json_array_size(evs); i++, n++) {
        e = json_array_get(evs, i);
        char t[64], p[128], c[128], r[128], m[2048];
        const char *ctr = jstr_esc(e, "container", c, sizeof(c));
        printf("%s  %s%s%s  %s  %s\n", jstr_esc(e, "time", t, sizeof(t)),
               jstr_esc(e, "pod", p, sizeof(p)), ctr[0] ? "/" : "", ctr,
               jstr_esc(e, "reason", r, sizeof(r)), jstr_esc(e, "message", m, sizeof(m)));
        char *line = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        tk_buf_reset(last);
        tk_buf_adds(last, line ? line : "");
        free(line);
        snprintf(since, since_size, "%s", json_string_value(json_object_get(e, "time")));
    }
    fflush(stdout);
    json_decref(root);
    return (int)n;
}

int cmd_events(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, events_usage))
        return 0;
    int follow = 0;
    const char *pod = NULL;
    char since[64] = "";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow")) {
            follow = 1;
        } else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
            if (events_parse_time(argv[++i]) < 0) {
                fprintf(stderr, "tank events: --since: '%s' is not a time\n", argv[i]);
                return 2;
            }
            snprintf(since, sizeof(since), "%s", argv[i]);
        } else if (argv[i][0] == '-' || pod) {
            fprintf(stderr, "tank events: unexpected argument '%s'\n%s", argv[i], events_usage);
            return 2;
        } else {
            pod = argv[i];
        }
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct tk_buf last = TK_BUF_INIT;
    int r = print_new(cfg.socket, pod, since, sizeof(since), &last);
    while (follow && r >= 0) {
        nanosleep(&(struct timespec){.tv_nsec = 500 * 1000 * 1000}, NULL);
        r = print_new(cfg.socket, pod, since, sizeof(since), &last);
    }
    tk_buf_free(&last);
    curl_global_cleanup();
    config_free(&cfg);
    return r < 0 ? 1 : 0;
}
