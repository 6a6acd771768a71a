/*
 * The pod worker: a pod's sandbox (made under way, retried with back-off), its containers in
 * declared order (agent/ctrworker.c runs each), the stop with its grace period, and the record
 * that adoption reads back after an agent restart (the status the API shows is worked out in
 * agent/podstatus.c).
 *
 * The pod's states (enum pod_state) and what moves it, as pod_set_state() allows:
 *
 *   state            event                                 next state       action
 *   ADMISSION        the reconciler admits it (requests    SANDBOX_DUE      sync
 *                    fit beside the admitted pods)
 *                    it does not fit                       ADMISSION        Pending, reason
 *                                                                           OutOfmemory/OutOfcpu
 *   SANDBOX_DUE      sync                                  SANDBOX_MAKING   pod_up, under way
 *                                                          RUNNING          (made at once)
 *                                                          SANDBOX_RETRY    (failed) retry_timer
 *   SANDBOX_MAKING   the creation ends well                RUNNING          keep the addresses
 *                    the creation fails                    SANDBOX_RETRY    retry_timer, back-off
 *                                                                           doubling up to 30 s
 *   SANDBOX_RETRY    retry_timer                           SANDBOX_DUE      sync
 *   RUNNING          sync                                  RUNNING          containers: decide on
 *                                                                           exits, start in order
 *                    a new spec, only resources changed    RUNNING          pod_resize: cgroups
 *                    (the same QoS class)                                   rewritten in place, or
 *                                                                           the container restarts
 *                    a container ended, the sandbox is     RUNNING          SandboxChanged; stop
 *                    damaged (pod_check)                   (sandbox_lost)   the others
 *                    then none runs any more               SANDBOX_DUE      (made again)
 *                    ... with restartPolicy Never          RUNNING          nothing starts again;
 *                                                          (sandbox_dead)   the pod ends Failed
 *   any of the above stop                                  STOPPING         stop signal to the
 *                                                                           running containers;
 *                                                                           grace_timer if any
 *   STOPPING         grace_timer                           KILLING          SIGKILL, again each 1 s
 *   STOPPING,        no container runs, starts or pulls,   REMOVING         pod_down under way
 *   KILLING          no creation under way                                  in a child (down)
 *                                                          GONE             (done at once)
 *   REMOVING         the removal ends well                 GONE             record removed
 *                    the removal fails                     REMOVING         remove_timer 1 s
 *                    remove_timer                          REMOVING         pod_down again
 *
 * A stop that finds a creation under way lets it end first (its child is never left behind).
 * A new pod starts in ADMISSION; an adopted pod starts in SANDBOX_DUE (pod_up finds the existing
 * sandbox), one without a record (an orphan) in RUNNING with no spec: only its stop is left to do.
 * Each container has its own table (enum ctr_state, agent/ctrworker.c, ctr_set_state()).
 */
#include "agent/podworker.h"
#include "agent/podworker-int.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/loop.h"
#include "agent/runtime.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/alloc.h"

#define SANDBOX_RETRY_MAX_MS 30000

static const char *const phase_names[] = {"Pending", "Running", "Succeeded", "Failed",
                                          "Terminating"};
static const char *const ctr_state_names[] = {"waiting", "running", "terminated"};

const char *pod_phase_to_string(enum pod_phase p)
{
    return (size_t)p < TK_ARRAY_SIZE(phase_names) ? phase_names[p] : "Unknown";
}

const char *pod_ctr_state_to_string(enum pod_ctr_state s)
{
    return (size_t)s < TK_ARRAY_SIZE(ctr_state_names) ? ctr_state_names[s] : "unknown";
}

static const char *const cond_names[] = {"Initialized", "ContainersReady", "Ready"};

const char *pod_cond_to_string(enum pod_cond c)
{
    return (size_t)c < TK_ARRAY_SIZE(cond_names) ? cond_names[c] : "Unknown";
}

void pod_emit(struct pod *p, const struct ctr *c, const char *reason, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->env.event)
        p->env.event(p->env.data, p->name, c ? c->name : NULL, reason, msg);
}

static void changed(struct pod *p)
{
    if (p->env.changed)
        p->env.changed(p->env.data);
}

/* ---- the pod's state ---- */

#define TO(s) (1u << (s))
static const struct {
    const char *name;
    unsigned next; /* the states it may move to */
} pod_states[] = {
    [P_SANDBOX_DUE] = {"sandbox-due",
                       TO(P_SANDBOX_MAKING) | TO(P_RUNNING) | TO(P_SANDBOX_RETRY) | TO(P_STOPPING)},
    [P_ADMISSION] = {"admission", TO(P_SANDBOX_DUE) | TO(P_STOPPING)},
    [P_SANDBOX_MAKING] = {"sandbox-making", TO(P_RUNNING) | TO(P_SANDBOX_RETRY) | TO(P_STOPPING)},
    [P_SANDBOX_RETRY] = {"sandbox-retry", TO(P_SANDBOX_DUE) | TO(P_STOPPING)},
    [P_RUNNING] = {"running", TO(P_SANDBOX_DUE) | TO(P_STOPPING)},
    [P_STOPPING] = {"stopping", TO(P_KILLING) | TO(P_REMOVING) | TO(P_GONE)},
    [P_KILLING] = {"killing", TO(P_REMOVING) | TO(P_GONE)},
    [P_REMOVING] = {"removing", TO(P_GONE)},
    [P_GONE] = {"gone", 0},
};
#undef TO

static void pod_set_state(struct pod *p, enum pod_state to)
{
    if (!(pod_states[p->state].next & (1u << to))) {
        tk_error("pod '%s': no transition from %s to %s", p->name, pod_states[p->state].name,
                 pod_states[to].name);
        abort();
    }
    tk_debug("pod '%s': %s -> %s", p->name, pod_states[p->state].name, pod_states[to].name);
    p->state = to;
}

bool pod_is_stopping(const struct pod *p)
{
    return p->state == P_STOPPING || p->state == P_KILLING || p->state == P_REMOVING;
}

static void del_timer(struct pod *p, uint64_t *timer)
{
    loop_del_timer(p->env.loop, *timer);
    *timer = 0;
}

/* ---- the record under RUN_DIR/agent/pods ---- */

static char *record_path(const struct pod *p)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/%s.json", p->env.record_dir, p->name);
    return tk_buf_detach(&b);
}

/* A container's end as the record keeps it (the API's lastState after an agent restart). */
static json_t *term_json(const struct ctr_term *t)
{
    return json_pack("{s:s, s:i, s:i, s:s, s:I, s:I}", "reason", t->reason ? t->reason : "",
                     "exitCode", t->exit_code, "signal", t->signal, "message", t->message,
                     "startedAt", (json_int_t)t->started_ns, "finishedAt",
                     (json_int_t)t->finished_ns);
}

static void term_from_json(struct ctr_term *t, const json_t *j)
{
    /* reason points to a static string: the ones a container's end is given */
    static const char *const reasons[] = {"Completed", "Error", "OOMKilled", "ContainerCannotRun",
                                          "StartError"};
    const char *r = json_string_value(json_object_get(j, "reason"));
    if (!json_is_object(j) || !r)
        return;
    t->set = true;
    t->reason = "Error";
    for (size_t i = 0; i < TK_ARRAY_SIZE(reasons); i++)
        if (!strcmp(r, reasons[i]))
            t->reason = reasons[i];
    t->exit_code = (int)json_integer_value(json_object_get(j, "exitCode"));
    t->signal = (int)json_integer_value(json_object_get(j, "signal"));
    snprintf(t->message, sizeof(t->message), "%s",
             json_string_value(json_object_get(j, "message")) ?: "");
    t->started_ns = json_integer_value(json_object_get(j, "startedAt"));
    t->finished_ns = json_integer_value(json_object_get(j, "finishedAt"));
}

void pod_write_record(struct pod *p)
{
    json_t *ctrs = json_array();
    for (size_t i = 0; i < p->n_ctrs; i++) {
        const struct ctr *c = &p->ctrs[i];
        json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:b, s:b, s:b}", "name", c->name, "image",
                              c->image ? c->image : "", "restarts", (json_int_t)c->restarts,
                              "backoff", (json_int_t)c->backoff_ms, "started", c->ever_started,
                              "init", c->init, "sidecar", c->sidecar);
        if (j && c->term.set) /* its last end and the one before: lastState after a restart */
            json_object_set_new(j, "term", term_json(&c->term));
        if (j && c->last_term.set)
            json_object_set_new(j, "lastTerm", term_json(&c->last_term));
        json_array_append_new(ctrs, j);
    }
    json_t *root =
        json_pack("{s:s, s:s, s:I, s:I, s:o, s:b}", "name", p->name, "hash", p->hash, "grace",
                  (json_int_t)p->grace_ms, "startedAt", (json_int_t)p->started_ns, "containers",
                  ctrs, "initialized", p->initialized);
    _cleanup_free_ char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    _cleanup_free_ char *path = record_path(p);
    int r = text ? tk_mkdir_p(p->env.record_dir, 0700) : -ENOMEM;
    if (r == 0)
        r = tk_write_file_replace(path, text, strlen(text), 0600); /* run_dir */
    if (r < 0)
        tk_error("write pod record '%s': %s", path, strerror(-r));
}

static void remove_record(struct pod *p)
{
    _cleanup_free_ char *path = record_path(p);
    if (unlink(path) < 0 && errno != ENOENT)
        tk_error("remove pod record '%s': %m", path);
}

int pod_list_records(const char *record_dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    _cleanup_closedir_ DIR *d = opendir(record_dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
            continue;
        char **v = realloc(*names, (*n + 1) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        *names = v;
        v[(*n)++] = tk_xstrndup(de->d_name, len - 5);
    }
    return 0;
}

/* ---- construction ---- */

static void ctr_init(struct pod *p, struct ctr *c, size_t idx, const char *name, const char *image)
{
    memset(c, 0, sizeof(*c));
    c->pod = p;
    c->idx = idx;
    c->name = tk_xstrdup(name);
    c->image = image ? tk_xstrdup(image) : NULL;
    c->watch_fd = -1;
    c->start.work.fd = -1;
    c->pull_fd = -1;
    c->state = C_IDLE; /* its first state (no transition) */
    c->reason = "ContainerCreating";
    c->backoff_ms = p->env.cfg->backoff_initial_ms;
    c->pull_backoff_ms = p->env.cfg->backoff_initial_ms;
}

static struct pod *pod_alloc(const struct pod_env *env, const char *name)
{
    struct pod *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->env = *env;
    p->name = strdup(name);
    p->grace_ms = 30000;
    p->sandbox_backoff_ms = env->cfg->backoff_initial_ms;
    p->sandbox.work.fd = -1;
    if (!p->name) {
        free(p);
        return NULL;
    }
    return p;
}

struct pod *pod_new(const struct pod_env *env, const struct spec_pod *spec)
{
    struct pod *p = pod_alloc(env, spec->name);
    if (!p)
        return NULL;
    p->started_ns = tk_now_realtime_ns();
    p->state = P_ADMISSION;
    if (pod_attach_spec(p, spec) < 0) {
        pod_free(p);
        return NULL;
    }
    return p;
}

int pod_attach_spec(struct pod *p, const struct spec_pod *spec)
{
    struct spec_pod *copy = spec_pod_dup(spec);
    if (!copy)
        return -ENOMEM;
    spec_pod_free(p->spec);
    p->spec = copy;
    memcpy(p->hash, spec->hash, sizeof(p->hash));
    memcpy(p->hash_nores, spec->hash_nores, sizeof(p->hash_nores));
    p->grace_ms = spec->termination_grace_seconds * 1000;
    size_t n = spec_pod_n_all(spec);
    if (!p->ctrs) {
        p->ctrs = calloc(n ? n : 1, sizeof(*p->ctrs));
        if (!p->ctrs)
            return -ENOMEM;
        for (size_t i = 0; i < n; i++)
            ctr_init(p, &p->ctrs[i], i, spec_pod_ctr(spec, i)->name, spec_pod_ctr(spec, i)->image);
        p->n_ctrs = n;
        p->initialized = !spec->n_init_containers;
    }
    for (size_t i = 0; i < p->n_ctrs && i < n; i++) { /* (an adopted pod's, from its record) */
        p->ctrs[i].init = spec_pod_is_init(spec, i);
        p->ctrs[i].sidecar = spec_pod_ctr(spec, i)->sidecar;
    }
    for (size_t i = 0; i < p->n_ctrs; i++) /* containers adopted before their manifest */
        if (p->ctrs[i].state == C_RUNNING && !p->ctrs[i].probing && !p->ctrs[i].kill_timer &&
            !p->ctrs[i].stopping && !pod_is_stopping(p))
            probe_ctr_running(&p->ctrs[i]);
    return 0;
}

/* ---- the pod ---- */

static void stop_progress(struct pod *p);

static int64_t on_retry_timer(struct loop *loop, uint64_t id, void *data)
{
    struct pod *p = data;
    p->retry_timer = 0;
    pod_set_state(p, P_SANDBOX_DUE);
    pod_sync(p);
    return LOOP_TIMER_DONE;
}

static int64_t on_remove_timer(struct loop *loop, uint64_t id, void *data)
{
    struct pod *p = data;
    p->remove_timer = 0;
    stop_progress(p);
    return LOOP_TIMER_DONE;
}

/* The grace period is over (P_STOPPING), or the last SIGKILL was a second ago (P_KILLING). */
static int64_t on_grace_timer(struct loop *loop, uint64_t id, void *data)
{
    struct pod *p = data;
    bool first = p->state == P_STOPPING;
    p->grace_timer = 0;
    if (first)
        pod_set_state(p, P_KILLING);
    for (size_t i = 0; i < p->n_ctrs; i++) {
        if (!ctr_alive(&p->ctrs[i]))
            continue;
        if (first)
            pod_emit(p, &p->ctrs[i], "Killing", "grace period over: killing container '%s'",
                     p->ctrs[i].name);
        p->env.rt->ops->ctr_kill(p->env.rt->impl, p->name, p->ctrs[i].name, SIGKILL);
    }
    pod_sync(p); /* the stop goes on */
    if (p->state != P_KILLING)
        return LOOP_TIMER_DONE;
    p->grace_timer = id; /* SIGKILL again until the exits are seen */
    return 1000;
}

static void free_ips(struct pod *p)
{
    for (size_t i = 0; i < p->n_ips; i++)
        free(p->ips[i]);
    p->n_ips = 0;
}

static void free_info(struct runtime_pod_info *info)
{
    for (size_t i = 0; i < info->n_ips && i < TK_ARRAY_SIZE(info->ips); i++)
        free(info->ips[i]);
    info->n_ips = 0;
}

/* The sandbox is up (r == 0) or could not be made (r < 0); info is taken or freed here. */
static void sandbox_done(struct pod *p, int r, struct runtime_pod_info *info, struct tk_err *err)
{
    if (pod_is_stopping(p)) { /* the stop goes on once this is known */
        free_info(info);
        return;
    }
    if (r < 0) {
        free_info(info);
        p->reason = "CreatePodSandboxError";
        snprintf(p->message, sizeof(p->message), "%s", err->msg);
        int64_t delay = p->sandbox_backoff_ms;
        p->sandbox_backoff_ms = delay * 2 > SANDBOX_RETRY_MAX_MS ? SANDBOX_RETRY_MAX_MS : delay * 2;
        pod_set_state(p, P_SANDBOX_RETRY);
        p->retry_timer = loop_add_timer(p->env.loop, delay, on_retry_timer, p);
        pod_emit(p, NULL, "FailedCreatePodSandbox", "%s", err->msg);
        return;
    }
    free_ips(p);
    for (size_t i = 0; i < info->n_ips && i < TK_ARRAY_SIZE(info->ips); i++) {
        if (p->n_ips < TK_ARRAY_SIZE(p->ips))
            p->ips[p->n_ips++] = info->ips[i];
        else
            free(info->ips[i]);
    }
    info->n_ips = 0;
    pod_set_state(p, P_RUNNING);
    p->reason = NULL;
    p->message[0] = '\0';
    if (p->sandbox_new)
        pod_init_sandbox_new(p);
    p->sandbox_new = false;
}

/* The creation's fd or deadline: advance it, and see to its end. */
static void sandbox_progress(void *data)
{
    struct pod *p = data;
    struct tk_err err = {0};
    int r = p->env.rt->ops->pod_up_advance(p->env.rt->impl, &p->sandbox.work, &err);
    if (r == 1)
        return;
    underway_end(&p->sandbox);
    sandbox_done(p, r, &p->pending, &err);
    pod_sync(p);
}

/* P_SANDBOX_DUE: have the sandbox made (at once, or by a child the loop waits for). */
static void sandbox_make(struct pod *p)
{
    struct tk_err err = {0};
    struct runtime_pod_info info = {0};
    if (!p->hash[0] || !p->started_ns)
        p->started_ns = tk_now_realtime_ns();
    pod_write_record(p); /* before anything exists, so a crash leaves a trace to clean */
    int r = p->env.rt->ops->pod_up(p->env.rt->impl, p->spec, &info, &p->sandbox.work, &err);
    if (r == 1) {
        p->pending = info;
        p->sandbox_new = true; /* (an existing one is taken at once) */
        pod_set_state(p, P_SANDBOX_MAKING);
        underway_watch(&p->sandbox, p->env.loop, p->name, sandbox_progress, p);
        return;
    }
    sandbox_done(p, r, &info, &err);
}

/* Drop a creation under way (the agent stops): the next agent finds it half-built and
 * makes it again. */
static void sandbox_abandon(struct pod *p)
{
    if (!p->sandbox.active)
        return;
    underway_end(&p->sandbox);
    p->env.rt->ops->pod_up_cancel(p->env.rt->impl, &p->sandbox.work, false);
    free_info(&p->pending);
}

/* Does anything of the container still run, start or pull? */
static bool ctr_busy(const struct ctr *c)
{
    return ctr_alive(c) || c->state == C_STARTING || c->state == C_PULLING;
}

/* The removal of the sandbox ended (r: pod_down's result): the pod is gone, or the removal
 * is tried again in a second. */
static void down_done(struct pod *p, int r, struct tk_err *err)
{
    if (r < 0) {
        tk_error("remove pod '%s': %s, retrying", p->name, err->msg);
        if (p->state != P_REMOVING)
            pod_set_state(p, P_REMOVING);
        p->remove_timer = loop_add_timer(p->env.loop, 1000, on_remove_timer, p);
        return;
    }
    pod_set_state(p, P_GONE);
    remove_record(p);
    free_ips(p);
    pod_emit(p, NULL, "Stopped", "pod '%s' stopped and removed", p->name);
    changed(p);
}

static void down_progress(void *data)
{
    struct pod *p = data;
    struct tk_err err = {0};
    int r = p->env.rt->ops->pod_down_advance(p->env.rt->impl, &p->down.work, &err);
    if (r == 1)
        return;
    underway_end(&p->down);
    down_done(p, r, &err);
}

static void stop_progress(struct pod *p)
{
    if (p->state == P_GONE || p->sandbox.active || p->down.active)
        return; /* pod_down once the creation has ended; and once */
    bool others = false, sidecars = false;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        others |= !p->ctrs[i].sidecar && ctr_busy(&p->ctrs[i]);
        sidecars |= p->ctrs[i].sidecar && ctr_busy(&p->ctrs[i]);
    }
    if (!others && sidecars) /* the sidecars stop once the others have ended */
        for (size_t i = p->n_ctrs; i-- > 0;)
            if (p->ctrs[i].sidecar)
                ctr_stop(&p->ctrs[i]);
    if (others || sidecars)
        return;
    struct tk_err err = {0};
    del_timer(p, &p->grace_timer);
    del_timer(p, &p->remove_timer);
    int r = p->env.rt->ops->pod_down(p->env.rt->impl, p->name, &p->down.work, &err);
    if (r == 1) {
        if (p->state != P_REMOVING)
            pod_set_state(p, P_REMOVING);
        underway_watch(&p->down, p->env.loop, p->name, down_progress, p);
        return;
    }
    down_done(p, r, &err);
}

/* What the container worker keeps beside its state agrees with it. */
static void ctr_check(const struct ctr *c)
{
    if ((c->state == C_PULLING) != (c->pull_pid != 0) ||
        (c->state == C_STARTING) != c->start.active) {
        tk_error("container '%s/%s': state %d, pull pid %d, start %s", c->pod->name, c->name,
                 (int)c->state, (int)c->pull_pid, c->start.active ? "under way" : "idle");
        abort();
    }
}

/* RUNNING: a container ended and the sandbox around it is damaged (the init of the pod's
 * shared PID namespace died, taking every process of it along; a namespace or interface is
 * gone). As the kubelet does with a dead sandbox: what still runs is stopped, then the sandbox
 * is made anew (pod_up destroys the damaged one first) and the containers start in it by
 * their restart policy, keeping their restart counts, last states and logs. True while
 * that is under way: the containers wait. A pod with restartPolicy Never gets no new
 * sandbox (the kubelet's computePodActions): its containers end where they are, and
 * nothing starts in it again (sandbox_dead). */
static bool sandbox_lost(struct pod *p)
{
    const struct runtime_ops *ops = p->env.rt->ops;
    if (p->sandbox_dead)
        return false;
    if (!p->sandbox_lost) {
        bool exited = false;
        for (size_t i = 0; i < p->n_ctrs; i++)
            exited |= p->ctrs[i].state == C_EXITED;
        struct tk_err err = {0};
        if (!exited || !ops->pod_check || ops->pod_check(p->env.rt->impl, p->name, &err) >= 0)
            return false;
        p->sandbox_lost = true;
        pod_emit(p, NULL, "SandboxChanged", "pod sandbox changed, it will be killed%s: %s",
                 p->spec->restart_policy == SPEC_RESTART_NEVER
                     ? " (restartPolicy Never: not re-created)"
                     : " and re-created",
                 err.msg);
        for (size_t i = 0; i < p->n_ctrs; i++)
            ctr_kill_graceful(&p->ctrs[i], p->grace_ms);
    }
    for (size_t i = 0; i < p->n_ctrs; i++)
        if (ctr_busy(&p->ctrs[i]))
            return true;
    p->sandbox_lost = false;
    if (p->spec->restart_policy == SPEC_RESTART_NEVER) {
        p->sandbox_dead = true;
        return false;
    }
    p->sandbox_backoff_ms = p->env.cfg->backoff_initial_ms;
    pod_set_state(p, P_SANDBOX_DUE);
    return false;
}

static void sync_once(struct pod *p)
{
    if (p->state == P_GONE)
        return;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        ctr_check(&p->ctrs[i]);
        if (ctr_alive(&p->ctrs[i]) && p->ctrs[i].watch_fd < 0)
            ctr_check_unwatched(&p->ctrs[i]);
    }
    if (pod_is_stopping(p)) {
        stop_progress(p);
        return;
    }
    if (p->spec && p->state == P_RUNNING && sandbox_lost(p))
        return;
    if (p->spec && p->state == P_SANDBOX_DUE)
        sandbox_make(p);
    if (!p->spec || p->state != P_RUNNING)
        return;
    for (size_t i = 0; i < p->n_ctrs; i++)
        if (p->ctrs[i].state == C_EXITED)
            ctr_decide(&p->ctrs[i]);
    if (p->sandbox_dead)
        return; /* nothing starts again in it */
    if (!pod_init_sync(p))
        return; /* the app containers wait for the init containers */
    pod_sidecars_sync(p);
    for (size_t i = 0; i < p->n_ctrs; i++) {
        struct ctr *c = &p->ctrs[i];
        if (c->init)
            continue;
        if (c->state == C_IDLE)
            ctr_start(c);
        if (c->state == C_PULLING || c->state == C_STARTING)
            break; /* later containers wait: declared order */
    }
}

void pod_sync(struct pod *p)
{
    sync_once(p);
    pod_conditions_update(p);
}

void pod_stop(struct pod *p)
{
    if (pod_is_stopping(p) || p->state == P_GONE)
        return;
    pod_set_state(p, P_STOPPING);
    del_timer(p, &p->retry_timer);
    bool any = false;
    for (size_t i = 0; i < p->n_ctrs; i++) {
        struct ctr *c = &p->ctrs[i];
        loop_del_timer(p->env.loop, c->timer);
        c->timer = 0;
        c->due_ns = 0;
        probe_ctr_stopped(c);
        if (c->state == C_PULLING)
            kill(c->pull_pid, SIGTERM);
        if (ctr_alive(c)) {
            any = true;
            if (!c->sidecar) /* (they stop after the others: stop_progress) */
                ctr_stop(c);
        }
        any = any || c->state == C_STARTING; /* signalled once it runs */
    }
    pod_emit(p, NULL, "Killing", "stopping pod '%s'%s", p->name,
             any ? " (grace period started)" : "");
    if (any)
        p->grace_timer = loop_add_timer(p->env.loop, p->grace_ms, on_grace_timer, p);
    stop_progress(p);
    pod_conditions_update(p);
}

/* ---- adoption ---- */

static int read_record(struct pod *p, json_t **out)
{
    _cleanup_free_ char *path = record_path(p);
    _cleanup_free_ char *text = NULL;
    int r = tk_read_file(path, 1 << 20, &text, NULL);
    if (r < 0)
        return r;
    *out = json_loads(text, 0, NULL);
    return *out ? 0 : -EINVAL;
}

static void adopt_ctr(struct pod *p, struct ctr *c)
{
    struct runtime_ctr st = {.watch_fd = -1};
    p->env.rt->ops->ctr_state(p->env.rt->impl, p->name, c->name, &st);
    if (!st.exists)
        return;
    c->ever_started = true;
    c->started_ns = st.started_ns;
    if (st.image_digest[0])
        snprintf(c->digest, sizeof(c->digest), "%s", st.image_digest);
    if (st.running && st.watch_fd >= 0) {
        ctr_set_state(c, C_RUNNING, "adopted");
        c->reason = NULL;
        c->pid = st.pid;
        ctr_watch(c, st.watch_fd);
        probe_ctr_running(c);
        pod_emit(p, c, "Adopted", "adopted running container '%s' (pid %d)", c->name, (int)c->pid);
        return;
    }
    if (st.watch_fd >= 0)
        close(st.watch_fd);
    /* The end the record has already (it was seen before the agent went) is not a new one:
     * the one before it stays the last state. */
    struct ctr_term prev = c->last_term;
    bool seen = c->term.set && st.exited && st.finished_ns == c->term.finished_ns;
    ctr_set_exit(c, &st);
    if (seen)
        c->last_term = prev;
    pod_emit(p, c, "Adopted", "container '%s' exited while the agent was away (code %d)", c->name,
             c->exit_code);
}

struct pod *pod_adopt(const struct pod_env *env, const char *name)
{
    struct pod *p = pod_alloc(env, name);
    if (!p)
        return NULL;
    json_t *rec = NULL;
    if (read_record(p, &rec) < 0) {
        p->state = P_RUNNING; /* an orphan sandbox: only pod_down is left to do */
        return p;
    }
    const char *hash = json_string_value(json_object_get(rec, "hash"));
    snprintf(p->hash, sizeof(p->hash), "%s", hash ? hash : "");
    p->grace_ms = json_integer_value(json_object_get(rec, "grace"));
    p->started_ns = json_integer_value(json_object_get(rec, "startedAt"));
    json_t *ctrs = json_object_get(rec, "containers");
    size_t n = json_array_size(ctrs);
    p->ctrs = calloc(n ? n : 1, sizeof(*p->ctrs));
    if (!p->ctrs) {
        json_decref(rec);
        pod_free(p);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_array_get(ctrs, i);
        const char *cn = json_string_value(json_object_get(j, "name"));
        const char *img = json_string_value(json_object_get(j, "image"));
        struct ctr *c = &p->ctrs[p->n_ctrs];
        ctr_init(p, c, p->n_ctrs, cn ? cn : "?", img);
        p->n_ctrs++;
        c->restarts = (unsigned)json_integer_value(json_object_get(j, "restarts"));
        json_int_t b = json_integer_value(json_object_get(j, "backoff"));
        if (b > 0)
            c->backoff_ms = b;
        c->ever_started = json_is_true(json_object_get(j, "started"));
        term_from_json(&c->term, json_object_get(j, "term"));
        term_from_json(&c->last_term, json_object_get(j, "lastTerm"));
        c->init = json_is_true(json_object_get(j, "init"));
        c->sidecar = json_is_true(json_object_get(j, "sidecar"));
        adopt_ctr(p, c);
    }
    /* Its init containers ran (the record says so, or an app container exists): they are
     * not run again, unless the sandbox turns out to be new (sandbox_done). */
    json_t *ini = json_object_get(rec, "initialized");
    p->initialized = !ini || json_is_true(ini);
    for (size_t i = 0; i < p->n_ctrs; i++)
        p->initialized |= !p->ctrs[i].init && p->ctrs[i].ever_started;
    json_decref(rec);
    return p;
}

void pod_admit(struct pod *p)
{
    if (p->state != P_ADMISSION)
        return;
    pod_set_state(p, P_SANDBOX_DUE);
    p->reason = NULL;
    p->message[0] = 0;
}

void pod_refuse(struct pod *p, const char *reason, const char *message)
{
    if (p->state != P_ADMISSION || (p->reason == reason && !strcmp(p->message, message)))
        return;
    p->reason = reason;
    snprintf(p->message, sizeof(p->message), "%s", message);
    pod_emit(p, NULL, reason, "%s", message);
}

bool pod_gone(const struct pod *p)
{
    return p->state == P_GONE;
}

void pod_free(struct pod *p)
{
    if (!p)
        return;
    del_timer(p, &p->retry_timer);
    del_timer(p, &p->grace_timer);
    del_timer(p, &p->remove_timer);
    sandbox_abandon(p);
    if (p->down.active) {
        underway_end(&p->down);
        p->env.rt->ops->pod_down_cancel(p->env.rt->impl, &p->down.work);
    }
    for (size_t i = 0; i < p->n_ctrs; i++) {
        struct ctr *c = &p->ctrs[i];
        ctr_start_settle(c);
        ctr_unwatch(c);
        probe_ctr_stopped(c);
        loop_del_timer(p->env.loop, c->timer);
        loop_del_timer(p->env.loop, c->kill_timer);
        if (c->pull_fd >= 0) {
            loop_del_fd(p->env.loop, c->pull_fd);
            close(c->pull_fd);
        }
        tk_buf_free(&c->pull_out);
        free(c->name);
        free(c->image);
    }
    free(p->ctrs);
    free_ips(p);
    spec_pod_free(p->spec);
    free(p->name);
    free(p);
}
