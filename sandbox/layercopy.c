/* The slow fallback where overlayfs cannot be used: the layers copied, lowest first, into one
 * directory, overlay whiteouts (0/0 character devices) and opaque directories applied. */
#include "sandbox/ctr_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"

static int copy_tree(int src, int dst, int depth);

/* Remove name under dirfd, whatever it is (directories recursively, no mount crossing). */
static int remove_at(int dirfd, const char *name)
{
    char path[64];
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char full[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, full, sizeof(full) - 1);
    if (n <= 0)
        return -EIO;
    full[n] = '\0';
    return tk_rm_rf(full);
}

static int copy_file(int src, int dst, const char *name, const struct stat *st)
{
    _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return -errno;
    unlinkat(dst, name, 0);
    _cleanup_close_ int out =
        openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return -errno;
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        int r = tk_write_all(out, buf, (size_t)n);
        if (r < 0)
            return r;
    }
    if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
        return -errno;
    return 0;
}

static int copy_entry(int src, int dst, const char *name, int depth)
{
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
        return remove_at(dst, name); /* a whiteout */
    if (S_ISDIR(st.st_mode)) {
        _cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0)
            return -errno;
        char opaque[2];
        if (fgetxattr(s, "trusted.overlay.opaque", opaque, sizeof(opaque)) == 1 && opaque[0] == 'y')
            remove_at(dst, name);
        struct stat dt;
        if (fstatat(dst, name, &dt, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dt.st_mode))
            remove_at(dst, name);
        if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
            return -errno;
        _cleanup_close_ int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
            return -errno;
        int r = copy_tree(s, d, depth + 1);
        if (r < 0)
            return r;
        if (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
            return -errno;
        return 0;
    }
    remove_at(dst, name);
    if (S_ISREG(st.st_mode))
        return copy_file(src, dst, name, &st);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
        if (n < 0)
            return -errno;
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0)
            return -errno;
    } else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
        return -errno;
    }
    if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return 0;
}

static int copy_tree(int src, int dst, int depth)
{
    if (depth > 256)
        return -ELOOP;
    int dupfd = fcntl(src, F_DUPFD_CLOEXEC, 3);
    if (dupfd < 0)
        return -errno;
    _cleanup_closedir_ DIR *d = fdopendir(dupfd);
    if (!d) {
        close(dupfd);
        return -errno;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int r = copy_entry(src, dst, e->d_name, depth);
        if (r < 0)
            return r;
    }
    return 0;
}

int sandbox_copy_layers(const char *const *layers, size_t n, const char *dest,
                        struct sandbox_fail *f)
{
    char done[PATH_MAX], tmp[PATH_MAX];
    snprintf(done, sizeof(done), "%s.done", dest);
    if (access(done, F_OK) == 0)
        return 0; /* copied for an earlier start: keep its changes, as an upper dir would */
    snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
    tk_rm_rf(tmp);
    tk_rm_rf(dest);
    int r = tk_mkdir_p(tmp, 0755);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STEP_ROOTFS, -r, "create '%s'", tmp);
    _cleanup_close_ int dst = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dst < 0)
        return sandbox_fail(f, SANDBOX_STEP_ROOTFS, errno, "open '%s'", tmp);
    for (size_t i = 0; i < n; i++) {
        _cleanup_close_ int src = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
            return sandbox_fail(f, SANDBOX_STEP_ROOTFS, errno, "open layer '%s'", layers[i]);
        r = copy_tree(src, dst, 0);
        if (r < 0)
            return sandbox_fail(f, SANDBOX_STEP_ROOTFS, -r, "copy layer '%s'", layers[i]);
    }
    if (rename(tmp, dest) < 0)
        return sandbox_fail(f, SANDBOX_STEP_ROOTFS, errno, "rename '%s'", tmp);
    r = tk_write_file_atomic(done, "", 0, 0644);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STEP_ROOTFS, -r, "write '%s'", done);
    return 0;
}
