/* The JSON documents of the status API (agent/api.h): pods, workloads, the sync's status,
 * events. agent/api.c serves them over HTTP. */
#include "agent/api-int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/controllers.h"
#include "agent/manifests.h"
#include "agent/nodesel.h"
#include "agent/podworker.h"
#include "agent/reconcile.h"
#include "agent/runtime.h"
#include "agent/sync.h"
#include "base/fs.h"

json_t *api_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *time_or_null(int64_t ns)
{
    if (!ns)
        return json_null();
    char buf[64];
    tk_format_rfc3339(ns, buf, sizeof(buf));
    return json_string(buf);
}

/* {"cpu": "100m", "memory": "64Mi"} with the keys that are set. */
static json_t *amounts_json(const char *cpu, const char *mem)
{
    json_t *o = json_object();
    if (cpu && cpu[0])
        json_object_set_new(o, "cpu", json_string(cpu));
    if (mem && mem[0])
        json_object_set_new(o, "memory", json_string(mem));
    return o;
}

static json_t *resources_json(const struct spec_resources *r)
{
    if (!r)
        return json_null();
    return json_pack("{s:o, s:o}", "requests", amounts_json(r->cpu_request_s, r->mem_request_s),
                     "limits", amounts_json(r->cpu_limit_s, r->mem_limit_s));
}

static json_t *u64_or_null(uint64_t v)
{
    return v == UINT64_MAX || v > INT64_MAX ? json_null() : json_integer((json_int_t)v);
}

static json_t *usage_json(const struct pod *p, const char *ctr)
{
    struct runtime_usage u;
    pod_get_usage(p, ctr, &u);
    return json_pack("{s:o, s:o}", "cpuNanos", u64_or_null(u.cpu_ns), "memoryBytes",
                     u64_or_null(u.memory_bytes));
}

static const struct spec_resources *ctr_resources(const struct pod *p, const char *name)
{
    const struct spec_pod *s = pod_spec(p);
    for (size_t i = 0; s && i < spec_pod_n_all(s); i++)
        if (!strcmp(spec_pod_ctr(s, i)->name, name))
            return &spec_pod_ctr(s, i)->res;
    return NULL;
}

/* The pod's sums: requests of every container; a limit only when each container has one. */
static json_t *pod_resources_json(const struct pod *p)
{
    const struct spec_pod *s = pod_spec(p);
    if (!s)
        return json_null();
    const struct spec_resources *pr = &s->res;
    if (pr->cpu_request_s[0] || pr->cpu_limit_s[0] || pr->mem_request_s[0] || pr->mem_limit_s[0])
        return resources_json(pr); /* spec.resources as written */
    struct spec_resources sum = {0};
    bool all_cpu = true, all_mem = true;
    for (size_t i = 0; i < s->n_containers; i++) {
        const struct spec_resources *r = &s->containers[i].res;
        sum.cpu_request += r->cpu_request, sum.mem_request += r->mem_request;
        sum.cpu_limit += r->cpu_limit, sum.mem_limit += r->mem_limit;
        all_cpu &= r->cpu_limit > 0, all_mem &= r->mem_limit > 0;
    }
    if (sum.cpu_request)
        spec_quantity_format(sum.cpu_request, false, sum.cpu_request_s, 32);
    if (sum.mem_request)
        spec_quantity_format(sum.mem_request * 1000, true, sum.mem_request_s, 32);
    if (all_cpu && sum.cpu_limit)
        spec_quantity_format(sum.cpu_limit, false, sum.cpu_limit_s, 32);
    if (all_mem && sum.mem_limit)
        spec_quantity_format(sum.mem_limit * 1000, true, sum.mem_limit_s, 32);
    return resources_json(&sum);
}

/* Kubernetes' lastState: {"terminated": {...}} for the previous instance, {} when none. */
static json_t *last_state_json(const struct pod_ctr_term *t)
{
    if (!t->set)
        return json_object();
    json_t *o = json_object();
    json_object_set_new(o, "reason", api_str_or_null(t->reason));
    json_object_set_new(o, "exitCode", json_integer(t->exit_code));
    json_object_set_new(o, "signal", t->signal ? json_integer(t->signal) : json_null());
    json_object_set_new(o, "message", api_str_or_null(t->message));
    json_object_set_new(o, "startedAt", time_or_null(t->started_ns));
    json_object_set_new(o, "finishedAt", time_or_null(t->finished_ns));
    return json_pack("{s:o}", "terminated", o);
}

static json_t *conditions_json(const struct pod_status *s)
{
    json_t *a = json_array();
    for (int i = 0; i < POD_N_CONDS; i++) {
        const struct pod_condition *c = &s->conditions[i];
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string(pod_cond_to_string(i)));
        json_object_set_new(o, "status", json_string(c->status ? "True" : "False"));
        json_object_set_new(o, "lastTransitionTime", time_or_null(c->transition_ns));
        json_object_set_new(o, "reason", api_str_or_null(c->reason));
        json_object_set_new(o, "message", api_str_or_null(c->message[0] ? c->message : NULL));
        json_array_append_new(a, o);
    }
    if (s->resize_reason) /* as Kubernetes 1.33+ shows a resize it has not applied */
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:s, s:o}", "type", "PodResizePending",
                                           "status", "True", "lastTransitionTime",
                                           time_or_null(s->resize_ns), "reason", s->resize_reason,
                                           "message", api_str_or_null(s->resize_message)));
    return a;
}

static json_t *ctr_json(const struct pod *p, size_t i)
{
    struct pod_ctr_status c;
    pod_get_ctr_status(p, i, &c);
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(c.name));
    json_object_set_new(o, "image", api_str_or_null(c.image));
    json_object_set_new(o, "imageDigest", api_str_or_null(c.image_digest));
    json_object_set_new(o, "state", json_string(pod_ctr_state_to_string(c.state)));
    json_object_set_new(o, "reason", api_str_or_null(c.reason));
    json_object_set_new(o, "message", api_str_or_null(c.message));
    json_object_set_new(o, "exitCode", c.has_exit_code ? json_integer(c.exit_code) : json_null());
    json_object_set_new(o, "ready", json_boolean(c.ready));
    json_object_set_new(o, "started", json_boolean(c.started));
    json_object_set_new(o, "restarts", json_integer(c.restarts));
    json_object_set_new(o, "pid", c.pid > 0 ? json_integer(c.pid) : json_null());
    json_object_set_new(o, "startedAt", time_or_null(c.started_ns));
    json_object_set_new(o, "finishedAt", time_or_null(c.finished_ns));
    json_object_set_new(o, "lastState", last_state_json(&c.last));
    json_object_set_new(o, "resources", resources_json(ctr_resources(p, c.name)));
    json_object_set_new(o, "usage", usage_json(p, c.name));
    return o;
}

/* The spec naming p's owner: the one it runs, or for an old revision's pod adopted without
 * its manifest, the one the controllers keep it by (a placeholder); NULL when none has one. */
static const struct spec_pod *owner_spec(const struct reconciler *r, const struct pod *p)
{
    const struct spec_pod *sp = pod_spec(p);
    if (!sp)
        sp = spec_set_find(&reconcile_desired(r)->set, pod_name(p));
    return sp && sp->owner_kind && sp->owner_name ? sp : NULL;
}

static json_t *pod_json(const struct reconciler *r, const struct pod *p)
{
    struct pod_status s;
    pod_get_status(p, &s);
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(s.name));
    json_object_set_new(o, "namespace", api_str_or_null(s.namespace));
    json_object_set_new(o, "scheduled", json_true());
    json_object_set_new(o, "phase", json_string(pod_phase_to_string(s.phase)));
    json_object_set_new(o, "reason", api_str_or_null(s.reason));
    json_object_set_new(o, "message", api_str_or_null(s.message));
    json_object_set_new(o, "manifest", api_str_or_null(s.manifest));
    json_object_set_new(o, "revision", api_str_or_null(reconcile_pod_revision(r, p)));
    json_t *ips = json_array();
    for (size_t i = 0; i < s.n_ips; i++)
        json_array_append_new(ips, json_string(s.ips[i]));
    json_object_set_new(o, "ips", ips);
    json_object_set_new(o, "restarts", json_integer(s.restarts));
    json_object_set_new(o, "startedAt", time_or_null(s.started_ns));
    json_t *ctrs = json_array();
    for (size_t i = 0; i < s.n_containers; i++)
        json_array_append_new(ctrs, ctr_json(p, i));
    json_object_set_new(o, "containers", ctrs);
    json_t *inits = json_array();
    for (size_t i = 0; i < s.n_init_containers; i++)
        json_array_append_new(inits, ctr_json(p, s.n_containers + i));
    json_object_set_new(o, "initContainers", inits);
    json_object_set_new(o, "conditions", conditions_json(&s));
    json_object_set_new(o, "resources", pod_resources_json(p));
    json_object_set_new(o, "usage", usage_json(p, NULL));
    const struct spec_pod *spec = pod_spec(p), *owned = owner_spec(r, p);
    json_object_set_new(o, "qosClass", spec ? json_string(spec_pod_qos_class(spec)) : json_null());
    json_object_set_new(
        o, "owner",
        owned ? json_pack("{s:s, s:s}", "kind", owned->owner_kind, "name", owned->owner_name)
              : json_null());
    return o;
}

/* Every container ready (the pod's Ready condition). */
static bool pod_ready(const struct pod *p)
{
    struct pod_status s;
    pod_get_status(p, &s);
    if (s.phase != POD_RUNNING || !s.n_containers)
        return false;
    for (size_t i = 0; i < s.n_containers; i++) {
        struct pod_ctr_status c;
        pod_get_ctr_status(p, i, &c);
        if (!c.ready)
            return false;
    }
    return true;
}

/* A CronJob: its schedule, its Jobs (those not ended are "active") and their pods. */
static json_t *cronjob_json(const struct reconciler *r, const struct spec_workload *cj)
{
    const struct store_state *st = reconcile_desired(r);
    json_t *jobs = json_array(), *act = json_array(), *pods = json_array();
    for (size_t i = 0; i < st->set.n_workloads; i++) {
        const struct spec_workload *j = st->set.workloads[i];
        struct controllers_job_status js;
        if (!j->owner_cronjob || strcmp(j->owner_cronjob, cj->name))
            continue;
        json_array_append_new(jobs, json_string(j->name));
        if (controllers_job_status(reconcile_state_dir(r), j, &js) >= 0 && !js.condition[0])
            json_array_append_new(act, json_string(j->name));
        for (size_t k = 0; k < reconcile_n_pods(r); k++) {
            const struct spec_pod *sp = pod_spec(reconcile_pod(r, k));
            if (sp && sp->owner_name && !strcmp(sp->owner_name, j->name))
                json_array_append_new(pods, json_string(sp->name));
        }
    }
    int64_t last = 0, next = 0;
    controllers_cron_status(reconcile_state_dir(r), cj, &last, &next);
    static const char *const policies[] = {"Allow", "Forbid", "Replace"};
    int n = (int)json_array_size(act);
    return json_pack(
        "{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:[], s:o, s:s, s:o, s:b, s:s, s:o, "
        "s:o, s:o, s:o}",
        "kind", "CronJob", "name", cj->name, "namespace", cj->namespace, "replicas", n, "ready", n,
        "updated", 0, "available", 0, "conditions", "pods", pods, "schedule", cj->cron->schedule,
        "timeZone", api_str_or_null(cj->cron->time_zone), "suspend", cj->cron->suspend,
        "concurrencyPolicy", policies[cj->cron->concurrency], "lastScheduleTime",
        last ? time_or_null(last * 1000000) : json_null(), "nextScheduleTime",
        next ? time_or_null(next * 1000000) : json_null(), "active", act, "jobs", jobs);
}

/* A finished Job's condition, as its record says (controllers.h). */
static json_t *job_condition(const struct controllers_job_status *js)
{
    json_t *c = json_pack("{s:s, s:s}", "type", js->condition, "status", "True");
    if (js->reason[0])
        json_object_set_new(c, "reason", json_string(js->reason));
    json_object_set_new(c, "lastTransitionTime", time_or_null(js->finish_ms * 1000000));
    return c;
}

static json_t *condition(const char *type, const char *status, const char *reason,
                         const char *message)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "type", type, "status", status, "reason", reason,
                     "message", message);
}

/* A Deployment's Available and Progressing conditions, as its controller sets them; a
 * DaemonSet has none (as on a cluster). */
static json_t *app_conditions(const struct spec_workload *wl, const struct controllers_rollout *ro)
{
    json_t *conds = json_array();
    char msg[200];
    if (wl->kind != SPEC_DEPLOYMENT || !ro)
        return conds;
    json_array_append_new(
        conds,
        condition("Available", ro->min_available ? "True" : "False",
                  ro->min_available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                  ro->min_available ? "Deployment has minimum availability."
                                    : "Deployment does not have minimum availability."));
    snprintf(msg, sizeof(msg), "ReplicaSet \"%s-%s\" %s", wl->name, ro->hash,
             ro->deadline_exceeded ? "has timed out progressing."
             : ro->complete        ? "has successfully progressed."
                                   : "is progressing.");
    if (wl->paused && !ro->complete)
        json_array_append_new(
            conds, condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"));
    else
        json_array_append_new(conds,
                              condition("Progressing", ro->deadline_exceeded ? "False" : "True",
                                        ro->deadline_exceeded ? "ProgressDeadlineExceeded"
                                        : ro->complete        ? "NewReplicaSetAvailable"
                                                              : "ReplicaSetUpdated",
                                        msg));
    return conds;
}

static const char *app_strategy(const struct spec_workload *wl)
{
    if (wl->kind == SPEC_DAEMONSET)
        return wl->on_delete ? "OnDelete" : "RollingUpdate";
    return wl->recreate ? "Recreate" : "RollingUpdate";
}

/* Whether a DaemonSet's pod is for this host (not among the pods node selection skipped). */
static bool for_this_host(const struct store_state *st, const struct spec_workload *wl)
{
    size_t l = strlen(wl->name);
    for (size_t i = 0; i < st->n_skipped; i++)
        if (!strncmp(st->skipped[i].name, wl->name, l) && st->skipped[i].name[l] == '-' &&
            strlen(st->skipped[i].name) == l + 6)
            return false;
    return true;
}

/* The counts of a workload's pods. */
struct owned_counts {
    int ready, updated, succeeded, failed, active;
};

/* The names of the pods that run for wl now, counted into n. */
static json_t *owned_pods(const struct reconciler *r, const struct spec_workload *wl,
                          struct owned_counts *n)
{
    const struct store_state *st = reconcile_desired(r);
    json_t *names = json_array();
    for (size_t i = 0; i < reconcile_n_pods(r); i++) {
        const struct pod *p = reconcile_pod(r, i);
        const struct spec_pod *sp = owner_spec(r, p);
        if (!sp || strcmp(sp->owner_kind, spec_workload_kind_to_string(wl->kind)) ||
            strcmp(sp->owner_name, wl->name))
            continue;
        struct pod_status s;
        pod_get_status(p, &s);
        json_array_append_new(names, json_string(s.name));
        const struct spec_pod *want = spec_set_find(&st->set, s.name);
        n->updated += want && !strcmp(want->hash, pod_hash(p));
        n->ready += pod_ready(p);
        n->succeeded += s.phase == POD_SUCCEEDED;
        n->failed += s.phase == POD_FAILED;
        n->active += s.phase == POD_PENDING || s.phase == POD_RUNNING;
    }
    return names;
}

/* A Job's own keys: its times, its pods' outcomes, its CronJob. */
static void job_keys(json_t *o, const struct spec_workload *wl,
                     const struct controllers_job_status *js, const struct owned_counts *n)
{
    json_object_set_new(o, "startTime",
                        js->known ? time_or_null(js->start_ms * 1000000) : json_null());
    json_object_set_new(o, "completionTime",
                        js->finish_ms ? time_or_null(js->finish_ms * 1000000) : json_null());
    json_object_set_new(o, "succeeded", json_integer(n->succeeded));
    json_object_set_new(o, "failed", json_integer(n->failed));
    json_object_set_new(o, "active", json_integer(n->active));
    if (wl->owner_cronjob)
        json_object_set_new(o, "owner",
                            json_pack("{s:s, s:s}", "kind", "CronJob", "name", wl->owner_cronjob));
}

/* A Deployment's or DaemonSet's own keys: its strategy, template hash, pause. */
static void app_keys(json_t *o, const struct spec_workload *wl,
                     const struct controllers_rollout *ro)
{
    json_object_set_new(o, "strategy", json_string(app_strategy(wl)));
    json_object_set_new(o, "templateHash", json_string(ro ? ro->hash : ""));
    if (wl->kind == SPEC_DEPLOYMENT)
        json_object_set_new(o, "paused", json_boolean(wl->paused));
}

/* A Deployment, DaemonSet or Job with the pods that run for it now (kubectl get deploy / get job).
 */
static json_t *workload_json(const struct reconciler *r, const struct spec_workload *wl)
{
    struct owned_counts n = {0};
    json_t *names = owned_pods(r, wl, &n);
    if (wl->kind == SPEC_CRONJOB) {
        json_decref(names);
        return cronjob_json(r, wl);
    }
    bool job = wl->kind == SPEC_JOB;
    struct controllers_job_status js = {0};
    json_t *conds = json_array();
    if (job)
        controllers_job_status(reconcile_state_dir(r), wl, &js);
    if (job && js.condition[0])
        json_array_append_new(conds, job_condition(&js));
    const struct controllers_rollout *ro = job ? NULL : reconcile_rollout(r, wl->kind, wl->name);
    int replicas = job ? wl->completions : wl->replicas, available = n.ready;
    if (ro) {
        n.updated = ro->updated;
        available = ro->available;
        replicas = ro->replicas;
    }
    if (wl->kind == SPEC_DAEMONSET && !for_this_host(reconcile_desired(r), wl))
        replicas = 0;
    if (!job) {
        json_decref(conds);
        conds = app_conditions(wl, ro);
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:o, s:o}", "kind",
                          spec_workload_kind_to_string(wl->kind), "name", wl->name, "namespace",
                          wl->namespace, "replicas", replicas, "ready", n.ready, "updated",
                          n.updated, "available", available, "conditions", conds, "pods", names);
    if (job)
        job_keys(o, wl, &js, &n);
    else
        app_keys(o, wl, ro);
    return o;
}

char *api_dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* A valid pod that is not for this host (agent/nodesel.h): never started, not an error. */
static json_t *skipped_json(const struct nodesel_skipped *k)
{
    return json_pack("{s:s, s:b, s:n, s:s, s:o, s:o, s:[]}", "name", k->name, "scheduled", 0,
                     "phase", "reason", "NotForThisHost", "message", api_str_or_null(k->reason),
                     "manifest", api_str_or_null(k->file), "containers");
}

static json_t *sync_json(const struct sync *sync)
{
    if (!sync)
        return json_null();
    struct sync_status st;
    sync_get_status(sync, &st);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "repo", api_str_or_null(st.repo), "ref",
                     api_str_or_null(st.ref), "revision", api_str_or_null(st.revision), "lastSync",
                     time_or_null(st.last_sync_ns), "lastAttempt", time_or_null(st.last_attempt_ns),
                     "error", api_str_or_null(st.error));
}

char *api_pods_sync_json(const struct reconciler *r, const struct sync *sync)
{
    const struct store_state *st = reconcile_desired(r);
    json_t *root = json_object();
    json_object_set_new(root, "revision", api_str_or_null(st->revision));
    json_object_set_new(root, "sync", sync_json(sync));
    json_t *pods = json_array();
    for (size_t i = 0; i < reconcile_n_pods(r); i++)
        json_array_append_new(pods, pod_json(r, reconcile_pod(r, i)));
    for (size_t i = 0; i < st->n_skipped; i++)
        json_array_append_new(pods, skipped_json(&st->skipped[i]));
    json_object_set_new(root, "pods", pods);
    json_t *wls = json_array();
    for (size_t i = 0; i < st->set.n_workloads; i++)
        json_array_append_new(wls, workload_json(r, st->set.workloads[i]));
    json_object_set_new(root, "workloads", wls);
    json_t *errs = json_array();
    for (size_t i = 0; i < st->set.n_errors; i++) {
        const struct spec_error *e = &st->set.errors[i];
        json_array_append_new(errs, json_pack("{s:o, s:i, s:i, s:o}", "file",
                                              api_str_or_null(e->file), "line", e->line, "column",
                                              e->column, "message", api_str_or_null(e->message)));
    }
    json_object_set_new(root, "errors", errs);
    return api_dump(root);
}

char *api_pods_json(const struct reconciler *r)
{
    return api_pods_sync_json(r, NULL);
}

char *api_pod_json(const struct reconciler *r, const char *name)
{
    const struct pod *p = reconcile_find(r, name);
    const struct store_state *st = reconcile_desired(r);
    for (size_t i = 0; !p && i < st->n_skipped; i++)
        if (!strcmp(st->skipped[i].name, name))
            return api_dump(skipped_json(&st->skipped[i]));
    return p ? api_dump(pod_json(r, p)) : NULL;
}

char *api_pod_manifest(const struct reconciler *r, const char *name, const char **why)
{
    const struct pod *p = reconcile_find(r, name);
    const struct spec_pod *s = p ? pod_spec(p) : NULL;
    *why = !p   ? "not found"
           : !s ? "not known yet (found running at start-up, before its manifest)"
           : !s->source
               ? "made by a controller (Deployment, DaemonSet, Job): no manifest of its own"
               : NULL;
    return *why ? NULL : strdup(s->source);
}

char *api_events_json(const struct reconciler *r, const char *pod)
{
    json_t *evs = json_array();
    for (size_t i = 0; i < reconcile_n_events(r); i++) {
        const struct reconcile_event *e = reconcile_event(r, i);
        if (pod && strcmp(pod, e->pod))
            continue;
        json_array_append_new(evs,
                              json_pack("{s:o, s:s, s:o, s:s, s:s}", "time",
                                        time_or_null(e->time_ns), "pod", e->pod, "container",
                                        e->container[0] ? json_string(e->container) : json_null(),
                                        "reason", e->reason, "message", e->message));
    }
    return api_dump(json_pack("{s:o}", "events", evs));
}
