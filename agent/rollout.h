#pragma once
/*
 * The rollout arithmetic of a Deployment (and a DaemonSet's one pod), as Kubernetes'
 * deployment controller does it (pkg/controller/deployment/rolling.c: reconcileNewReplicaSet,
 * reconcileOldReplicaSets, cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate;
 * recreate.go), over the pods one host runs. Pure: no I/O, no clock (now is given).
 *
 * A pod is "new" when it runs the current template (its pod-template-hash), "old" otherwise.
 * It is available once Ready for min_ready_s. Each pass does one step:
 * - no old pod left (running or stopping): the new pods are scaled to replicas, keeping the
 *   lowest indexes (scaling removes the highest first);
 * - paused: nothing moves while old pods run;
 * - Recreate: every old pod stops; new pods start once none is left, not even stopping;
 * - RollingUpdate: new pods start while all pods (stopping ones counted too, unlike a cluster:
 *   a stopping pod still holds its ports and addresses here) stay within replicas + maxSurge;
 *   when none is started, old pods stop: first unavailable ones, within what keeps
 *   replicas - maxUnavailable available counting the new pods not yet available as down, then
 *   available ones down to replicas - maxUnavailable available. Highest indexes go first.
 * A new version that never becomes ready therefore never takes an old pod down below
 * replicas - maxUnavailable; a revert makes the old pods new again and the rollout goes on
 * from where it stands.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rollout_params {
    int32_t replicas;
    int32_t max_surge; /* resolved numbers */
    int32_t max_unavailable;
    int32_t min_ready_s;
    bool recreate;
    bool paused;
};

/* One pod of the workload as it is now. */
struct rollout_pod {
    bool is_new;      /* runs the current template */
    int index;        /* N of NAME-HASH-N (0 for a DaemonSet's pod) */
    bool stopping;    /* being stopped (not desired any more); never kept */
    bool ready;       /* running and Ready */
    int64_t ready_ns; /* since when (realtime) */
    bool keep;        /* out: stays desired */
};

struct rollout_result {
    int32_t create;        /* new pods to add (the lowest free indexes) */
    int32_t updated;       /* new pods kept or created */
    int32_t ready;         /* ready pods, not stopping */
    int32_t available;     /* available pods, not stopping */
    int32_t new_available; /* of them new */
    int32_t old;           /* old pods, stopping ones too */
    bool complete;         /* every replica new and available, no old pod left */
    int64_t wake_ns;       /* when a ready pod becomes available (0: none due) */
};

/* Whether p is available at now (Ready for min_ready_s). */
bool rollout_available(const struct rollout_pod *p, int32_t min_ready_s, int64_t now_ns);

/* Decide one step: set keep on pods[], and what to create, in out. */
void rollout_plan(const struct rollout_params *par, struct rollout_pod *pods, size_t n,
                  int64_t now_ns, struct rollout_result *out);
