/* Image references: arbitrary bytes (up to the first NUL) through image_ref_parse(); a
 * parsed reference must parse again to the same canonical form. */
#include "fuzz/fuzz.h"

#include "base/err.h"
#include "image/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    struct image_ref ref = {0};
    struct tk_err err = {0};
    image_digest_valid(s);
    if (image_ref_parse(s, &ref, &err) == 0) {
        if (!ref.canonical)
            abort();
        struct image_ref again = {0};
        if (ref.kind == IMAGE_REF_REGISTRY) {
            /* normalisation is idempotent (the longer canonical form may exceed the
             * length limit: only a successful second parse is compared) */
            if (image_ref_parse(ref.canonical, &again, &err) == 0 &&
                strcmp(again.canonical, ref.canonical) != 0)
                abort();
        }
        image_ref_free(&again);
    }
    image_ref_free(&ref);
    free(s);
    return 0;
}
