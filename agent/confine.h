#pragma once
/*
 * A container's confinement from its manifest: securityContext.seccompProfile,
 * appArmorProfile and seLinuxOptions (the container's, else the pod's), made ready for the
 * sandbox at start, and checked where pods are validated (tank validate, the agent's store).
 *
 * seccomp: RuntimeDefault (also when unset: Tank's default, as podman's; the kubelet's is
 * Unconfined) = Docker's default profile; Unconfined = no filter; Localhost = the JSON profile
 * [security] seccomp_dir/localhostProfile. AppArmor and SELinux: RuntimeDefault, Unconfined
 * and seLinuxOptions are no-ops on a host without that LSM; Localhost needs the LSM (AppArmor:
 * the profile loaded) and is otherwise a start error, never silently unconfined. On an SELinux
 * host seLinuxOptions are refused (labelling is not implemented).
 */
#include <stddef.h>

#include "base/err.h"

struct spec_pod;
struct spec_container;
struct spec_set;
struct sandbox_seccomp_profile;

struct confine {
    struct sandbox_seccomp_profile *seccomp; /* a Localhost profile (owned), else NULL */
    int unconfined;                          /* seccomp Unconfined */
    const char *apparmor;                    /* AppArmor Localhost profile (borrowed) */
};

/* What container c of pod asks for, checked against this host; err names the field and the
 * profile ("seccomp profile 'deny.json': syscalls[3].action: unknown action 'X'"). */
int confine_prepare(const char *seccomp_dir, const struct spec_pod *pod,
                    const struct spec_container *c, struct confine *out, struct tk_err *err);
void confine_release(struct confine *cf);

/* Check the Localhost seccomp profiles of every pod of set: a pod whose profile is missing or
 * invalid leaves set->pods for an error at its localhostProfile. Returns the number refused,
 * or -ENOMEM. */
int confine_check_set(const char *seccomp_dir, struct spec_set *set);

/* One line for tank status: "seccomp=RuntimeDefault apparmor=RuntimeDefault (no-op: no
 * AppArmor on this host)". */
void confine_describe(const struct spec_pod *pod, const struct spec_container *c, char *buf,
                      size_t size);
