/* A container's resources (requests and limits of cpu and memory), Kubernetes quantities,
 * and the pod's QoS class. */
#include "spec/spec-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"

/* ---- quantities ---- */

struct suffix {
    const char *s;
    int base; /* 2 or 10 */
    int exp;
};
static const struct suffix suffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

#define QMAX ((__int128)INT64_MAX)

/* "e3", "E-2": a decimal exponent suffix. */
static bool exp_suffix(const char *s, int *exp)
{
    if (*s != 'e' && *s != 'E')
        return false;
    const char *p = s + 1 + (s[1] == '-' || s[1] == '+');
    if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
        return false;
    int v = 0;
    for (; *p; p++)
        v = v * 10 + (*p - '0');
    *exp = s[1] == '-' ? -v : v;
    return true;
}

/* digits * base^exp * 10^(3 - frac), in thousandths, rounded up; -ERANGE when too large. */
static int scale(__int128 digits, int frac, int base, int exp, int64_t *milli)
{
    int e10 = 3 - frac + (base == 10 ? exp : 0);
    __int128 v = digits;
    for (int i = 0; base == 2 && i < exp; i++)
        if ((v *= 2) > QMAX)
            return -ERANGE;
    for (; e10 > 0; e10--)
        if ((v *= 10) > QMAX)
            return -ERANGE;
    for (; e10 < 0 && v; e10++)
        v = v / 10 + (v % 10 != 0);
    *milli = (int64_t)v;
    return 0;
}

/* The largest suffix of the input's family that divides the value exactly. */
static void canonical(int64_t milli, int base, char *out, size_t size)
{
    if (base == 2 && milli % 1000 == 0) {
        int64_t b = milli / 1000;
        for (int i = 5; i >= 0; i--)
            if (b && b % (1LL << suffixes[i].exp) == 0) {
                snprintf(out, size, "%lld%s", (long long)(b >> suffixes[i].exp), suffixes[i].s);
                return;
            }
        snprintf(out, size, "%lld", (long long)b);
        return;
    }
    static const char *const dec[] = {"m", "", "k", "M", "G", "T", "P", "E"};
    int k = 0;
    int64_t v = milli;
    while (k < 7 && v && v % 1000 == 0)
        v /= 1000, k++;
    snprintf(out, size, "%lld%s", (long long)v, v ? dec[k] : "");
}

void spec_quantity_format(int64_t milli, bool binary, char *out, size_t size)
{
    canonical(milli, binary && milli % (1024 * 1000) == 0 ? 2 : 10, out, size);
}

int spec_quantity_parse(const char *s, int64_t *milli, char *canon, size_t size)
{
    __int128 digits = 0;
    int seen = 0, sig = 0, frac = 0;
    bool dot = false;
    const char *p = s + (*s == '+');
    if (*p == '-')
        return -ERANGE;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            seen++;
            frac += dot;
            if ((digits || *p != '0') && ++sig > 30)
                return -ERANGE;
            digits = digits * 10 + (*p - '0');
        } else if (*p == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (!seen)
        return -EINVAL;
    int base = 10, exp = 0;
    const struct suffix *sx = NULL;
    for (size_t i = 0; i < TK_ARRAY_SIZE(suffixes) && !sx; i++)
        if (!strcmp(p, suffixes[i].s))
            sx = &suffixes[i];
    if (sx)
        base = sx->base, exp = sx->exp;
    else if (!exp_suffix(p, &exp))
        return -EINVAL;
    int r = scale(digits, frac, base, exp, milli);
    if (r == 0 && canon)
        canonical(*milli, base, canon, size);
    return r;
}

/* ---- resources: {requests: {...}, limits: {...}} ---- */

struct amounts {
    bool cpu_set, mem_set;
    int64_t cpu, mem;
    char cpu_s[32], mem_s[32];
};

static void check_name(struct walk *w, const struct ynode *k, const char *path)
{
    const char *name = k->value;
    if (!strcmp(name, "ephemeral-storage"))
        werr(w, k, path, "ephemeral-storage is not supported by Tank (no local storage limits)");
    else if (!strncmp(name, "hugepages-", 10))
        werr(w, k, path, "hugepages are not supported by Tank");
    else if (strchr(name, '/'))
        werr(w, k, path, "extended resource '%.100s' is not supported by Tank (no device plugins)",
             name);
    else
        werr(w, k, path, "'%.100s' is not a resource Tank knows (cpu, memory)", name);
}

static void read_amount(struct walk *w, const struct ynode *k, const struct ynode *v,
                        const char *path, struct amounts *a)
{
    _cleanup_free_ char *p = path_key(path, k->value);
    bool cpu = !strcmp(k->value, "cpu");
    if (!cpu && strcmp(k->value, "memory")) {
        check_name(w, k, p);
        return;
    }
    if (v->type != YN_SCALAR || (v->kind != YS_STR && v->kind != YS_INT && v->kind != YS_FLOAT)) {
        werr(w, v, p, "must be a quantity (such as %s)", cpu ? "500m or 2" : "128Mi or 1G");
        return;
    }
    int64_t milli = 0;
    char canon[32];
    int r = spec_quantity_parse(v->value, &milli, canon, sizeof(canon));
    if (r == -ERANGE) {
        werr(w, v, p, "'%.100s' must be a positive quantity that is not too large", v->value);
        return;
    }
    if (r < 0) {
        werr(w, v, p, "'%.100s' is not a quantity", v->value);
        return;
    }
    if (cpu) {
        a->cpu_set = true, a->cpu = milli;
        snprintf(a->cpu_s, sizeof(a->cpu_s), "%s", canon);
    } else {
        a->mem_set = true, a->mem = (milli + 999) / 1000;
        snprintf(a->mem_s, sizeof(a->mem_s), "%s", canon);
    }
}

static void read_amounts(struct walk *w, const struct ynode *v, const char *path, struct amounts *a)
{
    if (v->type != YN_MAP) {
        werr(w, v, path, "must be a mapping of resource names to quantities");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
        if (k->type != YN_SCALAR || ynode_is_null(val))
            continue;
        read_amount(w, k, val, path, a);
    }
}

static void f_requests(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_amounts(w, v, path, &((struct amounts *)obj)[0]);
}

static void f_limits(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_amounts(w, v, path, &((struct amounts *)obj)[1]);
}

/* Defaulting and the request <= limit rule, as Kubernetes. */
static void settle(struct walk *w, const struct ynode *v, const char *path, struct amounts *a,
                   struct spec_resources *res)
{
    struct amounts *rq = &a[0], *lim = &a[1];
    if (lim->cpu_set && !rq->cpu_set) {
        rq->cpu_set = true, rq->cpu = lim->cpu;
        snprintf(rq->cpu_s, sizeof(rq->cpu_s), "%s", lim->cpu_s);
    }
    if (lim->mem_set && !rq->mem_set) {
        rq->mem_set = true, rq->mem = lim->mem;
        snprintf(rq->mem_s, sizeof(rq->mem_s), "%s", lim->mem_s);
    }
    const struct ynode *reqs = ynode_get(v, "requests");
    _cleanup_free_ char *rp = path_key(path, "requests");
    _cleanup_free_ char *cp = path_key(rp, "cpu"), *mp = path_key(rp, "memory");
    if (lim->cpu_set && rq->cpu > lim->cpu)
        werr(w, ynode_get(reqs, "cpu"), cp, "'%s' must be less than or equal to the cpu limit '%s'",
             rq->cpu_s, lim->cpu_s);
    if (lim->mem_set && rq->mem > lim->mem)
        werr(w, ynode_get(reqs, "memory"), mp,
             "'%s' must be less than or equal to the memory limit '%s'", rq->mem_s, lim->mem_s);
    res->cpu_request = rq->cpu, res->cpu_limit = lim->cpu;
    res->mem_request = rq->mem, res->mem_limit = lim->mem;
    snprintf(res->cpu_request_s, sizeof(res->cpu_request_s), "%s", rq->cpu_set ? rq->cpu_s : "");
    snprintf(res->cpu_limit_s, sizeof(res->cpu_limit_s), "%s", lim->cpu_set ? lim->cpu_s : "");
    snprintf(res->mem_request_s, sizeof(res->mem_request_s), "%s", rq->mem_set ? rq->mem_s : "");
    snprintf(res->mem_limit_s, sizeof(res->mem_limit_s), "%s", lim->mem_set ? lim->mem_s : "");
}

static void f_claims(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    werr(w, v, path, "not supported by Tank (no dynamic resource allocation)");
}

static void read_resources(struct walk *w, const struct ynode *v, const char *path,
                           struct spec_resources *res)
{
    static const struct field fields[] = {
        {"requests", f_requests}, {"limits", f_limits}, {"claims", f_claims}};
    struct amounts a[2] = {{0}};
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), a))
        return;
    settle(w, v, path, a, res);
}

void walk_resources(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_resources(w, v, path, &((struct spec_container *)obj)->res);
}

void walk_pod_resources(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_resources(w, v, path, &((struct spec_pod *)obj)->res);
}

/* ---- resizePolicy: [{resourceName, restartPolicy}] ---- */

struct resize_item {
    int resource, policy; /* -1 = not given */
};

static const char *const resize_resources[] = {"cpu", "memory"};
static const char *const resize_policies[] = {"NotRequired", "RestartContainer"};

static void f_resize_resource(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_enum(w, v, path, resize_resources, 2, &((struct resize_item *)obj)->resource);
}

static void f_resize_policy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_enum(w, v, path, resize_policies, 2, &((struct resize_item *)obj)->policy);
}

void walk_resize_policy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"resourceName", f_resize_resource},
                                          {"restartPolicy", f_resize_policy}};
    struct spec_container *c = obj;
    unsigned seen = 0;
    if (!want_seq(w, v, path))
        return;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct resize_item it = {-1, -1};
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), &it))
            continue;
        if (ynode_is_null(ynode_get(v->items[i], "resourceName")))
            wreq(w, v->items[i], p, "resourceName", "cpu or memory");
        if (ynode_is_null(ynode_get(v->items[i], "restartPolicy")))
            wreq(w, v->items[i], p, "restartPolicy", "NotRequired or RestartContainer");
        if (it.resource < 0)
            continue;
        unsigned bit = it.resource ? SPEC_RESIZE_MEMORY : SPEC_RESIZE_CPU;
        if (seen & bit) {
            _cleanup_free_ char *rp = path_key(p, "resourceName");
            werr(w, ynode_get(v->items[i], "resourceName"), rp, "'%s' is given twice",
                 resize_resources[it.resource]);
        }
        seen |= bit;
        if (it.policy == 1)
            c->resize_restart |= bit;
    }
}

/* One container's limit against the pod's: reported at the container's limit. */
static void check_limit(struct walk *w, const struct ynode *ctrs, size_t i, const char *what,
                        int64_t v, const char *vs, int64_t pod_v, const char *pod_vs)
{
    if (!pod_v || v <= pod_v)
        return;
    char path[128];
    snprintf(path, sizeof(path), "spec.containers[%zu].resources.limits.%s", i, what);
    const struct ynode *n = ynode_get(
        ynode_get(ynode_get(ctrs && ctrs->type == YN_SEQ && i < ctrs->n ? ctrs->items[i] : NULL,
                            "resources"),
                  "limits"),
        what);
    werr(w, n ? n : ctrs, path, "'%s' must be less than or equal to the pod's %s limit '%s'", vs,
         what, pod_vs);
}

void check_pod_resources(struct walk *w, const struct ynode *spec, const struct spec_pod *pod)
{
    const struct spec_resources *p = &pod->res;
    const struct ynode *ctrs = ynode_get(spec, "containers");
    int64_t cpu = 0, mem = 0;
    for (size_t i = 0; i < pod->n_containers; i++) {
        const struct spec_resources *r = &pod->containers[i].res;
        check_limit(w, ctrs, i, "cpu", r->cpu_limit, r->cpu_limit_s, p->cpu_limit, p->cpu_limit_s);
        check_limit(w, ctrs, i, "memory", r->mem_limit, r->mem_limit_s, p->mem_limit,
                    p->mem_limit_s);
        cpu += r->cpu_request, mem += r->mem_request;
        if (pod->containers[i].resize_restart && pod->restart_policy == SPEC_RESTART_NEVER) {
            char path[96];
            snprintf(path, sizeof(path), "spec.containers[%zu].resizePolicy", i);
            const struct ynode *cn =
                ctrs && ctrs->type == YN_SEQ && i < ctrs->n ? ctrs->items[i] : NULL;
            werr(w, cn ? ynode_get(cn, "resizePolicy") : spec, path,
                 "restartPolicy must be NotRequired when the pod's restartPolicy is Never");
        }
    }
    const struct ynode *req = ynode_get(ynode_get(spec, "resources"), "requests");
    char sum[32];
    if (p->cpu_request && cpu > p->cpu_request) {
        spec_quantity_format(cpu, false, sum, sizeof(sum));
        werr(w, ynode_get(req, "cpu") ? ynode_get(req, "cpu") : spec, "spec.resources.requests.cpu",
             "'%s' must be greater than or equal to the containers' requests (%s)",
             p->cpu_request_s, sum);
    }
    if (p->mem_request && mem > p->mem_request) {
        spec_quantity_format(mem * 1000, true, sum, sizeof(sum));
        werr(w, ynode_get(req, "memory") ? ynode_get(req, "memory") : spec,
             "spec.resources.requests.memory",
             "'%s' must be greater than or equal to the containers' requests (%s)",
             p->mem_request_s, sum);
    }
}

static bool res_set(const struct spec_resources *r)
{
    return r->cpu_request_s[0] || r->cpu_limit_s[0] || r->mem_request_s[0] || r->mem_limit_s[0];
}

const char *spec_pod_qos_class(const struct spec_pod *pod)
{
    const struct spec_resources *p = &pod->res;
    if (res_set(p)) /* pod-level resources decide, as Kubernetes */
        return p->cpu_limit_s[0] && p->mem_limit_s[0] && p->cpu_request == p->cpu_limit &&
                       p->mem_request == p->mem_limit
                   ? "Guaranteed"
                   : "Burstable";
    bool any = false, all = true;
    for (size_t i = 0; i < pod->n_containers; i++) {
        const struct spec_resources *r = &pod->containers[i].res;
        any |= r->cpu_request_s[0] || r->cpu_limit_s[0] || r->mem_request_s[0] || r->mem_limit_s[0];
        all &= r->cpu_limit_s[0] && r->mem_limit_s[0] && r->cpu_request == r->cpu_limit &&
               r->mem_request == r->mem_limit;
    }
    return !any ? "BestEffort" : all ? "Guaranteed" : "Burstable";
}
