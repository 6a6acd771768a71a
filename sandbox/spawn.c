#include "sandbox/container.h"

#include <errno.h>

/* Stub implementations: the real spawn, monitor and state handling land next. */

const char *sandbox_step_to_string(enum sandbox_step step)
{
    static const char *const names[] = {
        [SANDBOX_STEP_NONE] = "none",     [SANDBOX_STEP_SETUP] = "setup",
        [SANDBOX_STEP_SETNS] = "setns",   [SANDBOX_STEP_CLONE] = "clone",
        [SANDBOX_STEP_HOOK] = "hook",     [SANDBOX_STEP_ROOTFS] = "rootfs",
        [SANDBOX_STEP_MOUNT] = "mount",   [SANDBOX_STEP_PIVOT] = "pivot",
        [SANDBOX_STEP_HOSTNAME] = "hostname", [SANDBOX_STEP_USER] = "user",
        [SANDBOX_STEP_CAPS] = "caps",     [SANDBOX_STEP_CWD] = "cwd",
        [SANDBOX_STEP_EXEC] = "exec",
    };
    if ((unsigned)step >= sizeof(names) / sizeof(names[0]) || !names[step])
        return "unknown";
    return names[step];
}

int sandbox_container_start(const struct sandbox_container_config *cfg,
                            struct sandbox_container_result *result, struct tk_err *err)
{
    (void)cfg;
    result->monitor_pid = 0;
    result->pid = 0;
    result->monitor_pidfd = -1;
    result->failed_step = SANDBOX_STEP_SETUP;
    result->failed_errno = ENOSYS;
    return tk_err_set(err, -ENOSYS, "start container: not implemented yet");
}

int sandbox_container_state(const char *state_dir, struct sandbox_container_state *st,
                            struct tk_err *err)
{
    (void)state_dir;
    (void)st;
    return tk_err_set(err, -ENOSYS, "container state: not implemented yet");
}

int sandbox_monitor_pidfd(const char *state_dir, struct tk_err *err)
{
    (void)state_dir;
    return tk_err_set(err, -ENOSYS, "monitor pidfd: not implemented yet");
}

int sandbox_container_kill(const char *state_dir, int sig, struct tk_err *err)
{
    (void)state_dir;
    (void)sig;
    return tk_err_set(err, -ENOSYS, "kill container: not implemented yet");
}

int sandbox_container_stop(const char *state_dir, int sig, int64_t grace_ms, struct tk_err *err)
{
    (void)state_dir;
    (void)sig;
    (void)grace_ms;
    return tk_err_set(err, -ENOSYS, "stop container: not implemented yet");
}

int sandbox_container_cleanup(const char *state_dir, const char *rw_dir, int remove_rw,
                              struct tk_err *err)
{
    (void)state_dir;
    (void)rw_dir;
    (void)remove_rw;
    return tk_err_set(err, -ENOSYS, "clean up container: not implemented yet");
}

int sandbox_monitor_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 1;
}
