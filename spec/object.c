/* kind ConfigMap and kind Secret: one document to one struct spec_object, validated as
 * Kubernetes validates them (keys, base64, the required keys of a Secret's type, 1 MiB). */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/sort.h"
#include "base/cleanup.h"
#include "base/alloc.h"

const char *spec_object_kind_to_string(enum spec_object_kind k)
{
    return k == SPEC_SECRET ? "Secret" : k == SPEC_PVC ? "PersistentVolumeClaim" : "ConfigMap";
}

void spec_object_free(struct spec_object *o)
{
    if (!o)
        return;
    for (size_t i = 0; o->data && i < o->n_data; i++) {
        free(o->data[i].key);
        explicit_bzero(o->data[i].value, o->data[i].len);
        free(o->data[i].value);
    }
    free(o->data);
    free(o->name);
    free(o->namespace);
    free(o->type);
    free(o->storage_class);
    free(o->file);
    free(o);
}

static char *dup_or(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = false;
    return d;
}

struct spec_object *spec_object_dup(const struct spec_object *o)
{
    bool ok = true;
    struct spec_object *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    *d = *o;
    d->data = NULL;
    d->name = dup_or(o->name, &ok);
    d->namespace = dup_or(o->namespace, &ok);
    d->type = dup_or(o->type, &ok);
    d->storage_class = dup_or(o->storage_class, &ok);
    d->file = dup_or(o->file, &ok);
    d->n_data = 0;
    d->data = calloc(o->n_data ? o->n_data : 1, sizeof(*d->data));
    for (size_t i = 0; ok && d->data && i < o->n_data; i++) {
        struct spec_data *x = &d->data[d->n_data];
        x->key = strdup(o->data[i].key);
        x->value = malloc(o->data[i].len + 1);
        x->len = o->data[i].len;
        d->n_data++;
        if (!x->key || !x->value)
            ok = false;
        else
            memcpy(x->value, o->data[i].value, x->len + 1);
    }
    if (!ok || !d->data) {
        spec_object_free(d);
        return NULL;
    }
    return d;
}

static int data_cmp(const void *a, const void *b)
{
    return strcmp(((const struct spec_data *)a)->key, ((const struct spec_data *)b)->key);
}

const struct spec_data *spec_object_get(const struct spec_object *o, const char *key)
{
    struct spec_data k = {.key = (char *)key};
    return o->n_data ? bsearch(&k, o->data, o->n_data, sizeof(k), data_cmp) : NULL;
}

/* Kubernetes' IsConfigMapKey (Secrets too): [-._a-zA-Z0-9]+, at most 253, not "." or "..",
 * not starting with "..". */
static bool is_data_key(const char *s)
{
    size_t l = strlen(s);
    if (!l || l > 253 || !strcmp(s, ".") || !strncmp(s, "..", 2))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding, as Go's encoding/base64 StdEncoding reads it (newlines
 * ignored, as the YAML decoder folds them). */
static bool b64_decode(const char *s, unsigned char **out, size_t *len)
{
    size_t n = strlen(s), o = 0, q = 0, pad = 0;
    unsigned v = 0;
    _cleanup_free_ unsigned char *buf = tk_xcalloc(n / 4 * 3 + 4, 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            continue;
        int d = s[i] == '=' ? 0 : b64_value(s[i]);
        if (d < 0 || (pad && s[i] != '='))
            return false;
        pad += s[i] == '=';
        if (pad > 2 || (pad && q < 2))
            return false;
        v = v << 6 | (unsigned)d;
        if (++q == 4) {
            buf[o++] = (unsigned char)(v >> 16);
            if (pad < 2)
                buf[o++] = (unsigned char)(v >> 8);
            if (pad < 1)
                buf[o++] = (unsigned char)v;
            q = 0;
            v = 0;
        }
    }
    if (q)
        return false;
    buf[o] = 0;
    *out = TAKE_PTR(buf);
    *len = o;
    return true;
}

static void add_data(struct walk *w, const struct ynode *k, const char *path, struct obj_read *r,
                     unsigned char *value, size_t len)
{
    struct spec_object *o = r->o;
    for (size_t i = 0; i < o->n_data; i++)
        if (!strcmp(o->data[i].key, k->value)) {
            if (o->kind == SPEC_SECRET && !o->type) { /* stringData over data */
                free(o->data[i].value);
                o->data[i].value = value;
                o->data[i].len = len;
                return;
            }
            werr(w, k, path, "key '%s' is already in data", k->value);
            free(value);
            return;
        }
    r->total += len;
    o->data[o->n_data].key = tk_xstrdup(k->value);
    o->data[o->n_data].value = value;
    o->data[o->n_data++].len = len;
}

/* data / binaryData / stringData: mappings of key to string. */
static void read_data(struct walk *w, const struct ynode *v, const char *path, struct obj_read *r,
                      bool base64)
{
    if (v->type != YN_MAP) {
        werr(w, v, path, "expected a mapping, got %s", ynode_kind_name(v));
        return;
    }
    r->o->data = tk_xreallocarray(r->o->data, r->o->n_data + v->n + 1, sizeof(*r->o->data));
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
        if (k->type != YN_SCALAR) {
            werr(w, k, path, "mapping keys must be strings, got %s", ynode_kind_name(k));
            continue;
        }
        _cleanup_free_ char *p = path_key(path, k->value);
        if (!is_data_key(k->value)) {
            werr(w, k, p,
                 "'%.100s' is not a valid key (letters, digits, '-', '_' and '.', at most 253, "
                 "not '.' or starting with '..')",
                 k->value);
            continue;
        }
        _cleanup_free_ char *s = NULL;
        if (ynode_is_null(val))
            s = tk_xstrdup("");
        else if (!want_str(w, val, p, &s))
            continue;
        unsigned char *bytes = NULL;
        size_t len = strlen(s);
        if (base64 && !b64_decode(s, &bytes, &len)) {
            werr(w, val, p, "not valid base64 (standard alphabet, with '=' padding)");
            continue;
        }
        add_data(w, k, p, r, base64 ? bytes : (unsigned char *)TAKE_PTR(s), len);
    }
}

static void f_cm_data(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_data(w, v, path, obj, false);
}

static void f_b64_data(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_data(w, v, path, obj, true);
}

static void f_immutable(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct obj_read *r = obj;
    want_bool(w, v, path, &r->o->immutable);
}

static void f_type(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"Opaque", "kubernetes.io/dockerconfigjson",
                                        "kubernetes.io/basic-auth", "kubernetes.io/tls",
                                        "kubernetes.io/ssh-auth"};
    struct obj_read *r = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        r->o->type = tk_xstrdup(names[i]);
}

static void f_obj_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct obj_read *r = obj;
    want_checked(w, v, path, &r->o->name, spec_is_dns1123_subdomain,
                 "a valid name (a DNS subdomain: lowercase letters, digits, '-' and '.', at most "
                 "253 characters)");
}

static void f_obj_namespace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct obj_read *r = obj;
    want_checked(w, v, path, &r->o->namespace, tk_is_dns_label,
                 "a valid namespace name " DNS1123_RULE);
}

void f_obj_string_map(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    (void)obj;
    for (size_t i = 0; v->type == YN_MAP && i < v->n; i++) {
        const struct ynode *k = v->items[2 * i];
        _cleanup_free_ char *p = path_key(path, k->type == YN_SCALAR ? k->value : "?");
        _cleanup_free_ char *s = NULL;
        if (!spec_is_label_key(k->value ? k->value : ""))
            werr(w, k, p, "not a valid key");
        else
            want_str(w, v->items[2 * i + 1], p, &s);
    }
    if (v->type != YN_MAP)
        werr(w, v, path, "expected a mapping, got %s", ynode_kind_name(v));
}

void f_obj_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_obj_name},
        {"namespace", f_obj_namespace},
        {"labels", f_obj_string_map},
        {"annotations", f_obj_string_map},
        {"ownerReferences", field_ignored},
    };
    if (walk_metadata(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "name")))
        werr(w, v, "metadata.name", "required");
}

/* The keys a Secret's type requires (Kubernetes' ValidateSecret). */
static void check_secret_type(struct walk *w, const struct ynode *root, struct spec_object *o)
{
    const struct ynode *at = ynode_get(root, "type") ? ynode_get(root, "type") : root;
    const char *t = o->type;
    const char *need[2] = {NULL, NULL};
    if (!strcmp(t, "kubernetes.io/dockerconfigjson"))
        need[0] = ".dockerconfigjson";
    else if (!strcmp(t, "kubernetes.io/tls"))
        need[0] = "tls.crt", need[1] = "tls.key";
    else if (!strcmp(t, "kubernetes.io/ssh-auth"))
        need[0] = "ssh-privatekey";
    else if (!strcmp(t, "kubernetes.io/basic-auth") && !spec_object_get(o, "username") &&
             !spec_object_get(o, "password"))
        werr(w, at, "data", "a %s Secret needs the key username or password", t);
    for (size_t i = 0; i < 2 && need[i]; i++)
        if (!spec_object_get(o, need[i]))
            werr(w, at, "data", "a %s Secret needs the key %s", t, need[i]);
}

static void read_object(struct walk *w, const struct ynode *root, struct obj_read *r)
{
    static const struct field cm_fields[] = {
        {"apiVersion", NULL},         {"kind", NULL},
        {"metadata", f_obj_metadata}, {"data", f_cm_data},
        {"binaryData", f_b64_data},   {"immutable", f_immutable},
    };
    static const struct field secret_fields[] = {
        {"apiVersion", NULL}, {"kind", NULL},       {"metadata", f_obj_metadata}, {"type", NULL},
        {"data", NULL},       {"stringData", NULL}, {"immutable", f_immutable},
    };
    struct spec_object *o = r->o;
    const struct ynode *type = ynode_get(root, "type");
    if (o->kind == SPEC_SECRET) {
        /* data first, then stringData over it (add_data replaces while type is NULL) */
        if (!walk_map(w, root, "", secret_fields, TK_ARRAY_SIZE(secret_fields), r))
            return;
        const struct ynode *data = ynode_get(root, "data"), *sd = ynode_get(root, "stringData");
        if (!ynode_is_null(data))
            read_data(w, data, "data", r, true);
        if (!ynode_is_null(sd))
            read_data(w, sd, "stringData", r, false);
        if (!ynode_is_null(type))
            f_type(w, type, "type", r);
        if (!o->type)
            o->type = tk_xstrdup("Opaque");
    } else {
        o->type = tk_xstrdup("");
        walk_map(w, root, "", cm_fields, TK_ARRAY_SIZE(cm_fields), r);
        free(o->type);
        o->type = NULL;
    }
}

struct spec_object *spec_object_from_tree(struct spec_errs *e, const struct ynode *root,
                                          enum spec_object_kind kind)
{
    struct walk w = {.e = e};
    struct spec_object *o = tk_xcalloc(1, sizeof(*o));
    struct obj_read r = {.o = o};
    size_t before = e->doc_errors;
    o->kind = kind;
    o->line = root->line;
    walk_api_version(&w, root, spec_object_kind_to_string(kind), "v1");
    read_object(&w, root, &r);
    walk_require_top(&w, root, NULL);
    if (r.total > SPEC_MAX_OBJECT_SIZE)
        werr(&w, root, "data", "%zu bytes of data; a %s holds at most 1 MiB", r.total,
             spec_object_kind_to_string(kind));
    if (kind == SPEC_SECRET && o->type && e->doc_errors == before)
        check_secret_type(&w, root, o);
    if (e->doc_errors != before || e->oom) {
        spec_object_free(o);
        return NULL;
    }
    tk_sort(o->data, o->n_data, sizeof(*o->data), data_cmp);
    doc_identity(root, &o->namespace, &o->name_line, &o->name_column);
    return o;
}
