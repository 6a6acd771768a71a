/* The host runtime's cgroups. See runtime_cg.h. */
#include "agent/runtime_cg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runtime.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/pod.h"

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
        if (sd && access(sd, F_OK) < 0 && sandbox_cgroup_remove(cg, pod, ctrs[i], &err) < 0)
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
        else if (sandbox_cgroup_remove(cg, have[i], NULL, &err) < 0)
            tk_warn("%s", err.msg);
        else
            tk_info("removed the cgroup of pod '%s', which no longer exists", have[i]);
    }
    free_names(have, n);
    sandbox_pod_list_free(pods);
}

int runtime_cg_prepare(struct sandbox_cgroups *cg, const struct spec_pod *pod, size_t idx,
                       struct tk_err *err)
{
    const struct spec_container *c = &pod->containers[idx];
    bool privileged = c->sec.privileged.has && c->sec.privileged.v;
    struct sandbox_cgroup_limits l = {.devices = !privileged};
    if (!cg) {
        if (privileged)
            return 0;
        return tk_err_set(err, -EOPNOTSUPP,
                          "device policy requested but no cgroup hierarchy is available");
    }
    return sandbox_cgroup_create(cg, pod->name, c->name, &l, err);
}

int runtime_cg_join_hook(pid_t pid, void *data, struct tk_err *err)
{
    struct runtime_cg_join *j = data;
    return sandbox_cgroup_join(j->cg, j->pod, j->ctr, pid, err);
}
