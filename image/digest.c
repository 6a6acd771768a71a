/* SHA-256 digests over libcrypto's EVP interface. */
#include "image/digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct image_hasher {
    EVP_MD_CTX *md;
};

struct image_hasher *image_hasher_new(void)
{
    struct image_hasher *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->md = EVP_MD_CTX_new();
    if (!h->md || image_hasher_reset(h) < 0) {
        image_hasher_free(h);
        return NULL;
    }
    return h;
}

void image_hasher_free(struct image_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md);
    free(h);
}

int image_hasher_reset(struct image_hasher *h)
{
    return EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int image_hasher_update(struct image_hasher *h, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    return EVP_DigestUpdate(h->md, data, len) == 1 ? 0 : -EIO;
}

int image_hasher_final(struct image_hasher *h, char out[IMAGE_DIGEST_STR_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_DigestFinal_ex(h->md, md, &n) != 1 || n != 32)
        return -EIO;
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < n; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 0xf];
    }
    out[7 + 64] = '\0';
    return image_hasher_reset(h);
}

int image_digest_buf(const void *data, size_t len, char out[IMAGE_DIGEST_STR_SIZE])
{
    _cleanup_hasher_ struct image_hasher *h = image_hasher_new();
    int r;

    if (!h)
        return -ENOMEM;
    r = image_hasher_update(h, data, len);
    if (r < 0)
        return r;
    return image_hasher_final(h, out);
}

int image_digest_equal(const char *a, const char *b)
{
    size_t la, lb;
    unsigned char diff = 0;

    if (!a || !b)
        return 0;
    la = strlen(a);
    lb = strlen(b);
    if (la != lb)
        return 0;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}
