/* Pod-level volumes: hostPath checks, emptyDir directories and tmpfs. See pod.h. */
#include "sandbox/pod.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

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

static int host_path_create(const char *volume, const char *path,
                            enum sandbox_host_path_type type, struct tk_err *err)
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
        if (type != SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE &&
            type != SANDBOX_HOSTPATH_FILE_OR_CREATE)
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
