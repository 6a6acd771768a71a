#pragma once
/*
 * Private to image/: what store.c, manifest.c, imgconfig.c, ocilayout.c, layer.c, pull.c and
 * unpack.c share. Not a public API; nothing outside image/ includes it (but fuzz/ targets).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "image/digest.h"
#include "image/image.h"
#include "image/ref.h"
#include "image/registry.h"

#define IMG_MANIFEST_MAX (4u << 20)
#define IMG_CONFIG_MAX (16u << 20)
/* overlayfs stacks at most 500 lower layers (OVL_MAX_STACK): more can never run */
#define IMG_MAX_LAYERS 500

struct image_store {
    char *root; /* STATE_DIR/images */
    char **insecure;
    char **mirrors;
    char *auth_file;
    char *config_path;          /* ropts.config_path's copy */
    struct registry_opts ropts; /* points into the copies above */
    uint64_t max_layer_size;
    int parallel;
};

/* ---- paths and blobs (store.c) ---- */

/* A heap path under the store root: store_path(s, "layers/sha256/%s", hex). NULL on ENOMEM. */
char *store_path(const struct image_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The hex part of "sha256:HEX" (the digest must be valid). */
const char *digest_hex(const char *digest);
/* Store a small blob (manifest/config) by digest after verifying it; no-op when present. */
int store_put_blob(const struct image_store *s, const char *digest, const void *data, size_t len,
                   struct tk_err *err);
/* Read a stored small blob and verify its digest. -ENOENT when absent. */
int store_get_blob(const struct image_store *s, const char *digest, size_t max, char **out,
                   size_t *len, struct tk_err *err);
/* Absolute directory of the extracted layer with this chain ID (it may not exist). */
char *store_layer_dir(const struct image_store *s, const char *chain_id);
/* The chain IDs of an image's layers (OCI image spec, as containerd keys its snapshots):
 * chain[0] = diff_ids[0], chain[i] = sha256(chain[i-1] + " " + diff_ids[i]). *out is a
 * heap NULL-terminated array of n "sha256:…" strings. 0 or -ENOMEM/-EINVAL. */
int store_chain_ids(char *const *diff_ids, size_t n, char ***out);
/* The directories of an image's layers, lowest first (heap, NULL-terminated): each by its
 * chain ID, or, for a store written before layers were keyed by chain ID, the layer's
 * diff_id directory when that one is there instead. -ENOENT (err set) when a layer has
 * neither. */
int store_layer_dirs(const struct image_store *s, char *const *diff_ids, size_t n, char ***out,
                     struct tk_err *err);
/* Open (creating) and flock(LOCK_EX) locks/NAME; returns the fd. */
int store_lock(const struct image_store *s, const char *name, int nonblock, struct tk_err *err);
/* The image-record key of a parsed reference (oci: layouts get an absolute path). */
char *store_ref_key(const struct image_ref *ref);
/* The record file of a key (heap; NULL on ENOMEM). */
char *store_record_path(const struct image_store *s, const char *key);
/* Read a record file: its key and manifest digest (heap). -ENOENT when absent (err not
 * set), -EINVAL when corrupt. */
int store_read_record(const char *path, char **key, char **manifest, struct tk_err *err);
/* Take the store's use lock (locks/gc; see store.c): shared for pulls and image users,
 * exclusive for the collector. Returns the fd holding it; -EWOULDBLOCK (err not set)
 * when nonblock and it is taken. */
int store_use_lock(const struct image_store *s, int exclusive, int nonblock, struct tk_err *err);
/* Write the record key -> manifest digest atomically. */
int store_write_record(const struct image_store *s, const char *key, const char *manifest_digest,
                       struct tk_err *err);

/* ---- manifests (manifest.c) ---- */

struct img_layer_desc {
    char *digest;
    char *media_type;
    int64_t size;
};
struct img_manifest {
    char *config_digest;
    int64_t config_size;
    struct img_layer_desc *layers;
    size_t n_layers;
};
/* 1 when body (with media_type, may be NULL) is an OCI index or a Docker manifest list. */
int img_is_index(const char *media_type, const char *body, size_t len);
/* From an index/list, the digest of the manifest for linux and this machine's architecture
 * (and variant). -ENOENT with err listing what is offered when none matches. */
int img_index_select(const char *body, size_t len, char **digest, struct tk_err *err);
/* Select by tag from an OCI layout's index.json ("org.opencontainers.image.ref.name"). Fills
 * the digest and media type of the entry. */
int img_layout_index_find(const char *body, size_t len, const char *tag, char **digest,
                          char **media_type, struct tk_err *err);
/* Parse an image manifest (OCI or Docker schema2). */
int img_manifest_parse(const char *body, size_t len, struct img_manifest *m, struct tk_err *err);
void img_manifest_free(struct img_manifest *m);

/* ---- image config (imgconfig.c) ---- */

/* Parse an image config blob: fills cfg and the rootfs diff_ids (NULL-terminated). */
int img_config_parse(const char *body, size_t len, struct image_config *cfg, char ***diff_ids,
                     size_t *n_diff_ids, struct tk_err *err);
void img_config_free(struct image_config *cfg);
void img_strv_free(char **v);
size_t img_strv_len(char *const *v);

/* ---- local OCI layouts (ocilayout.c) ---- */

/* Every file read from a layout or the store is opened with tk_open_regular(path, O_NOFOLLOW):
 * a FIFO, device or socket (even named like a blob) is never opened blocking, nor a symbolic
 * link followed. Sets err for a failure r of that open: "ACTION: 'PATH' is not a regular
 * file" (-EINVAL), "... is a symbolic link" (-ELOOP), else with strerror. Returns r. */
int img_open_error(struct tk_err *err, int r, const char *action, const char *path);

/* The manifest (platform-selected) for ref in its layout: body, its digest. */
int ocilayout_get_manifest(const struct image_ref *ref, char **body, size_t *len, char **digest,
                           struct tk_err *err);
/* A blob of the layout into memory, verified (at most max bytes). */
int ocilayout_get_blob_mem(const char *layout, const char *digest, size_t max, char **out,
                           size_t *len, struct tk_err *err);
/* Stream a blob of the layout to sink, verifying digest and size (no more than size bytes
 * are read; with size < 0, no more than max_size). */
int ocilayout_get_blob(const char *layout, const char *digest, int64_t size, registry_sink_fn sink,
                       void *ctx, struct tk_err *err);

/* ---- layers (layer.c) ---- */

/* Progress/result messages a layer worker writes to its socket (one write each). */
enum layer_msg_kind {
    LAYER_MSG_BYTES,
    LAYER_MSG_DONE,
    LAYER_MSG_FAIL,
    LAYER_MSG_LOCKWAIT, /* waiting for another process that stores the same layer */
    LAYER_MSG_LOCKED,   /* ... and now at work itself */
    LAYER_MSG_READY,    /* extracted; waits for one byte from the pull, sent once every
                           lower layer is in the store, to fix its implicit directories */
};
struct layer_msg {
    int kind;
    uint64_t bytes;
    struct tk_err err;
};

/* One layer of an image to store. */
struct layer_job {
    const struct img_layer_desc *desc;
    const char *diff_id;
    char *const *chain_ids; /* the image's, at least up to index */
    size_t index;           /* the layer's position, lowest = 0 */
};

/* Download (or read) one layer blob, decompress, verify its diff_id, extract it (in a
 * chrooted child) and rename it into the store under its chain ID. Run in a worker process
 * without threads; takes the layer's lock. Reports on msg_fd (a socket; may be -1) the
 * LAYER_MSG_* above; when the layer has implicit directories and is not the lowest, it
 * sends READY and waits for a byte on msg_fd before it reads the lower layers (with
 * msg_fd -1 they must be in the store already). Returns 1 when another process stored the
 * layer meanwhile, 0 when this one did. */
int layer_fetch(const struct image_store *s, const struct image_ref *ref,
                const struct layer_job *job, int msg_fd, struct tk_err *err);

/* The two halves of layer_fetch without the fork, for tests and fuzzing.
 * layer_decode: decompress blob (gzip, zstd or plain, sniffed), fed in pieces of at most
 * chunk bytes (0 = at once) as the network would, writing the tar stream to out_fd;
 * bounded by max uncompressed bytes (-EFBIG); diff_id receives its digest.
 * layer_extract_fd: extract the tar read from fd into the current directory (whiteouts
 * converted); the caller confines itself first (layer_fetch's extractor chroots). */
int layer_decode(const void *blob, size_t len, size_t chunk, uint64_t max, int out_fd,
                 char diff_id[IMAGE_DIGEST_STR_SIZE], struct tk_err *err);
int layer_extract_fd(int fd, struct tk_err *err);

/* The extractor child (extract.c), run with tk_child_begin(extract_child, &args, 0,
 * TK_CHILD_PDEATHSIG): it closes the caller's ends (tar_write_fd, msg_fd), confines itself
 * to dir, extracts the tar read from tar_fd and writes its own record on the channel;
 * extract_read_result() reads it in the caller: 1 with *xerr (code 0 on success) and, on
 * success, *list / *len (heap, NUL-terminated paths of the implicit directories; NULL when
 * none); 0 when the record was cut short (the extractor died). */
struct extract_args {
    int tar_fd, tar_write_fd, msg_fd;
    const char *dir;
};
int extract_child(void *arg, int res_fd, void *out, struct tk_err *err);
int extract_read_result(int fd, struct tk_err *xerr, char **list, size_t *len);

/* Remove stale temp directories of a layer (caller holds the layer lock). */
void layer_clean_tmp(const struct image_store *s, const char *chain_id);
/* Remove the temp directories of every layer nobody holds the lock of (dead pulls). */
void layer_clean_stale(const struct image_store *s);

/* ---- implicit parent directories (parents.c) ---- */

/* In the extractor (chrooted into the new layer, paths relative and cleaned): the
 * directories it creates for entries whose parents the tar does not list. */
struct parent_set;
struct parent_set *parent_set_new(void);
void parent_set_free(struct parent_set *ps);
/* Before the entry path is written: create its missing parents (0755, root, as containerd
 * and runc's tar appliers do) and record them. regular: the entry is a regular file (or a
 * hard link), which cannot replace a directory. */
int parent_set_before(struct parent_set *ps, const char *path, int regular, struct tk_err *err);
/* mkdir -p dir, recording what it creates. */
int parent_set_make(struct parent_set *ps, const char *dir, struct tk_err *err);
/* A directory entry of the tar names path: its metadata is the tar's. */
void parent_set_explicit(struct parent_set *ps, const char *path);
/* The recorded directories that are still implicit and still directories: *out (heap) is
 * *len bytes of sorted NUL-terminated paths; returns their number, or -ENOMEM. */
int parent_set_list(struct parent_set *ps, char **out, size_t *len);
/* In the worker: give each implicit directory (a list as parent_set_list writes it) of
 * the layer extracted in dir the owner, mode, xattrs (but trusted.*) and times of the same
 * directory in the lower layers' directories (lowest first), taken from the topmost one
 * where it shows through the overlay; where none does, it keeps the defaults. Never
 * follows a symlink in any tree. */
int parents_fix(const char *dir, char *const *lower_dirs, size_t n_lower, const char *list,
                size_t len, struct tk_err *err);

/* ---- user files from layers (imgconfig.c) ---- */

/* Read path (relative, e.g. "etc/passwd") from the union of layer dirs (lowest first),
 * top-down, honouring whiteouts and opaque directories; never follows symlinks. -ENOENT
 * when absent. */
int img_read_layered_file(char *const *layer_dirs, size_t n, const char *path, size_t max,
                          char **out);
