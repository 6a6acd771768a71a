/* Node selection: the pods of the desired state that are for this host (nodesel.h). */
#include "agent/nodesel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent/config.h"
#include "agent/manifests.h"
#include "base/buf.h"
#include "base/parse.h"
#include "spec/spec.h"
#include "base/alloc.h"

static const struct tank_config *host_cfg;

void nodesel_init(const struct tank_config *cfg)
{
    host_cfg = cfg;
}

/* Go's GOARCH names, as the kubelet labels a node. */
static const char *host_arch(void)
{
    static const struct {
        const char *machine, *arch;
    } map[] = {{"x86_64", "amd64"},    {"aarch64", "arm64"}, {"armv7l", "arm"},
               {"armv6l", "arm"},      {"i686", "386"},      {"i386", "386"},
               {"ppc64le", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}};
    static char machine[65];
    struct utsname u;
    if (!machine[0] && uname(&u) == 0)
        snprintf(machine, sizeof(machine), "%s", u.machine);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i].machine, machine))
            return map[i].arch;
    return machine;
}

/* The value of this host's label key, or NULL when it has none. */
static const char *label(const char *key, const char *host)
{
    if (!strcmp(key, "kubernetes.io/hostname"))
        return host;
    if (!strcmp(key, "kubernetes.io/os") || !strcmp(key, "beta.kubernetes.io/os"))
        return "linux";
    if (!strcmp(key, "kubernetes.io/arch") || !strcmp(key, "beta.kubernetes.io/arch"))
        return host_arch();
    size_t len = strlen(key);
    for (size_t i = 0; host_cfg && i < host_cfg->n_host_labels; i++) {
        const char *l = host_cfg->host_labels[i];
        if (!strncmp(l, key, len) && l[len] == '=')
            return l + len + 1;
    }
    return NULL;
}

static bool has_value(const struct spec_node_req *r, const char *v)
{
    for (size_t i = 0; v && i < r->n_values; i++)
        if (!strcmp(r->values[i], v))
            return true;
    return false;
}

/* One requirement against this host (Kubernetes' labels.Requirement.Matches). */
static bool req_matches(const struct spec_node_req *r, const char *host)
{
    const char *v = r->field ? host : label(r->key, host);
    int64_t have, want;
    switch (r->op) {
    case SPEC_NODE_IN:
        return has_value(r, v);
    case SPEC_NODE_NOT_IN:
        return !has_value(r, v);
    case SPEC_NODE_EXISTS:
        return v != NULL;
    case SPEC_NODE_DOES_NOT_EXIST:
        return v == NULL;
    case SPEC_NODE_GT:
    case SPEC_NODE_LT:
        if (!v || r->n_values != 1 || tk_parse_int64(v, INT64_MIN, INT64_MAX, &have) < 0 ||
            tk_parse_int64(r->values[0], INT64_MIN, INT64_MAX, &want) < 0)
            return false;
        return r->op == SPEC_NODE_GT ? have > want : have < want;
    }
    return false;
}

/* "zone In [a, b]: this host has zone=c" */
static void describe_req(const struct spec_node_req *r, const char *host, struct tk_buf *b)
{
    tk_buf_addf(b, "%s %s", r->key, spec_node_op_to_string(r->op));
    for (size_t i = 0; i < r->n_values; i++)
        tk_buf_addf(b, "%s%s", i ? ", " : " [", r->values[i]);
    if (r->n_values)
        tk_buf_adds(b, "]");
    const char *v = r->field ? host : label(r->key, host);
    if (v)
        tk_buf_addf(b, ", this host has %s=%s", r->key, v);
    else
        tk_buf_addf(b, ", this host has no label %s", r->key);
}

static bool terms_match(const struct spec_node *n, const char *host, struct tk_buf *why)
{
    const struct spec_node_req *first = NULL;
    for (size_t i = 0; i < n->n_terms; i++) {
        const struct spec_node_term *t = &n->terms[i];
        bool all = t->n_reqs > 0; /* a term without requirements matches no host */
        for (size_t j = 0; all && j < t->n_reqs; j++)
            if (!req_matches(&t->reqs[j], host)) {
                all = false;
                if (!first)
                    first = &t->reqs[j];
            }
        if (all)
            return true;
    }
    tk_buf_adds(why, "spec.affinity.nodeAffinity: no required term matches this host");
    if (first) {
        tk_buf_adds(why, " (");
        describe_req(first, host, why);
        tk_buf_adds(why, ")");
    }
    return false;
}

bool nodesel_matches(const struct spec_pod *pod, const char *host, char *why, size_t size)
{
    const struct spec_node *n = &pod->node;
    struct tk_buf b = TK_BUF_INIT;
    bool ok = true;
    if (n->name && strcmp(n->name, host)) {
        tk_buf_addf(&b, "spec.nodeName is '%s', this host is '%s'", n->name, host);
        ok = false;
    }
    for (size_t i = 0; ok && i < n->n_selector; i++) {
        const char *v = label(n->selector[i].key, host);
        if (v && !strcmp(v, n->selector[i].value))
            continue;
        tk_buf_addf(&b, "spec.nodeSelector: %s=%s, this host has ", n->selector[i].key,
                    n->selector[i].value);
        if (v)
            tk_buf_addf(&b, "%s=%s", n->selector[i].key, v);
        else
            tk_buf_addf(&b, "no label %s", n->selector[i].key);
        ok = false;
    }
    if (ok && n->has_affinity)
        ok = terms_match(n, host, &b);
    snprintf(why, size, "%s", ok ? "" : tk_buf_str(&b));
    tk_buf_free(&b);
    return ok;
}

void nodesel_free(struct nodesel_skipped *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].file);
        free(v[i].reason);
    }
    free(v);
}

int nodesel_filter(struct store_state *st, const char *host)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->set.n_pods; i++) {
        struct spec_pod *p = st->set.pods[i];
        char why[1024];
        if (nodesel_matches(p, host, why, sizeof(why))) {
            st->set.pods[kept++] = p;
            continue;
        }
        struct nodesel_skipped *v = realloc(st->skipped, (st->n_skipped + 1) * sizeof(*v));
        if (!v) {
            st->set.pods[kept++] = p; /* the rest stays as read: freed with the set */
            for (size_t j = i + 1; j < st->set.n_pods; j++)
                st->set.pods[kept++] = st->set.pods[j];
            st->set.n_pods = kept;
            return -ENOMEM;
        }
        st->skipped = v;
        v[st->n_skipped++] = (struct nodesel_skipped){.name = tk_xstrdup(p->name),
                                                      .file = p->file ? tk_xstrdup(p->file) : NULL,
                                                      .reason = tk_xstrdup(why)};
        spec_pod_free(p);
    }
    st->set.n_pods = kept;
    return 0;
}
