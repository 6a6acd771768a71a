/* spec.nodeName, spec.nodeSelector and spec.affinity: which hosts a pod is for, validated as
 * the Kubernetes API server validates them (the agent decides, agent/nodesel.h). */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/parse.h"
#include "base/alloc.h"

static const char *const op_names[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};

const char *spec_node_op_to_string(enum spec_node_op op)
{
    return (size_t)op < TK_ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

void f_node_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    want_checked(w, v, path, &pod->node.name, spec_is_dns1123_subdomain,
                 "a valid node name (a DNS subdomain)");
}

static void f_req_key(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_node_req *r = obj;
    if (!want_str(w, v, path, &r->key))
        return;
    if (r->field && strcmp(r->key, "metadata.name"))
        werr(w, v, path, "'%.100s' is not supported (metadata.name is the only node field)",
             r->key);
    else if (!r->field && !spec_is_label_key(r->key))
        werr(w, v, path, "'%.100s' is not a valid label key", r->key);
}

static void f_req_op(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_node_req *r = obj;
    int i;
    if (want_enum(w, v, path, op_names, TK_ARRAY_SIZE(op_names), &i))
        r->op = (enum spec_node_op)i;
}

static void f_req_values(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_node_req *r = obj;
    want_str_list(w, v, path, &r->values, &r->n_values, NULL, NULL);
}

/* The values an operator takes, as the API server checks them. */
static void check_values(struct walk *w, const struct ynode *item, const char *path,
                         const struct spec_node_req *r)
{
    _cleanup_free_ char *p = path_key(path, "values");
    const struct ynode *at = ynode_get(item, "values") ? ynode_get(item, "values") : item;
    int64_t n;
    if (r->field && r->op != SPEC_NODE_IN && r->op != SPEC_NODE_NOT_IN)
        werr(w, at, path, "matchFields supports In and NotIn only");
    else if (r->field && r->n_values != 1)
        werr(w, at, p, "must have one value for a matchFields requirement");
    else if ((r->op == SPEC_NODE_IN || r->op == SPEC_NODE_NOT_IN) && !r->n_values)
        werr(w, at, p, "must be non-empty when operator is %s", op_names[r->op]);
    else if ((r->op == SPEC_NODE_EXISTS || r->op == SPEC_NODE_DOES_NOT_EXIST) && r->n_values)
        werr(w, at, p, "must be empty when operator is %s", op_names[r->op]);
    else if ((r->op == SPEC_NODE_GT || r->op == SPEC_NODE_LT) &&
             (r->n_values != 1 || tk_parse_int64(r->values[0], INT64_MIN, INT64_MAX, &n) < 0))
        werr(w, at, p, "must be one integer when operator is %s", op_names[r->op]);
}

static void walk_reqs(struct walk *w, const struct ynode *v, const char *path,
                      struct spec_node_term *t, bool field)
{
    static const struct field fields[] = {
        {"key", f_req_key}, {"operator", f_req_op}, {"values", f_req_values}};
    if (!want_seq(w, v, path))
        return;
    t->reqs = tk_xreallocarray(t->reqs, t->n_reqs + v->n, sizeof(*t->reqs));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_node_req *r = &t->reqs[t->n_reqs++];
        *r = (struct spec_node_req){.field = field, .op = SPEC_NODE_IN};
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), r))
            continue;
        if (!r->key)
            wreq(w, v->items[i], p, "key", NULL);
        if (ynode_is_null(ynode_get(v->items[i], "operator")))
            wreq(w, v->items[i], p, "operator", "In, NotIn, Exists, DoesNotExist, Gt or Lt");
        else
            check_values(w, v->items[i], p, r);
    }
}

static void f_match_expr(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    walk_reqs(w, v, path, obj, false);
}

static void f_match_fields(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    walk_reqs(w, v, path, obj, true);
}

static void f_terms(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"matchExpressions", f_match_expr},
                                          {"matchFields", f_match_fields}};
    struct spec_node *node = obj;
    if (!want_seq(w, v, path))
        return;
    if (!v->n)
        werr(w, v, path, "must have at least one term");
    node->terms = tk_xcalloc(v->n ? v->n : 1, sizeof(*node->terms));
    node->has_affinity = true;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), &node->terms[i]);
        node->n_terms++;
    }
}

static void f_required(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"nodeSelectorTerms", f_terms}};
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "nodeSelectorTerms")))
        wreq(w, v, path, "nodeSelectorTerms", NULL);
}

static void f_node_affinity(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"requiredDuringSchedulingIgnoredDuringExecution", f_required},
        {"preferredDuringSchedulingIgnoredDuringExecution", field_ignored}};
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

void f_affinity(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"nodeAffinity", f_node_affinity},
                                          {"podAffinity", field_ignored},
                                          {"podAntiAffinity", field_ignored}};
    struct spec_pod *pod = obj;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &pod->node);
}

static void free_terms(struct spec_node_term *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        for (size_t j = 0; j < t[i].n_reqs; j++) {
            free(t[i].reqs[j].key);
            for (size_t k = 0; k < t[i].reqs[j].n_values; k++)
                free(t[i].reqs[j].values[k]);
            free(t[i].reqs[j].values);
        }
        free(t[i].reqs);
    }
    free(t);
}

void spec_node_free(struct spec_node *n)
{
    free(n->name);
    for (size_t i = 0; n->selector && i < n->n_selector; i++) {
        free(n->selector[i].key);
        free(n->selector[i].value);
    }
    free(n->selector);
    free_terms(n->terms, n->n_terms);
    memset(n, 0, sizeof(*n));
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = false;
    return d;
}

static void dup_req(struct spec_node_req *d, const struct spec_node_req *s, bool *ok)
{
    *d = *s;
    d->key = dup_or_null(s->key, ok);
    d->values = s->n_values ? calloc(s->n_values, sizeof(*d->values)) : NULL;
    if (s->n_values && !d->values) {
        *ok = false;
        d->n_values = 0;
    }
    for (size_t k = 0; d->values && k < s->n_values; k++)
        d->values[k] = dup_or_null(s->values[k], ok);
}

bool spec_node_dup(struct spec_node *d, const struct spec_node *s)
{
    bool ok = true;
    *d = (struct spec_node){.has_affinity = s->has_affinity};
    d->name = dup_or_null(s->name, &ok);
    d->selector = s->n_selector ? calloc(s->n_selector, sizeof(*d->selector)) : NULL;
    for (size_t i = 0; d->selector && i < s->n_selector; i++, d->n_selector++) {
        d->selector[i].key = dup_or_null(s->selector[i].key, &ok);
        d->selector[i].value = dup_or_null(s->selector[i].value, &ok);
    }
    d->terms = s->n_terms ? calloc(s->n_terms, sizeof(*d->terms)) : NULL;
    for (size_t i = 0; d->terms && i < s->n_terms; i++, d->n_terms++) {
        const struct spec_node_term *st = &s->terms[i];
        d->terms[i].reqs = st->n_reqs ? calloc(st->n_reqs, sizeof(*st->reqs)) : NULL;
        for (size_t j = 0; d->terms[i].reqs && j < st->n_reqs; j++, d->terms[i].n_reqs++)
            dup_req(&d->terms[i].reqs[j], &st->reqs[j], &ok);
        ok &= !st->n_reqs || d->terms[i].reqs;
    }
    ok &= (!s->n_selector || d->selector) && (!s->n_terms || d->terms);
    return ok;
}
