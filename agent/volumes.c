/* Named volumes of PersistentVolumeClaims (see volumes.h). */
#include "agent/volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/manifests.h"
#include "agent/podworker.h"
#include "agent/reconcile.h"
#include "base/sort.h"
#include "base/cleanup.h"
#include "base/netaddr.h"

#define SIZE_DEPTH 64 /* directory levels a size sums (deeper ones are not counted) */

int volumes_path(const char *state_dir, const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/volumes/%s", state_dir, name);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* state_dir/volumes, made when missing (0700: the volumes are the pods' data), opened. */
static int open_volumes_dir(const char *state_dir, bool create)
{
    _cleanup_close_ int sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        return -errno;
    if (create && mkdirat(sfd, "volumes", 0700) < 0 && errno != EEXIST)
        return -errno;
    int fd = openat(sfd, "volumes", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int volumes_ensure(const char *state_dir, const char *name, struct tk_err *err)
{
    if (!tk_is_dns_label(name))
        return tk_err_set(err, -EINVAL, "volume '%s': not a valid claim name", name);
    _cleanup_close_ int vfd = open_volumes_dir(state_dir, true);
    if (vfd < 0)
        return tk_err_sys(err, vfd, "volume '%s': open '%s/volumes'", name, state_dir);
    /* 0777 as the local-path provisioner's: a pod's user (or its user namespace's) writes
     * there; the 0700 volumes directory keeps other host users out */
    bool made = mkdirat(vfd, name, 0777) == 0;
    if (!made && errno != EEXIST)
        return tk_err_sys(err, -errno, "volume '%s': create '%s/volumes/%s'", name, state_dir,
                          name);
    _cleanup_close_ int fd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return tk_err_sys(err, -errno, "volume '%s': open '%s/volumes/%s' (not a directory?)", name,
                          state_dir, name);
    if (made && fchmod(fd, 0777) < 0) /* past the umask */
        return tk_err_sys(err, -errno, "volume '%s': chmod", name);
    return 0;
}

/* The claim's pods: those the reconciler has (any phase) and those wanted. */
static bool pod_claims(const struct spec_pod *sp, const char *name)
{
    for (size_t i = 0; sp && i < sp->n_volumes; i++)
        if (sp->volumes[i].kind == SPEC_VOLUME_PVC && !strcmp(sp->volumes[i].ref_name, name))
            return true;
    return false;
}

static json_t *users(const struct reconciler *r, const char *name)
{
    json_t *a = json_array();
    for (size_t i = 0; i < reconcile_n_pods(r); i++) {
        const struct pod *p = reconcile_pod(r, i);
        if (!pod_gone(p) && pod_claims(pod_spec(p), name))
            json_array_append_new(a, json_string(pod_name(p)));
    }
    const struct spec_set *set = &reconcile_desired(r)->set;
    for (size_t i = 0; i < set->n_pods; i++)
        if (pod_claims(set->pods[i], name) && !reconcile_find(r, set->pods[i]->name))
            json_array_append_new(a, json_string(set->pods[i]->name));
    return a;
}

static json_t *entry(const struct reconciler *r, const char *name, bool dir)
{
    const struct spec_object *o =
        spec_set_find_object(&reconcile_desired(r)->set, SPEC_PVC, "default", name);
    for (size_t i = 0; !o && i < reconcile_desired(r)->set.n_objects; i++) {
        const struct spec_object *x = reconcile_desired(r)->set.objects[i];
        if (x->kind == SPEC_PVC && !strcmp(x->name, name))
            o = x;
    }
    const char *state = !o ? "Released" : dir ? "Bound" : "Pending";
    json_t *e = json_pack("{s:s, s:s, s:o}", "name", name, "state", state, "pods", users(r, name));
    json_object_set_new(e, "claim", o && o->file ? json_string(o->file) : json_null());
    json_object_set_new(e, "storage", o ? json_integer((json_int_t)o->storage) : json_null());
    json_object_set_new(e, "storageClassName",
                        o && o->storage_class ? json_string(o->storage_class) : json_null());
    return e;
}

struct vname {
    char *name;
    bool dir; /* its directory exists */
};

static int cmp_vname(const void *a, const void *b)
{
    return strcmp(((const struct vname *)a)->name, ((const struct vname *)b)->name);
}

/* The names: the directories (not being removed) and the claims without one. */
static size_t names(const struct reconciler *r, struct vname *out, size_t max)
{
    size_t n = 0;
    int vfd = open_volumes_dir(reconcile_state_dir(r), false);
    DIR *d = vfd >= 0 ? fdopendir(vfd) : NULL;
    if (!d && vfd >= 0)
        close(vfd);
    for (struct dirent *de; d && (de = readdir(d)) && n < max;)
        if (de->d_name[0] != '.' && tk_is_dns_label(de->d_name) &&
            (out[n].name = strdup(de->d_name)))
            out[n++].dir = true;
    if (d)
        closedir(d);
    const struct spec_set *set = &reconcile_desired(r)->set;
    for (size_t i = 0; i < set->n_objects && n < max; i++) {
        const struct spec_object *o = set->objects[i];
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = !strcmp(out[j].name, o->name);
        if (o->kind == SPEC_PVC && !seen && (out[n].name = strdup(o->name)))
            out[n++].dir = false;
    }
    return n;
}

char *volumes_json(const struct reconciler *r)
{
    enum { MAX = 4096 };
    _cleanup_free_ struct vname *v = calloc(MAX, sizeof(*v));
    if (!v)
        return NULL;
    size_t n = names(r, v, MAX);
    tk_sort(v, n, sizeof(*v), cmp_vname);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, entry(r, v[i].name, v[i].dir));
        free(v[i].name);
    }
    json_t *o = json_pack("{s:o}", "volumes", a);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

int volumes_release(const struct reconciler *r, const char *name, struct tk_err *err)
{
    if (!tk_is_dns_label(name))
        return tk_err_set(err, -ENOENT, "no volume '%s'", name);
    json_t *u = users(r, name);
    if (json_array_size(u)) {
        char list[512] = "";
        size_t i;
        json_t *p;
        json_array_foreach(u, i, p)
        {
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s'%s'", i ? ", " : "", json_string_value(p));
        }
        json_decref(u);
        return tk_err_set(err, -EBUSY, "volume '%s' is in use by pod %s", name, list);
    }
    json_decref(u);
    _cleanup_close_ int vfd = open_volumes_dir(reconcile_state_dir(r), false);
    char hidden[128];
    snprintf(hidden, sizeof(hidden), VOLUMES_REMOVING "%s", name);
    struct stat st;
    if (vfd < 0 || fstatat(vfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        return tk_err_set(err, -ENOENT, "no volume '%s'", name);
    if (renameat(vfd, name, vfd, hidden) < 0)
        return tk_err_sys(err, -errno, "volume '%s': rename to '%s'", name, hidden);
    return 0;
}

static uint64_t size_at(int dfd, dev_t dev, int depth)
{
    uint64_t sum = 0;
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    rewinddir(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        sum += (uint64_t)st.st_blocks * 512;
        if (!S_ISDIR(st.st_mode) || st.st_dev != dev || depth >= SIZE_DEPTH)
            continue;
        int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
            sum += size_at(sub, dev, depth + 1);
            close(sub);
        }
    }
    closedir(d);
    return sum;
}

/* The volume's directory, opened without following a link. */
static int open_volume(const char *state_dir, const char *name)
{
    if (!tk_is_dns_label(name) && (strncmp(name, VOLUMES_REMOVING, strlen(VOLUMES_REMOVING)) ||
                                   !tk_is_dns_label(name + strlen(VOLUMES_REMOVING))))
        return -EINVAL;
    _cleanup_close_ int vfd = open_volumes_dir(state_dir, false);
    if (vfd < 0)
        return vfd;
    int fd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int volumes_size(const char *state_dir, const char *name, uint64_t *bytes)
{
    _cleanup_close_ int fd = open_volume(state_dir, name);
    struct stat st;
    if (fd < 0)
        return fd;
    if (fstat(fd, &st) < 0)
        return -errno;
    *bytes = (uint64_t)st.st_blocks * 512 + size_at(fd, st.st_dev, 0);
    return 0;
}

/* In dfd, the name of the directory whose inode is ino ("" when none). */
static void name_of(int dfd, ino_t ino, char *out, size_t size)
{
    out[0] = '\0';
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_ino == ino && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(out, size, "%s", de->d_name);
            break;
        }
    closedir(d);
}

/* Unlink what is not a directory in cur; the first subdirectory's name into sub ("" when
 * none). -errno on the first failure (-EBUSY: a mount point). */
static int scan_dir(int cur, dev_t dev, char *sub, size_t size)
{
    sub[0] = '\0';
    int fd = dup(cur), r = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    rewinddir(d);
    struct dirent *de;
    while ((de = readdir(d)) && !sub[0]) {
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (fstatat(cur, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT && !r)
                r = -errno;
        } else if (S_ISDIR(st.st_mode)) {
            if (st.st_dev == dev)
                snprintf(sub, size, "%s", de->d_name);
            else if (!r)
                r = -EBUSY;
        } else if (unlinkat(cur, de->d_name, 0) < 0 && errno != ENOENT && !r)
            r = -errno;
    }
    closedir(d);
    return r;
}

/* Empty the directory top without recursion (its depth is the container's choice): go
 * down into the first subdirectory, unlink the rest, and once a directory is empty climb
 * back through its ".." and remove it by its inode. Two fds at most. */
static int empty_tree(int top)
{
    struct stat t;
    if (fstat(top, &t) < 0)
        return -errno;
    int cur = fcntl(top, F_DUPFD_CLOEXEC, 0);
    if (cur < 0)
        return -errno;
    char sub[256];
    int r = 0;
    for (;;) {
        if ((r = scan_dir(cur, t.st_dev, sub, sizeof(sub))) < 0)
            break;
        if (sub[0]) {
            int n = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (n < 0) {
                r = -errno;
                break;
            }
            close(cur);
            cur = n;
            continue;
        }
        struct stat me;
        if (fstat(cur, &me) < 0 || (me.st_ino == t.st_ino && me.st_dev == t.st_dev))
            break;
        int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (parent < 0) {
            r = -errno;
            break;
        }
        close(cur);
        cur = parent;
        name_of(cur, me.st_ino, sub, sizeof(sub));
        if (!sub[0] || unlinkat(cur, sub, AT_REMOVEDIR) < 0) {
            r = sub[0] ? -errno : -ENOENT;
            break;
        }
    }
    close(cur);
    return r;
}

int volumes_purge(const char *state_dir, const char *name)
{
    _cleanup_close_ int fd = open_volume(state_dir, name);
    if (fd < 0)
        return fd == -ENOENT ? 0 : fd;
    int r = empty_tree(fd);
    if (r < 0)
        return r;
    _cleanup_close_ int vfd = open_volumes_dir(state_dir, false);
    if (vfd < 0)
        return vfd;
    return unlinkat(vfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}
