#pragma once
/*
 * Internal to the pod worker (agent/podworker.c) and its container worker (agent/ctrworker.c):
 * their shared state and the calls between them. Nothing else includes it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/podworker.h"
#include "agent/prober.h"
#include "agent/runtime.h"
#include "base/buf.h"

struct loop;

/* Work under way in a child (a container start, a sandbox creation: a struct runtime_underway),
 * watched in the loop: progress(data) runs when its fd is readable and at its deadline (then
 * every 100 ms until the work is over). progress calls the runtime's advance and, when that ends
 * the work, underway_end() before anything else. */
struct underway {
    struct runtime_underway work;
    bool active;
    uint64_t timer;
    struct loop *loop;
    const char *name; /* for messages; borrowed */
    void (*progress)(void *data);
    void *data;
};
void underway_watch(struct underway *u, struct loop *loop, const char *name,
                    void (*progress)(void *data), void *data);
/* The work is over, or given up: out of the loop (a no-op when not active). */
void underway_end(struct underway *u);

/* The last usage read of a pod or container, kept for the loop's pass it was read in
 * (loop_now_ms): an API answer or a metrics scrape reads each cgroup once. The memory
 * working set (two files, memory.stat the costly one) is kept USAGE_MEMORY_MAX_AGE_MS:
 * answers in a row read only the CPU time, which tank top needs exact (a rate). */
#define USAGE_MEMORY_MAX_AGE_MS 1000
struct usage_cache {
    int64_t at_ms; /* 0 = none */
    int r;
    struct runtime_usage u;
    int64_t mem_at_ms; /* when u.memory_bytes was read (0 = never) */
    int mem_r;
};

/* A container's state in the worker's table (what the API shows is derived from it). */
enum ctr_state {
    C_IDLE,      /* due to start (or to pull first) */
    C_PULLING,   /* a pull child runs */
    C_STARTING,  /* the runtime brings it up (rootfs, exec) in a child; its start fd tells */
    C_POSTSTART, /* it runs, its postStart hook is under way: neither running nor ready yet */
    C_BACKOFF,   /* waiting for its timer: a restart, a pull retry, a start retry */
    C_RUNNING,   /* its watch fd tells the exit */
    C_EXITED,    /* exited; the restart policy has not decided yet */
    C_DONE,      /* terminated for good */
};

/* How one instance of a container ended (what the API's lastState shows). */
struct ctr_term {
    bool set;
    const char *reason;
    int exit_code, signal;
    char message[RUNTIME_TERM_MESSAGE_MAX + 1]; /* its termination message, if any */
    int64_t started_ns, finished_ns;
};

struct ctr {
    struct pod *pod;
    size_t idx;
    char *name;
    char *image;
    char digest[80];
    enum ctr_state state;
    const char *reason;
    char message[RUNTIME_TERM_MESSAGE_MAX + 1];
    bool init;    /* an init container (its idx past the spec's app containers) */
    bool sidecar; /* an init container with restartPolicy: Always */
    bool ever_started;
    bool pulled;
    unsigned restarts;
    unsigned pull_failures;
    int64_t backoff_ms;
    int64_t pull_backoff_ms;
    pid_t pid, monitor_pid;
    int watch_fd;
    struct underway start; /* when C_STARTING */
    pid_t pull_pid;
    int pull_fd;
    struct tk_buf pull_out;
    uint64_t timer;
    int64_t due_ns;
    bool has_exit;
    int exit_code, signal;
    int64_t started_ns, finished_ns;
    /* Probes (agent/prober.c), while RUNNING: started = its startup probe succeeded (or it has
     * none); ready = its readiness probe says so (or started, without one). */
    struct probe *probes[SPEC_N_PROBES];
    bool started, ready;
    bool probing;        /* probe_ctr_running() set its probes up */
    uint64_t kill_timer; /* a probe killed it: SIGKILL when its grace period is over */
    bool resize_restart; /* killed by a resize (RestartContainer): restart at once */
    /* Lifecycle hooks (agent/prober.c runs them): the one under way, postStart in
     * C_POSTSTART, preStop once stopping; stopping: its stop began (preStop, then the stop
     * signal once the hook ended), until it exits. */
    struct probe *hook;
    bool stopping;
    struct usage_cache usage;
    /* its last exit, and the one before */
    struct ctr_term term, last_term;
};

/* A pod's state in the worker's table (the table is written at the top of agent/podworker.c;
 * pod_set_state() is the one way to change it). */
enum pod_state {
    P_SANDBOX_DUE,    /* the sandbox is to be made (or found) at the next sync */
    P_ADMISSION,      /* a new pod waits until its requests fit (the reconciler admits it) */
    P_SANDBOX_MAKING, /* its creation is under way in a child (sandbox.active) */
    P_SANDBOX_RETRY,  /* the last creation failed: retry_timer runs */
    P_RUNNING,        /* the sandbox is up: the containers follow their own states */
    P_STOPPING,       /* stopping: the stop signal was sent, grace_timer runs */
    P_KILLING,        /* the grace period is over: SIGKILL every second until all ended */
    P_REMOVING,       /* all ended: the sandbox is being removed (down.active), or that
                       * failed and remove_timer retries */
    P_GONE,           /* removed; the reconciler frees it */
};

struct pod {
    struct pod_env env;
    char *name;
    struct spec_pod *spec;
    char hash[65];
    char hash_nores[65]; /* spec_pod.hash_nores of the spec it runs ("" without one) */
    int64_t grace_ms;
    enum pod_state state;
    struct ctr *ctrs;
    size_t n_ctrs;
    char *ips[8];
    size_t n_ips;
    int64_t started_ns;
    uint64_t retry_timer;  /* P_SANDBOX_RETRY: make the sandbox again */
    uint64_t grace_timer;  /* P_STOPPING: the grace period; P_KILLING: SIGKILL again */
    uint64_t remove_timer; /* P_REMOVING: remove the sandbox again */
    int64_t sandbox_backoff_ms;
    struct underway sandbox;         /* pod_up under way (sandbox.active) */
    struct underway down;            /* pod_down under way (down.active, P_REMOVING) */
    struct runtime_pod_info pending; /* the addresses it will have */
    const char *reason;
    char message[512];
    struct usage_cache usage; /* the pod's own (its cgroup) */
    /* a resize the reconciler could not admit (pod_resize_pending): "Deferred" or
     * "Infeasible", NULL when none; the numbers; since when */
    const char *resize_reason;
    char resize_message[256];
    int64_t resize_ns;
    /* Its init containers have all completed (sidecars: started) since the sandbox was made:
     * the app containers may start. */
    bool initialized;
    bool sandbox_new;             /* the sandbox under way is made anew (not found from before) */
    bool sandbox_lost;            /* damaged: made again once no container runs */
    bool sandbox_dead;            /* damaged, and restartPolicy Never: never made again */
    bool cond[POD_N_CONDS];       /* the pod's conditions (enum pod_cond) */
    int64_t cond_ns[POD_N_CONDS]; /* when each last changed (0: not yet computed) */
};

/* podworker.c */
/* The pod is stopping (P_STOPPING, P_KILLING or P_REMOVING). */
bool pod_is_stopping(const struct pod *p);
/* An event of the pod (c NULL) or of one of its containers, for the API's event list. */
void pod_emit(struct pod *p, const struct ctr *c, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Compute the pod's conditions again, stamping the ones that changed. */
void pod_conditions_update(struct pod *p);
/* Write the pod's record under RUN_DIR/agent/pods (what adoption reads back). */
void pod_write_record(struct pod *p);

/* initphase.c: the init containers and the sidecars, in the pod's sync */
/* Start the init containers in their turn (a sidecar's turn ends once it started, a plain
 * one's once it completed); true once all are through (p->initialized), false while the app
 * containers must wait. */
bool pod_init_sync(struct pod *p);
/* After the init phase: exited sidecars are restarted, and stopped once every app container
 * has ended for good. */
void pod_sidecars_sync(struct pod *p);
/* The sandbox was made anew: the init containers run again. */
void pod_init_sandbox_new(struct pod *p);
/* Every app container has ended for good (C_DONE). */
bool pod_apps_done(const struct pod *p);
/* A plain init container failed for good (restartPolicy Never): the pod has failed. */
bool pod_init_failed(const struct pod *p);
/* kubectl's status of a pod in its init phase ("Init:1/3", "Init:Error",
 * "Init:CrashLoopBackOff"), NULL once initialized; buf holds it. */
const char *pod_init_reason(const struct pod *p, char *buf, size_t size);

/* ctrworker.c */
/* Move the container to state to (why: for the debug log); aborts on a move the table in
 * ctrworker.c does not allow. */
void ctr_set_state(struct ctr *c, enum ctr_state to, const char *why);
/* Start the container (pulling its image first when needed); asynchronous. */
void ctr_start(struct ctr *c);
/* The restart policy decides on an exited container. */
void ctr_decide(struct ctr *c);
/* Watch fd (readable once the container has exited); takes it. */
int ctr_watch(struct ctr *c, int fd);
void ctr_unwatch(struct ctr *c);
/* A running container without a watch fd: ask the runtime whether it still runs. */
void ctr_check_unwatched(struct ctr *c);
/* Take the runtime's word on how the container ended. */
void ctr_set_exit(struct ctr *c, const struct runtime_ctr *st);
/* Stop the container as a failed probe does: its preStop hook and its stop signal, SIGKILL
 * after grace_ms (<= 0: at once). */
void ctr_kill_graceful(struct ctr *c, int64_t grace_ms);
/* Begin the container's stop: its preStop hook if it has one, then its stop signal (once).
 * The caller keeps the grace period. */
void ctr_stop(struct ctr *c);
/* The container's process is there (running, or in its postStart hook). */
static inline bool ctr_alive(const struct ctr *c)
{
    return c->state == C_RUNNING || c->state == C_POSTSTART;
}
/* The spec of the container (NULL for an adopted pod whose manifest is not known yet). */
const struct spec_container *ctr_spec(const struct ctr *c);
/* The agent stops: see a start under way to its end (see ctrworker.c). */
void ctr_start_settle(struct ctr *c);
