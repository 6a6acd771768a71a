/* Where a container start failed, and the message that says so (sandbox_fail, the record the
 * workload and the monitor send back). */
#include "sandbox/ctr_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"

const char *sandbox_stage_to_string(enum sandbox_stage stage)
{
    static const char *const names[] = {
        [SANDBOX_STAGE_NONE] = "none",         [SANDBOX_STAGE_SETUP] = "setup",
        [SANDBOX_STAGE_SETNS] = "setns",       [SANDBOX_STAGE_CLONE] = "clone",
        [SANDBOX_STAGE_HOOK] = "hook",         [SANDBOX_STAGE_ROOTFS] = "rootfs",
        [SANDBOX_STAGE_MOUNT] = "mount",       [SANDBOX_STAGE_PIVOT] = "pivot",
        [SANDBOX_STAGE_HOSTNAME] = "hostname", [SANDBOX_STAGE_USER] = "user",
        [SANDBOX_STAGE_CAPS] = "caps",         [SANDBOX_STAGE_CWD] = "cwd",
        [SANDBOX_STAGE_EXEC] = "exec",         [SANDBOX_STAGE_SECCOMP] = "seccomp",
    };
    if ((unsigned)stage >= TK_ARRAY_SIZE(names) || !names[stage])
        return "unknown";
    return names[stage];
}

int sandbox_fail(struct sandbox_fail *f, enum sandbox_stage stage, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    if (err && n >= 0 && (size_t)n < sizeof(f->msg))
        snprintf(f->msg + n, sizeof(f->msg) - (size_t)n, ": %s", strerror(err));
    f->stage = stage;
    f->err = err ? err : EINVAL;
    return -f->err;
}
