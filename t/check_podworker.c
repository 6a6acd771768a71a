/* agent/: the reconciler and the pod workers, against the fake runtime (t/fakert.c) that
 * records what it is asked: lifecycles, back-off, starts under way, rollouts, init
 * containers and sidecars, a damaged sandbox. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/api.h"
#include "agent/config.h"
#include "agent/events.h"
#include "agent/loop.h"
#include "agent/podworker.h"
#include "agent/reconcile.h"
#include "agent/runtime.h"
#include "agent/manifests.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/log.h"
#include "t/testlib.h"
#include "t/fakert.h"

/* ---------------- a Deployment's rollout through the reconciler ---------------- */

static void put_app(const char *dir, int replicas, const char *extra, const char *image)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
             "  replicas: %d\n%s  selector: {matchLabels: {app: web}}\n  template:\n"
             "    metadata: {labels: {app: web}}\n"
             "    spec:\n      terminationGracePeriodSeconds: 1\n"
             "      containers: [{name: c, image: '%s', imagePullPolicy: IfNotPresent}]\n",
             replicas, extra, image);
    write_text(dir, "web.yaml", text);
}

static void put_deployment(const char *dir, const char *image)
{
    put_app(dir, 3, "", image);
}

struct web_count {
    struct world *w;
    const char *image; /* NULL: any */
    int running, total, want;
};

/* Count web's pods (all, and those Running with image), and whether running == want with
 * nothing else left. Also checks the promises of 25%/25% of 3 at every look. */
static bool web_settled(void *arg)
{
    struct web_count *x = arg;
    x->running = x->total = 0;
    int serving = 0;
    for (size_t i = 0; i < reconcile_n_pods(x->w->rec); i++) {
        const struct pod *p = reconcile_pod(x->w->rec, i);
        if (strncmp(pod_name(p), "web-", 4))
            continue;
        struct pod_status ps;
        pod_get_status(p, &ps);
        struct pod_ctr_status cs;
        pod_get_ctr_status(p, 0, &cs);
        x->total++;
        /* (a pod adopted without its manifest is Pending, its container running) */
        bool runs = ps.phase != POD_TERMINATING && cs.state == POD_CTR_RUNNING;
        serving += runs;
        x->running += runs && (!x->image || !strcmp(cs.image, x->image));
    }
    ck_assert_int_le(x->total, 4); /* replicas + maxSurge */
    if (x->want == 3 && x->image && strcmp(x->image, "img"))
        ck_assert_int_ge(serving, 3); /* maxUnavailable 0, once all 3 ran */
    return x->running == x->want && x->total == x->want;
}

/* 3 replicas: a version that cannot start stalls with the 3 old pods running (also across
 * an agent restart, the old pods then adopted without their manifest), then a good version
 * rolls through one pod at a time. */
START_TEST(test_deployment_rollout)
{
    struct world w;
    world_init(&w);
    put_deployment(w.cfg.pods_dir, "img");
    struct web_count x = {&w, "img", 0, 0, 3};
    ck_assert_msg(pump_until(w.loop, web_settled, &x), "3 replicas: %d running of %d", x.running,
                  x.total);
    size_t mark = log_mark(&w);
    put_deployment(w.cfg.pods_dir, "broken");
    pump_for(w.loop, 600);
    web_settled(&x);
    ck_assert_int_eq(x.running, 3);
    ck_assert_int_eq(x.total, 4);
    ck_assert_msg(!strstr(log_since(&w, mark), "kill web-"), "%s", log_since(&w, mark));
    reconcile_free(w.rec); /* the agent goes and comes back mid-rollout */
    w.rec = NULL;
    world_start(&w);
    pump_for(w.loop, 600);
    web_settled(&x);
    ck_assert_int_eq(x.running, 3);
    ck_assert_int_eq(x.total, 4);
    ck_assert_msg(!strstr(log_since(&w, mark), "kill web-"), "%s", log_since(&w, mark));
    char *text = api_pods_json(w.rec); /* the adopted old pods still name their owner */
    json_t *root = json_loads(text, 0, NULL), *pod;
    size_t i, owned = 0;
    json_array_foreach(json_object_get(root, "pods"), i, pod)
    {
        json_t *o = json_object_get(pod, "owner");
        owned += json_is_object(o) && !strcmp(json_string_value(json_object_get(o, "name")), "web");
    }
    ck_assert_msg(owned == 4, "%s", text);
    json_t *wl = json_array_get(json_object_get(root, "workloads"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(wl, "pods")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(wl, "available")), 3);
    json_decref(root);
    free(text);
    put_deployment(w.cfg.pods_dir, "img2");
    struct web_count y = {&w, "img2", 0, 0, 3};
    ck_assert_msg(pump_until(w.loop, web_settled, &y), "img2: %d running of %d (log %s)", y.running,
                  y.total, log_since(&w, mark));
    world_free(&w);
}
END_TEST

/* minReadySeconds: the old pod stops only once the new one has been ready that long (the
 * controllers' timer, not a poll or the resync). */
START_TEST(test_deployment_min_ready)
{
    struct world w;
    world_init(&w);
    static const char extra[] = "  minReadySeconds: 1\n"
                                "  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n";
    put_app(w.cfg.pods_dir, 1, extra, "img");
    struct web_count x = {&w, "img", 0, 0, 1};
    ck_assert(pump_until(w.loop, web_settled, &x));
    size_t mark = log_mark(&w);
    put_app(w.cfg.pods_dir, 1, extra, "img2");
    struct web_count y = {&w, "img2", 0, 0, 1};
    int64_t started = 0, killed = 0, end = tk_now_monotonic_ms() + 5000;
    while (!killed && tk_now_monotonic_ms() < end) {
        loop_run_once(w.loop, 10);
        web_settled(&y);
        if (!started && y.running == 1)
            started = tk_now_monotonic_ms();
        if (strstr(log_since(&w, mark), "kill web-"))
            killed = tk_now_monotonic_ms();
    }
    ck_assert_msg(started && killed, "%s", log_since(&w, mark));
    ck_assert_msg(killed - started >= 900 && killed - started < 2500,
                  "the old pod stopped %lld ms after the new one ran",
                  (long long)(killed - started));
    ck_assert(pump_until(w.loop, web_settled, &y));
    world_free(&w);
}
END_TEST

START_TEST(test_lifecycle)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "web", "Always", "c=img");
    WAIT_CTR(&w, "web", "c", "running", NULL, 0);
    WAIT_POD(&w, "web", "Running");
    struct pod_status ps;
    world_status(&w, "web", &ps);
    ck_assert_int_eq(ps.n_ips, 1);
    ck_assert_str_eq(ps.ips[0], "192.0.2.7");
    ck_assert_str_eq(tk_buf_str(&w.fake.log), "up web;start web/c;");
    /* Level-triggered and idempotent: passes with nothing changed do nothing. */
    uint64_t passes = reconcile_passes(w.rec);
    reconcile_run(w.rec);
    reconcile_run(w.rec);
    pump_for(w.loop, 50);
    ck_assert_uint_ge(reconcile_passes(w.rec), passes + 2);
    ck_assert_str_eq(tk_buf_str(&w.fake.log), "up web;start web/c;");
    /* Edit: replaced, the old pod fully down before the new one comes up. */
    char old_hash[65];
    memcpy(old_hash, ps.hash, sizeof(old_hash));
    size_t mark = log_mark(&w);
    put_pod(w.cfg.pods_dir, "web", "OnFailure", "c=img");
    bool replaced = false;
    for (int i = 0; i < 250 && !replaced; i++) {
        loop_run_once(w.loop, 20);
        const struct pod *p = reconcile_find(w.rec, "web");
        if (p && strcmp(pod_hash(p), old_hash)) {
            struct want x = {&w, "web", "c", "running", NULL, 0};
            replaced = holds(&x);
        }
    }
    ck_assert_msg(replaced, "not replaced: %s", log_since(&w, mark));
    ck_assert_str_eq(log_since(&w, mark), "kill web/c;down web;downed web;up web;start web/c;");
    /* Delete: stopped and removed. */
    mark = log_mark(&w);
    remove_file(w.cfg.pods_dir, "web.yaml");
    WAIT_POD(&w, "web", NULL);
    ck_assert_str_eq(log_since(&w, mark), "kill web/c;down web;downed web;");
    ck_assert_int_eq(w.fake.n_pods, 0);
    world_free(&w);
}
END_TEST

START_TEST(test_crash_backoff)
{
    struct world w;
    world_init(&w);
    /* Back-offs long enough that a loaded machine still sees each waiting state. */
    w.cfg.backoff_initial_ms = 200;
    w.cfg.backoff_max_ms = 1600;
    put_pod(w.cfg.pods_dir, "crash", "Always", "c=img");
    WAIT_CTR(&w, "crash", "c", "running", NULL, 0);
    int64_t expect[] = {200, 400, 800, 1600, 1600};
    for (unsigned i = 0; i < 5; i++) {
        fake_exit(&w.fake, "crash", "c", 2, 0);
        WAIT_CTR(&w, "crash", "c", "waiting", "CrashLoopBackOff", i);
        struct pod_status ps;
        world_status(&w, "crash", &ps);
        ck_assert_str_eq(pod_phase_to_string(ps.phase), "Running");
        ck_assert_str_eq(ps.reason, "CrashLoopBackOff");
        char want[64];
        snprintf(want, sizeof(want), "back-off %lldms", (long long)expect[i]);
        ck_assert_msg(strstr(ps.message, want), "'%s' lacks '%s'", ps.message, want);
        ck_assert_msg(strstr(ps.message, "next restart at "), "%s", ps.message);
        struct pod_ctr_status cs;
        pod_get_ctr_status(reconcile_find(w.rec, "crash"), 0, &cs);
        ck_assert(cs.has_exit_code);
        ck_assert_int_eq(cs.exit_code, 2);
        ck_assert_int_gt(cs.next_restart_ns, 0);
        WAIT_CTR(&w, "crash", "c", "running", NULL, i + 1);
        pod_get_ctr_status(reconcile_find(w.rec, "crash"), 0, &cs);
        ck_assert_uint_eq(cs.restarts, i + 1);
    }
    world_free(&w);
}
END_TEST

START_TEST(test_restart_policies)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "job", "OnFailure", "c=img");
    put_pod(w.cfg.pods_dir, "once", "Never", "c=img");
    WAIT_CTR(&w, "job", "c", "running", NULL, 0);
    WAIT_CTR(&w, "once", "c", "running", NULL, 0);
    fake_exit(&w.fake, "job", "c", 1, 0); /* OnFailure: restarted */
    WAIT_CTR(&w, "job", "c", "running", NULL, 1);
    fake_exit(&w.fake, "job", "c", 0, 0); /* then done */
    WAIT_POD(&w, "job", "Succeeded");
    WAIT_CTR(&w, "job", "c", "terminated", "Completed", 1);
    fake_exit(&w.fake, "once", "c", 3, 0);
    WAIT_POD(&w, "once", "Failed");
    WAIT_CTR(&w, "once", "c", "terminated", "Error", 0);
    struct pod_ctr_status cs;
    pod_get_ctr_status(reconcile_find(w.rec, "once"), 0, &cs);
    ck_assert_int_eq(cs.exit_code, 3);
    ck_assert_int_eq(cs.pid, 0);
    world_free(&w);
}
END_TEST

START_TEST(test_pulls_and_start_errors)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "pulled", "Always", "c=absent/app");
    put_pod(w.cfg.pods_dir, "nopull", "Always", "c=bad/app");
    put_pod(w.cfg.pods_dir, "order", "Always", "first=broken,second=img");
    WAIT_CTR(&w, "pulled", "c", "running", NULL, 0);
    ck_assert_msg(strstr(tk_buf_str(&w.fake.log), "pull absent/app;"), "no pull");
    WAIT_CTR(&w, "nopull", "c", "waiting", "ErrImagePull", 0);
    struct pod_ctr_status cs;
    pod_get_ctr_status(reconcile_find(w.rec, "nopull"), 0, &cs);
    ck_assert_msg(cs.message && strstr(cs.message, "pull 'bad/app': image not found"), "%s",
                  cs.message);
    WAIT_CTR(&w, "nopull", "c", "waiting", "ImagePullBackOff", 0);
    /* The first container fails to start; the second still starts, after it. */
    WAIT_CTR(&w, "order", "second", "running", NULL, 0);
    WAIT_CTR(&w, "order", "first", "waiting", "CreateContainerError", 0);
    const char *log = tk_buf_str(&w.fake.log);
    const char *first = strstr(log, "start order/first;"),
               *second = strstr(log, "start order/second;");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(second);
    ck_assert(first < second);
    pod_get_ctr_status(reconcile_find(w.rec, "order"), 0, &cs);
    ck_assert_msg(strstr(cs.message, "exec /bin/nope"), "%s", cs.message);
    world_free(&w);
}
END_TEST

START_TEST(test_grace_period)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "slow", "Always", "c=stubborn");
    WAIT_CTR(&w, "slow", "c", "running", NULL, 0);
    size_t mark = log_mark(&w);
    remove_file(w.cfg.pods_dir, "slow.yaml");
    WAIT_POD(&w, "slow", "Terminating");
    pump_for(w.loop, 300);
    ck_assert_str_eq(log_since(&w, mark), "kill slow/c;"); /* within the 1 s grace */
    WAIT_POD(&w, "slow", NULL);
    ck_assert_str_eq(log_since(&w, mark), "kill slow/c;kill9 slow/c;down slow;downed slow;");
    world_free(&w);
}
END_TEST

/* The fake runtime's log holds at least n of what (pump_until). */
struct seen {
    struct world *w;
    const char *what;
    int n;
};

static bool seen_n(void *arg)
{
    const struct seen *x = arg;
    int n = 0;
    for (const char *at = x->w->fake.log.s; at && (at = strstr(at, x->what)); at++)
        n++;
    return n >= x->n;
}

/* The sandbox's removal runs under way: meanwhile the pod is Terminating, the loop goes on
 * (another pod starts), and a new pod of the same name waits. A failed removal is tried
 * again; only once it is done does the new pod come up. */
START_TEST(test_pod_down_under_way)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "rm", "Always", "c=img");
    WAIT_CTR(&w, "rm", "c", "running", NULL, 0);
    size_t mark = log_mark(&w);
    w.fake.down_hold = true;
    w.fake.down_fail = 1;
    remove_file(w.cfg.pods_dir, "rm.yaml");
    ck_assert(pump_until(w.loop, seen_n, &(struct seen){&w, "down rm;", 1}));
    put_pod(w.cfg.pods_dir, "other", "Always", "c=img");
    WAIT_CTR(&w, "other", "c", "running", NULL, 0);
    put_pod(w.cfg.pods_dir, "rm", "Always", "c=img2");
    pump_for(w.loop, 300);
    WAIT_POD(&w, "rm", "Terminating");
    fake_finish_down(&w.fake, "rm");
    ck_assert(pump_until(w.loop, seen_n, &(struct seen){&w, "downfailed rm;", 1}));
    ck_assert(pump_until(w.loop, seen_n, &(struct seen){&w, "down rm;", 2})); /* in a second */
    fake_finish_down(&w.fake, "rm");
    WAIT_CTR(&w, "rm", "c", "running", NULL, 0);
    const char *since = log_since(&w, mark);
    const char *steps[] = {"kill rm/c;", "down rm;",   "up other;", "downfailed rm;",
                           "down rm;",   "downed rm;", "up rm;",    "start rm/c;"};
    const char *at = since;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *next = strstr(at, steps[i]);
        ck_assert_msg(next, "no '%s' in order: %s", steps[i], since);
        at = next + strlen(steps[i]);
    }
    world_free(&w);
}
END_TEST

/* Pod pod is in phase, says reason, and its message contains text. */
static void assert_pod_says(struct world *w, const char *pod, const char *phase, const char *reason,
                            const char *text)
{
    struct pod_status ps;
    world_status(w, pod, &ps);
    ck_assert_str_eq(pod_phase_to_string(ps.phase), phase);
    ck_assert_str_eq(ps.reason ? ps.reason : "(none)", reason);
    ck_assert_msg(ps.message && strstr(ps.message, text), "%s lacks '%s'",
                  ps.message ? ps.message : "(none)", text);
}

static bool start_under_way(void *fake)
{
    return ((struct fake *)fake)->n_starts > 0;
}

/* A start under way (the rootfs bring-up in a child) does not hold the agent: the container
 * waits as ContainerCreating while other pods start, and it runs once the runtime says so. */
START_TEST(test_async_start)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "slow", "Always", "c=slowstart");
    WAIT_CTR(&w, "slow", "c", "waiting", "ContainerCreating", 0);
    struct pod_status ps;
    world_status(&w, "slow", &ps);
    ck_assert_str_eq(pod_phase_to_string(ps.phase), "Pending");
    put_pod(w.cfg.pods_dir, "quick", "Always", "c=img");
    WAIT_CTR(&w, "quick", "c", "running", NULL, 0);
    pump_for(w.loop, 100);
    WAIT_CTR(&w, "slow", "c", "waiting", "ContainerCreating", 0);
    fake_finish_start(&w.fake, "slow", "c");
    WAIT_CTR(&w, "slow", "c", "running", NULL, 0);
    WAIT_POD(&w, "slow", "Running");
    /* A restart starts under way too. Meanwhile the pod stays Running and still says why
     * the container is being restarted. */
    fake_exit(&w.fake, "slow", "c", 1, 0);
    ck_assert(pump_until(w.loop, start_under_way, &w.fake));
    WAIT_CTR(&w, "slow", "c", "waiting", "CrashLoopBackOff", 0);
    assert_pod_says(&w, "slow", "Running", "CrashLoopBackOff", "restarting failed container 'c'");
    fake_finish_start(&w.fake, "slow", "c");
    WAIT_CTR(&w, "slow", "c", "running", NULL, 1);
    world_free(&w);
}
END_TEST

/* A pod removed while its container starts: the sandbox stays until the start is over, then
 * the container is stopped and the pod removed; nothing is torn down under a start. */
START_TEST(test_stop_during_start)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "slow", "Always", "c=slowstart");
    WAIT_CTR(&w, "slow", "c", "waiting", "ContainerCreating", 0);
    size_t mark = log_mark(&w);
    remove_file(w.cfg.pods_dir, "slow.yaml");
    WAIT_POD(&w, "slow", "Terminating");
    pump_for(w.loop, 200);
    ck_assert_str_eq(log_since(&w, mark), ""); /* no pod_down under the start */
    fake_finish_start(&w.fake, "slow", "c");
    WAIT_POD(&w, "slow", NULL);
    ck_assert_str_eq(log_since(&w, mark), "started slow/c;kill slow/c;down slow;downed slow;");
    world_free(&w);
}
END_TEST

/* The agent stops while a container starts: it sees the start to its end, and the next agent
 * adopts that container instead of starting a second one. */
START_TEST(test_agent_stops_during_start)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "slow", "Always", "c=slowstart");
    WAIT_CTR(&w, "slow", "c", "waiting", "ContainerCreating", 0);
    fake_finish_start(&w.fake, "slow", "c"); /* its word is on the way as the agent stops */
    size_t mark = log_mark(&w);
    reconcile_free(w.rec);
    w.rec = NULL;
    ck_assert_str_eq(log_since(&w, mark), "started slow/c;");
    pid_t pid = fake_find(&w.fake, "slow", "c")->pid;
    world_start(&w);
    WAIT_CTR(&w, "slow", "c", "running", NULL, 0);
    pump_for(w.loop, 200);
    ck_assert_msg(!strstr(log_since(&w, mark), "start slow/c;"), "a second start: %s",
                  log_since(&w, mark));
    struct pod_ctr_status cs;
    pod_get_ctr_status(reconcile_find(w.rec, "slow"), 0, &cs);
    ck_assert_int_eq(cs.pid, pid);
    world_free(&w);
}
END_TEST

/* A start that never reports fails at its deadline, as a CreateContainerError with back-off;
 * an agent that goes away first sees a start under way to its end (here: its deadline). */
START_TEST(test_start_deadline)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "hang", "Always", "c=hangstart");
    WAIT_CTR(&w, "hang", "c", "waiting", "CreateContainerError", 0);
    struct pod_ctr_status cs;
    pod_get_ctr_status(reconcile_find(w.rec, "hang"), 0, &cs);
    ck_assert_msg(cs.message && strstr(cs.message, "no word from the monitor"), "%s",
                  cs.message ? cs.message : "(none)");
    ck_assert_msg(strstr(tk_buf_str(&w.fake.log), "startfailed hang/c;"), "%s",
                  tk_buf_str(&w.fake.log));
    /* The retry: under way, it still says why the last try failed. */
    ck_assert(pump_until(w.loop, start_under_way, &w.fake));
    assert_pod_says(&w, "hang", "Pending", "CreateContainerError", "no word from the monitor");
    size_t mark = log_mark(&w);
    reconcile_free(w.rec);
    w.rec = NULL;
    ck_assert_str_eq(log_since(&w, mark), "startfailed hang/c;");
    world_free(&w);
}
END_TEST

/* A sandbox made by a child (address probes): the pod waits as Pending, other pods go on;
 * removed meanwhile, it is torn down only once the creation has ended. */
START_TEST(test_async_sandbox)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "slowpod", "Always", "c=img");
    put_pod(w.cfg.pods_dir, "slowpod2", "Always", "c=img");
    ck_assert(pump_until(w.loop, start_under_way, &w.fake));
    put_pod(w.cfg.pods_dir, "quick", "Always", "c=img");
    WAIT_CTR(&w, "quick", "c", "running", NULL, 0);
    WAIT_POD(&w, "slowpod", "Pending");
    WAIT_CTR(&w, "slowpod", "c", "waiting", "ContainerCreating", 0);
    ck_assert_ptr_null(strstr(tk_buf_str(&w.fake.log), "start slowpod/c;"));
    fake_finish_start(&w.fake, "slowpod", "sandbox");
    WAIT_CTR(&w, "slowpod", "c", "running", NULL, 0);
    struct pod_status ps;
    world_status(&w, "slowpod", &ps);
    ck_assert_uint_eq(ps.n_ips, 1);
    ck_assert_str_eq(ps.ips[0], "192.0.2.8");
    /* The other one goes while its sandbox is being made. */
    size_t mark = log_mark(&w);
    remove_file(w.cfg.pods_dir, "slowpod2.yaml");
    WAIT_POD(&w, "slowpod2", "Terminating");
    pump_for(w.loop, 200);
    ck_assert_str_eq(log_since(&w, mark), "");
    fake_finish_start(&w.fake, "slowpod2", "sandbox");
    WAIT_POD(&w, "slowpod2", NULL);
    ck_assert_str_eq(log_since(&w, mark), "upped slowpod2;down slowpod2;downed slowpod2;");
    world_free(&w);
}
END_TEST

START_TEST(test_restart_adopts)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "stay", "Always", "c=img");
    put_pod(w.cfg.pods_dir, "quit", "Never", "c=img");
    put_pod(w.cfg.pods_dir, "gone", "Always", "c=img");
    WAIT_CTR(&w, "stay", "c", "running", NULL, 0);
    WAIT_CTR(&w, "quit", "c", "running", NULL, 0);
    WAIT_CTR(&w, "gone", "c", "running", NULL, 0);
    fake_exit(&w.fake, "stay", "c", 1, 0);
    WAIT_CTR(&w, "stay", "c", "running", NULL, 1);
    pid_t stay_pid = fake_find(&w.fake, "stay", "c")->pid;
    /* The agent goes away; meanwhile one container exits and a manifest is removed. */
    reconcile_free(w.rec);
    w.rec = NULL;
    fake_exit(&w.fake, "quit", "c", 3, 0);
    remove_file(w.cfg.pods_dir, "gone.yaml");
    size_t mark = log_mark(&w);
    world_start(&w);
    WAIT_CTR(&w, "stay", "c", "running", NULL, 1);
    WAIT_CTR(&w, "quit", "c", "terminated", "Error", 0);
    WAIT_POD(&w, "gone", NULL);
    struct pod_ctr_status cs;
    pod_get_ctr_status(reconcile_find(w.rec, "stay"), 0, &cs);
    ck_assert_int_eq(cs.pid, stay_pid);
    ck_assert_uint_eq(cs.restarts, 1);
    pod_get_ctr_status(reconcile_find(w.rec, "quit"), 0, &cs);
    ck_assert_int_eq(cs.exit_code, 3);
    pump_for(w.loop, 100);
    /* Nothing started twice (sandboxes are re-checked, never rebuilt); only the removed
     * pod was stopped. */
    const char *log = log_since(&w, mark);
    ck_assert_msg(!strstr(log, "start "), "%s", log);
    ck_assert_msg(strstr(log, "kill gone/c;") && strstr(log, "down gone;"), "%s", log);
    ck_assert_msg(!strstr(log, "kill stay") && !strstr(log, "down stay"), "%s", log);
    world_free(&w);
}
END_TEST

START_TEST(test_exit_without_watch_fd)
{
    /* A runtime that cannot give a watch fd: exits are still learned by the next pass. */
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "nowatch", "Never", "c=img-nowatch");
    WAIT_CTR(&w, "nowatch", "c", "running", NULL, 0);
    fake_exit(&w.fake, "nowatch", "c", 5, 0);
    reconcile_run(w.rec);
    WAIT_CTR(&w, "nowatch", "c", "terminated", "Error", 0);
    struct pod_ctr_status cs;
    pod_get_ctr_status(reconcile_find(w.rec, "nowatch"), 0, &cs);
    ck_assert_int_eq(cs.exit_code, 5);
    world_free(&w);
}
END_TEST

/* ---------------- init containers and sidecars ---------------- */

static void put_init_pod(const char *dir)
{
    write_text(dir, "ini.yaml",
               "apiVersion: v1\nkind: Pod\nmetadata: {name: ini}\nspec:\n"
               "  terminationGracePeriodSeconds: 1\n"
               "  initContainers:\n"
               "  - {name: i1, image: img, imagePullPolicy: IfNotPresent}\n"
               "  - {name: i2, image: img, imagePullPolicy: IfNotPresent}\n"
               "  - {name: s, image: img, imagePullPolicy: IfNotPresent, restartPolicy: Always}\n"
               "  containers:\n"
               "  - {name: c, image: img, imagePullPolicy: IfNotPresent}\n");
}

static const char *pod_reason(struct world *w, const char *pod)
{
    static char buf[64];
    struct pod_status ps;
    world_status(w, pod, &ps);
    snprintf(buf, sizeof(buf), "%s", ps.reason ? ps.reason : "");
    return buf;
}

START_TEST(test_init_containers)
{
    struct world w;
    world_init(&w);
    put_init_pod(w.cfg.pods_dir);
    WAIT_CTR(&w, "ini", "i1", "running", NULL, 0);
    pump_for(w.loop, 50);
    ck_assert_str_eq(pod_reason(&w, "ini"), "Init:0/3");
    WAIT_CTR(&w, "ini", "c", "waiting", "PodInitializing", 0);
    WAIT_CTR(&w, "ini", "i2", "waiting", NULL, 0);
    WAIT_POD(&w, "ini", "Pending");
    /* An agent restarted mid-init adopts the running one, starts nothing again. */
    reconcile_free(w.rec);
    w.rec = NULL;
    size_t mark = log_mark(&w);
    world_start(&w);
    WAIT_CTR(&w, "ini", "i1", "running", NULL, 0);
    pump_for(w.loop, 50);
    ck_assert_msg(!strstr(log_since(&w, mark), "start "), "%s", log_since(&w, mark));
    fake_exit(&w.fake, "ini", "i1", 0, 0);
    WAIT_CTR(&w, "ini", "i2", "running", NULL, 0);
    ck_assert_str_eq(pod_reason(&w, "ini"), "Init:1/3");
    fake_exit(&w.fake, "ini", "i2", 1, 0); /* retried (Always counts as OnFailure) */
    WAIT_CTR(&w, "ini", "i2", "waiting", "CrashLoopBackOff", 0);
    ck_assert_str_eq(pod_reason(&w, "ini"), "Init:CrashLoopBackOff");
    WAIT_CTR(&w, "ini", "i2", "running", NULL, 1);
    fake_exit(&w.fake, "ini", "i2", 0, 0);
    WAIT_CTR(&w, "ini", "c", "running", NULL, 0);
    WAIT_CTR(&w, "ini", "s", "running", NULL, 0);
    WAIT_POD(&w, "ini", "Running");
    const char *log = tk_buf_str(&w.fake.log);
    const char *a = strstr(log, "start ini/i2;"), *b = strstr(log, "start ini/s;"),
               *c = strstr(log, "start ini/c;");
    ck_assert_msg(a && b && c && a < b && b < c, "%s", log);
    /* After the init phase: a restarted agent runs no init container again. */
    reconcile_free(w.rec);
    w.rec = NULL;
    mark = log_mark(&w);
    world_start(&w);
    WAIT_CTR(&w, "ini", "c", "running", NULL, 0);
    pump_for(w.loop, 100);
    ck_assert_msg(!strstr(log_since(&w, mark), "start "), "%s", log_since(&w, mark));
    WAIT_POD(&w, "ini", "Running");
    /* The sidecar is restarted when it exits, whatever its code. */
    fake_exit(&w.fake, "ini", "s", 0, 0);
    WAIT_CTR(&w, "ini", "s", "running", NULL, 1);
    /* It stops after the app container. */
    mark = log_mark(&w);
    remove_file(w.cfg.pods_dir, "ini.yaml");
    WAIT_POD(&w, "ini", NULL);
    log = log_since(&w, mark);
    a = strstr(log, "kill ini/c;");
    b = strstr(log, "kill ini/s;");
    ck_assert_msg(a && b && a < b, "%s", log);
    world_free(&w);
}
END_TEST

START_TEST(test_init_never_fails_pod)
{
    struct world w;
    world_init(&w);
    write_text(w.cfg.pods_dir, "nv.yaml",
               "apiVersion: v1\nkind: Pod\nmetadata: {name: nv}\nspec:\n"
               "  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n"
               "  initContainers: [{name: i, image: img, imagePullPolicy: IfNotPresent}]\n"
               "  containers: [{name: c, image: img, imagePullPolicy: IfNotPresent}]\n");
    WAIT_CTR(&w, "nv", "i", "running", NULL, 0);
    fake_exit(&w.fake, "nv", "i", 2, 0);
    WAIT_POD(&w, "nv", "Failed");
    ck_assert_str_eq(pod_reason(&w, "nv"), "Init:Error");
    pump_for(w.loop, 50);
    ck_assert_msg(!strstr(tk_buf_str(&w.fake.log), "start nv/c"), "%s", tk_buf_str(&w.fake.log));
    struct pod_status ps;
    world_status(&w, "nv", &ps);
    ck_assert(!ps.conditions[POD_COND_INITIALIZED].status);
    ck_assert_str_eq(ps.conditions[POD_COND_INITIALIZED].reason, "ContainersNotInitialized");
    world_free(&w);
}
END_TEST

/* A pod that ends (restartPolicy Never) stops its sidecar once its app container is done. */
START_TEST(test_sidecar_of_finished_pod)
{
    struct world w;
    world_init(&w);
    write_text(w.cfg.pods_dir, "job.yaml",
               "apiVersion: v1\nkind: Pod\nmetadata: {name: job}\nspec:\n"
               "  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n"
               "  initContainers: [{name: s, image: img, imagePullPolicy: IfNotPresent,"
               " restartPolicy: Always}]\n"
               "  containers: [{name: c, image: img, imagePullPolicy: IfNotPresent}]\n");
    WAIT_CTR(&w, "job", "c", "running", NULL, 0);
    WAIT_CTR(&w, "job", "s", "running", NULL, 0);
    size_t mark = log_mark(&w);
    fake_exit(&w.fake, "job", "c", 0, 0);
    WAIT_POD(&w, "job", "Succeeded");
    WAIT_CTR(&w, "job", "s", "terminated", NULL, 0);
    pump_for(w.loop, 100);
    const char *log = log_since(&w, mark);
    ck_assert_msg(strstr(log, "kill job/s;") && !strstr(log, "start "), "%s", log);
    world_free(&w);
}
END_TEST

/* A sandbox made anew under an adopted pod (its "slowpod" sandbox is always created): its
 * init containers run again; one that was found is kept (test_init_containers). */
START_TEST(test_init_sandbox_new)
{
    struct world w;
    world_init(&w);
    write_text(w.cfg.pods_dir, "slowpod.yaml",
               "apiVersion: v1\nkind: Pod\nmetadata: {name: slowpod}\nspec:\n"
               "  terminationGracePeriodSeconds: 1\n"
               "  initContainers: [{name: i, image: img, imagePullPolicy: IfNotPresent}]\n"
               "  containers: [{name: c, image: img, imagePullPolicy: IfNotPresent}]\n");
    ck_assert(pump_until(w.loop, start_under_way, &w.fake));
    fake_finish_start(&w.fake, "slowpod", "sandbox");
    WAIT_CTR(&w, "slowpod", "i", "running", NULL, 0);
    fake_exit(&w.fake, "slowpod", "i", 0, 0);
    WAIT_CTR(&w, "slowpod", "c", "running", NULL, 0);
    fake_exit(&w.fake, "slowpod", "c", 0, 0); /* (gone with its sandbox) */
    reconcile_free(w.rec);
    w.rec = NULL;
    for (size_t i = 0; i < w.fake.n_pods; i++) /* the sandbox is lost (a reboot) */
        if (!strcmp(w.fake.pods[i], "slowpod")) {
            free(w.fake.pods[i]);
            w.fake.pods[i] = w.fake.pods[--w.fake.n_pods];
            break;
        }
    size_t mark = log_mark(&w);
    world_start(&w);
    ck_assert(pump_until(w.loop, start_under_way, &w.fake));
    fake_finish_start(&w.fake, "slowpod", "sandbox");
    WAIT_CTR(&w, "slowpod", "i", "running", NULL, 0);
    ck_assert_msg(strstr(log_since(&w, mark), "start slowpod/i;"), "%s", log_since(&w, mark));
    char *ev = api_events_json(w.rec, "slowpod");
    ck_assert_msg(strstr(ev, "SandboxChanged"), "%s", ev);
    free(ev);
    world_free(&w);
}
END_TEST

/* A container exits and the sandbox is found damaged: the other container is stopped, the
 * sandbox made again (pod_up), and both restart with their counts kept. */
START_TEST(test_sandbox_damaged)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "dmg", "Always", "a=img,b=img");
    WAIT_CTR(&w, "dmg", "b", "running", NULL, 0);
    size_t mark = log_mark(&w);
    w.fake.damaged = strdup("dmg");
    fake_exit(&w.fake, "dmg", "a", 137, 9);
    WAIT_CTR(&w, "dmg", "a", "running", NULL, 1);
    WAIT_CTR(&w, "dmg", "b", "running", NULL, 1);
    const char *since = log_since(&w, mark);
    const char *kill_b = strstr(since, "kill dmg/b"), *up = strstr(since, "up dmg;");
    ck_assert_msg(kill_b && up && kill_b < up, "b stopped, then the sandbox made: %s", since);
    ck_assert_ptr_null(w.fake.damaged);
    char *ev = api_events_json(w.rec, "dmg");
    ck_assert_msg(strstr(ev, "SandboxChanged") && strstr(ev, "init is gone"), "%s", ev);
    free(ev);
    world_free(&w);
}
END_TEST

/* The same with restartPolicy Never: the other container is stopped and the sandbox is not
 * made again (the kubelet's rule); the pod fails and nothing starts in it. */
START_TEST(test_sandbox_damaged_never)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "dmg", "Never", "a=img,b=img");
    WAIT_CTR(&w, "dmg", "b", "running", NULL, 0);
    size_t mark = log_mark(&w);
    w.fake.damaged = strdup("dmg");
    fake_exit(&w.fake, "dmg", "a", 137, 9);
    WAIT_POD(&w, "dmg", "Failed");
    pump_for(w.loop, 300);
    const char *since = log_since(&w, mark);
    ck_assert_msg(strstr(since, "kill dmg/b") && !strstr(since, "up dmg;") &&
                      !strstr(since, "start dmg/"),
                  "b stopped, nothing made or started again: %s", since);
    struct pod_ctr_status cs;
    for (size_t i = 0; i < 2; i++) {
        pod_get_ctr_status(reconcile_pod(w.rec, 0), i, &cs);
        ck_assert_int_eq(cs.state, POD_CTR_TERMINATED);
        ck_assert_int_eq(cs.restarts, 0);
    }
    char *ev = api_events_json(w.rec, "dmg");
    ck_assert_msg(strstr(ev, "SandboxChanged") && strstr(ev, "not re-created"), "%s", ev);
    free(ev);
    world_free(&w);
}
END_TEST

/* The FallbackToLogsOnError message: the last lines of a CRI log, "P" parts joined. */
START_TEST(test_log_tail)
{
    char *dir = test_tmpdir("agent");
    struct tk_buf t = TK_BUF_INIT;
    for (int i = 1; i <= 100; i++)
        tk_buf_addf(&t, "2026-01-02T03:04:05.000000000Z stdout F line %d\n", i);
    tk_buf_adds(&t, "2026-01-02T03:04:05.000000000Z stderr P par\n"
                    "2026-01-02T03:04:05.000000000Z stderr F tial\n");
    write_text(dir, "c.log", t.s);
    struct tk_buf path = TK_BUF_INIT;
    tk_buf_addf(&path, "%s/c.log", dir);
    char out[4097];
    ck_assert_int_gt(runtime_log_tail(path.s, 80, out, sizeof(out)), 0);
    ck_assert_msg(!strncmp(out, "line 22\n", 8), "%.40s", out);
    ck_assert_msg(strstr(out, "line 100\npartial\n") && !strstr(out, "line 21\n"), "%s", out);
    char small[16];
    ck_assert_int_eq(runtime_log_tail(path.s, 80, small, sizeof(small)), 15);
    ck_assert_msg(!strcmp(small + strlen(small) - 5, "tial\n"), "%s", small);
    tk_buf_reset(&path);
    tk_buf_addf(&path, "%s/none.log", dir);
    ck_assert_int_eq(runtime_log_tail(path.s, 80, out, sizeof(out)), -ENOENT);
    remove_file(dir, "c.log");
    rmdir(dir);
    free(dir);
    tk_buf_free(&t);
    tk_buf_free(&path);
}
END_TEST

Suite *podworker_suite(void)
{
    Suite *s = suite_create("podworker");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_crash_backoff);
    tcase_add_test(tc, test_restart_policies);
    tcase_add_test(tc, test_pulls_and_start_errors);
    tcase_add_test(tc, test_grace_period);
    tcase_add_test(tc, test_restart_adopts);
    tcase_add_test(tc, test_deployment_rollout);
    tcase_add_test(tc, test_deployment_min_ready);
    tcase_add_test(tc, test_async_start);
    tcase_add_test(tc, test_stop_during_start);
    tcase_add_test(tc, test_start_deadline);
    tcase_add_test(tc, test_agent_stops_during_start);
    tcase_add_test(tc, test_async_sandbox);
    tcase_add_test(tc, test_exit_without_watch_fd);
    tcase_add_test(tc, test_init_containers);
    tcase_add_test(tc, test_init_never_fails_pod);
    tcase_add_test(tc, test_init_sandbox_new);
    tcase_add_test(tc, test_sandbox_damaged);
    tcase_add_test(tc, test_sandbox_damaged_never);
    tcase_add_test(tc, test_pod_down_under_way);
    tcase_add_test(tc, test_sidecar_of_finished_pod);
    tcase_add_test(tc, test_log_tail);
    suite_add_tcase(s, tc);
    return s;
}
