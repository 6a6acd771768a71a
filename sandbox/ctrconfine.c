/* The workload child's seccomp filter (compiled once per process for the default profile)
 * and its AppArmor profile. Its keyring and the filter's loading are in enter.c (runc's
 * order: the keyring while keyctl is still allowed, the filter last). */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/seccomp.h"

int sandbox_apparmor_exec(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    if (!cfg->apparmor_profile)
        return 0;
    static const char *const files[] = {"/proc/thread-self/attr/apparmor/exec",
                                        "/proc/thread-self/attr/exec"};
    char buf[300];
    int n = snprintf(buf, sizeof(buf), "exec %s", cfg->apparmor_profile);
    int err = ENOENT;
    for (size_t i = 0; i < 2; i++) {
        int fd = open(files[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            err = errno;
            continue;
        }
        ssize_t w = write(fd, buf, (size_t)n);
        err = w == n ? 0 : errno;
        close(fd);
        if (!err)
            return 0;
        break;
    }
    return sandbox_fail(f, SANDBOX_STAGE_SECCOMP, err, "apparmor profile '%s'",
                        cfg->apparmor_profile);
}

/* Filters of the built-in profiles (Docker's per capability set: 10 ms or more with its
 * three x86 architectures), compiled by the caller of sandbox_container_start so that its
 * children inherit them at the fork: a long-running caller compiles each once. */
#define CACHE_SIZE 16
static struct {
    const struct sandbox_seccomp_profile *profile;
    uint64_t caps;
    struct sandbox_seccomp_filter *filter;
} cache[CACHE_SIZE];
static size_t n_cache;

/* The built-in profile cfg gets (NULL: none, or a Localhost one). */
static const struct sandbox_seccomp_profile *builtin(const struct sandbox_container_config *cfg)
{
    if (cfg->privileged || cfg->seccomp_profile)
        return NULL;
    return cfg->seccomp_unconfined ? sandbox_seccomp_keyring_profile()
                                   : sandbox_seccomp_default_profile();
}

static struct sandbox_seccomp_filter *cached(const struct sandbox_seccomp_profile *p, uint64_t caps)
{
    for (size_t i = 0; i < n_cache; i++)
        if (cache[i].profile == p && cache[i].caps == caps)
            return cache[i].filter;
    return NULL;
}

void sandbox_seccomp_precompile(const struct sandbox_container_config *cfg)
{
    struct sandbox_fail f;
    struct tk_err err;
    uint64_t caps;
    struct sandbox_seccomp_filter *filter;
    const struct sandbox_seccomp_profile *p = builtin(cfg);
    if (!p || n_cache == CACHE_SIZE || sandbox_caps_compute(cfg, &caps, &f) < 0 || cached(p, caps))
        return; /* (a failure is the child's to report) */
    if (sandbox_seccomp_compile(p, caps, &filter, &err) == 0)
        cache[n_cache++] = (typeof(cache[0])){p, caps, filter};
}

void sandbox_container_warm(void)
{
    sandbox_seccomp_precompile(&(struct sandbox_container_config){0});
}

int sandbox_seccomp_prepare(const struct sandbox_container_config *cfg, uint64_t caps,
                            struct sandbox_seccomp_filter **out, struct sandbox_fail *f)
{
    *out = NULL;
    if (cfg->privileged)
        return 0;
    const struct sandbox_seccomp_profile *p = builtin(cfg);
    if (p && (*out = cached(p, caps)))
        return 0;
    if (!p)
        p = cfg->seccomp_profile;
    struct tk_err err = {0};
    int r = sandbox_seccomp_compile(p, caps, out, &err);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SECCOMP, 0, "seccomp profile: %s", err.msg);
    return 0;
}
