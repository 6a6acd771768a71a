/*
 * The extractor: a child chrooted into a layer's temp directory that reads the tar stream,
 * writes it with libarchive's secure flags, converts OCI whiteouts for overlayfs, creates
 * the parents the tar does not list (parents.c), and reports its result and those
 * implicit directories to the worker (layer.c) that streams the blob into it.
 */
#include "image/internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/alloc.h"

#define EXTRACT_READ_SIZE (256u << 10)

/* Strip "./" and "/" prefixes; reject ".." components. NULL when hostile. */
static const char *clean_path(const char *p)
{
    while (*p == '/' || (p[0] == '.' && p[1] == '/'))
        p += (*p == '/') ? 1 : 2;
    for (const char *c = p; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return NULL;
        c += len;
        while (*c == '/')
            c++;
    }
    return p;
}

/* .wh.NAME -> a 0:0 character device NAME; .wh..wh..opq -> trusted.overlay.opaque=y on the
 * directory. Other .wh..wh.* entries (aufs metadata) are dropped. */
static int apply_whiteout(struct parent_set *ps, const char *path, const char *base,
                          struct tk_err *err)
{
    size_t dlen = (size_t)(base - path);
    _cleanup_free_ char *dir = strndup(path, dlen ? dlen - 1 : 0);
    if (!dir)
        return -ENOMEM;
    const char *d = *dir ? dir : ".";
    int r = parent_set_before(ps, path, 0, err);
    if (r < 0)
        return r;
    if (!strcmp(base, ".wh..wh..opq")) {
        _cleanup_close_ int fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return tk_err_sys(err, -errno, "mark '%s' opaque", d);
        return 0;
    }
    if (!strncmp(base, ".wh..wh.", 8))
        return 0;
    _cleanup_free_ char *target = NULL;
    if (asprintf(&target, "%s/%s", d, base + 4) < 0)
        return -ENOMEM;
    if ((r = tk_rm_rf(target)) < 0)
        return tk_err_sys(err, r, "replace '%s' by a whiteout", target);
    if (mknod(target, S_IFCHR | 0, makedev(0, 0)) < 0)
        return tk_err_sys(err, -errno, "create whiteout '%s'", target);
    return 0;
}

/* Drop trusted.overlay.* xattrs a layer might carry: only whiteouts may set them. */
static void filter_xattrs(struct archive_entry *e)
{
    if (archive_entry_xattr_reset(e) == 0)
        return;
    struct {
        char *name;
        void *value;
        size_t size;
    } keep[64];
    size_t n = 0, dropped = 0;
    const char *name;
    const void *value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!strncmp(name, "trusted.overlay.", 16) || n == TK_ARRAY_SIZE(keep)) {
            dropped++;
            continue;
        }
        keep[n].name = tk_xstrdup(name);
        keep[n].value = tk_xmalloc(size ? size : 1);
        if (keep[n].value)
            memcpy(keep[n].value, value, size);
        keep[n++].size = size;
    }
    if (dropped) {
        archive_entry_xattr_clear(e);
        for (size_t i = 0; i < n; i++)
            if (keep[i].name && keep[i].value)
                archive_entry_xattr_add_entry(e, keep[i].name, keep[i].value, keep[i].size);
    }
    for (size_t i = 0; i < n; i++) {
        free(keep[i].name);
        free(keep[i].value);
    }
}

static int copy_data(struct archive *a, struct archive *w, struct tk_err *err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN)
            return tk_err_set(err, -EBADMSG, "read layer: %s", archive_error_string(a));
        /* libarchive reports a failed write(2) (ENOSPC, EIO) as ARCHIVE_WARN, and
         * finishing the entry would then extend the file with a hole: never accept it */
        if (archive_write_data_block(w, buf, size, off) != ARCHIVE_OK) {
            int e = archive_errno(w);
            return tk_err_set(err, e > 0 ? -e : -EIO, "write: %s%s%s", archive_error_string(w),
                              e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
        }
    }
}

static int extract_entry(struct archive *a, struct archive *w, struct archive_entry *e,
                         struct parent_set *ps, struct tk_err *err)
{
    const char *raw = archive_entry_pathname(e);
    const char *path = raw ? clean_path(raw) : NULL;
    if (!path)
        return tk_err_set(err, -EPERM, "layer entry '%s': path leaves the layer",
                          raw ? raw : "(null)");
    if (!*path)
        path = ".";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strncmp(base, ".wh.", 4)) {
        int r = apply_whiteout(ps, path, base, err);
        return r < 0 ? tk_err_wrap(err, "layer entry '%s'", raw) : 0;
    }
    /* the parents the tar does not list are created (and recorded) here, not by libarchive */
    mode_t type = archive_entry_filetype(e);
    if (parent_set_before(ps, path, type == AE_IFREG, err) < 0)
        return tk_err_wrap(err, "layer entry '%s'", raw);
    archive_entry_set_pathname(e, path);
    filter_xattrs(e);
    if (archive_write_header(w, e) < ARCHIVE_WARN)
        return tk_err_set(err, -EPERM, "layer entry '%s': %s", raw, archive_error_string(w));
    if (type == AE_IFDIR)
        parent_set_explicit(ps, path);
    if (archive_entry_size(e) > 0 && copy_data(a, w, err) < 0)
        return tk_err_wrap(err, "layer entry '%s'", raw);
    if (archive_write_finish_entry(w) < ARCHIVE_WARN)
        return tk_err_set(err, -EIO, "layer entry '%s': %s", raw, archive_error_string(w));
    return 0;
}

static int extract_stream(int fd, struct parent_set *ps, struct tk_err *err)
{
    struct archive *a = archive_read_new();
    struct archive *w = archive_write_disk_new();
    int r = 0;
    if (!a || !w) {
        r = tk_err_sys(err, -ENOMEM, "extract layer");
        goto out;
    }
    archive_read_support_format_tar(a);
    archive_read_support_filter_none(a);
    archive_write_disk_set_options(
        w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
               ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
               ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    if (archive_read_open_fd(a, fd, EXTRACT_READ_SIZE) != ARCHIVE_OK) {
        r = tk_err_set(err, -EIO, "read layer: %s", archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    int h;
    while ((h = archive_read_next_header(a, &e)) == ARCHIVE_OK || h == ARCHIVE_WARN) {
        if ((r = extract_entry(a, w, e, ps, err)) < 0)
            goto out;
    }
    if (h != ARCHIVE_EOF) {
        r = tk_err_set(err, -EBADMSG, "read layer: %s", archive_error_string(a));
        goto out;
    }
    if (archive_write_close(w) < ARCHIVE_WARN)
        r = tk_err_set(err, -EIO, "finish layer: %s", archive_error_string(w));
out:
    archive_read_free(a);
    archive_write_free(w);
    return r;
}

/* What the extractor reports on its result pipe: this header, then list_len bytes of the
 * implicit directories (parents.c; NUL-terminated paths) when it succeeded. */
struct extract_result {
    struct tk_err err;
    uint64_t list_len;
};

/* Bounds the list a (possibly subverted) extractor can make the worker read. */
#define EXTRACT_LIST_MAX (256u << 20)

/* The extractor (TK_CHILD_PDEATHSIG): confined to dir by chroot, reads the tar stream, and
 * writes its own record (struct extract_result, then the implicit directories) on res_fd. */
int extract_child(void *arg, int res_fd, void *out, struct tk_err *err)
{
    const struct extract_args *a = arg;
    struct extract_result res = {0};
    struct parent_set *ps = parent_set_new();
    _cleanup_free_ char *list = NULL;
    size_t len = 0;
    int fd = a->tar_fd;
    close(a->tar_write_fd); /* or the stream never ends */
    if (a->msg_fd >= 0)
        close(a->msg_fd);
    int r = ps ? 0 : tk_err_sys(&res.err, -ENOMEM, "extract layer");
    umask(022);
    if (r == 0 && (chroot(a->dir) < 0 || chdir("/") < 0))
        r = tk_err_sys(&res.err, -errno, "confine extraction to '%s'", a->dir);
    if (r == 0)
        r = extract_stream(fd, ps, &res.err);
    /* Consume what follows the end-of-archive marker so the writer never sees EPIPE. */
    static char drain[65536];
    while (r == 0 && read(fd, drain, sizeof(drain)) > 0)
        ;
    if (r == 0 && parent_set_list(ps, &list, &len) < 0)
        r = tk_err_sys(&res.err, -ENOMEM, "list the implicit directories");
    res.list_len = r == 0 ? len : 0;
    tk_write_all(res_fd, &res, sizeof(res));
    if (r == 0 && len)
        tk_write_all(res_fd, list, len);
    _exit(r < 0 ? 1 : 0);
}

int layer_extract_fd(int fd, struct tk_err *err)
{
    struct parent_set *ps = parent_set_new();
    int r = ps ? extract_stream(fd, ps, err) : tk_err_sys(err, -ENOMEM, "extract layer");
    parent_set_free(ps);
    return r;
}

/* The extractor's report: its error in xerr, or its list of implicit directories. Returns 1
 * when a whole report came. */
int extract_read_result(int fd, struct tk_err *xerr, char **list, size_t *len)
{
    struct extract_result res;
    if (tk_read_full(fd, &res, sizeof(res)) != sizeof(res))
        return 0;
    *xerr = res.err;
    xerr->msg[sizeof(xerr->msg) - 1] = '\0';
    if (res.err.code < 0 || !res.list_len)
        return 1;
    if (res.list_len > EXTRACT_LIST_MAX || !(*list = malloc(res.list_len)))
        return 0;
    if (tk_read_full(fd, *list, res.list_len) != res.list_len) {
        free(*list);
        *list = NULL;
        return 0;
    }
    *len = res.list_len;
    return 1;
}
