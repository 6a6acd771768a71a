/*
 * Opening a path inside a container's root that the image or the container may have
 * shaped: every component is resolved inside rootfd and never leaves it (openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, else an O_NOFOLLOW walk that resolves each link
 * itself, bounded), creating missing directories (and the last component as a file) on the
 * way when asked. See sandbox_open_in_root() in ctr_internal.h.
 */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"

static long sys_openat2(int dirfd, const char *path, struct open_how *how)
{
    return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* One component at a time with O_NOFOLLOW, for kernels without openat2: symlinks and ".."
 * are refused rather than resolved. */
static int walk_nofollow(int rootfd, const char *path, int create, int create_file)
{
    int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return -errno;
    const char *p = path;
    while (*p) {
        p += strspn(p, "/");
        size_t clen = strcspn(p, "/");
        if (clen == 0)
            break;
        char c[NAME_MAX + 1];
        if (clen > NAME_MAX) {
            close(cur);
            return -ENAMETOOLONG;
        }
        memcpy(c, p, clen);
        c[clen] = '\0';
        p += clen;
        int last = p[strspn(p, "/")] == '\0';
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            close(cur);
            return -EPERM;
        }
        int fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (last && create_file) {
                int w = openat(cur, c, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (w >= 0)
                    close(w);
            } else {
                mkdirat(cur, c, 0755);
            }
            fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        int e = errno;
        close(cur);
        if (fd < 0)
            return -e;
        struct stat st;
        if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
            close(fd);
            return -ELOOP;
        }
        cur = fd;
    }
    return cur;
}

/* EAGAIN: a rename or mount anywhere on the host raced with a ".." of the path, and the kernel
 * could not prove the walk stayed inside the root. It asks the caller to retry; on a busy host
 * (other containers starting) that happens. */
#define OPENAT2_TRIES 128

static int open_in_root_once(int rootfd, const char *path)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    long fd;
    int tries = 0;
    do
        fd = sys_openat2(rootfd, path, &how);
    while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < OPENAT2_TRIES);
    return fd < 0 ? -errno : (int)fd;
}

/* A dangling symlink at prefix (its target missing): the path to create instead, the link's
 * target (taken inside the root) followed by rest. */
static int follow_dangling(int parent, const char *prefix, const char *base, const char *rest,
                           char *out, size_t size)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, base, target, sizeof(target) - 1);
    if (n < 0)
        return -errno;
    target[n] = '\0';
    int len;
    if (target[0] == '/')
        len = snprintf(out, size, "%s%s", target, rest);
    else
        len = snprintf(out, size, "%.*s/%s%s", (int)(base - prefix), prefix, target, rest);
    return len < (int)size ? 0 : -ENAMETOOLONG;
}

static int open_in_root_depth(int rootfd, const char *path, int create, int create_file, int depth)
{
    int fd = open_in_root_once(rootfd, path);
    if (fd == -ENOSYS)
        return walk_nofollow(rootfd, path, create, create_file);
    if (fd != -ENOENT || !create)
        return fd;
    if (depth > 40)
        return -ELOOP;
    /* Create the missing components one by one, each parent resolved inside the root. */
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    for (size_t i = 1; i <= len; i++) {
        if (i < len && buf[i] != '/')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        int probe = open_in_root_once(rootfd, buf);
        if (probe >= 0) {
            close(probe);
            buf[i] = saved;
            continue;
        }
        if (probe != -ENOENT)
            return probe;
        char *slash = strrchr(buf, '/');
        const char *base = slash + 1;
        char keep = slash[1];
        slash[1] = '\0';
        _cleanup_close_ int parent = open_in_root_once(rootfd, buf[0] ? buf : "/");
        slash[1] = keep;
        if (parent < 0)
            return parent;
        int r = 0;
        if (i == len && create_file) {
            int w =
                openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (w >= 0)
                close(w);
            r = w >= 0 ? 0 : -errno;
        } else {
            r = mkdirat(parent, base, 0755) < 0 ? -errno : 0;
        }
        if (r == -EEXIST) {
            /* A symlink whose target is missing: create its target (inside the root). */
            char next[PATH_MAX];
            r = follow_dangling(parent, buf, base, path + i, next, sizeof(next));
            if (r < 0)
                return r;
            return open_in_root_depth(rootfd, next, create, create_file, depth + 1);
        }
        if (r < 0)
            return r;
        buf[i] = saved;
    }
    return open_in_root_once(rootfd, path);
}

int sandbox_open_in_root(int rootfd, const char *path, int create, int create_file)
{
    return open_in_root_depth(rootfd, path, create, create_file, 0);
}
