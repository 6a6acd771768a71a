/* Where a container start failed, and the message that says so (sandbox_fail, the record the
 * workload and the monitor send back). */
#include "sandbox/ctr_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"

const char *sandbox_step_to_string(enum sandbox_step step)
{
    static const char *const names[] = {
        [SANDBOX_STEP_NONE] = "none",         [SANDBOX_STEP_SETUP] = "setup",
        [SANDBOX_STEP_SETNS] = "setns",       [SANDBOX_STEP_CLONE] = "clone",
        [SANDBOX_STEP_HOOK] = "hook",         [SANDBOX_STEP_ROOTFS] = "rootfs",
        [SANDBOX_STEP_MOUNT] = "mount",       [SANDBOX_STEP_PIVOT] = "pivot",
        [SANDBOX_STEP_HOSTNAME] = "hostname", [SANDBOX_STEP_USER] = "user",
        [SANDBOX_STEP_CAPS] = "caps",         [SANDBOX_STEP_CWD] = "cwd",
        [SANDBOX_STEP_EXEC] = "exec",         [SANDBOX_STEP_SECCOMP] = "seccomp",
    };
    if ((unsigned)step >= TK_ARRAY_SIZE(names) || !names[step])
        return "unknown";
    return names[step];
}

int sandbox_fail(struct sandbox_fail *f, enum sandbox_step step, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    if (err && n >= 0 && (size_t)n < sizeof(f->msg))
        snprintf(f->msg + n, sizeof(f->msg) - (size_t)n, ": %s", strerror(err));
    f->step = step;
    f->err = err ? err : EINVAL;
    return -f->err;
}
