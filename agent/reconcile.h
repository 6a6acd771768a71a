#pragma once
/*
 * The reconciler: the agent's table of pod workers, converged to the store's desired
 * state. Level-triggered: every pass compares desired (store) with actual (the workers)
 * and acts on the difference — start what is missing, stop what was removed, replace a
 * pod whose spec hash changed (the old pod stops fully before the new one starts) — and
 * then lets every worker make progress. A pass with nothing changed does nothing.
 *
 * Passes run on store changes, pod events (exits, pulls, timers) and a periodic resync.
 * At start-up the pods found on the host (records under RUN_DIR/agent/pods and the
 * runtime's sandboxes) are adopted first, so nothing runs twice.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct loop;
struct runtime;
struct tank_config;
struct pod;
struct store_state;
struct reconciler;

/* A recent event, as /v1/events and `tank status POD` show it. */
struct reconcile_event {
    int64_t time_ns;
    char pod[64];
    char container[64]; /* "" when about the pod */
    char reason[40];
    char message[400];
};

/* Open the store on cfg->pods_dir, adopt what runs, and schedule the first pass.
 * cfg, rt and loop must outlive the reconciler. NULL with err set on failure. */
struct reconciler *reconcile_new(struct loop *loop, const struct tank_config *cfg,
                                 struct runtime *rt, struct tk_err *err);
/* Free the workers and the store; the pods keep running. NULL is a no-op. */
void reconcile_free(struct reconciler *r);

/* Re-read the pods directory now, then run a pass (what the periodic resync does). */
void reconcile_resync(struct reconciler *r);

/* Run a pass soon (coalesced) / now. */
void reconcile_request(struct reconciler *r);
void reconcile_run(struct reconciler *r);

/* Read access for the API. Pods are sorted by name; valid until the next pass. */
size_t reconcile_n_pods(const struct reconciler *r);
const struct pod *reconcile_pod(const struct reconciler *r, size_t i);
const struct pod *reconcile_find(const struct reconciler *r, const char *name);
const struct store_state *reconcile_desired(const struct reconciler *r);
/* The revision the spec pod runs was read from (older than the store's when its manifest
 * in the current revision is invalid, or the pods directory is gone), or NULL: none known,
 * or the pod is being replaced. */
const char *reconcile_pod_revision(const struct reconciler *r, const struct pod *pod);
/* The last events, oldest first: *n entries from a ring the reconciler owns. Call with
 * i = 0..n-1. */
size_t reconcile_n_events(const struct reconciler *r);
/* Events recorded since the start (a watcher's position), and who is told of each new one
 * and of a pod's change that comes without an event (its readiness; fn NULL: nobody). */
uint64_t reconcile_events_total(const struct reconciler *r);
void reconcile_set_event_hook(struct reconciler *r, void (*fn)(void *data), void *data);
const struct reconcile_event *reconcile_event(const struct reconciler *r, size_t i);
/* The agent's state_dir (the controllers' records). */
const char *reconcile_state_dir(const struct reconciler *r);
/* `tank delete` of a pod a Deployment or DaemonSet owns: stop it (its owner then makes a
 * new one: a DaemonSet with OnDelete from its current template). -ENOENT when no such pod
 * runs, -EPERM when it is a Pod or a Job's (deleted through its manifest). */
int reconcile_delete_pod(struct reconciler *r, const char *name);
/* What the controllers keep of a Deployment's or DaemonSet's rollout (kind an enum
 * spec_workload_kind), NULL when none. */
struct controllers_rollout;
const struct controllers_rollout *reconcile_rollout(const struct reconciler *r, int kind,
                                                    const char *name);
/* Passes run so far (tests check that nothing is redone). */
uint64_t reconcile_passes(const struct reconciler *r);
