#pragma once
/* Garbage collection of the image store (image/image.h). */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct image_store;

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
