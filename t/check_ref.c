/* Unit tests: image references and content digests. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/ref.h"

static const char EMPTY_SHA[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char ABC_SHA[] =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

START_TEST(digest_known_vectors)
{
    char d[IMAGE_DIGEST_STR_SIZE];
    ck_assert_int_eq(image_digest_buf("", 0, d), 0);
    ck_assert_str_eq(d, EMPTY_SHA);
    ck_assert_int_eq(image_digest_buf("abc", 3, d), 0);
    ck_assert_str_eq(d, ABC_SHA);
}
END_TEST

START_TEST(digest_streaming_equals_oneshot)
{
    static char big[1 << 20];
    char one[IMAGE_DIGEST_STR_SIZE], streamed[IMAGE_DIGEST_STR_SIZE];
    _cleanup_hasher_ struct image_hasher *h = image_hasher_new();

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 131 + (i >> 9));
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(image_digest_buf(big, sizeof(big), one), 0);
    /* odd-sized chunks, a reset in the middle discards what came before */
    ck_assert_int_eq(image_hasher_update(h, "garbage", 7), 0);
    ck_assert_int_eq(image_hasher_reset(h), 0);
    for (size_t off = 0; off < sizeof(big);) {
        size_t n = 1 + (off * 7919) % 65521;
        if (n > sizeof(big) - off)
            n = sizeof(big) - off;
        ck_assert_int_eq(image_hasher_update(h, big + off, n), 0);
        off += n;
    }
    ck_assert_int_eq(image_hasher_final(h, streamed), 0);
    ck_assert_str_eq(streamed, one);
    /* final resets: the hasher is reusable */
    ck_assert_int_eq(image_hasher_update(h, "abc", 3), 0);
    ck_assert_int_eq(image_hasher_final(h, streamed), 0);
    ck_assert_str_eq(streamed, ABC_SHA);
}
END_TEST

START_TEST(digest_equal)
{
    ck_assert(image_digest_equal(ABC_SHA, ABC_SHA));
    ck_assert(!image_digest_equal(ABC_SHA, EMPTY_SHA));
    ck_assert(!image_digest_equal(ABC_SHA, "sha256:ba78"));
    ck_assert(!image_digest_equal(NULL, ABC_SHA));
}
END_TEST

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *in, *registry, *repository, *tag, *digest, *canonical;
} good_refs[] = {
    {"busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest"},
    {"busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
     "docker.io/library/busybox:1.36"},
    {"user/app:1.2", "docker.io", "user/app", "1.2", NULL, "docker.io/user/app:1.2"},
    {"docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
     "docker.io/library/busybox:latest"},
    {"index.docker.io/user/app", "docker.io", "user/app", "latest", NULL,
     "docker.io/user/app:latest"},
    {"quay.io/org/sub/app:v1", "quay.io", "org/sub/app", "v1", NULL, "quay.io/org/sub/app:v1"},
    {"localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest"},
    {"127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", NULL, "127.0.0.1:5000/app:latest"},
    {"127.0.0.1:5000/a/b:tag", "127.0.0.1:5000", "a/b", "tag", NULL, "127.0.0.1:5000/a/b:tag"},
    {"[::1]:5000/app:x", "[::1]:5000", "app", "x", NULL, "[::1]:5000/app:x"},
    {"app@sha256:" D64, "docker.io", "library/app", NULL, "sha256:" D64,
     "docker.io/library/app@sha256:" D64},
    {"host:1/app:t@sha256:" D64, "host:1", "app", "t", "sha256:" D64, "host:1/app:t@sha256:" D64},
    {"a.b-c/e__f---g.h_i:T_a.g-", "a.b-c", "e__f---g.h_i", "T_a.g-", NULL,
     "a.b-c/e__f---g.h_i:T_a.g-"},
    {"Registry.Example/app", "Registry.Example", "app", "latest", NULL,
     "Registry.Example/app:latest"},
    /* a lone host:port is a name and a tag, as in Docker */
    {"localhost:5000", "docker.io", "library/localhost", "5000", NULL,
     "docker.io/library/localhost:5000"},
};

START_TEST(ref_good)
{
    struct image_ref r;
    struct tk_err err = {0};
    int rc = image_ref_parse(good_refs[_i].in, &r, &err);
    ck_assert_msg(rc == 0, "%s: %s", good_refs[_i].in, err.msg);
    ck_assert_int_eq(r.kind, IMAGE_REF_REGISTRY);
    ck_assert_str_eq(r.registry, good_refs[_i].registry);
    ck_assert_str_eq(r.repository, good_refs[_i].repository);
    ck_assert_pstr_eq(r.tag, good_refs[_i].tag);
    ck_assert_pstr_eq(r.digest, good_refs[_i].digest);
    ck_assert_str_eq(r.canonical, good_refs[_i].canonical);
    /* the canonical form parses to itself */
    struct image_ref again;
    ck_assert_int_eq(image_ref_parse(r.canonical, &again, &err), 0);
    ck_assert_str_eq(again.canonical, r.canonical);
    image_ref_free(&again);
    image_ref_free(&r);
    ck_assert_ptr_null(r.canonical);
}
END_TEST

static const struct {
    const char *in, *why;
} bad_refs[] = {
    {"", "empty reference"},
    {"Busybox", "repository name must be lowercase"},
    {"user/App:1", "repository name must be lowercase"},
    {"busybox:", "empty tag"},
    {"busybox:-x", "invalid tag '-x'"},
    {"busybox:a b", "invalid tag 'a b'"},
    {"busybox@sha256:abc", "digest must be 'sha256:' and 64 lowercase hex digits"},
    {"busybox@sha256:" D64 "00", "digest must be"},
    {"busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
     "digest must be"},
    {"busybox@sha512:" D64, "unsupported digest algorithm"},
    {"busybox@", "digest must be"},
    {":tag", "empty repository name"},
    {"/app", "empty path component"},
    {"host:5000/app//x", "empty path component"},
    {"user/-app", "must start and end with a letter or digit"},
    {"user/app-", "must start and end with a letter or digit"},
    {"user/a___b", "must start and end with a letter or digit"},
    {"user/a%b", "invalid character '%' in repository name"},
    {"host:port/app", "invalid registry host 'host:port'"},
    {"a_b.io/app", "invalid registry host 'a_b.io'"},
    {"-host.io/app", "invalid registry host '-host.io'"},
    {D64, "image id, not a name"},
    {"oci:", "empty oci layout path"},
    {"oci:/x:", "empty tag"},
};

START_TEST(ref_bad)
{
    struct image_ref r;
    struct tk_err err = {0};
    ck_assert_int_eq(image_ref_parse(bad_refs[_i].in, &r, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, bad_refs[_i].why), "%s: got '%s'", bad_refs[_i].in, err.msg);
    ck_assert_msg(!strncmp(err.msg, "invalid reference '", 19), "%s", err.msg);
    ck_assert_ptr_null(r.repository);
}
END_TEST

START_TEST(ref_too_long)
{
    char name[300], tag[140], s[600];
    struct image_ref r;
    struct tk_err err = {0};

    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    ck_assert_int_eq(image_ref_parse(name, &r, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "repository name longer than 255 characters"));
    name[255] = '\0';
    ck_assert_int_eq(image_ref_parse(name + 10, &r, &err), 0); /* 245 + "library/" is fine */
    image_ref_free(&r);

    memset(tag, 't', sizeof(tag) - 1);
    tag[sizeof(tag) - 1] = '\0';
    snprintf(s, sizeof(s), "app:%s", tag);
    ck_assert_int_eq(image_ref_parse(s, &r, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "tag longer than 128 characters"));
    tag[128] = '\0';
    snprintf(s, sizeof(s), "app:%s", tag);
    ck_assert_int_eq(image_ref_parse(s, &r, &err), 0);
    image_ref_free(&r);

    char *huge = malloc(10000);
    memset(huge, 'a', 9999);
    huge[9999] = '\0';
    ck_assert_int_eq(image_ref_parse(huge, &r, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "longer than"));
    ck_assert_uint_lt(strlen(err.msg), 200);
    free(huge);
}
END_TEST

START_TEST(ref_oci_layout)
{
    struct image_ref r;
    struct tk_err err = {0};
    char cwd[PATH_MAX], want[PATH_MAX + 64];

    ck_assert_int_eq(image_ref_parse("oci:/srv/images/busybox", &r, &err), 0);
    ck_assert_int_eq(r.kind, IMAGE_REF_OCI_LAYOUT);
    ck_assert_ptr_null(r.registry);
    ck_assert_str_eq(r.repository, "/srv/images/busybox");
    ck_assert_str_eq(r.tag, "latest");
    ck_assert_ptr_null(r.digest);
    ck_assert_str_eq(r.canonical, "oci:/srv/images/busybox:latest");
    image_ref_free(&r);

    ck_assert_int_eq(image_ref_parse("oci:/srv/img:v1.2", &r, &err), 0);
    ck_assert_str_eq(r.repository, "/srv/img");
    ck_assert_str_eq(r.tag, "v1.2");
    image_ref_free(&r);

    /* a relative layout path is made absolute against the current directory */
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(image_ref_parse("oci:build/oci/busybox:t", &r, &err), 0);
    snprintf(want, sizeof(want), "%s/build/oci/busybox", cwd);
    ck_assert_str_eq(r.repository, want);
    image_ref_free(&r);
}
END_TEST

START_TEST(digest_valid)
{
    ck_assert(image_digest_valid(ABC_SHA));
    ck_assert(!image_digest_valid("sha256:" D64 "0"));
    ck_assert(!image_digest_valid(&("sha256:" D64)[1]));
    ck_assert(!image_digest_valid("sha512:" D64));
    ck_assert(!image_digest_valid("SHA256:" D64));
    ck_assert(!image_digest_valid(NULL));
}
END_TEST

Suite *ref_suite(void)
{
    Suite *s = suite_create("ref");
    TCase *tc = tcase_create("digest");
    tcase_add_test(tc, digest_known_vectors);
    tcase_add_test(tc, digest_streaming_equals_oneshot);
    tcase_add_test(tc, digest_equal);
    tcase_add_test(tc, digest_valid);
    suite_add_tcase(s, tc);
    tc = tcase_create("ref");
    tcase_add_loop_test(tc, ref_good, 0, (int)(sizeof(good_refs) / sizeof(good_refs[0])));
    tcase_add_loop_test(tc, ref_bad, 0, (int)(sizeof(bad_refs) / sizeof(bad_refs[0])));
    tcase_add_test(tc, ref_too_long);
    tcase_add_test(tc, ref_oci_layout);
    suite_add_tcase(s, tc);
    return s;
}
