/*
 * One layer: blob bytes -> (gzip | zstd | plain) -> tar stream, hashed for the diff_id and
 * bounded by max_layer_size -> a pipe -> an extractor child chrooted into a temp directory
 * of the store (extract.c), which libarchive writes with its secure flags, converting OCI
 * whiteouts for overlayfs and creating the parents the tar does not list (parents.c). Verified, and
 * its implicit directories given their metadata from the layers below once those are stored, the
 * temp directory is renamed to layers/sha256/CHAINID. Everything is streamed; nothing of the blob
 * is kept.
 */
#include "image/layer.h"
#include "image/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/child.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/digest.h"

#define OBUF_SIZE (256u << 10)
#define REPORT_EVERY (256u << 10)

enum compression { COMP_UNKNOWN, COMP_NONE, COMP_GZIP, COMP_ZSTD };

struct layer_ctx {
    const char *digest;
    int tar_fd;
    int msg_fd;
    enum compression comp;
    z_stream zs;
    int zs_ready, gz_ended, gz_trailer;
    ZSTD_DStream *zd;
    size_t zstd_last;
    struct image_hasher *diff;
    uint64_t in, out, max, reported;
    unsigned char *obuf;
    unsigned char sniff[4];
    size_t sniff_len;
};

/* ---- decompression and hashing in the worker ---- */

static int emit(struct layer_ctx *c, const void *data, size_t len, struct tk_err *err)
{
    if (!len)
        return 0;
    c->out += len;
    if (c->out > c->max)
        return tk_err_set(err, -EFBIG,
                          "layer %s: larger than max_layer_size (%llu bytes uncompressed)",
                          c->digest, (unsigned long long)c->max);
    image_hasher_update(c->diff, data, len);
    int r = tk_write_all(c->tar_fd, data, len);
    if (r < 0)
        return tk_err_sys(err, r, "layer %s: write to the extractor", c->digest);
    return 0;
}

static int feed_gzip(struct layer_ctx *c, const unsigned char *data, size_t len, struct tk_err *err)
{
    c->zs.next_in = (unsigned char *)data;
    c->zs.avail_in = (uInt)len;
    while (c->zs.avail_in > 0) {
        if (c->gz_trailer)
            return 0;
        if (c->gz_ended) {
            /* another gzip member follows, or padding (ignored to the end) */
            if (*c->zs.next_in != 0x1f) {
                c->gz_trailer = 1;
                return 0;
            }
            inflateReset(&c->zs);
            c->gz_ended = 0;
        }
        c->zs.next_out = c->obuf;
        c->zs.avail_out = OBUF_SIZE;
        int r = inflate(&c->zs, Z_NO_FLUSH);
        if (r == Z_STREAM_END)
            c->gz_ended = 1;
        else if (r != Z_OK && r != Z_BUF_ERROR)
            return tk_err_set(err, -EBADMSG, "layer %s: gzip: %s", c->digest,
                              c->zs.msg ? c->zs.msg : "corrupt data");
        if ((r = emit(c, c->obuf, OBUF_SIZE - c->zs.avail_out, err)) < 0)
            return r;
    }
    return 0;
}

static int feed_zstd(struct layer_ctx *c, const unsigned char *data, size_t len, struct tk_err *err)
{
    ZSTD_inBuffer in = {data, len, 0};
    while (in.pos < in.size) {
        ZSTD_outBuffer out = {c->obuf, OBUF_SIZE, 0};
        size_t r = ZSTD_decompressStream(c->zd, &out, &in);
        if (ZSTD_isError(r))
            return tk_err_set(err, -EBADMSG, "layer %s: zstd: %s", c->digest, ZSTD_getErrorName(r));
        c->zstd_last = r;
        int e = emit(c, c->obuf, out.pos, err);
        if (e < 0)
            return e;
    }
    return 0;
}

static int feed(struct layer_ctx *c, const unsigned char *data, size_t len, struct tk_err *err)
{
    switch (c->comp) {
    case COMP_GZIP:
        return feed_gzip(c, data, len, err);
    case COMP_ZSTD:
        return feed_zstd(c, data, len, err);
    default:
        return emit(c, data, len, err);
    }
}

static int start_decoder(struct layer_ctx *c, struct tk_err *err)
{
    const unsigned char *m = c->sniff;
    if (c->sniff_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        c->comp = COMP_GZIP;
        if (inflateInit2(&c->zs, 16 + MAX_WBITS) != Z_OK)
            return tk_err_set(err, -ENOMEM, "layer %s: start gzip", c->digest);
        c->zs_ready = 1;
    } else if (c->sniff_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
        c->comp = COMP_ZSTD;
        if (!(c->zd = ZSTD_createDStream()))
            return tk_err_set(err, -ENOMEM, "layer %s: start zstd", c->digest);
        ZSTD_initDStream(c->zd);
    } else {
        c->comp = COMP_NONE;
    }
    return feed(c, c->sniff, c->sniff_len, err);
}

static void report(struct layer_ctx *c, int force)
{
    if (c->msg_fd < 0 || (!force && c->in - c->reported < REPORT_EVERY))
        return;
    struct layer_msg m = {.kind = LAYER_MSG_BYTES, .bytes = c->in};
    c->reported = c->in;
    tk_write_all(c->msg_fd, &m, sizeof(m));
}

static int layer_sink(void *vctx, const void *data, size_t len, struct tk_err *err)
{
    struct layer_ctx *c = vctx;
    const unsigned char *p = data;
    c->in += len;
    report(c, 0);
    if (c->comp == COMP_UNKNOWN) {
        size_t take = sizeof(c->sniff) - c->sniff_len;
        if (take > len)
            take = len;
        memcpy(c->sniff + c->sniff_len, p, take);
        c->sniff_len += take;
        p += take;
        len -= take;
        if (c->sniff_len < sizeof(c->sniff))
            return 0;
        int r = start_decoder(c, err);
        if (r < 0)
            return r;
    }
    return feed(c, p, len, err);
}

static int finish_stream(struct layer_ctx *c, struct tk_err *err)
{
    if (c->comp == COMP_UNKNOWN) {
        int r = start_decoder(c, err);
        if (r < 0)
            return r;
    }
    if (c->comp == COMP_GZIP && !c->gz_ended)
        return tk_err_set(err, -EBADMSG, "layer %s: gzip stream is truncated", c->digest);
    if (c->comp == COMP_ZSTD && c->zstd_last != 0)
        return tk_err_set(err, -EBADMSG, "layer %s: zstd stream is truncated", c->digest);
    report(c, 1);
    return 0;
}

static void layer_ctx_free(struct layer_ctx *c)
{
    if (c->zs_ready)
        inflateEnd(&c->zs);
    if (c->zd)
        ZSTD_freeDStream(c->zd);
    image_hasher_free(c->diff);
    free(c->obuf);
}

int layer_decode(const void *blob, size_t len, size_t chunk, uint64_t max, int out_fd,
                 char diff_id[IMAGE_DIGEST_STR_SIZE], struct tk_err *err)
{
    struct layer_ctx c = {
        .digest = "(buffer)",
        .tar_fd = out_fd,
        .msg_fd = -1,
        .max = max,
        .diff = image_hasher_new(),
        .obuf = malloc(OBUF_SIZE),
    };
    const unsigned char *p = blob;
    int r = c.diff && c.obuf ? 0 : tk_err_sys(err, -ENOMEM, "decode layer");
    while (r == 0 && len > 0) {
        size_t n = chunk && chunk < len ? chunk : len;
        r = layer_sink(&c, p, n, err);
        p += n;
        len -= n;
    }
    if (r == 0)
        r = finish_stream(&c, err);
    if (r == 0 && image_hasher_final(c.diff, diff_id) < 0)
        r = tk_err_set(err, -EIO, "decode layer: hash");
    layer_ctx_free(&c);
    return r;
}

/* ---- the worker side ---- */

void layer_clean_tmp(const struct image_store *s, const char *chain_id)
{
    _cleanup_free_ char *dir = store_path(s, "tmp");
    _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
    const char *hex = digest_hex(chain_id);
    size_t hl = strlen(hex);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, hex, hl) || e->d_name[hl] != '.')
            continue;
        _cleanup_free_ char *p = store_path(s, "tmp/%s", e->d_name);
        if (p)
            tk_rm_rf(p);
    }
}

void layer_clean_stale(const struct image_store *s)
{
    _cleanup_free_ char *dir = store_path(s, "tmp");
    _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *dot = strchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !dot || dot - e->d_name != 64)
            continue;
        _cleanup_free_ char *name = NULL, *p = store_path(s, "tmp/%s", e->d_name);
        if (!p || asprintf(&name, "layer-%.64s", e->d_name) < 0)
            continue;
        _cleanup_close_ int lk = store_lock(s, name, 1, NULL);
        if (lk >= 0) /* nobody works on it: left by a pull that died */
            tk_rm_rf(p);
    }
}

/* Where a layer's blob comes from: fetch() feeds it to the sink. */
struct layer_src {
    const char *name; /* for messages: the blob digest, or "stdin" */
    uint64_t max;
    int (*fetch)(const struct layer_src *src, struct layer_ctx *c, struct tk_err *err);
    const struct image_store *s;
    const struct image_ref *ref;
    const struct img_layer_desc *desc;
    int fd;
};

/* From the layout or the registry. */
static int fetch_blob(const struct layer_src *src, struct layer_ctx *c, struct tk_err *err)
{
    const struct img_layer_desc *desc = src->desc;
    if (src->ref->kind == IMAGE_REF_OCI_LAYOUT)
        return ocilayout_get_blob(src->ref->repository, desc->digest, desc->size, layer_sink, c,
                                  err);
    struct registry_client *rc = NULL;
    int r = registry_client_new(&rc, &src->s->ropts, err);
    if (r < 0)
        return r;
    r = registry_get_blob(rc, src->ref, desc->digest, desc->size, layer_sink, NULL, c, err);
    registry_client_free(rc);
    return r;
}

/* From an fd, to its end. */
static int fetch_fd(const struct layer_src *src, struct layer_ctx *c, struct tk_err *err)
{
    static char buf[1 << 20];
    for (;;) {
        ssize_t n = read(src->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tk_err_sys(err, -errno, "read the layer from %s", src->name);
        if (n == 0)
            return 0;
        int r = layer_sink(c, buf, (size_t)n, err);
        if (r < 0)
            return r;
    }
}

/* Stream the blob into the extractor (already running on tar_fd's other end); the digest
 * of the uncompressed stream goes to got. */
static int stream_layer(const struct layer_src *src, int tar_fd, int msg_fd,
                        char got[IMAGE_DIGEST_STR_SIZE], struct tk_err *err)
{
    struct layer_ctx c = {
        .digest = src->name,
        .tar_fd = tar_fd,
        .msg_fd = msg_fd,
        .max = src->max,
        .diff = image_hasher_new(),
        .obuf = malloc(OBUF_SIZE),
    };
    int r = c.diff && c.obuf ? 0 : tk_err_sys(err, -ENOMEM, "layer %s", src->name);
    if (r == 0)
        r = src->fetch(src, &c, err);
    if (r == 0)
        r = finish_stream(&c, err);
    if (r == 0 && image_hasher_final(c.diff, got) < 0)
        r = tk_err_set(err, -EIO, "layer %s: hash", src->name);
    layer_ctx_free(&c);
    return r;
}

/*
 * Make the extracted layer durable before it becomes visible. libarchive writes without
 * fsync, so after a power loss a layer directory renamed into place could hold empty or
 * short files while the store takes it for complete. syncfs() on the extraction directory's
 * file system writes back all of the layer's data and metadata in one call (and reports
 * write-back errors since Linux 5.8); an fsync() of every file and directory costs one
 * journal commit per file and measured slower or no better with bench/pull.sh (a 285 MiB
 * image of ~10,500 entries in 2 layers, ext4: pull 8.2-8.4 s with syncfs, 9.1-12.4 s with
 * fsync of each file, 5.5-6.5 s unsynced). The rename is then synced through the parent
 * directory, so the image record written after it never names a layer that may vanish.
 */
static int sync_layer(const char *tmp, const char *digest, struct tk_err *err)
{
    _cleanup_close_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) < 0)
        return tk_err_sys(err, -errno, "layer %s: write it to disk", digest);
    return 0;
}

static int sync_parent(const char *final, const char *digest, struct tk_err *err)
{
    _cleanup_free_ char *parent = strdup(final);
    char *slash = parent ? strrchr(parent, '/') : NULL;
    if (!slash)
        return tk_err_sys(err, -ENOMEM, "layer %s", digest);
    *slash = '\0';
    _cleanup_close_ int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        return tk_err_sys(err, -errno, "layer %s: sync '%s'", digest, parent);
    return 0;
}

/* Run the extractor into dir while streaming the blob into it; wait for it. The
 * directories it created for entries whose parents the tar does not list come back in
 * *list (heap, *len bytes of NUL-terminated paths; NULL when none). */
static int extract_into(const struct layer_src *src, const char *dir, int msg_fd,
                        char got[IMAGE_DIGEST_STR_SIZE], char **list, size_t *len,
                        struct tk_err *err)
{
    int tar[2];
    *list = NULL;
    *len = 0;
    if (pipe2(tar, O_CLOEXEC) < 0)
        return tk_err_sys(err, -errno, "layer %s: pipe", src->name);
    fcntl(tar[1], F_SETPIPE_SZ, 1 << 20);
    struct extract_args a = {tar[0], tar[1], msg_fd, dir};
    struct tk_child x;
    int r = tk_child_begin(&x, extract_child, &a, 0, TK_CHILD_PDEATHSIG, err);
    close(tar[0]);
    if (r < 0) {
        close(tar[1]);
        return tk_err_wrap(err, "layer %s: start the extractor", src->name);
    }
    r = stream_layer(src, tar[1], msg_fd, got, err);
    close(tar[1]);
    struct tk_err xerr = {0};
    int whole = extract_read_result(x.fd, &xerr, list, len);
    int status = tk_child_wait(&x);
    /* The extractor's own error explains a write failure (EPIPE) best. */
    if (whole && xerr.code < 0 && (r == 0 || r == -EPIPE)) {
        if (err)
            *err = xerr;
        r = tk_err_wrap(err, "layer %s", src->name);
    } else if (r == 0 && (!whole || status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        r = tk_err_set(err, -EIO, "layer %s: extractor failed (status %d)", src->name, status);
    }
    if (r < 0) {
        free(*list);
        *list = NULL;
        *len = 0;
    }
    return r;
}

int image_extract_layer(int fd, const char *dir, uint64_t max_layer_size,
                        char diff_id[IMAGE_DIGEST_STR_SIZE], struct tk_err *err)
{
    struct layer_src src = {
        .name = "stdin",
        .max = max_layer_size ? max_layer_size : IMAGE_DEFAULT_MAX_LAYER_SIZE,
        .fetch = fetch_fd,
        .fd = fd,
    };
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return tk_err_sys(err, -errno, "extract into '%s'", dir);
    struct sigaction sa = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &sa, &old);
    _cleanup_free_ char *list = NULL; /* a layer on its own: implicit parents keep defaults */
    size_t len;
    int r = extract_into(&src, abs, -1, diff_id, &list, &len, err);
    sigaction(SIGPIPE, &old, NULL);
    return r;
}

/* Send a message to the pull (msg_fd may be -1). */
static void tell(int msg_fd, int kind)
{
    struct layer_msg m = {.kind = kind};
    if (msg_fd >= 0)
        tk_write_all(msg_fd, &m, sizeof(m));
}

/* Take the layer's lock, telling the pull while another process holds it (the pull does
 * not count a waiting worker as one at work). */
static int lock_layer(const struct image_store *s, const char *chain, int msg_fd,
                      struct tk_err *err)
{
    _cleanup_free_ char *name = NULL;
    if (asprintf(&name, "layer-%s", digest_hex(chain)) < 0)
        return tk_err_sys(err, -ENOMEM, "lock layer %s", chain);
    int lock = store_lock(s, name, 1, err);
    if (lock != -EWOULDBLOCK)
        return lock;
    tell(msg_fd, LAYER_MSG_LOCKWAIT);
    lock = store_lock(s, name, 0, err);
    if (lock >= 0)
        tell(msg_fd, LAYER_MSG_LOCKED);
    return lock;
}

/* Give the implicit directories of the extracted layer in tmp their metadata from the
 * layers below, once the pull says those are in the store. */
static int fix_parents(const struct image_store *s, const struct layer_job *job, const char *tmp,
                       const char *list, size_t len, int msg_fd, struct tk_err *err)
{
    const char *name = job->desc->digest;
    if (msg_fd >= 0) {
        char go;
        tell(msg_fd, LAYER_MSG_READY);
        ssize_t n;
        do
            n = read(msg_fd, &go, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
            return tk_err_set(err, -ECANCELED, "layer %s: the pull ended", name);
    }
    char **lower = calloc(job->index + 1, sizeof(char *));
    int r = lower ? 0 : -ENOMEM;
    for (size_t j = 0; r == 0 && j < job->index; j++)
        if (!(lower[j] = store_layer_dir(s, job->chain_ids[j])))
            r = -ENOMEM;
    if (r == 0)
        r = parents_fix(tmp, lower, job->index, list, len, err);
    else
        tk_err_sys(err, r, "layer %s", name);
    img_strv_free(lower);
    return r < 0 ? tk_err_wrap(err, "layer %s", name) : 0;
}

/* Extract into tmp, verify, fix the implicit directories. */
static int extract_layer(const struct image_store *s, const struct image_ref *ref,
                         const struct layer_job *job, const char *tmp, int msg_fd,
                         struct tk_err *err)
{
    const struct img_layer_desc *desc = job->desc;
    struct layer_src src = {
        .name = desc->digest,
        .max = s->max_layer_size,
        .fetch = fetch_blob,
        .s = s,
        .ref = ref,
        .desc = desc,
    };
    char got[IMAGE_DIGEST_STR_SIZE];
    _cleanup_free_ char *list = NULL;
    size_t len = 0;
    int r = extract_into(&src, tmp, msg_fd, got, &list, &len, err);
    if (r == 0 && !image_digest_equal(got, job->diff_id))
        r = tk_err_set(err, -EBADMSG, "layer %s: diff_id mismatch (config says %s, got %s)",
                       desc->digest, job->diff_id, got);
    if (r == 0 && len && job->index > 0)
        r = fix_parents(s, job, tmp, list, len, msg_fd, err);
    return r;
}

int layer_fetch(const struct image_store *s, const struct image_ref *ref,
                const struct layer_job *job, int msg_fd, struct tk_err *err)
{
    const char *chain = job->chain_ids[job->index];
    const char *digest = job->desc->digest;
    _cleanup_free_ char *final = store_layer_dir(s, chain);
    _cleanup_close_ int lock = -1;
    if (!final)
        return tk_err_sys(err, -ENOMEM, "layer %s", digest);
    if ((lock = lock_layer(s, chain, msg_fd, err)) < 0)
        return lock;
    if (access(final, F_OK) == 0)
        return 1; /* another pull stored it while we waited */
    layer_clean_tmp(s, chain);
    _cleanup_free_ char *tmp = store_path(s, "tmp/%s.%d", digest_hex(chain), (int)getpid());
    if (!tmp)
        return tk_err_sys(err, -ENOMEM, "layer %s", digest);
    if (mkdir(tmp, 0755) < 0)
        return tk_err_sys(err, -errno, "layer %s: create '%s'", digest, tmp);
    int r = extract_layer(s, ref, job, tmp, msg_fd, err);
    if (r == 0)
        r = sync_layer(tmp, digest, err);
    if (r == 0 && rename(tmp, final) < 0)
        r = tk_err_sys(err, -errno, "layer %s: rename into the store", digest);
    if (r < 0) {
        tk_rm_rf(tmp);
        return r;
    }
    return sync_parent(final, digest, err);
}
