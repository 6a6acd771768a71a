#pragma once
/*
 * One way into a running container: tank exec, exec probes and lifecycle hooks.
 *
 * sandbox_container_exec() starts a command inside the container whose state directory is
 * given, with everything its workload got: the workload's cgroups, its mount, PID, network,
 * UTS, IPC, cgroup and user namespaces (so its root file system), and from the exec record
 * the workload child wrote before its exec (STATE_DIR/exec, STATE_DIR/seccomp) its uid, gid
 * and groups, capability set (the same bounding / permitted / effective rule), no_new_privs,
 * seccomp filter, environment and working directory. The workload's pid comes from
 * STATE_DIR/state, checked against its start time and held by a pidfd while it is joined.
 * Nothing needs the agent.
 *
 *   caller ──vfork, execve──▶ helper: the small static program embedded in tank (sandbox/
 *                     │   exechelper; the caller waits only for its execve). It reads the exec
 *                     │   record, joins the cgroups the caller named, then setns(pidfd,
 *                     │   mnt|pid|net|uts|ipc|cgroup)
 *                     └──vfork-like clone──▶ command (pid namespace joined; own session; user
 *                            ns (then a fork); user, caps, no_new_privs, seccomp; pty; cwd;
 *                            execve)
 *   The helper waits for the command and exits with its status (128+signal when killed); it
 *   dies with the caller (PR_SET_PDEATHSIG), and the command with the helper. Where the
 *   embedded program cannot be used (no memfd), the caller forks and runs the same code.
 *
 * Functions return 0 on success and -errno with err filled (err may be NULL).
 */
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

struct sandbox_exec_config {
    char *const *argv; /* NULL-terminated, required; argv[0] without a '/' is looked up in the
                        * container's PATH */
    char *const *env;  /* "K=V" set besides (or over) the container's environment; NULL = none */
    int tty;           /* a pseudo-terminal from the container's own /dev/pts */
    unsigned short rows, cols; /* its initial window size (0 = leave unset) */
    int in_fd, out_fd, err_fd; /* without tty: the command's stdin, stdout, stderr (-1 =
                                * /dev/null); given to the command as they are */
};

struct sandbox_exec {
    pid_t pid;      /* the helper, a child of the caller: reap it; its exit status is the
                     * command's (126 / 127 when the command could not be run) */
    pid_t cmd_pid;  /* the command, host view; 0 until sandbox_exec_started() learnt it */
    int status_fd;  /* the caller's end of the channel (O_CLOEXEC, non-blocking) */
    int pty_master; /* with tty, once started: the terminal's master side, O_CLOEXEC */
    char msg[512];  /* why the command could not be run (when it could not) */
    int failed;     /* the command was not run (msg says why) */
    int over;       /* the channel is closed: exec'd or failed */
};

/* Start cfg->argv in the container of state_dir. x is filled; release it with
 * sandbox_exec_free(). -ESRCH when the container is not running. */
int sandbox_container_exec(const char *state_dir, const struct sandbox_exec_config *cfg,
                           struct sandbox_exec *x, struct tk_err *err);

/* Read what the channel has (never blocks): the command's pid, its pty, its failure. Returns
 * 1 while the command is still on its way to its execve, 0 once it exec'd, -errno when it
 * could not be run (x->msg says why: "exec nosuch: not found in PATH"). Poll x->status_fd
 * for readability to learn more. */
int sandbox_exec_advance(struct sandbox_exec *x);

/* The same, waiting up to timeout_ms (< 0 = forever); -ETIMEDOUT when still under way. */
int sandbox_exec_started(struct sandbox_exec *x, int timeout_ms);

/* SIGKILL the command, every process of its session (what it started and did not move to a
 * session of its own) and the helper. The helper is still to be reaped. */
void sandbox_exec_kill(const struct sandbox_exec *x);

/* Close x's fds (the helper is not reaped or killed). */
void sandbox_exec_free(struct sandbox_exec *x);
