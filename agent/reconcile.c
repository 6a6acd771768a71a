#include "agent/reconcile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/admit.h"
#include "agent/events.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "agent/podworker.h"
#include "agent/runtime.h"
#include "agent/manifests.h"
#include "base/sort.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"

#define EVENTS_MAX 1024
#define DEBOUNCE_MS 50 /* events this soon after a read wait for this much quiet */
#define START_BATCH 16 /* new pods per pass */

struct reconciler {
    struct loop *loop;
    const struct tank_config *cfg;
    struct runtime *rt;
    struct store *store;
    uint64_t jobs_sig; /* the Jobs' ended pods at the last pass (controllers_expand) */
    uint64_t apps_sig; /* the Deployments' and DaemonSets' pods at the last pass */
    struct controllers_rollouts rollouts; /* what the controllers keep of them */
    char *record_dir;
    struct pod_env env;
    struct pod **pods;
    size_t n_pods, cap_pods;
    uint64_t pass_timer;
    uint64_t resync_timer;
    uint64_t ctl_timer;  /* the controllers' next decision (store_state.wake_ms) */
    int64_t ctl_wake_ms; /* what ctl_timer is armed for */
    uint64_t passes;
    struct reconcile_event events[EVENTS_MAX];
    size_t ev_start, n_events;
    uint64_t events_total;          /* recorded since the start */
    void (*event_hook)(void *data); /* told of each (the API's watchers) */
    void *event_hook_data;
};

static struct pod *find(const struct reconciler *r, const char *name);

static void on_event(void *data, const char *pod, const char *ctr, const char *reason,
                     const char *message)
{
    struct reconciler *r = data;
    tk_info("%s%s%s: %s: %s", pod, ctr ? "/" : "", ctr ? ctr : "", reason, message);
    metrics_on_event(pod, ctr, reason);
    size_t slot = (r->ev_start + r->n_events) % EVENTS_MAX;
    if (r->n_events == EVENTS_MAX)
        r->ev_start = (r->ev_start + 1) % EVENTS_MAX;
    else
        r->n_events++;
    struct reconcile_event *e = &r->events[slot];
    e->time_ns = tk_now_realtime_ns();
    snprintf(e->pod, sizeof(e->pod), "%s", pod);
    snprintf(e->container, sizeof(e->container), "%s", ctr ? ctr : "");
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
    snprintf(e->message, sizeof(e->message), "%s", message);
    events_record(e->time_ns, pod, ctr, reason, message);
    r->events_total++;
    if (r->event_hook)
        r->event_hook(r->event_hook_data);
    /* A Job's container ended: a pass lets the controllers decide on its next pod. */
    const struct pod *p = strcmp(reason, "Exited") ? NULL : find(r, pod);
    const struct spec_pod *sp = p ? pod_spec(p) : NULL;
    if (sp && sp->owner_kind && !strcmp(sp->owner_kind, "Job"))
        reconcile_request(r);
}

static void on_changed(void *data)
{
    struct reconciler *r = data;
    if (r->event_hook) /* (tank status -w redraws) */
        r->event_hook(r->event_hook_data);
    reconcile_request(r);
}

static int64_t on_pass_timer(struct loop *loop, uint64_t id, void *data)
{
    struct reconciler *r = data;
    r->pass_timer = 0;
    reconcile_run(r);
    return LOOP_TIMER_DONE;
}

void reconcile_request(struct reconciler *r)
{
    if (!r->pass_timer)
        r->pass_timer = loop_add_timer(r->loop, 0, on_pass_timer, r);
}

static void on_store_change(void *data)
{
    struct reconciler *r = data;
    const struct store_state *st = store_state(r->store);
    tk_info("pods directory changed: %zu pods, %zu errors%s%s", st->set.n_pods, st->set.n_errors,
            st->revision ? ", revision " : "", st->revision ? st->revision : "");
    for (size_t i = 0; i < st->set.n_errors; i++) {
        char line[2048];
        spec_error_format(&st->set.errors[i], line, sizeof(line));
        tk_warn("invalid manifest: %s", line);
    }
    /* ConfigMap and Secret volumes follow their objects in place (env changes replace). */
    for (size_t i = 0; i < st->set.n_pods; i++)
        if (!st->set.pods[i]->placeholder) /* an old revision's pod keeps its own */
            runtime_update_config_volumes(r->cfg->run_dir, r->cfg->state_dir, st->set.pods[i]);
    reconcile_request(r);
}

void reconcile_resync(struct reconciler *r)
{
    if (store_refresh(r->store) > 0)
        on_store_change(r);
    reconcile_run(r);
}

static int64_t on_resync(struct loop *loop, uint64_t id, void *data)
{
    struct reconciler *r = data;
    reconcile_resync(r);
    return r->cfg->resync_ms > 0 ? r->cfg->resync_ms : 60000;
}

static int cmp_pods(const void *a, const void *b)
{
    return strcmp(pod_name(*(struct pod *const *)a), pod_name(*(struct pod *const *)b));
}

static struct pod *find(const struct reconciler *r, const char *name)
{
    for (size_t i = 0; i < r->n_pods; i++)
        if (!strcmp(pod_name(r->pods[i]), name))
            return r->pods[i];
    return NULL;
}

static int add_pod(struct reconciler *r, struct pod *p)
{
    if (r->n_pods == r->cap_pods) {
        size_t n = r->cap_pods ? r->cap_pods * 2 : 16;
        struct pod **v = realloc(r->pods, n * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->pods = v;
        r->cap_pods = n;
    }
    r->pods[r->n_pods++] = p;
    return 0;
}

static void check_jobs(struct reconciler *r);
static void check_apps(struct reconciler *r);

static int64_t on_ctl_timer(struct loop *loop, uint64_t id, void *data)
{
    struct reconciler *r = data;
    r->ctl_timer = 0;
    r->ctl_wake_ms = 0;
    if (store_refresh(r->store) > 0)
        on_store_change(r);
    reconcile_request(r);
    return LOOP_TIMER_DONE;
}

/* A timer for when the controllers decide again (a Job's back-off, deadline or TTL, a
 * CronJob's next run): one, re-armed when that time moves. */
static void arm_controllers(struct reconciler *r)
{
    int64_t at = store_state(r->store)->wake_ms;
    if (at == r->ctl_wake_ms)
        return;
    loop_del_timer(r->loop, r->ctl_timer);
    r->ctl_timer = at ? loop_add_timer(r->loop, controllers_delay_ms(at), on_ctl_timer, r) : 0;
    r->ctl_wake_ms = r->ctl_timer ? at : 0;
}

/* An in-place resize, admitted as the kubelet does: one whose requests no longer fit beside
 * the running pods is not applied (the pod keeps its resources; PodResizePending says why)
 * and is tried again at each pass, so it goes through once room frees. */
static void resize(struct reconciler *r, struct pod *p, const struct spec_pod *want)
{
    char msg[256];
    struct admit_host host;
    admit_host_get(r->cfg, &host);
    const char *why = pod_awaits_admission(p)
                          ? NULL
                          : admit_resize(r->pods, r->n_pods, p, want, &host, msg, sizeof(msg));
    if (why)
        pod_resize_pending(p, why, msg);
    else if (pod_resize(p, want) < 0)
        pod_stop(p);
}

/* Stop what is no longer wanted as it runs; give adopted pods their spec. While the
 * pods directory is gone, nothing is stopped for being absent (an adopted pod too). */
static void stop_unwanted(struct reconciler *r, const struct spec_set *want, bool missing)
{
    for (size_t i = 0; i < r->n_pods; i++) {
        struct pod *p = r->pods[i];
        const struct spec_pod *d = spec_set_find(want, pod_name(p));
        if (!d && missing)
            continue;
        if (!d || strcmp(d->hash, pod_hash(p))) {
            if (!d || !pod_resizable(p, d)) /* only requests and limits: in place */
                pod_stop(p);
            else
                resize(r, p, d);
        } else if (!pod_has_spec(p) && !d->placeholder && pod_attach_spec(p, d) < 0) {
            tk_error("pod '%s': out of memory", pod_name(p));
        } else {
            pod_resize_pending(p, NULL, NULL); /* (the manifest went back to what runs) */
        }
    }
}

/* Forget pods that are fully gone. */
static void forget_gone(struct reconciler *r)
{
    size_t out = 0;
    for (size_t i = 0; i < r->n_pods; i++) {
        if (pod_gone(r->pods[i]))
            pod_free(r->pods[i]);
        else
            r->pods[out++] = r->pods[i];
    }
    r->n_pods = out;
}

/* Start what is missing (a replaced pod only once its old self is gone), a batch per
 * pass so the loop keeps answering while hundreds of pods come up. */
static void start_missing(struct reconciler *r, const struct spec_set *want)
{
    bool added = false;
    size_t started = 0;
    for (size_t i = 0; i < want->n_pods; i++) {
        if (want->pods[i]->placeholder || find(r, want->pods[i]->name))
            continue; /* a placeholder is kept as it runs, never started */
        if (started++ == START_BATCH) {
            reconcile_request(r);
            break;
        }
        struct pod *p = pod_new(&r->env, want->pods[i]);
        if (!p || add_pod(r, p) < 0) {
            pod_free(p);
            tk_error("pod '%s': out of memory", want->pods[i]->name);
            continue;
        }
        added = true;
    }
    if (added)
        tk_sort(r->pods, r->n_pods, sizeof(*r->pods), cmp_pods);
}

void reconcile_run(struct reconciler *r)
{
    const struct spec_set *want = &store_state(r->store)->set;
    bool missing = store_state(r->store)->missing;
    int64_t begin = metrics_reconcile_begin();
    r->passes++;
    stop_unwanted(r, want, missing);
    forget_gone(r);
    start_missing(r, want);
    struct admit_host host;
    admit_host_get(r->cfg, &host);
    admit_pods(r->pods, r->n_pods, &host);
    for (size_t i = 0; i < r->n_pods; i++)
        pod_sync(r->pods[i]);
    check_jobs(r);
    check_apps(r);
    arm_controllers(r);
    metrics_reconcile_end(begin);
}

static enum controllers_pod observe_pod(void *data, const char *name)
{
    const struct pod *p = find(data, name);
    struct pod_status s;
    if (!p)
        return CONTROLLERS_ABSENT;
    pod_get_status(p, &s);
    return s.phase == POD_SUCCEEDED ? CONTROLLERS_SUCCEEDED
           : s.phase == POD_FAILED  ? CONTROLLERS_FAILED
                                    : CONTROLLERS_ACTIVE;
}

/* When a Job's pod has ended, the controllers decide again (the next pod, or none). */
static void check_jobs(struct reconciler *r)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < r->n_pods; i++) {
        const struct spec_pod *sp = pod_spec(r->pods[i]);
        enum controllers_pod o = observe_pod(r, pod_name(r->pods[i]));
        if (!sp || !sp->owner_kind || strcmp(sp->owner_kind, "Job") || o == CONTROLLERS_ACTIVE)
            continue;
        for (const char *c = pod_name(r->pods[i]); *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
        h = (h ^ (unsigned)o) * 1099511628211ull;
    }
    if (h == r->jobs_sig)
        return;
    r->jobs_sig = h;
    if (store_refresh(r->store) > 0)
        on_store_change(r);
}

/* Whether every container of a pod adopted without its spec still runs: it served before
 * the agent's restart, and counts as ready (its probes are not known). */
static bool adopted_runs(const struct pod *p)
{
    struct pod_status s;
    pod_get_status(p, &s);
    for (size_t i = 0; i < s.n_containers; i++) {
        struct pod_ctr_status c;
        pod_get_ctr_status(p, i, &c);
        if (c.state != POD_CTR_RUNNING)
            return false;
    }
    return s.n_containers > 0;
}

/* The pods whose name starts with prefix, for the Deployment and DaemonSet controllers. */
static size_t list_pods(void *data, const char *prefix, struct controllers_podinfo **out)
{
    struct reconciler *r = data;
    size_t n = 0, l = strlen(prefix);
    *out = calloc(r->n_pods + 1, sizeof(**out));
    for (size_t i = 0; *out && i < r->n_pods; i++) {
        const struct pod *p = r->pods[i];
        if (strncmp(pod_name(p), prefix, l))
            continue;
        struct pod_status s;
        pod_get_status(p, &s);
        const struct pod_condition *c = &s.conditions[POD_COND_READY];
        (*out)[n++] = (struct controllers_podinfo){.name = pod_name(p),
                                                   .spec = pod_spec(p),
                                                   .hash = pod_hash(p),
                                                   .stopping = s.phase == POD_TERMINATING,
                                                   .ready = s.phase == POD_RUNNING && c->status,
                                                   .ready_ns = c->transition_ns};
        if (!pod_spec(p) && s.phase != POD_TERMINATING) /* adopted, its probes unknown */
            (*out)[n - 1].ready = adopted_runs(p), (*out)[n - 1].ready_ns = 0;
    }
    return n;
}

static void on_controllers_event(void *data, const char *object, const char *reason,
                                 const char *message)
{
    on_event(data, object, NULL, reason, message);
}

/* When a pod of a Deployment or DaemonSet changed (started, Ready, stopping, gone), the
 * controllers decide again (a time they asked for: arm_controllers). */
static void check_apps(struct reconciler *r)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < r->n_pods; i++) {
        const struct spec_pod *sp = pod_spec(r->pods[i]);
        if (sp && (!sp->owner_kind || !strcmp(sp->owner_kind, "Job")))
            continue;
        struct pod_status s;
        pod_get_status(r->pods[i], &s);
        for (const char *c = pod_name(r->pods[i]); *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
        h = (h ^ (unsigned)s.phase ^ (s.conditions[POD_COND_READY].status ? 16u : 0u)) *
            1099511628211ull;
    }
    if (h == r->apps_sig)
        return;
    r->apps_sig = h;
    if (store_refresh(r->store) > 0)
        on_store_change(r);
}

/* Adopt what a previous agent left: records, and sandboxes without one. */
static void adopt(struct reconciler *r)
{
    char **names = NULL;
    size_t n = 0;
    pod_list_records(r->record_dir, &names, &n);
    char **more = NULL;
    size_t n_more = 0;
    r->rt->ops->pod_list(r->rt->impl, &more, &n_more);
    for (size_t i = 0; i < n + n_more; i++) {
        char *name = i < n ? names[i] : more[i - n];
        if (!find(r, name)) {
            struct pod *p = pod_adopt(&r->env, name);
            if (!p || add_pod(r, p) < 0) {
                pod_free(p);
                tk_error("adopt pod '%s': out of memory", name);
            }
        }
        free(name);
    }
    free(names);
    free(more);
    if (r->n_pods)
        tk_sort(r->pods, r->n_pods, sizeof(*r->pods), cmp_pods);
}

struct reconciler *reconcile_new(struct loop *loop, const struct tank_config *cfg,
                                 struct runtime *rt, struct tk_err *err)
{
    struct reconciler *r = calloc(1, sizeof(*r));
    if (!r) {
        tk_err_sys(err, -ENOMEM, "start reconciler");
        return NULL;
    }
    r->loop = loop;
    r->cfg = cfg;
    r->rt = rt;
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/agent/pods", cfg->run_dir);
    r->record_dir = tk_buf_detach(&b);
    r->env = (struct pod_env){.loop = loop,
                              .rt = rt,
                              .cfg = cfg,
                              .record_dir = r->record_dir,
                              .event = on_event,
                              .changed = on_changed,
                              .data = r};
    struct store_host host = {0};
    struct host_facts hf;
    admit_host_get(cfg, &host.alloc);
    host_facts_get(cfg, &hf);
    host.uplink = hf.uplink; /* (the configuration's, or the host's: not hf's own) */
    r->store = store_new(loop, cfg->pods_dir, cfg->secrets_dir, cfg->seccomp_dir, &host,
                         DEBOUNCE_MS, on_store_change, r, err);
    host_facts_free(&hf);
    if (!r->store) {
        reconcile_free(r);
        return NULL;
    }
    store_set_observer(r->store, observe_pod, r);
    store_set_apps(r->store, list_pods, on_controllers_event, &r->rollouts);
    int e = store_set_state_dir(r->store, cfg->state_dir);
    if (e < 0) {
        tk_err_sys(err, e, "start reconciler: the template key in %s", cfg->state_dir);
        reconcile_free(r);
        return NULL;
    }
    /* the pods found first: the controllers read their outcomes (a finished Job's pods) */
    adopt(r);
    store_refresh(r->store);
    on_store_change(r);
    r->resync_timer =
        loop_add_timer(loop, cfg->resync_ms > 0 ? cfg->resync_ms : 60000, on_resync, r);
    reconcile_request(r);
    return r;
}

void reconcile_free(struct reconciler *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_pods; i++)
        pod_free(r->pods[i]);
    free(r->pods);
    loop_del_timer(r->loop, r->pass_timer);
    loop_del_timer(r->loop, r->resync_timer);
    loop_del_timer(r->loop, r->ctl_timer);
    store_free(r->store);
    controllers_rollouts_free(&r->rollouts);
    free(r->record_dir);
    free(r);
}

size_t reconcile_n_pods(const struct reconciler *r)
{
    return r->n_pods;
}

const struct pod *reconcile_pod(const struct reconciler *r, size_t i)
{
    return i < r->n_pods ? r->pods[i] : NULL;
}

const struct pod *reconcile_find(const struct reconciler *r, const char *name)
{
    return find(r, name);
}

const struct store_state *reconcile_desired(const struct reconciler *r)
{
    return store_state(r->store);
}

uint64_t reconcile_events_total(const struct reconciler *r)
{
    return r->events_total;
}

void reconcile_set_event_hook(struct reconciler *r, void (*fn)(void *data), void *data)
{
    r->event_hook = fn;
    r->event_hook_data = data;
}

size_t reconcile_n_events(const struct reconciler *r)
{
    return r->n_events;
}

const struct reconcile_event *reconcile_event(const struct reconciler *r, size_t i)
{
    return i < r->n_events ? &r->events[(r->ev_start + i) % EVENTS_MAX] : NULL;
}

const char *reconcile_pod_revision(const struct reconciler *r, const struct pod *p)
{
    const struct store_state *st = store_state(r->store);
    for (size_t i = 0; st->pod_revisions && i < st->set.n_pods; i++)
        if (!strcmp(st->set.pods[i]->name, pod_name(p)))
            return !strcmp(st->set.pods[i]->hash, pod_hash(p)) ? st->pod_revisions[i] : NULL;
    return NULL;
}

int reconcile_delete_pod(struct reconciler *r, const char *name)
{
    struct pod *p = find(r, name);
    if (!p)
        return -ENOENT;
    const struct spec_pod *sp = pod_spec(p);
    const struct spec_pod *d = spec_set_find(&store_state(r->store)->set, name);
    const char *owner = sp ? sp->owner_kind : d ? d->owner_kind : NULL;
    if (!owner || !strcmp(owner, "Job"))
        return -EPERM;
    tk_info("pod '%s': deleted (its %s makes it again)", name, owner);
    pod_stop(p);
    reconcile_request(r);
    return 0;
}

const struct controllers_rollout *reconcile_rollout(const struct reconciler *r, int kind,
                                                    const char *name)
{
    return controllers_rollout_find(&r->rollouts, kind, name);
}

uint64_t reconcile_passes(const struct reconciler *r)
{
    return r->passes;
}

const char *reconcile_state_dir(const struct reconciler *r)
{
    return r->cfg->state_dir;
}
