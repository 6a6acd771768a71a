#pragma once
/*
 * The controllers step between the store and the reconciler: workloads (Deployment, Job)
 * become the pods they own, so the reconciler and the pod workers keep seeing plain pods.
 *
 * - A Deployment of replicas R becomes R pods NAME-HASH-0 .. NAME-HASH-(R-1), HASH the
 *   10-character pod-template hash (controllers_template_hash), each with the template's
 *   labels plus pod-template-hash=HASH. A template change changes HASH, so its pods are
 *   new pods: the reconciler stops the old ones and starts the new ones.
 * - A Job becomes pods NAME-XXXXX (XXXXX derived from the template's hash and the pod's
 *   index, stable across reads) with the labels job-name and batch.kubernetes.io/job-name =
 *   NAME. Pods that exist stay desired (an ended one keeps its outcome); a new index is
 *   added while fewer than completions have succeeded or run, fewer than parallelism run,
 *   and at most backoffLimit have failed: at most completions + backoffLimit pods in all.
 *   The outcomes come from observe (the reconciler's pods).
 * - Every such pod has owner_kind/owner_name set, the workload's file and position (so a
 *   workload whose file turns invalid keeps its pods, as a Pod does), and its own hash.
 * - A generated name that is not a DNS label of at most 63 characters, or that a Pod or
 *   another workload's pod already has, is an error of the workload's file (no pod of it).
 */
#include "spec/spec.h"

/* Kubernetes' alphabet for generated name parts (no vowels, no 0/1/3 that read as
 * letters): "bcdfghjklmnpqrstvwxz2456789". */
#define CONTROLLERS_ALPHABET "bcdfghjklmnpqrstvwxz2456789"

/* The pod-template-hash of a workload's template: 10 characters of CONTROLLERS_ALPHABET
 * derived from the template's hash (not Kubernetes' FNV-32a of its Go object dump, which
 * Tank cannot reproduce). out holds 11 bytes. */
void controllers_template_hash(const struct spec_workload *wl, char out[11]);

/* What a pod of a workload is now, as the reconciler knows it. */
enum controllers_pod {
    CONTROLLERS_ABSENT,
    CONTROLLERS_ACTIVE,
    CONTROLLERS_SUCCEEDED,
    CONTROLLERS_FAILED
};
typedef enum controllers_pod (*controllers_observe_fn)(void *data, const char *pod);

/* What the controllers read and learn in one expansion. */
struct controllers_ctx {
    controllers_observe_fn observe; /* NULL: every pod absent */
    void *data;
    const char *state_dir; /* where Jobs' outcomes are recorded (jobs/NAME); NULL: nowhere */
    int64_t now_ms;        /* set by controllers_expand: controllers_now_ms() */
    int64_t wake_ms;       /* out: when (controllers' clock) a decision is due; 0: none */
};

/* Append the pods of every workload of set to set->pods (errors to set->errors).
 * Returns 0 or -ENOMEM. */
int controllers_expand(struct spec_set *set, struct controllers_ctx *ctx);

/* The controllers' wall clock in ms since the epoch: the real one, or under the test hook
 * TANK_TEST_CLOCK="EPOCH_SECONDS[xSPEED]" one that starts at EPOCH_SECONDS when first read
 * and runs SPEED times as fast (tests drive CronJobs and Job deadlines with it). */
int64_t controllers_now_ms(void);
/* Real milliseconds from now until the controllers' clock reads at_ms (>= 0). */
int64_t controllers_delay_ms(int64_t at_ms);

/*
 * Jobs (jobs.c). A Job's record, state_dir/jobs/NAME, keeps its spec's key (a hash of the
 * template and the Job's fields), when it started, its failures and, once it ended, its
 * condition: a finished Job is not run again (agent restart, resync, a new revision with
 * the same spec); a changed spec is a new Job. A failed pod's successor waits
 * 10 s x 2^(consecutive failures - 1), at most 6 min (TANK_TEST_JOB_BACKOFF_MS replaces
 * the 10 s); activeDeadlineSeconds after the start ends the Job (its running pods stop);
 * ttlSecondsAfterFinished after the end removes its pods (the record stays).
 */
struct controllers_job_status {
    bool known;          /* a record of this spec exists */
    int64_t start_ms;    /* controllers' clock */
    int64_t finish_ms;   /* 0 while it runs */
    char condition[16];  /* "Complete", "Failed" or "" */
    char reason[32];     /* "BackoffLimitExceeded", "DeadlineExceeded" or "" */
    int64_t next_pod_ms; /* a failed pod's successor waits until then (0: none waits) */
};
int controllers_job_status(const char *state_dir, const struct spec_workload *wl,
                           struct controllers_job_status *out);
