#pragma once
/*
 * Image garbage collection from the agent's side: what keeps images (the pod manifests and
 * the containers in run_dir), `tank images prune` / `tank images gc`, and the automatic
 * collection of the agent.
 *
 * The automatic collection works as the kubelet's: a timer in the agent's loop checks the
 * file system of state_dir (statvfs: usage = 100 - 100 * available / size, as the kubelet
 * computes it) every IMAGEGC_CHECK_MS; above [images] image_gc_high_percent it starts
 * `tank images gc` as a child process (so the deletion never blocks the loop), which removes
 * unused images least recently used first, none pulled or used within image_gc_min_age,
 * until usage is below image_gc_low_percent. One collection at a time; after one that could
 * not reach the target, the next waits IMAGEGC_RETRY_MS.
 */
#include <stddef.h>

#include "base/err.h"

struct loop;
struct tank_config;

#define IMAGEGC_FIRST_CHECK_MS 1000
#define IMAGEGC_CHECK_MS 10000
#define IMAGEGC_RETRY_MS (5 * 60 * 1000)
/* `tank images gc` exits with this when it could not bring usage below the low mark. */
#define IMAGEGC_EXIT_SHORT 3

/* The image references of every container of every valid pod in pods_dir (a heap array of
 * heap strings, duplicates removed). A pods_dir that is missing or unreadable is an error:
 * without it every image would look unused. Invalid manifests name no image (their running
 * pods keep theirs through run_dir). */
int imagegc_pod_images(const char *pods_dir, char ***refs, size_t *n, struct tk_err *err);

/* The manifest digests the containers under run_dir run from (RUN_DIR/pods/POD/containers/
 * CTR/tank-image-digest, written by the runtime when a container starts), whether running or
 * exited. An image_gc_digests_fn: ctx is the run_dir string. */
int imagegc_container_digests(void *ctx, char ***digests, size_t *n, struct tk_err *err);

/* Usage of the file system holding path, in percent (the kubelet's formula). */
int imagegc_usage_percent(const char *path, double *pct, struct tk_err *err);

void imagegc_strv_free(char **v, size_t n);

/* Start the automatic collection on loop (nothing when image_gc_high_percent is 0). cfg is
 * borrowed for the life of the returned object. NULL when disabled or out of memory. */
struct imagegc *imagegc_start(struct loop *loop, const struct tank_config *cfg);
void imagegc_free(struct imagegc *g);
