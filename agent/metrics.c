/* The agent's metrics in the Prometheus text format (metrics.h). */
#include "agent/metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/podworker.h"
#include "agent/reconcile.h"
#include "agent/runtime.h"
#include "agent/manifests.h"
#include "agent/sync.h"
#include "base/buf.h"

#ifndef TANK_VERSION
#define TANK_VERSION "0.0.0-dev"
#endif

#define MAX_BUCKETS 12

struct histogram {
    const char *name, *help;
    double bounds[MAX_BUCKETS];
    size_t n_bounds;
    uint64_t counts[MAX_BUCKETS]; /* per bound, not cumulative */
    uint64_t count;
    double sum;
};

static struct histogram pull_hist = {"tank_image_pull_duration_seconds",
                                     "Time from the start of an image pull to its end.",
                                     {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
                                     10,
                                     {0},
                                     0,
                                     0};
static struct histogram reconcile_hist = {
    "tank_reconcile_duration_seconds",
    "Time a reconcile pass took.",
    {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1},
    10,
    {0},
    0,
    0};

static void observe(struct histogram *h, double v)
{
    for (size_t i = 0; i < h->n_bounds; i++)
        if (v <= h->bounds[i]) {
            h->counts[i]++;
            break;
        }
    h->count++;
    h->sum += v;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t metrics_reconcile_begin(void)
{
    return now_ns();
}

void metrics_reconcile_end(int64_t begin)
{
    observe(&reconcile_hist, (double)(now_ns() - begin) / 1e9);
}

/* Pulls under way: (pod, container) -> start. */
#define MAX_PULLS 256
static struct {
    char key[130];
    int64_t start;
} pulls[MAX_PULLS];

void metrics_on_event(const char *pod, const char *ctr, const char *reason)
{
    char key[130];
    snprintf(key, sizeof(key), "%s/%s", pod, ctr ? ctr : "");
    bool pulling = !strcmp(reason, "Pulling"), pulled = !strcmp(reason, "Pulled");
    if (!pulling && !pulled)
        return;
    size_t free_slot = MAX_PULLS;
    for (size_t i = 0; i < MAX_PULLS; i++) {
        if (!pulls[i].start) {
            free_slot = free_slot < MAX_PULLS ? free_slot : i;
            continue;
        }
        if (strcmp(pulls[i].key, key))
            continue;
        if (pulled)
            observe(&pull_hist, (double)(now_ns() - pulls[i].start) / 1e9);
        pulls[i].start = pulling ? now_ns() : 0;
        return;
    }
    if (pulling && free_slot < MAX_PULLS) {
        snprintf(pulls[free_slot].key, sizeof(pulls[free_slot].key), "%s", key);
        pulls[free_slot].start = now_ns();
    }
}

/* A label value: backslash, double quote and newline escaped. */
static void add_label(struct tk_buf *b, const char *name, const char *v, bool first)
{
    tk_buf_addf(b, "%s%s=\"", first ? "" : ",", name);
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            tk_buf_addc(b, '\\');
        if (*v == '\n')
            tk_buf_adds(b, "\\n");
        else
            tk_buf_addc(b, *v);
    }
    tk_buf_addc(b, '"');
}

static void head(struct tk_buf *b, const char *name, const char *type, const char *help)
{
    tk_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_histogram(struct tk_buf *b, const struct histogram *h)
{
    head(b, h->name, "histogram", h->help);
    uint64_t cum = 0;
    for (size_t i = 0; i < h->n_bounds; i++) {
        cum += h->counts[i];
        tk_buf_addf(b, "%s_bucket{le=\"%g\"} %llu\n", h->name, h->bounds[i],
                    (unsigned long long)cum);
    }
    tk_buf_addf(b, "%s_bucket{le=\"+Inf\"} %llu\n", h->name, (unsigned long long)h->count);
    tk_buf_addf(b, "%s_sum %.9f\n%s_count %llu\n", h->name, h->sum, h->name,
                (unsigned long long)h->count);
}

static void render_info(struct tk_buf *b, const struct reconciler *r, const struct sync *sync)
{
    head(b, "tank_build_info", "gauge", "Tank's version (always 1).");
    tk_buf_adds(b, "tank_build_info{");
    add_label(b, "version", TANK_VERSION, true);
    tk_buf_adds(b, "} 1\n");
    const struct store_state *st = reconcile_desired(r);
    head(b, "tank_revision_info", "gauge", "The revision of the pods directory read (always 1).");
    if (st->revision) {
        tk_buf_adds(b, "tank_revision_info{");
        add_label(b, "revision", st->revision, true);
        tk_buf_adds(b, "} 1\n");
    }
    head(b, "tank_manifest_errors", "gauge", "Errors of the manifests in the pods directory.");
    tk_buf_addf(b, "tank_manifest_errors %zu\n", st->set.n_errors);
    if (!sync)
        return;
    struct sync_status ss;
    sync_get_status(sync, &ss);
    head(b, "tank_sync_last_success_timestamp_seconds", "gauge",
         "When the git sync last succeeded (Unix time; 0: not yet).");
    tk_buf_addf(b, "tank_sync_last_success_timestamp_seconds %.3f\n",
                (double)ss.last_sync_ns / 1e9);
    head(b, "tank_sync_failures_total", "counter", "Git sync passes that failed.");
    tk_buf_addf(b, "tank_sync_failures_total %llu\n", (unsigned long long)ss.failures);
}

static void ctr_labels(struct tk_buf *b, const char *name, const char *pod, const char *ctr)
{
    tk_buf_addf(b, "%s{", name);
    add_label(b, "pod", pod, true);
    add_label(b, "container", ctr, false);
}

/* The samples of family which (0 restarts, 1 state, 2 ready, 3 CPU, 4 memory) of every
 * container. */
static void render_ctrs(struct tk_buf *b, const struct reconciler *r, int which)
{
    static const char *const states[] = {"waiting", "running", "terminated"};
    for (size_t i = 0; i < reconcile_n_pods(r); i++) {
        const struct pod *p = reconcile_pod(r, i);
        struct pod_status ps;
        pod_get_status(p, &ps);
        for (size_t j = 0; j < ps.n_containers; j++) {
            struct pod_ctr_status c;
            pod_get_ctr_status(p, j, &c);
            struct runtime_usage u = {UINT64_MAX, UINT64_MAX};
            if (which >= 3 && pod_get_usage(p, c.name, &u) < 0)
                continue;
            if (which == 0) {
                ctr_labels(b, "tank_container_restarts_total", ps.name, c.name);
                tk_buf_addf(b, "} %u\n", c.restarts);
            } else if (which == 1) {
                for (size_t k = 0; k < 3; k++) {
                    ctr_labels(b, "tank_container_state", ps.name, c.name);
                    add_label(b, "state", states[k], false);
                    tk_buf_addf(b, "} %d\n", (size_t)c.state == k);
                }
            } else if (which == 2) {
                ctr_labels(b, "tank_container_ready", ps.name, c.name);
                tk_buf_addf(b, "} %d\n", c.ready);
            } else if (which == 3 && u.cpu_ns != UINT64_MAX) {
                ctr_labels(b, "tank_container_cpu_usage_seconds_total", ps.name, c.name);
                tk_buf_addf(b, "} %.9f\n", (double)u.cpu_ns / 1e9);
            } else if (which == 4 && u.memory_bytes != UINT64_MAX) {
                ctr_labels(b, "tank_container_memory_working_set_bytes", ps.name, c.name);
                tk_buf_addf(b, "} %llu\n", (unsigned long long)u.memory_bytes);
            }
        }
    }
}

static void render_pods(struct tk_buf *b, const struct reconciler *r)
{
    static const char *const phases[] = {"Pending", "Running", "Succeeded", "Failed",
                                         "Terminating"};
    size_t n[5] = {0};
    for (size_t i = 0; i < reconcile_n_pods(r); i++) {
        struct pod_status ps;
        pod_get_status(reconcile_pod(r, i), &ps);
        if ((size_t)ps.phase < 5)
            n[ps.phase]++;
    }
    head(b, "tank_pods", "gauge", "Pods by phase.");
    for (size_t i = 0; i < 5; i++)
        tk_buf_addf(b, "tank_pods{phase=\"%s\"} %zu\n", phases[i], n[i]);
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        {"tank_container_restarts_total", "counter", "Restarts of a container."},
        {"tank_container_state", "gauge", "A container's state (1 for the current one)."},
        {"tank_container_ready", "gauge", "Whether a container is ready (1) or not (0)."},
        {"tank_container_cpu_usage_seconds_total", "counter", "CPU time a container used."},
        {"tank_container_memory_working_set_bytes", "gauge", "A container's working set."},
    };
    for (int k = 0; k < 5; k++) {
        head(b, fams[k].name, fams[k].type, fams[k].help);
        render_ctrs(b, r, k);
    }
}

char *metrics_render(const struct reconciler *r, const struct sync *sync)
{
    struct tk_buf b = TK_BUF_INIT;
    render_info(&b, r, sync);
    render_pods(&b, r);
    render_histogram(&b, &pull_hist);
    render_histogram(&b, &reconcile_hist);
    return tk_buf_detach(&b);
}
