/* Unit tests: image garbage collection over a store built by hand (records, manifests,
 * configs, layer directories): what is in use (references as written in manifests, digests,
 * oci: layouts through symlinks, the containers' manifests), layer and blob refcounting,
 * least-recently-used order, min age, dry runs, and the use lock. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "image/digest.h"
#include "image/image.h"
#include "image/pull.h"
#include "image/gc.h"
#include "image/internal.h"

static char tmpdir[] = "/tmp/tank-check-gc.XXXXXX";
static struct image_store *store;

/* The layer directories made so far: a name ("layer:NAME" is the layer's content) -> the
 * digest its directory is named by (its chain ID, or its diff_id in the older layout). */
static struct {
    char name[64];
    char id[IMAGE_DIGEST_STR_SIZE];
} known[64];
static size_t n_known;

static void setup(void)
{
    memcpy(tmpdir, "/tmp/tank-check-gc.XXXXXX", sizeof(tmpdir));
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    struct image_store_opts o = {.state_dir = tmpdir};
    struct tk_err err = {0};
    ck_assert_int_eq(image_store_open(&store, &o, &err), 0);
}

static void teardown(void)
{
    image_store_free(store);
    store = NULL;
    tk_rm_rf(tmpdir);
}

/* "sha256:…" of a string. */
static void digest_of(const char *s, char out[IMAGE_DIGEST_STR_SIZE])
{
    ck_assert_int_eq(image_digest_buf(s, strlen(s), out), 0);
}

/* A layer directory named by id, holding one file NAME. */
static void make_dir(const char *name, const char *id)
{
    _cleanup_free_ char *dir = store_layer_dir(store, id);
    _cleanup_free_ char *file = NULL;
    ck_assert_int_eq(tk_mkdir_p(dir, 0755), 0);
    ck_assert_int_ge(asprintf(&file, "%s/%s", dir, name), 0);
    ck_assert_int_eq(tk_write_file_atomic(file, name, strlen(name), 0644), 0);
    size_t i = 0;
    while (i < n_known && strcmp(known[i].name, name))
        i++;
    ck_assert_uint_lt(i, 64);
    snprintf(known[i].name, sizeof(known[i].name), "%s", name);
    snprintf(known[i].id, sizeof(known[i].id), "%s", id);
    n_known += i == n_known;
}

/* A layer directory named by the diff_id of "layer:NAME" (a lowest layer, or a layer the
 * older layout stored), holding one file. */
static void make_layer(const char *name, char diff_id[IMAGE_DIGEST_STR_SIZE])
{
    char key[128];
    snprintf(key, sizeof(key), "layer:%s", name);
    digest_of(key, diff_id);
    make_dir(name, diff_id);
}

/* The chain IDs of the named layers (space-separated; at most 8). */
static void chain_of(const char *layers, char chain[8][IMAGE_DIGEST_STR_SIZE], size_t *n)
{
    char ids[8][IMAGE_DIGEST_STR_SIZE], *v[9] = {0}, **c = NULL;
    *n = 0;
    for (const char *p = layers; *p; p += strspn(p, " ")) {
        char key[128];
        size_t len = strcspn(p, " ");
        ck_assert_uint_lt(*n, 8);
        snprintf(key, sizeof(key), "layer:%.*s", (int)len, p);
        digest_of(key, ids[*n]);
        v[*n] = ids[*n];
        (*n)++;
        p += len;
    }
    ck_assert_int_eq(store_chain_ids(v, *n, &c), 0);
    for (size_t i = 0; i < *n; i++)
        snprintf(chain[i], IMAGE_DIGEST_STR_SIZE, "%s", c[i]);
    img_strv_free(c);
}

/* An image of the named layers (space-separated): their directories by chain ID (by
 * diff_id above the lowest one when legacy: a store of an earlier version), its config and
 * manifest stored; the manifest digest in out. */
static void make_image_as(const char *layers, int legacy, char out[IMAGE_DIGEST_STR_SIZE])
{
    char cfg[4096] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[";
    char man[4096], descs[3072] = "", cd[IMAGE_DIGEST_STR_SIZE], chain[8][IMAGE_DIGEST_STR_SIZE];
    size_t n_chain, i = 0;
    chain_of(layers, chain, &n_chain);
    for (const char *p = layers; *p; p += strspn(p, " "), i++) {
        char n[64], id[IMAGE_DIGEST_STR_SIZE], blob[IMAGE_DIGEST_STR_SIZE], key[128];
        size_t len = strcspn(p, " ");
        snprintf(n, sizeof(n), "%.*s", (int)len, p);
        p += len;
        make_layer(n, id);
        if (i && !legacy) {
            _cleanup_free_ char *d = store_layer_dir(store, id);
            ck_assert_int_eq(tk_rm_rf(d), 0);
            make_dir(n, chain[i]);
        }
        snprintf(key, sizeof(key), "blob:%s", n);
        digest_of(key, blob);
        size_t l = strlen(cfg), d = strlen(descs);
        snprintf(cfg + l, sizeof(cfg) - l, "%s\"%s\"", i ? "," : "", id);
        snprintf(descs + d, sizeof(descs) - d,
                 "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                 "\"digest\":\"%s\",\"size\":100}",
                 i ? "," : "", blob);
    }
    size_t l = strlen(cfg);
    snprintf(cfg + l, sizeof(cfg) - l, "]}}");
    digest_of(cfg, cd);
    ck_assert_int_eq(store_put_blob(store, cd, cfg, strlen(cfg), NULL), 0);
    snprintf(man, sizeof(man),
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
             "\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s]}",
             cd, strlen(cfg), descs);
    digest_of(man, out);
    ck_assert_int_eq(store_put_blob(store, out, man, strlen(man), NULL), 0);
}

static void make_image(const char *layers, char out[IMAGE_DIGEST_STR_SIZE])
{
    make_image_as(layers, 0, out);
}

/* A record key -> manifest, last used at `age` seconds ago. */
static void make_record(const char *key, const char *manifest, int age)
{
    ck_assert_int_eq(store_write_record(store, key, manifest, NULL), 0);
    _cleanup_free_ char *p = store_record_path(store, key);
    struct timespec ts[2] = {{time(NULL) - age, 0}, {time(NULL) - age, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static int has_record(const char *key)
{
    _cleanup_free_ char *p = store_record_path(store, key);
    return access(p, F_OK) == 0;
}

/* Is the directory last made for the layer NAME there? */
static int has_layer(const char *name)
{
    for (size_t i = 0; i < n_known; i++) {
        if (strcmp(known[i].name, name))
            continue;
        _cleanup_free_ char *d = store_layer_dir(store, known[i].id);
        return access(d, F_OK) == 0;
    }
    ck_abort_msg("no layer '%s' was made", name);
    return 0;
}

/* Is the directory of the i-th layer of the image of these layers (by chain ID) there? */
static int has_chain(const char *layers, size_t i)
{
    char chain[8][IMAGE_DIGEST_STR_SIZE];
    size_t n;
    chain_of(layers, chain, &n);
    ck_assert_uint_lt(i, n);
    _cleanup_free_ char *d = store_layer_dir(store, chain[i]);
    return access(d, F_OK) == 0;
}

static int has_blob(const char *digest)
{
    _cleanup_free_ char *p = store_path(store, "blobs/sha256/%s", digest_hex(digest));
    return access(p, F_OK) == 0;
}

/* What a collection reported, in order: "image KEY", "layer NAME", "blob". */
static char reported[4096];
static void on_report(void *ctx, const struct image_gc_item *it)
{
    (void)ctx;
    size_t l = strlen(reported);
    if (it->kind == IMAGE_GC_IMAGE)
        snprintf(reported + l, sizeof(reported) - l, "image %s;", it->name);
    else if (it->kind == IMAGE_GC_LAYER)
        snprintf(reported + l, sizeof(reported) - l, "layer;");
}

static const char *container_digests[4];
static int test_digests(void *ctx, char ***out, size_t *n, struct tk_err *err)
{
    (void)ctx, (void)err;
    *out = calloc(5, sizeof(char *));
    *n = 0;
    for (size_t i = 0; i < 4 && container_digests[i]; i++)
        (*out)[(*n)++] = strdup(container_digests[i]);
    return 0;
}

static int gc(const char *const *refs, size_t n, int dry_run, struct image_gc_result *res)
{
    struct image_gc_opts o = {.keep_refs = refs,
                              .n_keep_refs = n,
                              .keep_digests = test_digests,
                              .dry_run = dry_run,
                              .report = on_report};
    struct tk_err err = {0};
    reported[0] = '\0';
    return image_gc(store, &o, res, &err);
}

START_TEST(test_unused_image_and_its_layers)
{
    char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE];
    make_image("base a", a);
    make_image("base b", b);
    make_record("127.0.0.1:5000/app:a", a, 10);
    make_record("127.0.0.1:5000/app:b", b, 10);
    const char *refs[] = {"127.0.0.1:5000/app:a"};
    struct image_gc_result res;
    ck_assert_int_eq(gc(refs, 1, 0, &res), 0);
    ck_assert_str_eq(reported, "image 127.0.0.1:5000/app:b;layer;");
    ck_assert_uint_eq(res.images, 1);
    ck_assert_uint_eq(res.layers, 1);
    ck_assert_uint_eq(res.blobs, 2); /* b's manifest and config */
    ck_assert(res.bytes > 0);
    ck_assert(has_record("127.0.0.1:5000/app:a") && !has_record("127.0.0.1:5000/app:b"));
    ck_assert(has_layer("base") && has_layer("a") && !has_layer("b"));
    ck_assert(has_blob(a) && !has_blob(b));
    struct image_info info;
    struct tk_err err = {0};
    ck_assert_int_eq(image_lookup(store, "127.0.0.1:5000/app:a", &info, &err), 0);
    image_info_free(&info);
    ck_assert_int_eq(image_lookup(store, "127.0.0.1:5000/app:b", &info, &err), -ENOENT);
    /* a second prune finds nothing */
    ck_assert_int_eq(gc(refs, 1, 0, &res), 0);
    ck_assert_uint_eq(res.images + res.layers + res.blobs, 0);
}
END_TEST

/* A shared layer goes with the last image that needs it. */
START_TEST(test_shared_layer_refcount)
{
    char x[IMAGE_DIGEST_STR_SIZE], y[IMAGE_DIGEST_STR_SIZE], z[IMAGE_DIGEST_STR_SIZE];
    make_image("shared x", x);
    make_image("shared y", y);
    make_image("shared z", z);
    make_record("reg.example/x:1", x, 10);
    make_record("reg.example/y:1", y, 10);
    make_record("reg.example/z:1", z, 10);
    struct image_gc_result res;
    const char *keep_z[] = {"reg.example/z:1"};
    ck_assert_int_eq(gc(keep_z, 1, 0, &res), 0);
    ck_assert_uint_eq(res.images, 2);
    ck_assert(has_layer("shared") && has_layer("z") && !has_layer("x") && !has_layer("y"));
    ck_assert_int_eq(gc(NULL, 0, 0, &res), 0);
    ck_assert_uint_eq(res.images, 1);
    ck_assert_uint_eq(res.layers, 2);
    ck_assert(!has_layer("shared") && !has_layer("z"));
}
END_TEST

/* References as a manifest writes them: normalised, with digests, oci: through symlinks. */
START_TEST(test_reference_forms)
{
    char m[5][IMAGE_DIGEST_STR_SIZE], idx[IMAGE_DIGEST_STR_SIZE];
    make_image("l0", m[0]);
    make_image("l1", m[1]);
    make_image("l2", m[2]);
    make_image("l3", m[3]);
    make_image("l4", m[4]);
    digest_of("an index", idx);
    _cleanup_free_ char *layout = NULL, *link = NULL, *oci_key = NULL, *oci_ref = NULL;
    ck_assert_int_ge(asprintf(&layout, "%s/layout", tmpdir), 0);
    ck_assert_int_ge(asprintf(&link, "%s/link", tmpdir), 0);
    ck_assert_int_eq(mkdir(layout, 0755), 0);
    ck_assert_int_eq(symlink(layout, link), 0);
    ck_assert_int_ge(asprintf(&oci_key, "oci:%s:v1", layout), 0);
    ck_assert_int_ge(asprintf(&oci_ref, "oci:%s:v1", link), 0);
    _cleanup_free_ char *by_idx = NULL, *other_idx = NULL, *by_manifest = NULL;
    ck_assert_int_ge(asprintf(&by_idx, "reg.example/app@%s", idx), 0);
    ck_assert_int_ge(asprintf(&other_idx, "reg.example/other@%s", idx), 0);
    ck_assert_int_ge(asprintf(&by_manifest, "reg.example/app@%s", m[2]), 0);
    make_record("docker.io/library/busybox:latest", m[0], 10);
    make_record(by_idx, m[1], 10);    /* pulled by an index digest */
    make_record(other_idx, m[3], 10); /* same digest, other repository */
    make_record("reg.example/app:2", m[2], 10);
    make_record(oci_key, m[4], 10);
    _cleanup_free_ char *tagged_idx = NULL;
    ck_assert_int_ge(asprintf(&tagged_idx, "reg.example/app:9@%s", idx), 0);
    const char *refs[] = {"busybox", tagged_idx, by_manifest, oci_ref, "not a reference!"};
    struct image_gc_result res;
    ck_assert_int_eq(gc(refs, 5, 0, &res), 0);
    ck_assert_uint_eq(res.images, 1);
    ck_assert(!has_record(other_idx) && !has_layer("l3"));
    ck_assert(has_record("docker.io/library/busybox:latest") && has_record(by_idx) &&
              has_record("reg.example/app:2") && has_record(oci_key));
    ck_assert(has_layer("l0") && has_layer("l1") && has_layer("l2") && has_layer("l4"));
}
END_TEST

/* A newer pull moved the tag: the container's older manifest and its layers stay while the
 * container exists, and go after. */
START_TEST(test_container_keeps_replaced_image)
{
    char old[IMAGE_DIGEST_STR_SIZE], cur[IMAGE_DIGEST_STR_SIZE];
    make_image("base old", old);
    make_image("base new", cur);
    make_record("reg.example/app:latest", cur, 10);
    container_digests[0] = old;
    const char *refs[] = {"reg.example/app"};
    struct image_gc_result res;
    ck_assert_int_eq(gc(refs, 1, 0, &res), 0);
    ck_assert_uint_eq(res.images + res.layers + res.blobs, 0);
    ck_assert(has_blob(old) && has_layer("old"));
    /* --all: no manifest keeps anything, the container still does */
    ck_assert_int_eq(gc(NULL, 0, 0, &res), 0);
    ck_assert_uint_eq(res.images, 1);
    ck_assert(has_blob(old) && has_layer("old") && has_layer("base") && !has_layer("new"));
    container_digests[0] = NULL;
    ck_assert_int_eq(gc(NULL, 0, 0, &res), 0);
    ck_assert(!has_blob(old) && !has_layer("old") && !has_layer("base"));
}
END_TEST

/* A container whose manifest cannot be read: no layer or blob may go. */
START_TEST(test_unknown_container_image_is_safe)
{
    char a[IMAGE_DIGEST_STR_SIZE], missing[IMAGE_DIGEST_STR_SIZE];
    make_image("a", a);
    make_record("reg.example/a:1", a, 10);
    digest_of("never stored", missing);
    container_digests[0] = missing;
    struct image_gc_result res;
    ck_assert_int_eq(gc(NULL, 0, 0, &res), 0);
    ck_assert_int_eq(res.unsafe, 1);
    ck_assert(strstr(res.unsafe_msg, digest_hex(missing)));
    ck_assert_uint_eq(res.layers + res.blobs, 0);
    ck_assert(has_layer("a") && has_blob(a));
    container_digests[0] = NULL;
}
END_TEST

START_TEST(test_dry_run_changes_nothing)
{
    char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE];
    make_image("base a", a);
    make_image("base b", b);
    make_record("reg.example/a:1", a, 10);
    make_record("reg.example/b:1", b, 10);
    struct image_gc_result dry, real;
    ck_assert_int_eq(gc(NULL, 0, 1, &dry), 0);
    char dry_reported[sizeof(reported)];
    snprintf(dry_reported, sizeof(dry_reported), "%s", reported);
    ck_assert(has_record("reg.example/a:1") && has_record("reg.example/b:1"));
    ck_assert(has_layer("base") && has_layer("a") && has_layer("b") && has_blob(a) && has_blob(b));
    ck_assert_int_eq(gc(NULL, 0, 0, &real), 0);
    ck_assert_str_eq(dry_reported, reported);
    ck_assert_uint_eq(dry.images, real.images);
    ck_assert_uint_eq(dry.layers, real.layers);
    ck_assert_uint_eq(dry.blobs, real.blobs);
    ck_assert_uint_eq(dry.bytes, real.bytes);
}
END_TEST

START_TEST(test_min_age)
{
    char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE];
    make_image("a", a);
    make_image("b", b);
    make_record("reg.example/young:1", a, 30);
    make_record("reg.example/old:1", b, 3 * 3600);
    struct image_gc_opts o = {.min_age_ms = 3600 * 1000, .report = on_report};
    struct image_gc_result res;
    reported[0] = '\0';
    ck_assert_int_eq(image_gc(store, &o, &res, NULL), 0);
    ck_assert_str_eq(reported, "image reg.example/old:1;layer;");
    ck_assert_uint_eq(res.kept_young, 1);
    ck_assert(has_layer("a") && !has_layer("b"));
}
END_TEST

/* By thresholds: what no image needs first, then least recently used images one at a time
 * until enough() says so. */
static int enough_after;
static int enough_fn(void *ctx)
{
    (void)ctx;
    const char *p = reported;
    int images = 0;
    while ((p = strstr(p, "image ")))
        images++, p++;
    return images >= enough_after;
}

START_TEST(test_lru_until_enough)
{
    char m[4][IMAGE_DIGEST_STR_SIZE], dangling[IMAGE_DIGEST_STR_SIZE];
    make_image("used", m[0]);
    make_image("c", m[1]);
    make_image("d", m[2]);
    make_image("e", m[3]);
    make_layer("dangling", dangling);
    make_record("reg.example/used:1", m[0], 5000); /* the oldest, but in use */
    make_record("reg.example/e:1", m[3], 100);
    make_record("reg.example/c:1", m[1], 300);
    make_record("reg.example/d:1", m[2], 200);
    const char *refs[] = {"reg.example/used:1"};
    struct image_gc_opts o = {
        .keep_refs = refs, .n_keep_refs = 1, .enough = enough_fn, .report = on_report};
    struct image_gc_result res;
    reported[0] = '\0';
    enough_after = 2;
    ck_assert_int_eq(image_gc(store, &o, &res, NULL), 0);
    ck_assert_str_eq(reported, "layer;image reg.example/c:1;layer;image reg.example/d:1;layer;");
    ck_assert_int_eq(res.enough, 1);
    ck_assert(has_record("reg.example/e:1") && has_record("reg.example/used:1"));
    /* never enough: every unused image goes, then it stops */
    enough_after = 100;
    reported[0] = '\0';
    ck_assert_int_eq(image_gc(store, &o, &res, NULL), 0);
    ck_assert_str_eq(reported, "image reg.example/e:1;layer;");
    ck_assert_int_eq(res.enough, 0);
    ck_assert(has_record("reg.example/used:1") && has_layer("used"));
    o.dry_run = 1;
    ck_assert_int_eq(image_gc(store, &o, &res, NULL), -EINVAL);
}
END_TEST

/* An image handed out by image_lookup() holds the use lock shared until it is freed: a
 * collection cannot take it exclusive meanwhile. */
START_TEST(test_lookup_holds_off_gc)
{
    char a[IMAGE_DIGEST_STR_SIZE];
    make_image("a", a);
    make_record("reg.example/a:1", a, 3 * 3600);
    struct image_info info;
    struct tk_err err = {0};
    ck_assert_int_eq(image_lookup(store, "reg.example/a:1", &info, &err), 0);
    ck_assert(info.last_used_ns > (int64_t)(time(NULL) - 60) * 1000000000);
    ck_assert_int_eq(store_use_lock(store, 1, 1, NULL), -EWOULDBLOCK);
    int shared = store_use_lock(store, 0, 1, NULL);
    ck_assert_int_ge(shared, 0); /* users do not exclude each other */
    close(shared);
    image_info_free(&info);
    int ex = store_use_lock(store, 1, 1, NULL);
    ck_assert_int_ge(ex, 0);
    close(ex);
    /* the lookup counted as a use: with a min age, the image is now young */
    struct image_gc_opts o = {.min_age_ms = 3600 * 1000};
    struct image_gc_result res;
    ck_assert_int_eq(image_gc(store, &o, &res, NULL), 0);
    ck_assert_uint_eq(res.images, 0);
    ck_assert_uint_eq(res.kept_young, 1);
}
END_TEST

/* Chain IDs as the OCI image spec defines them (and containerd keys its snapshots). */
START_TEST(test_chain_ids)
{
    char a[IMAGE_DIGEST_STR_SIZE], b[IMAGE_DIGEST_STR_SIZE], c[IMAGE_DIGEST_STR_SIZE], s[256];
    char ab[IMAGE_DIGEST_STR_SIZE], abc[IMAGE_DIGEST_STR_SIZE];
    digest_of("a", a);
    digest_of("b", b);
    digest_of("c", c);
    snprintf(s, sizeof(s), "%s %s", a, b);
    digest_of(s, ab);
    snprintf(s, sizeof(s), "%s %s", ab, c);
    digest_of(s, abc);
    char *ids[] = {a, b, c, NULL}, **chain = NULL;
    ck_assert_int_eq(store_chain_ids(ids, 3, &chain), 0);
    ck_assert_str_eq(chain[0], a);
    ck_assert_str_eq(chain[1], ab);
    ck_assert_str_eq(chain[2], abc);
    ck_assert_ptr_null(chain[3]);
    img_strv_free(chain);
    char *bad[] = {a, "sha256:nothex", NULL};
    ck_assert_int_eq(store_chain_ids(bad, 2, &chain), -EINVAL);
}
END_TEST

/* The same layer over other lower layers is another directory: each goes with the last
 * image that needs it; the lower layers two images share are one directory. */
START_TEST(test_same_layer_over_other_lowers)
{
    char x[IMAGE_DIGEST_STR_SIZE], y[IMAGE_DIGEST_STR_SIZE], z[IMAGE_DIGEST_STR_SIZE];
    make_image("base mid top", x);
    make_image("other top", y);
    make_image("base mid side", z);
    make_record("reg.example/x:1", x, 10);
    make_record("reg.example/y:1", y, 10);
    make_record("reg.example/z:1", z, 10);
    ck_assert(has_chain("base mid top", 2) && has_chain("other top", 1));
    struct image_gc_result res;
    const char *keep_x[] = {"reg.example/x:1"};
    ck_assert_int_eq(gc(keep_x, 1, 0, &res), 0);
    ck_assert_uint_eq(res.images, 2);
    ck_assert_uint_eq(res.layers, 3); /* other, top over other, side */
    ck_assert(has_chain("base mid top", 0) && has_chain("base mid top", 1) &&
              has_chain("base mid top", 2));
    ck_assert(!has_chain("other top", 0) && !has_chain("other top", 1) &&
              !has_chain("base mid side", 2));
    struct image_info info;
    struct tk_err err = {0};
    ck_assert_int_eq(image_lookup(store, "reg.example/x:1", &info, &err), 0);
    ck_assert_uint_eq(info.n_layers, 3);
    char chain[8][IMAGE_DIGEST_STR_SIZE];
    size_t n;
    chain_of("base mid top", chain, &n);
    for (size_t i = 0; i < n; i++)
        ck_assert(strstr(info.layer_dirs[i], digest_hex(chain[i])));
    image_info_free(&info);
}
END_TEST

/* A store of an earlier version (upper layers by diff_id): its images still look up and
 * are kept whole; once a pull stored the layer by chain ID, the old directory goes, unless
 * a container (which may have been started from it) still exists. */
START_TEST(test_legacy_layer_dirs)
{
    char m[IMAGE_DIGEST_STR_SIZE], up[IMAGE_DIGEST_STR_SIZE];
    char chain[8][IMAGE_DIGEST_STR_SIZE];
    size_t n;
    make_image_as("base up", 1, m);
    make_record("reg.example/old:1", m, 10);
    digest_of("layer:up", up);
    chain_of("base up", chain, &n);
    struct image_info info;
    struct tk_err err = {0};
    ck_assert_int_eq(image_lookup(store, "reg.example/old:1", &info, &err), 0);
    ck_assert(strstr(info.layer_dirs[1], digest_hex(up)));
    image_info_free(&info);
    const char *keep[] = {"reg.example/old:1"};
    struct image_gc_result res;
    ck_assert_int_eq(gc(keep, 1, 0, &res), 0);
    ck_assert_uint_eq(res.layers, 0);
    ck_assert(has_layer("base") && has_layer("up"));
    /* pulled again: the layer by chain ID is used, the old directory is not needed */
    make_dir("up-new", chain[1]);
    ck_assert_int_eq(image_lookup(store, "reg.example/old:1", &info, &err), 0);
    ck_assert(strstr(info.layer_dirs[1], digest_hex(chain[1])));
    image_info_free(&info);
    container_digests[0] = m;
    ck_assert_int_eq(gc(keep, 1, 0, &res), 0);
    ck_assert_uint_eq(res.layers, 0);
    container_digests[0] = NULL;
    ck_assert_int_eq(gc(keep, 1, 0, &res), 0);
    ck_assert_uint_eq(res.layers, 1);
    ck_assert(!has_layer("up") && has_layer("up-new") && has_layer("base"));
    /* with neither directory, the image is missing a layer */
    _cleanup_free_ char *d = store_layer_dir(store, chain[1]);
    ck_assert_int_eq(tk_rm_rf(d), 0);
    ck_assert_int_eq(image_lookup(store, "reg.example/old:1", &info, &err), -ENOENT);
    ck_assert(strstr(err.msg, digest_hex(up)));
}
END_TEST

Suite *gc_suite(void)
{
    Suite *s = suite_create("gc");
    TCase *tc = tcase_create("gc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unused_image_and_its_layers);
    tcase_add_test(tc, test_shared_layer_refcount);
    tcase_add_test(tc, test_reference_forms);
    tcase_add_test(tc, test_container_keeps_replaced_image);
    tcase_add_test(tc, test_unknown_container_image_is_safe);
    tcase_add_test(tc, test_dry_run_changes_nothing);
    tcase_add_test(tc, test_min_age);
    tcase_add_test(tc, test_lru_until_enough);
    tcase_add_test(tc, test_lookup_holds_off_gc);
    tcase_add_test(tc, test_chain_ids);
    tcase_add_test(tc, test_same_layer_over_other_lowers);
    tcase_add_test(tc, test_legacy_layer_dirs);
    suite_add_tcase(s, tc);
    return s;
}
