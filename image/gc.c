/*
 * Garbage collection of the image store. What is in use, and the locking, are described
 * in image.h (image_gc) and store.c (the use lock).
 *
 * A collection runs in rounds. Each round, with the use lock held exclusive: read every
 * record and the containers' manifest digests, pick the victims (every unused record, or
 * the least recently used one), mark what the remaining records and the containers need
 * (manifest, config, layers by chain ID), then unlink the victims' records and the unneeded
 * blobs and rename the unneeded layers into a trash directory under tmp/. After the lock is
 * released, the trash is measured and deleted: the long part blocks nobody.
 */
#include "image/gc.h"
#include "image/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/digest.h"
#include "image/ref.h"

/* ---- a sorted set of strings ---- */

struct strset {
    char **v;
    size_t n, cap;
};

static int strset_add(struct strset *s, const char *str)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(str)))
        return -ENOMEM;
    s->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strset_sort(struct strset *s)
{
    if (s->n)
        tk_sort(s->v, s->n, sizeof(*s->v), cmp_str);
}

static int strset_has(const struct strset *s, const char *str)
{
    return s->n && bsearch(&str, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

static void strset_free(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- references and how they match ---- */

/* The forms a reference is compared by. */
struct refkey {
    char *canonical; /* as the record key */
    char *digest;    /* "sha256:…" when the reference has one */
    char *by_digest; /* "REGISTRY/REPO@DIGEST": the tag dropped, the digest decides */
    char *oci;       /* "oci:REALPATH:TAG" for a layout that exists */
};

static void refkey_free(struct refkey *k)
{
    free(k->canonical);
    free(k->digest);
    free(k->by_digest);
    free(k->oci);
    memset(k, 0, sizeof(*k));
}

/* -EINVAL for a reference that does not parse (it matches nothing). */
static int refkey_init(struct refkey *k, const char *s)
{
    struct image_ref r = {0};
    memset(k, 0, sizeof(*k));
    if (image_ref_parse(s, &r, NULL) < 0)
        return -EINVAL;
    int ok = (k->canonical = strdup(r.canonical)) != NULL;
    if (ok && r.digest)
        ok = (k->digest = strdup(r.digest)) != NULL;
    if (ok && r.digest && r.registry &&
        asprintf(&k->by_digest, "%s/%s@%s", r.registry, r.repository, r.digest) < 0)
        k->by_digest = NULL, ok = 0;
    if (ok && r.kind == IMAGE_REF_OCI_LAYOUT) {
        _cleanup_free_ char *real = realpath(r.repository, NULL);
        if (real && asprintf(&k->oci, "oci:%s:%s", real, r.tag ? r.tag : "latest") < 0)
            k->oci = NULL, ok = 0;
    }
    image_ref_free(&r);
    if (!ok) {
        refkey_free(k);
        return -ENOMEM;
    }
    return 0;
}

static int str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* Does the keep reference k keep the record (its key's forms rk, its manifest digest)? */
static int refkey_keeps(const struct refkey *k, const struct refkey *rk, const char *manifest)
{
    return str_eq(k->canonical, rk->canonical) || str_eq(k->by_digest, rk->by_digest) ||
           str_eq(k->digest, manifest) || str_eq(k->oci, rk->oci);
}

/* ---- the state of one round ---- */

enum rec_state { REC_UNUSED, REC_USED, REC_YOUNG };

struct rec {
    char *file;     /* the record's file name in refs/ */
    char *key;      /* NULL when the record is corrupt */
    char *manifest; /* NULL when corrupt */
    int64_t used_ns;
    enum rec_state state;
    int victim;
};

struct gc {
    struct image_store *s;
    const struct image_gc_opts *o;
    struct image_gc_result *res;
    struct refkey *keep;
    size_t n_keep;
    /* per round */
    struct rec *recs;
    size_t n_recs;
    char **digests; /* the containers' manifests */
    size_t n_digests;
    struct strset live_blobs, live_layers, dead_blobs, dead_layers; /* hex */
    uint64_t *blob_bytes; /* per dead blob: its size, UINT64_MAX when not removed */
    int unsafe;
    size_t n_victims;
};

static void round_free(struct gc *g)
{
    for (size_t i = 0; i < g->n_recs; i++) {
        free(g->recs[i].file);
        free(g->recs[i].key);
        free(g->recs[i].manifest);
    }
    free(g->recs);
    g->recs = NULL;
    g->n_recs = 0;
    for (size_t i = 0; i < g->n_digests; i++)
        free(g->digests[i]);
    free(g->digests);
    g->digests = NULL;
    g->n_digests = 0;
    strset_free(&g->live_blobs);
    strset_free(&g->live_layers);
    strset_free(&g->dead_blobs);
    strset_free(&g->dead_layers);
    free(g->blob_bytes);
    g->blob_bytes = NULL;
    g->unsafe = 0;
    g->n_victims = 0;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Read refs/: every record with its last use (the file's mtime). */
static int load_records(struct gc *g, struct tk_err *err)
{
    _cleanup_free_ char *dir = store_path(g->s, "refs");
    _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return tk_err_sys(err, dir ? -errno : -ENOMEM, "read image records in '%s'", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue;
        _cleanup_free_ char *p = store_path(g->s, "refs/%s", e->d_name);
        struct stat st;
        if (!p)
            return tk_err_sys(err, -ENOMEM, "read image records");
        if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        struct rec *nv = realloc(g->recs, (g->n_recs + 1) * sizeof(*nv));
        if (!nv)
            return tk_err_sys(err, -ENOMEM, "read image records");
        g->recs = nv;
        struct rec *r = &g->recs[g->n_recs];
        *r = (struct rec){.file = strdup(e->d_name), .used_ns = mtime_ns(&st)};
        g->n_recs++;
        int rr = store_read_record(p, &r->key, &r->manifest, NULL);
        if (!r->file || rr == -ENOMEM)
            return tk_err_sys(err, -ENOMEM, "read image records");
        if (rr == -ENOENT) /* removed meanwhile */
            r->state = REC_USED;
    }
    return 0;
}

/* Which records are used by a keep reference or a container, which are too young. */
static void classify(struct gc *g, int64_t now_ns)
{
    for (size_t i = 0; i < g->n_recs; i++) {
        struct rec *r = &g->recs[i];
        if (r->state != REC_UNUSED || !r->key)
            continue;
        struct refkey rk;
        if (refkey_init(&rk, r->key) == 0) {
            for (size_t k = 0; k < g->n_keep && r->state == REC_UNUSED; k++)
                if (refkey_keeps(&g->keep[k], &rk, r->manifest))
                    r->state = REC_USED;
            refkey_free(&rk);
        }
        for (size_t k = 0; k < g->n_digests && r->state == REC_UNUSED; k++)
            if (str_eq(g->digests[k], r->manifest))
                r->state = REC_USED;
        if (r->state == REC_UNUSED && g->o->min_age_ms > 0 &&
            now_ns - r->used_ns < g->o->min_age_ms * 1000000)
            r->state = REC_YOUNG;
    }
}

/* Mark victims: every unused record (max < 0) or the max least recently used ones. */
static void pick_victims(struct gc *g, long max)
{
    for (;;) {
        if (max >= 0 && g->n_victims >= (size_t)max)
            return;
        struct rec *best = NULL;
        for (size_t i = 0; i < g->n_recs; i++) {
            struct rec *r = &g->recs[i];
            if (r->state != REC_UNUSED || r->victim)
                continue;
            if (max < 0) {
                r->victim = 1;
                g->n_victims++;
                continue;
            }
            if (!best || r->used_ns < best->used_ns ||
                (r->used_ns == best->used_ns && strcmp(r->file, best->file) < 0))
                best = r;
        }
        if (max < 0 || !best)
            return;
        best->victim = 1;
        g->n_victims++;
    }
}

/* Mark the layer directories of an image as needed: by chain ID, and the diff_id directory a
 * store of an earlier version extracted the layer into (store_layer_dirs()) where the image
 * still uses it. A container keeps both: it may have been started from the older one. */
static int mark_layers(struct gc *g, char **diff_ids, size_t n, int container)
{
    char **chain = NULL;
    int r = store_chain_ids(diff_ids, n, &chain);
    if (r == -EINVAL)
        return 0; /* an invalid diff_id names no directory */
    for (size_t i = 0; r == 0 && i < n; i++) {
        _cleanup_free_ char *d = store_layer_dir(g->s, chain[i]);
        if (!d)
            r = -ENOMEM;
        else if ((r = strset_add(&g->live_layers, digest_hex(chain[i]))) == 0 &&
                 (container || access(d, F_OK) < 0))
            r = strset_add(&g->live_layers, digest_hex(diff_ids[i]));
    }
    img_strv_free(chain);
    return r;
}

/* Mark the manifest, config and layers of one manifest digest as needed. */
static int mark_manifest(struct gc *g, const char *digest, int container, struct tk_err *err)
{
    _cleanup_free_ char *mb = NULL, *cb = NULL;
    size_t ml, cl, n = 0;
    struct img_manifest m = {0};
    struct image_config cfg = {0};
    char **diff_ids = NULL;
    if (!image_digest_valid(digest))
        return tk_err_set(err, -EINVAL, "invalid digest '%s'", digest);
    int r = strset_add(&g->live_blobs, digest_hex(digest));
    if (r == 0)
        r = store_get_blob(g->s, digest, IMG_MANIFEST_MAX, &mb, &ml, err);
    if (r == 0)
        r = img_manifest_parse(mb, ml, &m, err);
    if (r == 0 && (r = strset_add(&g->live_blobs, digest_hex(m.config_digest))) == 0)
        r = store_get_blob(g->s, m.config_digest, IMG_CONFIG_MAX, &cb, &cl, err);
    if (r == 0)
        r = img_config_parse(cb, cl, &cfg, &diff_ids, &n, err);
    if (r == 0)
        r = mark_layers(g, diff_ids, n, container);
    img_strv_free(diff_ids);
    img_config_free(&cfg);
    img_manifest_free(&m);
    return r;
}

/* What the records that stay and the containers need. A container's manifest that cannot
 * be read makes the round unsafe (g->res->unsafe_msg says why): nothing but records may
 * then be removed. */
static int mark(struct gc *g, struct tk_err *err)
{
    struct tk_err e = {0};
    for (size_t i = 0; i < g->n_digests; i++) {
        int r = mark_manifest(g, g->digests[i], 1, &e);
        if (r == -ENOMEM)
            return tk_err_sys(err, r, "image gc");
        if (r < 0 && !g->unsafe) {
            g->unsafe = 1;
            snprintf(g->res->unsafe_msg, sizeof(g->res->unsafe_msg), "a container's image %s: %s",
                     g->digests[i], e.msg);
        }
    }
    for (size_t i = 0; i < g->n_recs; i++) {
        struct rec *rec = &g->recs[i];
        if (rec->victim || !rec->manifest)
            continue;
        int r = mark_manifest(g, rec->manifest, 0, &e);
        if (r == -ENOMEM)
            return tk_err_sys(err, r, "image gc");
        /* a broken image (a missing or corrupt blob) keeps what it still names; any other
         * failure to read is no reason to remove anything */
        if (r < 0 && r != -ENOENT && r != -EBADMSG && r != -EINVAL) {
            tk_err_wrap(&e, "image gc: image '%s'", rec->key);
            if (err)
                *err = e;
            return r;
        }
    }
    strset_sort(&g->live_blobs);
    strset_sort(&g->live_layers);
    return 0;
}

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

/* The entries of blobs/sha256 or layers/sha256 that nothing needs. */
static int find_dead(struct gc *g, const char *sub, const struct strset *live, struct strset *dead,
                     struct tk_err *err)
{
    _cleanup_free_ char *dir = store_path(g->s, "%s", sub);
    _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return tk_err_sys(err, dir ? -errno : -ENOMEM, "image gc: read '%s'", dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_hex64(e->d_name) && !strset_has(live, e->d_name) && strset_add(dead, e->d_name) < 0)
            return tk_err_sys(err, -ENOMEM, "image gc");
    strset_sort(dead);
    return 0;
}

/* ---- disk usage ---- */

/* nftw() has no context argument; the collector is single-threaded. */
static struct {
    uint64_t bytes;
    ino_t *linked; /* inodes with several links, each counted once */
    size_t n_linked, cap_linked;
} du_acc;

static int du_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)flag, (void)ftw;
    if (st->st_nlink > 1 && !S_ISDIR(st->st_mode)) {
        for (size_t i = 0; i < du_acc.n_linked; i++)
            if (du_acc.linked[i] == st->st_ino)
                return 0;
        if (du_acc.n_linked == du_acc.cap_linked) {
            size_t cap = du_acc.cap_linked ? du_acc.cap_linked * 2 : 64;
            ino_t *nv = realloc(du_acc.linked, cap * sizeof(*nv));
            if (!nv)
                return 0;
            du_acc.linked = nv;
            du_acc.cap_linked = cap;
        }
        du_acc.linked[du_acc.n_linked++] = st->st_ino;
    }
    du_acc.bytes += (uint64_t)st->st_blocks * 512;
    return 0;
}

/* Allocated bytes under path (one file system, links not followed, hard links once). */
static uint64_t disk_usage(const char *path)
{
    du_acc.bytes = 0;
    du_acc.n_linked = 0;
    nftw(path, du_visit, 16, FTW_PHYS | FTW_MOUNT);
    free(du_acc.linked);
    du_acc.linked = NULL;
    du_acc.cap_linked = 0;
    return du_acc.bytes;
}

/* ---- acting ---- */

static void report(struct gc *g, enum image_gc_kind kind, const char *name, const char *digest,
                   uint64_t bytes, int64_t used_ns)
{
    struct image_gc_result *res = g->res;
    res->bytes += bytes;
    if (kind == IMAGE_GC_IMAGE)
        res->images++;
    else if (kind == IMAGE_GC_LAYER)
        res->layers++;
    else
        res->blobs++;
    if (!g->o->report)
        return;
    struct image_gc_item it = {kind, name, digest, bytes, used_ns};
    g->o->report(g->o->report_ctx, &it);
}

/* "ref-HEX" and "layer-HEX" lock files of what goes: unused while the lock is exclusive. */
static void unlink_lock(struct gc *g, const char *prefix, const char *key_or_hex)
{
    char d[IMAGE_DIGEST_STR_SIZE];
    const char *hex = key_or_hex;
    if (!strcmp(prefix, "ref")) {
        if (image_digest_buf(key_or_hex, strlen(key_or_hex), d) < 0)
            return;
        hex = digest_hex(d);
    }
    _cleanup_free_ char *p = store_path(g->s, "locks/%s-%s", prefix, hex);
    if (p)
        unlink(p);
}

/* Unlink the victims' records (under the lock). */
static void remove_records(struct gc *g)
{
    for (size_t i = 0; i < g->n_recs; i++) {
        struct rec *r = &g->recs[i];
        if (!r->victim || g->o->dry_run)
            continue;
        _cleanup_free_ char *p = store_path(g->s, "refs/%s", r->file);
        if (!p || (unlink(p) < 0 && errno != ENOENT)) {
            r->victim = 0; /* still there */
            continue;
        }
        if (r->key)
            unlink_lock(g, "ref", r->key);
    }
}

static void report_records(struct gc *g)
{
    for (size_t i = 0; i < g->n_recs; i++) {
        struct rec *r = &g->recs[i];
        if (r->victim)
            report(g, IMAGE_GC_IMAGE, r->key ? r->key : r->file, r->manifest, 0, r->used_ns);
    }
}

/* Unlink the dead blobs (under the lock); their sizes are kept for report_blobs(). */
static void remove_blobs(struct gc *g)
{
    g->blob_bytes = calloc(g->dead_blobs.n + 1, sizeof(*g->blob_bytes));
    for (size_t i = 0; g->blob_bytes && i < g->dead_blobs.n; i++) {
        _cleanup_free_ char *p = store_path(g->s, "blobs/sha256/%s", g->dead_blobs.v[i]);
        struct stat st;
        g->blob_bytes[i] = UINT64_MAX; /* not removed */
        if (!p || lstat(p, &st) < 0 || (!g->o->dry_run && unlink(p) < 0))
            continue;
        g->blob_bytes[i] = (uint64_t)st.st_blocks * 512;
    }
}

static void report_blobs(struct gc *g)
{
    for (size_t i = 0; g->blob_bytes && i < g->dead_blobs.n; i++) {
        _cleanup_free_ char *name = NULL;
        if (g->blob_bytes[i] != UINT64_MAX && asprintf(&name, "sha256:%s", g->dead_blobs.v[i]) >= 0)
            report(g, IMAGE_GC_BLOB, name, NULL, g->blob_bytes[i], 0);
    }
}

/* The trash of this round: tmp/gc.PID, flocked while it exists so that a later collection
 * knows whether its owner is still deleting it. */
static int open_trash(struct gc *g, char **path, struct tk_err *err)
{
    *path = store_path(g->s, "tmp/gc.%d", (int)getpid());
    if (!*path)
        return tk_err_sys(err, -ENOMEM, "image gc");
    if (mkdir(*path, 0700) < 0 && errno != EEXIST)
        return tk_err_sys(err, -errno, "image gc: create '%s'", *path);
    int fd = open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = -errno;
        if (fd >= 0)
            close(fd);
        return tk_err_sys(err, e, "image gc: lock '%s'", *path);
    }
    return fd;
}

/* Rename the dead layers into the trash (under the exclusive lock). */
static int trash_layers(struct gc *g, const char *trash, struct tk_err *err)
{
    for (size_t i = 0; i < g->dead_layers.n; i++) {
        const char *hex = g->dead_layers.v[i];
        _cleanup_free_ char *from = store_path(g->s, "layers/sha256/%s", hex);
        _cleanup_free_ char *to = NULL;
        if (!from || asprintf(&to, "%s/%s", trash, hex) < 0)
            return tk_err_sys(err, -ENOMEM, "image gc");
        if (rename(from, to) < 0 && errno != ENOENT)
            return tk_err_sys(err, -errno, "image gc: move layer sha256:%s to '%s'", hex, trash);
        unlink_lock(g, "layer", hex);
    }
    return 0;
}

/* Measure and delete the layers (in the trash, or in place for a dry run); no lock held. */
static int delete_layers(struct gc *g, const char *trash, struct tk_err *err)
{
    int ret = 0;
    for (size_t i = 0; i < g->dead_layers.n; i++) {
        const char *hex = g->dead_layers.v[i];
        _cleanup_free_ char *p = g->o->dry_run ? store_path(g->s, "layers/sha256/%s", hex) : NULL;
        _cleanup_free_ char *name = NULL;
        if (!g->o->dry_run && asprintf(&p, "%s/%s", trash, hex) < 0)
            p = NULL;
        if (!p || asprintf(&name, "sha256:%s", hex) < 0)
            return tk_err_sys(err, -ENOMEM, "image gc");
        if (access(p, F_OK) < 0)
            continue;
        uint64_t bytes = disk_usage(p);
        int r = g->o->dry_run ? 0 : tk_rm_rf(p);
        if (r < 0 && ret == 0)
            ret = tk_err_sys(err, r, "image gc: delete layer %s", name);
        if (r == 0)
            report(g, IMAGE_GC_LAYER, name, NULL, bytes, 0);
    }
    return ret;
}

/* Trash directories of collectors that died before deleting them. */
static void clean_old_trash(struct gc *g)
{
    _cleanup_free_ char *dir = store_path(g->s, "tmp");
    _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "gc.", 3))
            continue;
        _cleanup_free_ char *p = store_path(g->s, "tmp/%s", e->d_name);
        _cleanup_close_ int fd = p ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
            tk_rm_rf(p);
    }
}

/* ---- rounds ---- */

/* The deciding step, with the use lock held exclusive. */
static int decide(struct gc *g, long max_victims, struct tk_err *err)
{
    int r = load_records(g, err);
    if (r == 0 && g->o->keep_digests) {
        r = g->o->keep_digests(g->o->keep_ctx, &g->digests, &g->n_digests, err);
        if (r < 0)
            tk_err_wrap(err, "image gc: list the containers' images");
    }
    if (r < 0)
        return r;
    classify(g, tk_now_realtime_ns());
    pick_victims(g, max_victims);
    if ((r = mark(g, err)) < 0)
        return r;
    if (g->unsafe) {
        g->res->unsafe = 1;
        return 0;
    }
    r = find_dead(g, "blobs/sha256", &g->live_blobs, &g->dead_blobs, err);
    if (r == 0)
        r = find_dead(g, "layers/sha256", &g->live_layers, &g->dead_layers, err);
    return r;
}

/* One round: decide and unlink under the lock, delete after. Returns the number of images
 * removed, or < 0. */
static int gc_round(struct gc *g, long max_victims, struct tk_err *err)
{
    _cleanup_free_ char *trash = NULL;
    _cleanup_close_ int trash_fd = -1;
    _cleanup_close_ int lock = store_use_lock(g->s, 1, 0, err);
    if (lock < 0)
        return lock;
    int r = decide(g, max_victims, err);
    g->res->kept_young = 0; /* as the last round saw it */
    for (size_t i = 0; i < g->n_recs; i++)
        if (g->recs[i].state == REC_YOUNG)
            g->res->kept_young++;
    if (r == 0 && !g->o->dry_run && g->dead_layers.n)
        r = trash_fd = open_trash(g, &trash, err);
    if (r >= 0 && !g->o->dry_run)
        r = trash_layers(g, trash, err);
    if (r >= 0) {
        remove_records(g);
        remove_blobs(g);
        if (!g->o->dry_run) {
            layer_clean_stale(g->s);
            clean_old_trash(g);
        }
    }
    close(lock);
    lock = -1;
    /* reported once the lock is released: a slow reader of the output holds up nobody */
    if (r >= 0)
        report_records(g);
    if (r >= 0)
        r = delete_layers(g, trash, err);
    report_blobs(g);
    if (trash && !g->o->dry_run)
        rmdir(trash);
    int victims = (int)g->n_victims;
    round_free(g);
    return r < 0 ? r : victims;
}

static int run(struct gc *g, struct tk_err *err)
{
    const struct image_gc_opts *o = g->o;
    if (!o->enough) {
        int r = gc_round(g, -1, err);
        return r < 0 ? r : 0;
    }
    if (o->enough(o->enough_ctx)) {
        g->res->enough = 1;
        return 0;
    }
    /* what no image needs first (old manifests of moved tags, leftovers), then images */
    int r = gc_round(g, 0, err);
    while (r >= 0 && !g->res->unsafe) {
        if (o->enough(o->enough_ctx)) {
            g->res->enough = 1;
            return 0;
        }
        if ((r = gc_round(g, 1, err)) == 0)
            break;
    }
    return r < 0 ? r : 0;
}

int image_gc(struct image_store *s, const struct image_gc_opts *opts, struct image_gc_result *res,
             struct tk_err *err)
{
    memset(res, 0, sizeof(*res));
    if (opts->dry_run && opts->enough)
        return tk_err_set(err, -EINVAL, "image gc: a dry run cannot free space by thresholds");
    struct gc g = {.s = s, .o = opts, .res = res};
    g.keep = calloc(opts->n_keep_refs + 1, sizeof(*g.keep));
    if (!g.keep)
        return tk_err_sys(err, -ENOMEM, "image gc");
    int r = 0;
    for (size_t i = 0; i < opts->n_keep_refs && r == 0; i++) {
        r = refkey_init(&g.keep[g.n_keep], opts->keep_refs[i]);
        if (r == 0)
            g.n_keep++;
        else if (r == -EINVAL)
            r = 0; /* a reference that does not parse names no stored image */
    }
    if (r < 0)
        tk_err_sys(err, r, "image gc");
    else
        r = run(&g, err);
    for (size_t i = 0; i < g.n_keep; i++)
        refkey_free(&g.keep[i]);
    free(g.keep);
    return r;
}
