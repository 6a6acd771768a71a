/* kind Deployment and DaemonSet (apps/v1) and kind Job (batch/v1): one document to one struct
 * spec_workload, validated as Kubernetes validates them (selector against the template's
 * labels, restartPolicy, rollout parameters); the template is read as a pod. */
#include "spec/spec-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

const char *spec_workload_kind_to_string(enum spec_workload_kind k)
{
    return k == SPEC_JOB         ? "Job"
           : k == SPEC_DAEMONSET ? "DaemonSet"
           : k == SPEC_CRONJOB   ? "CronJob"
                                 : "Deployment";
}

static void free_kv(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void spec_workload_free(struct spec_workload *wl)
{
    if (!wl)
        return;
    free(wl->name);
    free(wl->namespace);
    spec_pod_free(wl->tmpl);
    free_kv(wl->selector, wl->n_selector);
    spec_cron_free(wl->cron);
    free(wl->owner_cronjob);
    free(wl->file);
    free(wl);
}

struct spec_workload *spec_workload_dup(const struct spec_workload *wl)
{
    struct spec_workload *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    *d = *wl;
    d->name = d->namespace = d->file = NULL;
    d->tmpl = NULL;
    d->cron = NULL;
    d->owner_cronjob = NULL;
    d->selector = calloc(wl->n_selector + 1, sizeof(*d->selector));
    d->n_selector = 0;
    bool ok = d->selector != NULL;
    for (size_t i = 0; ok && i < wl->n_selector; i++, d->n_selector++) {
        d->selector[i].key = strdup(wl->selector[i].key);
        d->selector[i].value = strdup(wl->selector[i].value);
        ok = d->selector[i].key && d->selector[i].value;
    }
    d->name = strdup(wl->name);
    d->namespace = strdup(wl->namespace);
    d->file = wl->file ? strdup(wl->file) : NULL;
    d->tmpl = spec_pod_dup(wl->tmpl);
    d->cron = wl->cron ? spec_cron_dup(wl->cron) : NULL;
    d->owner_cronjob = wl->owner_cronjob ? strdup(wl->owner_cronjob) : NULL;
    if (!ok || !d->name || !d->namespace || (wl->file && !d->file) || !d->tmpl ||
        (wl->cron && !d->cron) || (wl->owner_cronjob && !d->owner_cronjob)) {
        spec_workload_free(d);
        return NULL;
    }
    return d;
}

int32_t spec_percent_of(int32_t pct, int32_t total, bool round_up)
{
    int64_t v = (int64_t)pct * total;
    return (int32_t)(round_up ? (v + 99) / 100 : v / 100);
}

/* What the walk collects beside the workload: the raw intOrString values and the
 * template node (read last, once the workload's name is known). */
struct wl_read {
    struct spec_workload *wl;
    const struct ynode *tmpl;
    const struct ynode *surge, *unavail;
    bool has_selector;
    bool tank; /* apiVersion tank/v1: the template may carry spec.network */
};

static void f_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct wl_read *r = obj;
    want_checked(w, v, path, &r->wl->name, tk_is_dns_label,
                 "a valid name " DNS1123_RULE " (its pods are named after it)");
}

static void f_namespace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct wl_read *r = obj;
    want_checked(w, v, path, &r->wl->namespace, tk_is_dns_label,
                 "a valid namespace name " DNS1123_RULE);
}

static void f_meta_kv(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_kv *kv = NULL;
    size_t n = 0;
    (void)obj;
    walk_kv(w, v, path, &kv, &n);
    free_kv(kv, n);
}

static void f_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_name},      {"namespace", f_namespace},      {"labels", f_meta_kv},
        {"annotations", NULL}, {"generateName", field_refused},
    };
    if (walk_metadata(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "name")))
        werr(w, v, "metadata.name", "required");
}

static void want_i32(struct walk *w, const struct ynode *v, const char *path, int64_t min,
                     int32_t *out)
{
    int64_t x;
    if (want_int(w, v, path, min, INT32_MAX, &x))
        *out = (int32_t)x;
}

#define I32_FIELD(fname, member, min)                                                              \
    static void fname(struct walk *w, const struct ynode *v, const char *path, void *obj)          \
    {                                                                                              \
        want_i32(w, v, path, min, &((struct wl_read *)obj)->wl->member);                           \
    }
I32_FIELD(f_replicas, replicas, 0)
I32_FIELD(f_min_ready, min_ready_s, 0)
I32_FIELD(f_progress, progress_deadline_s, 1)
I32_FIELD(f_completions, completions, 1)
I32_FIELD(f_parallelism, parallelism, 0)
I32_FIELD(f_backoff, backoff_limit, 0)

static void f_paused(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct wl_read *)obj)->wl->paused);
}

static void f_active_deadline(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_opt_i64 *o = &((struct wl_read *)obj)->wl->active_deadline_s;
    o->has = want_int(w, v, path, 1, INT32_MAX, &o->v);
}

static void f_ttl(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_opt_i64 *o = &((struct wl_read *)obj)->wl->ttl_after_finished_s;
    o->has = want_int(w, v, path, 0, INT32_MAX, &o->v);
}

static void f_template(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    if (v->type != YN_MAP)
        werr(w, v, path, "expected a mapping, got %s", ynode_kind_name(v));
    else
        ((struct wl_read *)obj)->tmpl = v;
}

static void f_match_labels(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_workload *wl = ((struct wl_read *)obj)->wl;
    walk_kv(w, v, path, &wl->selector, &wl->n_selector);
}

static void f_selector(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"matchLabels", f_match_labels},
                                          {"matchExpressions", field_refused}};
    ((struct wl_read *)obj)->has_selector = true;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

static void f_rolling(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"maxSurge", NULL}, {"maxUnavailable", NULL}};
    struct wl_read *r = obj;
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj))
        return;
    r->surge = ynode_get(v, "maxSurge");
    r->unavail = ynode_get(v, "maxUnavailable");
}

static void f_strategy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"type", NULL}, {"rollingUpdate", f_rolling}};
    static const char *const types[] = {"RollingUpdate", "Recreate"};
    struct wl_read *r = obj;
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj))
        return;
    const struct ynode *t = ynode_get(v, "type");
    int i = 0;
    if (!ynode_is_null(t) && want_enum(w, t, "spec.strategy.type", types, 2, &i))
        r->wl->recreate = i == 1;
    if (r->wl->recreate && ynode_get(v, "rollingUpdate"))
        werr(w, ynode_get(v, "rollingUpdate"), "spec.strategy.rollingUpdate",
             "may not be specified when strategy type is 'Recreate'");
}

static void f_ds_strategy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"type", NULL}, {"rollingUpdate", f_rolling}};
    static const char *const types[] = {"RollingUpdate", "OnDelete"};
    struct wl_read *r = obj;
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj))
        return;
    const struct ynode *t = ynode_get(v, "type");
    int i = 0;
    if (!ynode_is_null(t) && want_enum(w, t, "spec.updateStrategy.type", types, 2, &i))
        r->wl->on_delete = i == 1;
    if (r->wl->on_delete && ynode_get(v, "rollingUpdate"))
        werr(w, ynode_get(v, "rollingUpdate"), "spec.updateStrategy.rollingUpdate",
             "may not be specified when strategy type is 'OnDelete'");
}

/* An intOrString: a number, or "N%" (*pct set). Returns false after an error. */
static bool int_or_percent(struct walk *w, const struct ynode *v, const char *path, int32_t *out,
                           bool *pct)
{
    *pct = false;
    if (v->type == YN_SCALAR && v->kind == YS_STR) {
        size_t l = strlen(v->value);
        char *end;
        long x = l > 1 && v->value[l - 1] == '%' ? strtol(v->value, &end, 10) : -1;
        if (x < 0 || x > 100 || end != v->value + l - 1 ||
            !(v->value[0] >= '0' && v->value[0] <= '9')) {
            werr(w, v, path, "'%.100s': a number, or a percentage from 0%% to 100%% (\"25%%\")",
                 v->value);
            return false;
        }
        *out = (int32_t)x;
        *pct = true;
        return true;
    }
    int64_t x;
    if (!want_int(w, v, path, 0, INT32_MAX, &x))
        return false;
    *out = (int32_t)x;
    return true;
}

/* maxSurge / maxUnavailable resolved as Kubernetes' ResolveFenceposts does: a Deployment's
 * surge rounds up and unavailable down (defaults 25%, 25%), a DaemonSet's both up against its
 * one pod (defaults 0, 1); both 0 makes unavailable 1 (a rollout must move). */
static void resolve_rolling(struct walk *w, struct wl_read *r, const struct ynode *spec)
{
    struct spec_workload *wl = r->wl;
    bool ds = wl->kind == SPEC_DAEMONSET;
    const char *at = ds ? "spec.updateStrategy.rollingUpdate." : "spec.strategy.rollingUpdate.";
    int32_t surge = ds ? 0 : 25, unavail = ds ? 1 : 25, total = ds ? 1 : wl->replicas;
    bool sp = !ds, up = !ds;
    char path[64];
    if (wl->recreate || wl->on_delete) {
        wl->max_surge = 0;
        wl->max_unavailable = total;
        return;
    }
    snprintf(path, sizeof(path), "%smaxSurge", at);
    if (r->surge && !int_or_percent(w, r->surge, path, &surge, &sp))
        return;
    snprintf(path, sizeof(path), "%smaxUnavailable", at);
    if (r->unavail && !int_or_percent(w, r->unavail, path, &unavail, &up))
        return;
    if (surge == 0 && unavail == 0) {
        werr(w, r->unavail ? r->unavail : spec, path, "may not be 0 when maxSurge is 0");
        return;
    }
    wl->max_surge = sp ? spec_percent_of(surge, total, true) : surge;
    wl->max_unavailable = up ? spec_percent_of(unavail, total, ds) : unavail;
    if (wl->max_surge == 0 && wl->max_unavailable == 0)
        wl->max_unavailable = 1;
}

/* Static addresses in spec.network belong to one pod: two pods of the template at once (more
 * replicas, or a surge while rolling) would claim them twice. */
static void check_static_addresses(struct walk *w, const struct ynode *spec, struct wl_read *r)
{
    const struct spec_workload *wl = r->wl;
    bool static_addr = false;
    for (size_t i = 0; i < wl->tmpl->network.n_interfaces; i++)
        static_addr |= wl->tmpl->network.interfaces[i].n_addresses > 0;
    if (!static_addr || (wl->replicas <= 1 && wl->max_surge == 0))
        return;
    const struct ynode *tspec = ynode_get(r->tmpl, "spec");
    const struct ynode *net = ynode_get(tspec, "network");
    werr(w, net ? net : spec, "spec.template.spec.network",
         "static addresses cannot be held by two pods at once (%s): use strategy Recreate or "
         "one replica%s",
         wl->replicas > 1 ? "replicas > 1" : "maxSurge > 0 while rolling",
         wl->kind == SPEC_DAEMONSET ? " (updateStrategy OnDelete, or maxSurge 0)"
                                    : " with maxSurge 0");
}

static const struct field deploy_spec[] = {
    {"replicas", f_replicas},
    {"selector", f_selector},
    {"template", f_template},
    {"strategy", f_strategy},
    {"minReadySeconds", f_min_ready},
    {"progressDeadlineSeconds", f_progress},
    {"paused", f_paused},
    {"revisionHistoryLimit", field_ignored},
};

static const struct field ds_spec[] = {
    {"selector", f_selector},
    {"template", f_template},
    {"updateStrategy", f_ds_strategy},
    {"minReadySeconds", f_min_ready},
    {"revisionHistoryLimit", field_ignored},
};

static const struct field job_spec[] = {
    {"completions", f_completions},      {"parallelism", f_parallelism},
    {"backoffLimit", f_backoff},         {"activeDeadlineSeconds", f_active_deadline},
    {"ttlSecondsAfterFinished", f_ttl},  {"template", f_template},
    {"podFailurePolicy", field_refused}, {"suspend", field_refused},
    {"selector", field_refused},         {"manualSelector", field_refused},
    {"completionMode", field_refused},   {"backoffLimitPerIndex", field_refused},
    {"maxFailedIndexes", field_refused}, {"podReplacementPolicy", field_ignored},
};

static void f_deploy_spec(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    walk_map(w, v, path, deploy_spec, TK_ARRAY_SIZE(deploy_spec), obj);
}

static void f_ds_spec(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    walk_map(w, v, path, ds_spec, TK_ARRAY_SIZE(ds_spec), obj);
}

static void f_job_spec(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    const struct ynode *mode = ynode_get(v, "completionMode");
    if (mode && mode->type == YN_SCALAR && mode->value && !strcmp(mode->value, "NonIndexed")) {
        /* the default written out: accepted (walk_map refuses it otherwise) */
        struct field fields[TK_ARRAY_SIZE(job_spec)];
        memcpy(fields, job_spec, sizeof(fields));
        for (size_t i = 0; i < TK_ARRAY_SIZE(fields); i++)
            if (!strcmp(fields[i].key, "completionMode"))
                fields[i].fn = NULL;
        walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
        return;
    }
    walk_map(w, v, path, job_spec, TK_ARRAY_SIZE(job_spec), obj);
}

static const char *pod_label(const struct spec_pod *p, const char *key)
{
    for (size_t i = 0; i < p->n_labels; i++)
        if (!strcmp(p->labels[i].key, key))
            return p->labels[i].value;
    return NULL;
}

/* The Deployment's or DaemonSet's selector must select its template's pods (Kubernetes'
 * ValidateDeploymentSpec); restartPolicy Always only. */
static void check_deployment(struct walk *w, const struct ynode *spec, struct wl_read *r)
{
    struct spec_workload *wl = r->wl;
    const struct ynode *tmeta = ynode_get(r->tmpl, "metadata");
    const struct ynode *at = tmeta ? tmeta : r->tmpl;
    const char *kind = spec_workload_kind_to_string(wl->kind);
    if (!r->has_selector)
        wreq(w, spec, "spec", "selector", "matchLabels naming the template's labels");
    else if (!wl->n_selector)
        werr(w, ynode_get(spec, "selector"), "spec.selector", "empty selector is invalid for a %s",
             kind);
    for (size_t i = 0; i < wl->n_selector; i++) {
        const char *v = pod_label(wl->tmpl, wl->selector[i].key);
        if (!v || strcmp(v, wl->selector[i].value)) {
            werr(w, ynode_get(tmeta, "labels") ? ynode_get(tmeta, "labels") : at,
                 "spec.template.metadata.labels",
                 "selector does not match template labels (%s=%s is not among them)",
                 wl->selector[i].key, wl->selector[i].value);
            break;
        }
    }
    if (wl->tmpl->restart_policy != SPEC_RESTART_ALWAYS)
        werr(w, ynode_get(ynode_get(r->tmpl, "spec"), "restartPolicy"),
             "spec.template.spec.restartPolicy", "a %s's pods restart Always", kind);
    if (wl->kind == SPEC_DEPLOYMENT && wl->progress_deadline_s <= wl->min_ready_s)
        werr(w,
             ynode_get(spec, "progressDeadlineSeconds") ? ynode_get(spec, "progressDeadlineSeconds")
                                                        : spec,
             "spec.progressDeadlineSeconds", "must be greater than minReadySeconds");
    resolve_rolling(w, r, spec);
    check_static_addresses(w, spec, r);
}

static void check_job(struct walk *w, struct wl_read *r)
{
    const struct ynode *tspec = ynode_get(r->tmpl, "spec");
    const struct ynode *rp = ynode_get(tspec, "restartPolicy");
    if (ynode_is_null(rp))
        werr(w, tspec, "spec.template.spec.restartPolicy",
             "required for a Job: OnFailure or Never");
    else if (r->wl->tmpl->restart_policy == SPEC_RESTART_ALWAYS)
        werr(w, rp, "spec.template.spec.restartPolicy",
             "a Job's pods end: OnFailure or Never, not Always");
}

static void read_workload(struct walk *w, const struct ynode *root, struct wl_read *r)
{
    struct field fields[] = {{"apiVersion", NULL},
                             {"kind", NULL},
                             {"metadata", f_metadata},
                             {"spec", f_deploy_spec},
                             {"status", field_ignored}};
    struct spec_workload *wl = r->wl;
    if (wl->kind == SPEC_JOB)
        fields[3].fn = f_job_spec;
    else if (wl->kind == SPEC_DAEMONSET)
        fields[3].fn = f_ds_spec;
    walk_map(w, root, "", fields, TK_ARRAY_SIZE(fields), r);
    const struct ynode *spec = ynode_get(root, "spec");
    if (ynode_is_null(ynode_get(root, "metadata")))
        werr(w, root, "metadata.name", "required");
    if (ynode_is_null(spec)) {
        werr(w, root, "spec", "required");
        return;
    }
    if (!r->tmpl) {
        wreq(w, spec, "spec", "template", "the pods' metadata and spec");
        return;
    }
    char tprefix[128]; /* a CronJob's jobTemplate: "spec.jobTemplate.spec.template." */
    snprintf(tprefix, sizeof(tprefix), "%sspec.template.", w->prefix ? w->prefix : "");
    wl->tmpl =
        spec_pod_from_template(w->e, r->tmpl, tprefix, wl->name ? wl->name : "unnamed", r->tank);
    if (!wl->tmpl)
        return;
    if (wl->kind == SPEC_JOB)
        check_job(w, r);
    else
        check_deployment(w, spec, r);
}

struct spec_workload *spec_workload_from_tree(struct spec_errs *e, const struct ynode *root,
                                              enum spec_workload_kind kind)
{
    if (kind == SPEC_CRONJOB)
        return spec_cronjob_from_tree(e, root);
    return spec_workload_read(e, root, kind, NULL);
}

struct spec_workload *spec_workload_read(struct spec_errs *e, const struct ynode *root,
                                         enum spec_workload_kind kind, const char *prefix)
{
    struct walk w = {.e = e, .prefix = prefix};
    struct spec_workload *wl = tk_xcalloc(1, sizeof(*wl));
    struct wl_read r = {.wl = wl};
    size_t before = e->doc_errors;
    const struct ynode *av = ynode_get(root, "apiVersion");
    const char *want = kind == SPEC_JOB ? "batch/v1" : "apps/v1";
    *wl = (struct spec_workload){.kind = kind,
                                 .line = root->line,
                                 .replicas = 1,
                                 .progress_deadline_s = 600,
                                 .completions = 1,
                                 .parallelism = 1,
                                 .backoff_limit = 6};
    r.tank = kind != SPEC_JOB && av && av->type == YN_SCALAR && !strcmp(av->value, "tank/v1");
    if (!r.tank && (!av || av->type != YN_SCALAR || strcmp(av->value, want)))
        werr(&w, av ? av : root, "apiVersion", "a %s is apiVersion %s",
             spec_workload_kind_to_string(kind), want);
    read_workload(&w, root, &r);
    if (e->doc_errors != before || e->oom) {
        spec_workload_free(wl);
        return NULL;
    }
    doc_identity(root, &wl->namespace, &wl->name_line, &wl->name_column);
    free(wl->tmpl->namespace);
    wl->tmpl->namespace = tk_xstrdup(wl->namespace);
    wl->tmpl->name_line = wl->name_line;
    wl->tmpl->name_column = wl->name_column;
    return wl;
}
