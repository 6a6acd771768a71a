/* configMap and secret volumes (items, defaultMode, optional), as Kubernetes reads them. */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

/* items[].path: relative, without ".." components, not starting with "..". */
static bool is_item_path(const char *s)
{
    if (!*s || s[0] == '/' || !strncmp(s, "..", 2))
        return false;
    for (const char *p = s; *p;) {
        size_t l = strcspn(p, "/");
        if ((l == 2 && p[0] == '.' && p[1] == '.') || l == 0)
            return false;
        p += l;
        p += *p == '/';
    }
    return true;
}

static void f_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_volume *vol = obj;
    want_checked(w, v, path, &vol->ref_name, spec_is_dns1123_subdomain,
                 "a valid ConfigMap or Secret name (a DNS subdomain)");
}

static void f_optional(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_volume *vol = obj;
    want_bool(w, v, path, &vol->optional);
}

/* A file mode: an integer as YAML 1.1 reads it (0644 is octal, as Kubernetes reads it;
 * 420 is decimal, as JSON writes it), 0 to 0777. */
static bool want_mode(struct walk *w, const struct ynode *v, const char *path, int32_t *out)
{
    char *end = NULL;
    if (v->type != YN_SCALAR || v->kind != YS_INT)
        return want_int(w, v, path, 0, 0777, &(int64_t){0});
    const char *s = v->value + (v->value[0] == '+');
    int base = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : s[0] == '0' && s[1] ? 8 : 10;
    long m = strtol(base == 16 ? s + 2 : s, &end, base);
    if (!*s || *end || m < 0 || m > 0777) {
        werr(w, v, path, "'%.40s' is not a file mode (0 to 0777)", v->value);
        return false;
    }
    *out = (int32_t)m;
    return true;
}

static void f_default_mode(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_volume *vol = obj;
    want_mode(w, v, path, &vol->default_mode);
}

static void f_item_key(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_key_path *it = obj;
    want_str(w, v, path, &it->key);
}

static void f_item_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_key_path *it = obj;
    want_checked(w, v, path, &it->path, is_item_path, "a relative path without '..' components");
}

static void f_item_mode(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_key_path *it = obj;
    want_mode(w, v, path, &it->mode);
}

/* An items list (configMap, secret and downwardAPI volumes): each entry a mapping read by
 * fields into a struct spec_key_path (mode -1 when unset), then checked whole by check. */
static void read_items(struct walk *w, const struct ynode *v, const char *path,
                       struct spec_volume *vol, const struct field *fields, size_t n_fields,
                       void (*check)(struct walk *w, const struct ynode *item, const char *path,
                                     const struct spec_key_path *it))
{
    if (!want_seq(w, v, path))
        return;
    vol->items = tk_xcalloc(v->n, sizeof(*vol->items));
    vol->n_items = v->n;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_key_path *it = &vol->items[i];
        it->mode = -1;
        if (walk_map(w, v->items[i], p, fields, n_fields, it))
            check(w, v->items[i], p, it);
    }
}

static void require(struct walk *w, const struct ynode *item, const char *path, const char *key,
                    bool set)
{
    if (!set && ynode_is_null(ynode_get(item, key)))
        wreq(w, item, path, key, NULL);
}

static void check_item(struct walk *w, const struct ynode *item, const char *path,
                       const struct spec_key_path *it)
{
    require(w, item, path, "key", it->key);
    require(w, item, path, "path", it->path);
}

static void f_items(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"key", f_item_key}, {"path", f_item_path}, {"mode", f_item_mode}};
    read_items(w, v, path, obj, fields, TK_ARRAY_SIZE(fields), check_item);
}

static void read_source(struct walk *w, const struct ynode *v, const char *path,
                        struct spec_volume *vol, enum spec_volume_kind kind, bool projected)
{
    static const struct field cm_fields[] = {{"name", f_ref},
                                             {"items", f_items},
                                             {"defaultMode", f_default_mode},
                                             {"optional", f_optional}};
    static const struct field secret_fields[] = {{"secretName", f_ref},
                                                 {"items", f_items},
                                                 {"defaultMode", f_default_mode},
                                                 {"optional", f_optional}};
    bool secret = kind == SPEC_VOLUME_SECRET && !projected; /* (projected: "name") */
    if (!walk_first_source(w))
        return;
    vol->kind = kind;
    vol->default_mode = 0644;
    if (!walk_map(w, v, path, secret ? secret_fields : cm_fields, 4, vol))
        return;
    if (!vol->ref_name && ynode_is_null(ynode_get(v, secret ? "secretName" : "name")))
        wreq(w, v, path, secret ? "secretName" : "name", NULL);
}

void f_configmap_volume(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_source(w, v, path, obj, SPEC_VOLUME_CONFIGMAP, false);
}

void f_secret_volume(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_source(w, v, path, obj, SPEC_VOLUME_SECRET, false);
}

/* downwardAPI items: fieldRef paths a file can show (the labels and annotations whole or by
 * key). */
static bool is_volume_field(const char *s)
{
    static const char *const paths[] = {"metadata.name", "metadata.namespace", "metadata.uid",
                                        "metadata.labels", "metadata.annotations"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(paths); i++)
        if (!strcmp(s, paths[i]))
            return true;
    return spec_is_metadata_key_ref(s);
}

static void f_dw_field_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_key_path *it = obj;
    want_checked(w, v, path, &it->key, is_volume_field,
                 "a fieldPath a downwardAPI volume shows (metadata.name, metadata.namespace, "
                 "metadata.uid, metadata.labels, metadata.annotations, "
                 "metadata.labels['KEY'], metadata.annotations['KEY'])");
}

static void f_dw_field_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"fieldPath", f_dw_field_path}, {"apiVersion", NULL}};
    struct spec_key_path *it = obj;
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), it) && !it->key &&
        ynode_is_null(ynode_get(v, "fieldPath")))
        wreq(w, v, path, "fieldPath", NULL);
}

static void check_dw_item(struct walk *w, const struct ynode *item, const char *path,
                          const struct spec_key_path *it)
{
    require(w, item, path, "path", it->path);
    bool has_f = !ynode_is_null(ynode_get(item, "fieldRef"));
    bool has_r = !ynode_is_null(ynode_get(item, "resourceFieldRef"));
    if (has_f && has_r)
        werr(w, item, path, "only one of fieldRef and resourceFieldRef may be given");
    else if (!has_f && !has_r)
        wreq(w, item, path, "fieldRef", "or resourceFieldRef");
}

static void f_dw_items(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"path", f_item_path},
                                          {"fieldRef", f_dw_field_ref},
                                          {"resourceFieldRef", f_dw_resource_ref},
                                          {"mode", f_item_mode}};
    read_items(w, v, path, obj, fields, TK_ARRAY_SIZE(fields), check_dw_item);
}

void f_downward_volume(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"items", f_dw_items}, {"defaultMode", f_default_mode}};
    struct spec_volume *vol = obj;
    if (!walk_first_source(w))
        return;
    vol->kind = SPEC_VOLUME_DOWNWARD_API;
    vol->default_mode = 0644;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), vol);
}

static void f_pj_configmap(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_source(w, v, path, obj, SPEC_VOLUME_CONFIGMAP, true);
}

static void f_pj_secret(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_source(w, v, path, obj, SPEC_VOLUME_SECRET, true);
}

static void f_pj_sources(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"configMap", f_pj_configmap}, {"secret", f_pj_secret}, {"downwardAPI", f_downward_volume}};
    struct spec_volume *vol = obj;
    if (!want_seq(w, v, path))
        return;
    vol->sources = tk_xcalloc(v->n, sizeof(*vol->sources));
    vol->n_sources = v->n;
    int outer = w->sources;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        w->sources = 0;
        if (walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), &vol->sources[i]) &&
            w->sources != 1)
            werr(w, v->items[i], p, "give exactly one of configMap, secret and downwardAPI");
    }
    w->sources = outer;
}

void f_projected_volume(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"sources", f_pj_sources},
                                          {"defaultMode", f_default_mode}};
    struct spec_volume *vol = obj;
    if (!walk_first_source(w))
        return;
    vol->kind = SPEC_VOLUME_PROJECTED;
    vol->default_mode = 0644;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), vol);
    for (size_t i = 0; i < vol->n_sources; i++)
        if (vol->sources[i].default_mode == 0644) /* the projection's mode is the volume's */
            vol->sources[i].default_mode = vol->default_mode;
}
