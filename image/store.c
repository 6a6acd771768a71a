/* The content store: blobs by digest, layers by chain ID, image records by reference. */
#include "image/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/digest.h"

static const char *const store_dirs[] = {"blobs/sha256", "layers/sha256", "refs", "tmp", "locks"};

static char **strv_dup(const char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof(*out));
    for (size_t i = 0; out && i < n; i++) {
        if (!(out[i] = strdup(v[i]))) {
            img_strv_free(out);
            return NULL;
        }
    }
    return out;
}

int image_store_open(struct image_store **out, const struct image_store_opts *opts,
                     struct tk_err *err)
{
    *out = NULL;
    if (!opts->state_dir || !*opts->state_dir)
        return tk_err_set(err, -EINVAL, "open image store: no state directory");
    struct image_store *s = calloc(1, sizeof(*s));
    if (!s)
        return tk_err_sys(err, -ENOMEM, "open image store");
    const struct registry_opts *ro = &opts->registry;
    s->ropts = *ro;
    s->insecure = strv_dup(ro->insecure, ro->n_insecure);
    s->mirrors = strv_dup(ro->mirrors, ro->n_mirrors);
    s->auth_file = ro->auth_file ? strdup(ro->auth_file) : NULL;
    s->config_path = ro->config_path ? strdup(ro->config_path) : NULL;
    s->max_layer_size = opts->max_layer_size ? opts->max_layer_size : IMAGE_DEFAULT_MAX_LAYER_SIZE;
    s->parallel = opts->parallel > 0 ? opts->parallel : IMAGE_DEFAULT_PARALLEL;
    if (s->parallel > 32)
        s->parallel = 32;
    char abs[PATH_MAX];
    const char *sd = opts->state_dir;
    if (*sd != '/') {
        if (!getcwd(abs, sizeof(abs))) {
            image_store_free(s);
            return tk_err_sys(err, -errno, "open image store: get current directory");
        }
    }
    if (asprintf(&s->root, "%s%s%s/images", *sd != '/' ? abs : "", *sd != '/' ? "/" : "", sd) < 0 ||
        !s->insecure || !s->mirrors || (ro->auth_file && !s->auth_file) ||
        (ro->config_path && !s->config_path)) {
        s->root = NULL;
        image_store_free(s);
        return tk_err_sys(err, -ENOMEM, "open image store");
    }
    s->ropts.insecure = (const char *const *)s->insecure;
    s->ropts.mirrors = (const char *const *)s->mirrors;
    s->ropts.auth_file = s->auth_file;
    s->ropts.config_path = s->config_path;
    for (size_t i = 0; i < TK_ARRAY_SIZE(store_dirs); i++) {
        _cleanup_free_ char *p = store_path(s, "%s", store_dirs[i]);
        int r = p ? tk_mkdir_p(p, 0700) : -ENOMEM;
        if (r < 0) {
            tk_err_sys(err, r, "open image store: create '%s'", p ? p : store_dirs[i]);
            image_store_free(s);
            return r;
        }
    }
    *out = s;
    return 0;
}

void image_store_free(struct image_store *s)
{
    if (!s)
        return;
    free(s->root);
    img_strv_free(s->insecure);
    img_strv_free(s->mirrors);
    free(s->auth_file);
    free(s->config_path);
    free(s);
}

char *store_path(const struct image_store *s, const char *fmt, ...)
{
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    tk_buf_adds(&b, s->root);
    tk_buf_addc(&b, '/');
    va_list ap;
    va_start(ap, fmt);
    tk_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    return tk_buf_detach(&b);
}

const char *digest_hex(const char *digest)
{
    const char *c = strchr(digest, ':');
    return c ? c + 1 : digest;
}

int store_put_blob(const struct image_store *s, const char *digest, const void *data, size_t len,
                   struct tk_err *err)
{
    char got[IMAGE_DIGEST_STR_SIZE];
    if (image_digest_buf(data, len, got) < 0)
        return tk_err_sys(err, -EIO, "hash blob %s", digest);
    if (!image_digest_equal(got, digest))
        return tk_err_set(err, -EBADMSG, "blob %s: digest mismatch (got %s)", digest, got);
    _cleanup_free_ char *p = store_path(s, "blobs/sha256/%s", digest_hex(digest));
    if (!p)
        return tk_err_sys(err, -ENOMEM, "store blob %s", digest);
    if (access(p, F_OK) == 0)
        return 0;
    int r = tk_write_file_atomic(p, data, len, 0644);
    return r < 0 ? tk_err_sys(err, r, "store blob %s", digest) : 0;
}

int store_get_blob(const struct image_store *s, const char *digest, size_t max, char **out,
                   size_t *len, struct tk_err *err)
{
    *out = NULL;
    if (!image_digest_valid(digest))
        return tk_err_set(err, -EINVAL, "invalid digest '%s'", digest);
    _cleanup_free_ char *p = store_path(s, "blobs/sha256/%s", digest_hex(digest));
    _cleanup_free_ char *data = NULL;
    if (!p)
        return tk_err_sys(err, -ENOMEM, "read blob %s", digest);
    int r = tk_read_file_flags(p, O_NOFOLLOW, max, &data, len);
    if (r == -ENOENT)
        return tk_err_set(err, r, "blob %s is not in the store", digest);
    if (r < 0)
        return img_open_error(err, r, "read a blob of the store", p);
    char got[IMAGE_DIGEST_STR_SIZE];
    if (image_digest_buf(data, *len, got) < 0 || !image_digest_equal(got, digest))
        return tk_err_set(err, -EBADMSG, "stored blob %s is corrupt", digest);
    *out = TAKE_PTR(data);
    return 0;
}

char *store_layer_dir(const struct image_store *s, const char *chain_id)
{
    return store_path(s, "layers/sha256/%s", digest_hex(chain_id));
}

int store_chain_ids(char *const *diff_ids, size_t n, char ***out)
{
    char **v = calloc(n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!image_digest_valid(diff_ids[i])) {
            img_strv_free(v);
            return -EINVAL;
        }
        _cleanup_free_ char *in = NULL;
        char d[IMAGE_DIGEST_STR_SIZE];
        if (i && asprintf(&in, "%s %s", v[i - 1], diff_ids[i]) < 0)
            in = NULL;
        if ((i && (!in || image_digest_buf(in, strlen(in), d) < 0)) ||
            !(v[i] = strdup(i ? d : diff_ids[i]))) {
            img_strv_free(v);
            return -ENOMEM;
        }
    }
    *out = v;
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int store_layer_dirs(const struct image_store *s, char *const *diff_ids, size_t n, char ***out,
                     struct tk_err *err)
{
    char **chain = NULL;
    *out = NULL;
    int r = store_chain_ids(diff_ids, n, &chain);
    if (r < 0)
        return tk_err_sys(err, r, "load image: layer directories");
    char **v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; v && r == 0 && i < n; i++) {
        if (!(v[i] = store_layer_dir(s, chain[i]))) {
            r = tk_err_sys(err, -ENOMEM, "load image");
        } else if (!is_dir(v[i])) {
            /* a store of an earlier version: the layer extracted on its own, by diff_id */
            free(v[i]);
            if (!(v[i] = store_layer_dir(s, diff_ids[i])))
                r = tk_err_sys(err, -ENOMEM, "load image");
            else if (!is_dir(v[i]))
                r = tk_err_set(err, -ENOENT, "layer %s is missing from the store", diff_ids[i]);
        }
    }
    img_strv_free(chain);
    if (!v)
        return tk_err_sys(err, -ENOMEM, "load image");
    if (r < 0) {
        img_strv_free(v);
        return r;
    }
    *out = v;
    return 0;
}

int store_lock(const struct image_store *s, const char *name, int nonblock, struct tk_err *err)
{
    _cleanup_free_ char *p = store_path(s, "locks/%s", name);
    if (!p)
        return tk_err_sys(err, -ENOMEM, "lock '%s'", name);
    _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return tk_err_sys(err, -errno, "open lock '%s'", p);
    while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
        if (errno == EINTR)
            continue;
        return nonblock && errno == EWOULDBLOCK ? -EWOULDBLOCK
                                                : tk_err_sys(err, -errno, "lock '%s'", p);
    }
    return TAKE_FD(fd);
}

/*
 * The use lock, locks/gc, keeps the garbage collector (gc.c) from removing what is in use:
 *   - image_pull() holds it shared from before it resolves the manifest until the record is
 *     written (its layer workers inherit it), so the blobs and layers of a pull in
 *     progress, which no record names yet, are never collected;
 *   - image_lookup() takes it shared and leaves it in the image_info until
 *     image_info_free(): a container start (lookup, mount the layers, write the container's
 *     state naming the manifest digest) completes before or after a collection, never
 *     across one;
 *   - image_gc() takes it exclusive while it reads the records and the containers' digests,
 *     decides, unlinks records and blobs and renames layers into a trash directory (all
 *     quick); it deletes the trash after releasing the lock.
 * flock() does not queue a new shared holder behind a waiting exclusive one, so users never
 * wait for a collector that is itself waiting; they wait only for its deciding step.
 * Pulls of the same layer still serialise on locks/layer-HEX, records on locks/ref-HEX.
 */
int store_use_lock(const struct image_store *s, int exclusive, int nonblock, struct tk_err *err)
{
    _cleanup_free_ char *p = store_path(s, "locks/gc");
    if (!p)
        return tk_err_sys(err, -ENOMEM, "lock the image store");
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return tk_err_sys(err, -errno, "open lock '%s'", p);
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (nonblock ? LOCK_NB : 0);
    while (flock(fd, op) < 0) {
        if (errno == EINTR)
            continue;
        return nonblock && errno == EWOULDBLOCK ? -EWOULDBLOCK
                                                : tk_err_sys(err, -errno, "lock '%s'", p);
    }
    return TAKE_FD(fd);
}

struct image_hold {
    int fd;
};

char *store_ref_key(const struct image_ref *ref)
{
    return strdup(ref->canonical);
}

/* The record file name: the key with everything outside [A-Za-z0-9._-] as %XX. */
char *store_record_path(const struct image_store *s, const char *key)
{
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '_' || *p == '-')
            tk_buf_addc(&b, (char)*p);
        else
            tk_buf_addf(&b, "%%%02X", *p);
    }
    if (b.len > NAME_MAX) /* very long references: fall back to a digest of the key */
    {
        char d[IMAGE_DIGEST_STR_SIZE];
        if (image_digest_buf(key, strlen(key), d) < 0)
            return NULL;
        tk_buf_reset(&b);
        tk_buf_addf(&b, "%%long-%s", digest_hex(d));
    }
    return store_path(s, "refs/%s", tk_buf_str(&b));
}

int store_write_record(const struct image_store *s, const char *key, const char *manifest_digest,
                       struct tk_err *err)
{
    _cleanup_free_ char *p = store_record_path(s, key);
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    char now[64];
    tk_format_rfc3339(tk_now_realtime_ns(), now, sizeof(now));
    tk_buf_adds(&b, "{\"reference\":");
    tk_buf_add_json_str(&b, key);
    tk_buf_adds(&b, ",\"manifest\":");
    tk_buf_add_json_str(&b, manifest_digest);
    tk_buf_adds(&b, ",\"pulled\":");
    tk_buf_add_json_str(&b, now);
    tk_buf_adds(&b, "}\n");
    int r = p ? tk_write_file_atomic(p, b.s, b.len, 0644) : -ENOMEM;
    return r < 0 ? tk_err_sys(err, r, "write image record for '%s'", key) : 0;
}

int store_read_record(const char *path, char **key, char **manifest, struct tk_err *err)
{
    _cleanup_free_ char *data = NULL;
    size_t len;
    int r = tk_read_file_flags(path, O_NOFOLLOW, 64 * 1024, &data, &len);
    if (r < 0)
        return r == -ENOENT ? r : img_open_error(err, r, "read image record", path);
    json_t *j = json_loadb(data, len, 0, NULL);
    json_t *k = json_object_get(j, "reference"), *m = json_object_get(j, "manifest");
    if (!json_is_string(k) || !json_is_string(m) || !image_digest_valid(json_string_value(m))) {
        json_decref(j);
        return tk_err_set(err, -EINVAL, "image record '%s' is corrupt", path);
    }
    *key = strdup(json_string_value(k));
    *manifest = strdup(json_string_value(m));
    json_decref(j);
    return *key && *manifest ? 0 : -ENOMEM;
}

void image_info_free(struct image_info *info)
{
    if (!info)
        return;
    free(info->reference);
    free(info->manifest_digest);
    free(info->config_digest);
    img_strv_free(info->layer_dirs);
    img_config_free(&info->config);
    if (info->hold) {
        close(info->hold->fd);
        free(info->hold);
    }
    memset(info, 0, sizeof(*info));
}

static int fill_layers(const struct image_store *s, struct image_info *out, char **diff_ids,
                       size_t n, struct tk_err *err)
{
    int r = store_layer_dirs(s, diff_ids, n, &out->layer_dirs, err);
    if (r == 0)
        out->n_layers = n;
    return r;
}

/* Build an image_info from the stored manifest (and its config and layers). */
static int load_info(const struct image_store *s, const char *key, const char *manifest_digest,
                     struct image_info *out, struct tk_err *err)
{
    _cleanup_free_ char *mbody = NULL, *cbody = NULL;
    size_t mlen, clen, n_ids = 0;
    struct img_manifest m = {0};
    char **diff_ids = NULL;
    memset(out, 0, sizeof(*out));
    int r = store_get_blob(s, manifest_digest, IMG_MANIFEST_MAX, &mbody, &mlen, err);
    if (r < 0 || (r = img_manifest_parse(mbody, mlen, &m, err)) < 0)
        return r;
    r = store_get_blob(s, m.config_digest, IMG_CONFIG_MAX, &cbody, &clen, err);
    if (r >= 0)
        r = img_config_parse(cbody, clen, &out->config, &diff_ids, &n_ids, err);
    if (r >= 0 && n_ids != m.n_layers)
        r = tk_err_set(err, -EINVAL, "image config has %zu diff_ids for %zu layers", n_ids,
                       m.n_layers);
    if (r >= 0) {
        out->reference = strdup(key);
        out->manifest_digest = strdup(manifest_digest);
        out->config_digest = strdup(m.config_digest);
        for (size_t i = 0; i < m.n_layers; i++)
            out->size += (uint64_t)m.layers[i].size;
        if (!out->reference || !out->manifest_digest || !out->config_digest)
            r = tk_err_sys(err, -ENOMEM, "load image");
    }
    if (r >= 0)
        r = fill_layers(s, out, diff_ids, n_ids, err);
    img_strv_free(diff_ids);
    img_manifest_free(&m);
    if (r < 0)
        image_info_free(out);
    return r;
}

int image_lookup(struct image_store *s, const char *refstr, struct image_info *out,
                 struct tk_err *err)
{
    struct image_ref ref = {0};
    memset(out, 0, sizeof(*out));
    int r = image_ref_parse(refstr, &ref, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *key = store_ref_key(&ref);
    image_ref_free(&ref);
    _cleanup_free_ char *p = key ? store_record_path(s, key) : NULL;
    _cleanup_free_ char *rkey = NULL, *manifest = NULL;
    _cleanup_free_ struct image_hold *hold = calloc(1, sizeof(*hold));
    if (!p || !hold)
        return tk_err_sys(err, -ENOMEM, "look up image '%s'", refstr);
    if ((hold->fd = store_use_lock(s, 0, 0, err)) < 0) {
        tk_err_wrap(err, "look up image '%s'", refstr);
        return hold->fd;
    }
    r = store_read_record(p, &rkey, &manifest, err);
    if (r == -ENOENT)
        r = tk_err_set(err, -ENOENT, "image '%s' is not in the store", refstr);
    else if (r < 0 || (r = load_info(s, key, manifest, out, err)) < 0)
        tk_err_wrap(err, "look up image '%s'", refstr);
    if (r < 0) {
        close(hold->fd);
        return r;
    }
    /* the last use, for the automatic GC's least-recently-used order (best effort) */
    utimensat(AT_FDCWD, p, NULL, AT_SYMLINK_NOFOLLOW);
    out->last_used_ns = tk_now_realtime_ns();
    out->hold = TAKE_PTR(hold);
    return 0;
}

static int cmp_info(const void *a, const void *b)
{
    return strcmp(((const struct image_info *)a)->reference,
                  ((const struct image_info *)b)->reference);
}

int image_list(struct image_store *s, struct image_info **out, size_t *n, struct tk_err *err)
{
    *out = NULL;
    *n = 0;
    _cleanup_free_ char *dir = store_path(s, "refs");
    _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return tk_err_sys(err, dir ? -errno : -ENOMEM, "list images: open '%s'", dir);
    struct image_info *v = NULL;
    size_t cnt = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue;
        _cleanup_free_ char *p = store_path(s, "refs/%s", e->d_name);
        _cleanup_free_ char *key = NULL, *manifest = NULL;
        struct tk_err ignored;
        if (!p || store_read_record(p, &key, &manifest, &ignored) < 0)
            continue;
        struct image_info *nv = realloc(v, (cnt + 1) * sizeof(*v));
        if (!nv) {
            image_list_free(v, cnt);
            return tk_err_sys(err, -ENOMEM, "list images");
        }
        v = nv;
        struct stat st;
        if (load_info(s, key, manifest, &v[cnt], &ignored) == 0) {
            if (stat(p, &st) == 0)
                v[cnt].last_used_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            cnt++;
        }
    }
    if (cnt)
        tk_sort(v, cnt, sizeof(*v), cmp_info);
    *out = v;
    *n = cnt;
    return (int)cnt;
}

void image_list_free(struct image_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        image_info_free(&v[i]);
    free(v);
}
