/* Jobs into the pods they run, with their record in state_dir (see controllers.h).
 *
 * A Job's life, decided again at each expansion from its record and its pods' outcomes:
 *
 *   state     | event                                   | next
 *   ----------+-----------------------------------------+---------------------------------
 *   (none)    | first expansion of this spec            | Running (record: key, start)
 *   Running   | a pod failed                            | Running, successor after back-off
 *   Running   | succeeded >= completions                | Complete
 *   Running   | failed > backoffLimit                   | Failed, BackoffLimitExceeded
 *   Running   | now >= start + activeDeadlineSeconds    | Failed, DeadlineExceeded
 *   Complete, | now >= finish + ttlSecondsAfterFinished | same, its pods removed
 *   Failed    |                                         |
 *
 * A finished Job keeps its ended pods (their logs and outcomes) and never adds one; its
 * running pods (a deadline) stop. A different key (changed spec) starts from (none).
 */
#include "agent/controllers-int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/parse.h"

#define BACKOFF_MS 10000   /* Kubernetes' DefaultJobPodFailureBackOff */
#define BACKOFF_CAP_MUL 36 /* MaxJobPodFailureBackOff: 6 min = 36 x 10 s */

struct job_rec {
    char key[17];
    int64_t start_ms, finish_ms, last_failure_ms;
    int64_t failed, succeeded, streak; /* streak: failures since the last success */
    char condition[16], reason[32];
};

/* The key of a Job's spec: its template's hash and its own fields. */
static void job_key(const struct spec_workload *wl, char out[17])
{
    if (wl->owner_cronjob) { /* one run of its CronJob, whatever the template becomes */
        snprintf(out, 17, "%s", "cronjob-run-0000");
        return;
    }
    uint64_t h = 1469598103934665603ull;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s|%" PRId32 "|%" PRId32 "|%" PRId32 "|%d:%" PRId64 "|%d:%" PRId64,
             wl->tmpl->hash, wl->completions, wl->parallelism, wl->backoff_limit,
             wl->active_deadline_s.has, wl->active_deadline_s.v, wl->ttl_after_finished_s.has,
             wl->ttl_after_finished_s.v);
    for (const char *c = buf; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    snprintf(out, 17, "%016" PRIx64, h);
}

static char *rec_path(const char *state_dir, const char *name)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/jobs/%s", state_dir, name);
    return tk_buf_detach(&b);
}

/* Read name's record; false when there is none of this key. */
static bool rec_load(const char *state_dir, const char *name, const char *key, struct job_rec *r)
{
    _cleanup_free_ char *path = rec_path(state_dir, name);
    _cleanup_free_ char *data = NULL;
    *r = (struct job_rec){0};
    if (!path || tk_read_file_flags(path, O_NOFOLLOW, 4096, &data, NULL) < 0)
        return false;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *v = strchr(line, ' ');
        if (!v)
            continue;
        *v++ = '\0';
        int64_t *num = !strcmp(line, "start")          ? &r->start_ms
                       : !strcmp(line, "finish")       ? &r->finish_ms
                       : !strcmp(line, "last_failure") ? &r->last_failure_ms
                       : !strcmp(line, "failed")       ? &r->failed
                       : !strcmp(line, "succeeded")    ? &r->succeeded
                       : !strcmp(line, "streak")       ? &r->streak
                                                       : NULL;
        if (num)
            tk_parse_int64(v, 0, INT64_MAX, num);
        else if (!strcmp(line, "key"))
            snprintf(r->key, sizeof(r->key), "%s", v);
        else if (!strcmp(line, "condition"))
            snprintf(r->condition, sizeof(r->condition), "%s", v);
        else if (!strcmp(line, "reason"))
            snprintf(r->reason, sizeof(r->reason), "%s", v);
    }
    return !strcmp(r->key, key);
}

static void rec_save(const char *state_dir, const char *name, const struct job_rec *r)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/jobs", state_dir);
    _cleanup_free_ char *dir = tk_buf_detach(&b);
    _cleanup_free_ char *path = rec_path(state_dir, name);
    tk_buf_addf(&b,
                "key %s\nstart %" PRId64 "\nfinish %" PRId64 "\nlast_failure %" PRId64
                "\nfailed %" PRId64 "\nsucceeded %" PRId64 "\nstreak %" PRId64 "\n",
                r->key, r->start_ms, r->finish_ms, r->last_failure_ms, r->failed, r->succeeded,
                r->streak);
    if (r->condition[0])
        tk_buf_addf(&b, "condition %s\nreason %s\n", r->condition, r->reason[0] ? r->reason : "-");
    _cleanup_free_ char *text = tk_buf_detach(&b);
    int e = !dir || !path || !text ? -ENOMEM : tk_mkdir_p(dir, 0700);
    if (e >= 0)
        e = tk_write_file_atomic(path, text, strlen(text), 0600);
    if (e < 0)
        tk_warn("job '%s': record its state in %s: %s", name, path ? path : "state_dir",
                strerror(-e));
}

static int64_t backoff_base_ms(void)
{
    static int64_t base = -1;
    if (base < 0) {
        const char *s = getenv("TANK_TEST_JOB_BACKOFF_MS");
        if (!s || tk_parse_int64(s, 0, 3600000, &base) < 0)
            base = BACKOFF_MS;
    }
    return base;
}

/* When the successor of the last failure may start (0: at once). */
static int64_t next_pod_at(const struct job_rec *r)
{
    if (!r->streak || r->finish_ms)
        return 0;
    int64_t base = backoff_base_ms(), d = base;
    for (int64_t i = 1; i < r->streak && d < base * BACKOFF_CAP_MUL; i++)
        d *= 2;
    if (d > base * BACKOFF_CAP_MUL)
        d = base * BACKOFF_CAP_MUL;
    return r->last_failure_ms + d;
}

static void finish(struct job_rec *r, int64_t now, const char *cond, const char *reason)
{
    r->finish_ms = now;
    snprintf(r->condition, sizeof(r->condition), "%s", cond);
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* Fold the pods' outcomes into the record; true when it changed. */
static bool update(const struct spec_workload *wl, struct job_rec *r, int64_t now, int64_t failed,
                   int64_t succeeded, int64_t active)
{
    bool changed = false;
    if (succeeded > r->succeeded) {
        r->succeeded = succeeded;
        r->streak = 0;
        changed = true;
    }
    if (failed > r->failed) {
        r->streak += failed - r->failed;
        r->failed = failed;
        r->last_failure_ms = now;
        changed = true;
    }
    if (r->finish_ms)
        return changed;
    if (succeeded >= wl->completions)
        finish(r, now, "Complete", "");
    else if (failed > wl->backoff_limit)
        finish(r, now, "Failed", "BackoffLimitExceeded");
    else if (wl->active_deadline_s.has && now >= r->start_ms + wl->active_deadline_s.v * 1000)
        finish(r, now, "Failed", "DeadlineExceeded");
    (void)active;
    return changed || r->finish_ms;
}

/* The pod name of index i (0-based): NAME-xxxxx from the template's hash. */
static void index_pod_name(const struct spec_workload *wl, int64_t i, char *name, size_t size)
{
    char suffix[6];
    controllers_alphabet(wl->tmpl->hash, (unsigned)i + 1, suffix, 5);
    snprintf(name, size, "%s-%s", wl->name, suffix);
}

static enum controllers_pod observe(struct controllers_ctx *ctx, const char *name)
{
    return ctx->observe ? ctx->observe(ctx->data, name) : CONTROLLERS_ABSENT;
}

/* The Job's record in state_dir, or a new one started now; true when it was there. */
static bool rec_get(const struct spec_workload *wl, struct controllers_ctx *ctx,
                    struct job_rec *rec)
{
    char key[17];
    job_key(wl, key);
    bool known = ctx->state_dir && rec_load(ctx->state_dir, wl->name, key, rec);
    if (!known) {
        *rec = (struct job_rec){.start_ms = ctx->now_ms};
        snprintf(rec->key, sizeof(rec->key), "%s", key);
    }
    return known;
}

/* Fold the outcomes of the first limit indexes into rec, kept in state_dir when it changed. */
static void observe_outcomes(const struct spec_workload *wl, struct controllers_ctx *ctx,
                             struct job_rec *rec, bool known, int64_t limit)
{
    char name[128];
    int64_t now = ctx->now_ms, succeeded = 0, failed = 0, active = 0;
    for (int64_t i = 0; i < limit; i++) {
        index_pod_name(wl, i, name, sizeof(name));
        enum controllers_pod o = observe(ctx, name);
        succeeded += o == CONTROLLERS_SUCCEEDED;
        failed += o == CONTROLLERS_FAILED;
        active += o == CONTROLLERS_ACTIVE;
    }
    bool was_finished = rec->finish_ms != 0;
    if ((update(wl, rec, now, failed, succeeded, active) || !known) && ctx->state_dir)
        rec_save(ctx->state_dir, wl->name, rec);
    if (rec->finish_ms && !was_finished && wl->owner_cronjob)
        controllers_wake_at(ctx, now); /* its CronJob decides again (Forbid waits for it) */
    if (rec->finish_ms && !was_finished)
        tk_info("job '%s': %s%s%s", wl->name, rec->condition, rec->reason[0] ? ", " : "",
                rec->reason);
}

/* The wake-ups the Job needs (its TTL, its deadline, the next pod after a back-off); true
 * when its TTL after finishing has run out (its pods go). */
static bool schedule_wakeups(const struct spec_workload *wl, struct controllers_ctx *ctx,
                             const struct job_rec *rec, int64_t wait_until)
{
    int64_t now = ctx->now_ms;
    bool expired = false;
    if (rec->finish_ms && wl->ttl_after_finished_s.has) {
        int64_t at = rec->finish_ms + wl->ttl_after_finished_s.v * 1000;
        expired = now >= at;
        if (!expired)
            controllers_wake_at(ctx, at);
    }
    if (!rec->finish_ms && wl->active_deadline_s.has)
        controllers_wake_at(ctx, rec->start_ms + wl->active_deadline_s.v * 1000);
    if (wait_until > now)
        controllers_wake_at(ctx, wait_until);
    return expired;
}

/* The pods: the ended ones stay (until the TTL); running ones while the Job runs; a new
 * index while it runs, no back-off is pending, and the counts allow it. */
static int add_pods(struct spec_set *set, const struct spec_workload *wl,
                    struct controllers_ctx *ctx, const struct job_rec *rec, int64_t limit,
                    int64_t wait_until)
{
    char name[128];
    const char *labels[] = {"job-name", wl->name, "batch.kubernetes.io/job-name", wl->name, NULL};
    int64_t now = ctx->now_ms, n_succ = 0, n_act = 0, n_fail = 0;
    for (int64_t i = 0; i < limit; i++) {
        index_pod_name(wl, i, name, sizeof(name));
        enum controllers_pod o = observe(ctx, name);
        if (o == CONTROLLERS_ACTIVE && rec->finish_ms)
            continue;
        if (o == CONTROLLERS_ABSENT &&
            (rec->finish_ms || wait_until > now || n_succ + n_act >= wl->completions ||
             n_act >= wl->parallelism || n_fail > wl->backoff_limit))
            continue;
        n_succ += o == CONTROLLERS_SUCCEEDED;
        n_fail += o == CONTROLLERS_FAILED;
        n_act += o == CONTROLLERS_ACTIVE || o == CONTROLLERS_ABSENT;
        int r = controllers_add_pod(set, wl, name, labels);
        if (r < 0)
            return r;
    }
    return 0;
}

int jobs_expand(struct spec_set *set, const struct spec_workload *wl, struct controllers_ctx *ctx)
{
    int64_t limit = (int64_t)wl->completions + wl->backoff_limit;
    struct job_rec rec;
    bool known = rec_get(wl, ctx, &rec);
    observe_outcomes(wl, ctx, &rec, known, limit);
    int64_t wait_until = next_pod_at(&rec);
    if (schedule_wakeups(wl, ctx, &rec, wait_until))
        return 0;
    return add_pods(set, wl, ctx, &rec, limit, wait_until);
}

int controllers_job_status(const char *state_dir, const struct spec_workload *wl,
                           struct controllers_job_status *out)
{
    char key[17];
    struct job_rec r;
    *out = (struct controllers_job_status){0};
    job_key(wl, key);
    if (!state_dir || !rec_load(state_dir, wl->name, key, &r))
        return 0;
    out->known = true;
    out->start_ms = r.start_ms;
    out->finish_ms = r.finish_ms;
    snprintf(out->condition, sizeof(out->condition), "%s", r.condition);
    snprintf(out->reason, sizeof(out->reason), "%s", strcmp(r.reason, "-") ? r.reason : "");
    out->next_pod_ms = next_pod_at(&r);
    return 1;
}
