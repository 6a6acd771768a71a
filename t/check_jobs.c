/* agent/jobs.c and agent/cronjobs.c on a controllers' clock the test sets (ctx.now_ms) and
 * pods whose outcomes it decides: the back-off between a failed pod and its successor
 * (10 s, 20 s, ...), activeDeadlineSeconds, a finished Job never run again, a changed spec
 * run again; a CronJob's runs, Forbid waiting for its Job, Replace dropping it, a missed
 * run caught up once within startingDeadlineSeconds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/controllers-int.h"
#include "base/fs.h"

static char state[] = "/tmp/tank-check-jobs-XXXXXX";
static const char *outcome_of[16]; /* pod name -> "ok", "fail", "run" */
static const char *names_of[16];
static size_t n_outcomes;

static enum controllers_pod observe(void *data, const char *pod)
{
    (void)data;
    for (size_t i = 0; i < n_outcomes; i++)
        if (!strcmp(names_of[i], pod))
            return !strcmp(outcome_of[i], "ok")     ? CONTROLLERS_SUCCEEDED
                   : !strcmp(outcome_of[i], "fail") ? CONTROLLERS_FAILED
                                                    : CONTROLLERS_ACTIVE;
    return CONTROLLERS_ABSENT;
}

static void set_outcome(const char *pod, const char *o)
{
    for (size_t i = 0; i < n_outcomes; i++)
        if (!strcmp(names_of[i], pod)) {
            outcome_of[i] = o;
            return;
        }
    names_of[n_outcomes] = strdup(pod);
    outcome_of[n_outcomes++] = o;
}

static const char job_doc[] = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"
                              "spec:\n  backoffLimit: 3\n%s"
                              "  template:\n    spec:\n      restartPolicy: Never\n"
                              "      containers: [{name: a, image: busybox%s}]\n";

/* Expand the Job (extra: more spec lines) at now_ms: the pods it wants, space-separated. */
static void expand(const char *extra, const char *image, int64_t now_ms, char *pods, size_t size,
                   int64_t *wake)
{
    char doc[1024];
    struct spec_set set;
    snprintf(doc, sizeof(doc), job_doc, extra, image);
    spec_set_init(&set);
    ck_assert_int_eq(spec_parse_buffer(&set, "j.yaml", doc, strlen(doc)), 0);
    ck_assert_uint_eq(set.n_workloads, 1);
    struct controllers_ctx ctx = {.observe = observe, .state_dir = state, .now_ms = now_ms};
    ck_assert_int_eq(jobs_expand(&set, set.workloads[0], &ctx), 0);
    pods[0] = '\0';
    for (size_t i = 0; i < set.n_pods; i++)
        snprintf(pods + strlen(pods), size - strlen(pods), "%s%s", i ? " " : "", set.pods[i]->name);
    *wake = ctx.wake_ms;
    spec_set_free(&set);
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(state));
    n_outcomes = 0;
}

static void teardown(void)
{
    tk_rm_rf(state);
    snprintf(state, sizeof(state), "/tmp/tank-check-jobs-XXXXXX");
}

START_TEST(test_backoff_and_record)
{
    char pods[512], first[64], second[64];
    int64_t wake;
    const int64_t t0 = 1767225600000;
    expand("", "", t0, pods, sizeof(pods), &wake);
    ck_assert_msg(!strchr(pods, ' ') && !strncmp(pods, "j-", 2), "one pod: %s", pods);
    snprintf(first, sizeof(first), "%s", pods);
    set_outcome(first, "fail");
    expand("", "", t0 + 1000, pods, sizeof(pods), &wake);
    ck_assert_str_eq(pods, first); /* the successor waits 10 s */
    ck_assert_int_eq(wake, t0 + 1000 + 10000);
    expand("", "", t0 + 10999, pods, sizeof(pods), &wake);
    ck_assert_str_eq(pods, first);
    expand("", "", t0 + 11000, pods, sizeof(pods), &wake);
    ck_assert_msg(strlen(pods) > strlen(first), "no successor at 10 s: %s", pods);
    snprintf(second, sizeof(second), "%s", pods + strlen(first) + 1);
    set_outcome(second, "fail");
    expand("", "", t0 + 12000, pods, sizeof(pods), &wake);
    ck_assert_int_eq(wake, t0 + 12000 + 20000); /* doubled */
    expand("", "", t0 + 31999, pods, sizeof(pods), &wake);
    ck_assert_uint_eq(strlen(pods), strlen(first) * 2 + 1);
    expand("", "", t0 + 32000, pods, sizeof(pods), &wake);
    ck_assert_uint_eq(strlen(pods), strlen(first) * 3 + 2);
    const char *third = pods + strlen(first) * 2 + 2;
    set_outcome(third, "ok");
    expand("", "", t0 + 33000, pods, sizeof(pods), &wake);
    struct controllers_job_status st;
    char doc[1024];
    struct spec_set set;
    snprintf(doc, sizeof(doc), job_doc, "", "");
    spec_set_init(&set);
    spec_parse_buffer(&set, "j.yaml", doc, strlen(doc));
    ck_assert_int_eq(controllers_job_status(state, set.workloads[0], &st), 1);
    ck_assert_str_eq(st.condition, "Complete");
    ck_assert_int_eq(st.start_ms, t0);
    ck_assert_int_eq(st.finish_ms, t0 + 33000);
    spec_set_free(&set);
    /* its pods gone (a reboot, a TTL): not run again */
    n_outcomes = 0;
    expand("", "", t0 + 99000, pods, sizeof(pods), &wake);
    ck_assert_str_eq(pods, "");
    /* a changed spec is a new Job */
    expand("", ":1.36", t0 + 100000, pods, sizeof(pods), &wake);
    ck_assert_msg(pods[0] && !strchr(pods, ' '), "changed spec: %s", pods);
}
END_TEST

START_TEST(test_deadline)
{
    char pods[512];
    int64_t wake;
    const int64_t t0 = 1767225600000;
    expand("  activeDeadlineSeconds: 5\n", "", t0, pods, sizeof(pods), &wake);
    ck_assert_int_eq(wake, t0 + 5000);
    set_outcome(pods, "run");
    expand("  activeDeadlineSeconds: 5\n", "", t0 + 4999, pods, sizeof(pods), &wake);
    ck_assert_msg(pods[0], "the running pod is kept");
    expand("  activeDeadlineSeconds: 5\n", "", t0 + 5000, pods, sizeof(pods), &wake);
    ck_assert_str_eq(pods, ""); /* the running pod stops */
    char doc[1024];
    struct spec_set set;
    struct controllers_job_status st;
    snprintf(doc, sizeof(doc), job_doc, "  activeDeadlineSeconds: 5\n", "");
    spec_set_init(&set);
    spec_parse_buffer(&set, "j.yaml", doc, strlen(doc));
    controllers_job_status(state, set.workloads[0], &st);
    ck_assert_str_eq(st.condition, "Failed");
    ck_assert_str_eq(st.reason, "DeadlineExceeded");
    spec_set_free(&set);
}
END_TEST

static const char cron_doc[] =
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n"
    "  schedule: \"*/10 * * * *\"\n  timeZone: Etc/UTC\n%s"
    "  jobTemplate:\n    spec:\n      template:\n        spec:\n"
    "          restartPolicy: Never\n          containers: [{name: a, image: busybox}]\n";

/* The CronJob's Jobs at now_s, space-separated. */
static void cron(const char *extra, int64_t now_s, char *jobs, size_t size)
{
    char doc[1024];
    struct spec_set set;
    snprintf(doc, sizeof(doc), cron_doc, extra);
    spec_set_init(&set);
    ck_assert_int_eq(spec_parse_buffer(&set, "c.yaml", doc, strlen(doc)), 0);
    struct controllers_ctx ctx = {.observe = observe, .state_dir = state, .now_ms = now_s * 1000};
    ck_assert_int_eq(cronjobs_expand(&set, set.workloads[0], &ctx), 0);
    jobs[0] = '\0';
    for (size_t i = 1; i < set.n_workloads; i++)
        snprintf(jobs + strlen(jobs), size - strlen(jobs), "%s%s", i > 1 ? " " : "",
                 set.workloads[i]->name);
    ck_assert_int_eq(ctx.wake_ms, /* the next run (none when suspended) */
                     strstr(extra, "suspend: true") ? 0 : ((now_s / 600) + 1) * 600 * 1000);
    spec_set_free(&set);
}

/* Mark the Job's record finished (as jobs.c writes it). */
static void finish_job(const char *job)
{
    char dir[256], path[300], text[200];
    snprintf(dir, sizeof(dir), "%s/jobs", state);
    snprintf(path, sizeof(path), "%s/%s", dir, job);
    snprintf(text, sizeof(text), "key cronjob-run-0000\nstart 1\nfinish 2\ncondition Complete\n");
    ck_assert_int_eq(tk_mkdir_p(dir, 0700), 0);
    ck_assert_int_eq(tk_write_file_atomic(path, text, strlen(text), 0600), 0);
}

START_TEST(test_cron_forbid_and_catch_up)
{
    char jobs[512];
    const int64_t t0 = 1767225600; /* 00:00 */
    const char *forbid = "  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 300\n";
    cron(forbid, t0 + 30, jobs, sizeof(jobs)); /* first seen: nothing due */
    ck_assert_str_eq(jobs, "");
    cron(forbid, t0 + 600, jobs, sizeof(jobs)); /* 00:10 */
    ck_assert_str_eq(jobs, "c-29453770");
    cron(forbid, t0 + 1200, jobs, sizeof(jobs)); /* 00:20, still running: waits */
    ck_assert_str_eq(jobs, "c-29453770");
    finish_job("c-29453770");
    cron(forbid, t0 + 1260, jobs, sizeof(jobs)); /* ended at 00:21: the 00:20 run starts */
    ck_assert_str_eq(jobs, "c-29453770 c-29453780");
    finish_job("c-29453780");
    /* down from 00:21 to 02:03: one catch-up (02:00), within 300 s */
    cron(forbid, t0 + 7380, jobs, sizeof(jobs));
    ck_assert_str_eq(jobs, "c-29453770 c-29453780 c-29453880");
    finish_job("c-29453880");
    /* down to 03:06: 03:00 is older than 300 s: none */
    cron(forbid, t0 + 11160, jobs, sizeof(jobs));
    ck_assert_str_eq(jobs, "c-29453770 c-29453780 c-29453880");
}
END_TEST

START_TEST(test_cron_replace_and_history)
{
    char jobs[512];
    const int64_t t0 = 1767225600;
    const char *replace = "  concurrencyPolicy: Replace\n  successfulJobsHistoryLimit: 1\n";
    cron(replace, t0 + 30, jobs, sizeof(jobs));
    cron(replace, t0 + 600, jobs, sizeof(jobs));
    ck_assert_str_eq(jobs, "c-29453770");
    cron(replace, t0 + 1200, jobs, sizeof(jobs)); /* the running one is dropped */
    ck_assert_str_eq(jobs, "c-29453780");
    finish_job("c-29453780");
    cron(replace, t0 + 1800, jobs, sizeof(jobs));
    ck_assert_str_eq(jobs, "c-29453780 c-29453790");
    finish_job("c-29453790");
    cron(replace, t0 + 2400, jobs, sizeof(jobs)); /* history 1: the oldest ended one goes */
    ck_assert_str_eq(jobs, "c-29453790 c-29453800");
    cron("  suspend: true\n", t0 + 3000, jobs, sizeof(jobs)); /* suspended: none starts */
    ck_assert_str_eq(jobs, "c-29453790 c-29453800");
}
END_TEST

Suite *jobs_suite(void)
{
    Suite *s = suite_create("jobs");
    TCase *tc = tcase_create("jobs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_backoff_and_record);
    tcase_add_test(tc, test_deadline);
    tcase_add_test(tc, test_cron_forbid_and_catch_up);
    tcase_add_test(tc, test_cron_replace_and_history);
    suite_add_tcase(s, tc);
    return s;
}
