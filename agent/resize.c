/*
 * In-place resize (Kubernetes' InPlacePodVerticalScaling): a running pod whose new spec
 * differs from the one it runs only in requests and limits (the same hash without
 * resources, spec_pod.hash_nores) keeps running. Each container whose resources changed
 * either gets its cgroup files rewritten (resizePolicy NotRequired, the default) or is
 * restarted at once with the new limits (RestartContainer for a resource that changed);
 * the pod's cgroup is rewritten with the new sums. A change of the QoS class replaces the
 * pod (Kubernetes refuses such a resize).
 */
#include "agent/podworker-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"

/* What changed in one container: SPEC_RESIZE_CPU, SPEC_RESIZE_MEMORY. */
static unsigned changed_of(const struct spec_resources *a, const struct spec_resources *b)
{
    unsigned m = 0;
    if (a->cpu_request != b->cpu_request || a->cpu_limit != b->cpu_limit)
        m |= SPEC_RESIZE_CPU;
    if (a->mem_request != b->mem_request || a->mem_limit != b->mem_limit)
        m |= SPEC_RESIZE_MEMORY;
    return m;
}

static void describe(const struct spec_resources *r, char *out, size_t size)
{
    snprintf(out, size, "requests cpu %s memory %s, limits cpu %s memory %s",
             r->cpu_request_s[0] ? r->cpu_request_s : "-",
             r->mem_request_s[0] ? r->mem_request_s : "-", r->cpu_limit_s[0] ? r->cpu_limit_s : "-",
             r->mem_limit_s[0] ? r->mem_limit_s : "-");
}

/* One container: rewrite its cgroup (and the pod's), or restart it when its policy says so.
 * Whether the pod's cgroup was rewritten. */
static bool resize_ctr(struct pod *p, struct ctr *c, unsigned changed)
{
    const struct spec_container *sc = spec_pod_ctr(p->spec, c->idx);
    char d[256];
    describe(&sc->res, d, sizeof(d));
    if ((changed & sc->resize_restart) && c->state == C_RUNNING) {
        pod_emit(p, c, "Resizing", "container '%s' restarts to take its new resources (%s)",
                 c->name, d);
        c->resize_restart = true;
        ctr_kill_graceful(c, p->grace_ms);
        return false;
    }
    struct tk_err err = {0};
    const struct runtime_ops *ops = p->env.rt->ops;
    int r = ops->ctr_resize ? ops->ctr_resize(p->env.rt->impl, p->spec, c->idx, &err) : 0;
    if (r == -ENOENT || c->state != C_RUNNING) /* not running: its next start has them */
        return false;
    if (r < 0)
        pod_emit(p, c, "ResizeFailed", "container '%s': %s", c->name, err.msg);
    else if (changed)
        pod_emit(p, c, "Resized", "container '%s' resized in place (%s)", c->name, d);
    return r == 0;
}

bool pod_resizable(const struct pod *p, const struct spec_pod *want)
{
    if (!p->spec || !p->hash_nores[0] || strcmp(p->hash_nores, want->hash_nores) ||
        pod_is_stopping(p) || p->state == P_GONE || p->n_ctrs != spec_pod_n_all(want))
        return false;
    const char *was = spec_pod_qos_class(p->spec), *now = spec_pod_qos_class(want);
    if (strcmp(was, now)) {
        tk_info("pod '%s': its resources change its QoS class (%s to %s): replaced", p->name, was,
                now);
        return false;
    }
    return true;
}

void pod_resize_pending(struct pod *p, const char *reason, const char *message)
{
    if (!reason) {
        if (p->resize_reason)
            tk_info("pod '%s': no resize pending any more", p->name);
        p->resize_reason = NULL;
        p->resize_message[0] = 0;
        return;
    }
    if (p->resize_reason == reason && !strcmp(p->resize_message, message))
        return;
    if (!p->resize_reason)
        p->resize_ns = tk_now_realtime_ns();
    p->resize_reason = reason;
    snprintf(p->resize_message, sizeof(p->resize_message), "%s", message);
    pod_emit(p, NULL, "ResizePending", "%s: %s", reason, message);
}

int pod_resize(struct pod *p, const struct spec_pod *want)
{
    if (!pod_resizable(p, want))
        return -EINVAL;
    pod_resize_pending(p, NULL, NULL);
    _cleanup_free_ unsigned *changed = calloc(p->n_ctrs + 1, sizeof(*changed));
    if (!changed)
        return -ENOMEM;
    bool pod_level = changed_of(&p->spec->res, &want->res) != 0, rewritten = false;
    for (size_t i = 0; i < p->n_ctrs; i++)
        changed[i] = changed_of(&spec_pod_ctr(p->spec, i)->res, &spec_pod_ctr(want, i)->res);
    if (pod_attach_spec(p, want) < 0)
        return -ENOMEM;
    tk_info("pod '%s': resized in place", p->name);
    for (size_t i = 0; p->state == P_RUNNING && i < p->n_ctrs; i++)
        if (changed[i])
            rewritten |= resize_ctr(p, &p->ctrs[i], changed[i]);
    /* Only spec.resources changed: the pod's cgroup, through a running container's. */
    for (size_t i = 0; pod_level && !rewritten && p->state == P_RUNNING && i < p->n_ctrs; i++)
        if (p->ctrs[i].state == C_RUNNING)
            rewritten = resize_ctr(p, &p->ctrs[i], 0);
    pod_write_record(p);
    pod_sync(p);
    return 0;
}
