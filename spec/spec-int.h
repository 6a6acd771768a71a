#pragma once
/*
 * Internal to spec/: the small YAML tree the parser builds from libyaml events, the
 * per-file error list, and the pieces the .c files of spec/ share. Not a public API.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/alloc.h"
#include "base/netaddr.h"
#include "spec/spec.h"

/* Most errors reported for one document before the rest are dropped. */
#define SPEC_MAX_DOC_ERRORS 100

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };
/* What a scalar resolves to (YAML 1.1 as Kubernetes' decoder reads it). */
enum yscalar_kind { YS_STR, YS_NULL, YS_BOOL, YS_INT, YS_FLOAT };

struct ynode {
    enum ynode_type type;
    int line; /* 1-based */
    int col;  /* 1-based */
    /* scalar */
    char *value;
    enum yscalar_kind kind;
    bool bval;
    /* sequence: items[0..n); mapping: items[2i] key, items[2i+1] value, n pairs */
    struct ynode **items;
    size_t n;
    size_t used; /* filled slots of items */
    size_t cap;
};

void ynode_free(struct ynode *n);
/* Value of key in mapping m (NULL when m is not a mapping or has no such key). */
struct ynode *ynode_get(const struct ynode *m, const char *key);
bool ynode_is_null(const struct ynode *n);
const char *ynode_kind_name(const struct ynode *n);

/* The errors of one file being parsed. */
struct spec_errs {
    const char *file;
    struct spec_error *v;
    size_t n;
    size_t cap;
    size_t doc_errors; /* errors in the current document */
    bool oom;
    /* Warnings: fields accepted and ignored (see struct field's ignored). */
    struct spec_error *wv;
    size_t wn;
    size_t wcap;
};

void errs_add(struct spec_errs *e, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void errs_vadd(struct spec_errs *e, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
/* A warning (never blocks the document). */
void errs_warn(struct spec_errs *e, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Called for every non-empty document; root is owned by the caller. */
typedef void (*spec_doc_fn)(void *ctx, struct spec_errs *e, struct ynode *root);

/* Parse data as a YAML stream, one callback per document; YAML-level problems (syntax,
 * aliases, depth, size) go to e. json selects the JSON preparation (surrogate pairs).
 * Returns the number of non-empty documents seen. */
size_t spec_yaml_parse(struct spec_errs *e, const char *data, size_t len, bool json, spec_doc_fn fn,
                       void *ctx);

/* Build a pod from one document tree; NULL when the document has errors (added to e). */
struct spec_pod *spec_pod_from_tree(struct spec_errs *e, const struct ynode *root);

/* Build a ConfigMap or Secret from one document tree; NULL when it has errors. */
struct walk;
/* An object's metadata (name, namespace, labels, annotations); obj is a struct obj_read. */
struct obj_read {
    struct spec_object *o;
    size_t total;
};
void f_obj_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj);
/* labels and annotations: label keys to strings */
void f_obj_string_map(struct walk *w, const struct ynode *v, const char *path, void *obj);
/* kind PersistentVolumeClaim (spec/pvc.c): NULL after errors. */
struct spec_object *spec_pvc_from_tree(struct spec_errs *e, const struct ynode *root);
struct spec_object *spec_object_from_tree(struct spec_errs *e, const struct ynode *root,
                                          enum spec_object_kind kind);

/* Build a Deployment or Job from one document tree; NULL when it has errors. */
/* A workload document read with every error path prefixed (a CronJob's jobTemplate). */
struct spec_workload *spec_workload_read(struct spec_errs *e, const struct ynode *root,
                                         enum spec_workload_kind kind, const char *prefix);
/* kind CronJob (spec/cronjob.c). */
struct spec_workload *spec_cronjob_from_tree(struct spec_errs *e, const struct ynode *root);
struct spec_workload *spec_workload_from_tree(struct spec_errs *e, const struct ynode *root,
                                              enum spec_workload_kind kind);
/* A pod template (spec.template of a workload) as a pod named name: metadata (labels,
 * annotations) and spec walked with every error path under prefix ("spec.template."). NULL
 * when it has errors. */
struct spec_pod *spec_pod_from_template(struct spec_errs *e, const struct ynode *tmpl,
                                        const char *prefix, const char *name, bool tank);

/* Compute pod->hash. Returns 0 or -ENOMEM/-EIO. */
int spec_pod_hash(struct spec_pod *pod);

/* Known Linux capability name ("NET_ADMIN" or "CAP_NET_ADMIN", any case); NULL if
 * unknown, else the canonical name without the prefix ("NET_ADMIN"). */
const char *spec_capability_canonical(const char *name);

/* Kubernetes label key (optional DNS subdomain prefix + '/' + name) and value. */
bool spec_is_label_key(const char *s);
bool spec_is_label_value(const char *s);
/* DNS-1123 subdomain (search domains). */
bool spec_is_dns1123_subdomain(const char *s);
/* IANA service name (port names): 1..15 of [a-z0-9-], a letter, no "--", no edge '-'. */
bool spec_is_port_name(const char *s);

/* ---- the validating walk over a document tree (walk.c) ------------------------------- */

struct walk {
    struct spec_errs *e;
    bool tank;          /* apiVersion tank/v1 */
    int sources;        /* volume sources seen in the current volume */
    const char *prefix; /* prepended to every error path (a pod template's "spec.template.") */
};

/* A volume source begins (hostPath, configMap, ...): true for the volume's first, which is
 * read into it; a second is only counted (the volume's reader reports "give only one of"),
 * so it never overwrites what the first allocated. */
static inline bool walk_first_source(struct walk *w)
{
    return ++w->sources == 1;
}

/* A field of a mapping: fn is called with the value (never a null value: null is absent).
 * fn may also be field_ignored (accepted whatever its value, with the warning "PATH:
 * ignored on a single host (why)") or field_refused (the error "PATH: not supported: what
 * to do instead"); their texts are in spec/notes.c, by the field's path. */
struct field {
    const char *key;
    void (*fn)(struct walk *w, const struct ynode *v, const char *path, void *obj);
};
void field_ignored(struct walk *w, const struct ynode *v, const char *path, void *obj);
void field_refused(struct walk *w, const struct ynode *v, const char *path, void *obj);
/* The text of an ignored or refused field at path ("spec.containers[2].x" is looked up as
 * "spec.containers[].x"); NULL when it has none. */
const char *spec_field_note(const char *path);
/* walk_map over a metadata mapping: fields (at most 16) and the metadata a Kubernetes API
 * server writes (creationTimestamp, uid, resourceVersion, generation, managedFields),
 * accepted and ignored with a warning in every kind (spec/notes.c holds that list). */
bool walk_metadata(struct walk *w, const struct ynode *v, const char *path,
                   const struct field *fields, size_t n_fields, void *obj);

/* spec.nodeName, spec.affinity (spec/node.c); spec.nodeSelector is read as labels. */
void f_node_name(struct walk *w, const struct ynode *v, const char *path, void *obj);
void f_affinity(struct walk *w, const struct ynode *v, const char *path, void *obj);
void spec_node_free(struct spec_node *n);
/* Deep copy into d; false on allocation failure (d is then partly filled: free it). */
bool spec_node_dup(struct spec_node *d, const struct spec_node *s);

/* Report "PATH: message" as a warning at node n. */
void wwarn(struct walk *w, const struct ynode *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report "PATH: message" at node n. */
void werr(struct walk *w, const struct ynode *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report "PATH.KEY: required" (with " (hint)") at node n, the mapping missing it. */
void wreq(struct walk *w, const struct ynode *n, const char *path, const char *key,
          const char *hint);

/* "path.key" and "path[i]" (new heap strings; allocation failure aborts). */
char *path_key(const char *path, const char *key);
char *path_idx(const char *path, size_t i);

/* A mapping of label keys to label values (metadata.labels, matchLabels). */
void walk_kv(struct walk *w, const struct ynode *v, const char *path, struct spec_kv **out,
             size_t *count);

/* Check n is a mapping with unique scalar keys, each in fields (else "not supported"),
 * and call each field's fn. Returns false when n is not a mapping. */
/* The top of every kind's document. walk_api_version: "a KIND is apiVersion WANT" unless it
 * is (false then). walk_require_top: metadata (for its name) and, with spec_hint, spec are
 * required (spec_hint: what spec must hold, "" for a plain "required"). doc_identity, once
 * the document is valid: its namespace ("default" when unset) and where its name is written. */
bool walk_api_version(struct walk *w, const struct ynode *root, const char *kind, const char *want);
void walk_require_top(struct walk *w, const struct ynode *root, const char *spec_hint);
void doc_identity(const struct ynode *root, char **namespace, int *line, int *column);
bool walk_map(struct walk *w, const struct ynode *n, const char *path, const struct field *fields,
              size_t n_fields, void *obj);
/* Check n is a list; reports and returns false otherwise. */
bool want_seq(struct walk *w, const struct ynode *n, const char *path);
bool want_str(struct walk *w, const struct ynode *n, const char *path, char **out);
bool want_int(struct walk *w, const struct ynode *n, const char *path, int64_t min, int64_t max,
              int64_t *out);
bool want_bool(struct walk *w, const struct ynode *n, const char *path, bool *out);
/* One of names[0..count): the index in *out. */
bool want_enum(struct walk *w, const struct ynode *n, const char *path, const char *const *names,
               size_t count, int *out);
/* A list of strings; each item checked by ok (may be NULL) with what describing it. */
bool want_str_list(struct walk *w, const struct ynode *n, const char *path, char ***out,
                   size_t *count, bool (*ok)(const char *), const char *what);
/* A string that must satisfy ok; the message says what it should be. */
bool want_checked(struct walk *w, const struct ynode *n, const char *path, char **out,
                  bool (*ok)(const char *), const char *what);

/* Duplicates among strs[0..n) (NULL entries skipped): report(ctx, later, first) for each
 * later duplicate, in index order. */
void find_dups(const char *const *strs, size_t n, void (*report)(void *ctx, size_t i, size_t first),
               void *ctx);

/* Report "PATH[i].name: WHAT name 'x' is already used by PATH[j]" for names shared by items
 * of list (names[i] is item i's name or NULL). */
void check_name_dups(struct walk *w, const struct ynode *list, const char *path, const char *what,
                     const char *const *names);

/* A container's resources: {requests, limits} (resources.c); obj is the container. */
void walk_resources(struct walk *w, const struct ynode *v, const char *path, void *obj);
/* A container's resizePolicy (obj is the container). */
void walk_resize_policy(struct walk *w, const struct ynode *v, const char *path, void *obj);
/* spec.resources (obj is the pod), and after the containers are read: a container's limit
 * may not exceed the pod's, the pod's requests not be below the containers' sum. */
void walk_pod_resources(struct walk *w, const struct ynode *v, const char *path, void *obj);
void check_pod_resources(struct walk *w, const struct ynode *spec, const struct spec_pod *pod);

/* resourceFieldRef (resfield.c) in env (obj: struct spec_env) and in downwardAPI items
 * (obj: struct spec_key_path; containerName required), and the pod-wide check that
 * containerName names one of its containers. */
void f_env_resource_ref(struct walk *w, const struct ynode *v, const char *path, void *obj);
void f_dw_resource_ref(struct walk *w, const struct ynode *v, const char *path, void *obj);
void check_resource_refs(struct walk *w, const struct ynode *spec, const struct spec_pod *pod);

/* configMap and secret volumes (volume.c). */
void f_configmap_volume(struct walk *w, const struct ynode *v, const char *path, void *obj);
void f_secret_volume(struct walk *w, const struct ynode *v, const char *path, void *obj);
void f_downward_volume(struct walk *w, const struct ynode *v, const char *path, void *obj);
void f_projected_volume(struct walk *w, const struct ynode *v, const char *path, void *obj);

/* A probe at path (probe.c); never NULL (a half-read one when it has errors). */
struct spec_probe *spec_probe_walk(struct walk *w, const struct ynode *v, const char *path,
                                   enum spec_probe_type type);
/* lifecycle.postStart / preStop: exec, httpGet or sleep. */
struct spec_probe *spec_hook_walk(struct walk *w, const struct ynode *v, const char *path);
void spec_probe_free(struct spec_probe *p);
struct spec_probe *spec_probe_dup(const struct spec_probe *p);

/* Pieces of the pod walk (container.c). */
void walk_containers(struct walk *w, const struct ynode *v, const char *path, void *pod);
void walk_init_containers(struct walk *w, const struct ynode *v, const char *path, void *pod);
/* After the whole pod is read: mounts name declared volumes, runAsNonRoot vs uid. */
void check_container_refs(struct walk *w, const struct ynode *spec, struct spec_pod *pod);

/* seccompProfile, appArmorProfile, seLinuxOptions into l (secprofile.c). */
void walk_seccomp_profile(struct walk *w, const struct ynode *v, const char *path,
                          struct spec_lsm *l);
void walk_apparmor_profile(struct walk *w, const struct ynode *v, const char *path,
                           struct spec_lsm *l);
void walk_selinux_options(struct walk *w, const struct ynode *v, const char *path,
                          struct spec_lsm *l);
/* The field functions of those three for a securityContext struct TYPE with a member lsm. */
#define LSM_FIELD_FNS(prefix, TYPE)                                                                \
    static void prefix##_seccomp(struct walk *w, const struct ynode *v, const char *path,          \
                                 void *obj)                                                        \
    {                                                                                              \
        walk_seccomp_profile(w, v, path, &((TYPE *)obj)->lsm);                                     \
    }                                                                                              \
    static void prefix##_apparmor(struct walk *w, const struct ynode *v, const char *path,         \
                                  void *obj)                                                       \
    {                                                                                              \
        walk_apparmor_profile(w, v, path, &((TYPE *)obj)->lsm);                                    \
    }                                                                                              \
    static void prefix##_selinux(struct walk *w, const struct ynode *v, const char *path,          \
                                 void *obj)                                                        \
    {                                                                                              \
        walk_selinux_options(w, v, path, &((TYPE *)obj)->lsm);                                     \
    }
#define LSM_FIELDS(prefix)                                                                         \
    {"seccompProfile", prefix##_seccomp}, {"appArmorProfile", prefix##_apparmor},                  \
    {                                                                                              \
        "seLinuxOptions", prefix##_selinux                                                         \
    }

#define DNS1123_RULE                                                                               \
    "(lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 "  \
    "characters)"

/* A fieldPath naming one label or annotation: metadata.labels['KEY'] or
 * metadata.annotations['KEY'] (KEY not empty). */
bool spec_is_metadata_key_ref(const char *s);
