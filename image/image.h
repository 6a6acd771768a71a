#pragma once
/*
 * The image store: pull, look up, list and unpack images, and turn an image config plus a
 * container request into run parameters.
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

/* Pull progress, reported from the calling process. Byte counts are compressed bytes. */
enum image_progress_kind {
    IMAGE_PROGRESS_MANIFEST,     /* manifest resolved: digest and layer count known */
    IMAGE_PROGRESS_LAYER_EXISTS, /* layer already in the store, nothing to do */
    IMAGE_PROGRESS_LAYER_BYTES,  /* bytes received so far for a layer */
    IMAGE_PROGRESS_LAYER_DONE,   /* layer downloaded, verified and extracted */
};
struct image_progress {
    enum image_progress_kind kind;
    const char *digest; /* the layer's blob digest; the manifest digest for MANIFEST */
    size_t index;       /* layer index, lowest = 0 */
    size_t count;       /* number of layers */
    uint64_t bytes;     /* for LAYER_BYTES/LAYER_DONE */
    uint64_t total;     /* the layer's size from the manifest */
};
typedef void (*image_progress_fn)(void *ctx, const struct image_progress *p);

/* Pull ref ("busybox", "127.0.0.1:5000/app:1", "oci:/path/layout:tag") into the store and
 * write its image record. Blocks until done. progress may be NULL. On success fills *out
 * when out is non-NULL. Safe to run concurrently with other pulls (of the same image, too)
 * in other processes. The calling process must not have threads (layers are handled by
 * forked children). */
int image_pull(struct image_store *s, const char *ref, image_progress_fn progress, void *ctx,
               struct image_info *out, struct tk_err *err);

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

/*
 * Garbage collection: remove the images nothing needs, then every layer and blob no
 * remaining image needs.
 *
 * An image (a record) is in use when
 *   - one of keep_refs names it: the same canonical reference ("busybox" keeps
 *     docker.io/library/busybox:latest); a reference with a digest keeps the records of the
 *     same repository with that digest whatever their tag, and every record whose manifest
 *     is that digest; an "oci:" reference also matches through symlinks of the layout path;
 *   - or its manifest digest is one of the digests the keep_digests callback returns (the
 *     containers that exist; they keep their manifest, config and layers even when no
 *     record points to that manifest any more, e.g. after a newer pull of the same tag);
 *   - or it was pulled or used (image_lookup) less than min_age_ms ago.
 * A layer or blob is needed when a record that stays or a keep_digests manifest refers to
 * it. When a keep_digests manifest cannot be read, no layer or blob is removed (what a
 * running container uses cannot be known) and the result says so.
 *
 * Locking: pulls (for their whole length) and image users (image_lookup() until
 * image_info_free()) hold the store's use lock shared; the collector takes it exclusive
 * only to decide and to unlink records and blobs and rename layers into a trash directory,
 * then deletes the trash without any lock. So it waits for pulls and container starts in
 * progress, never removes what they use, and holds up a container start for no longer than
 * the deciding step. keep_digests is called with the lock held exclusive.
 */
enum image_gc_kind { IMAGE_GC_IMAGE, IMAGE_GC_LAYER, IMAGE_GC_BLOB };
struct image_gc_item {
    enum image_gc_kind kind;
    const char *name;     /* the reference of an image, the digest of a layer or blob */
    const char *digest;   /* an image's manifest digest (NULL when its record is corrupt) */
    uint64_t bytes;       /* disk space (allocated blocks) freed or that would be freed */
    int64_t last_used_ns; /* images: the last pull or use */
};
typedef void (*image_gc_report_fn)(void *ctx, const struct image_gc_item *item);
/* Fill *digests with a heap array of n heap strings ("sha256:…"); the collector frees them.
 * A negative return (err set) stops the collection. */
typedef int (*image_gc_digests_fn)(void *ctx, char ***digests, size_t *n, struct tk_err *err);

struct image_gc_opts {
    const char *const *keep_refs; /* references that keep images (pod manifests); borrowed */
    size_t n_keep_refs;
    image_gc_digests_fn keep_digests; /* may be NULL */
    void *keep_ctx;
    int64_t min_age_ms; /* images pulled or used more recently are kept; 0 = no minimum */
    int dry_run;        /* report what would go; change nothing */
    /* NULL: remove every unused image at once. Else: first remove only what no image needs,
     * then one unused image at a time, least recently used first, each with what it alone
     * needed, until enough() returns 1 or no image is left to remove. */
    int (*enough)(void *ctx);
    void *enough_ctx;
    image_gc_report_fn report; /* each removed item (may be NULL) */
    void *report_ctx;
};
struct image_gc_result {
    size_t images, layers, blobs;
    uint64_t bytes;
    size_t kept_young;    /* unused images kept for being younger than min_age */
    int unsafe;           /* a container's manifest was unreadable: no layer/blob removed */
    char unsafe_msg[512]; /* why, when unsafe */
    int enough;           /* enough() returned 1 */
};
int image_gc(struct image_store *s, const struct image_gc_opts *opts, struct image_gc_result *res,
             struct tk_err *err);

/* Extract one layer blob (gzip, zstd or plain tar, told apart by their magic bytes) read
 * from fd to its end into dir (existing, normally empty), exactly as a pull does: in a child
 * chrooted into dir, libarchive's secure flags, whiteouts converted, at most max_layer_size
 * uncompressed bytes (0 = 8 GiB). Fills diff_id with "sha256:…" of the uncompressed tar.
 * The calling process must not have threads. For `tank __extract` (debugging, fuzzing). */
int image_extract_layer(int fd, const char *dir, uint64_t max_layer_size, char diff_id[72],
                        struct tk_err *err);

/*
 * Run parameters. A container request in plain C arrays (no spec types); counts of 0 mean
 * "not set" as in Kubernetes (an empty command list does not clear the Entrypoint).
 */
struct image_run_request {
    const char *const *command; /* replaces Entrypoint and drops Cmd */
    size_t n_command;
    const char *const *args; /* replaces Cmd */
    size_t n_args;
    const char *const *env; /* "NAME=VALUE"; overrides the image's Env by name */
    size_t n_env;
    const char *working_dir; /* NULL = the image's, else "/" */
    int64_t run_as_user;     /* -1 = unset: the image's User */
    int64_t run_as_group;    /* -1 = unset */
    const gid_t *supplemental_groups;
    size_t n_supplemental_groups;
};

struct image_run {
    char **argv; /* NULL-terminated, argc >= 1 */
    size_t argc;
    char **env; /* NULL-terminated "NAME=VALUE"; PATH and HOME always present */
    size_t n_env;
    char *cwd; /* absolute */
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups (from /etc/group and the request), sorted */
    size_t n_groups;
    int stop_signal;      /* SIGTERM when the image names none */
    char **exposed_ports; /* copied from the image config, NULL-terminated (may be empty) */
    char **label_keys, **label_values; /* copied, NULL-terminated */
};
void image_run_free(struct image_run *run);

#define IMAGE_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Combine info's config with req by the Kubernetes rules. The user is resolved against
 * the image's own /etc/passwd and /etc/group, read from its layers (top-down, whiteouts
 * honoured), never the host's. Errors (-EINVAL/-ENOENT, err set): no command at all,
 * an unknown user or group name, a bad StopSignal. */
int image_resolve_run(const struct image_info *info, const struct image_run_request *req,
                      struct image_run *out, struct tk_err *err);

/* The user resolution itself, over the text of passwd and group files (either may be NULL
 * = empty). spec: "name", "uid", "uid:gid", "name:group", "uid:group" (empty/NULL = root).
 * Fills uid, gid, home (heap, NULL when the user has no passwd entry) and the supplementary
 * groups the user is a member of in group (heap array, sorted, may be empty). */
struct image_user {
    uid_t uid;
    gid_t gid;
    char *home;
    gid_t *groups;
    size_t n_groups;
};
int image_user_resolve(const char *spec, const char *passwd, const char *group,
                       struct image_user *out, struct tk_err *err);
void image_user_free(struct image_user *u);

/* Parse a StopSignal value ("SIGTERM", "TERM", "15", "SIGRTMIN+3"): the signal number, or
 * -EINVAL. */
int image_parse_signal(const char *s);
