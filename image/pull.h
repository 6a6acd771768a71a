#pragma once
/* Pulls into the image store (image/image.h). */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "image/image.h"

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
