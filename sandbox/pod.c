/* Pod sandboxes: namespaces kept by bind mounts, /etc files, lifecycle. See pod.h. */
#include "sandbox/pod.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

static const char *const macvlan_modes[] = {
    [SANDBOX_MACVLAN_BRIDGE] = "bridge",
    [SANDBOX_MACVLAN_PRIVATE] = "private",
    [SANDBOX_MACVLAN_VEPA] = "vepa",
    [SANDBOX_MACVLAN_PASSTHRU] = "passthru",
};

const char *sandbox_macvlan_mode_to_string(enum sandbox_macvlan_mode m)
{
    if ((unsigned)m >= TK_ARRAY_SIZE(macvlan_modes))
        return NULL;
    return macvlan_modes[m];
}

int sandbox_macvlan_mode_from_string(const char *s, enum sandbox_macvlan_mode *out)
{
    for (size_t i = 0; s && i < TK_ARRAY_SIZE(macvlan_modes); i++) {
        if (strcmp(s, macvlan_modes[i]) == 0) {
            *out = (enum sandbox_macvlan_mode)i;
            return 0;
        }
    }
    return -EINVAL;
}

int sandbox_pod_path(char *out, size_t size, const char *run_dir, const char *name,
                     const char *rel)
{
    int n = snprintf(out, size, "%s/pods/%s%s%s", run_dir, name, rel ? "/" : "", rel ? rel : "");
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sandbox_pod_volume_path(char *out, size_t size, const char *state_dir, const char *name,
                            const char *volume)
{
    int n = snprintf(out, size, "%s/pods/%s/volumes/%s", state_dir, name, volume);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* FNV-1a, 64 bits: small, stable across builds and hosts. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void sandbox_derive_mac(const char *pod, const char *iface, unsigned char mac[6])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv1a(h, "tank-mac:");
    h = fnv1a(h, pod);
    h = fnv1a(h, "/");
    h = fnv1a(h, iface);
    for (int i = 0; i < 6; i++)
        mac[i] = (unsigned char)(h >> (8 * i));
    mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

void sandbox_format_mac(const unsigned char mac[6], char *out, size_t size)
{
    snprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
             mac[4], mac[5]);
}

int sandbox_pod_create(const struct sandbox_pod_config *cfg, struct tk_err *err)
{
    return tk_err_set(err, -ENOSYS, "create pod '%s': not implemented yet", cfg->name);
}

int sandbox_pod_destroy(const char *run_dir, const char *state_dir, const char *name,
                        struct tk_err *err)
{
    return tk_err_set(err, -ENOSYS, "destroy pod '%s': not implemented yet", name);
}

int sandbox_pod_check(const char *run_dir, const char *name, struct tk_err *err)
{
    return tk_err_set(err, -ENOSYS, "check pod '%s': not implemented yet", name);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the entries of dir/pods to *v (count *n, capacity *cap). */
static int list_dir(const char *base, char ***v, size_t *n, size_t *cap, struct tk_err *err)
{
    _cleanup_free_ char *dir = NULL;
    if (asprintf(&dir, "%s/pods", base) < 0)
        return tk_err_set(err, -ENOMEM, "list pods: out of memory");
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : tk_err_sys(err, -errno, "list pods in '%s'", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
        if (*n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            char **nv = realloc(*v, nc * sizeof(*nv));
            if (!nv)
                return tk_err_set(err, -ENOMEM, "list pods: out of memory");
            *v = nv;
            *cap = nc;
        }
        if (!((*v)[*n] = strdup(de->d_name)))
            return tk_err_set(err, -ENOMEM, "list pods: out of memory");
        (*v)[++*n] = NULL;
    }
    return 0;
}

int sandbox_pod_list(const char *run_dir, const char *state_dir, char ***names,
                     struct tk_err *err)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int r = list_dir(run_dir, &v, &n, &cap, err);
    if (r >= 0 && state_dir)
        r = list_dir(state_dir, &v, &n, &cap, err);
    if (r >= 0 && !v && !(v = calloc(1, sizeof(*v))))
        r = tk_err_set(err, -ENOMEM, "list pods: out of memory");
    if (r < 0) {
        if (v)
            v[n] = NULL;
        sandbox_pod_list_free(v);
        return r;
    }
    qsort(v, n, sizeof(*v), cmp_str);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(v[out - 1], v[i]) == 0)
            free(v[i]);
        else
            v[out++] = v[i];
    }
    v[out] = NULL;
    *names = v;
    return (int)out;
}

void sandbox_pod_list_free(char **names)
{
    if (!names)
        return;
    for (char **p = names; *p; p++)
        free(*p);
    free(names);
}
