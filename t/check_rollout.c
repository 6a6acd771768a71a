/* agent/rollout.c and the Deployment and DaemonSet controllers (agent/apps.c): the rollout
 * arithmetic case by case, then whole rollouts over a simulated host (pods start, turn Ready
 * a step later unless their image never does, stop a step after they are dropped), checking
 * at every step what maxSurge and maxUnavailable promise. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/controllers.h"
#include "agent/resolve.h"
#include "agent/rollout.h"
#include "base/buf.h"

#define S 1000000000ll

/* ---------------- the arithmetic ---------------- */

/* "N" new ready, "n" new unready, "O" old ready, "o" old unready, "x" old stopping. */
static size_t pods_of(const char *spec, struct rollout_pod *pods)
{
    size_t n = 0;
    int idx_new = 0, idx_old = 0;
    for (const char *c = spec; *c; c++, n++) {
        bool is_new = *c == 'N' || *c == 'n';
        pods[n] = (struct rollout_pod){.is_new = is_new,
                                       .index = is_new ? idx_new++ : idx_old++,
                                       .stopping = *c == 'x',
                                       .ready = *c == 'N' || *c == 'O',
                                       .ready_ns = 0};
    }
    return n;
}

struct plan_case {
    const char *what;
    int32_t replicas, surge, unavail;
    bool recreate, paused;
    const char *pods;
    int32_t create;
    const char *keep; /* 1/0 per pod */
};

static const struct plan_case plan_cases[] = {
    {"first start", 3, 1, 0, false, false, "", 3, ""},
    {"steady", 3, 1, 0, false, false, "NNN", 0, "111"},
    {"scale down: highest indexes", 3, 1, 0, false, false, "NNNNN", 0, "11100"},
    {"rollout begins: one surge pod", 3, 1, 0, false, false, "OOO", 1, "111"},
    {"surge pod not ready: nothing more", 3, 1, 0, false, false, "OOOn", 0, "1111"},
    {"surge pod ready: one old goes (highest)", 3, 1, 0, false, false, "OOON", 0, "1101"},
    {"old stopping: no new pod beyond surge", 3, 1, 0, false, false, "OOxN", 0, "1101"},
    {"maxUnavailable 1, no surge: one old first", 3, 0, 1, false, false, "OOO", 0, "110"},
    {"25%/25% of 4: surge 1, unavailable 1", 4, 1, 1, false, false, "OOOO", 1, "1111"},
    {"25%/25% of 4 next: two old go", 4, 1, 1, false, false, "OOOOn", 0, "11101"},
    {"unready old pods go first", 3, 1, 1, false, false, "OoOn", 0, "1011"},
    {"revert: the never-ready pod is old now", 3, 1, 0, false, false, "NNNo", 0, "1110"},
    {"recreate: every old pod stops", 3, 0, 3, true, false, "OOO", 0, "000"},
    {"recreate: nothing new while old stop", 3, 0, 3, true, false, "xx", 0, "00"},
    {"paused: nothing moves", 3, 1, 0, false, true, "OOOn", 0, "1111"},
    {"paused: scaling without old pods", 2, 1, 0, false, true, "N", 1, "1"},
    {"one replica, static addresses: old stops first", 1, 0, 1, false, false, "O", 0, "0"},
    {"one replica: new only once the old is gone", 1, 0, 1, false, false, "x", 0, "0"},
    {"replicas 0", 0, 1, 0, false, false, "NN", 0, "00"},
};

START_TEST(test_plan)
{
    const struct plan_case *c = &plan_cases[_i];
    struct rollout_pod pods[16];
    size_t n = pods_of(c->pods, pods);
    struct rollout_params par = {.replicas = c->replicas,
                                 .max_surge = c->surge,
                                 .max_unavailable = c->unavail,
                                 .recreate = c->recreate,
                                 .paused = c->paused};
    struct rollout_result res;
    rollout_plan(&par, pods, n, 100 * S, &res);
    char keep[17] = "";
    for (size_t i = 0; i < n; i++)
        keep[i] = pods[i].keep ? '1' : '0';
    keep[n] = '\0';
    ck_assert_msg(res.create == c->create && !strcmp(keep, c->keep),
                  "%s: create %d keep %s, expected create %d keep %s", c->what, (int)res.create,
                  keep, (int)c->create, c->keep);
}
END_TEST

START_TEST(test_min_ready)
{
    struct rollout_pod pods[4];
    size_t n = pods_of("OOON", pods);
    pods[3].ready_ns = 100 * S;
    struct rollout_params par = {.replicas = 3, .max_surge = 1, .min_ready_s = 5};
    struct rollout_result res;
    rollout_plan(&par, pods, n, 103 * S, &res); /* ready for 3 s of 5: not available */
    ck_assert(pods[0].keep && pods[1].keep && pods[2].keep);
    ck_assert_int_eq(res.wake_ns, 105 * S);
    rollout_plan(&par, pods, n, 105 * S, &res);
    ck_assert(!pods[2].keep);
    ck_assert_int_eq(res.new_available, 1);
}
END_TEST

/* Kubernetes' shape: 10 characters of the digits' encoding, stable, new for a new template. */
START_TEST(test_template_hash)
{
    static const char *const docs[] = {
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n"
        "  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n"
        "    spec: {containers: [{name: a, image: busybox}]}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n"
        "  selector: {matchLabels: {app: w}}\n  template:\n"
        "    metadata: {labels: {app: w, tier: x}}\n"
        "    spec: {containers: [{name: a, image: busybox}]}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n"
        "  replicas: 5\n  selector: {matchLabels: {app: w}}\n  template:\n"
        "    metadata: {labels: {app: w}}\n"
        "    spec: {containers: [{name: a, image: busybox}]}\n",
    };
    char h[3][11];
    for (int i = 0; i < 3; i++) {
        struct spec_set set;
        spec_set_init(&set);
        spec_parse_buffer(&set, "d.yaml", docs[i], strlen(docs[i]));
        ck_assert_uint_eq(set.n_workloads, 1);
        controllers_template_hash(set.workloads[0], NULL, h[i]);
        ck_assert_uint_eq(strlen(h[i]), 10);
        ck_assert_uint_eq(strspn(h[i], "456789bcdf"), 10);
        spec_set_free(&set);
    }
    ck_assert_str_ne(h[0], h[1]); /* labels are part of the template */
    ck_assert_str_eq(h[0], h[2]); /* replicas are not */
}
END_TEST

/* ---------------- whole rollouts over a simulated host ---------------- */

struct sim_pod {
    char name[80];
    struct spec_pod *spec;
    bool stopping, ready, bad;
    int64_t ready_ns;
};

struct sim {
    struct sim_pod pods[32];
    size_t n;
    int64_t now;
    struct controllers_rollouts rollouts;
    struct tk_buf events;
    int max_total, min_available;
};

static size_t sim_list(void *data, const char *prefix, struct controllers_podinfo **out)
{
    struct sim *s = data;
    *out = calloc(s->n + 1, sizeof(**out));
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct sim_pod *p = &s->pods[i];
        if (strncmp(p->name, prefix, strlen(prefix)))
            continue;
        (*out)[n++] = (struct controllers_podinfo){.name = p->name,
                                                   .spec = p->spec,
                                                   .hash = p->spec->hash,
                                                   .stopping = p->stopping,
                                                   .ready = p->ready,
                                                   .ready_ns = p->ready_ns};
    }
    return n;
}

static void sim_event(void *data, const char *object, const char *reason, const char *message)
{
    struct sim *s = data;
    tk_buf_addf(&s->events, "%s %s: %s\n", object, reason, message);
}

static void sim_init(struct sim *s)
{
    memset(s, 0, sizeof(*s));
    s->now = 1000 * S;
    s->min_available = 1000;
}

static void sim_free(struct sim *s)
{
    for (size_t i = 0; i < s->n; i++)
        spec_pod_free(s->pods[i].spec);
    controllers_rollouts_free(&s->rollouts);
    tk_buf_free(&s->events);
}

static char *deployment(const char *strategy, int replicas, const char *image, int deadline)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                "  replicas: %d\n  progressDeadlineSeconds: %d\n  strategy: %s\n"
                "  selector: {matchLabels: {app: web}}\n  template:\n"
                "    metadata: {labels: {app: web}}\n"
                "    spec: {containers: [{name: a, image: '%s'}]}\n",
                replicas, deadline, strategy, image);
    return tk_buf_detach(&b);
}

/* One pass: the controllers decide; then what the host does in the time of a step. */
static void sim_step(struct sim *s, const char *doc)
{
    struct spec_set set;
    spec_set_init(&set);
    spec_parse_buffer(&set, "d.yaml", doc, strlen(doc));
    ck_assert_msg(set.n_errors == 0, "%s", set.n_errors ? set.errors[0].message : "");
    struct controllers_ctx ctx = {.list = sim_list,
                                  .event = sim_event,
                                  .data = s,
                                  .rollouts = &s->rollouts,
                                  .rollout_now_ns = s->now};
    ck_assert_int_eq(controllers_expand(&set, &ctx), 0);
    struct resolve_node node = {.name = "host", .host_ips = ""};
    ck_assert_int_eq(resolve_pods(&set, &node), 0); /* as the store does (manifests.c) */
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) { /* stopped a step ago: gone */
        if (s->pods[i].stopping)
            spec_pod_free(s->pods[i].spec);
        else
            s->pods[out++] = s->pods[i];
    }
    s->n = out;
    for (size_t i = 0; i < s->n; i++) {
        struct sim_pod *p = &s->pods[i];
        const struct spec_pod *d = spec_set_find(&set, p->name);
        if (!d || strcmp(d->hash, p->spec->hash))
            p->stopping = true, p->ready = false;
        else if (!p->ready && !p->bad)
            p->ready = true, p->ready_ns = s->now;
    }
    for (size_t i = 0; i < set.n_pods; i++) {
        bool have = false;
        for (size_t j = 0; j < s->n && !have; j++)
            have = !strcmp(s->pods[j].name, set.pods[i]->name);
        if (have)
            continue;
        ck_assert(!set.pods[i]->placeholder);
        ck_assert_uint_lt(s->n, 32);
        struct sim_pod *p = &s->pods[s->n++];
        *p = (struct sim_pod){.spec = spec_pod_dup(set.pods[i])};
        snprintf(p->name, sizeof(p->name), "%s", set.pods[i]->name);
        p->bad = strstr(p->spec->containers[0].image, "bad") != NULL;
    }
    int total = (int)s->n, available = 0;
    for (size_t i = 0; i < s->n; i++)
        available += s->pods[i].ready && !s->pods[i].stopping;
    if (total > s->max_total)
        s->max_total = total;
    if (available < s->min_available)
        s->min_available = available;
    spec_set_free(&set);
    s->now += S;
}

static int sim_count(const struct sim *s, const char *image, bool ready)
{
    int n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += !s->pods[i].stopping && (!ready || s->pods[i].ready) &&
             !strcmp(s->pods[i].spec->containers[0].image, image);
    return n;
}

static void steps(struct sim *s, const char *doc, int n)
{
    for (int i = 0; i < n; i++)
        sim_step(s, doc);
}

/* 3 replicas, 25%/25% (surge 1, unavailable 0): a never-ready version stalls with the old
 * pods serving and passes its deadline; a revert goes back; a good version rolls through. */
START_TEST(test_rolling_stall_revert_good)
{
    struct sim s;
    sim_init(&s);
    char *v1 = deployment("{}", 3, "busybox:v1", 5), *bad = deployment("{}", 3, "busybox:bad", 5);
    char *v2 = deployment("{}", 3, "busybox:v2", 5);
    steps(&s, v1, 3);
    ck_assert_int_eq(sim_count(&s, "busybox:v1", true), 3);
    s.max_total = 0, s.min_available = 1000;
    steps(&s, bad, 8);
    ck_assert_int_eq(sim_count(&s, "busybox:v1", true), 3);
    ck_assert_int_eq(sim_count(&s, "busybox:bad", false), 1);
    ck_assert_int_le(s.max_total, 4);
    ck_assert_int_ge(s.min_available, 3);
    const struct controllers_rollout *ro =
        controllers_rollout_find(&s.rollouts, SPEC_DEPLOYMENT, "web");
    ck_assert_ptr_nonnull(ro);
    ck_assert(ro->deadline_exceeded);
    ck_assert(!ro->complete);
    ck_assert_ptr_nonnull(strstr(tk_buf_str(&s.events), "ProgressDeadlineExceeded"));
    steps(&s, v1, 3); /* revert: the bad pod goes, the old ones stay */
    ck_assert_int_eq(sim_count(&s, "busybox:v1", true), 3);
    ck_assert_int_eq(sim_count(&s, "busybox:bad", false), 0);
    ck_assert(controllers_rollout_find(&s.rollouts, SPEC_DEPLOYMENT, "web")->complete);
    steps(&s, bad, 2); /* bad again, then a good version on top of it */
    steps(&s, v2, 20);
    ck_assert_int_eq(sim_count(&s, "busybox:v2", true), 3);
    ck_assert_int_eq((int)s.n, 3);
    ck_assert_int_le(s.max_total, 4);
    ck_assert_int_ge(s.min_available, 3);
    ro = controllers_rollout_find(&s.rollouts, SPEC_DEPLOYMENT, "web");
    ck_assert(ro->complete && !ro->deadline_exceeded);
    ck_assert_ptr_nonnull(strstr(tk_buf_str(&s.events), "Scaled up replica set web-"));
    free(v1), free(bad), free(v2);
    sim_free(&s);
}
END_TEST

START_TEST(test_recreate_and_scale)
{
    struct sim s;
    sim_init(&s);
    char *v1 = deployment("{type: Recreate}", 3, "busybox:v1", 600);
    char *v2 = deployment("{type: Recreate}", 3, "busybox:v2", 600);
    steps(&s, v1, 2);
    ck_assert_int_eq(sim_count(&s, "busybox:v1", true), 3);
    sim_step(&s, v2); /* every old pod stops; nothing new beside them */
    ck_assert_int_eq(sim_count(&s, "busybox:v1", false), 0);
    ck_assert_int_eq(sim_count(&s, "busybox:v2", false), 0);
    steps(&s, v2, 3);
    ck_assert_int_eq(sim_count(&s, "busybox:v2", true), 3);
    ck_assert_int_le(s.max_total, 3);
    static const int scale[] = {1, 0, 2};
    for (int i = 0; i < 3; i++) {
        char *d = deployment("{type: Recreate}", scale[i], "busybox:v2", 600);
        steps(&s, d, 3);
        ck_assert_int_eq(sim_count(&s, "busybox:v2", true), scale[i]);
        free(d);
    }
    ck_assert_ptr_nonnull(strstr(s.pods[0].name, "-0"));
    ck_assert_ptr_nonnull(strstr(s.pods[1].name, "-1"));
    free(v1), free(v2);
    sim_free(&s);
}
END_TEST

static char *daemonset(const char *strategy, const char *image)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b,
                "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n"
                "  updateStrategy: %s\n  selector: {matchLabels: {app: agent}}\n"
                "  template:\n    metadata: {labels: {app: agent}}\n"
                "    spec: {containers: [{name: a, image: '%s'}]}\n",
                strategy, image);
    return tk_buf_detach(&b);
}

START_TEST(test_daemonset)
{
    struct sim s;
    sim_init(&s);
    char *v1 = daemonset("{type: OnDelete}", "busybox:v1");
    char *v2 = daemonset("{type: OnDelete}", "busybox:v2");
    steps(&s, v1, 2);
    ck_assert_int_eq((int)s.n, 1);
    ck_assert_uint_eq(strlen(s.pods[0].name), strlen("agent-xxxxx"));
    steps(&s, v2, 3); /* OnDelete: the old pod stays */
    ck_assert_int_eq(sim_count(&s, "busybox:v1", true), 1);
    ck_assert_int_eq(sim_count(&s, "busybox:v2", false), 0);
    s.pods[0].stopping = true; /* tank delete */
    steps(&s, v2, 3);
    ck_assert_int_eq(sim_count(&s, "busybox:v2", true), 1);
    ck_assert_int_eq((int)s.n, 1);
    char *r3 = daemonset("{type: RollingUpdate}", "busybox:v3");
    s.max_total = 0;
    steps(&s, r3, 4); /* old stopped, then new */
    ck_assert_int_eq(sim_count(&s, "busybox:v3", true), 1);
    ck_assert_int_eq(s.max_total, 1);
    free(v1), free(v2), free(r3);
    sim_free(&s);
}
END_TEST

/* A Deployment whose env reads ConfigMap cfg's key mode (and Secret s's key token). */
static char *cfg_deployment(const char *mode, const char *token)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: '%s'}\n"
                "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                "stringData: {token: '%s'}\n---\n"
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                "  replicas: 3\n  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n"
                "  selector: {matchLabels: {app: web}}\n  template:\n"
                "    metadata: {labels: {app: web}}\n"
                "    spec:\n      containers:\n      - name: a\n        image: busybox:v1\n"
                "        env:\n        - {name: MODE, valueFrom: {configMapKeyRef: "
                "{name: cfg, key: mode}}}\n"
                "        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
                "        - {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: token}}}\n"
                "        volumeMounts: [{name: v, mountPath: /cfg}]\n"
                "      volumes: [{name: v, configMap: {name: cfg}}]\n",
                mode, token);
    return tk_buf_detach(&b);
}

static const char *env_of(const struct spec_pod *p, const char *name)
{
    for (size_t i = 0; i < p->containers[0].n_env; i++)
        if (!strcmp(p->containers[0].env[i].name, name))
            return p->containers[0].env[i].value;
    return NULL;
}

/* How many pods run, not being stopped, with MODE=mode (Ready ones only when ready). */
static int sim_count_env(const struct sim *s, const char *mode, bool ready)
{
    int n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *v = env_of(s->pods[i].spec, "MODE");
        n += !s->pods[i].stopping && (!ready || s->pods[i].ready) && v && !strcmp(v, mode);
    }
    return n;
}

/* A change of a value the template's env reads is a new revision: it rolls one pod at a time
 * within maxSurge 1 / maxUnavailable 0, the old pods keeping their environment meanwhile;
 * a change that only mounted files see, or of a per-pod value, rolls nothing. */
START_TEST(test_configmap_env_rolls)
{
    struct sim s;
    sim_init(&s);
    char *v1 = cfg_deployment("one", "hunter2"), *v2 = cfg_deployment("two", "hunter2");
    char *v3 = cfg_deployment("two", "sesame-42");
    steps(&s, v1, 3);
    ck_assert_int_eq(sim_count_env(&s, "one", true), 3);
    char first[3][80];
    for (int i = 0; i < 3; i++)
        snprintf(first[i], sizeof(first[i]), "%s", s.pods[i].name);
    steps(&s, v1, 2); /* the same again: nothing moves */
    for (int i = 0; i < 3; i++)
        ck_assert_str_eq(s.pods[i].name, first[i]);
    s.max_total = 0, s.min_available = 1000;
    for (int i = 0; i < 16; i++) {
        sim_step(&s, v2);
        ck_assert_int_le((int)s.n, 4); /* maxSurge 1 (a stopping pod still counts) */
        /* every pod runs the environment it started with: old ones "one", new ones "two" */
        for (size_t j = 0; j < s.n; j++) {
            bool old = false;
            for (int k = 0; k < 3; k++)
                old |= !strcmp(s.pods[j].name, first[k]);
            ck_assert_str_eq(env_of(s.pods[j].spec, "MODE"), old ? "one" : "two");
        }
    }
    ck_assert_int_ge(s.min_available, 3); /* maxUnavailable 0: never fewer than 3 */
    ck_assert_int_le(s.max_total, 4);
    ck_assert_int_eq(sim_count_env(&s, "two", true), 3);
    ck_assert_int_eq((int)s.n, 3);
    ck_assert(controllers_rollout_find(&s.rollouts, SPEC_DEPLOYMENT, "web")->complete);
    s.min_available = 1000;
    steps(&s, v3, 16); /* a Secret's value rolls the same way */
    ck_assert_int_ge(s.min_available, 3);
    ck_assert_int_eq((int)s.n, 3);
    for (size_t j = 0; j < s.n; j++)
        ck_assert_str_eq(env_of(s.pods[j].spec, "TOKEN"), "sesame-42");
    const char *ev = tk_buf_str(&s.events);
    ck_assert_ptr_nonnull(strstr(ev, "Scaled up replica set web-"));
    ck_assert_ptr_null(strstr(ev, "hunter2")); /* values never in events */
    ck_assert_ptr_null(strstr(ev, "sesame"));
    free(v1), free(v2), free(v3);
    sim_free(&s);
}
END_TEST

/* A DaemonSet follows its updateStrategy on such a change: OnDelete keeps the old pod with its
 * environment until it is deleted; RollingUpdate stops it, then starts the new one. */
START_TEST(test_configmap_env_daemonset)
{
    static const char *const fmt =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: '%s'}\n---\n"
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n"
        "  updateStrategy: {type: %s}\n  selector: {matchLabels: {app: agent}}\n"
        "  template:\n    metadata: {labels: {app: agent}}\n"
        "    spec: {containers: [{name: a, image: busybox, envFrom: [{configMapRef: "
        "{name: cfg}, prefix: X_}]}]}\n";
    char d1[1024], d2[1024], d3[1024];
    snprintf(d1, sizeof(d1), fmt, "one", "OnDelete");
    snprintf(d2, sizeof(d2), fmt, "two", "OnDelete");
    snprintf(d3, sizeof(d3), fmt, "three", "RollingUpdate");
    struct sim s;
    sim_init(&s);
    steps(&s, d1, 2);
    ck_assert_int_eq((int)s.n, 1);
    char first[80];
    snprintf(first, sizeof(first), "%s", s.pods[0].name);
    steps(&s, d2, 3); /* OnDelete: the old pod stays, as it runs */
    ck_assert_int_eq((int)s.n, 1);
    ck_assert_str_eq(s.pods[0].name, first);
    ck_assert_str_eq(env_of(s.pods[0].spec, "X_mode"), "one");
    s.pods[0].stopping = true; /* tank delete */
    steps(&s, d2, 3);
    ck_assert_int_eq((int)s.n, 1);
    ck_assert_str_ne(s.pods[0].name, first);
    ck_assert_str_eq(env_of(s.pods[0].spec, "X_mode"), "two");
    s.max_total = 0;
    steps(&s, d3, 4); /* RollingUpdate: old stopped, then new */
    ck_assert_int_eq(s.max_total, 1);
    ck_assert_int_eq((int)s.n, 1);
    ck_assert(s.pods[0].ready);
    ck_assert_str_eq(env_of(s.pods[0].spec, "X_mode"), "three");
    sim_free(&s);
}
END_TEST

/* What the digest covers: values read by env, not a volume's content nor per-pod values. */
START_TEST(test_reads_digest)
{
    static const char *const tmpl =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: '%s', file: '%s'}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n"
        "  - name: a\n    image: busybox\n"
        "    env: [{name: MODE, valueFrom: {configMapKeyRef: {name: cfg, key: mode}}},\n"
        "          {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n"
        "    volumeMounts: [{name: v, mountPath: /cfg}]\n"
        "  volumes: [{name: v, configMap: {name: cfg, items: [{key: file, path: f}]}}]\n";
    static const char *const cases[][3] = {
        {"a", "x", "p"}, {"a", "y", "p"}, {"a", "x", "q"}, {"b", "x", "p"}};
    static const unsigned char key1[RESOLVE_KEY_LEN] = {1}, key2[RESOLVE_KEY_LEN] = {2};
    char d[4][65], k1[2][65], k2[65];
    for (int i = 0; i < 4; i++) {
        char doc[2048];
        snprintf(doc, sizeof(doc), tmpl, cases[i][0], cases[i][1], cases[i][2]);
        struct spec_set set;
        spec_set_init(&set);
        spec_parse_buffer(&set, "p.yaml", doc, strlen(doc));
        ck_assert_msg(set.n_errors == 0, "%s", set.n_errors ? set.errors[0].message : "");
        ck_assert_int_eq(resolve_reads_digest(&set, set.pods[0], NULL, d[i]), 1);
        if (i == 0 || i == 3)
            ck_assert_int_eq(resolve_reads_digest(&set, set.pods[0], key1, k1[i ? 1 : 0]), 1);
        if (i == 0)
            ck_assert_int_eq(resolve_reads_digest(&set, set.pods[0], key2, k2), 1);
        spec_set_free(&set);
    }
    ck_assert_str_eq(d[0], d[1]); /* a mounted file's content: updated in place */
    ck_assert_str_eq(d[0], d[2]); /* the pod's name (a per-pod value) */
    ck_assert_str_ne(d[0], d[3]); /* a value env reads */
    /* Under the host's key: still a change of a value read, but not the unkeyed digest, and
     * another host's key gives another digest (nothing to test guesses against offline). */
    ck_assert_str_ne(k1[0], k1[1]);
    ck_assert_str_ne(k1[0], d[0]);
    ck_assert_str_ne(k1[0], k2);
}
END_TEST

/* Static addresses cannot be in two pods at once. */
START_TEST(test_static_addresses)
{
    static const struct {
        int replicas;
        const char *strategy;
        bool ok;
    } cases[] = {{1, "{}", false},
                 {1, "{type: Recreate}", true},
                 {1, "{rollingUpdate: {maxSurge: 0}}", true},
                 {2, "{type: Recreate}", false}};
    for (size_t i = 0; i < 4; i++) {
        char tank[1024];
        snprintf(tank, sizeof(tank),
                 "apiVersion: tank/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n"
                 "  replicas: %d\n  strategy: %s\n  selector: {matchLabels: {app: w}}\n"
                 "  template:\n    metadata: {labels: {app: w}}\n"
                 "    spec:\n      containers: [{name: a, image: busybox}]\n"
                 "      network: {interfaces: [{name: eth0, macvlan: {}, addresses: "
                 "[192.0.2.10/24]}]}\n",
                 cases[i].replicas, cases[i].strategy);
        struct spec_set set;
        spec_set_init(&set);
        spec_parse_buffer(&set, "d.yaml", tank, strlen(tank));
        if (cases[i].ok)
            ck_assert_msg(set.n_errors == 0, "case %zu: %s", i,
                          set.n_errors ? set.errors[0].message : "");
        else
            ck_assert_msg(set.n_errors >= 1 &&
                              strstr(set.errors[0].message, "use strategy Recreate"),
                          "case %zu: %s", i, set.n_errors ? set.errors[0].message : "accepted");
        spec_set_free(&set);
    }
}
END_TEST

Suite *rollout_suite(void)
{
    Suite *s = suite_create("rollout");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_plan, 0, (int)(sizeof(plan_cases) / sizeof(plan_cases[0])));
    tcase_add_test(tc, test_min_ready);
    tcase_add_test(tc, test_template_hash);
    tcase_add_test(tc, test_rolling_stall_revert_good);
    tcase_add_test(tc, test_recreate_and_scale);
    tcase_add_test(tc, test_daemonset);
    tcase_add_test(tc, test_static_addresses);
    tcase_add_test(tc, test_configmap_env_rolls);
    tcase_add_test(tc, test_configmap_env_daemonset);
    tcase_add_test(tc, test_reads_digest);
    suite_add_tcase(s, tc);
    return s;
}
