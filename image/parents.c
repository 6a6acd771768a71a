/*
 * Implicit parent directories. A layer tar may hold `home/user/owned.txt` without an entry
 * for `home/user/` (Bazel rules_oci, ko, apko, `crane append` and hand-made tars write
 * layers like that). Extracting such a layer alone would create `home/user` as 0:0 0755,
 * and in the overlay that directory would hide the lower layers' `home/user` (its owner,
 * mode, xattrs, times). containerd (archive/tar.go mkparent), podman and umoci give the
 * directory the metadata of the same directory in the layers below, and 0:0 0755 where no
 * lower layer has one. So does Tank, in two steps:
 *   - the extractor (chrooted into the new layer) creates every missing parent itself,
 *     0755 and root-owned as containerd does, and records it; a directory entry met later
 *     for the same path makes it explicit again. The list of what stayed implicit goes to
 *     the worker;
 *   - the worker, once the lower layers are in the store, copies each implicit directory's
 *     metadata from the topmost lower layer where that directory shows through in the
 *     overlay (overlayfs rules: a whiteout, a non-directory or an opaque directory above
 *     it hides what is below), walking every tree with O_NOFOLLOW.
 * The extracted layer then depends on the layers below it: the store keys layers by chain
 * ID (store.c).
 */
#include "image/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/cleanup.h"

/* More directories than any real layer creates without listing them. */
#define PARENTS_MAX (1u << 20)

struct parent_slot {
    char *path;
    int explicit_; /* a directory entry of the tar named it after it was created */
};

struct parent_set {
    struct parent_slot *slot;
    size_t cap, n;
    char *last; /* the parent made sure of for the previous entry */
};

struct parent_set *parent_set_new(void)
{
    return calloc(1, sizeof(struct parent_set));
}

void parent_set_free(struct parent_set *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->cap; i++)
        free(ps->slot[i].path);
    free(ps->slot);
    free(ps->last);
    free(ps);
}

static size_t hash_path(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot of path (len bytes), or the empty slot where it would go. */
static struct parent_slot *find_slot(const struct parent_set *ps, const char *path, size_t len)
{
    size_t i = hash_path(path, len) & (ps->cap - 1);
    while (ps->slot[i].path &&
           (strncmp(ps->slot[i].path, path, len) || ps->slot[i].path[len] != '\0'))
        i = (i + 1) & (ps->cap - 1);
    return &ps->slot[i];
}

static int grow(struct parent_set *ps)
{
    size_t cap = ps->cap ? ps->cap * 2 : 64;
    struct parent_slot *nv = calloc(cap, sizeof(*nv)), *old = ps->slot;
    if (!nv)
        return -ENOMEM;
    size_t old_cap = ps->cap;
    ps->slot = nv;
    ps->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].path)
            *find_slot(ps, old[i].path, strlen(old[i].path)) = old[i];
    free(old);
    return 0;
}

/* Record the first len bytes of path as a directory the extraction created. */
static int record(struct parent_set *ps, const char *path, size_t len, struct tk_err *err)
{
    if ((ps->n + 1) * 10 > ps->cap * 7 && grow(ps) < 0)
        return tk_err_sys(err, -ENOMEM, "record directory '%.*s'", (int)len, path);
    struct parent_slot *s = find_slot(ps, path, len);
    if (s->path) {
        s->explicit_ = 0; /* named by an entry, then removed, now created again */
        return 0;
    }
    if (ps->n >= PARENTS_MAX)
        return tk_err_set(err, -E2BIG, "more than %u directories the layer does not list",
                          PARENTS_MAX);
    if (!(s->path = strndup(path, len)))
        return tk_err_sys(err, -ENOMEM, "record directory '%.*s'", (int)len, path);
    s->explicit_ = 0;
    ps->n++;
    return 0;
}

int parent_set_make(struct parent_set *ps, const char *dir, struct tk_err *err)
{
    size_t len = strlen(dir);
    if (!len)
        return 0;
    _cleanup_free_ char *p = strdup(dir);
    if (!p)
        return tk_err_sys(err, -ENOMEM, "create directory '%s'", dir);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        p[i] = '\0';
        struct stat st;
        if (lstat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return 0; /* not ours to replace: the entry's own write decides */
        } else if (errno != ENOENT) {
            return tk_err_sys(err, -errno, "create directory '%s'", p);
        } else if (mkdir(p, 0755) < 0) {
            return tk_err_sys(err, -errno, "create directory '%s'", p);
        } else if (record(ps, p, i, err) < 0) {
            return err ? err->code : -ENOMEM;
        }
        if (i < len)
            p[i] = '/';
    }
    return 0;
}

/* The length of path without its trailing slashes ("a/b/" is the directory "a/b"). */
static size_t trimmed_len(const char *path)
{
    size_t len = strlen(path);
    while (len && path[len - 1] == '/')
        len--;
    return len;
}

int parent_set_before(struct parent_set *ps, const char *path, int regular, struct tk_err *err)
{
    size_t len = trimmed_len(path), plen = len;
    while (plen && path[plen - 1] != '/')
        plen--;
    plen = plen ? plen - 1 : 0; /* the parent: up to the last slash */
    /* an entry other than a regular file may remove or replace directories, and so may one
     * at the remembered parent or above it: forget it */
    if (ps->last && (!regular || (!strncmp(ps->last, path, len) &&
                                  (ps->last[len] == '/' || ps->last[len] == '\0')))) {
        free(ps->last);
        ps->last = NULL;
    }
    if (!plen)
        return 0;
    if (ps->last && strlen(ps->last) == plen && !strncmp(ps->last, path, plen))
        return 0;
    free(ps->last);
    ps->last = strndup(path, plen);
    if (!ps->last)
        return tk_err_sys(err, -ENOMEM, "create the parents of '%s'", path);
    return parent_set_make(ps, ps->last, err);
}

void parent_set_explicit(struct parent_set *ps, const char *path)
{
    if (!ps->cap)
        return;
    struct parent_slot *s = find_slot(ps, path, trimmed_len(path));
    if (s->path)
        s->explicit_ = 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int parent_set_list(struct parent_set *ps, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    _cleanup_free_ char **v = calloc(ps->n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < ps->cap; i++) {
        struct stat st;
        const char *p = ps->slot[i].path;
        if (p && !ps->slot[i].explicit_ && lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            v[n++] = ps->slot[i].path;
            bytes += strlen(p) + 1;
        }
    }
    if (!n)
        return 0;
    tk_sort(v, n, sizeof(*v), cmp_str);
    char *buf = malloc(bytes), *w = buf;
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        memcpy(w, v[i], l);
        w += l;
    }
    *out = buf;
    *len = bytes;
    return (int)n;
}

/* ---- in the worker: metadata from the lower layers ---- */

/* A relative path of plain components ("a/b"): no "", ".", ".." and no leading '/'. */
static int plain_path(const char *p)
{
    if (!*p || strlen(p) >= PATH_MAX)
        return 0;
    for (const char *c = p; *c;) {
        size_t l = strcspn(c, "/");
        if (!l || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c += l;
        if (*c == '/' && !*++c)
            return 0;
    }
    return 1;
}

static int is_opaque(int fd)
{
    char v[2];
    return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* Open rel below root one directory at a time, never following a symlink. Returns the fd
 * of rel, or -ENOENT when a component is missing, -ENOTDIR/-ELOOP/... when one is not a
 * directory (a file, a symlink, a whiteout). *opaque tells whether a directory on the way
 * (below root, above rel) is opaque. */
static int open_in(int root, const char *rel, int *opaque)
{
    _cleanup_free_ char *p = strdup(rel);
    if (!p)
        return -ENOMEM;
    *opaque = 0;
    int cur = root;
    for (char *c = p;;) {
        char *slash = strchr(c, '/');
        if (slash)
            *slash = '\0';
        int fd = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = -errno;
        if (cur != root)
            close(cur);
        if (fd < 0)
            return e;
        if (!slash)
            return fd;
        if (is_opaque(fd))
            *opaque = 1;
        cur = fd;
        c = slash + 1;
    }
}

/* The directory rel of the topmost lower layer where it shows through, or -ENOENT. */
static int lower_dir(const int *lower, size_t n, const char *rel)
{
    for (size_t j = n; j-- > 0;) {
        int opaque;
        int fd = open_in(lower[j], rel, &opaque);
        if (fd >= 0)
            return fd;
        if (fd != -ENOENT || opaque)
            return -ENOENT; /* hidden from here down */
    }
    return -ENOENT;
}

/* Copy the xattrs of src to dst, but trusted.* (overlayfs' own, as containerd skips). */
static int copy_xattrs(int src, int dst)
{
    char names[16384], value[16384];
    ssize_t n = flistxattr(src, names, sizeof(names));
    if (n < 0)
        return errno == ENOTSUP ? 0 : -errno;
    for (ssize_t off = 0; off < n; off += (ssize_t)strlen(names + off) + 1) {
        const char *name = names + off;
        if (!strncmp(name, "trusted.", 8))
            continue;
        ssize_t vl = fgetxattr(src, name, value, sizeof(value));
        if (vl < 0)
            continue;
        if (fsetxattr(dst, name, value, (size_t)vl, 0) < 0 && errno != ENOTSUP)
            return -errno;
    }
    return 0;
}

static int copy_meta(int src, int dst)
{
    struct stat st;
    if (fstat(src, &st) < 0 || fchown(dst, st.st_uid, st.st_gid) < 0 ||
        fchmod(dst, st.st_mode & 07777) < 0)
        return -errno;
    int r = copy_xattrs(src, dst);
    if (r < 0)
        return r;
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    return futimens(dst, ts) < 0 ? -errno : 0;
}

/* One implicit directory: its metadata from below, unless an opaque directory of its own
 * layer above it hides the lower layers (it then keeps the defaults). */
static int fix_one(int upper, const int *lower, size_t n, const char *rel, struct tk_err *err)
{
    int opaque;
    _cleanup_close_ int dst = open_in(upper, rel, &opaque);
    if (dst < 0 || opaque)
        return 0; /* replaced after the extractor listed it, or hidden: nothing to copy */
    _cleanup_close_ int src = lower_dir(lower, n, rel);
    if (src < 0)
        return 0;
    int r = copy_meta(src, dst);
    return r < 0 ? tk_err_sys(err, r, "give directory '%s' the metadata of the layer below", rel)
                 : 0;
}

int parents_fix(const char *dir, char *const *lower_dirs, size_t n_lower, const char *list,
                size_t len, struct tk_err *err)
{
    if (!len || !n_lower)
        return 0;
    if (list[len - 1] != '\0')
        return tk_err_set(err, -EBADMSG, "implicit directories: a malformed list");
    _cleanup_close_ int upper = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_free_ int *lower = calloc(n_lower, sizeof(int));
    if (upper < 0 || !lower)
        return tk_err_sys(err, upper < 0 ? -errno : -ENOMEM, "open '%s'", dir);
    size_t opened = 0;
    int r = 0;
    for (; opened < n_lower && r == 0; opened++) {
        lower[opened] = open(lower_dirs[opened], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lower[opened] < 0)
            r = tk_err_sys(err, -errno, "open the layer below '%s'", lower_dirs[opened]);
    }
    for (const char *p = list; r == 0 && p < list + len; p += strlen(p) + 1)
        r = plain_path(p) ? fix_one(upper, lower, n_lower, p, err)
                          : tk_err_set(err, -EBADMSG, "implicit directories: bad path '%s'", p);
    for (size_t j = 0; j < opened; j++)
        if (lower[j] >= 0)
            close(lower[j]);
    return r;
}
