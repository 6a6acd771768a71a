#pragma once
/* Internal to sandbox/: pod-level volumes (see podsandbox.h for the layout). */
#include "base/err.h"
#include "sandbox/podsandbox.h"

/* Check hostPaths and create emptyDirs under STATE_DIR/pods/POD/volumes (mode 0700):
 * directories bound onto themselves nosuid,nodev, or nosuid,nodev tmpfs mounts for medium
 * Memory, owned by host id owner (uid and gid; (uid_t)-1 = root, as made). On failure what
 * was made stays for podvol_teardown(). */
int podvol_setup(const struct sandbox_pod_config *cfg, uid_t owner, struct tk_err *err);

/* Unmount and remove STATE_DIR/pods/POD/volumes, then remove STATE_DIR/pods/POD when it
 * is empty. A missing directory is success. */
int podvol_teardown(const char *state_dir, const char *name, struct tk_err *err);
