/*
 * Volume mounts, in the workload child before pivot_root: a subPath resolved inside its
 * volume, and the bind made from what was resolved, never from a path string.
 *
 * The attack (CVE-2017-1002101, CVE-2021-25741 in the kubelet): a container writes
 * "ln -s / /data/escape" into a volume and a later start mounts "subPath: escape", or
 * "mk -> /etc" with "subPath: mk/new" makes the runtime create a directory on the host. A
 * path string joined from the volume and subPath and handed to mkdir -p or mount(2) follows
 * such links on the host. So:
 *
 * - The volume's root is the path the agent gives (a manifest's hostPath, whose author is
 *   trusted with the host, or an emptyDir directory Tank made under state_dir, where no
 *   container can write): opened once, O_PATH. Everything below it may come from a container.
 * - subPath is resolved by the kernel beneath that fd: openat2(RESOLVE_BENEATH |
 *   RESOLVE_NO_MAGICLINKS). A symlink that stays inside the volume is followed (as the
 *   kubelet follows one), an absolute one or a ".." that would leave it fails with EXDEV.
 *   Missing components (emptyDir) are made with mkdirat() under the fd of their parent, each
 *   parent resolved beneath the volume again. Where openat2 is missing (before Linux 5.6) a
 *   walk with O_NOFOLLOW refuses every symlink instead.
 * - The bind's source is the resolved fd: open_tree(fd, OPEN_TREE_CLONE) copies that mount
 *   detached, mount_setattr() makes the copy read-only (recursively for recursiveReadOnly)
 *   before anyone can see it, and move_mount() attaches it at the destination's fd. Without
 *   the new mount API (before 5.2) the bind is of /proc/self/fd/N. Whatever a container
 *   renames or swaps after the resolution, the mount is of what was resolved.
 * - Why here and not in the agent: a bind's source must belong to the caller's mount
 *   namespace (the kernel's check_mnt in do_loopback and open_tree), and this child has its
 *   own by now; an fd the agent opened would have to be an open_tree() clone made there and
 *   passed through the monitor, which closes every fd it does not know. This child runs as
 *   root before the workload exists and still sees the host's file systems: the agent's view.
 * - The destination is resolved inside the new root (sandbox_open_in_root) and one that lands
 *   on procfs is refused, as runc refuses mounts onto /proc.
 */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

#define OPENAT2_TRIES 128 /* EAGAIN: a rename on the host raced with a ".." (see rootfs.c) */

static int beneath_once(int dirfd, const char *path)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    long fd;
    int tries = 0;
    do
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < OPENAT2_TRIES);
    return fd < 0 ? -errno : (int)fd;
}

/* The next component of *p into c (empty at the end); "." components are skipped. */
static int next_component(const char **p, char c[NAME_MAX + 1])
{
    for (;;) {
        *p += strspn(*p, "/");
        size_t len = strcspn(*p, "/");
        if (len > NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(c, *p, len);
        c[len] = '\0';
        *p += len;
        if (strcmp(c, "."))
            return 0;
    }
}

/* mkdir name under parent, owned as parent is: an emptyDir of a pod with a user namespace
 * belongs to its root, and so must what is made in it (else that root cannot write there).
 * The new directory is chowned through an fd opened O_DIRECTORY|O_NOFOLLOW, so a container
 * that swapped it meanwhile gets nothing chowned but a directory of its own volume. */
static int mkdir_as_parent(int parent, const char *name)
{
    struct stat st;
    if (mkdirat(parent, name, 0777) < 0)
        return errno == EEXIST ? 0 : -errno;
    if (fstat(parent, &st) < 0)
        return -errno;
    if (st.st_uid == 0 && st.st_gid == 0)
        return 0;
    _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchown(fd, st.st_uid, st.st_gid) < 0)
        return -errno;
    return 0;
}

/* Without openat2: one component at a time, no symlink and no ".." followed. */
static int walk_nofollow(int volfd, const char *sub, int create)
{
    _cleanup_close_ int cur = fcntl(volfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return -errno;
    char c[NAME_MAX + 1];
    for (const char *p = sub;;) {
        int r = next_component(&p, c);
        if (r < 0)
            return r;
        if (!c[0])
            return TAKE_FD(cur);
        if (!strcmp(c, ".."))
            return -EXDEV;
        int fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if ((r = mkdir_as_parent(cur, c)) < 0)
                return r;
            fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0)
            return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
            close(fd);
            return -ELOOP;
        }
        close(cur);
        cur = fd;
    }
}

/* Make the missing components of sub, each under the fd of its parent resolved beneath volfd;
 * an entry that exists yet does not resolve is a symlink to nothing: refused. */
static int mkdir_beneath(int volfd, const char *sub)
{
    char buf[PATH_MAX];
    if (strlen(sub) >= sizeof(buf))
        return -ENAMETOOLONG;
    snprintf(buf, sizeof(buf), "%s", sub);
    _cleanup_close_ int parent = fcntl(volfd, F_DUPFD_CLOEXEC, 3);
    if (parent < 0)
        return -errno;
    for (char *end = buf;;) {
        end += strspn(end, "/");
        if (!*end)
            return 0;
        end += strcspn(end, "/");
        char *base = end;
        while (base > buf && base[-1] != '/')
            base--;
        char saved = *end;
        *end = '\0';
        int fd = beneath_once(volfd, buf);
        if (fd == -ENOENT) {
            int r = mkdir_as_parent(parent, base);
            if (r < 0)
                return r;
            fd = beneath_once(volfd, buf);
            if (fd == -ENOENT)
                return -ELOOP;
        }
        *end = saved;
        if (fd < 0)
            return fd;
        close(parent);
        parent = fd;
    }
}

int sandbox_open_beneath(int volfd, const char *sub, int create, int nofollow)
{
    if (nofollow)
        return walk_nofollow(volfd, sub, create);
    int fd = beneath_once(volfd, sub);
    if (fd == -ENOSYS)
        return walk_nofollow(volfd, sub, create);
    if (fd != -ENOENT || !create)
        return fd;
    int r = mkdir_beneath(volfd, sub);
    return r < 0 ? r : beneath_once(volfd, sub);
}

static int fail_sub(struct sandbox_fail *f, const struct sandbox_mount *m, const char *vol, int r)
{
    if (r == -EXDEV)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, 0,
                            "volume '%s': subPath '%s' leads outside the volume", vol, m->sub_path);
    if (r == -ELOOP)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, ELOOP,
                            "volume '%s': subPath '%s' goes through a symlink that is not "
                            "followed (a loop, a link to a missing target, or no openat2)",
                            vol, m->sub_path);
    return sandbox_fail(f, SANDBOX_STAGE_MOUNT, -r, "volume '%s': subPath '%s'", vol, m->sub_path);
}

/* The volume's root, then the subPath beneath it: an O_PATH fd of what is to be bound. */
static int open_source(const struct sandbox_mount *m, const char *vol, struct sandbox_fail *f)
{
    _cleanup_close_ int root = open(m->source, O_PATH | O_CLOEXEC);
    if (root < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s': open '%s'", vol,
                            m->source);
    if (!m->sub_path || !m->sub_path[0])
        return TAKE_FD(root);
    int fd = sandbox_open_beneath(root, m->sub_path, !!(m->flags & SANDBOX_MOUNT_MKDIR), 0);
    return fd < 0 ? fail_sub(f, m, vol, fd) : fd;
}

static int no_rro(struct sandbox_fail *f, const char *vol)
{
    return sandbox_fail(f, SANDBOX_STAGE_MOUNT, ENOSYS,
                        "volume '%s': recursiveReadOnly: Enabled needs mount_setattr (Linux 5.12)",
                        vol);
}

/* Bind src onto dst: a detached copy made read-only as asked, then attached; or, on kernels
 * without the new mount API, a bind of the fd followed by a read-only remount. */
static int attach(int rootfd, int src, int dst, const struct sandbox_mount *m, const char *vol,
                  struct sandbox_fail *f)
{
    bool ro = m->flags & SANDBOX_MOUNT_READONLY;
    bool rro = ro && (m->flags & (SANDBOX_MOUNT_RRO | SANDBOX_MOUNT_RRO_IF_POSSIBLE));
    bool must_rro = ro && (m->flags & SANDBOX_MOUNT_RRO);
    bool remount = false;
    _cleanup_close_ int tree = (int)syscall(
        SYS_open_tree, src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree >= 0) {
        struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
        if (ro && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (rro ? AT_RECURSIVE : 0), &a,
                          sizeof(a)) < 0) {
            if (errno != ENOSYS)
                return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s': make read-only",
                                    vol);
            if (must_rro)
                return no_rro(f, vol);
            remount = true;
        }
        if (syscall(SYS_move_mount, tree, "", dst, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s': mount on '%s'", vol,
                                m->destination);
    } else {
        if (errno != ENOSYS)
            return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s': clone its mount", vol);
        if (must_rro)
            return no_rro(f, vol);
        char s[64], d[64];
        snprintf(s, sizeof(s), "/proc/self/fd/%d", src);
        snprintf(d, sizeof(d), "/proc/self/fd/%d", dst);
        if (mount(s, d, NULL, MS_BIND | MS_REC, NULL) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s': mount on '%s'", vol,
                                m->destination);
        remount = ro;
    }
    int r = remount ? sandbox_remount_ro(rootfd, m->destination) : 0;
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, -r, "volume '%s': make '%s' read-only", vol,
                            m->destination);
    return 0;
}

int sandbox_volume_mount(int rootfd, const struct sandbox_mount *m, struct sandbox_fail *f)
{
    const char *vol = m->volume ? m->volume : m->source;
    _cleanup_close_ int src = open_source(m, vol, f);
    if (src < 0)
        return src;
    struct stat st;
    if (fstat(src, &st) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s'", vol);
    _cleanup_close_ int dst = sandbox_open_in_root(rootfd, m->destination, 1, !S_ISDIR(st.st_mode));
    if (dst < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, -dst, "volume '%s': mountPath '%s'", vol,
                            m->destination);
    struct statfs sf;
    if (fstatfs(dst, &sf) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "volume '%s': mountPath '%s'", vol,
                            m->destination);
    if (sf.f_type == PROC_SUPER_MAGIC)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, 0,
                            "volume '%s': mountPath '%s' resolves into /proc, where nothing may "
                            "be mounted",
                            vol, m->destination);
    return attach(rootfd, src, dst, m, vol, f);
}
