#pragma once
/*
 * Internals of the container part of sandbox/ (spawn.c, rootfs.c, caps.c, monitor.c).
 * Not for use outside sandbox/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/container.h"

/* A failure in the workload child before exec, sent to the monitor over the close-on-exec
 * error pipe as is (fixed size, so one write is one record). */
struct sandbox_fail {
    int stage; /* enum sandbox_stage */
    int err;   /* positive errno */
    char msg[512];
};

/* Fill f and return -f->err: the message is "MESSAGE: strerror(err)", or just MESSAGE when
 * err is 0 (then f->err is EINVAL). */
int sandbox_fail(struct sandbox_fail *f, enum sandbox_stage stage, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- fdpass.c ---- */

/* Send len bytes of data and, when fd >= 0, fd (SCM_RIGHTS) as one message: 0, or -EPIPE
 * when the other side is gone. */
int sandbox_send_fd(int sock, const void *data, size_t len, int fd);
/* Receive one message of at most len bytes without waiting, and the fd it carried (made
 * close-on-exec) into *fd, -1 when none: its length, 0 at EOF, or -errno (-EAGAIN: none yet). */
ssize_t sandbox_recv_fd(int sock, void *data, size_t len, int *fd);

/* ---- enter.c ---- */

/* argv[0] as a path inside the container: as is with a '/', else looked up in the PATH of
 * cfg->env. Fills out or f. */
int sandbox_find_exec(const struct sandbox_container_config *cfg, char *out, size_t size,
                      struct sandbox_fail *f);
/* Every signal back to its default disposition, none blocked. */
void sandbox_reset_signals(void);
/* The terminal of a process entering a container (tty: true, tank exec -t), once its root is
 * the container's and it leads a session of its own: a new pseudo-terminal of the container's
 * /dev/ptmx, its slave owned by t->uid:t->gid (unless t->chown is false) and sized t->rows ×
 * t->cols (unless 0), made the controlling terminal and dup'ed onto fds 0-2. Its master goes
 * to sock with msg (len bytes) for the caller to hold. */
struct sandbox_tty {
    bool chown;
    uid_t uid;
    gid_t gid;
    unsigned short rows, cols;
};
int sandbox_tty_take(const struct sandbox_tty *t, int sock, const void *msg, size_t len,
                     struct sandbox_fail *f);
/* Join a new session keyring of the container's own (runc's "_ses.ID"); ENOSYS is ignored. */
int sandbox_keyring_join(const struct sandbox_container_config *cfg, struct sandbox_fail *f);
struct sandbox_seccomp_filter;
/* Load a filter (no-op for NULL). */
int sandbox_seccomp_apply(const struct sandbox_seccomp_filter *filter, struct sandbox_fail *f);

/* ---- rootfs.c: runs in the workload child, in its new mount namespace, as root ---- */

/* Build the root file system (overlayfs or flat rootfs, /proc, /dev, /sys, pod files,
 * volumes, masked/read-only paths), pivot into it and, when asked, make / read-only.
 * Also creates cfg->cwd. On return the process' root and cwd are the new root. */
int sandbox_rootfs_setup(const struct sandbox_container_config *cfg, struct sandbox_fail *f);

/* Open path inside the directory rootfd, never leaving it (symlinks are resolved as if
 * rootfd were "/"); with create, missing components are created as directories, and the
 * last one as a file when create_file. Returns an O_PATH|O_CLOEXEC fd or -errno. */
int sandbox_open_in_root(int rootfd, const char *path, int create, int create_file);

/* Remount the mount now at dest (inside rootfd) read-only, keeping nosuid/nodev/noexec. */
int sandbox_remount_ro(int rootfd, const char *dest);

/* ---- volmount.c: volume mounts, in the workload child before pivot_root ---- */

/* Bind the volume mount m at its destination inside rootfd (see struct sandbox_mount).
 * Returns 0, or -errno with f filled (the message names the volume and subPath). */
int sandbox_volume_mount(int rootfd, const struct sandbox_mount *m, struct sandbox_fail *f);

/* Open sub (relative) beneath the directory volfd: a symlink is followed only while it stays
 * beneath volfd, and never at all with nofollow (the walk used where openat2 is missing); with
 * create, missing components are made as directories (0777 less the umask) under the fd of
 * their parent. Returns an O_PATH|O_CLOEXEC fd, -EXDEV when sub leads out of volfd, -ELOOP for
 * a symlink that is not followed (or whose target is missing, with create), else -errno. */
int sandbox_open_beneath(int volfd, const char *sub, int create, int nofollow);

/* ---- layercopy.c ---- */

/* Copy layers (lowest first) into dest, applying overlay whiteouts and opaque directories:
 * the fallback where overlayfs is unavailable. Reuses dest when an earlier start completed
 * it (dest.done exists). */
int sandbox_copy_layers(const char *const *layers, size_t n, const char *dest,
                        struct sandbox_fail *f);

/* ---- caps.c ---- */

#define SANDBOX_CAP_ALL (-2) /* sandbox_cap_from_name("ALL") */

/* Capability number for a name ("NET_ADMIN", "cap_net_admin", "ALL" → SANDBOX_CAP_ALL);
 * -EINVAL when unknown. */
int sandbox_cap_from_name(const char *name);
/* "CAP_CHOWN" for 0, NULL when unknown. */
const char *sandbox_cap_name(int cap);
/* The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
int sandbox_cap_last(void);
/* The effective set the config asks for (bit n = capability n). */
int sandbox_caps_compute(const struct sandbox_container_config *cfg, uint64_t *set,
                         struct sandbox_fail *f);
/* Switch user (setgroups/setgid/setuid) keeping set as the bounding set and, for root only,
 * as the permitted and effective sets (all other sets empty); then no_new_privs if asked. */
int sandbox_user_caps_apply(const struct sandbox_container_config *cfg, uint64_t set,
                            struct sandbox_fail *f);

/* ---- ctrconfine.c: the workload child's seccomp filter and AppArmor profile ---- */

struct sandbox_seccomp_filter;

/* The filter the config asks for, compiled for the capability set caps; *out = NULL when the
 * container gets none (privileged or unconfined). */
int sandbox_seccomp_prepare(const struct sandbox_container_config *cfg, uint64_t caps,
                            struct sandbox_seccomp_filter **out, struct sandbox_fail *f);
/* Ask AppArmor to exec the workload under cfg->apparmor_profile (no-op without one); /proc
 * must be the container's. */
int sandbox_apparmor_exec(const struct sandbox_container_config *cfg, struct sandbox_fail *f);
/* In the caller, before the fork: compile the default profile's filter for cfg's capability
 * set once per process, for sandbox_seccomp_prepare() in the children to find. */
void sandbox_seccomp_precompile(const struct sandbox_container_config *cfg);

/* ---- monitor.c ---- */

struct sandbox_monitor_args {
    pid_t pid;          /* the workload, a child of this process */
    int out_fd, err_fd; /* read ends of its stdout/stderr pipes (-1 = none) */
    const char *state_dir;
    const char *log_path; /* NULL = discard */
    uint64_t log_max_size;
    unsigned log_max_files;
    /* The termination message: an O_PATH fd of the workload's root and one of its mount
     * namespace (which keeps its mounts while the monitor reads), and the path; -1/NULL
     * for none. */
    int term_root, term_mnt;
    const char *term_path;
};

/* The monitor's loop: copy output into the CRI log until both pipes close, wait for the
 * workload, write state_dir/exit. Returns 0 (the monitor then exits 0). */
int sandbox_monitor_run(const struct sandbox_monitor_args *a);

/* Write state_dir/exit atomically. */
int sandbox_write_exit(const char *state_dir, int code, int sig, const char *message);

/* Start time of pid in clock ticks since boot (/proc/PID/stat field 22); -ESRCH for a
 * zombie (exited, not yet reaped). */
int sandbox_proc_start_time(pid_t pid, uint64_t *out);
