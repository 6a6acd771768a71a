/*
 * Root file system bring-up of the workload child, in its own mount namespace: a list of
 * ops built from the config and run by one switch, then the pivot_root sequence.
 * Every mount target is resolved inside the new root (openat2 RESOLVE_IN_ROOT; without it,
 * a walk that refuses symlinks), so an image's symlink cannot send a mount onto the host.
 */
#include "sandbox/ctr_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/userns.h"

enum op_type {
    OP_PROC,
    OP_TMPFS,
    OP_DEVPTS,
    OP_MQUEUE,
    OP_SYSFS,
    OP_BIND,
    OP_SYMLINK,
    OP_MASK,
    OP_READONLY,
    OP_HOSTDEVS,
    OP_VOLUME,
    OP_REMOUNT
};

#define OPF_RO (1u << 0)       /* read-only */
#define OPF_OPTIONAL (1u << 1) /* a failure of this op is ignored (e.g. mqueue in a foreign ns) */

struct op {
    enum op_type type;
    const char *src;  /* OP_BIND: host path; OP_SYMLINK: link text */
    const char *dest; /* inside the new root */
    unsigned flags;
    unsigned long mflags;
    const char *data;
    const struct sandbox_mount *vol; /* OP_VOLUME */
};

#define MAX_OPS (64 + SANDBOX_MAX_MOUNTS)

/* runc's and Docker's defaults (moby oci/defaults.go), in their order. */
static const char *const masked_paths[] = {
    "/proc/acpi",        "/proc/asound",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
/* Made by the host's root, belonging to the container's root in a user namespace. */
static const char *const userns_owned[] = {"/dev", "/dev/shm"};
static const char *const dev_nodes[] = {
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
};

/* Privileged containers get the host's devices, except these (top level of /dev): the
 * container has its own pts, shm, mqueue, ptmx and fd; the host's console is not its. */
static const char *const host_dev_skip[] = {"pts",     "shm",  "mqueue",      "ptmx", "fd",
                                            "console", ".lxc", ".lxd-mounts", ".udev"};
#define HOST_DEV_DEPTH 8

static void fd_path(int fd, char *buf, size_t size)
{
    snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Mount flags of the mount at path that a read-only remount must keep. */
static unsigned long kept_flags(const char *path)
{
    struct statvfs sv;
    unsigned long fl = 0;
    if (statvfs(path, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOSUID)
        fl |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        fl |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        fl |= MS_NOEXEC;
    return fl;
}

int sandbox_remount_ro(int rootfd, const char *dest)
{
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, dest, 0, 0);
    if (fd < 0)
        return fd;
    char p[64];
    fd_path(fd, p, sizeof(p));
    if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(p), NULL) < 0)
        return -errno;
    return 0;
}

static int op_symlink(int rootfd, const struct op *op)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", op->dest);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -EINVAL;
    *slash = '\0';
    _cleanup_close_ int parent = sandbox_open_in_root(rootfd, dir[0] ? dir : "/", 1, 0);
    if (parent < 0)
        return parent;
    if (symlinkat(op->src, parent, slash + 1) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* A masked path: /dev/null over a file, an empty read-only tmpfs over a directory. */
static int op_mask(int rootfd, const struct op *op)
{
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, op->dest, 0, 0);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    char p[64];
    fd_path(fd, p, sizeof(p));
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k")
                                : mount("/dev/null", p, NULL, MS_BIND, NULL);
    return r < 0 ? -errno : 0;
}

static int op_readonly(int rootfd, const struct op *op)
{
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, op->dest, 0, 0);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    char p[64];
    fd_path(fd, p, sizeof(p));
    if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
    return sandbox_remount_ro(rootfd, op->dest);
}

static int op_bind(int rootfd, const struct op *op)
{
    struct stat st;
    if (stat(op->src, &st) < 0)
        return -errno;
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, op->dest, 1, !S_ISDIR(st.st_mode));
    if (fd < 0)
        return fd;
    char p[64];
    fd_path(fd, p, sizeof(p));
    if (mount(op->src, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
    return (op->flags & OPF_RO) ? sandbox_remount_ro(rootfd, op->dest) : 0;
}

/* Add op->mflags (nosuid, nodev, noexec) to the bind mount at dest, keeping the flags it has. */
static int op_remount(int rootfd, const struct op *op)
{
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, op->dest, 0, 0);
    if (fd < 0)
        return fd;
    char p[64];
    fd_path(fd, p, sizeof(p));
    struct statvfs sv;
    unsigned long ro = statvfs(p, &sv) == 0 && (sv.f_flag & ST_RDONLY) ? MS_RDONLY : 0;
    if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | op->mflags | ro | kept_flags(p), NULL) < 0)
        return -errno;
    return 0;
}

static int op_sysfs(int rootfd, const struct op *op)
{
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, op->dest, 1, 0);
    if (fd < 0)
        return fd;
    char p[64];
    fd_path(fd, p, sizeof(p));
    unsigned long ro = (op->flags & OPF_RO) ? MS_RDONLY : 0;
    if (mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL) == 0)
        return 0;
    /* sysfs cannot be mounted for a network namespace we do not own: bind the host's. */
    if (mount("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
    return ro ? sandbox_remount_ro(rootfd, op->dest) : 0;
}

/* Mount a pseudo or tmpfs file system (type from the op) on its destination. */
static int op_fs(int rootfd, const struct op *op, const char *fstype)
{
    _cleanup_close_ int fd = sandbox_open_in_root(rootfd, op->dest, 1, 0);
    if (fd < 0)
        return fd;
    char p[64];
    fd_path(fd, p, sizeof(p));
    if (mount(fstype, p, fstype, op->mflags, op->data) < 0)
        return -errno;
    return 0;
}

/* One host device node (host_dir/name) as ctr_dir/name: made with mknod (same type, numbers,
 * mode and owner), or, where mknod is not allowed (no CAP_MKNOD, as in a user namespace), the
 * host's node bound onto an empty file. A name the container's /dev already has is kept. */
static int host_dev_node(int host_dir, int ctr_dir, const char *name, const struct stat *st)
{
    if (mknodat(ctr_dir, name, st->st_mode & (S_IFMT | 0777), st->st_rdev) == 0) {
        if (fchmodat(ctr_dir, name, st->st_mode & 07777, 0) < 0 ||
            fchownat(ctr_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    if (errno != EPERM)
        return -errno;
    int w = openat(ctr_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (w < 0)
        return errno == EEXIST ? 0 : -errno;
    close(w);
    _cleanup_close_ int src = openat(host_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int dst = openat(ctr_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0 || dst < 0)
        return -errno;
    char s[64], d[64];
    fd_path(src, s, sizeof(s));
    fd_path(dst, d, sizeof(d));
    return mount(s, d, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int host_dev_dir(int host_dir, int ctr_dir, int depth);

/* A host directory under /dev (host_dir/name) as ctr_dir/name with the host's mode and owner,
 * filled with its devices; removed again when it holds none (and the container had none). */
static int host_dev_subdir(int host_dir, int ctr_dir, const char *name, const struct stat *st,
                           int depth)
{
    _cleanup_close_ int h = openat(host_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (h < 0)
        return errno == ENOENT ? 0 : -errno; /* gone meanwhile */
    bool made = mkdirat(ctr_dir, name, 0700) == 0;
    if (!made && errno != EEXIST)
        return -errno;
    if (made && (fchmodat(ctr_dir, name, st->st_mode & 07777, 0) < 0 ||
                 fchownat(ctr_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0))
        return -errno;
    _cleanup_close_ int c = openat(ctr_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c < 0)
        return -errno;
    int r = host_dev_dir(h, c, depth + 1);
    if (r == 0 && made)
        unlinkat(ctr_dir, name, AT_REMOVEDIR); /* fails unless empty: then it stays */
    return r;
}

static bool host_dev_skipped(const char *name, int depth)
{
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return true;
    for (size_t i = 0; depth == 0 && i < TK_ARRAY_SIZE(host_dev_skip); i++)
        if (!strcmp(name, host_dev_skip[i]))
            return true;
    return false;
}

/* The character and block devices in host_dir (and its subdirectories) into ctr_dir. */
static int host_dev_dir(int host_dir, int ctr_dir, int depth)
{
    int dup = fcntl(host_dir, F_DUPFD_CLOEXEC, 3);
    if (dup < 0)
        return -errno;
    _cleanup_closedir_ DIR *d = fdopendir(dup);
    if (!d) {
        close(dup);
        return -errno;
    }
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
        struct stat st;
        if (host_dev_skipped(e->d_name, depth))
            continue;
        if (fstatat(host_dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue; /* gone meanwhile */
            return -errno;
        }
        int r = 0;
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            r = host_dev_node(host_dir, ctr_dir, e->d_name, &st);
        else if (S_ISDIR(st.st_mode) && depth + 1 < HOST_DEV_DEPTH)
            r = host_dev_subdir(host_dir, ctr_dir, e->d_name, &st, depth);
        if (r < 0)
            return r;
    }
    return errno ? -errno : 0;
}

/* Privileged: the host's devices in the container's /dev (op->dest), from op->src (the host's
 * /dev, still reachable before pivot_root), as Docker's --privileged and containerd give them. */
static int op_host_devs(int rootfd, const struct op *op)
{
    _cleanup_close_ int dev = sandbox_open_in_root(rootfd, op->dest, 0, 0);
    if (dev < 0)
        return dev;
    _cleanup_close_ int ctr = openat(dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int host = open(op->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ctr < 0 || host < 0)
        return -errno;
    return host_dev_dir(host, ctr, 0);
}

static int run_op(int rootfd, const struct op *op, struct sandbox_fail *f)
{
    switch (op->type) {
    case OP_PROC:
        return op_fs(rootfd, op, "proc");
    case OP_TMPFS:
        return op_fs(rootfd, op, "tmpfs");
    case OP_DEVPTS:
        return op_fs(rootfd, op, "devpts");
    case OP_MQUEUE:
        return op_fs(rootfd, op, "mqueue");
    case OP_SYSFS:
        return op_sysfs(rootfd, op);
    case OP_BIND:
        return op_bind(rootfd, op);
    case OP_SYMLINK:
        return op_symlink(rootfd, op);
    case OP_MASK:
        return op_mask(rootfd, op);
    case OP_READONLY:
        return op_readonly(rootfd, op);
    case OP_HOSTDEVS:
        return op_host_devs(rootfd, op);
    case OP_VOLUME:
        return sandbox_volume_mount(rootfd, op->vol, f);
    case OP_REMOUNT:
        return op_remount(rootfd, op);
    }
    return -EINVAL;
}

static const char *op_name(enum op_type t)
{
    static const char *const names[] = {
        [OP_PROC] = "mount proc",         [OP_TMPFS] = "mount tmpfs",
        [OP_DEVPTS] = "mount devpts",     [OP_MQUEUE] = "mount mqueue",
        [OP_SYSFS] = "mount sysfs",       [OP_BIND] = "bind",
        [OP_SYMLINK] = "symlink",         [OP_MASK] = "mask",
        [OP_READONLY] = "make read-only", [OP_HOSTDEVS] = "copy host devices",
        [OP_VOLUME] = "mount volume",     [OP_REMOUNT] = "remount nosuid,nodev,noexec",
    };
    return names[t];
}

#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n >= MAX_OPS)                                                                          \
            return -E2BIG;                                                                         \
        ops[n++] = (struct op){__VA_ARGS__};                                                       \
    } while (0)

/* The ops for cfg, in order: /proc, /dev (with the host's devices when privileged), /sys,
 * pod files, volumes, masks, read-only paths. */
static int build_ops(const struct sandbox_container_config *cfg, struct op *ops)
{
    size_t n = 0;
    const unsigned long nsd = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    ADD(.type = OP_PROC, .dest = "/proc", .mflags = nsd);
    /* /dev is nodev: a node made there (CAP_MKNOD is in the default set, as in Docker) never
     * opens, even where no device cgroup says no. The allowed nodes are binds of the host's,
     * which keep the flags of the host's /dev mount, not of this tmpfs. Privileged containers
     * get the host's nodes made here with mknod, so theirs is not nodev. */
    ADD(.type = OP_TMPFS, .dest = "/dev",
        .mflags = MS_NOSUID | MS_STRICTATIME | (cfg->privileged ? 0 : MS_NODEV),
        .data = "mode=755,size=65536k");
    ADD(.type = OP_DEVPTS, .dest = "/dev/pts", .mflags = MS_NOSUID | MS_NOEXEC,
        .data = "newinstance,ptmxmode=0666,mode=0620,gid=5");
    for (size_t i = 0; i < TK_ARRAY_SIZE(dev_nodes); i++)
        ADD(.type = OP_BIND, .src = dev_nodes[i], .dest = dev_nodes[i]);
    ADD(.type = OP_SYMLINK, .src = "pts/ptmx", .dest = "/dev/ptmx");
    ADD(.type = OP_SYMLINK, .src = "/proc/self/fd", .dest = "/dev/fd");
    ADD(.type = OP_SYMLINK, .src = "/proc/self/fd/0", .dest = "/dev/stdin");
    ADD(.type = OP_SYMLINK, .src = "/proc/self/fd/1", .dest = "/dev/stdout");
    ADD(.type = OP_SYMLINK, .src = "/proc/self/fd/2", .dest = "/dev/stderr");
    if (cfg->privileged)
        ADD(.type = OP_HOSTDEVS, .src = "/dev", .dest = "/dev");
    ADD(.type = OP_TMPFS, .dest = "/dev/shm", .mflags = nsd, .data = "mode=1777,size=65536k");
    ADD(.type = OP_MQUEUE, .dest = "/dev/mqueue", .mflags = nsd, .flags = OPF_OPTIONAL);
    ADD(.type = OP_SYSFS, .dest = "/sys", .flags = cfg->privileged ? 0 : OPF_RO);
    /* The pod's files stay writable (as in Kubernetes) but never hold a device or a set-id
     * program: their tmpfs is nosuid,nodev,noexec already, a pod from before it had plain files. */
    const char *const pod_files[][2] = {{cfg->resolv_conf, "/etc/resolv.conf"},
                                        {cfg->hosts, "/etc/hosts"},
                                        {cfg->hostname_file, "/etc/hostname"}};
    for (size_t i = 0; i < TK_ARRAY_SIZE(pod_files); i++) {
        if (!pod_files[i][0])
            continue;
        ADD(.type = OP_BIND, .src = pod_files[i][0], .dest = pod_files[i][1]);
        ADD(.type = OP_REMOUNT, .dest = pod_files[i][1], .mflags = nsd);
    }
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        const struct sandbox_mount *m = &cfg->mounts[i];
        unsigned ro = (m->flags & SANDBOX_MOUNT_READONLY) ? OPF_RO : 0;
        if (m->flags & SANDBOX_MOUNT_TMPFS)
            ADD(.type = OP_TMPFS, .dest = m->destination, .flags = ro,
                .mflags = MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0), .data = "mode=1777");
        else
            ADD(.type = OP_VOLUME, .vol = m, .dest = m->destination);
    }
    if (!cfg->privileged) {
        for (size_t i = 0; i < TK_ARRAY_SIZE(masked_paths); i++)
            ADD(.type = OP_MASK, .dest = masked_paths[i]);
        for (size_t i = 0; i < TK_ARRAY_SIZE(readonly_paths); i++)
            ADD(.type = OP_READONLY, .dest = readonly_paths[i]);
    }
    return (int)n;
}

/* With a user namespace: each layer as a detached mount idmapped through it, which the
 * overlay takes as "/proc/self/fd/N" (open until the overlay is mounted). */
struct idmapped {
    size_t n;
    int *fds;
    char (*paths)[32];
};

static void idmapped_free(struct idmapped *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->fds[i] >= 0)
            close(m->fds[i]);
    free(m->fds);
    free(m->paths);
}

static int idmap_layers(const struct sandbox_container_config *cfg, struct idmapped *m,
                        struct sandbox_fail *f)
{
    _cleanup_close_ int ns = open(cfg->userns, O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "open namespace '%s'", cfg->userns);
    m->fds = calloc(cfg->n_layers, sizeof(*m->fds));
    m->paths = calloc(cfg->n_layers, sizeof(*m->paths));
    if (!m->fds || !m->paths)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, ENOMEM, "idmapped layers");
    for (; m->n < cfg->n_layers; m->n++) {
        int fd = sandbox_idmap_clone(cfg->layers[m->n], ns);
        if (fd < 0)
            return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, -fd,
                                "idmapped mount of layer '%s' (a user namespace needs a kernel "
                                "and file system with idmapped mounts)",
                                cfg->layers[m->n]);
        m->fds[m->n] = fd;
        snprintf(m->paths[m->n], sizeof(m->paths[m->n]), "/proc/self/fd/%d", fd);
    }
    return 0;
}

static const char *layer_at(const struct sandbox_container_config *cfg, const struct idmapped *m,
                            size_t i)
{
    return cfg->userns ? m->paths[i] : cfg->layers[i];
}

/* Mount the overlay of the layers at rw_dir/merged (the new root); returns its path. */
static int mount_overlay(const struct sandbox_container_config *cfg, char *root, size_t size,
                         struct sandbox_fail *f)
{
    _cleanup_(idmapped_free) struct idmapped im = {0};
    const char *rw = cfg->rw_dir ? cfg->rw_dir : cfg->state_dir;
    char upper[PATH_MAX], work[PATH_MAX];
    snprintf(upper, sizeof(upper), "%s/upper", rw);
    snprintf(work, sizeof(work), "%s/work", rw);
    snprintf(root, size, "%s/merged", rw);
    const char *dirs[] = {upper, work, root};
    for (size_t i = 0; i < TK_ARRAY_SIZE(dirs); i++) {
        int r = tk_mkdir_p(dirs[i], 0700);
        if (r < 0)
            return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, -r, "create '%s'", dirs[i]);
    }
    /* The container's "/" takes the upper dir's mode: 0755, as containerd makes it. */
    if (chmod(upper, 0755) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "chmod '%s'", upper);
    /* With a user namespace "/" is the pod root's, and so is all the container writes. */
    if (cfg->userns && chown(upper, cfg->userns_id, (gid_t)cfg->userns_id) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "chown '%s'", upper);
    int r = cfg->userns ? idmap_layers(cfg, &im, f) : 0;
    if (r < 0)
        return r;
    /* lowerdir lists the top layer first; layers come lowest first. */
    _cleanup_free_ char *data = NULL;
    size_t cap = 64 + strlen(upper) + strlen(work);
    for (size_t i = 0; i < cfg->n_layers; i++) {
        if (strpbrk(layer_at(cfg, &im, i), ":,"))
            return -EINVAL; /* cannot be said in overlay options */
        cap += strlen(layer_at(cfg, &im, i)) + 1;
    }
    data = malloc(cap);
    if (!data)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, ENOMEM, "overlay options");
    size_t off = (size_t)snprintf(data, cap, "lowerdir=");
    for (size_t i = cfg->n_layers; i-- > 0;)
        off += (size_t)snprintf(data + off, cap - off, "%s%s", layer_at(cfg, &im, i), i ? ":" : "");
    snprintf(data + off, cap - off, ",upperdir=%s,workdir=%s", upper, work);
    /* nodev, which runc does not set on the rootfs (it relies on the device cgroup): a node
     * made in the rootfs must not open where no cgroup controller refuses it, and images keep
     * their devices under /dev, which is a tmpfs of ours. Not nosuid, as Docker and runc:
     * images carry set-id programs (su, ping, sudo) that must keep working; no_new_privs and
     * the capability sets bound what they gain, and the upper dir that holds what the
     * container writes is under a 0700 directory no other host user can reach. */
    if (mount("overlay", root, "overlay", MS_NODEV, data) < 0)
        return -errno;
    return 0;
}

/* A directory as the new root: bound onto itself, then made nodev like the overlay, so a
 * device node that came with the image (or was made inside) never opens a host device. */
static int bind_root(const char *root, struct sandbox_fail *f)
{
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "bind rootfs '%s'", root);
    if (mount(NULL, root, NULL, MS_BIND | MS_REMOUNT | MS_NODEV, NULL) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "remount rootfs '%s' nodev", root);
    return 0;
}

/* Where overlayfs cannot be used: a copy of the layers in rw_dir/rootfs, bound onto itself. */
static int copy_root(const struct sandbox_container_config *cfg, char *root, size_t size,
                     struct sandbox_fail *f)
{
    snprintf(root, size, "%s/rootfs", cfg->rw_dir ? cfg->rw_dir : cfg->state_dir);
    int r = sandbox_copy_layers(cfg->layers, cfg->n_layers, root, f);
    if (r < 0)
        return r;
    return bind_root(root, f);
}

/* The new root as a mount point (pivot_root needs one): the overlay, or a bind of the flat
 * rootfs onto itself. */
static int prepare_root(const struct sandbox_container_config *cfg, char *root, size_t size,
                        struct sandbox_fail *f)
{
    if (cfg->n_layers > 0) {
        int r = mount_overlay(cfg, root, size, f);
        if (r == 0 || f->msg[0])
            return r;
        if ((r != -EINVAL && r != -ENODEV && r != -EOPNOTSUPP) || cfg->userns)
            return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, -r, "mount overlay on '%s'", root);
        return copy_root(cfg, root, size, f);
    }
    if (!cfg->rootfs || cfg->userns)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, EINVAL,
                            cfg->userns ? "a user namespace needs image layers"
                                        : "no rootfs and no layers");
    snprintf(root, size, "%s", cfg->rootfs);
    return bind_root(root, f);
}

/*
 * The pivot_root sequence:
 *   fchdir(new root); pivot_root(".", ".")  the old root is now stacked on top of the new one
 *                                            at "/" and our cwd is the new root underneath;
 *   umount2(".", MNT_DETACH)                 detach the old root (and everything under it;
 *                                            "/" was made rprivate first, so nothing of this
 *                                            propagates back to the host);
 *   chdir("/")                               "/" now resolves to the new root.
 */
static int pivot(int newroot, struct sandbox_fail *f)
{
    if (fchdir(newroot) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_PIVOT, errno, "enter the new root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return sandbox_fail(f, SANDBOX_STAGE_PIVOT, errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_PIVOT, errno, "detach the old root");
    if (chdir("/") < 0)
        return sandbox_fail(f, SANDBOX_STAGE_PIVOT, errno, "chdir /");
    return 0;
}

/* The termination message's file, empty and writable by any user (the kubelet's 0666), where
 * it is missing and its directory exists; nothing is made otherwise (the workload may still
 * write it). Resolved inside the root: the image may have shaped the path. */
static void make_term_file(int rootfd, const char *path)
{
    const char *base = strrchr(path, '/');
    if (!base || !base[1] || !strcmp(base, "/..") || !strcmp(base, "/."))
        return;
    _cleanup_free_ char *dir = strndup(path, (size_t)(base - path));
    _cleanup_close_ int dfd = dir ? sandbox_open_in_root(rootfd, dir[0] ? dir : "/", 0, 0) : -1;
    if (dfd < 0)
        return;
    int fd = openat(dfd, base + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
        fchmod(fd, 0666);
        close(fd);
    }
}

int sandbox_rootfs_setup(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    /* Nothing below may propagate to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "make mounts private");
    char root[PATH_MAX];
    int r = prepare_root(cfg, root, sizeof(root), f);
    if (r < 0)
        return r;
    _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "open rootfs '%s'", root);
    if (cfg->n_mounts > SANDBOX_MAX_MOUNTS)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, 0, "too many volume mounts (%zu, at most %d)",
                            cfg->n_mounts, SANDBOX_MAX_MOUNTS);
    struct op ops[MAX_OPS];
    int n = build_ops(cfg, ops);
    if (n < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, -n, "too many mounts");
    for (int i = 0; i < n; i++) {
        r = run_op(rootfd, &ops[i], f);
        if (r < 0 && f->msg[0])
            return r;
        if (r < 0 && !(ops[i].flags & OPF_OPTIONAL))
            return sandbox_fail(f, SANDBOX_STAGE_MOUNT, -r, "%s %s%s%s", op_name(ops[i].type),
                                ops[i].src ? ops[i].src : "", ops[i].src ? " on " : "",
                                ops[i].dest);
    }
    for (size_t i = 0; cfg->userns && i < TK_ARRAY_SIZE(userns_owned); i++) {
        _cleanup_close_ int fd = sandbox_open_in_root(rootfd, userns_owned[i], 0, 0);
        if (fd < 0 || fchownat(fd, "", cfg->userns_id, (gid_t)cfg->userns_id, AT_EMPTY_PATH) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_MOUNT, fd < 0 ? -fd : errno, "chown '%s'",
                                userns_owned[i]);
    }
    if (cfg->termination_path)
        make_term_file(rootfd, cfg->termination_path);
    if (cfg->cwd) {
        _cleanup_close_ int cwd = sandbox_open_in_root(rootfd, cfg->cwd, 1, 0);
        if (cwd < 0)
            return sandbox_fail(f, SANDBOX_STAGE_CWD, -cwd, "create working directory '%s'",
                                cfg->cwd);
    }
    _cleanup_close_ int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (newroot < 0)
        return sandbox_fail(f, SANDBOX_STAGE_PIVOT, errno, "open '%s'", root);
    r = pivot(newroot, f);
    if (r < 0)
        return r;
    if (cfg->readonly_rootfs &&
        mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags("/"), NULL) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "make / read-only");
    return 0;
}
