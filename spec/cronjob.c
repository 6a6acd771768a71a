/* kind CronJob (batch/v1): schedule, timeZone, concurrencyPolicy, startingDeadlineSeconds,
 * suspend, the history limits, and a jobTemplate read as a Job (its errors name
 * "spec.jobTemplate.spec..."), validated as Kubernetes validates them. */
#include "spec/spec-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/cron.h"

#define CRONJOB_NAME_MAX 52 /* Kubernetes': its Jobs add "-" and 11 characters */

void spec_cron_free(struct spec_cron *c)
{
    if (!c)
        return;
    free(c->schedule);
    free(c->time_zone);
    spec_workload_free(c->job);
    free(c);
}

struct spec_cron *spec_cron_dup(const struct spec_cron *c)
{
    struct spec_cron *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    *d = *c;
    d->schedule = strdup(c->schedule);
    d->time_zone = c->time_zone ? strdup(c->time_zone) : NULL;
    d->job = spec_workload_dup(c->job);
    if (!d->schedule || (c->time_zone && !d->time_zone) || !d->job) {
        spec_cron_free(d);
        return NULL;
    }
    return d;
}

struct cron_read {
    struct spec_workload *wl;
    const struct ynode *job_spec; /* spec.jobTemplate.spec */
    const struct ynode *job_at;   /* spec.jobTemplate */
};

static bool cronjob_name_ok(const char *s)
{
    return tk_is_dns_label(s) && strlen(s) <= CRONJOB_NAME_MAX;
}

static void f_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_checked(w, v, path, &((struct cron_read *)obj)->wl->name, cronjob_name_ok,
                 "a valid CronJob name (lowercase letters, digits and '-', at most 52 "
                 "characters: its Jobs add 11)");
}

static void f_namespace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_checked(w, v, path, &((struct cron_read *)obj)->wl->namespace, tk_is_dns_label,
                 "a valid namespace name " DNS1123_RULE);
}

static void f_labels(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_kv *kv = NULL;
    size_t n = 0;
    (void)obj;
    walk_kv(w, v, path, &kv, &n);
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void f_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_name},
        {"namespace", f_namespace},
        {"labels", f_labels},
        {"annotations", NULL},
        {"creationTimestamp", field_ignored},
        {"uid", field_ignored},
        {"resourceVersion", field_ignored},
        {"generation", field_ignored},
        {"managedFields", field_ignored},
    };
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj) &&
        ynode_is_null(ynode_get(v, "name")))
        werr(w, v, "metadata.name", "required");
}

static void f_schedule(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_cron *c = ((struct cron_read *)obj)->wl->cron;
    struct tk_cron parsed;
    char err[256];
    if (!want_str(w, v, path, &c->schedule))
        return;
    if (tk_cron_parse(c->schedule, &parsed, err, sizeof(err)) < 0)
        werr(w, v, path, "'%.100s': %s", c->schedule, err);
}

static void f_time_zone(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_cron *c = ((struct cron_read *)obj)->wl->cron;
    if (want_str(w, v, path, &c->time_zone) && !tk_tz_valid(c->time_zone))
        werr(w, v, path,
             "unknown time zone '%.100s' (an IANA name of this host's zoneinfo, such as "
             "Europe/Berlin or Etc/UTC)",
             c->time_zone);
}

static void f_concurrency(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"Allow", "Forbid", "Replace"};
    int i;
    if (want_enum(w, v, path, names, 3, &i))
        ((struct cron_read *)obj)->wl->cron->concurrency = (enum spec_concurrency)i;
}

static void f_deadline(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_opt_i64 *o = &((struct cron_read *)obj)->wl->cron->starting_deadline_s;
    o->has = want_int(w, v, path, 0, INT32_MAX, &o->v);
}

static void f_suspend(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct cron_read *)obj)->wl->cron->suspend);
}

static void f_history_ok(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    int64_t x;
    if (want_int(w, v, path, 0, INT32_MAX, &x))
        ((struct cron_read *)obj)->wl->cron->successful_history = (int32_t)x;
}

static void f_history_failed(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    int64_t x;
    if (want_int(w, v, path, 0, INT32_MAX, &x))
        ((struct cron_read *)obj)->wl->cron->failed_history = (int32_t)x;
}

static void f_job_template(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"metadata", NULL}, {"spec", NULL}};
    struct cron_read *r = obj;
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj))
        return;
    r->job_at = v;
    r->job_spec = ynode_get(v, "spec");
    if (ynode_is_null(r->job_spec))
        wreq(w, v, path, "spec", "the Job's spec, with its template");
}

static void f_spec(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"schedule", f_schedule},
        {"timeZone", f_time_zone},
        {"concurrencyPolicy", f_concurrency},
        {"startingDeadlineSeconds", f_deadline},
        {"suspend", f_suspend},
        {"successfulJobsHistoryLimit", f_history_ok},
        {"failedJobsHistoryLimit", f_history_failed},
        {"jobTemplate", f_job_template},
    };
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj))
        return;
    if (ynode_is_null(ynode_get(v, "schedule")))
        wreq(w, v, path, "schedule", "a cron schedule such as \"*/5 * * * *\" or @hourly");
    if (ynode_is_null(ynode_get(v, "jobTemplate")))
        wreq(w, v, path, "jobTemplate", "the Job to run: its spec with a template");
}

static struct ynode scalar(const struct ynode *at, const char *value)
{
    return (struct ynode){
        .type = YN_SCALAR, .line = at->line, .col = at->col, .value = (char *)value};
}

/* The jobTemplate as a Job document named like the CronJob, read with the errors' paths
 * under "spec.jobTemplate.". */
static struct spec_workload *read_job(struct spec_errs *e, struct cron_read *r)
{
    const struct ynode *at = r->job_at;
    struct ynode k_av = scalar(at, "apiVersion"), v_av = scalar(at, "batch/v1");
    struct ynode k_kind = scalar(at, "kind"), v_kind = scalar(at, "Job");
    struct ynode k_meta = scalar(at, "metadata"), k_name = scalar(at, "name");
    struct ynode v_name = scalar(at, r->wl->name), k_spec = scalar(at, "spec");
    struct ynode *meta_items[] = {&k_name, &v_name};
    struct ynode meta = {.type = YN_MAP,
                         .line = at->line,
                         .col = at->col,
                         .items = meta_items,
                         .n = 1,
                         .used = 2,
                         .cap = 2};
    struct ynode *items[] = {&k_av,   &v_av, &k_kind, &v_kind,
                             &k_meta, &meta, &k_spec, (struct ynode *)r->job_spec};
    struct ynode root = {.type = YN_MAP,
                         .line = at->line,
                         .col = at->col,
                         .items = items,
                         .n = 4,
                         .used = 8,
                         .cap = 8};
    k_av.kind = v_av.kind = k_kind.kind = v_kind.kind = k_meta.kind = k_name.kind = v_name.kind =
        k_spec.kind = YS_STR;
    return spec_workload_read(e, &root, SPEC_JOB, "spec.jobTemplate.");
}

struct spec_workload *spec_cronjob_from_tree(struct spec_errs *e, const struct ynode *root)
{
    static const struct field fields[] = {{"apiVersion", NULL},
                                          {"kind", NULL},
                                          {"metadata", f_metadata},
                                          {"spec", f_spec},
                                          {"status", field_ignored}};
    struct walk w = {.e = e};
    struct spec_workload *wl = tk_xcalloc(1, sizeof(*wl));
    struct cron_read r = {.wl = wl};
    size_t before = e->doc_errors;
    wl->kind = SPEC_CRONJOB;
    wl->line = root->line;
    wl->cron = tk_xcalloc(1, sizeof(*wl->cron));
    wl->cron->successful_history = 3;
    wl->cron->failed_history = 1;
    walk_api_version(&w, root, "CronJob", "batch/v1");
    walk_map(&w, root, "", fields, TK_ARRAY_SIZE(fields), &r);
    walk_require_top(&w, root, "");
    if (e->doc_errors == before && !e->oom && r.job_spec && wl->name)
        wl->cron->job = read_job(e, &r);
    if (e->doc_errors != before || e->oom || !wl->cron->job) {
        spec_workload_free(wl);
        return NULL;
    }
    doc_identity(root, &wl->namespace, &wl->name_line, &wl->name_column);
    wl->tmpl = spec_pod_dup(wl->cron->job->tmpl);
    if (!wl->tmpl) {
        e->oom = true;
        spec_workload_free(wl);
        return NULL;
    }
    wl->tmpl->name_line = wl->name_line;
    wl->tmpl->name_column = wl->name_column;
    return wl;
}
