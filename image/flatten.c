/*
 * Flatten image layer directories into one tree: copy them lowest first, applying the
 * overlayfs whiteouts (0:0 character devices remove, trusted.overlay.opaque=y directories
 * hide what is below). Owners, modes, times, xattrs (but trusted.overlay.*), hard links and
 * device nodes are kept. The copy runs in a child chrooted into the target, reading the
 * layers through directory fds opened before the chroot, so no symlink in the tree can lead
 * outside; the recursion is bounded. Used by `tank unpack` and by the sandbox where overlayfs
 * cannot be used.
 */
#include "image/flatten.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/child.h"
#include "base/cleanup.h"
#include "base/fs.h"

struct link_map {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct unpack {
    struct link_map *links;
    size_t n_links;
    struct tk_err *err;
    int depth;
};

/* Deeper than any real image; keeps a hostile tree from exhausting the stack. */
#define FLATTEN_MAX_DEPTH 512

/* Remove everything inside the directory path (it stays). */
static int clear_dir(const char *path)
{
    _cleanup_closedir_ DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/%s", path, e->d_name) < 0)
            return -ENOMEM;
        int r = tk_rm_rf(p);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Copy the xattrs of src (an open fd) to dst (an open fd), except trusted.overlay.*. */
static void copy_xattrs(int src, int dst)
{
    char names[8192], value[8192];
    ssize_t n = flistxattr(src, names, sizeof(names));
    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
        const char *name = names + off;
        if (!strncmp(name, "trusted.overlay.", 16))
            continue;
        ssize_t vl = fgetxattr(src, name, value, sizeof(value));
        if (vl >= 0)
            fsetxattr(dst, name, value, (size_t)vl, 0);
    }
}

static int set_meta(const char *dst, const struct stat *st, int srcfd, int dstfd)
{
    if (lchown(dst, st->st_uid, st->st_gid) < 0)
        return -errno;
    if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777) < 0)
        return -errno;
    if (srcfd >= 0 && dstfd >= 0)
        copy_xattrs(srcfd, dstfd);
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return 0;
}

static int copy_file(int dirfd, const char *name, const char *dst, const struct stat *st)
{
    _cleanup_close_ int in = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return -errno;
    _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return -errno;
    for (off_t left = st->st_size; left > 0;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL))
            n = sendfile(out, in, NULL, (size_t)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        left -= n;
    }
    int r = set_meta(dst, st, in, out);
    return r;
}

static int copy_tree(struct unpack *u, int dirfd, const char *rel);

static int copy_dir(struct unpack *u, int dirfd, const char *name, const char *dst,
                    const struct stat *st)
{
    _cleanup_close_ int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return -errno;
    struct stat dst_st;
    int exists = lstat(dst, &dst_st) == 0;
    if (exists && !S_ISDIR(dst_st.st_mode)) {
        int r = tk_rm_rf(dst);
        if (r < 0)
            return r;
        exists = 0;
    }
    if (!exists && mkdir(dst, 0700) < 0)
        return -errno;
    char v[2];
    if (exists && fgetxattr(sub, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') {
        int r = clear_dir(dst);
        if (r < 0)
            return r;
    }
    u->depth++;
    int r = copy_tree(u, sub, dst);
    u->depth--;
    if (r < 0)
        return r;
    _cleanup_close_ int out = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return set_meta(dst, st, sub, out);
}

static int copy_link_or_special(struct unpack *u, int dirfd, const char *name, const char *dst,
                                const struct stat *st)
{
    if (S_ISLNK(st->st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return -errno;
        target[n] = '\0';
        if (symlink(target, dst) < 0)
            return -errno;
    } else if (mknod(dst, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0) {
        return -errno;
    }
    (void)u;
    return set_meta(dst, st, -1, -1);
}

static int copy_entry(struct unpack *u, int dirfd, const char *name, const char *dst)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
        return tk_rm_rf(dst); /* whiteout */
    if (S_ISDIR(st.st_mode))
        return copy_dir(u, dirfd, name, dst, &st);
    int r = tk_rm_rf(dst);
    if (r < 0)
        return r;
    if (!S_ISREG(st.st_mode))
        return copy_link_or_special(u, dirfd, name, dst, &st);
    if (st.st_nlink > 1) {
        for (size_t i = 0; i < u->n_links; i++)
            if (u->links[i].dev == st.st_dev && u->links[i].ino == st.st_ino)
                return link(u->links[i].path, dst) < 0 ? -errno : 0;
        struct link_map *nl = realloc(u->links, (u->n_links + 1) * sizeof(*nl));
        if (!nl)
            return -ENOMEM;
        u->links = nl;
        nl[u->n_links] = (struct link_map){st.st_dev, st.st_ino, strdup(dst)};
        if (!nl[u->n_links].path)
            return -ENOMEM;
        u->n_links++;
    }
    return copy_file(dirfd, name, dst, &st);
}

static int copy_tree(struct unpack *u, int dirfd, const char *rel)
{
    if (u->depth >= FLATTEN_MAX_DEPTH)
        return tk_err_set(u->err, -ELOOP, "copy: deeper than %d directories at '%s'",
                          FLATTEN_MAX_DEPTH, rel);
    int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    if (dfd < 0)
        return -errno;
    _cleanup_closedir_ DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -errno;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        _cleanup_free_ char *dst = NULL;
        if (asprintf(&dst, "%s/%s", rel, e->d_name) < 0)
            return -ENOMEM;
        int r = copy_entry(u, dirfd, e->d_name, dst);
        if (r < 0) /* the innermost failure names the entry */
            return u->err->code ? r : tk_err_sys(u->err, r, "copy '%s'", dst + 1);
    }
    return 0;
}

struct flatten_args {
    const char *const *layers;
    size_t n;
    const char *dir;
};

/* In a child: open the layers, confine to dir (chroot), copy them in order. */
static int flatten_child(void *arg, int chan, void *out, struct tk_err *err)
{
    const struct flatten_args *a = arg;
    struct unpack u = {.err = err};
    int r = 0;
    int *fds = calloc(a->n + 1, sizeof(int));
    if (!fds)
        return tk_err_sys(err, -ENOMEM, "flatten");
    for (size_t i = 0; i < a->n && r == 0; i++) {
        fds[i] = open(a->layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fds[i] < 0)
            r = tk_err_sys(err, -errno, "open layer '%s'", a->layers[i]);
    }
    if (r == 0 && (chroot(a->dir) < 0 || chdir("/") < 0))
        r = tk_err_sys(err, -errno, "confine the copy to '%s'", a->dir);
    umask(0);
    for (size_t i = 0; r == 0 && i < a->n; i++)
        r = copy_tree(&u, fds[i], "");
    return r; /* the child exits: its fds and memory go with it */
}

int image_flatten(const char *const *layers, size_t n, const char *dir, struct tk_err *err)
{
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return tk_err_sys(err, -errno, "flatten into '%s'", dir);
    struct flatten_args a = {layers, n, abs};
    char what[PATH_MAX + 32];
    snprintf(what, sizeof(what), "flatten into '%s': the copy", dir);
    return tk_child_run(flatten_child, &a, NULL, 0, 0, what, err);
}
