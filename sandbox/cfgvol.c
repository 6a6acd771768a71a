/* ConfigMap and Secret volumes: the atomic "..data" swap of the kubelet (see cfgvol.h). */
#include "sandbox/cfgvol.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"

#define CFGVOL_TMPFS_SIZE "16m"

/* The pod's tmpfs at base (mounted once). */
static int ensure_base(const char *base, struct tk_err *err)
{
    struct stat st, parent;
    _cleanup_free_ char *up = NULL;
    if (tk_mkdir_p(base, 0700) < 0)
        return tk_err_sys(err, -errno, "create '%s'", base);
    if (asprintf(&up, "%s/..", base) < 0)
        return tk_err_sys(err, -ENOMEM, "create '%s'", base);
    if (stat(base, &st) < 0 || stat(up, &parent) < 0)
        return tk_err_sys(err, -errno, "stat '%s'", base);
    if (st.st_dev != parent.st_dev)
        return 0; /* mounted already */
    if (mount("tank-cfgvol", base, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=0700,size=" CFGVOL_TMPFS_SIZE) < 0)
        return tk_err_sys(err, -errno, "mount a tmpfs on '%s'", base);
    return 0;
}

static void digest_of(const struct sandbox_file *files, size_t n, int64_t group, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    out[0] = 0;
    if (!c)
        return;
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, &group, sizeof(group));
    for (size_t i = 0; i < n; i++) {
        char head[64];
        int l = snprintf(head, sizeof(head), "%zu:%o:%zu:", strlen(files[i].path),
                         (unsigned)files[i].mode, files[i].len);
        EVP_DigestUpdate(c, head, (size_t)l);
        EVP_DigestUpdate(c, files[i].path, strlen(files[i].path));
        EVP_DigestUpdate(c, files[i].data, files[i].len);
    }
    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Write one file below the new directory (parents made 0755). */
static int put_file(const char *top, const struct sandbox_file *f, int64_t group,
                    struct tk_err *err)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/%s", top, f->path) < 0)
        return tk_err_sys(err, -ENOMEM, "write '%s'", f->path);
    char *slash = strrchr(path, '/');
    *slash = 0;
    int r = tk_mkdir_p(path, 0755);
    *slash = '/';
    if (r < 0)
        return tk_err_sys(err, r, "create the directory of '%s'", f->path);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    mode_t mode = (f->mode & 0777) | (group >= 0 ? 0440 : 0);
    if (fd < 0 || tk_write_all(fd, f->data, f->len) < 0 ||
        (group >= 0 && fchown(fd, 0, (gid_t)group) < 0) || fchmod(fd, mode) < 0)
        return tk_err_sys(err, -errno, "write '%s'", f->path);
    return 0;
}

/* The top-level name of a path ("a/b" -> "a"), in out. */
static void top_name(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%.*s", (int)strcspn(path, "/"), path);
}

/* name -> ..data/name for each top-level name; remove user-visible links not in files. */
static int update_links(const char *dir, const struct sandbox_file *files, size_t n,
                        struct tk_err *err)
{
    for (size_t i = 0; i < n; i++) {
        char name[256], target[300], link[4096];
        top_name(files[i].path, name, sizeof(name));
        snprintf(target, sizeof(target), "..data/%s", name);
        snprintf(link, sizeof(link), "%s/%s", dir, name);
        if (symlink(target, link) < 0 && errno != EEXIST)
            return tk_err_sys(err, -errno, "link '%s'", link);
    }
    _cleanup_closedir_ DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (!strncmp(de->d_name, "..", 2) || !strcmp(de->d_name, "."))
            continue;
        bool keep = false;
        for (size_t i = 0; i < n && !keep; i++) {
            char name[256];
            top_name(files[i].path, name, sizeof(name));
            keep = !strcmp(name, de->d_name);
        }
        if (!keep)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    return 0;
}

static int read_link_target(const char *link, char *out, size_t size)
{
    ssize_t l = readlink(link, out, size - 1);
    if (l < 0)
        return -errno;
    out[l] = 0;
    return 0;
}

int sandbox_cfgvol_write(const char *base, const char *volume, const struct sandbox_file *files,
                         size_t n, int64_t group, struct tk_err *err)
{
    char digest[65], old[65] = "", ts[64], prev[256] = "";
    _cleanup_free_ char *dir = NULL, *dfile = NULL, *top = NULL, *tmp = NULL, *data = NULL;
    int r = ensure_base(base, err);
    if (r < 0)
        return r;
    digest_of(files, n, group, digest);
    if (asprintf(&dir, "%s/%s", base, volume) < 0 ||
        asprintf(&dfile, "%s/.%s.digest", base, volume) < 0)
        return tk_err_sys(err, -ENOMEM, "volume '%s'", volume);
    _cleanup_free_ char *cur = NULL;
    if (tk_read_file(dfile, 128, &cur, NULL) == 0)
        snprintf(old, sizeof(old), "%.64s", cur);
    if (!strcmp(old, digest))
        return 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return tk_err_sys(err, -errno, "create '%s'", dir);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof(ts), "..%04d_%02d_%02d_%02d_%02d_%02d.%09ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec);
    if (asprintf(&top, "%s/%s", dir, ts) < 0 || asprintf(&tmp, "%s/..data_tmp", dir) < 0 ||
        asprintf(&data, "%s/..data", dir) < 0)
        return tk_err_sys(err, -ENOMEM, "volume '%s'", volume);
    if (mkdir(top, 0755) < 0)
        return tk_err_sys(err, -errno, "create '%s'", top);
    if (group >= 0 && (chown(dir, 0, (gid_t)group) < 0 || chown(top, 0, (gid_t)group) < 0)) {
        r = tk_err_sys(err, -errno, "chown '%s'", top);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if ((r = put_file(top, &files[i], group, err)) < 0)
            goto fail;
    read_link_target(data, prev, sizeof(prev));
    unlink(tmp);
    if (symlink(ts, tmp) < 0 || rename(tmp, data) < 0) {
        r = tk_err_sys(err, -errno, "swap '%s'", data);
        goto fail;
    }
    if ((r = update_links(dir, files, n, err)) < 0)
        return r;
    if (prev[0] == '.' && prev[1] == '.' && !strchr(prev, '/') && strcmp(prev, ts)) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, prev) >= 0)
            tk_rm_rf(p);
    }
    tk_write_file_replace(dfile, digest, strlen(digest), 0600);
    return 1;
fail:
    tk_rm_rf(top);
    return r;
}

int sandbox_cfgvol_remove(const char *base, struct tk_err *err)
{
    if (umount2(base, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return tk_err_sys(err, -errno, "unmount '%s'", base);
    int r = tk_rm_rf(base);
    if (r < 0 && r != -ENOENT)
        return tk_err_sys(err, r, "remove '%s'", base);
    return 0;
}
