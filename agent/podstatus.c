/* A pod's status as the API and tank status show it: its phase, conditions and reason
 * worked out from the pod worker's state (agent/podworker.c), each container's status, the
 * accessors the reconciler uses, and usage read from the cgroups (cached briefly). */
#include "agent/podworker.h"
#include "agent/podworker-int.h"
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>
#include "agent/config.h"
#include "agent/loop.h"
#include "agent/runtime.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/alloc.h"

static enum pod_phase phase_of(const struct pod *p)
{
    if (pod_is_stopping(p) || p->state == P_GONE)
        return POD_TERMINATING;
    if (pod_init_failed(p))
        return POD_FAILED;
    /* A pod whose sandbox died for good ends with what has not run (sandbox_lost). */
    enum pod_phase not_run = p->sandbox_dead ? POD_FAILED : POD_PENDING;
    if (!p->initialized)
        return not_run;
    bool all_done = p->n_ctrs > 0, all_ok = true;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        const struct ctr *c = &p->ctrs[i];
        if (c->init)
            continue;
        if (!c->ever_started && !ctr_alive(c))
            return not_run;
        if (c->state != C_DONE)
            all_done = false;
        else if (c->exit_code != 0)
            all_ok = false;
    }
    if (!p->n_ctrs || p->state != P_RUNNING)
        return POD_PENDING;
    if (all_done)
        return all_ok ? POD_SUCCEEDED : POD_FAILED;
    return POD_RUNNING;
}

/* The conditions as the containers stand now. */
static void conditions_now(const struct pod *p, bool out[POD_N_CONDS])
{
    bool all_ready = p->n_ctrs > 0;
    for (size_t i = 0; i < p->n_ctrs; i++)
        if (!p->ctrs[i].init || p->ctrs[i].sidecar)
            all_ready = all_ready && p->ctrs[i].state == C_RUNNING && p->ctrs[i].ready;
    out[POD_COND_INITIALIZED] = p->initialized;
    out[POD_COND_CONTAINERS_READY] = all_ready;
    out[POD_COND_READY] = all_ready && !pod_is_stopping(p) && p->state != P_GONE;
}

void pod_conditions_update(struct pod *p)
{
    bool now[POD_N_CONDS];
    conditions_now(p, now);
    int64_t t = tk_now_realtime_ns();
    bool ready_flipped =
        p->cond_ns[POD_COND_READY] && p->cond[POD_COND_READY] != now[POD_COND_READY];
    for (int i = 0; i < POD_N_CONDS; i++)
        if (!p->cond_ns[i] || p->cond[i] != now[i]) {
            p->cond[i] = now[i];
            p->cond_ns[i] = t;
        }
    if (ready_flipped && p->env.changed) /* a rollout may move on (agent/controllers.h) */
        p->env.changed(p->env.data);
}

/* Why a condition is false, Kubernetes' words: the containers that keep it so. */
static void condition_why(const struct pod *p, enum pod_phase phase, bool init,
                          struct pod_condition *c)
{
    if (!init && (phase == POD_SUCCEEDED || phase == POD_FAILED)) {
        c->reason = "PodCompleted";
        return;
    }
    c->reason = init ? "ContainersNotInitialized" : "ContainersNotReady";
    size_t len = (size_t)snprintf(c->message, sizeof(c->message), "containers with %s status: [",
                                  init ? "incomplete" : "unready");
    for (size_t i = 0, n = 0; i < p->n_ctrs && len < sizeof(c->message); i++)
        if (init ? p->ctrs[i].init && !(p->ctrs[i].state == C_DONE && !p->ctrs[i].exit_code) &&
                       !(p->ctrs[i].sidecar && p->ctrs[i].state == C_RUNNING)
                 : (!p->ctrs[i].init || p->ctrs[i].sidecar) &&
                       (p->ctrs[i].state != C_RUNNING || !p->ctrs[i].ready))
            len += (size_t)snprintf(c->message + len, sizeof(c->message) - len, "%s%s",
                                    n++ ? " " : "", p->ctrs[i].name);
    if (len < sizeof(c->message))
        snprintf(c->message + len, sizeof(c->message) - len, "]");
}

static void get_conditions(const struct pod *p, struct pod_status *out)
{
    bool now[POD_N_CONDS];
    conditions_now(p, now);
    for (int i = 0; i < POD_N_CONDS; i++) {
        struct pod_condition *c = &out->conditions[i];
        c->status = now[i];
        c->transition_ns = p->cond_ns[i] && p->cond[i] == now[i] ? p->cond_ns[i] : p->started_ns;
        if (!now[i])
            condition_why(p, out->phase, i == POD_COND_INITIALIZED, c);
    }
}

void pod_get_status(const struct pod *p, struct pod_status *out)
{
    memset(out, 0, sizeof(*out));
    out->name = p->name;
    out->phase = phase_of(p);
    out->reason = p->reason;
    out->message = p->message[0] ? p->message : NULL;
    out->manifest = p->spec ? p->spec->file : NULL;
    out->namespace = p->spec ? p->spec->namespace : NULL;
    out->hash = p->hash;
    out->ips = (const char *const *)p->ips;
    out->n_ips = p->n_ips;
    out->started_ns = p->started_ns;
    for (size_t i = 0; i < p->n_ctrs; i++)
        p->ctrs[i].init ? out->n_init_containers++ : out->n_containers++;
    const char *init = pod_init_reason(p, out->reason_buf, sizeof(out->reason_buf));
    if (init && !out->reason) {
        out->reason = init;
        out->message = NULL;
    }
    for (size_t i = 0; i < p->n_ctrs; i++) {
        const struct ctr *c = &p->ctrs[i];
        out->restarts += c->restarts;
        if (init && !c->init)
            continue;
        bool retrying = (c->state == C_PULLING || c->state == C_STARTING) && c->message[0];
        if (!out->reason && (c->state == C_BACKOFF || retrying)) {
            out->reason = c->reason;
            out->message = c->message[0] ? c->message : NULL;
        }
    }
    if (pod_is_stopping(p) || p->state == P_GONE)
        out->reason = "Terminating";
    get_conditions(p, out);
    out->resize_reason = p->resize_reason;
    out->resize_message = p->resize_reason ? p->resize_message : NULL;
    out->resize_ns = p->resize_ns;
}

void pod_get_ctr_status(const struct pod *p, size_t i, struct pod_ctr_status *out)
{
    const struct ctr *c = &p->ctrs[i];
    memset(out, 0, sizeof(*out));
    out->name = c->name;
    out->image = c->image;
    out->image_digest = c->digest[0] ? c->digest : NULL;
    out->reason = c->reason;
    out->message = c->message[0] ? c->message : NULL;
    out->has_exit_code = c->has_exit;
    out->exit_code = c->exit_code;
    out->signal = c->signal;
    out->restarts = c->restarts;
    out->started_ns = c->started_ns;
    out->sidecar = c->sidecar;
    const struct ctr_term *t =
        c->state == C_EXITED || c->state == C_DONE ? &c->last_term : &c->term;
    if (t->set)
        out->last = (struct pod_ctr_term){t->set,
                                          t->reason,
                                          t->exit_code,
                                          t->signal,
                                          t->message[0] ? t->message : NULL,
                                          t->started_ns,
                                          t->finished_ns};
    switch (c->state) {
    case C_RUNNING:
        out->state = POD_CTR_RUNNING;
        out->pid = c->pid;
        out->started = c->started;
        out->ready = c->ready;
        out->reason = NULL;
        out->message = NULL;
        break;
    case C_EXITED:
    case C_DONE:
        out->state = POD_CTR_TERMINATED;
        out->finished_ns = c->finished_ns;
        break;
    case C_POSTSTART: /* not running until its postStart hook returned */
        out->state = POD_CTR_WAITING;
        out->pid = c->pid;
        out->reason = "ContainerCreating";
        out->message = NULL;
        break;
    case C_BACKOFF:
        out->next_restart_ns = c->due_ns;
        __attribute__((fallthrough));
    default:
        out->state = POD_CTR_WAITING;
        if (c->state == C_IDLE && !c->init && !p->initialized)
            out->reason = "PodInitializing";
    }
}

const char *pod_name(const struct pod *p)
{
    return p->name;
}

const char *pod_hash(const struct pod *p)
{
    return p->hash;
}

bool pod_has_spec(const struct pod *p)
{
    return p->spec != NULL;
}

const struct spec_pod *pod_spec(const struct pod *p)
{
    return p->spec;
}

bool pod_awaits_admission(const struct pod *p)
{
    return p->state == P_ADMISSION;
}

int pod_get_usage(const struct pod *p, const char *ctr, struct runtime_usage *out)
{
    out->cpu_ns = out->memory_bytes = UINT64_MAX;
    const struct runtime *rt = p->env.rt;
    if (!rt->ops->usage)
        return -ENOENT;
    /* (the cache is not what the pod is: written through a const pod) */
    struct usage_cache *uc = ctr ? NULL : (struct usage_cache *)&p->usage;
    for (size_t i = 0; ctr && i < p->n_ctrs; i++)
        if (!strcmp(p->ctrs[i].name, ctr))
            uc = (struct usage_cache *)&p->ctrs[i].usage;
    int64_t now = p->env.loop ? loop_now_ms(p->env.loop) : 0;
    if (uc && now && uc->at_ms == now) {
        *out = uc->u;
        return uc->r;
    }
    bool mem_kept = uc && now && uc->mem_at_ms && now - uc->mem_at_ms < USAGE_MEMORY_MAX_AGE_MS;
    int r = rt->ops->usage(rt->impl, p->name, ctr, !mem_kept, out);
    if (!uc)
        return r;
    if (mem_kept) {
        out->memory_bytes = uc->u.memory_bytes;
        r = r < 0 ? r : uc->mem_r;
    } else {
        uc->mem_at_ms = now;
        uc->mem_r = r;
    }
    uc->at_ms = now, uc->r = r, uc->u = *out;
    return r;
}
