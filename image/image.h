#pragma once
/*
 * The image store: open it, look up, list and unpack its images. Pulls are in
 * image/pull.h, garbage collection in image/gc.h, run parameters from an image config in
 * image/imgconfig.h (users: image/user.h), one layer's extraction in image/layer.h.
 *
 * Layout under STATE_DIR/images (all writes atomic, all concurrent writers serialised by
 * flock, so several `tank pull` processes may run at once):
 *   blobs/sha256/HEX        manifests, indexes and configs, by digest
 *   layers/sha256/HEX/      one extracted layer per chain ID (the layer's diff_id for the
 *                           lowest layer of an image, else sha256 of "CHAIN_BELOW DIFF_ID",
 *                           as containerd keys its snapshots: a directory the layer's tar
 *                           does not list takes its metadata from the layers below). Whiteouts
 *                           converted for overlayfs: 0:0 character devices,
 *                           trusted.overlay.opaque=y. A directory here is always complete.
 *                           A store of an earlier version keyed layers by diff_id: an image
 *                           whose chain directory is missing still uses that one until it
 *                           is pulled again (image_lookup, image_gc)
 *   refs/ESCAPED            one image record per canonical reference (JSON: manifest digest)
 *   tmp/, locks/            extraction in progress, lock files
 *
 * Layers are extracted by child processes chrooted into the new layer's directory; a
 * layer shared by several images over the same lower layers is stored once; pulling an
 * image that is present does no layer work.
 *
 * Errors: functions return 0 (or a count) on success, -errno on failure with err filled
 * ("pull '127.0.0.1:5000/app:1': layer sha256:ab12…: diff_id mismatch").
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "image/registry.h"

#define IMAGE_DEFAULT_MAX_LAYER_SIZE (8ULL << 30)
#define IMAGE_DEFAULT_PARALLEL 3

struct image_store_opts {
    const char *state_dir;         /* required; the store is STATE_DIR/images */
    struct registry_opts registry; /* borrowed strings; only read during calls */
    uint64_t max_layer_size;       /* uncompressed bytes per layer; 0 = 8 GiB */
    int parallel;                  /* layers in flight during a pull; 0 = 3, at most 32 */
};

struct image_store;

/* Open (creating directories as needed) the store. The opts strings are copied. */
int image_store_open(struct image_store **out, const struct image_store_opts *opts,
                     struct tk_err *err);
void image_store_free(struct image_store *s);

/* The parsed image config (the "config" object of the OCI image config). Arrays are
 * NULL-terminated heap arrays of heap strings; any may be NULL when absent. */
struct image_config {
    char **entrypoint;
    char **cmd;
    char **env; /* "NAME=VALUE" */
    char *working_dir;
    char *user;           /* as written in the image ("1000", "app:app"), NULL = root */
    char **exposed_ports; /* "80/tcp" */
    char *stop_signal;    /* as written ("SIGQUIT", "3"), NULL when unset */
    char **label_keys;    /* labels as parallel arrays, same length */
    char **label_values;
    char *os, *architecture, *variant;
    char *created; /* RFC 3339 as written, NULL when absent */
};

struct image_hold;

/* One stored image. Heap-owned; free with image_info_free(). */
struct image_info {
    char *reference;       /* canonical reference (the record key) */
    char *manifest_digest; /* "sha256:…" of the platform manifest */
    char *config_digest;
    char **layer_dirs; /* absolute paths, lowest layer first, NULL-terminated */
    size_t n_layers;
    uint64_t size; /* sum of the compressed layer sizes from the manifest */
    struct image_config config;
    int64_t last_used_ns;    /* wall clock of the last pull or image_lookup() (record mtime) */
    struct image_hold *hold; /* image_lookup() only: the store's use lock (see image_gc()) */
};
void image_info_free(struct image_info *info);

/* Look ref up without any network access: -ENOENT (with err set) when it was never pulled
 * or its layers are missing. The image counts as used now (its last-used time, which the
 * automatic GC orders by, is updated), and until image_info_free(out) no garbage collection
 * can remove it: the caller may start a container from out->layer_dirs meanwhile. Blocks
 * while a GC is removing images (a short, bounded step: see image_gc()). */
int image_lookup(struct image_store *s, const char *ref, struct image_info *out,
                 struct tk_err *err);

/* All stored images, sorted by reference. *out is a heap array of n entries; free with
 * image_list_free(). */
int image_list(struct image_store *s, struct image_info **out, size_t *n, struct tk_err *err);
void image_list_free(struct image_info *v, size_t n);

/* Write the flattened root filesystem of the stored image ref into dir (created if
 * missing; should be empty), whiteouts applied. Owners, modes, times, xattrs, links and
 * device nodes are kept. -ENOENT when ref is not in the store. Runs the copy in a child
 * chrooted into dir (root needed). */
int image_unpack(struct image_store *s, const char *ref, const char *dir, struct tk_err *err);
