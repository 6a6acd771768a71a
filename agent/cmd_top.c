/* tank top [POD]: CPU (millicores over a short window) and memory (working set) per pod, or
 * per container of POD, from the agent's status API — as kubectl top pod / podman stats
 * --no-stream. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/cli.h"
#include "agent/config.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"

/* The window CPU use is averaged over. */
#define TOP_WINDOW_MS 1000

static const char top_usage[] =
    "usage: tank top [POD]\n"
    "\n"
    "Show the CPU (millicores, averaged over one second) and memory (working set: usage\n"
    "minus inactive file pages) that each pod uses now, from the running agent. With POD,\n"
    "each of its containers.\n"
    "\n"
    "Example: tank top web\n";

/* The pods, or POD, as JSON (NULL with a message printed). */
static json_t *sample(const char *socket, const char *pod)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    char path[512];
    snprintf(path, sizeof(path), pod ? "/v1/pods/%s" : "/v1/pods", pod ? pod : "");
    long code = cli_api_get(socket, path, &body);
    if (code == 404)
        fprintf(stderr, "tank top: pod '%s' not found\n", pod ? pod : "");
    if (code != 200) {
        if (code > 0 && code != 404)
            fprintf(stderr, "tank top: unexpected answer from the agent (HTTP %ld)\n", code);
        return NULL;
    }
    json_t *root = json_loads(tk_buf_str(&body), 0, NULL);
    if (!root)
        fprintf(stderr, "tank top: unexpected answer from the agent\n");
    return root;
}

static int64_t usage_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(json_object_get(o, "usage"), key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* The same object (by name) in the earlier sample's list. */
static json_t *find(json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *n = json_string_value(json_object_get(v, "name"));
        if (n && !strcmp(n, name))
            return v;
    }
    return NULL;
}

static void print_row(const char *pod, json_t *before, json_t *now, int64_t window_ns)
{
    const char *name = json_string_value(json_object_get(now, "name"));
    int64_t c0 = usage_of(before, "cpuNanos"), c1 = usage_of(now, "cpuNanos");
    int64_t mem = usage_of(now, "memoryBytes");
    char cpu[32] = "-", m[32] = "-";
    if (c0 >= 0 && c1 >= c0 && window_ns > 0)
        snprintf(cpu, sizeof(cpu), "%lldm", (long long)((c1 - c0) * 1000 / window_ns));
    if (mem >= 0)
        snprintf(m, sizeof(m), "%lldMi", (long long)(mem >> 20));
    if (pod)
        printf("%-24s %-24s %-12s %s\n", pod, name ? name : "?", cpu, m);
    else
        printf("%-24s %-12s %s\n", name ? name : "?", cpu, m);
}

static int top(const char *socket, const char *pod)
{
    json_t *a = sample(socket, pod);
    if (!a)
        return 1;
    int64_t t0 = tk_now_monotonic_ms();
    struct timespec ts = {.tv_sec = TOP_WINDOW_MS / 1000,
                          .tv_nsec = (TOP_WINDOW_MS % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    json_t *b = sample(socket, pod);
    int64_t window_ns = (tk_now_monotonic_ms() - t0) * 1000000;
    if (!b) {
        json_decref(a);
        return 1;
    }
    size_t i;
    json_t *v;
    if (pod) {
        printf("%-24s %-24s %-12s %s\n", "POD", "NAME", "CPU(cores)", "MEMORY(bytes)");
        json_array_foreach(json_object_get(b, "containers"), i, v)
        {
            const char *n = json_string_value(json_object_get(v, "name"));
            print_row(pod, find(json_object_get(a, "containers"), n ? n : ""), v, window_ns);
        }
    } else {
        printf("%-24s %-12s %s\n", "NAME", "CPU(cores)", "MEMORY(bytes)");
        json_array_foreach(json_object_get(b, "pods"), i, v)
        {
            const char *n = json_string_value(json_object_get(v, "name"));
            print_row(NULL, find(json_object_get(a, "pods"), n ? n : ""), v, window_ns);
        }
    }
    json_decref(a);
    json_decref(b);
    return 0;
}

int cmd_top(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, top_usage))
        return 0;
    const char *pod = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' || pod) {
            fprintf(stderr, "tank top: unexpected argument '%s'\n%s", argv[i], top_usage);
            return 2;
        }
        pod = argv[i];
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int r = top(cfg.socket, pod);
    curl_global_cleanup();
    config_free(&cfg);
    return r;
}
