/* Registry JSON: arbitrary bytes as a manifest body, through every parser a pull hands a
 * manifest to: the index test, platform selection from an OCI index / Docker manifest list,
 * tag lookup in an OCI layout's index.json, and the image manifest parser (OCI and Docker
 * schema2). */
#include "fuzz/fuzz.h"

#include "image/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    struct tk_err err = {0};
    img_is_index(NULL, body, size);
    img_is_index(REGISTRY_MT_OCI_INDEX, body, size);

    char *digest = NULL, *media_type = NULL;
    if (img_index_select(body, size, &digest, &err) == 0 && !image_digest_valid(digest))
        abort(); /* a selected manifest always has a well-formed digest */
    free(digest);
    digest = NULL;
    img_layout_index_find(body, size, "latest", &digest, &media_type, &err);
    free(digest);
    free(media_type);

    struct img_manifest m = {0};
    if (img_manifest_parse(body, size, &m, &err) == 0) {
        if (!image_digest_valid(m.config_digest))
            abort();
        for (size_t i = 0; i < m.n_layers; i++)
            if (!image_digest_valid(m.layers[i].digest) || m.layers[i].size < 0)
                abort(); /* digests and sizes are checked before anything is fetched */
    }
    img_manifest_free(&m);
    return 0;
}
