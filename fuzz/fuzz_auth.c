/* Registry authentication text: the input goes through every parser of image/auth.h — as a
 * WWW-Authenticate header, a Docker-style auth file (looked up for a registry host and for
 * docker.io), a token server's answer and a registry error body. */
#include "fuzz/fuzz.h"

#include "image/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct tk_err err = {0};

    struct image_auth_challenge c = {0};
    if (image_auth_parse_challenge(text, size, &c, &err) == 0 && c.scheme == IMAGE_AUTH_BEARER &&
        !c.realm)
        abort(); /* documented: a Bearer challenge without a realm is refused */
    image_auth_challenge_free(&c);

    static const char *const hosts[] = {"127.0.0.1:5000", "docker.io"};
    for (size_t i = 0; i < 2; i++) {
        struct image_auth_creds cr = {0};
        image_auth_file_lookup(text, size, hosts[i], &cr, &err);
        image_auth_creds_free(&cr);
    }

    struct image_auth_token t = {0};
    if (image_auth_parse_token(text, size, 1767225600, &t, &err) == 0 && !t.token)
        abort();
    image_auth_token_free(&t);

    free(image_auth_registry_error(text, size));
    return 0;
}
