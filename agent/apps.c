/* Deployments and DaemonSets into the pods they own, rolling between templates (see
 * controllers.h and rollout.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/controllers-int.h"
#include "agent/resolve.h"
#include "agent/rollout.h"
#include "base/cleanup.h"
#include "base/fs.h"

#define NS_PER_S 1000000000ll

static const char *object_kind(const struct spec_workload *wl)
{
    return wl->kind == SPEC_DAEMONSET ? "daemonset" : "deployment";
}

static void event(struct controllers_ctx *h, const struct spec_workload *wl, const char *reason,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void event(struct controllers_ctx *h, const struct spec_workload *wl, const char *reason,
                  const char *fmt, ...)
{
    char object[80], msg[300];
    if (!h || !h->event)
        return;
    snprintf(object, sizeof(object), "%s/%s", object_kind(wl), wl->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    h->event(h->data, object, reason, msg);
}

static bool in_alphabet(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(CONTROLLERS_ALPHABET, s[i]))
            return false;
    return true;
}

/* The template hash part and index of a pod name of wl (NAME-HASH-N for a Deployment,
 * NAME-XXXXX for a DaemonSet); false when name is not one. tmpl holds 11 bytes. */
static bool parse_name(const struct spec_workload *wl, const char *name, char *tmpl, int *index)
{
    size_t l = strlen(wl->name);
    if (strncmp(name, wl->name, l) || name[l] != '-')
        return false;
    const char *p = name + l + 1;
    if (wl->kind == SPEC_DAEMONSET) {
        if (strlen(p) != 5 || !in_alphabet(p, 5))
            return false;
        snprintf(tmpl, 11, "%s", p);
        *index = 0;
        return true;
    }
    if (strlen(p) < 12 || !in_alphabet(p, 10) || p[10] != '-')
        return false;
    char *end;
    errno = 0;
    long n = strtol(p + 11, &end, 10);
    if (errno || *end || end == p + 11 || n < 0 || n > INT32_MAX || (p[11] == '0' && p[12]))
        return false;
    memcpy(tmpl, p, 10);
    tmpl[10] = '\0';
    *index = (int)n;
    return true;
}

/* Whether info is a pod of wl: its owner when its spec is known, else its name. */
static bool owned(const struct spec_workload *wl, const struct controllers_podinfo *info,
                  char *tmpl, int *index)
{
    const struct spec_pod *sp = info->spec;
    if (sp && (!sp->owner_kind || strcmp(sp->owner_kind, spec_workload_kind_to_string(wl->kind)) ||
               strcmp(sp->owner_name, wl->name)))
        return false;
    return parse_name(wl, info->name, tmpl, index);
}

static struct controllers_rollout *rollout_get(struct controllers_rollouts *all,
                                               const struct spec_workload *wl, int64_t now)
{
    for (size_t i = 0; i < all->n; i++)
        if (all->v[i].kind == (int)wl->kind && !strcmp(all->v[i].name, wl->name))
            return &all->v[i];
    struct controllers_rollout *v = realloc(all->v, (all->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    all->v = v;
    struct controllers_rollout *ro = &v[all->n++];
    *ro = (struct controllers_rollout){.kind = (int)wl->kind, .progress_ns = now};
    snprintf(ro->name, sizeof(ro->name), "%s", wl->name);
    return ro;
}

/* The pods the workload owns now, as the rollout arithmetic sees them. */
struct app_pods {
    struct controllers_podinfo *info; /* from ctx->list */
    size_t n_info;
    struct rollout_pod *pods;
    size_t *which; /* pods[i] is info[which[i]] */
    char (*tmpl)[11];
    size_t n;
};

static void app_pods_free(struct app_pods *a)
{
    free(a->info);
    free(a->pods);
    free(a->which);
    free(a->tmpl);
}

static int app_pods_read(struct app_pods *a, const struct spec_workload *wl,
                         struct controllers_ctx *h, const char *hash)
{
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "%s-", wl->name);
    *a = (struct app_pods){0};
    a->n_info = h && h->list ? h->list(h->data, prefix, &a->info) : 0;
    a->pods = calloc(a->n_info + 1, sizeof(*a->pods));
    a->which = calloc(a->n_info + 1, sizeof(*a->which));
    a->tmpl = calloc(a->n_info + 1, sizeof(*a->tmpl));
    if (!a->pods || !a->which || !a->tmpl)
        return -ENOMEM;
    size_t cmp = wl->kind == SPEC_DAEMONSET ? 5 : 10;
    for (size_t i = 0; i < a->n_info; i++) {
        const struct controllers_podinfo *in = &a->info[i];
        int index;
        if (!owned(wl, in, a->tmpl[a->n], &index))
            continue;
        a->pods[a->n] = (struct rollout_pod){.is_new = !strncmp(a->tmpl[a->n], hash, cmp),
                                             .index = index,
                                             .stopping = in->stopping,
                                             .ready = in->ready,
                                             .ready_ns = in->ready_ns};
        a->which[a->n++] = i;
    }
    return 0;
}

static void params_of(const struct spec_workload *wl, struct rollout_params *p)
{
    *p = (struct rollout_params){.replicas = wl->kind == SPEC_DAEMONSET ? 1 : wl->replicas,
                                 .max_surge = wl->max_surge,
                                 .max_unavailable = wl->max_unavailable,
                                 .min_ready_s = wl->min_ready_s,
                                 .recreate = wl->recreate,
                                 .paused = wl->paused};
}

/* OnDelete: an old pod that still runs stays, and no new one starts beside it. */
static void on_delete(struct app_pods *a, struct rollout_result *res)
{
    bool old = false;
    for (size_t i = 0; i < a->n; i++)
        old |= !a->pods[i].is_new && !a->pods[i].stopping;
    if (old) {
        for (size_t i = 0; i < a->n; i++)
            a->pods[i].keep = !a->pods[i].is_new && !a->pods[i].stopping;
        res->updated -= res->create;
        res->create = 0;
    }
}

static void pod_name_of(const struct spec_workload *wl, const char *hash, int index, char *out,
                        size_t size)
{
    if (wl->kind == SPEC_DAEMONSET)
        snprintf(out, size, "%s-%.5s", wl->name, hash);
    else
        snprintf(out, size, "%s-%s-%d", wl->name, hash, index);
}

/* The kept pods and the new ones into set. */
static int emit(struct spec_set *set, const struct spec_workload *wl, const struct app_pods *a,
                const char *hash, int32_t create)
{
    const char *dlabels[] = {"pod-template-hash", hash, NULL};
    const char *slabels[] = {"controller-revision-hash", hash, NULL};
    const char *const *labels = wl->kind == SPEC_DAEMONSET ? slabels : dlabels;
    const char *none[] = {NULL};
    char name[160];
    for (size_t i = 0; i < a->n; i++) {
        const struct rollout_pod *p = &a->pods[i];
        const struct controllers_podinfo *in = &a->info[a->which[i]];
        if (!p->keep)
            continue;
        int r;
        if (p->is_new)
            r = controllers_add_pod(set, wl, in->name, labels);
        else if (in->spec)
            r = controllers_add_kept(set, wl, in->name, none, in->spec, in->hash);
        else { /* adopted without its manifest: its old hash, kept as it runs */
            const char *old[] = {labels[0], a->tmpl[i], NULL};
            r = controllers_add_kept(set, wl, in->name, old, NULL, in->hash);
        }
        if (r < 0)
            return r;
    }
    for (int index = 0; create > 0; index++) {
        bool taken = false;
        for (size_t i = 0; i < a->n && !taken; i++)
            taken = a->pods[i].keep && a->pods[i].is_new && a->pods[i].index == index;
        if (taken)
            continue;
        pod_name_of(wl, hash, index, name, sizeof(name));
        int r = controllers_add_pod(set, wl, name, labels);
        if (r < 0)
            return r;
        create--;
    }
    return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 1099511628211ull;
}

/* The rollout's record, its events and its next due pass. */
static void account(struct controllers_ctx *h, const struct spec_workload *wl, const char *hash,
                    const struct rollout_params *par, const struct rollout_result *res,
                    const struct app_pods *a, int64_t now)
{
    struct controllers_rollout *ro = h->rollouts ? rollout_get(h->rollouts, wl, now) : NULL;
    if (!ro)
        return;
    int32_t old_kept = 0;
    for (size_t i = 0; i < a->n; i++)
        old_kept += a->pods[i].keep && !a->pods[i].is_new;
    uint64_t sig = 1469598103934665603ull;
    for (const char *c = hash; *c; c++)
        sig = mix(sig, (unsigned char)*c);
    sig = mix(mix(mix(sig, (uint64_t)res->updated), (uint64_t)res->new_available),
              (uint64_t)res->old);
    bool first = !ro->hash[0];
    if (first ? res->create > 0 : res->updated > ro->new_target)
        event(h, wl, "ScalingReplicaSet", "Scaled up replica set %s-%s to %d", wl->name, hash,
              (int)res->updated);
    else if (!first && strcmp(ro->hash, hash) == 0 && res->updated < ro->new_target)
        event(h, wl, "ScalingReplicaSet", "Scaled down replica set %s-%s to %d", wl->name, hash,
              (int)res->updated);
    if (!first && old_kept < ro->old_kept)
        event(h, wl, "ScalingReplicaSet", "Scaled down the old replica sets of %s to %d", wl->name,
              (int)old_kept);
    if (sig != ro->progress_sig || strcmp(ro->hash, hash))
        ro->progress_ns = now, ro->deadline_exceeded = false;
    ro->progress_sig = sig;
    snprintf(ro->hash, sizeof(ro->hash), "%s", hash);
    ro->replicas = par->replicas;
    ro->updated = res->updated;
    ro->ready = res->ready;
    ro->available = res->available;
    ro->new_target = res->updated;
    ro->old_kept = old_kept;
    ro->min_available = res->available >= par->replicas - par->max_unavailable;
    ro->seen = true;
    if (res->complete && !ro->complete)
        event(h, wl, "NewReplicaSetAvailable", "replica set %s-%s has successfully progressed",
              wl->name, hash);
    ro->complete = res->complete;
    int64_t deadline = ro->progress_ns + (int64_t)wl->progress_deadline_s * NS_PER_S;
    bool tracked = wl->kind == SPEC_DEPLOYMENT && !res->complete && !par->paused;
    if (tracked && !ro->deadline_exceeded && now >= deadline) {
        ro->deadline_exceeded = true;
        event(h, wl, "ProgressDeadlineExceeded",
              "replica set %s-%s has timed out progressing (%d of %d new pods available within "
              "%ds)",
              wl->name, hash, (int)res->new_available, (int)par->replicas,
              (int)wl->progress_deadline_s);
    }
    int64_t wake = res->wake_ns;
    if (tracked && !ro->deadline_exceeded && (!wake || deadline < wake))
        wake = deadline;
    if (wake) /* on the controllers' clock */
        controllers_wake_at(h, h->now_ms + (wake - now) / 1000000 + 1);
}

int apps_expand(struct spec_set *set, const struct spec_workload *wl, struct controllers_ctx *h)
{
    char hash[11], reads[65];
    int r =
        resolve_reads_digest(set, wl->tmpl, h->reads_key, reads); /* (a revision: controllers.h) */
    if (r < 0)
        return r;
    controllers_template_hash(wl, r ? reads : NULL, hash);
    int64_t now = h->rollout_now_ns ? h->rollout_now_ns : tk_now_realtime_ns();
    struct app_pods a;
    r = app_pods_read(&a, wl, h, hash);
    if (r < 0) {
        app_pods_free(&a);
        return r;
    }
    struct rollout_params par;
    struct rollout_result res;
    params_of(wl, &par);
    rollout_plan(&par, a.pods, a.n, now, &res);
    if (wl->kind == SPEC_DAEMONSET && wl->on_delete)
        on_delete(&a, &res);
    r = emit(set, wl, &a, hash, res.create);
    if (r == 0)
        account(h, wl, hash, &par, &res, &a, now);
    app_pods_free(&a);
    return r;
}

void controllers_apps_begin(struct controllers_ctx *ctx)
{
    for (size_t i = 0; ctx->rollouts && i < ctx->rollouts->n; i++)
        ctx->rollouts->v[i].seen = false;
}

void controllers_apps_end(struct controllers_ctx *ctx)
{
    struct controllers_rollouts *all = ctx->rollouts;
    size_t out = 0;
    for (size_t i = 0; all && i < all->n; i++)
        if (all->v[i].seen)
            all->v[out++] = all->v[i];
    if (all)
        all->n = out;
}

const struct controllers_rollout *controllers_rollout_find(const struct controllers_rollouts *all,
                                                           int kind, const char *name)
{
    for (size_t i = 0; all && i < all->n; i++)
        if (all->v[i].kind == kind && !strcmp(all->v[i].name, name))
            return &all->v[i];
    return NULL;
}

void controllers_rollouts_free(struct controllers_rollouts *all)
{
    if (!all)
        return;
    free(all->v);
    all->v = NULL;
    all->n = 0;
}
