/*
 * The init phase of a pod worker (agent/podworker.c): spec.initContainers run one at a time,
 * in order, each to success, before any app container starts; an init container with
 * restartPolicy: Always (a native sidecar) only has to start (its startup probe, if any, to
 * succeed) before the next one's turn, keeps running beside the app containers, is restarted
 * whenever it exits and stops after them. The containers' own steps are agent/ctrworker.c's;
 * what this adds to the pod's table:
 *
 *   pod            event                                   effect
 *   not            sync: the first init container whose    start it (it is IDLE), else wait
 *   initialized    turn it is (plain: not yet completed;   (pulling, starting, running,
 *                  sidecar: not yet running and started)   back-off)
 *                  sync: every init container through      initialized: the app containers
 *                                                          start in declared order
 *                  a plain one failed, restartPolicy Never the pod has Failed; its sidecars
 *                                                          stop
 *   initialized    sync: a sidecar exited                  restarted (ctr_decide: back-off)
 *                  sync: every app container ended for     the sidecars stop (last first)
 *                  good
 *   any            the sandbox was made anew               not initialized: the init
 *                                                          containers run again
 * A failed plain init container is retried by the pod's restartPolicy (Always counts as
 * OnFailure, as in Kubernetes), with the back-off of any container (ctr_decide).
 */
#include "agent/podworker-int.h"

#include <stdio.h>

/* A plain init container completed, or a sidecar runs (and its startup probe succeeded). */
static bool through(const struct ctr *c)
{
    if (c->sidecar)
        return c->state == C_RUNNING && c->started;
    return c->state == C_DONE && c->has_exit && c->exit_code == 0;
}

bool pod_init_failed(const struct pod *p)
{
    for (size_t i = 0; i < p->n_ctrs; i++) {
        const struct ctr *c = &p->ctrs[i];
        if (c->init && !c->sidecar && c->state == C_DONE && (!c->has_exit || c->exit_code != 0))
            return true;
    }
    return false;
}

bool pod_apps_done(const struct pod *p)
{
    bool any = false;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        if (p->ctrs[i].init)
            continue;
        if (p->ctrs[i].state != C_DONE)
            return false;
        any = true;
    }
    return any;
}

static void stop_sidecars(struct pod *p)
{
    for (size_t i = p->n_ctrs; i-- > 0;)
        if (p->ctrs[i].sidecar && ctr_alive(&p->ctrs[i]))
            ctr_stop(&p->ctrs[i]);
}

bool pod_init_sync(struct pod *p)
{
    if (p->initialized)
        return true;
    if (pod_init_failed(p)) {
        stop_sidecars(p);
        return false;
    }
    for (size_t i = 0; i < p->n_ctrs; i++) {
        struct ctr *c = &p->ctrs[i];
        if (!c->init || through(c))
            continue;
        if (c->state == C_IDLE)
            ctr_start(c);
        if (!through(c))
            return false; /* its turn goes on */
    }
    p->initialized = true;
    pod_emit(p, NULL, "Initialized", "init containers of pod '%s' completed", p->name);
    pod_write_record(p);
    return true;
}

void pod_sidecars_sync(struct pod *p)
{
    if (pod_apps_done(p)) {
        stop_sidecars(p);
        return;
    }
    for (size_t i = 0; i < p->n_ctrs; i++)
        if (p->ctrs[i].sidecar && p->ctrs[i].state == C_IDLE)
            ctr_start(&p->ctrs[i]);
}

void pod_init_sandbox_new(struct pod *p)
{
    bool again = false;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        struct ctr *c = &p->ctrs[i];
        again |= c->ever_started;
        if (c->init && (c->state == C_DONE || c->state == C_EXITED)) {
            ctr_set_state(c, C_IDLE, "the sandbox was made anew");
            c->reason = "PodInitializing";
        }
    }
    if (!p->spec || !p->spec->n_init_containers)
        return;
    p->initialized = false;
    if (again)
        pod_emit(p, NULL, "SandboxChanged", "pod sandbox changed, its init containers run again");
}

/* kubectl get pod's STATUS while the init containers run (its printPod rules). */
const char *pod_init_reason(const struct pod *p, char *buf, size_t size)
{
    size_t n = 0, k = 0;
    for (size_t i = 0; i < p->n_ctrs; i++)
        n += p->ctrs[i].init;
    if (p->initialized || !n)
        return NULL;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        const struct ctr *c = &p->ctrs[i];
        if (!c->init)
            continue;
        if (through(c)) {
            k++;
            continue;
        }
        if (c->state == C_EXITED || c->state == C_DONE)
            snprintf(buf, size, "Init:%s", c->reason ? c->reason : "Error");
        else if (c->state == C_BACKOFF ||
                 ((c->state == C_PULLING || c->state == C_STARTING) && c->message[0] && c->reason))
            snprintf(buf, size, "Init:%s", c->reason);
        else
            snprintf(buf, size, "Init:%zu/%zu", k, n);
        return buf;
    }
    snprintf(buf, size, "Init:%zu/%zu", k, n);
    return buf;
}
