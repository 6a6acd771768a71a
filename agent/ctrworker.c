/*
 * The container worker of a pod (agent/podworker.c is the pod's): pulls, starts under way, exits,
 * the restart policy and its back-off. Each container is a small state machine (enum ctr_state in
 * agent/podworker-int.h) driven by loop events: a pull child's exit, a start's fd or deadline, the
 * monitor's pidfd, a back-off timer. The pod worker runs it only while the pod is RUNNING
 * (and sees the running ones to their end while it stops).
 *
 *   state      event                                   next state  action
 *   IDLE       sync (the pod's turn for it)            PULLING     pull child (image missing,
 *                                                                  or imagePullPolicy Always)
 *                                                      STARTING    the runtime's start, under way
 *                                                      RUNNING     (started at once) watch fd
 *                                                      POSTSTART   (started at once, with a
 *                                                                  postStart hook) the hook
 *                                                      BACKOFF     (no image / start failed)
 *              adoption: it runs                       RUNNING     watch fd, probes
 *              adoption: it exited while the agent     EXITED      read the exit record
 *              was away
 *   PULLING    the pull child exits 0                  IDLE        sync starts it
 *              ... exits non-zero                      BACKOFF     ErrImagePull/ImagePullBackOff
 *              ... exits while the pod stops           IDLE
 *   STARTING   the start ends well                     RUNNING     watch the monitor; SIGTERM
 *                                                                  (or SIGKILL) if the pod stops
 *                                                      POSTSTART   (a postStart hook, the pod
 *                                                                  not stopping) the hook
 *              the start fails                         BACKOFF     CreateContainerError
 *              (sync: a ConfigMap/Secret it reads is missing)  BACKOFF  CreateContainerConfigError
 *              the agent stops (ctr_start_settle)      RUNNING     (started) or IDLE (failed)
 *   POSTSTART  the hook returns                        RUNNING     probes start; (the hook
 *                                                                  failed) FailedPostStartHook,
 *                                                                  stop signal; kill_timer
 *              the watch fd (the monitor exited)       EXITED      read the exit record
 *   RUNNING    the watch fd (the monitor exited)       EXITED      read the exit record
 *              (entry: its probes start, agent/prober.c; they stop on leaving RUNNING)
 *              liveness/startup probe failureThreshold RUNNING     Unhealthy + Killing events,
 *                                                                  stop signal; kill_timer
 *              kill_timer (the probe's grace is over)  RUNNING     SIGKILL (then the watch fd)
 *              a resize, RestartContainer (resize.c)   RUNNING     Resizing event, stop signal;
 *                                                                  kill_timer
 *   EXITED     sync: a resize killed it                IDLE        started again at once
 *              sync: the restart policy restarts it    BACKOFF     CrashLoopBackOff, back-off
 *                                                                  doubling to backoff_max
 *              (init containers: on failure; sidecars: until the app containers are done)
 *              sync: the policy is done with it        DONE
 *              an init container, the sandbox made     IDLE        PodInitializing: it runs
 *              anew (agent/initphase.c)                            again in its turn
 *   BACKOFF    its timer                               IDLE        sync
 *   DONE       an init container, the sandbox made     IDLE        PodInitializing
 *              anew (agent/initphase.c)
 *
 * ctr_set_state() allows exactly these moves (it aborts on any other) and logs each at debug
 * level. A new container starts in IDLE.
 *
 * pull_pid is set exactly in PULLING and the start is under way exactly in STARTING (the pod
 * worker checks both on every sync).
 */
#include "agent/podworker-int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/loop.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"

#define PULL_OUTPUT_MAX 4096

/* ---- container exits ---- */

void ctr_unwatch(struct ctr *c)
{
    if (c->watch_fd < 0)
        return;
    loop_del_fd(c->pod->env.loop, c->watch_fd);
    close(c->watch_fd);
    c->watch_fd = -1;
}

const struct spec_container *ctr_spec(const struct ctr *c)
{
    return c->pod->spec ? spec_pod_ctr(c->pod->spec, c->idx) : NULL;
}

/* ---- the container's state ---- */

#define TO(s) (1u << (s))
static const struct {
    const char *name;
    unsigned next; /* the states it may move to */
} ctr_states[] = {
    [C_IDLE] = {"idle", TO(C_PULLING) | TO(C_STARTING) | TO(C_RUNNING) | TO(C_POSTSTART) |
                            TO(C_BACKOFF) | TO(C_EXITED)},
    [C_PULLING] = {"pulling", TO(C_IDLE) | TO(C_BACKOFF)},
    [C_STARTING] = {"starting", TO(C_RUNNING) | TO(C_POSTSTART) | TO(C_BACKOFF) | TO(C_IDLE)},
    [C_POSTSTART] = {"poststart", TO(C_RUNNING) | TO(C_EXITED)},
    [C_BACKOFF] = {"backoff", TO(C_IDLE)},
    [C_RUNNING] = {"running", TO(C_EXITED)},
    [C_EXITED] = {"exited", TO(C_IDLE) | TO(C_BACKOFF) | TO(C_DONE)},
    [C_DONE] = {"done", TO(C_IDLE)},
};
#undef TO

void ctr_set_state(struct ctr *c, enum ctr_state to, const char *why)
{
    if (!(ctr_states[c->state].next & (1u << to))) {
        tk_error("container '%s/%s': no transition from %s to %s (%s)", c->pod->name, c->name,
                 ctr_states[c->state].name, ctr_states[to].name, why);
        abort();
    }
    tk_debug("container '%s/%s': %s -> %s (%s)", c->pod->name, c->name, ctr_states[c->state].name,
             ctr_states[to].name, why);
    c->state = to;
}

/* The terminated state's message: the termination message the container left, else (with
 * FallbackToLogsOnError, after a failure) its log's last lines, else why its start failed. */
static void exit_message(struct ctr *c, const struct runtime_ctr *st)
{
    const struct spec_container *sc = ctr_spec(c);
    struct pod *p = c->pod;
    if (st->term_message[0]) {
        snprintf(c->message, sizeof(c->message), "%s", st->term_message);
    } else if (sc && sc->termination_fallback_logs && st->exit_code != 0 && !st->message[0]) {
        _cleanup_free_ char *log = runtime_log_path(p->env.cfg->log_dir, p->name, c->name);
        if (runtime_log_tail(log, RUNTIME_TERM_LOG_LINES, c->message, sizeof(c->message)) < 0)
            c->message[0] = '\0';
    } else {
        snprintf(c->message, sizeof(c->message), "%s", st->message);
    }
}

void ctr_set_exit(struct ctr *c, const struct runtime_ctr *st)
{
    c->has_exit = true;
    probe_hook_cancel(c);
    c->stopping = false;
    if (st->exited) {
        c->exit_code = st->exit_code;
        c->signal = st->signal;
        c->finished_ns = st->finished_ns ? st->finished_ns : tk_now_realtime_ns();
        exit_message(c, st);
    } else {
        c->exit_code = 255;
        c->signal = 0;
        c->finished_ns = tk_now_realtime_ns();
        snprintf(c->message, sizeof(c->message),
                 "the container's monitor ended without an "
                 "exit status");
    }
    c->pid = 0;
    probe_ctr_stopped(c);
    loop_del_timer(c->pod->env.loop, c->kill_timer);
    c->kill_timer = 0;
    ctr_set_state(c, C_EXITED, "exited");
    c->reason = c->exit_code == 0 ? "Completed" : st->oom_killed ? "OOMKilled" : "Error";
    c->last_term = c->term;
    c->term = (struct ctr_term){.set = true,
                                .reason = c->reason,
                                .exit_code = c->exit_code,
                                .signal = c->signal,
                                .started_ns = c->started_ns,
                                .finished_ns = c->finished_ns};
    snprintf(c->term.message, sizeof(c->term.message), "%s", c->message);
}

/* The container ended: learn how (the runtime's exit record) and note it. */
static void ctr_reap_exit(struct ctr *c)
{
    struct pod *p = c->pod;
    ctr_unwatch(c);
    if (c->monitor_pid > 0)
        waitpid(c->monitor_pid, NULL, WNOHANG);
    c->monitor_pid = 0;
    struct runtime_ctr st = {.watch_fd = -1};
    p->env.rt->ops->ctr_state(p->env.rt->impl, p->name, c->name, &st);
    if (st.watch_fd >= 0)
        close(st.watch_fd);
    ctr_set_exit(c, &st);
    if (st.oom_killed)
        pod_emit(p, c, "OOMKilled", "container '%s' was killed by the OOM killer (memory limit)",
                 c->name);
    else if (c->signal)
        pod_emit(p, c, "Exited", "container '%s' was killed by signal %d", c->name, c->signal);
    else
        pod_emit(p, c, "Exited", "container '%s' exited with code %d", c->name, c->exit_code);
    pod_write_record(p);
}

static void on_ctr_exit(struct loop *loop, int fd, uint32_t events, void *data)
{
    struct ctr *c = data;
    ctr_reap_exit(c);
    pod_sync(c->pod);
}

/* A running container without a watch fd (none could be had): ask the runtime instead,
 * on every pass (the periodic resync included). */
void ctr_check_unwatched(struct ctr *c)
{
    struct pod *p = c->pod;
    struct runtime_ctr st = {.watch_fd = -1};
    p->env.rt->ops->ctr_state(p->env.rt->impl, p->name, c->name, &st);
    if (st.running && st.watch_fd >= 0) {
        ctr_watch(c, st.watch_fd);
        return;
    }
    if (st.watch_fd >= 0)
        close(st.watch_fd);
    if (!st.running)
        ctr_reap_exit(c);
}

int ctr_watch(struct ctr *c, int fd)
{
    c->watch_fd = fd;
    int r = loop_add_fd(c->pod->env.loop, fd, EPOLLIN, on_ctr_exit, c);
    if (r < 0) {
        close(fd);
        c->watch_fd = -1;
    }
    return r;
}

/* ---- timers ---- */

static int64_t on_ctr_timer(struct loop *loop, uint64_t id, void *data)
{
    struct ctr *c = data;
    c->timer = 0;
    c->due_ns = 0;
    if (c->state == C_BACKOFF)
        ctr_set_state(c, C_IDLE, "back-off over");
    pod_sync(c->pod);
    return LOOP_TIMER_DONE;
}

static void ctr_backoff(struct ctr *c, const char *reason, int64_t delay_ms)
{
    ctr_set_state(c, C_BACKOFF, reason);
    c->reason = reason;
    c->due_ns = tk_now_realtime_ns() + delay_ms * 1000000;
    loop_del_timer(c->pod->env.loop, c->timer);
    c->timer = loop_add_timer(c->pod->env.loop, delay_ms, on_ctr_timer, c);
}

static int64_t next_backoff(const struct tank_config *cfg, int64_t *backoff)
{
    int64_t delay = *backoff;
    *backoff = delay * 2 > cfg->backoff_max_ms ? cfg->backoff_max_ms : delay * 2;
    return delay;
}

static void format_delay(int64_t ms, char *out, size_t size)
{
    if (ms % 1000)
        snprintf(out, size, "%lldms", (long long)ms);
    else
        snprintf(out, size, "%llds", (long long)(ms / 1000));
}

/* The restart policy decides on an exited container. */
void ctr_decide(struct ctr *c)
{
    struct pod *p = c->pod;
    const struct tank_config *cfg = p->env.cfg;
    enum spec_restart_policy pol = p->spec->restart_policy;
    bool failed = c->exit_code != 0;
    if (p->sandbox_dead) { /* (pod restartPolicy Never) */
        ctr_set_state(c, C_DONE, "its pod's sandbox is gone and is not made again");
        return;
    }
    if (c->resize_restart) { /* its new resources, without a back-off */
        c->resize_restart = false;
        ctr_set_state(c, C_IDLE, "resized");
        c->reason = "ContainerCreating";
        return;
    }
    /* An init container: run to success (restartPolicy Always counts as OnFailure); a sidecar
     * is restarted whatever its exit, until the app containers have all ended. */
    if (c->init && !c->sidecar && pol == SPEC_RESTART_ALWAYS)
        pol = SPEC_RESTART_ON_FAILURE;
    if (c->sidecar)
        pol = pod_apps_done(p) ? SPEC_RESTART_NEVER : SPEC_RESTART_ALWAYS;
    if (pol == SPEC_RESTART_NEVER || (pol == SPEC_RESTART_ON_FAILURE && !failed)) {
        ctr_set_state(c, C_DONE, "the restart policy is done with it");
        return;
    }
    if (c->finished_ns - c->started_ns >= cfg->backoff_reset_ms * 1000000)
        c->backoff_ms = cfg->backoff_initial_ms;
    int64_t delay = next_backoff(cfg, &c->backoff_ms);
    char d[32];
    format_delay(delay, d, sizeof(d));
    ctr_backoff(c, "CrashLoopBackOff", delay);
    char due[64];
    tk_format_rfc3339nano(c->due_ns, due, sizeof(due));
    snprintf(c->message, sizeof(c->message),
             "back-off %s restarting failed container '%s', next restart at %s", d, c->name, due);
    pod_emit(p, c, "BackOff", "back-off %s restarting container '%s'", d, c->name);
}

/* ---- pulls ---- */

static void on_pull_output(struct loop *loop, int fd, uint32_t events, void *data)
{
    struct ctr *c = data;
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (c->pull_out.len < PULL_OUTPUT_MAX)
            tk_buf_add(&c->pull_out, buf, (size_t)n);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        loop_del_fd(loop, fd);
        close(fd);
        c->pull_fd = -1;
    }
}

/* The last non-empty line of the pull's output, without a "tank: " prefix. */
static void pull_error(struct ctr *c, char *out, size_t size)
{
    char *s = c->pull_out.s ? c->pull_out.s : "";
    size_t len = c->pull_out.len;
    while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
        len--;
    size_t start = len;
    while (start && s[start - 1] != '\n')
        start--;
    const char *line = s + start;
    size_t n = len - start;
    if (n > 6 && !strncmp(line, "tank: ", 6))
        line += 6, n -= 6;
    if (!n)
        snprintf(out, size, "pull '%s' failed", c->image);
    else
        snprintf(out, size, "%.*s", (int)n, line);
}

static void on_pull_exit(struct loop *loop, pid_t pid, int status, void *data)
{
    struct ctr *c = data;
    struct pod *p = c->pod;
    c->pull_pid = 0;
    if (c->pull_fd >= 0)
        on_pull_output(loop, c->pull_fd, EPOLLIN, c);
    if (c->pull_fd >= 0) {
        loop_del_fd(loop, c->pull_fd);
        close(c->pull_fd);
        c->pull_fd = -1;
    }
    if (pod_is_stopping(p)) {
        ctr_set_state(c, C_IDLE, "pull ended, the pod stops");
        tk_buf_free(&c->pull_out);
        pod_sync(p);
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        c->pulled = true;
        c->pull_failures = 0;
        c->pull_backoff_ms = p->env.cfg->backoff_initial_ms;
        ctr_set_state(c, C_IDLE, "pulled");
        c->message[0] = '\0';
        pod_emit(p, c, "Pulled", "pulled image '%s'", c->image);
    } else {
        pull_error(c, c->message, sizeof(c->message));
        if (p->spec && p->spec->pull_secrets_skipped) {
            size_t l = strlen(c->message);
            snprintf(c->message + l, sizeof(c->message) - l, " (imagePullSecrets skipped: %s)",
                     p->spec->pull_secrets_skipped);
        }
        int64_t delay = next_backoff(p->env.cfg, &c->pull_backoff_ms);
        ctr_backoff(c, c->pull_failures++ ? "ImagePullBackOff" : "ErrImagePull", delay);
        pod_emit(p, c, "Failed", "%s", c->message);
    }
    tk_buf_free(&c->pull_out);
    pod_sync(p);
}

static void ctr_pull(struct ctr *c)
{
    struct pod *p = c->pod;
    struct tk_err err = {0};
    pid_t pid = 0;
    int fd = -1;
    int r = p->env.rt->ops->pull_spawn(p->env.rt->impl, p->spec, c->image, &pid, &fd, &err);
    if (r == 0) {
        c->pull_pid = pid;
        c->pull_fd = fd;
        r = loop_watch_child(p->env.loop, pid, on_pull_exit, c);
        if (r < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            c->pull_pid = 0;
            tk_err_sys(&err, r, "watch pull of '%s'", c->image);
        } else if (fd >= 0 && loop_add_fd(p->env.loop, fd, EPOLLIN, on_pull_output, c) < 0) {
            close(fd);
            c->pull_fd = -1;
        }
    }
    if (r < 0) {
        if (fd >= 0 && c->pull_pid == 0)
            close(fd);
        c->pull_fd = -1;
        snprintf(c->message, sizeof(c->message), "%s", err.msg);
        ctr_backoff(c, "ErrImagePull", next_backoff(p->env.cfg, &c->pull_backoff_ms));
        pod_emit(p, c, "Failed", "%s", c->message);
        return;
    }
    ctr_set_state(c, C_PULLING, "pull started");
    if (!c->message[0]) /* a retry keeps showing why the last try failed until this one ends */
        c->reason = "PullingImage";
    pod_emit(p, c, "Pulling", "pulling image '%s'", c->image);
    if (p->spec && p->spec->pull_secrets_skipped) /* (the kubelet's event) */
        pod_emit(p, c, "FailedToRetrieveImagePullSecret",
                 "Unable to retrieve some image pull secrets (%s); attempting to pull the image "
                 "may not succeed.",
                 p->spec->pull_secrets_skipped);
}

/* ---- starting ---- */

static void reap_only(struct loop *loop, pid_t pid, int status, void *data)
{
}

static void ctr_start_failed(struct ctr *c, const char *msg)
{
    snprintf(c->message, sizeof(c->message), "%s", msg);
    int64_t delay = next_backoff(c->pod->env.cfg, &c->backoff_ms);
    ctr_backoff(c, "CreateContainerError", delay);
    pod_emit(c->pod, c, "Failed", "start container '%s': %s", c->name, msg);
}

static void ctr_start_done(struct ctr *c, int r, struct runtime_ctr *st, struct tk_err *err);
static void post_start_done(struct ctr *c, bool ok, const char *msg);
static void ctr_starting(struct ctr *c, pid_t monitor_pid);

void ctr_start(struct ctr *c)
{
    struct pod *p = c->pod;
    const struct runtime_ops *ops = p->env.rt->ops;
    struct tk_err err = {0};
    char digest[80] = "";
    const char *config_error = ctr_spec(c)->config_error;
    if (config_error) { /* a ConfigMap/Secret it reads is missing: its new spec starts it */
        bool again = !strcmp(c->message, config_error);
        snprintf(c->message, sizeof(c->message), "%s", config_error);
        ctr_backoff(c, "CreateContainerConfigError", next_backoff(p->env.cfg, &c->backoff_ms));
        if (!again)
            pod_emit(p, c, "Failed", "%s", config_error);
        return;
    }
    enum spec_pull_policy pol = ctr_spec(c)->pull_policy;
    int r = ops->image_lookup(p->env.rt->impl, c->image, digest, sizeof(digest), &err);
    bool need_pull = pol == SPEC_PULL_ALWAYS ? !c->pulled : r == -ENOENT;
    if (need_pull && pol != SPEC_PULL_NEVER) {
        ctr_pull(c);
        return;
    }
    if (r < 0) {
        if (r == -ENOENT)
            snprintf(c->message, sizeof(c->message),
                     "image '%s' is not present and imagePullPolicy is Never", c->image);
        else
            snprintf(c->message, sizeof(c->message), "%s", err.msg);
        ctr_backoff(c, "ErrImagePull", next_backoff(p->env.cfg, &c->pull_backoff_ms));
        pod_emit(p, c, "Failed", "%s", c->message);
        return;
    }
    snprintf(c->digest, sizeof(c->digest), "%s", digest);
    ops->ctr_remove(p->env.rt->impl, p->name, c->name);
    struct runtime_ctr st = {.watch_fd = -1};
    r = ops->ctr_start(p->env.rt->impl, p->spec, c->idx, &st, &c->start.work, &err);
    if (r == 1) {
        ctr_starting(c, st.monitor_pid);
        return;
    }
    ctr_start_done(c, r, &st, &err);
}

/* The start ended (r as from the runtime's ctr_start/ctr_start_advance). */
static void ctr_start_done(struct ctr *c, int r, struct runtime_ctr *st, struct tk_err *err)
{
    struct pod *p = c->pod;
    if (st->monitor_pid > 0 && r < 0)
        loop_watch_child(p->env.loop, st->monitor_pid, reap_only, NULL);
    if (r < 0) {
        if (st->watch_fd >= 0)
            close(st->watch_fd);
        ctr_start_failed(c, err->msg[0] ? err->msg : strerror(-r));
        return;
    }
    if (c->ever_started)
        c->restarts++;
    c->ever_started = true;
    c->reason = NULL;
    c->message[0] = '\0';
    c->pid = st->pid;
    const struct spec_container *sc = ctr_spec(c);
    if (sc && sc->post_start && !pod_is_stopping(p)) {
        /* running and ready once its hook returned */
        ctr_set_state(c, C_POSTSTART, "started, postStart hook due");
        c->reason = "ContainerCreating";
    } else {
        ctr_set_state(c, C_RUNNING, "started");
        probe_ctr_running(c);
    }
    c->monitor_pid = st->monitor_pid;
    c->started_ns = st->started_ns ? st->started_ns : tk_now_realtime_ns();
    c->finished_ns = 0;
    if (st->image_digest[0])
        snprintf(c->digest, sizeof(c->digest), "%s", st->image_digest);
    if (ctr_watch(c, st->watch_fd) < 0)
        tk_error("watch container '%s/%s': cannot learn its exit", p->name, c->name);
    pod_emit(p, c, "Started", "started container '%s' (pid %d)", c->name, (int)c->pid);
    pod_write_record(p);
    if (pod_is_stopping(p)) /* the pod went while it was starting: the stop goes on with it */
        p->env.rt->ops->ctr_kill(p->env.rt->impl, p->name, c->name,
                                 p->state == P_KILLING ? SIGKILL : 0);
    else if (c->state == C_POSTSTART)
        probe_hook_start(c, PROBE_HOOK_POST_START, 0, post_start_done);
}

/* The start's fd or deadline: advance it, and see to its end. */
static void ctr_start_progress(void *data)
{
    struct ctr *c = data;
    struct pod *p = c->pod;
    struct runtime_ctr st = {.watch_fd = -1};
    struct tk_err err = {0};
    int r = p->env.rt->ops->ctr_start_advance(p->env.rt->impl, &c->start.work, &st, &err);
    if (r == 1)
        return;
    underway_end(&c->start);
    ctr_start_done(c, r, &st, &err);
    pod_sync(p);
}

/* The runtime brings the container up in a child: wait for its word without blocking. */
static void ctr_starting(struct ctr *c, pid_t monitor_pid)
{
    ctr_set_state(c, C_STARTING, "start under way");
    if (!c->message[0]) /* a retry keeps showing why the last try failed until this one ends */
        c->reason = "ContainerCreating";
    c->monitor_pid = monitor_pid;
    underway_watch(&c->start, c->pod->env.loop, c->name, ctr_start_progress, c);
}

/* The agent stops with a start under way: see it to its end (a few ms; at most its deadline),
 * so that the container is either running with its state written, for the next agent to
 * adopt, or gone; never a start the next agent could not see and would make a second time. */
void ctr_start_settle(struct ctr *c)
{
    if (c->state != C_STARTING)
        return;
    struct pod *p = c->pod;
    struct runtime_underway *s = &c->start.work;
    underway_end(&c->start);
    struct runtime_ctr st = {.watch_fd = -1};
    struct tk_err err = {0};
    int r;
    while ((r = p->env.rt->ops->ctr_start_advance(p->env.rt->impl, s, &st, &err)) == 1) {
        int64_t left = s->deadline_ms - tk_now_monotonic_ms();
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        poll(&pfd, 1, left < 0 ? 0 : (int)(left > INT32_MAX - 1 ? INT32_MAX : left + 1));
    }
    if (st.watch_fd >= 0)
        close(st.watch_fd);
    if (r < 0 && st.monitor_pid > 0)
        waitpid(st.monitor_pid, NULL, WNOHANG);
    ctr_set_state(c, r == 0 ? C_RUNNING : C_IDLE,
                  r == 0 ? "started (agent stops)" : "start failed (agent stops)");
}

static int64_t kill_now(struct loop *loop, uint64_t id, void *data)
{
    (void)loop;
    (void)id;
    struct ctr *c = data;
    struct pod *p = c->pod;
    c->kill_timer = 0;
    if (ctr_alive(c))
        p->env.rt->ops->ctr_kill(p->env.rt->impl, p->name, c->name, SIGKILL);
    return LOOP_TIMER_DONE;
}

void ctr_kill_graceful(struct ctr *c, int64_t grace_ms)
{
    struct pod *p = c->pod;
    if (!ctr_alive(c) || c->kill_timer)
        return;
    if (grace_ms > 0) {
        ctr_stop(c);
        c->kill_timer = loop_add_timer(p->env.loop, grace_ms, kill_now, c);
    } else {
        probe_ctr_stopped(c);
        probe_hook_cancel(c);
        c->stopping = true;
        p->env.rt->ops->ctr_kill(p->env.rt->impl, p->name, c->name, SIGKILL);
    }
    pod_conditions_update(p);
}

/* ---- lifecycle hooks ---- */

/* How a hook's handler is named in its failure event, as the kubelet's. */
static void hook_failed(struct ctr *c, const char *reason, const struct spec_probe *h,
                        const char *msg)
{
    struct pod *p = c->pod;
    char what[256] = "";
    if (h && h->kind == SPEC_PROBE_EXEC)
        for (size_t i = 0, n = 0; i < h->n_command && n < sizeof(what); i++)
            n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%s", i ? " " : "", h->command[i]);
    if (h && h->kind == SPEC_PROBE_HTTP)
        pod_emit(p, c, reason,
                 "HTTP lifecycle hook (%s) for Container \"%s\" in Pod \"%s\" failed - error: %s",
                 h->path ? h->path : "/", c->name, p->name, msg);
    else
        pod_emit(p, c, reason,
                 "Exec lifecycle hook ([%s]) for Container \"%s\" in Pod \"%s\" failed - error: "
                 "%s",
                 what, c->name, p->name, msg);
}

/* The postStart hook returned: the container runs (its probes start), or it is killed and
 * its restart policy decides. */
static void post_start_done(struct ctr *c, bool ok, const char *msg)
{
    struct pod *p = c->pod;
    if (c->state != C_POSTSTART)
        return;
    ctr_set_state(c, C_RUNNING, ok ? "postStart hook returned" : "postStart hook failed");
    c->reason = NULL;
    if (ok) {
        probe_ctr_running(c);
    } else {
        hook_failed(c, "FailedPostStartHook", ctr_spec(c) ? ctr_spec(c)->post_start : NULL, msg);
        ctr_kill_graceful(c, p->grace_ms);
    }
    pod_conditions_update(p);
}

/* The preStop hook ended (or failed): now the stop signal. */
static void pre_stop_done(struct ctr *c, bool ok, const char *msg)
{
    struct pod *p = c->pod;
    if (!ok)
        hook_failed(c, "FailedPreStopHook", ctr_spec(c) ? ctr_spec(c)->pre_stop : NULL, msg);
    if (ctr_alive(c))
        p->env.rt->ops->ctr_kill(p->env.rt->impl, p->name, c->name, 0);
}

void ctr_stop(struct ctr *c)
{
    struct pod *p = c->pod;
    if (!ctr_alive(c) || c->stopping)
        return;
    c->stopping = true;
    probe_ctr_stopped(c);
    probe_hook_cancel(c); /* a postStart under way */
    const struct spec_container *sc = ctr_spec(c);
    if (sc && sc->pre_stop) {
        /* (inside the grace period: its SIGKILL ends the hook with the container) */
        probe_hook_start(c, PROBE_HOOK_PRE_STOP, p->grace_ms, pre_stop_done);
        return;
    }
    p->env.rt->ops->ctr_kill(p->env.rt->impl, p->name, c->name, 0);
}
