/* Image manifests, indexes / manifest lists and platform selection (OCI and Docker
 * schema2 media types). */
#include "image/internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/buf.h"
#include "base/cleanup.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

static void json_decref_p(json_t **j)
{
    if (*j)
        json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(json_decref_p)))

static json_t *parse_json(const char *body, size_t len, const char *what, struct tk_err *err)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!j) {
        tk_err_set(err, -EINVAL, "parse %s: %s (line %d)", what, je.text, je.line);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        tk_err_set(err, -EINVAL, "parse %s: not a JSON object", what);
        return NULL;
    }
    return j;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int img_is_index(const char *media_type, const char *body, size_t len)
{
    if (media_type && (!strcmp(media_type, MT_OCI_INDEX) || !strcmp(media_type, MT_DOCKER_LIST)))
        return 1;
    if (media_type &&
        (!strcmp(media_type, MT_OCI_MANIFEST) || !strcmp(media_type, MT_DOCKER_MANIFEST)))
        return 0;
    _cleanup_json_ json_t *j = json_loadb(body, len, 0, NULL);
    if (!json_is_object(j))
        return 0;
    const char *mt = jstr(j, "mediaType");
    if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)))
        return 1;
    return json_is_array(json_object_get(j, "manifests")) && !json_object_get(j, "layers");
}

/* This machine as an OCI platform (GOARCH names). */
static void host_platform(const char **arch, const char **variant)
{
    static struct utsname u;
    *variant = NULL;
    if (uname(&u) < 0) {
        *arch = "amd64";
        return;
    }
    static const struct {
        const char *machine, *arch, *variant;
    } map[] = {
        {"x86_64", "amd64", NULL},    {"aarch64", "arm64", "v8"}, {"armv7l", "arm", "v7"},
        {"armv6l", "arm", "v6"},      {"i686", "386", NULL},      {"i386", "386", NULL},
        {"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},   {"riscv64", "riscv64", NULL},
    };
    for (size_t i = 0; i < TK_ARRAY_SIZE(map); i++) {
        if (!strcmp(u.machine, map[i].machine)) {
            *arch = map[i].arch;
            *variant = map[i].variant;
            return;
        }
    }
    *arch = u.machine;
}

int img_index_select(const char *body, size_t len, char **digest, struct tk_err *err)
{
    _cleanup_json_ json_t *j = parse_json(body, len, "image index", err);
    if (!j)
        return err ? err->code : -EINVAL;
    json_t *list = json_object_get(j, "manifests");
    if (!json_is_array(list))
        return tk_err_set(err, -EINVAL, "parse image index: no \"manifests\" array");
    const char *arch, *variant;
    host_platform(&arch, &variant);
    const char *best = NULL;
    int best_score = 0;
    _cleanup_buf_ struct tk_buf offered = TK_BUF_INIT;
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m)
    {
        json_t *p = json_object_get(m, "platform");
        const char *d = jstr(m, "digest"), *os = jstr(p, "os"), *a = jstr(p, "architecture");
        const char *v = jstr(p, "variant");
        if (!d || !os || !a)
            continue;
        tk_buf_addf(&offered, "%s%s/%s%s%s", offered.len ? ", " : "", os, a, v ? "/" : "",
                    v ? v : "");
        if (strcmp(os, "linux") || strcmp(a, arch))
            continue;
        /* exact variant > none given > another variant (arm64 images often omit "v8";
         * amd64 ones may say v2/v3 where this machine names none) */
        int score = (v && variant && !strcmp(v, variant)) ? 3 : !v ? 2 : 1;
        if (score > best_score) {
            best = d;
            best_score = score;
        }
    }
    if (!best)
        return tk_err_set(err, -ENOENT, "no image for linux/%s%s%s in the index (offered: %s)",
                          arch, variant ? "/" : "", variant ? variant : "",
                          offered.len ? offered.s : "nothing");
    if (!image_digest_valid(best))
        return tk_err_set(err, -EINVAL, "image index: invalid digest '%s'", best);
    *digest = strdup(best);
    return *digest ? 0 : -ENOMEM;
}

int img_layout_index_find(const char *body, size_t len, const char *tag, char **digest,
                          char **media_type, struct tk_err *err)
{
    _cleanup_json_ json_t *j = parse_json(body, len, "index.json", err);
    if (!j)
        return err ? err->code : -EINVAL;
    json_t *list = json_object_get(j, "manifests");
    if (!json_is_array(list))
        return tk_err_set(err, -EINVAL, "parse index.json: no \"manifests\" array");
    json_t *found = NULL, *m;
    size_t i, unnamed = 0;
    json_array_foreach(list, i, m)
    {
        const char *name =
            jstr(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name");
        if (!name)
            unnamed++;
        if (name && tag && !strcmp(name, tag)) {
            found = m;
            break;
        }
    }
    /* A layout holding a single, unnamed image: take it. */
    if (!found && json_array_size(list) == 1 && unnamed == 1)
        found = json_array_get(list, 0);
    if (!found)
        return tk_err_set(err, -ENOENT, "image not found: no tag '%s' in the layout", tag);
    const char *d = jstr(found, "digest"), *mt = jstr(found, "mediaType");
    if (!d || !image_digest_valid(d))
        return tk_err_set(err, -EINVAL, "index.json: tag '%s' has no valid digest", tag);
    *digest = strdup(d);
    *media_type = mt ? strdup(mt) : NULL;
    return *digest ? 0 : -ENOMEM;
}

void img_manifest_free(struct img_manifest *m)
{
    if (!m)
        return;
    free(m->config_digest);
    for (size_t i = 0; i < m->n_layers; i++) {
        free(m->layers[i].digest);
        free(m->layers[i].media_type);
    }
    free(m->layers);
    memset(m, 0, sizeof(*m));
}

static int parse_descriptor(json_t *d, char **digest, char **mt, int64_t *size, const char *what,
                            struct tk_err *err)
{
    const char *dg = jstr(d, "digest"), *t = jstr(d, "mediaType");
    json_t *sz = json_object_get(d, "size");
    if (!dg || !image_digest_valid(dg))
        return tk_err_set(err, -EINVAL, "parse manifest: %s has no valid sha256 digest", what);
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return tk_err_set(err, -EINVAL, "parse manifest: %s has no valid size", what);
    *size = json_integer_value(sz);
    *digest = strdup(dg);
    if (mt)
        *mt = t ? strdup(t) : NULL;
    return *digest ? 0 : -ENOMEM;
}

int img_manifest_parse(const char *body, size_t len, struct img_manifest *m, struct tk_err *err)
{
    memset(m, 0, sizeof(*m));
    _cleanup_json_ json_t *j = parse_json(body, len, "manifest", err);
    if (!j)
        return err ? err->code : -EINVAL;
    json_t *sv = json_object_get(j, "schemaVersion");
    if (json_is_integer(sv) && json_integer_value(sv) == 1)
        return tk_err_set(err, -ENOTSUP, "unsupported manifest: Docker schema 1");
    const char *mt = jstr(j, "mediaType");
    if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
        return tk_err_set(err, -ENOTSUP, "unsupported manifest media type '%s'", mt);
    json_t *layers = json_object_get(j, "layers");
    json_t *config = json_object_get(j, "config");
    if (!json_is_object(config) || !json_is_array(layers))
        return tk_err_set(err, -EINVAL, "parse manifest: no \"config\" or \"layers\"");
    int r = parse_descriptor(config, &m->config_digest, NULL, &m->config_size, "config", err);
    if (r < 0)
        return r;
    if (m->config_size > (int64_t)IMG_CONFIG_MAX) {
        r = tk_err_set(err, -EFBIG, "image config is %lld bytes, more than the %u MiB allowed",
                       (long long)m->config_size, IMG_CONFIG_MAX >> 20);
        img_manifest_free(m);
        return r;
    }
    if (json_array_size(layers) > IMG_MAX_LAYERS)
        return tk_err_set(err, -E2BIG, "image has %zu layers, at most %d can be stacked",
                          json_array_size(layers), IMG_MAX_LAYERS);
    m->layers = calloc(json_array_size(layers) + 1, sizeof(*m->layers));
    if (!m->layers) {
        img_manifest_free(m);
        return tk_err_sys(err, -ENOMEM, "parse manifest");
    }
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        struct img_layer_desc *d = &m->layers[m->n_layers++];
        char what[32];
        snprintf(what, sizeof(what), "layer %zu", i);
        r = parse_descriptor(l, &d->digest, &d->media_type, &d->size, what, err);
        if (r < 0) {
            img_manifest_free(m);
            return r;
        }
        if (d->media_type && strstr(d->media_type, "nondistributable")) {
            r = tk_err_set(err, -ENOTSUP, "unsupported layer media type '%s'", d->media_type);
            img_manifest_free(m); /* after the message: it frees d->media_type */
            return r;
        }
    }
    return 0;
}
