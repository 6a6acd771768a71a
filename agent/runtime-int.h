#pragma once
/*
 * Internal to the host runtime (agent/runtime.c: containers and images; agent/runtime_pod.c:
 * pod sandboxes): the runtime's state and the helpers both halves use. Nothing else
 * includes it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "agent/runtime.h"

struct tank_config;
struct spec_pod;
struct spec_volume;

struct host_rt {
    const struct tank_config *cfg;
    struct image_store *images;
    struct sandbox_cgroups *cg; /* NULL: no cgroups (only privileged containers start) */
};

/* ---- runtime.c ---- */

/* sandbox_ctr_path(dir, pod, ctr) on the heap (ctr NULL: the pod's containers). */
char *ctr_path(const char *dir, const char *pod, const char *ctr);
/* RUN_DIR/.../CTR: the container's state; STATE_DIR/pods/POD/containers/CTR: its writable
 * layer. Heap strings. */
char *ctr_state_dir(const struct host_rt *h, const char *pod, const char *ctr);
char *ctr_rw_dir(const struct host_rt *h, const char *pod, const char *ctr);

/* ---- runtime_pod.c ---- */

/* The group of a pod's configMap and secret files (-1: none). */
int64_t cfg_group(const char *state_dir, const struct spec_pod *pod);
/* RUN_DIR/cfgvol/POD (heap; NULL when out of memory). */
char *cfgvol_dir(const char *run_dir, const char *pod);
/* Write configMap/secret volume v below base; 1 when its files changed. */
int write_cfg_volume(const char *base, const struct spec_volume *v, int64_t group,
                     struct tk_err *err);
/* Does the pod get its own user namespace? */
bool pod_userns(const struct tank_config *cfg, const struct spec_pod *pod);

/* The runtime_ops of pods (see runtime.h). */
int host_pod_up(void *impl, const struct spec_pod *pod, struct runtime_pod_info *info,
                struct runtime_underway *start, struct tk_err *err);
int host_pod_up_advance(void *impl, struct runtime_underway *work, struct tk_err *err);
void host_pod_up_cancel(void *impl, struct runtime_underway *work, bool kill_it);
int host_pod_down(void *impl, const char *pod, struct runtime_underway *work, struct tk_err *err);
int host_pod_down_advance(void *impl, struct runtime_underway *work, struct tk_err *err);
void host_pod_down_cancel(void *impl, struct runtime_underway *work);
int host_pod_list(void *impl, char ***names, size_t *n);
int host_pod_check(void *impl, const char *pod, struct tk_err *err);
