#pragma once
/*
 * The store seam: desired state as "the valid pods keyed by name, plus the errors of the
 * manifests that are not valid", read from the pods directory (a tree of *.yaml, *.yml,
 * *.json; hidden entries skipped) and watched with inotify.
 *
 * - The directory may be a symlink (git-sync publishes a revision by renaming a new link
 *   over the old one): the link's parent is watched too, and the name of the directory
 *   the link resolves to is the store's revision.
 * - Bursts of events are debounced into one change notification; a queue overflow marks
 *   everything dirty (full rescan).
 * - A manifest that turns invalid keeps the pods it held before (their last valid spec)
 *   while its errors are reported, so a typo never stops a running pod.
 */
#include <stdint.h>

#include "base/err.h"
#include "spec/spec.h"

struct loop;
struct store;

struct store_state {
    char *revision;      /* basename of the resolved pods_dir when it is a symlink, or NULL */
    struct spec_set set; /* valid pods (carried-over ones included) and errors */
};

/* Called (from the loop) after a debounced change was read into a new state. */
typedef void (*store_change_fn)(void *data);

/* Open the store on pods_dir and read it once. debounce_ms is the quiet time that ends a
 * burst. A missing pods_dir is not an error (no pods; it is picked up when it appears).
 * Returns NULL with err set on failure (inotify unavailable). */
struct store *store_new(struct loop *loop, const char *pods_dir, int64_t debounce_ms,
                        store_change_fn fn, void *data, struct tk_err *err);
void store_free(struct store *store);

/* The current desired state, owned by the store: valid until the next refresh. */
const struct store_state *store_state(const struct store *store);

/* Re-read the directory now (the periodic resync). Returns 1 when the state differs from
 * the previous one (pods, hashes, errors or revision), 0 when not, -errno on failure. */
int store_refresh(struct store *store);

/* Number of reads done (for tests: a burst must give one). */
uint64_t store_reads(const struct store *store);
