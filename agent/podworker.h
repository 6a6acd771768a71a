#pragma once
/*
 * The pod worker: one per pod, a state machine over its containers driven by events
 * (a container exited, a pull finished, a timer fired) and by pod_sync(), which the
 * reconciler calls whenever anything may have changed (level-triggered, idempotent).
 *
 * Containers start in declared order; images are looked up or pulled (in a child
 * process) by imagePullPolicy; exits are handled by restartPolicy with Kubernetes'
 * backoff (backoff_initial doubling to backoff_max, reset after backoff_reset of
 * running). pod_stop() is the graceful stop: the stop signal, SIGKILL after
 * terminationGracePeriodSeconds, then the sandbox goes down.
 *
 * A small record of each pod (spec hash, grace period, restart counts) is kept under
 * RUN_DIR/agent/pods/ so a restarted agent adopts the pod (pod_adopt()) instead of
 * starting a second copy.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"

struct loop;
struct runtime;
struct runtime_usage;
struct tank_config;
struct pod;

enum pod_phase { POD_PENDING, POD_RUNNING, POD_SUCCEEDED, POD_FAILED, POD_TERMINATING };
enum pod_ctr_state { POD_CTR_WAITING, POD_CTR_RUNNING, POD_CTR_TERMINATED };
/* The pod's conditions, as Kubernetes names them (pod_cond_to_string). */
enum pod_cond { POD_COND_INITIALIZED, POD_COND_CONTAINERS_READY, POD_COND_READY, POD_N_CONDS };

const char *pod_phase_to_string(enum pod_phase p);
const char *pod_ctr_state_to_string(enum pod_ctr_state s);
const char *pod_cond_to_string(enum pod_cond c);

/* What a pod worker needs from its surroundings. Borrowed: must outlive the pods. */
struct pod_env {
    struct loop *loop;
    struct runtime *rt;
    const struct tank_config *cfg;
    const char *record_dir; /* RUN_DIR/agent/pods */
    /* An event worth a log line and an entry in /v1/events (ctr may be NULL). */
    void (*event)(void *data, const char *pod, const char *ctr, const char *reason,
                  const char *message);
    /* Something changed that the reconciler should look at (e.g. the pod is gone). */
    void (*changed)(void *data);
    void *data;
};

/* How a container instance ended (set false: never, or not known). */
struct pod_ctr_term {
    bool set;
    const char *reason;
    int exit_code;
    int signal;
    const char *message; /* NULL when none */
    int64_t started_ns, finished_ns;
};

/* A container's status as shown by the API. */
struct pod_ctr_status {
    const char *name;
    const char *image;
    const char *image_digest; /* NULL when unknown */
    enum pod_ctr_state state;
    const char *reason;  /* NULL when none */
    const char *message; /* NULL when none */
    bool has_exit_code;
    int exit_code;
    int signal;
    unsigned restarts;
    pid_t pid;                /* 0 when not running */
    int64_t started_ns;       /* 0 when never */
    int64_t finished_ns;      /* 0 when not terminated */
    int64_t next_restart_ns;  /* wall clock of the next (re)start attempt, 0 when none due */
    bool started;             /* running, and its startup probe succeeded (or it has none) */
    bool ready;               /* running, started, and its readiness probe says so (if any) */
    bool sidecar;             /* an init container with restartPolicy: Always */
    struct pod_ctr_term last; /* the previous instance's end (Kubernetes' lastState) */
};

struct pod_condition {
    bool status;
    int64_t transition_ns; /* when status last changed */
    const char *reason;    /* why it is false (NULL when true) */
    char message[256];     /* which containers keep it false ("" when none) */
};

struct pod_status {
    const char *name;
    enum pod_phase phase;
    const char *reason;    /* NULL when none */
    const char *message;   /* NULL when none */
    const char *manifest;  /* file, NULL when unknown (adopted, not desired) */
    const char *namespace; /* metadata.namespace, NULL when unknown (as manifest) */
    const char *hash;
    const char *const *ips;
    size_t n_ips;
    unsigned restarts;
    int64_t started_ns;
    size_t n_containers;      /* the app containers: pod_get_ctr_status(0 .. n - 1) */
    size_t n_init_containers; /* then the init containers (n_containers + i) */
    struct pod_condition conditions[POD_N_CONDS];
    /* Kubernetes' PodResizePending: reason "Deferred" or "Infeasible", NULL when none */
    const char *resize_reason;
    const char *resize_message;
    int64_t resize_ns;
    char reason_buf[64]; /* (reason's storage when it is made up: "Init:1/3") */
};

/* A new worker for spec (a copy is taken). Nothing starts before pod_sync(). */
struct pod *pod_new(const struct pod_env *env, const struct spec_pod *spec);
/* A worker for a pod found at start-up: from its record (may be missing: then only what
 * the runtime knows) and the runtime's container state. NULL on allocation failure. */
struct pod *pod_adopt(const struct pod_env *env, const char *name);
/* Names of the pods with a record (heap array of heap strings). */
int pod_list_records(const char *record_dir, char ***names, size_t *n);

/* Give an adopted pod the spec it runs (same hash); a copy is taken. */
int pod_attach_spec(struct pod *pod, const struct spec_pod *spec);

/* Make progress: bring the sandbox up, start what is due, decide on exits. */
void pod_sync(struct pod *pod);
/* Begin the graceful stop (idempotent). */
void pod_stop(struct pod *pod);
/* The pod runs a spec that differs from want only in requests and limits (and keeps its QoS
 * class): take want, resizing in place (agent/resize.c). -EINVAL when it does not apply (the
 * pod is then replaced), -ENOMEM. */
int pod_resize(struct pod *pod, const struct spec_pod *want);
/* Whether pod_resize(pod, want) would apply (the same spec but for resources, the same QoS
 * class, the pod not stopping): the reconciler then admits the resize first. */
bool pod_resizable(const struct pod *pod, const struct spec_pod *want);
/* A resize the reconciler did not admit: the pod keeps running with its resources, and its
 * condition PodResizePending (reason "Deferred": retried each pass, or "Infeasible", a static
 * string) says why with message; an event when they change. reason NULL: none pending. */
void pod_resize_pending(struct pod *pod, const char *reason, const char *message);
/* Fully stopped: every container gone, the sandbox down, the record removed. */
bool pod_gone(const struct pod *pod);
/* Free the worker (its fds and timers; the processes keep running). NULL is a no-op. */
void pod_free(struct pod *pod);

const char *pod_name(const struct pod *pod);
/* The spec hash it runs ("" when unknown: an orphan found at start-up). */
const char *pod_hash(const struct pod *pod);
bool pod_has_spec(const struct pod *pod);
/* The spec it runs, NULL when unknown. */
const struct spec_pod *pod_spec(const struct pod *pod);
/* Admission: a new pod waits (Pending) until the reconciler admits it; pod_refuse says why
 * it waits (reason OutOfmemory or OutOfcpu, a static string; an event when it changes). */
bool pod_awaits_admission(const struct pod *pod);
void pod_admit(struct pod *pod);
void pod_refuse(struct pod *pod, const char *reason, const char *message);
/* What container ctr (NULL: the whole pod) uses now, from the runtime; -ENOENT when
 * unknown (out's fields then UINT64_MAX). */
int pod_get_usage(const struct pod *pod, const char *ctr, struct runtime_usage *out);

void pod_get_status(const struct pod *pod, struct pod_status *out);
/* Container i (< n_containers + n_init_containers of pod_get_status(): the app containers,
 * then the init containers, in order). */
void pod_get_ctr_status(const struct pod *pod, size_t i, struct pod_ctr_status *out);
