/* Local OCI image layouts (index.json + blobs/sha256/…), as umoci and skopeo write them. */
#include "image/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "image/digest.h"

#define CHUNK (1u << 20)

static char *blob_path(const char *layout, const char *digest)
{
    char *p = NULL;
    const char *c = strchr(digest, ':');
    if (!c || asprintf(&p, "%s/blobs/%.*s/%s", layout, (int)(c - digest), digest, c + 1) < 0)
        return NULL;
    return p;
}

int img_open_error(struct tk_err *err, int r, const char *action, const char *path)
{
    if (r == -EINVAL)
        return tk_err_set(err, r, "%s: '%s' is not a regular file", action, path);
    if (r == -ELOOP)
        return tk_err_set(err, r, "%s: '%s' is a symbolic link", action, path);
    return tk_err_sys(err, r, "%s: '%s'", action, path);
}

int ocilayout_get_blob_mem(const char *layout, const char *digest, size_t max, char **out,
                           size_t *len, struct tk_err *err)
{
    *out = NULL;
    if (!image_digest_valid(digest))
        return tk_err_set(err, -EINVAL, "invalid digest '%s'", digest);
    _cleanup_free_ char *p = blob_path(layout, digest);
    _cleanup_free_ char *data = NULL;
    if (!p)
        return tk_err_sys(err, -ENOMEM, "read blob %s", digest);
    int r = tk_read_file_flags(p, O_NOFOLLOW, max, &data, len);
    if (r < 0) {
        char action[200];
        snprintf(action, sizeof(action), "read blob %s from the layout", digest);
        return img_open_error(err, r, action, p);
    }
    char got[IMAGE_DIGEST_STR_SIZE];
    if (image_digest_buf(data, *len, got) < 0 || !image_digest_equal(got, digest))
        return tk_err_set(err, -EBADMSG, "blob %s: digest mismatch (got %s)", digest, got);
    *out = TAKE_PTR(data);
    return 0;
}

int ocilayout_get_manifest(const struct image_ref *ref, char **body, size_t *len, char **digest,
                           struct tk_err *err)
{
    const char *layout = ref->repository;
    _cleanup_free_ char *ipath = NULL, *index = NULL, *d = NULL, *mt = NULL, *lpath = NULL;
    size_t ilen;
    *body = NULL;
    *digest = NULL;
    if (asprintf(&lpath, "%s/oci-layout", layout) < 0 ||
        asprintf(&ipath, "%s/index.json", layout) < 0)
        return tk_err_sys(err, -ENOMEM, "read OCI layout");
    if (access(lpath, F_OK) < 0)
        return tk_err_set(err, -ENOENT, "image not found: '%s' is not an OCI image layout", layout);
    int r = tk_read_file_flags(ipath, O_NOFOLLOW, IMG_MANIFEST_MAX, &index, &ilen);
    if (r < 0)
        return img_open_error(err, r, "read the layout's index", ipath);
    if (ref->digest) {
        d = strdup(ref->digest);
        if (!d)
            return -ENOMEM;
    } else if ((r = img_layout_index_find(index, ilen, ref->tag, &d, &mt, err)) < 0) {
        return r;
    }
    _cleanup_free_ char *m = NULL;
    size_t mlen;
    if ((r = ocilayout_get_blob_mem(layout, d, IMG_MANIFEST_MAX, &m, &mlen, err)) < 0)
        return r;
    if (img_is_index(mt, m, mlen)) {
        _cleanup_free_ char *sel = NULL;
        if ((r = img_index_select(m, mlen, &sel, err)) < 0)
            return r;
        free(m);
        m = NULL;
        if ((r = ocilayout_get_blob_mem(layout, sel, IMG_MANIFEST_MAX, &m, &mlen, err)) < 0)
            return r;
        free(d);
        d = TAKE_PTR(sel);
    }
    *body = TAKE_PTR(m);
    *len = mlen;
    *digest = TAKE_PTR(d);
    return 0;
}

int ocilayout_get_blob(const char *layout, const char *digest, int64_t size, registry_sink_fn sink,
                       void *ctx, struct tk_err *err)
{
    if (!image_digest_valid(digest))
        return tk_err_set(err, -EINVAL, "invalid digest '%s'", digest);
    _cleanup_free_ char *p = blob_path(layout, digest);
    _cleanup_free_ char *buf = malloc(CHUNK);
    _cleanup_hasher_ struct image_hasher *h = image_hasher_new();
    if (!p || !buf || !h)
        return tk_err_sys(err, -ENOMEM, "read blob %s", digest);
    _cleanup_close_ int fd = tk_open_regular(p, O_NOFOLLOW);
    if (fd < 0) {
        char action[200];
        snprintf(action, sizeof(action), "read blob %s from the layout", digest);
        return img_open_error(err, fd, action, p);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tk_err_sys(err, -errno, "read blob %s", digest);
        if (n == 0)
            break;
        total += n;
        if (size >= 0 && total > size)
            return tk_err_set(err, -EBADMSG, "blob %s: larger than its size %lld", digest,
                              (long long)size);
        image_hasher_update(h, buf, (size_t)n);
        int r = sink(ctx, buf, (size_t)n, err);
        if (r < 0)
            return r;
    }
    if (size >= 0 && total != size)
        return tk_err_set(err, -EBADMSG, "blob %s: %lld bytes, expected %lld", digest,
                          (long long)total, (long long)size);
    char got[IMAGE_DIGEST_STR_SIZE];
    if (image_hasher_final(h, got) < 0 || !image_digest_equal(got, digest))
        return tk_err_set(err, -EBADMSG, "blob %s: digest mismatch (got %s)", digest, got);
    return 0;
}
