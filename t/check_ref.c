/* Unit tests: image references and content digests. */
#include <check.h>
#include <string.h>

#include "image/digest.h"

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

Suite *ref_suite(void)
{
    Suite *s = suite_create("ref");
    TCase *tc = tcase_create("digest");
    tcase_add_test(tc, digest_known_vectors);
    tcase_add_test(tc, digest_streaming_equals_oneshot);
    tcase_add_test(tc, digest_equal);
    suite_add_tcase(s, tc);
    return s;
}
