#pragma once
/*
 * Named volumes, the storage of kind PersistentVolumeClaim: a directory
 * state_dir/volumes/NAME (NAME the claim's name, a DNS-1123 label) made on the first start
 * of a pod that claims it, as the local-path provisioner of k3s and `podman volume` do.
 * A reconcile never deletes one: removing the claim's document leaves it (Released);
 * only `tank volumes rm` removes it, and not while a pod uses it.
 *
 * What a container wrote there is hostile: sizes are summed and trees removed through
 * directory fds opened O_NOFOLLOW, never following a symbolic link nor crossing into
 * another file system, with a bounded number of open fds however deep the tree.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct reconciler;

#define VOLUMES_REMOVING ".removing-" /* a volume being removed: .removing-NAME */

/* Make state_dir/volumes/NAME unless it is there: mkdirat under a held fd of state_dir,
 * then opened O_NOFOLLOW and checked to be a directory. 0 or -errno with err set. */
int volumes_ensure(const char *state_dir, const char *name, struct tk_err *err);
/* state_dir/volumes/NAME into out. 0 or -ENAMETOOLONG. */
int volumes_path(const char *state_dir, const char *name, char *out, size_t size);

/* The agent's side (GET /v1/volumes): {"volumes": [{"name", "state" (Bound, Pending,
 * Released), "pods": [...], "claim": FILE or null, "storage": requested bytes or null,
 * "storageClassName"}]}, names sorted. A new string, NULL on allocation failure. */
char *volumes_json(const struct reconciler *r);
/* DELETE /v1/volumes/NAME: refused (-EBUSY, err names the pods) while a pod uses it,
 * -ENOENT when there is no such volume; else renamed to VOLUMES_REMOVING NAME (no pod can
 * use it any more) for the caller to purge. */
int volumes_release(const struct reconciler *r, const char *name, struct tk_err *err);

/* The bytes (allocated blocks) under state_dir/volumes/NAME. -errno when it cannot be
 * opened. */
int volumes_size(const char *state_dir, const char *name, uint64_t *bytes);
/* Remove state_dir/volumes/NAME and everything below it. -errno (-EBUSY: a mount point
 * below it, left alone). */
int volumes_purge(const char *state_dir, const char *name);
