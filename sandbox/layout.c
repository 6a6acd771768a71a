/* The on-disk layout of pods and containers (see layout.h). */
#include "sandbox/layout.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

/* "DIR/pods[/NAME[/rel]]" */
static int pods_path(char *out, size_t size, const char *dir, const char *name, const char *rel)
{
    int n = snprintf(out, size, "%s/pods%s%s%s%s", dir, name ? "/" : "", name ? name : "",
                     name && rel ? "/" : "", name && rel ? rel : "");
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sandbox_pod_path(char *out, size_t size, const char *run_dir, const char *name, const char *rel)
{
    return pods_path(out, size, run_dir, name, rel);
}

int sandbox_pod_state_path(char *out, size_t size, const char *state_dir, const char *name,
                           const char *rel)
{
    return pods_path(out, size, state_dir, name, rel);
}

int sandbox_ctr_path(char *out, size_t size, const char *dir, const char *pod, const char *ctr)
{
    int n =
        snprintf(out, size, "%s/pods/%s/containers%s%s", dir, pod, ctr ? "/" : "", ctr ? ctr : "");
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sandbox_pod_etc_path(char *out, size_t size, const char *run_dir, const char *name,
                         const char *file)
{
    int r = sandbox_pod_path(out, size, run_dir, name, SANDBOX_POD_ETC);
    struct stat st;
    if (r < 0)
        return r;
    if (lstat(out, &st) < 0 && errno == ENOENT) /* a pod from before the tmpfs */
        return sandbox_pod_path(out, size, run_dir, name, file);
    char rel[64 + NAME_MAX];
    snprintf(rel, sizeof(rel), SANDBOX_POD_ETC "/%s", file);
    return sandbox_pod_path(out, size, run_dir, name, rel);
}

int sandbox_pod_volume_path(char *out, size_t size, const char *state_dir, const char *name,
                            const char *volume)
{
    char rel[64 + NAME_MAX];
    if ((size_t)snprintf(rel, sizeof(rel), "volumes/%s", volume) >= sizeof(rel))
        return -ENAMETOOLONG;
    return sandbox_pod_state_path(out, size, state_dir, name, rel);
}

int sandbox_cfgvol_path(char *out, size_t size, const char *run_dir, const char *pod)
{
    int n = snprintf(out, size, "%s/cfgvol/%s", run_dir, pod);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
