/* The host runtime's cgroups. See runtime_cg.h. */
#include "agent/runtime_cg.h"

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runtime.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/podsandbox.h"

struct sandbox_cgroups *runtime_cg_open(const struct tank_config *cfg)
{
    struct sandbox_cgroups *cg = NULL;
    struct tk_err err = {0};
    struct sandbox_cgroup_options o = {.subtree = cfg->cgroup, .move_self = true};
    if (sandbox_cgroups_open(&o, &cg, &err) < 0) {
        tk_warn("%s: only privileged containers can start", err.msg);
        return NULL;
    }
    tk_info("%s", sandbox_cgroups_describe(cg));
    return cg;
}

static bool listed(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The containers of pod without state: their cgroups go. */
static void sweep_pod(struct sandbox_cgroups *cg, const struct tank_config *cfg, const char *pod)
{
    char **ctrs = NULL;
    int n = sandbox_cgroup_list(cg, pod, &ctrs);
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *sd = runtime_ctr_state_dir(cfg->run_dir, pod, ctrs[i]);
        struct tk_err err = {0};
        if (sd && access(sd, F_OK) < 0 && sandbox_cgroup_count_procs(cg, pod, ctrs[i]) == 0 &&
            sandbox_cgroup_remove(cg, pod, ctrs[i], &err) < 0)
            tk_warn("%s", err.msg);
    }
    if (n > 0)
        free_names(ctrs, n);
}

void runtime_cg_sweep(struct sandbox_cgroups *cg, const struct tank_config *cfg)
{
    char **have = NULL, **pods = NULL;
    if (!cg)
        return;
    int n = sandbox_cgroup_list(cg, NULL, &have);
    int np = sandbox_pod_list(cfg->run_dir, cfg->state_dir, &pods, NULL);
    if (n <= 0 || np < 0) {
        if (n > 0)
            free_names(have, n);
        if (np >= 0)
            sandbox_pod_list_free(pods);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct tk_err err = {0};
        if (listed(pods, np, have[i]))
            sweep_pod(cg, cfg, have[i]);
        else if (sandbox_cgroup_count_procs(cg, have[i], NULL) > 0) /* not ours to kill */
            tk_warn("the cgroup of pod '%s', which this agent does not know, still has "
                    "processes: left alone (another agent under the same [resources] cgroup?)",
                    have[i]);
        else if (sandbox_cgroup_remove(cg, have[i], NULL, &err) < 0)
            tk_warn("%s", err.msg);
        else
            tk_info("removed the cgroup of pod '%s', which no longer exists", have[i]);
    }
    free_names(have, n);
    sandbox_pod_list_free(pods);
}

/* The kubelet's conversions: shares = milliCPU * 1024 / 1000 (at least 2, also with no
 * request), quota = milliCPU * period / 1000 (at least 1 ms). */
static int64_t shares(int64_t milli)
{
    int64_t s = milli * 1024 / 1000;
    return s < 2 ? 2 : s > 262144 ? 262144 : s;
}

static int64_t quota(int64_t milli)
{
    int64_t q = milli * SANDBOX_CGROUP_CPU_PERIOD_US / 1000;
    return milli <= 0 ? 0 : q < 1000 ? 1000 : q;
}

/* What the pod's containers need at once, as the kubelet counts it: the app containers and
 * the sidecars together, or an init container with the sidecars started before it, whichever
 * is more. all is false when one of them lacks the value. */
static int64_t pod_need(const struct spec_pod *pod, size_t off, bool *all)
{
    int64_t sum = 0, side = 0, most = 0;
    *all = true;
    for (size_t i = 0; i < spec_pod_n_all(pod); i++) {
        const int64_t v = *(const int64_t *)((const char *)&spec_pod_ctr(pod, i)->res + off);
        const struct spec_container *c = spec_pod_ctr(pod, i);
        *all &= v > 0;
        if (!spec_pod_is_init(pod, i))
            sum += v;
        else if (c->sidecar)
            side += v, most = side > most ? side : most;
        else
            most = side + v > most ? side + v : most;
    }
    return sum + side > most ? sum + side : most;
}

/* The pod's cgroup: the sums of its containers' limits when every container has one (as
 * the kubelet), the sum of their cpu requests as shares, and the pod's pids limit. */
static void pod_limits(const struct sandbox_cgroups *cg, const struct spec_pod *pod, int64_t pids,
                       struct sandbox_cgroup_limits *l)
{
    bool all_mem, all_cpu, all_req;
    int64_t mem = pod_need(pod, offsetof(struct spec_resources, mem_limit), &all_mem);
    int64_t cpu = pod_need(pod, offsetof(struct spec_resources, cpu_limit), &all_cpu);
    int64_t req = pod_need(pod, offsetof(struct spec_resources, cpu_request), &all_req);
    const struct spec_resources *pr = &pod->res; /* pod-level resources, when set, win */
    *l = (struct sandbox_cgroup_limits){
        .memory_max = pr->mem_limit ? pr->mem_limit
                      : all_mem     ? mem
                                    : 0,
        .cpu_quota_us = pr->cpu_limit ? quota(pr->cpu_limit)
                        : all_cpu     ? quota(cpu)
                                      : 0,
        .cpu_shares =
            sandbox_cgroups_has(cg, "cpu") ? shares(pr->cpu_request ? pr->cpu_request : req) : 0,
        .pids_max = sandbox_cgroups_has(cg, "pids") ? pids : 0,
    };
}

static void ctr_limits(const struct sandbox_cgroups *cg, const struct spec_container *c,
                       struct sandbox_cgroup_limits *l)
{
    const struct spec_resources *r = &c->res;
    *l = (struct sandbox_cgroup_limits){
        .memory_max = r->mem_limit,
        .cpu_quota_us = quota(r->cpu_limit),
        .cpu_shares = r->cpu_request || sandbox_cgroups_has(cg, "cpu") ? shares(r->cpu_request) : 0,
        .devices = !(c->sec.privileged.has && c->sec.privileged.v),
    };
}

int runtime_cg_prepare(struct sandbox_cgroups *cg, const struct spec_pod *pod, size_t idx,
                       int64_t pod_pids_limit, struct tk_err *err)
{
    const struct spec_container *c = spec_pod_ctr(pod, idx);
    const struct spec_resources *r = &c->res;
    bool privileged = c->sec.privileged.has && c->sec.privileged.v;
    struct sandbox_cgroup_limits l, pl;
    if (!cg) {
        if (privileged && !r->mem_limit && !r->cpu_limit && !r->cpu_request)
            return 0;
        return tk_err_set(err, -EOPNOTSUPP, "%s requested but no cgroup hierarchy is available",
                          privileged ? "a resource limit" : "device policy");
    }
    ctr_limits(cg, c, &l);
    pod_limits(cg, pod, pod_pids_limit, &pl);
    int ret = sandbox_cgroup_create(cg, pod->name, NULL, &pl, err);
    if (ret == 0)
        ret = sandbox_cgroup_create(cg, pod->name, c->name, &l, err);
    return ret;
}

int runtime_cg_resize(struct sandbox_cgroups *cg, const struct spec_pod *pod, size_t idx,
                      int64_t pod_pids_limit, struct tk_err *err)
{
    struct sandbox_cgroup_limits l, pl;
    if (!cg)
        return tk_err_set(err, -EOPNOTSUPP, "resize: no cgroup hierarchy is available");
    ctr_limits(cg, spec_pod_ctr(pod, idx), &l);
    pod_limits(cg, pod, pod_pids_limit, &pl);
    /* A raise of the pod's limit goes before the container's, a cut after it (cgroup v1
     * refuses a child's cpu quota above its parent's): the pod's is written again last. */
    int first = sandbox_cgroup_update(cg, pod->name, NULL, &pl, NULL);
    int r = sandbox_cgroup_update(cg, pod->name, spec_pod_ctr(pod, idx)->name, &l, err);
    if (r == 0 && first < 0)
        r = sandbox_cgroup_update(cg, pod->name, NULL, &pl, err);
    return r;
}

int runtime_cg_join_hook(pid_t pid, void *data, struct tk_err *err)
{
    struct runtime_cg_join *j = data;
    return sandbox_cgroup_join(j->cg, j->pod, j->ctr, pid, err);
}
