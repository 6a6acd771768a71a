#pragma once
/*
 * The host runtime's cgroups (agent/runtime.c): the agent's subtree opened at start, each
 * container's cgroup made before its start and joined at the ready checkpoint, and the
 * cgroups of pods that no longer exist swept away. Internal to agent/runtime*.c.
 */
#include <sys/types.h>

#include "base/err.h"
#include "spec/spec.h"

struct sandbox_cgroups;
struct tank_config;

/* Open [resources] cgroup under the agent's own cgroup and log the layout; NULL (logged as
 * a warning) when the host has no usable cgroups: then only privileged containers start. */
struct sandbox_cgroups *runtime_cg_open(const struct tank_config *cfg);

/* Remove the empty cgroups of pods without a sandbox in run_dir/state_dir (left by an
 * agent that was killed), and of containers without state in pods that remain. Adopted
 * containers keep theirs; a cgroup with processes of a pod this agent does not know is left
 * alone with a warning (never kill what may be another agent's). */
void runtime_cg_sweep(struct sandbox_cgroups *cg, const struct tank_config *cfg);

/* Make a fresh cgroup for container idx of pod with its policy (its memory and cpu limits,
 * shares from its cpu request, the default device allow-list unless privileged), after
 * the pod's (the sums of its containers' limits, pod_pids_limit). The container's
 * CreateContainerError on failure. */
int runtime_cg_prepare(struct sandbox_cgroups *cg, const struct spec_pod *pod, size_t idx,
                       int64_t pod_pids_limit, struct tk_err *err);

/* Rewrite the limits of container idx of pod, and of the pod, in place (an in-place resize:
 * the running container keeps its processes). -ENOENT when its cgroup does not exist. */
int runtime_cg_resize(struct sandbox_cgroups *cg, const struct spec_pod *pod, size_t idx,
                      int64_t pod_pids_limit, struct tk_err *err);

/* The ready hook: data is a struct runtime_cg_join; moves the workload into its cgroup
 * before its first instruction. */
struct runtime_cg_join {
    struct sandbox_cgroups *cg;
    char pod[256], ctr[256];
};
int runtime_cg_join_hook(pid_t pid, void *data, struct tk_err *err);
