/* kind PersistentVolumeClaim (v1): a named volume on this host, as the local-path
 * provisioner of k3s and `podman volume` give one. Its name becomes a directory under
 * state_dir/volumes, so it is a DNS-1123 label (no '.', '/' or ".."); the size is read, as
 * Kubernetes reads it, but not enforced; volumeMode Block and the fields that pick an
 * existing volume are refused. */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/parse.h"

static void f_pvc_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct obj_read *r = obj;
    want_checked(w, v, path, &r->o->name, tk_is_dns_label,
                 "a valid name " DNS1123_RULE " (the volume's directory is named after it)");
}

static void f_pvc_namespace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct obj_read *r = obj;
    want_checked(w, v, path, &r->o->namespace, tk_is_dns_label,
                 "a valid namespace name " DNS1123_RULE);
}

static void f_pvc_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_pvc_name},          {"namespace", f_pvc_namespace},
        {"labels", f_obj_string_map},  {"annotations", f_obj_string_map},
        {"finalizers", field_ignored},
    };
    if (walk_metadata(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "name")))
        werr(w, v, "metadata.name", "required");
}

static void f_access_modes(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const modes[] = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                                        "ReadWriteOncePod"};
    if (!want_seq(w, v, path))
        return;
    if (!v->n)
        werr(w, v, path, "at least 1 access mode is required");
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        int k;
        want_enum(w, v->items[i], p, modes, TK_ARRAY_SIZE(modes), &k);
    }
}

static void f_storage(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct obj_read *r = obj;
    if (v->type != YN_SCALAR || (v->kind != YS_STR && v->kind != YS_INT) ||
        tk_parse_quantity(v->value, &r->o->storage) < 0)
        werr(w, v, path, "'%.60s' is not a quantity (such as 1Gi or 500M)",
             v->type == YN_SCALAR ? v->value : ynode_kind_name(v));
    else if (!r->o->storage)
        werr(w, v, path, "must be greater than zero");
}

static void f_requests(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"storage", f_storage}};
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "storage")))
        wreq(w, v, path, "storage", "the volume's size, such as 1Gi");
}

static void f_limits(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"storage", NULL}};
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

static void f_pvc_resources(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"requests", f_requests}, {"limits", f_limits}};
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "requests")))
        wreq(w, v, path, "requests", "requests.storage: the volume's size, such as 1Gi");
}

static void f_storage_class(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_str(w, v, path, &((struct obj_read *)obj)->o->storage_class);
}

static void f_volume_mode(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const modes[] = {"Filesystem", "Block"};
    int k;
    if (want_enum(w, v, path, modes, 2, &k) && k == 1)
        werr(w, v, path,
             "'Block' is not supported: a claim on Tank is a directory (volumeMode Filesystem)");
}

static void f_pvc_spec(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"accessModes", f_access_modes},
        {"resources", f_pvc_resources},
        {"storageClassName", f_storage_class},
        {"volumeMode", f_volume_mode},
        {"selector", field_refused},
        {"volumeName", field_refused},
        {"dataSource", field_refused},
        {"dataSourceRef", field_refused},
        {"volumeAttributesClassName", field_refused},
    };
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj))
        return;
    if (ynode_is_null(ynode_get(v, "accessModes")))
        wreq(w, v, path, "accessModes", "ReadWriteOnce");
    if (ynode_is_null(ynode_get(v, "resources")))
        wreq(w, v, path, "resources", "requests.storage: the volume's size, such as 1Gi");
}

struct spec_object *spec_pvc_from_tree(struct spec_errs *e, const struct ynode *root)
{
    static const struct field fields[] = {{"apiVersion", NULL},
                                          {"kind", NULL},
                                          {"metadata", f_pvc_metadata},
                                          {"spec", f_pvc_spec},
                                          {"status", field_ignored}};
    struct walk w = {.e = e};
    struct spec_object *o = tk_xcalloc(1, sizeof(*o));
    struct obj_read r = {.o = o};
    size_t before = e->doc_errors;
    o->kind = SPEC_PVC;
    o->line = root->line;
    walk_api_version(&w, root, "PersistentVolumeClaim", "v1");
    walk_map(&w, root, "", fields, TK_ARRAY_SIZE(fields), &r);
    walk_require_top(&w, root, "accessModes and resources.requests.storage");
    if (e->doc_errors != before || e->oom) {
        spec_object_free(o);
        return NULL;
    }
    doc_identity(root, &o->namespace, &o->name_line, &o->name_column);
    return o;
}
