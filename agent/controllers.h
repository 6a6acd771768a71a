#pragma once
/*
 * The controllers step between the store and the reconciler: workloads (Deployment, Job)
 * become the pods they own, so the reconciler and the pod workers keep seeing plain pods.
 *
 * - A Deployment of replicas R becomes R pods NAME-HASH-0 .. NAME-HASH-(R-1), HASH the
 *   10-character pod-template hash (controllers_template_hash), each with the template's
 *   labels plus pod-template-hash=HASH. A template change changes HASH: the pods of the new
 *   HASH replace the old ones within maxSurge and maxUnavailable (agent/rollout.h), the old
 *   ones kept as they run meanwhile (spec_pod.placeholder). HASH covers what the template
 *   reads from ConfigMaps and Secrets (env, envFrom; a volume's object being there): a change
 *   of those rolls the same way, the old pods keeping the environment they started with.
 * - A DaemonSet becomes one pod NAME-XXXXX (XXXXX the first 5 characters of its HASH) with
 *   the label controller-revision-hash=HASH, when node selection admits it: a new template
 *   replaces it as a rollout of one pod (RollingUpdate: maxSurge 0 stops the old one first),
 *   or, OnDelete, only once the old pod was deleted (tank delete) or has ended.
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

/* The pod-template-hash of a workload's template, computed as Kubernetes' ComputeHash does
 * (FNV-32a, its decimal value through rand.SafeEncodeString) over Tank's canonical printing of
 * the template (labels, annotations, the spec hash) instead of Go's dump of the object, which
 * Tank cannot reproduce. A value under 10 digits is hashed again with a collisionCount (1, 2,
 * ...) as Kubernetes does after a collision, so it always has 10 characters. reads, when not
 * NULL, is the digest of what the template reads from ConfigMaps and Secrets
 * (resolve_reads_digest): a change of those is a new template, rolled as an image change is,
 * where a cluster would leave the pods as they run. out holds 11 bytes. */
void controllers_template_hash(const struct spec_workload *wl, const char *reads, char out[11]);

/* What a pod of a workload is now, as the reconciler knows it. */
enum controllers_pod {
    CONTROLLERS_ABSENT,
    CONTROLLERS_ACTIVE,
    CONTROLLERS_SUCCEEDED,
    CONTROLLERS_FAILED
};
typedef enum controllers_pod (*controllers_observe_fn)(void *data, const char *pod);

/* A pod the agent runs, for the Deployment and DaemonSet controllers. */
struct controllers_podinfo {
    const char *name;
    const struct spec_pod *spec; /* what it runs, NULL when unknown (adopted, no manifest) */
    const char *hash;            /* the spec hash it runs */
    bool stopping;               /* being stopped */
    bool ready;                  /* running and Ready */
    int64_t ready_ns;            /* since when (realtime) */
};

/* What the controllers keep of a Deployment's or DaemonSet's rollout across expansions. */
struct controllers_rollout {
    int kind; /* enum spec_workload_kind */
    char name[64];
    char hash[11];         /* the current template's */
    int64_t progress_ns;   /* the last progress (realtime) */
    uint64_t progress_sig; /* what it was */
    int32_t replicas;      /* wanted */
    int32_t updated, ready, available;
    int32_t new_target, old_kept; /* at the last pass, for the ScalingReplicaSet events */
    bool complete;                /* NewReplicaSetAvailable */
    bool deadline_exceeded;       /* ProgressDeadlineExceeded */
    bool min_available;           /* Available */
    bool seen;                    /* expanded at the last pass */
};
struct controllers_rollouts {
    struct controllers_rollout *v;
    size_t n;
};
/* The rollout kept for (kind, name), NULL when none. */
const struct controllers_rollout *controllers_rollout_find(const struct controllers_rollouts *ro,
                                                           int kind, const char *name);
void controllers_rollouts_free(struct controllers_rollouts *ro);

/* What the controllers read and learn in one expansion. */
struct controllers_ctx {
    controllers_observe_fn observe; /* NULL: every pod absent */
    void *data;
    const char *state_dir; /* where Jobs' outcomes are recorded (jobs/NAME); NULL: nowhere */
    const unsigned char *reads_key; /* the host's key of resolve_reads_digest; NULL: none */
    int64_t now_ms;                 /* set by controllers_expand: controllers_now_ms() */
    int64_t wake_ms;                /* out: when (controllers' clock) a decision is due; 0: none */
    /* Deployments and DaemonSets: the pods the agent runs whose name starts with prefix, in
     * *out (a heap array the caller frees; strings and specs borrowed for the expansion);
     * NULL: none. */
    size_t (*list)(void *data, const char *prefix, struct controllers_podinfo **out);
    /* An event about object ("deployment/web"); NULL: none. */
    void (*event)(void *data, const char *object, const char *reason, const char *message);
    struct controllers_rollouts *rollouts; /* kept across expansions; NULL: nothing kept */
    int64_t rollout_now_ns; /* the rollouts' realtime clock (pods' Ready times); 0: the real
                             * one (tests set it) */
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

/* A CronJob's last scheduled time (0: none yet) and next one (0: none, or suspended), in
 * the controllers' clock (cronjobs.c). */
int controllers_cron_status(const char *state_dir, const struct spec_workload *cj, int64_t *last_ms,
                            int64_t *next_ms);
