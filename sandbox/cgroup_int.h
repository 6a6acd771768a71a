#pragma once
/*
 * Internals of sandbox/cgroup.c and sandbox/cgroup_dev.c. Not for use outside sandbox/.
 */
#include "base/err.h"

/* A file in a cgroup directory: write s (one write, as the kernel wants it). -errno. */
int sandbox_cgroup_write(const char *dir, const char *file, const char *s);

/* The default device policy (runc's allow-list) on the empty cgroup v1 directory dir of the
 * devices hierarchy: "a" into devices.deny, then each rule into devices.allow. */
int sandbox_cgroup_devices_v1(const char *dir, struct tk_err *err);

/* The same policy as a BPF_PROG_TYPE_CGROUP_DEVICE program, loaded and attached to the
 * cgroup v2 directory dir with BPF_F_ALLOW_MULTI. */
int sandbox_cgroup_devices_v2(const char *dir, struct tk_err *err);
