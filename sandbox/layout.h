#pragma once
/*
 * The on-disk layout of pods and containers, spelled here and nowhere else (the rest of
 * Tank asks these helpers):
 *
 *   RUN_DIR/pods/POD/                    the pod sandbox: ns/, etc/ (SANDBOX_POD_ETC), the
 *                                        completion marker (sandbox/podsandbox.h tells more)
 *   RUN_DIR/pods/POD/containers/CTR/     a container's state directory (state, exit, ...)
 *   STATE_DIR/pods/POD/volumes/VOL       a pod's emptyDirs (sandbox/podsandbox.h)
 *   STATE_DIR/pods/POD/userns            its user namespace's id range (sandbox/userns.h)
 *   STATE_DIR/pods/POD/containers/CTR/   a container's writable layer (upper/, work/)
 *   RUN_DIR/cfgvol/POD/                  the tmpfs of its configMap, secret and downwardAPI
 *                                        volumes (sandbox/cfgvol.h)
 *
 * Each writes the path into out (size bytes) and returns 0, or -ENAMETOOLONG.
 * sandbox_pod_path: "RUN_DIR/pods/POD[/rel]" (name NULL: "RUN_DIR/pods"; rel may be NULL);
 * sandbox_pod_state_path: the same under STATE_DIR;
 * sandbox_ctr_path: "DIR/pods/POD/containers[/CTR]" for DIR the run or the state directory
 * (ctr NULL: the directory of the pod's containers);
 * sandbox_cfgvol_path: "RUN_DIR/cfgvol/POD". */
#include <stddef.h>

#define SANDBOX_POD_ETC "etc" /* RUN_DIR/pods/POD/etc: the tmpfs of the pod's /etc files */

int sandbox_pod_path(char *out, size_t size, const char *run_dir, const char *name,
                     const char *rel);
int sandbox_pod_state_path(char *out, size_t size, const char *state_dir, const char *name,
                           const char *rel);
int sandbox_ctr_path(char *out, size_t size, const char *dir, const char *pod, const char *ctr);
/* The pod's /etc file ("resolv.conf", "hosts", "hostname"): "RUN_DIR/pods/POD/etc/FILE", or
 * for a pod made before the etc tmpfs (no POD/etc) "RUN_DIR/pods/POD/FILE". */
int sandbox_pod_etc_path(char *out, size_t size, const char *run_dir, const char *name,
                         const char *file);
int sandbox_cfgvol_path(char *out, size_t size, const char *run_dir, const char *pod);
int sandbox_pod_volume_path(char *out, size_t size, const char *state_dir, const char *name,
                            const char *volume);
