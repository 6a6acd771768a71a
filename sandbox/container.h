#pragma once
/*
 * Containers at run time: spawn with a ready checkpoint, rootfs bring-up, privilege drop and
 * the per-container monitor.
 *
 * sandbox_container_start() forks a *monitor* (a child of the caller, in its own session and
 * process group, so it outlives the caller). The monitor joins the pod's namespaces (setns),
 * clones the workload into new mount and PID namespaces and tells the caller the workload's
 * pid. While the ready hook runs (cgroups, ...) the workload builds its root file system and
 * pivots into it; then it blocks at the *ready checkpoint* until the hook returned, and only
 * then makes its cgroup namespace (none where the kernel refuses one), drops privileges and
 * execs. start() returns once the exec succeeded, or with the stage, errno and message of the
 * first failure before exec.
 *
 * The monitor then writes the workload's stdout/stderr into the log file in the CRI format
 * ("2026-01-02T03:04:05.123456789Z stdout F text"; lines longer than 16 KiB are split into
 * "P" parts; at log_max_size the file is renamed to LOG.1, LOG.1 to LOG.2, ..., keeping
 * log_max_files files in all), and, when the
 * workload exits, writes its exit status atomically into state_dir and exits itself.
 *
 * Files in state_dir (written atomically; read them through sandbox_container_state()):
 *   state  pid, its start time, monitor pid, its start time, started_at, stop signal
 *   exit   exit code, signal, finished_at (and the pre-exec error message, if any)
 * The workload's mounts live only in its own mount namespace: nothing is mounted on the host,
 * so nothing is left mounted when the container's processes are gone.
 *
 * All functions return 0 (or a value >= 0) on success and -errno on failure with err filled
 * (err may be NULL). Strings and arrays in the config are borrowed for the duration of the
 * call only.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

struct sandbox_seccomp_profile;

/* A volume mount into the container. */
#define SANDBOX_MOUNT_READONLY                                                                     \
    (1u << 0)                         /* read-only (the bind itself; mounts below it stay          \
                                       * writable unless RRO) */
#define SANDBOX_MOUNT_TMPFS (1u << 1) /* a fresh tmpfs; source ignored (may be NULL) */
#define SANDBOX_MOUNT_MKDIR                                                                        \
    (1u << 2) /* create missing components of sub_path (directories,                               \
               * mode 0777 less the umask, owned by root) */
#define SANDBOX_MOUNT_RRO                                                                          \
    (1u << 3) /* with READONLY: every mount below it read-only too                                 \
               * (mount_setattr AT_RECURSIVE); the start fails where                               \
               * the kernel cannot (before Linux 5.12) */
#define SANDBOX_MOUNT_RRO_IF_POSSIBLE                                                              \
    (1u << 4) /* the same, or plain READONLY where the kernel                                      \
               * lacks mount_setattr */

/* Volume mounts a container may have (sandbox_container_start fails beyond). */
#define SANDBOX_MAX_MOUNTS 64
#define SANDBOX_LOG_MAX_FILES 100 /* log_max_files' upper bound */

struct sandbox_mount {
    const char *source;      /* host path of the volume's root, trusted (a manifest's hostPath,
                              * an emptyDir directory Tank made); symlinks in it are followed.
                              * A file is bound onto a file, anything else onto a directory. */
    const char *destination; /* absolute path inside the container; created if missing,
                              * resolved inside the rootfs (symlinks cannot lead out of it);
                              * one that resolves onto procfs fails the start */
    unsigned flags;          /* SANDBOX_MOUNT_* */
    const char *sub_path;    /* NULL, or relative to source and resolved beneath it, whatever
                              * a container wrote there: a symlink is followed only while it
                              * stays inside the volume (openat2 RESOLVE_BENEATH; without
                              * openat2, never); one leading out fails the start ("volume
                              * 'data': subPath 'escape' leads outside the volume"). What was
                              * resolved is bound by its fd, never by its path again. */
    const char *volume;      /* volume name for messages (NULL = source) */
};

struct sandbox_container_config {
    const char *id; /* container id, for messages (e.g. "web/nginx"); required */

    /* Root file system: either image layer directories, lowest first (an overlayfs with
     * lowerdir = the layers and upper/work under rw_dir), or a flat directory used as is
     * (then rootfs changes persist in it). When overlayfs is unavailable the layers are
     * copied into rw_dir/rootfs once (a slow fallback). */
    const char *const *layers;
    size_t n_layers;
    const char *rootfs;  /* used when n_layers == 0 */
    const char *rw_dir;  /* parent of upper/, work/ (and rootfs/ for the copy fallback);
                          * NULL = state_dir. Must be on a file system overlayfs accepts
                          * as upper (not overlayfs itself). */
    int readonly_rootfs; /* remount / read-only after all mounts are made */

    /* The process. argv[0] without a '/' is looked up in the container's PATH (from env,
     * else /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin). */
    char *const *argv; /* NULL-terminated, required */
    char *const *env;  /* NULL-terminated "K=V"; NULL = empty environment */
    const char *cwd;   /* NULL = "/"; created if missing */
    uid_t uid;
    gid_t gid;
    const gid_t *groups; /* supplementary groups */
    size_t n_groups;

    /* Privileges. The default set is Docker's (CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW
     * SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE), adjusted
     * as containerd does: "ALL" in cap_add = every capability, "ALL" in cap_drop = none,
     * then the named adds, then the named drops. Names are case-insensitive with or without
     * "CAP_". "Every capability" is what the calling process itself holds. An unknown name
     * fails start() (stage "caps"). As with Docker and containerd, the set is the bounding
     * set; root also gets it as its permitted and effective sets, any other uid gets empty
     * effective, permitted, inheritable and ambient sets (cap_add changes only its bounding
     * set). The inheritable set is always empty. */
    const char *const *cap_add;
    size_t n_cap_add;
    const char *const *cap_drop;
    size_t n_cap_drop;
    int privileged;   /* all capabilities, no masked or read-only paths, /sys writable, and
                       * the host's character and block devices in /dev (its own pts, shm,
                       * mqueue and ptmx kept; not the host's console) */
    int no_new_privs; /* PR_SET_NO_NEW_PRIVS (set it unless allowPrivilegeEscalation) */
    /* Seccomp (sandbox/seccomp.h): the profile compiled for the container's capability set
     * and loaded last before execve (before the privilege drop when !no_new_privs, while
     * CAP_SYS_ADMIN is still held). NULL = Docker's default profile; seccomp_unconfined =
     * every syscall but keyctl, add_key and request_key. A privileged container never gets a
     * filter (Docker's --privileged). Every container gets its own session keyring
     * ("_ses.ID", as runc), so the keys of the caller's session are never possessed in it. */
    const struct sandbox_seccomp_profile *seccomp_profile;
    int seccomp_unconfined;
    const char *apparmor_profile; /* AppArmor profile the workload is exec'd under; NULL =
                                   * none (the caller checked AppArmor is enabled) */

    /* Namespaces to join (paths to nsfs files such as RUN_DIR/pods/POD/ns/net).
     * netns NULL = stay in the caller's (host) network namespace;
     * utsns / ipcns NULL = a new, private namespace. */
    const char *netns;
    const char *utsns;
    const char *ipcns;
    const char *hostname; /* set only when utsns is NULL (a new UTS namespace); NULL = id */
    /* PID namespace: by default a new one, the workload its pid 1 (its end ends every process
     * in it). pidns = join that one instead (shareProcessNamespace: the pod's, where a pod
     * init is pid 1); host_pid = stay in the caller's (hostPID). */
    const char *pidns;
    int host_pid;
    /* tty: the workload gets a pseudo-terminal of the container's own devpts (opened after
     * the pivot, as runc does) as its controlling terminal and fds 0-2; the monitor logs what
     * it writes as stdout. stdin_open (without tty): its stdin is a pipe the monitor holds
     * open and never writes to, instead of /dev/null (a shell waits instead of ending). */
    int tty;
    int stdin_open;
    /* The pod's user namespace (RUN_DIR/pods/POD/ns/user, mapping 0..65535 to userns_id..;
     * NULL = the host's). The workload builds its root file system as the host's root, the
     * image layers idmapped through it (overlayfs over idmapped lower layers; the upper dir
     * owned by userns_id, so what the container writes belongs to its range on the host),
     * then joins it before switching user: uid 0 inside is userns_id on the host, with
     * capabilities only over namespaces the user namespace owns. Needs image layers. */
    const char *userns;
    uid_t userns_id;

    /* Files of the pod bound onto /etc/resolv.conf, /etc/hosts, /etc/hostname (NULL = none). */
    const char *resolv_conf;
    const char *hosts;
    const char *hostname_file;

    const struct sandbox_mount *mounts; /* applied in order, after /proc, /dev, /sys */
    size_t n_mounts;                    /* at most SANDBOX_MAX_MOUNTS */

    const char *state_dir;  /* the container's directory under run_dir, created if missing */
    const char *log_path;   /* CRI log file (directories created); NULL = output discarded */
    uint64_t log_max_size;  /* rotation threshold in bytes; 0 = 10 MiB */
    unsigned log_max_files; /* files kept, the live one included: LOG, LOG.1 .. LOG.N-1;
                             * 0 = 2; at most SANDBOX_LOG_MAX_FILES */
    int stop_signal;        /* recorded for sandbox_container_stop(); 0 = SIGTERM */
    /* The termination message (Kubernetes' terminationMessagePath): NULL = none; else an
     * absolute path inside the container, made an empty file (mode 0666, as the kubelet's)
     * where it is missing and its directory exists. When the workload exits, the monitor
     * reads its last SANDBOX_TERM_MESSAGE_MAX bytes (sandbox_read_in_root) into
     * state_dir/SANDBOX_TERM_MESSAGE_FILE (sandbox_container_termination_message). */
    const char *termination_path;

    /* After the workload exec'd, the monitor re-execs a small static monitor program that is
     * embedded in the binary (run from a sealed memfd; a few hundred KiB of RSS). Only if
     * that fails: "monitor_exe __monitor ..." (the tank binary; ~10 MB RSS with its shared
     * libraries), and when that is NULL too, the monitor stays a fork of the caller. */
    const char *monitor_exe;

    /* Ready checkpoint: called in the caller's process with the workload's pid (as the host
     * sees it) while the workload builds its root; the workload waits for it before its
     * cgroup namespace, privilege drop and exec. A negative return aborts the start (the
     * workload is killed; start() fails with stage "hook" and this error). */
    int (*ready_hook)(pid_t pid, void *data, struct tk_err *err);
    void *ready_data;
};

/* Where a start failed. */
enum sandbox_stage {
    SANDBOX_STAGE_NONE = 0,
    SANDBOX_STAGE_SETUP,  /* in the caller: state dir, pipes, fork */
    SANDBOX_STAGE_SETNS,  /* joining a pod namespace */
    SANDBOX_STAGE_CLONE,  /* creating the namespaces */
    SANDBOX_STAGE_HOOK,   /* the ready hook */
    SANDBOX_STAGE_ROOTFS, /* overlayfs / rootfs */
    SANDBOX_STAGE_MOUNT,  /* /proc, /dev, /sys, volumes, masked paths */
    SANDBOX_STAGE_PIVOT,  /* pivot_root */
    SANDBOX_STAGE_HOSTNAME,
    SANDBOX_STAGE_USER, /* setgroups/setgid/setuid */
    SANDBOX_STAGE_CAPS,
    SANDBOX_STAGE_CWD,
    SANDBOX_STAGE_EXEC,
    SANDBOX_STAGE_SECCOMP, /* the session keyring, the seccomp filter */
};
/* "setup", "setns", "clone", "hook", "rootfs", "mount", "pivot", "hostname", "user", "caps",
 * "cwd", "exec", "seccomp" ("none" for SANDBOX_STAGE_NONE). */
const char *sandbox_stage_to_string(enum sandbox_stage stage);

struct sandbox_container_result {
    pid_t monitor_pid; /* a child of the caller: reap it (waitpid) once it exits */
    pid_t pid;         /* the workload, as the host sees it */
    int monitor_pidfd; /* pidfd of the monitor (readable when it exits), O_CLOEXEC, owned by
                        * the caller; -1 where pidfds are unavailable */
    enum sandbox_stage failed_stage; /* on failure: where; SANDBOX_STAGE_NONE on success */
    int failed_errno;                /* on failure: the errno of that stage (positive) */
};

/*
 * Start a container and return once its workload has exec'd. On failure before exec returns
 * -errno with result->failed_stage / failed_errno set and err->msg like
 * "exec /bin/nginx: No such file or directory"; the monitor then records the failure in
 * state_dir/exit (code 127 for a missing executable, 126 otherwise) and exits (the caller
 * still reaps it: result->monitor_pid is set when a monitor was forked, else 0).
 * Blocks for the ready hook and the rootfs bring-up (typically a few ms).
 */
int sandbox_container_start(const struct sandbox_container_config *cfg,
                            struct sandbox_container_result *result, struct tk_err *err);

/*
 * The same start in halves, for an event loop that must not wait for a rootfs bring-up:
 *
 *   sandbox_container_start_begin()  forks the monitor and returns at once: result->monitor_pid
 *                                    and result->monitor_pidfd are set (the caller owns both,
 *                                    as with sandbox_container_start), *start is under way.
 *   sandbox_start_fd()               readable when the start can make progress;
 *   sandbox_container_start_advance()   never blocks: 1 while under way, 0 once the workload
 *                                    exec'd (result->pid set), -errno when it failed (result
 *                                    and err as for sandbox_container_start). The ready hook
 *                                    runs inside an advance. Call it also at
 *                                    sandbox_start_deadline_ms(): past the deadline
 *                                    (SANDBOX_START_TIMEOUT_MS after begin) with no word from
 *                                    the monitor, the workload and the monitor are killed and
 *                                    the advance fails with ETIMEDOUT.
 *   sandbox_start_free()             once over, or to give up: with kill_it, what was started
 *                                    is killed; without, it is left to end on its own: the
 *                                    container comes up (or records its failure) in state_dir,
 *                                    adoptable as after a caller crash. (With a ready hook, a
 *                                    start given up before the hook ran is aborted instead.)
 * cfg is borrowed for begin only, except ready_hook/ready_data which the advances call.
 */
/* Compile now what a default container's start needs (the default seccomp filter for the
 * default capabilities, 10 ms or more), so that the caller's first start does not wait for
 * it; its later starts reuse it as they would after a first start. */
void sandbox_container_warm(void);

#define SANDBOX_START_TIMEOUT_MS 60000
struct sandbox_start;
int sandbox_container_start_begin(const struct sandbox_container_config *cfg,
                                  struct sandbox_start **start,
                                  struct sandbox_container_result *result, struct tk_err *err);
int sandbox_start_fd(const struct sandbox_start *start);
int64_t sandbox_start_deadline_ms(const struct sandbox_start *start);
int sandbox_container_start_advance(struct sandbox_start *start,
                                    struct sandbox_container_result *result, struct tk_err *err);
void sandbox_start_free(struct sandbox_start *start, int kill_it);

/* What state_dir says about a container; usable by a restarted agent to adopt it. */
struct sandbox_container_state {
    pid_t pid;           /* workload pid (host view), 0 when unknown */
    pid_t monitor_pid;   /* 0 when unknown */
    int monitor_alive;   /* the monitor process (same pid AND start time) still runs */
    int running;         /* started, not exited, and the monitor is alive */
    int exited;          /* state_dir/exit exists: the fields below are valid */
    int exit_code;       /* 0..255; 128+signal when killed by a signal */
    int signal;          /* the killing signal, 0 when it exited normally */
    int stop_signal;     /* from the config */
    int64_t started_ns;  /* wall clock, ns since epoch; 0 when unknown */
    int64_t finished_ns; /* wall clock, ns since epoch; 0 when not exited */
    char message[256];   /* the pre-exec error message when the start failed, else "" */
};

#define SANDBOX_TERM_MESSAGE_MAX 4096
#define SANDBOX_TERM_MESSAGE_FILE "termination-message"
/* Read the end of the file at path inside the directory rootfd, which a container shaped:
 * resolved in it (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, the last component not
 * followed), a regular file only and not one of procfs, sysfs or the like, opened without
 * blocking and read by its fd: its last size - 1 bytes at most, NUL-terminated. Returns the
 * bytes read, -errno (-EPERM for what is not a regular file; -ENOSYS without openat2). */
int sandbox_read_in_root(int rootfd, const char *path, char *buf, size_t size);
/* The termination message the monitor kept for the container's last exit ("" and 0 when
 * none), NUL-terminated; the bytes read or -errno. */
int sandbox_container_termination_message(const char *state_dir, char *buf, size_t size);

/* Read state_dir. -ENOENT when the container was never started there. */
int sandbox_container_state(const char *state_dir, struct sandbox_container_state *st,
                            struct tk_err *err);

/* A pidfd of the (adopted) monitor, checked against its recorded start time, for the
 * caller's event loop: readable once the monitor exited. Returns the fd (O_CLOEXEC, caller
 * closes) or -ESRCH when the monitor is gone. */
int sandbox_monitor_pidfd(const char *state_dir, struct tk_err *err);

/* Send sig to the workload (safe against pid reuse: the pid is checked against its recorded
 * start time and the exit file). Returns 0 when sent, -ESRCH when the workload is gone.
 * Non-blocking: the caller keeps its own grace timer and sends SIGKILL when it expires. */
int sandbox_container_kill(const char *state_dir, int sig, struct tk_err *err);

/* Blocking stop: sig (0 = the configured stop signal), SIGKILL after grace_ms, then wait
 * until the monitor has written the exit status (at most 10 s more). Returns 0 once the
 * workload is gone (also when it was gone before), -ETIMEDOUT otherwise. */
int sandbox_container_stop(const char *state_dir, int sig, int64_t grace_ms, struct tk_err *err);

/* Remove what is left of a stopped container: state_dir, and with remove_rw also rw_dir's
 * upper/, work/ and rootfs/ (rw_dir NULL = state_dir). -EBUSY while the monitor runs. */
int sandbox_container_cleanup(const char *state_dir, const char *rw_dir, int remove_rw,
                              struct tk_err *err);

/* The body of the hidden "tank __monitor" subcommand (argv as given to it; argv[0] is
 * "__monitor"). Only sandbox_container_start() runs it. Returns the process exit code. */
int sandbox_monitor_main(int argc, char **argv);
