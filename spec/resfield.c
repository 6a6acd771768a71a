/* resourceFieldRef: a container's requests and limits in env and downwardAPI volumes, with
 * Kubernetes' divisors. */
#include "spec/spec-int.h"

#include <errno.h>
#include <string.h>

#include "base/cleanup.h"

struct rref {
    char **container;
    char **resource;
    int64_t *divisor;
    const struct ynode *resource_node;
};

static bool is_resource(const char *s)
{
    return !strcmp(s, "limits.cpu") || !strcmp(s, "limits.memory") || !strcmp(s, "requests.cpu") ||
           !strcmp(s, "requests.memory");
}

static void f_container(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct rref *r = obj;
    want_str(w, v, path, r->container);
}

static void f_resource(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct rref *r = obj;
    r->resource_node = v;
    if (v->type == YN_SCALAR &&
        (!strncmp(v->value, "limits.", 7) || !strncmp(v->value, "requests.", 9)) &&
        !is_resource(v->value)) {
        werr(w, v, path, "'%.100s' is not supported: Tank has cpu and memory resources only",
             v->value);
        return;
    }
    want_checked(w, v, path, r->resource, is_resource,
                 "limits.cpu, limits.memory, requests.cpu or requests.memory");
}

/* The divisor as a quantity: thousandths in *r->divisor; checked against the resource once
 * both are read. */
static void f_divisor(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct rref *r = obj;
    char canon[32];
    if (v->type != YN_SCALAR || (v->kind != YS_STR && v->kind != YS_INT && v->kind != YS_FLOAT) ||
        spec_quantity_parse(v->value, r->divisor, canon, sizeof(canon)) < 0 || !*r->divisor) {
        werr(w, v, path, "must be a quantity such as 1m, 1, 1Ki or 1Mi");
        *r->divisor = 0;
    }
}

/* Kubernetes' divisors: cpu 1m and 1; memory 1 and 1 of each suffix. */
static void check_divisor(struct walk *w, const struct ynode *v, const char *path,
                          const struct rref *r)
{
    if (!*r->divisor || !*r->resource)
        return;
    int64_t d = *r->divisor;
    bool ok = false;
    _cleanup_free_ char *p = path_key(path, "divisor");
    if (strstr(*r->resource, ".cpu")) {
        ok = d == 1 || d == 1000;
        if (!ok)
            werr(w, ynode_get(v, "divisor"), p,
                 "only the divisors 1m and 1 are supported with the cpu resource");
        return;
    }
    int64_t k10 = 1000, k2 = 1000;
    ok = d == 1000;
    for (int i = 0; i < 6 && !ok; i++) {
        /* stop where the next power no longer fits (1E and 1Ei in thousandths do not) */
        k10 = k10 <= INT64_MAX / 1000 ? k10 * 1000 : 0;
        k2 = k2 <= INT64_MAX / 1024 ? k2 * 1024 : 0;
        ok = (k10 && d == k10) || (k2 && d == k2);
    }
    if (!ok)
        werr(w, ynode_get(v, "divisor"), p,
             "only the divisors 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi and 1Ei are "
             "supported with the memory resource");
}

static void read_ref(struct walk *w, const struct ynode *v, const char *path, struct rref *r,
                     bool volume)
{
    static const struct field fields[] = {
        {"containerName", f_container}, {"resource", f_resource}, {"divisor", f_divisor}};
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), r))
        return;
    if (!r->resource_node)
        wreq(w, v, path, "resource", NULL);
    if (volume && !*r->container && ynode_is_null(ynode_get(v, "containerName")))
        wreq(w, v, path, "containerName", "a downwardAPI volume names the container");
    check_divisor(w, v, path, r);
}

void f_env_resource_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    if (e->from != SPEC_ENV_VALUE) {
        werr(w, v, path, "only one source may be given in valueFrom");
        return;
    }
    e->from = SPEC_ENV_RESOURCE;
    struct rref r = {.container = &e->ref_name, .resource = &e->ref_key, .divisor = &e->divisor};
    read_ref(w, v, path, &r, false);
}

void f_dw_resource_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_key_path *it = obj;
    it->resource = true;
    struct rref r = {.container = &it->container, .resource = &it->key, .divisor = &it->divisor};
    read_ref(w, v, path, &r, true);
}

static bool has_container(const struct spec_pod *pod, const char *name)
{
    for (size_t i = 0; i < pod->n_containers; i++)
        if (pod->containers[i].name && !strcmp(pod->containers[i].name, name))
            return true;
    return false;
}

static void unknown(struct walk *w, const struct ynode *ref, const char *path, const char *name)
{
    _cleanup_free_ char *p = path_key(path, "resourceFieldRef.containerName");
    werr(w, ynode_get(ref, "containerName"), p, "no container named '%.100s' in this pod", name);
}

static void check_items(struct walk *w, const struct ynode *dw, const char *path,
                        const struct spec_volume *v, const struct spec_pod *pod)
{
    const struct ynode *items = ynode_get(dw, "items");
    for (size_t j = 0; items && items->type == YN_SEQ && j < v->n_items && j < items->n; j++) {
        const struct spec_key_path *it = &v->items[j];
        if (!it->resource || !it->container || has_container(pod, it->container))
            continue;
        _cleanup_free_ char *p = path_idx(path, j);
        unknown(w, ynode_get(items->items[j], "resourceFieldRef"), p, it->container);
    }
}

static void check_volumes(struct walk *w, const struct ynode *spec, const struct spec_pod *pod)
{
    const struct ynode *vols = ynode_get(spec, "volumes");
    for (size_t i = 0; vols && vols->type == YN_SEQ && i < pod->n_volumes && i < vols->n; i++) {
        const struct spec_volume *v = &pod->volumes[i];
        _cleanup_free_ char *vp = path_idx("spec.volumes", i);
        if (v->kind == SPEC_VOLUME_DOWNWARD_API) {
            _cleanup_free_ char *p = path_key(vp, "downwardAPI.items");
            check_items(w, ynode_get(vols->items[i], "downwardAPI"), p, v, pod);
        }
        const struct ynode *src = ynode_get(ynode_get(vols->items[i], "projected"), "sources");
        for (size_t k = 0; v->kind == SPEC_VOLUME_PROJECTED && src && src->type == YN_SEQ &&
                           k < v->n_sources && k < src->n;
             k++) {
            if (v->sources[k].kind != SPEC_VOLUME_DOWNWARD_API)
                continue;
            _cleanup_free_ char *sp = path_key(vp, "projected.sources");
            _cleanup_free_ char *kp = path_idx(sp, k);
            _cleanup_free_ char *p = path_key(kp, "downwardAPI.items");
            check_items(w, ynode_get(src->items[k], "downwardAPI"), p, &v->sources[k], pod);
        }
    }
}

void check_resource_refs(struct walk *w, const struct ynode *spec, const struct spec_pod *pod)
{
    const struct ynode *list = ynode_get(spec, "containers");
    for (size_t i = 0; list && list->type == YN_SEQ && i < pod->n_containers && i < list->n; i++) {
        const struct spec_container *c = &pod->containers[i];
        const struct ynode *env = ynode_get(list->items[i], "env");
        for (size_t j = 0; env && env->type == YN_SEQ && j < c->n_env && j < env->n; j++) {
            const struct spec_env *e = &c->env[j];
            if (e->from != SPEC_ENV_RESOURCE || !e->ref_name || !*e->ref_name ||
                has_container(pod, e->ref_name))
                continue;
            _cleanup_free_ char *cp = path_idx("spec.containers", i);
            _cleanup_free_ char *ep = path_key(cp, "env");
            _cleanup_free_ char *jp = path_idx(ep, j);
            _cleanup_free_ char *p = path_key(jp, "valueFrom");
            unknown(w, ynode_get(ynode_get(env->items[j], "valueFrom"), "resourceFieldRef"), p,
                    e->ref_name);
        }
    }
    check_volumes(w, spec, pod);
}
