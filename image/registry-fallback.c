/* Weak fallbacks for the registry client until image/registry.c lands: every call fails
 * with -ENOSYS. The real definitions override these at link time. */
#include "image/registry.h"

#include <errno.h>
#include <stdlib.h>

__attribute__((weak)) int registry_client_new(struct registry_client **out,
                                              const struct registry_opts *opts,
                                              struct tk_err *err)
{
    (void)opts;
    *out = NULL;
    return tk_err_set(err, -ENOSYS, "registry client: not implemented yet");
}

__attribute__((weak)) void registry_client_free(struct registry_client *c)
{
    (void)c;
}

__attribute__((weak)) void registry_manifest_free(struct registry_manifest *m)
{
    (void)m;
}

__attribute__((weak)) int registry_get_manifest(struct registry_client *c,
                                                const struct image_ref *ref,
                                                const char *reference,
                                                struct registry_manifest *out,
                                                struct tk_err *err)
{
    (void)c, (void)ref, (void)reference, (void)out;
    return tk_err_set(err, -ENOSYS, "registry client: not implemented yet");
}

__attribute__((weak)) int registry_get_blob(struct registry_client *c,
                                            const struct image_ref *ref, const char *digest,
                                            int64_t expected_size, registry_sink_fn sink,
                                            int (*reset)(void *ctx, struct tk_err *err),
                                            void *ctx, struct tk_err *err)
{
    (void)c, (void)ref, (void)digest, (void)expected_size, (void)sink, (void)reset, (void)ctx;
    return tk_err_set(err, -ENOSYS, "registry client: not implemented yet");
}

__attribute__((weak)) int registry_get_blob_mem(struct registry_client *c,
                                                const struct image_ref *ref, const char *digest,
                                                size_t max, char **out, size_t *len,
                                                struct tk_err *err)
{
    (void)c, (void)ref, (void)digest, (void)max, (void)out, (void)len;
    return tk_err_set(err, -ENOSYS, "registry client: not implemented yet");
}
