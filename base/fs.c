#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

int tk_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

size_t tk_read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static int fsync_parent(const char *path)
{
    _cleanup_free_ char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fsync(dfd) < 0)
        return -errno;
    return 0;
}

static int write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                              gid_t gid, bool durable)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -errno;
    int r = tk_write_all(fd, data, len);
    if (r == 0 && gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
        r = -errno;
    if (r == 0 && fchmod(fd, mode) < 0)
        r = -errno;
    if (r == 0 && durable && fsync(fd) < 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    return durable ? fsync_parent(path) : 0;
}

int tk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    return write_file_replace(path, data, len, mode, (gid_t)-1, true);
}

int tk_write_file_atomic_group(const char *path, const void *data, size_t len, mode_t mode,
                               gid_t gid)
{
    return write_file_replace(path, data, len, mode, gid, true);
}

int tk_write_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
    return write_file_replace(path, data, len, mode, (gid_t)-1, false);
}

int tk_read_fd(int fd, size_t max, char **out, size_t *len_out)
{
    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max + 1)
                return -EFBIG;
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb)
                return -ENOMEM;
            buf = nb;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return -EFBIG;
    }
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    *out = TAKE_PTR(buf);
    return 0;
}

int tk_open_regular(const char *path, int flags)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    return TAKE_FD(fd);
}

int tk_read_file_flags(const char *path, int flags, size_t max, char **out, size_t *len_out)
{
    _cleanup_close_ int fd = tk_open_regular(path, flags);
    if (fd < 0)
        return fd;
    return tk_read_fd(fd, max, out, len_out);
}

int tk_read_file(const char *path, size_t max, char **out, size_t *len_out)
{
    return tk_read_file_flags(path, 0, max, out, len_out);
}

bool tk_path_is_under(const char *root, const char *path)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--; /* "/" itself is n == 0: everything is below it */
    return !strncmp(root, path, n) && (path[n] == '\0' || path[n] == '/');
}

int tk_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(buf, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int rm_rf_at(int dfd, const char *name, dev_t dev)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
    if (st.st_dev != dev)
        return -EBUSY;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        int k = rm_rf_at(dirfd(d), de->d_name, dev);
        if (k < 0 && r == 0)
            r = k;
    }
    if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        r = -errno;
    return r;
}

int tk_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    return rm_rf_at(AT_FDCWD, path, st.st_dev);
}

int64_t tk_now_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t tk_now_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void tk_format_rfc3339nano(int64_t ns, char *out, size_t size)
{
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%09lldZ", date, (long long)(ns % 1000000000LL));
}

void tk_format_rfc3339(int64_t ns, char *out, size_t size)
{
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
