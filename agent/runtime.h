#pragma once
/*
 * The runtime seam: what the pod workers ask of the machine — set a pod's sandbox up and
 * down, look up and pull images, start, signal and inspect containers, and list what
 * exists now (for adoption after an agent restart). The reconciler and the pod workers
 * never call clone or mount; they go through a struct runtime.
 *
 * runtime_new_host() is the real implementation over sandbox/ and image/; tests plug in
 * their own ops. Every call is quick (no network: pulls run in child processes, a
 * container's rootfs bring-up in its own child while the start is under way) and
 * returns 0 (or >= 0) on success, -errno on failure with err filled when given.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "spec/spec.h"

struct tank_config;

#define RUNTIME_TERM_MESSAGE_MAX 4096 /* the kubelet's MaxContainerTerminationMessageLength */
#define RUNTIME_TERM_LOG_LINES 80     /* ... MaxContainerTerminationMessageLogLines */

/* A container as the runtime sees it. */
struct runtime_ctr {
    bool exists;  /* the runtime has state for it */
    bool running; /* started and not exited */
    int watch_fd; /* when running: readable once it exited; owned by the caller; else -1 */
    pid_t pid;    /* the workload, host view; 0 when unknown */
    pid_t monitor_pid;
    bool exited;     /* the fields below are valid */
    int exit_code;   /* 0..255 (128+signal when killed) */
    int signal;      /* the killing signal, 0 when it exited */
    bool oom_killed; /* SIGKILLed while the OOM killer killed in its cgroup */
    int64_t started_ns, finished_ns;
    char message[256]; /* why a start failed, "" otherwise */
    /* The termination message it left at its terminationMessagePath when it exited ("" when
     * none): at most RUNTIME_TERM_MESSAGE_MAX bytes, the file's end. */
    char term_message[RUNTIME_TERM_MESSAGE_MAX + 1];
    char image_digest[80]; /* "sha256:..." of the image it runs, "" when unknown */
};

/* What a container or a pod uses now (its cgroup). */
struct runtime_usage {
    uint64_t cpu_ns;       /* CPU time since it started; UINT64_MAX when unknown */
    uint64_t memory_bytes; /* working set (usage minus inactive file); UINT64_MAX: unknown */
};

/* A container start or a sandbox creation under way (ctr_start or pod_up returned 1). */
struct runtime_underway {
    int fd;              /* readable when the work can make progress; the runtime's */
    int64_t deadline_ms; /* monotonic (tk_now_monotonic_ms): advance by then at the latest */
    void *priv;          /* the runtime's state of the work */
};

/* A pod sandbox once it is up. */
struct runtime_pod_info {
    char *ips[8]; /* heap strings "192.0.2.10" (no prefix); caller frees */
    size_t n_ips;
};

struct runtime_ops {
    /* Create the pod's namespaces, interfaces and volumes (idempotent: an existing sandbox
     * of the same pod is reused). Returns 0 when the sandbox is up (reused or made at once),
     * 1 when its creation is under way in a child (address probes take a while): watch
     * work->fd and call pod_up_advance when it is readable, and at work->deadline_ms at the
     * latest. info is filled on 0 and on 1. */
    int (*pod_up)(void *impl, const struct spec_pod *pod, struct runtime_pod_info *info,
                  struct runtime_underway *work, struct tk_err *err);
    /* Progress a creation under way without blocking: 1 while it still is, 0 once the
     * sandbox is up, -errno when it failed (nothing of it left). Unless it returns 1 the
     * creation is over and its fd closed (take it out of any poll set first). */
    int (*pod_up_advance)(void *impl, struct runtime_underway *work, struct tk_err *err);
    /* Give a creation under way up: with kill_it its child is killed; without, it is left to
     * end (the next pod_up finds a half-built sandbox and makes it again). */
    void (*pod_up_cancel)(void *impl, struct runtime_underway *work, bool kill_it);
    /* Remove everything of the pod (its containers must be gone): namespaces, links,
     * volumes, container state and writable layers. A missing pod is success. Returns 0
     * when done at once, 1 when the removal is under way in a child (unmounting and
     * removing a container's files can take a while): watch work->fd and call
     * pod_down_advance when it is readable, and at work->deadline_ms at the latest. */
    int (*pod_down)(void *impl, const char *pod, struct runtime_underway *work, struct tk_err *err);
    /* Progress a removal under way without blocking: 1 while it still is, 0 once it is
     * done, -errno when it failed or took too long (what is left of the pod stays, for
     * another pod_down). Unless it returns 1 the removal is over and its fd closed. */
    int (*pod_down_advance)(void *impl, struct runtime_underway *work, struct tk_err *err);
    /* Stop watching a removal under way (the agent stops); its child goes on. */
    void (*pod_down_cancel)(void *impl, struct runtime_underway *work);
    /* Names of the pods with a sandbox (heap array of heap strings). */
    int (*pod_list)(void *impl, char ***names, size_t *n);
    /* Is the pod's sandbox whole? 1 yes, 0 there is none, -errno damaged (err says how: the
     * init of its shared PID namespace is gone, a namespace or interface is missing). NULL:
     * never checked. */
    int (*pod_check)(void *impl, const char *pod, struct tk_err *err);

    /* 0 when image is in the store (digest filled, "sha256:..."), -ENOENT when not. */
    int (*image_lookup)(void *impl, const char *image, char *digest, size_t size,
                        struct tk_err *err);
    /* Start a pull in a child process; *pid is the child to watch, *out_fd a non-blocking
     * pipe with its error output (caller closes). The child exits 0 on success. */
    /* pod: whose imagePullSecrets (pod->pull_auth) are tried before [registry] auth_file. */
    int (*pull_spawn)(void *impl, const struct spec_pod *pod, const char *image, pid_t *pid,
                      int *out_fd, struct tk_err *err);

    /* Start container idx of pod (its image present, the sandbox up). Returns 0 when it runs
     * already (out->running and out->watch_fd set), 1 when the start is under way (the
     * rootfs bring-up runs in a child): watch start->fd and call ctr_start_advance when it is
     * readable, and at start->deadline_ms at the latest. On failure -errno, err says why
     * (the container's CreateContainerError message). out->monitor_pid, when set, names a
     * child to reap, whatever the outcome. */
    int (*ctr_start)(void *impl, const struct spec_pod *pod, size_t idx, struct runtime_ctr *out,
                     struct runtime_underway *start, struct tk_err *err);
    /* Progress a start under way without blocking: 1 while it still is, 0 once the container
     * runs, -errno when it failed; out and err as for ctr_start. Unless it returns 1 the
     * start is over and its fd closed (take it out of any poll set first). */
    int (*ctr_start_advance)(void *impl, struct runtime_underway *start, struct runtime_ctr *out,
                             struct tk_err *err);
    /* Signal the workload (0 = its stop signal). -ESRCH when it is gone. */
    int (*ctr_kill)(void *impl, const char *pod, const char *ctr, int sig);
    /* What the runtime knows of a container; out->exists false when nothing. When it runs,
     * out->watch_fd is a new fd the caller owns. */
    int (*ctr_state)(void *impl, const char *pod, const char *ctr, struct runtime_ctr *out);
    /* Forget an exited container's state before it is started again (logs are kept). */
    int (*ctr_remove)(void *impl, const char *pod, const char *ctr);
    /* Rewrite the cgroup limits of container idx of pod (and the pod's) in place, from pod's
     * resources; may be NULL (nothing to rewrite). -ENOENT when it has no cgroup. */
    int (*ctr_resize)(void *impl, const struct spec_pod *pod, size_t idx, struct tk_err *err);
    /* Usage of a container (ctr NULL: the whole pod); may be NULL (nothing known). Without
     * memory, only the CPU time is read (out->memory_bytes stays UINT64_MAX). */
    int (*usage)(void *impl, const char *pod, const char *ctr, bool memory,
                 struct runtime_usage *out);

    void (*free)(void *impl);
};

struct runtime {
    const struct runtime_ops *ops;
    void *impl;
};

/* The real runtime over sandbox/ and image/ (root needed to run pods). NULL with err set
 * on failure. cfg must outlive the runtime. */
struct runtime *runtime_new_host(const struct tank_config *cfg, struct tk_err *err);
void runtime_free(struct runtime *rt);

/* The file in a container's state directory (RUN_DIR/pods/POD/containers/CTR) that names the
 * manifest digest of the image it runs, from the start of its start on ("sha256:..."). */
#define RUNTIME_DIGEST_FILE "tank-image-digest"
/* Beside the exit record: the OOM killer ended the container (what its cgroup said). */
#define RUNTIME_OOM_FILE "tank-oom-killed"
/* ... and the one that holds the container's index in its pod's containers ("0\n"). */
#define RUNTIME_INDEX_FILE "tank-ctr-index"

/* Where a container's CRI log lives: LOG_DIR/POD/CTR.log (heap string); rotated into
 * CTR.log.1 .. ([logs] max_files); the previous instance's in CTR.log.prev (.1 ..). */
char *runtime_log_path(const char *log_dir, const char *pod, const char *ctr);
/* The last `lines` lines of the CRI log at path as the workload wrote them (without the
 * time, stream and tag; "P" parts joined), at most size - 1 bytes (the end of them),
 * NUL-terminated: terminationMessagePolicy FallbackToLogsOnError's message. Reads at most the
 * file's last 64 KiB. Returns the bytes written or -errno. */
int runtime_log_tail(const char *path, int lines, char *out, size_t size);
/* Where a container's state lives (its monitor's files, RUNTIME_DIGEST_FILE):
 * RUN_DIR/pods/POD/containers/CTR (heap string). */
char *runtime_ctr_state_dir(const char *run_dir, const char *pod, const char *ctr);

/* Bring the configMap and secret volumes of a started pod up to date with pod (its resolved
 * files): each changed volume is swapped atomically (sandbox/cfgvol.h); a pod not started
 * yet is left alone (its first container writes them). Problems are logged. Returns 0. */
int runtime_update_config_volumes(const char *run_dir, const char *state_dir,
                                  const struct spec_pod *pod);
