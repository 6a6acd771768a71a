/* Pod-level volumes: hostPath checks, emptyDir directories and tmpfs. See podsandbox.h. */
#include "sandbox/podsandbox.h"
#include "sandbox/podvol.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mount.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"

static const struct {
    mode_t fmt;
    const char *what;
} host_path_kinds[] = {
    [SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE] = {S_IFDIR, "a directory"},
    [SANDBOX_HOSTPATH_DIRECTORY] = {S_IFDIR, "a directory"},
    [SANDBOX_HOSTPATH_FILE_OR_CREATE] = {S_IFREG, "a file"},
    [SANDBOX_HOSTPATH_FILE] = {S_IFREG, "a file"},
    [SANDBOX_HOSTPATH_SOCKET] = {S_IFSOCK, "a socket"},
    [SANDBOX_HOSTPATH_CHAR_DEVICE] = {S_IFCHR, "a character device"},
    [SANDBOX_HOSTPATH_BLOCK_DEVICE] = {S_IFBLK, "a block device"},
};

static int host_path_create(const char *volume, const char *path, enum sandbox_host_path_type type,
                            struct tk_err *err)
{
    if (type == SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE) {
        int r = tk_mkdir_p(path, 0755);
        if (r < 0)
            return tk_err_sys(err, r, "volume '%s': create hostPath '%s'", volume, path);
        return 0;
    }
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno != EEXIST)
        return tk_err_sys(err, -errno, "volume '%s': create hostPath '%s'", volume, path);
    return 0;
}

int sandbox_host_path_prepare(const char *volume, const char *path,
                              enum sandbox_host_path_type type, struct tk_err *err)
{
    if (!path || path[0] != '/')
        return tk_err_set(err, -EINVAL, "volume '%s': hostPath '%s' is not absolute", volume,
                          path ? path : "");
    if ((unsigned)type >= TK_ARRAY_SIZE(host_path_kinds))
        return tk_err_set(err, -EINVAL, "volume '%s': unknown hostPath type %d", volume, type);
    if (type == SANDBOX_HOSTPATH_UNSET)
        return 0;
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno != ENOENT)
            return tk_err_sys(err, -errno, "volume '%s': hostPath '%s'", volume, path);
        if (type != SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE && type != SANDBOX_HOSTPATH_FILE_OR_CREATE)
            return tk_err_set(err, -ENOENT, "volume '%s': hostPath '%s' does not exist", volume,
                              path);
        int r = host_path_create(volume, path, type, err);
        if (r < 0)
            return r;
        if (stat(path, &st) < 0)
            return tk_err_sys(err, -errno, "volume '%s': hostPath '%s'", volume, path);
    }
    if ((st.st_mode & S_IFMT) != host_path_kinds[type].fmt)
        return tk_err_set(err, -EINVAL, "volume '%s': hostPath '%s' is not %s", volume, path,
                          host_path_kinds[type].what);
    return 0;
}

/* path as a mount of its own, nosuid,nodev (keeping its other flags): a bind of it, or of a
 * subPath in it, into a container keeps them, so a device node or set-id program a container
 * made there never works, in any container or on the host. */
static int bind_nosuid_nodev(const char *path)
{
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return -errno;
    unsigned long keep =
        (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    if (mount(path, path, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | keep, NULL) < 0)
        return -errno;
    return 0;
}

static int empty_dir_setup(const char *path, const struct sandbox_volume *v, struct tk_err *err)
{
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        return tk_err_sys(err, -errno, "volume '%s': create '%s'", v->name, path);
    if (chmod(path, 0777) < 0) /* as Kubernetes: writable by any user of the pod */
        return tk_err_sys(err, -errno, "volume '%s': chmod '%s'", v->name, path);
    if (!v->medium_memory) {
        int r = bind_nosuid_nodev(path);
        return r < 0 ? tk_err_sys(err, r, "volume '%s': make '%s' nosuid,nodev", v->name, path) : 0;
    }
    char opts[64] = "mode=0777";
    if (v->size_limit)
        snprintf(opts, sizeof(opts), "mode=0777,size=%" PRIu64, v->size_limit);
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return tk_err_sys(err, -errno, "volume '%s': mount tmpfs on '%s'", v->name, path);
    return 0;
}

/* fsGroup on what an emptyDir holds already: the group's, group rw (directories also x and
 * set-group-id), as the kubelet's SetVolumeOwnership. Each entry is opened without following
 * links (symbolic links, devices, fifos and sockets are left), so a link a container made
 * never leads outside. */
static int fs_group_tree(int dfd, gid_t gid, int depth)
{
    if (depth > 64)
        return -ELOOP;
    _cleanup_closedir_ DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -errno;
    }
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        int fd =
            openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
            if (fd >= 0)
                close(fd);
            continue; /* (a link: ELOOP; a device on this nodev mount: EACCES) */
        }
        mode_t mode = (st.st_mode & 07777) | (S_ISDIR(st.st_mode) ? 0770 | S_ISGID : 0660);
        if (fchown(fd, (uid_t)-1, gid) < 0 || fchmod(fd, mode) < 0)
            r = -errno;
        if (r == 0 && S_ISDIR(st.st_mode)) {
            r = fs_group_tree(fd, gid, depth + 1);
            continue;
        }
        close(fd);
    }
    return r;
}

static int fs_group_apply(const char *path, gid_t gid, bool on_root_mismatch)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (on_root_mismatch && st.st_gid == gid && (st.st_mode & (S_ISGID | 0770)) == (S_ISGID | 0770))
        return 0;
    if (fchown(fd, (uid_t)-1, gid) < 0 || fchmod(fd, 0777 | S_ISGID) < 0)
        return -errno;
    int sub = dup(fd);
    return sub < 0 ? -errno : fs_group_tree(sub, gid, 0);
}

int podvol_setup(const struct sandbox_pod_config *cfg, uid_t owner, struct tk_err *err)
{
    char dir[4096];
    if (cfg->has_fs_group && owner != (uid_t)-1 && cfg->fs_group > 65535)
        return tk_err_set(err, -EINVAL,
                          "pod '%s': fsGroup %u is outside the pod's user namespace (0 to 65535)",
                          cfg->name, cfg->fs_group);
    int r = sandbox_pod_volume_path(dir, sizeof(dir), cfg->state_dir, cfg->name, "");
    if (r < 0)
        return tk_err_set(err, r, "pod '%s': state directory path too long", cfg->name);
    bool made = false;
    for (size_t i = 0; i < cfg->n_volumes; i++) {
        const struct sandbox_volume *v = &cfg->volumes[i];
        if (v->kind == SANDBOX_VOLUME_HOST_PATH) {
            if ((r = sandbox_host_path_prepare(v->name, v->host_path, v->host_path_type, err)) < 0)
                return r;
            continue;
        }
        /* 0700: what containers write in emptyDirs is theirs, not other host users' */
        if (!made && ((r = tk_mkdir_p(dir, 0700)) < 0 || (r = chmod(dir, 0700) < 0 ? -errno : 0)))
            return tk_err_sys(err, r, "create '%s'", dir);
        made = true;
        char path[4096];
        if (sandbox_pod_volume_path(path, sizeof(path), cfg->state_dir, cfg->name, v->name) < 0)
            return tk_err_set(err, -ENAMETOOLONG, "volume '%s': path too long", v->name);
        if ((r = empty_dir_setup(path, v, err)) < 0)
            return r;
        if (owner != (uid_t)-1 && chown(path, owner, (gid_t)owner) < 0)
            return tk_err_sys(err, -errno, "volume '%s': chown '%s'", v->name, path);
        if (cfg->has_fs_group &&
            (r = fs_group_apply(path, (gid_t)(owner != (uid_t)-1 ? owner : 0) + cfg->fs_group,
                                cfg->fs_group_on_root_mismatch)) < 0)
            return tk_err_sys(err, r, "volume '%s': fsGroup %u on '%s'", v->name, cfg->fs_group,
                              path);
    }
    return 0;
}

int sandbox_pod_adopt_volumes(const char *state_dir, const char *name, struct tk_err *err)
{
    char dir[4096];
    if (sandbox_pod_volume_path(dir, sizeof(dir), state_dir, name, "") < 0)
        return tk_err_set(err, -ENAMETOOLONG, "pod '%s': state directory path too long", name);
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : tk_err_sys(err, -errno, "open '%s'", dir);
    if (fchmod(dirfd(d), 0700) < 0)
        return tk_err_sys(err, -errno, "chmod '%s'", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[4096];
        struct stat st;
        struct statvfs sv;
        if (de->d_name[0] == '.' ||
            (size_t)snprintf(path, sizeof(path), "%s%s", dir, de->d_name) >= sizeof(path) ||
            lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || statvfs(path, &sv) < 0)
            continue;
        if ((sv.f_flag & (ST_NOSUID | ST_NODEV)) == (ST_NOSUID | ST_NODEV))
            continue; /* a tmpfs emptyDir, or one made (or adopted) already */
        int r = bind_nosuid_nodev(path);
        if (r < 0)
            return tk_err_sys(err, r, "pod '%s': make '%s' nosuid,nodev", name, path);
    }
    return 0;
}

/* Detach every mount stacked on path (a tmpfs emptyDir); not a mount point is fine. */
static int unmount_all(const char *path)
{
    for (int i = 0; i < 64; i++)
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            return errno == EINVAL || errno == ENOENT ? 0 : -errno;
    return -EBUSY;
}

int podvol_teardown(const char *state_dir, const char *name, struct tk_err *err)
{
    char dir[4096], pod[4096];
    if (sandbox_pod_volume_path(dir, sizeof(dir), state_dir, name, "") < 0 ||
        sandbox_pod_state_path(pod, sizeof(pod), state_dir, name, NULL) < 0)
        return tk_err_set(err, -ENAMETOOLONG, "pod '%s': state directory path too long", name);
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d && errno != ENOENT)
        return tk_err_sys(err, -errno, "open '%s'", dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s%s", dir, de->d_name) >= sizeof(path))
            continue;
        int r = unmount_all(path);
        if (r < 0)
            return tk_err_sys(err, r, "unmount '%s'", path);
    }
    int r = tk_rm_rf(dir);
    if (r < 0)
        return tk_err_sys(err, r, "remove '%s'", dir);
    if (rmdir(pod) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
        return tk_err_sys(err, -errno, "remove '%s'", pod);
    return 0;
}
