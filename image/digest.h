#pragma once
/*
 * Streaming SHA-256 content digests in the OCI form "sha256:<64 lowercase hex>".
 *
 *   struct image_hasher *h = image_hasher_new();
 *   image_hasher_update(h, chunk, n);   ... as data streams by
 *   char d[IMAGE_DIGEST_STR_SIZE];
 *   image_hasher_final(h, d);           d = "sha256:…"
 *   image_hasher_free(h);
 *
 * One hasher is allocated once and reused (image_hasher_reset) across a whole transfer and
 * its retries: nothing is allocated per update. A hasher is not thread-safe; use one per
 * stream.
 */
#include <stddef.h>

/* "sha256:" + 64 hex digits + NUL */
#define IMAGE_DIGEST_STR_SIZE 72

struct image_hasher;

/* A new SHA-256 hasher, ready for updates. NULL when out of memory. Free with
 * image_hasher_free() (NULL is a no-op). */
struct image_hasher *image_hasher_new(void);
void image_hasher_free(struct image_hasher *h);

/* Start over (drop everything hashed so far). Returns 0 or -EIO. */
int image_hasher_reset(struct image_hasher *h);

/* Hash len more bytes (len 0 is fine). Returns 0 or -EIO. */
int image_hasher_update(struct image_hasher *h, const void *data, size_t len);

/* Write "sha256:<hex>" of everything hashed since the last reset into out, then reset the
 * hasher so it can be reused. Returns 0 or -EIO. */
int image_hasher_final(struct image_hasher *h, char out[IMAGE_DIGEST_STR_SIZE]);

/* One-shot digest of a buffer into out. Returns 0, -ENOMEM or -EIO. */
int image_digest_buf(const void *data, size_t len, char out[IMAGE_DIGEST_STR_SIZE]);

/* Case-sensitive comparison of two digests in constant time over their length; 1 when
 * equal. NULL never equals anything. */
int image_digest_equal(const char *a, const char *b);

static inline void image_hasher_freep(struct image_hasher **h)
{
    image_hasher_free(*h);
}
#define _cleanup_hasher_ __attribute__((cleanup(image_hasher_freep)))
