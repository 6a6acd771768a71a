/* CronJobs into the Jobs they start (see controllers.h), as Kubernetes' CronJob controller
 * (v2) decides at each sync:
 *
 *   - The most recent scheduled time after the last one it started (or after it was first
 *     seen) and not after now, looked for only within startingDeadlineSeconds when that is
 *     set: missed runs (the agent was down) give at most one catch-up run.
 *   - suspend: nothing starts. Forbid with a Job running: nothing starts, and the last
 *     scheduled time is not moved, so the run starts once the Job has ended (if still
 *     within the deadline). Replace: the running Jobs are removed (their pods stop) first.
 *   - A Job is named CRONJOB-MINUTES (its scheduled time in minutes since the epoch), runs
 *     the jobTemplate and is kept until more than successfulJobsHistoryLimit /
 *     failedJobsHistoryLimit newer ones have ended the same way.
 *
 * The record state_dir/cronjobs/NAME keeps when the CronJob was first seen, its last
 * scheduled time and its Jobs' scheduled times, so an agent restart neither repeats nor
 * forgets a run. The controllers' timer wakes at the next scheduled time.
 */
#include "agent/controllers-int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/cron.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/parse.h"

#define MAX_JOBS 64 /* Jobs a record keeps (the oldest ended ones go first) */

struct cron_rec {
    int64_t created_s, last_s; /* last: the last scheduled time started (0: none) */
    int64_t jobs[MAX_JOBS];    /* scheduled times of the Jobs kept, oldest first */
    size_t n_jobs;
};

static char *path_of(const char *state_dir, const char *dir, const char *name)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/%s%s%s", state_dir, dir, name ? "/" : "", name ? name : "");
    return tk_buf_detach(&b);
}

static bool rec_load(const char *state_dir, const char *name, struct cron_rec *r)
{
    _cleanup_free_ char *path = path_of(state_dir, "cronjobs", name);
    _cleanup_free_ char *data = NULL;
    *r = (struct cron_rec){0};
    if (!path || tk_read_file_flags(path, O_NOFOLLOW, 8192, &data, NULL) < 0)
        return false;
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *v = strchr(l, ' ');
        int64_t x;
        if (!v || tk_parse_int64(v + 1, 0, INT64_MAX / 1000, &x) < 0)
            continue;
        *v = '\0';
        if (!strcmp(l, "created"))
            r->created_s = x;
        else if (!strcmp(l, "last"))
            r->last_s = x;
        else if (!strcmp(l, "job") && r->n_jobs < MAX_JOBS)
            r->jobs[r->n_jobs++] = x;
    }
    return r->created_s > 0;
}

static void rec_save(const char *state_dir, const char *name, const struct cron_rec *r)
{
    _cleanup_free_ char *dir = path_of(state_dir, "cronjobs", NULL);
    _cleanup_free_ char *path = path_of(state_dir, "cronjobs", name);
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "created %" PRId64 "\nlast %" PRId64 "\n", r->created_s, r->last_s);
    for (size_t i = 0; i < r->n_jobs; i++)
        tk_buf_addf(&b, "job %" PRId64 "\n", r->jobs[i]);
    _cleanup_free_ char *text = tk_buf_detach(&b);
    int e = !dir || !path || !text ? -ENOMEM : tk_mkdir_p(dir, 0700);
    if (e >= 0)
        e = tk_write_file_atomic(path, text, strlen(text), 0600);
    if (e < 0)
        tk_warn("cronjob '%s': record its state: %s", name, strerror(-e));
}

/* The Job of the run scheduled at sched_s: the jobTemplate named CRONJOB-MINUTES. */
static struct spec_workload *job_of(const struct spec_workload *cj, int64_t sched_s)
{
    struct spec_workload *j = spec_workload_dup(cj->cron->job);
    if (!j)
        return NULL;
    free(j->name);
    free(j->namespace);
    free(j->file);
    j->name = NULL;
    j->file = NULL;
    if (asprintf(&j->name, "%s-%" PRId64, cj->name, sched_s / 60) < 0)
        j->name = NULL;
    j->namespace = strdup(cj->namespace);
    j->owner_cronjob = strdup(cj->name);
    j->file = cj->file ? strdup(cj->file) : NULL;
    j->name_line = cj->name_line;
    j->name_column = cj->name_column;
    if (!j->name || !j->namespace || !j->owner_cronjob || (cj->file && !j->file)) {
        spec_workload_free(j);
        return NULL;
    }
    return j;
}

/* Whether the Job of sched_s has ended, and how. */
static const char *job_outcome(const struct spec_workload *cj, int64_t sched_s,
                               const char *state_dir)
{
    static char cond[16];
    struct spec_workload *j = job_of(cj, sched_s);
    struct controllers_job_status st = {0};
    if (j && state_dir)
        controllers_job_status(state_dir, j, &st);
    spec_workload_free(j);
    snprintf(cond, sizeof(cond), "%s", st.condition);
    return cond[0] ? cond : NULL;
}

/* The most recent scheduled time in (from, now], 0 when none; the search widens from an
 * hour back, so a frequent schedule is not walked through a long downtime. */
static int64_t most_recent(const struct tk_cron *c, const char *tz, int64_t from, int64_t now)
{
    static const int64_t windows[] = {3600,       86400,       8 * 86400,
                                      32 * 86400, 367 * 86400, 5 * 367 * 86400LL};
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        int64_t start = now - windows[w] > from ? now - windows[w] : from;
        int64_t t = tk_cron_next(c, tz, start), last = 0;
        for (int i = 0; t > 0 && t <= now && i < 100000; i++) {
            last = t;
            t = tk_cron_next(c, tz, t);
        }
        if (last || start == from)
            return last;
    }
    return 0;
}

/* Drop the Jobs beyond the history limits, the Replace victims, and remove their records. */
static void drop_job(const char *state_dir, const struct spec_workload *cj, struct cron_rec *r,
                     size_t i)
{
    char name[80];
    snprintf(name, sizeof(name), "%s-%" PRId64, cj->name, r->jobs[i] / 60);
    _cleanup_free_ char *path = path_of(state_dir, "jobs", name);
    if (path && unlink(path) < 0 && errno != ENOENT)
        tk_warn("cronjob '%s': remove the record of job '%s': %m", cj->name, name);
    memmove(&r->jobs[i], &r->jobs[i + 1], (r->n_jobs - i - 1) * sizeof(r->jobs[0]));
    r->n_jobs--;
}

static bool trim_history(const char *state_dir, const struct spec_workload *cj, struct cron_rec *r,
                         size_t *active)
{
    int32_t ok = 0, failed = 0;
    bool changed = false;
    *active = 0;
    for (size_t i = r->n_jobs; i-- > 0;) { /* newest first */
        const char *o = job_outcome(cj, r->jobs[i], state_dir);
        bool drop = false;
        if (!o)
            ++*active;
        else if (!strcmp(o, "Complete"))
            drop = ++ok > cj->cron->successful_history;
        else
            drop = ++failed > cj->cron->failed_history;
        if (drop) {
            drop_job(state_dir, cj, r, i);
            changed = true;
        }
    }
    return changed;
}

/* Start the run of sched_s (or not), as the concurrency policy says. */
static bool schedule(const char *state_dir, const struct spec_workload *cj, struct cron_rec *r,
                     int64_t sched_s, int64_t now_s, size_t active)
{
    const struct spec_cron *c = cj->cron;
    if (sched_s <= r->last_s)
        return false;
    if (c->starting_deadline_s.has && sched_s + c->starting_deadline_s.v < now_s) {
        tk_warn("cronjob '%s': missed the scheduled time %" PRId64 " (startingDeadlineSeconds)",
                cj->name, sched_s);
        return false;
    }
    if (c->concurrency == SPEC_CONCURRENCY_FORBID && active)
        return false; /* as Kubernetes: the run waits for the Job (last not moved) */
    if (c->concurrency == SPEC_CONCURRENCY_REPLACE)
        for (size_t i = r->n_jobs; i-- > 0;)
            if (!job_outcome(cj, r->jobs[i], state_dir))
                drop_job(state_dir, cj, r, i);
    if (r->n_jobs == MAX_JOBS)
        drop_job(state_dir, cj, r, 0);
    r->jobs[r->n_jobs++] = sched_s;
    r->last_s = sched_s;
    tk_info("cronjob '%s': starting job '%s-%" PRId64 "'", cj->name, cj->name, sched_s / 60);
    return true;
}

int cronjobs_expand(struct spec_set *set, const struct spec_workload *cj,
                    struct controllers_ctx *ctx)
{
    const struct spec_cron *c = cj->cron;
    struct tk_cron parsed;
    char err[200];
    if (tk_cron_parse(c->schedule, &parsed, err, sizeof(err)) < 0)
        return 0; /* validated with the document */
    int64_t now_s = ctx->now_ms / 1000;
    struct cron_rec r;
    bool changed = false;
    if (!ctx->state_dir || !rec_load(ctx->state_dir, cj->name, &r)) {
        r = (struct cron_rec){.created_s = now_s};
        changed = true;
    }
    size_t active = 0;
    if (ctx->state_dir)
        changed |= trim_history(ctx->state_dir, cj, &r, &active);
    if (!c->suspend) {
        int64_t from = r.last_s > r.created_s ? r.last_s : r.created_s;
        if (c->starting_deadline_s.has && now_s - c->starting_deadline_s.v > from)
            from = now_s - c->starting_deadline_s.v;
        int64_t t = most_recent(&parsed, c->time_zone, from, now_s);
        if (t > 0 && ctx->state_dir)
            changed |= schedule(ctx->state_dir, cj, &r, t, now_s, active);
        int64_t next = tk_cron_next(&parsed, c->time_zone, now_s);
        if (next > 0)
            controllers_wake_at(ctx, next * 1000);
    }
    if (changed && ctx->state_dir)
        rec_save(ctx->state_dir, cj->name, &r);
    for (size_t i = 0; i < r.n_jobs; i++) {
        struct spec_workload *j = job_of(cj, r.jobs[i]);
        struct spec_workload **v =
            j ? realloc(set->workloads, (set->n_workloads + 1) * sizeof(*v)) : NULL;
        if (!v) {
            spec_workload_free(j);
            return -ENOMEM;
        }
        set->workloads = v;
        v[set->n_workloads++] = j;
    }
    return 0;
}

int controllers_cron_status(const char *state_dir, const struct spec_workload *cj, int64_t *last_ms,
                            int64_t *next_ms)
{
    struct cron_rec r;
    struct tk_cron parsed;
    char err[200];
    *last_ms = *next_ms = 0;
    if (state_dir && rec_load(state_dir, cj->name, &r))
        *last_ms = r.last_s * 1000;
    if (!cj->cron->suspend && tk_cron_parse(cj->cron->schedule, &parsed, err, sizeof(err)) == 0) {
        int64_t n = tk_cron_next(&parsed, cj->cron->time_zone, controllers_now_ms() / 1000);
        *next_ms = n > 0 ? n * 1000 : 0;
    }
    return 0;
}
