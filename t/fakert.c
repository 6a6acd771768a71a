/* The fake runtime the agent's unit suites run the reconciler and pod workers over: it
 * records every call that changes something ("op arg;" in fake.log), and "world", one agent
 * over it. See fakert.h. */
#include "t/fakert.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "t/testlib.h"

void write_text(const char *dir, const char *name, const char *text)
{
    struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/%s", dir, name);
    ck_assert_int_eq(tk_write_file_atomic(p.s, text, strlen(text), 0644), 0);
    tk_buf_free(&p);
}

void remove_file(const char *dir, const char *name)
{
    struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/%s", dir, name);
    ck_assert_int_eq(unlink(p.s), 0);
    tk_buf_free(&p);
}

/* A pod manifest with one container per image in images ("name=image,..."). */
char *manifest(const char *name, const char *policy, const char *ctrs)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b,
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n"
                "  restartPolicy: %s\n  terminationGracePeriodSeconds: 1\n  containers:\n",
                name, policy);
    for (const char *t = ctrs; *t;) {
        size_t len = strcspn(t, ",");
        const char *eq = memchr(t, '=', len);
        tk_buf_addf(&b, "  - name: %.*s\n    image: %.*s\n    imagePullPolicy: IfNotPresent\n",
                    (int)(eq - t), t, (int)(len - (size_t)(eq - t) - 1), eq + 1);
        t += len + (t[len] == ',');
    }
    return tk_buf_detach(&b);
}

void put_pod(const char *dir, const char *name, const char *policy, const char *ctrs)
{
    char *m = manifest(name, policy, ctrs);
    struct tk_buf f = TK_BUF_INIT;
    tk_buf_addf(&f, "%s.yaml", name);
    write_text(dir, f.s, m);
    tk_buf_free(&f);
    free(m);
}

/* Run the loop until pred holds (5 s at most). */
bool pump_until(struct loop *l, bool (*pred)(void *), void *arg)
{
    int64_t end = tk_now_monotonic_ms() + 5000;
    while (!pred(arg)) {
        if (tk_now_monotonic_ms() > end)
            return false;
        loop_run_once(l, 20);
    }
    return true;
}

void pump_for(struct loop *l, int64_t ms)
{
    int64_t end = tk_now_monotonic_ms() + ms;
    while (tk_now_monotonic_ms() < end)
        loop_run_once(l, (int)(end - tk_now_monotonic_ms()));
}

/* ---------------- the fake runtime ---------------- */

static void fake_note(struct fake *f, const char *op, const char *a, const char *b)
{
    tk_buf_addf(&f->log, "%s %s%s%s;", op, a, b ? "/" : "", b ? b : "");
}

struct fake_ctr *fake_find(struct fake *f, const char *pod, const char *ctr)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", pod, ctr);
    for (size_t i = 0; i < f->n_ctrs; i++)
        if (!strcmp(f->ctrs[i].key, key))
            return &f->ctrs[i];
    return NULL;
}

void fake_exit(struct fake *f, const char *pod, const char *ctr, int code, int sig)
{
    struct fake_ctr *c = fake_find(f, pod, ctr);
    ck_assert_ptr_nonnull(c);
    ck_assert(c->running);
    c->running = false;
    c->exited = true;
    c->exit_code = code;
    c->signal = sig;
    uint64_t one = 1;
    ck_assert_int_eq(write(c->efd, &one, sizeof(one)), sizeof(one));
}

/* Pods named "slowpod..." have their sandbox made by a "child" the test lets finish
 * (fake_finish_start(f, POD, "sandbox")). */
static int f_pod_up(void *impl, const struct spec_pod *pod, struct runtime_pod_info *info,
                    struct runtime_underway *start, struct tk_err *err)
{
    struct fake *f = impl;
    fake_note(f, "up", pod->name, NULL);
    if (f->damaged && !strcmp(f->damaged, pod->name)) { /* destroyed, made anew */
        free(f->damaged);
        f->damaged = NULL;
    }
    if (!strncmp(pod->name, "slowpod", 7)) {
        struct fake_start *fs = calloc(1, sizeof(*fs));
        ck_assert_ptr_nonnull(fs);
        snprintf(fs->pod, sizeof(fs->pod), "%s", pod->name);
        snprintf(fs->ctr, sizeof(fs->ctr), "sandbox");
        fs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        f->starts[f->n_starts++] = fs;
        info->ips[info->n_ips++] = strdup("192.0.2.8");
        start->fd = fs->efd;
        start->deadline_ms = tk_now_monotonic_ms() + 60000;
        start->priv = fs;
        return 1;
    }
    for (size_t i = 0; i < f->n_pods; i++)
        if (!strcmp(f->pods[i], pod->name))
            return 0;
    f->pods[f->n_pods++] = strdup(pod->name);
    info->ips[info->n_ips++] = strdup("192.0.2.7");
    return 0;
}

/* The removal is under way like the host's: its fd readable at once (or by
 * fake_finish_down), done at the advance. */
struct fake_down {
    int efd;
    char pod[64];
};

void fake_finish_down(struct fake *f, const char *pod)
{
    for (size_t i = 0; i < f->n_downs; i++)
        if (!strcmp(f->downs[i]->pod, pod)) {
            uint64_t one = 1;
            ck_assert_int_eq(write(f->downs[i]->efd, &one, sizeof(one)), sizeof(one));
            return;
        }
    ck_abort_msg("no removal of '%s' under way", pod);
}

static int f_pod_down(void *impl, const char *pod, struct runtime_underway *work,
                      struct tk_err *err)
{
    struct fake *f = impl;
    fake_note(f, "down", pod, NULL);
    for (size_t i = 0; i < f->n_ctrs; i++)
        if (!strncmp(f->ctrs[i].key, pod, strlen(pod)) && f->ctrs[i].key[strlen(pod)] == '/')
            ck_assert_msg(!f->ctrs[i].running, "pod_down with %s running", f->ctrs[i].key);
    struct fake_down *d = calloc(1, sizeof(*d));
    ck_assert_ptr_nonnull(d);
    d->efd = eventfd(f->down_hold ? 0 : 1, EFD_CLOEXEC | EFD_NONBLOCK);
    ck_assert_int_ge(d->efd, 0);
    snprintf(d->pod, sizeof(d->pod), "%s", pod);
    ck_assert_uint_lt(f->n_downs, TK_ARRAY_SIZE(f->downs));
    f->downs[f->n_downs++] = d;
    work->fd = d->efd;
    work->deadline_ms = tk_now_monotonic_ms() + 10000;
    work->priv = d;
    return 1;
}

static void fake_down_drop(struct fake *f, struct runtime_underway *work)
{
    struct fake_down *d = work->priv;
    for (size_t i = 0; i < f->n_downs; i++)
        if (f->downs[i] == d)
            f->downs[i] = f->downs[--f->n_downs];
    close(d->efd);
    free(d);
    work->priv = NULL;
    work->fd = -1;
}

static int f_pod_down_advance(void *impl, struct runtime_underway *work, struct tk_err *err)
{
    struct fake *f = impl;
    struct fake_down *d = work->priv;
    uint64_t v;
    if (read(d->efd, &v, sizeof(v)) != sizeof(v))
        return 1;
    if (f->down_fail > 0) {
        f->down_fail--;
        fake_note(f, "downfailed", d->pod, NULL);
        int r = tk_err_set(err, -EBUSY, "its network namespace is busy");
        fake_down_drop(f, work);
        return r;
    }
    fake_note(f, "downed", d->pod, NULL);
    for (size_t i = 0; i < f->n_pods; i++)
        if (!strcmp(f->pods[i], d->pod)) {
            free(f->pods[i]);
            f->pods[i] = f->pods[--f->n_pods];
        }
    fake_down_drop(f, work);
    return 0;
}

static void f_pod_down_cancel(void *impl, struct runtime_underway *work)
{
    fake_down_drop(impl, work);
}

static int f_pod_check(void *impl, const char *pod, struct tk_err *err)
{
    struct fake *f = impl;
    if (f->damaged && !strcmp(f->damaged, pod))
        return tk_err_set(err, -EIO, "pod '%s': its shared PID namespace's init is gone", pod);
    return 1;
}

static int f_pod_list(void *impl, char ***names, size_t *n)
{
    struct fake *f = impl;
    *names = calloc(f->n_pods + 1, sizeof(char *));
    for (size_t i = 0; i < f->n_pods; i++)
        (*names)[i] = strdup(f->pods[i]);
    *n = f->n_pods;
    return 0;
}

/* Images named "absent/..." need a pull first; "bad/..." fail to pull. */
static int f_image_lookup(void *impl, const char *image, char *digest, size_t size,
                          struct tk_err *err)
{
    struct fake *f = impl;
    bool present = strncmp(image, "absent/", 7) && strncmp(image, "bad/", 4);
    for (size_t i = 0; i < f->n_pulled; i++)
        present |= !strcmp(f->pulled[i], image);
    if (!present)
        return tk_err_set(err, -ENOENT, "image '%s' not found", image);
    snprintf(digest, size, "sha256:%064d", 7);
    return 0;
}

static int f_pull_spawn(void *impl, const struct spec_pod *pod, const char *image, pid_t *pid,
                        int *out_fd, struct tk_err *err)
{
    struct fake *f = impl;
    fake_note(f, "pull", image, NULL);
    bool bad = !strncmp(image, "bad/", 4);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        if (bad)
            dprintf(p[1], "tank: pull '%s': image not found\n", image);
        _exit(bad ? 1 : 0);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    if (!bad)
        f->pulled[f->n_pulled++] = strdup(image);
    *pid = c;
    *out_fd = p[0];
    return 0;
}

/* The container runs now (the end of a start). */
static int f_ctr_run(struct fake *f, const char *pod, const char *name, const char *image,
                     struct runtime_ctr *out, struct tk_err *err)
{
    if (strstr(image, "broken"))
        return tk_err_set(err, -ENOENT, "exec /bin/nope: No such file or directory");
    struct fake_ctr *c = fake_find(f, pod, name);
    if (!c) {
        c = &f->ctrs[f->n_ctrs++];
        snprintf(c->key, sizeof(c->key), "%s/%s", pod, name);
    } else {
        ck_assert_msg(!c->running, "second copy of %s started", c->key);
        close(c->efd);
    }
    c->running = true;
    c->exited = false;
    c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    c->pid = ++f->next_pid + 1000;
    c->ignore_term = strstr(image, "stubborn") != NULL;
    out->exists = out->running = true;
    out->pid = c->pid;
    out->watch_fd = strstr(image, "nowatch") ? -1 : dup(c->efd);
    out->started_ns = tk_now_realtime_ns();
    return 0;
}

static int f_ctr_start(void *impl, const struct spec_pod *pod, size_t idx, struct runtime_ctr *out,
                       struct runtime_underway *start, struct tk_err *err)
{
    struct fake *f = impl;
    const struct spec_container *sc = spec_pod_ctr(pod, idx);
    fake_note(f, "start", pod->name, sc->name);
    bool hang = !strncmp(sc->image, "hangstart", 9);
    if (strncmp(sc->image, "slowstart", 9) && !hang)
        return f_ctr_run(f, pod->name, sc->name, sc->image, out, err);
    struct fake_start *fs = calloc(1, sizeof(*fs));
    ck_assert_ptr_nonnull(fs);
    snprintf(fs->pod, sizeof(fs->pod), "%s", pod->name);
    snprintf(fs->ctr, sizeof(fs->ctr), "%s", sc->name);
    snprintf(fs->image, sizeof(fs->image), "%s", sc->image);
    fs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    f->starts[f->n_starts++] = fs;
    start->fd = fs->efd;
    start->deadline_ms = tk_now_monotonic_ms() + (hang ? 300 : 60000);
    start->priv = fs;
    return 1;
}

static void fake_start_drop(struct fake *f, struct fake_start *fs)
{
    for (size_t i = 0; i < f->n_starts; i++)
        if (f->starts[i] == fs)
            f->starts[i] = f->starts[--f->n_starts];
    close(fs->efd);
    free(fs);
}

static int f_ctr_start_advance(void *impl, struct runtime_underway *start, struct runtime_ctr *out,
                               struct tk_err *err)
{
    struct fake *f = impl;
    struct fake_start *fs = start->priv;
    uint64_t v;
    int r;
    if (read(fs->efd, &v, sizeof(v)) == sizeof(v))
        r = f_ctr_run(f, fs->pod, fs->ctr, fs->image, out, err);
    else if (tk_now_monotonic_ms() >= start->deadline_ms)
        r = tk_err_set(err, -ETIMEDOUT, "start '%s/%s': no word from the monitor", fs->pod,
                       fs->ctr);
    else
        return 1;
    fake_note(f, r < 0 ? "startfailed" : "started", fs->pod, fs->ctr);
    fake_start_drop(f, fs);
    start->priv = NULL;
    start->fd = -1;
    return r;
}

static void fake_start_drop(struct fake *f, struct fake_start *fs);

static int f_pod_up_advance(void *impl, struct runtime_underway *start, struct tk_err *err)
{
    struct fake *f = impl;
    struct fake_start *fs = start->priv;
    uint64_t v;
    if (read(fs->efd, &v, sizeof(v)) != sizeof(v))
        return 1;
    fake_note(f, "upped", fs->pod, NULL);
    for (size_t i = 0; i < f->n_pods; i++)
        ck_assert_str_ne(f->pods[i], fs->pod);
    f->pods[f->n_pods++] = strdup(fs->pod);
    fake_start_drop(f, fs);
    start->priv = NULL;
    start->fd = -1;
    return 0;
}

static void f_pod_up_cancel(void *impl, struct runtime_underway *start, bool kill_it)
{
    struct fake *f = impl;
    struct fake_start *fs = start->priv;
    fake_note(f, kill_it ? "upkilled" : "upleft", fs->pod, NULL);
    fake_start_drop(f, fs);
    start->priv = NULL;
    start->fd = -1;
}

/* Let the start under way of pod/ctr finish. */
void fake_finish_start(struct fake *f, const char *pod, const char *ctr)
{
    for (size_t i = 0; i < f->n_starts; i++)
        if (!strcmp(f->starts[i]->pod, pod) && !strcmp(f->starts[i]->ctr, ctr)) {
            uint64_t one = 1;
            ck_assert_int_eq(write(f->starts[i]->efd, &one, sizeof(one)), sizeof(one));
            return;
        }
    ck_abort_msg("no start of %s/%s under way", pod, ctr);
}

static int f_ctr_kill(void *impl, const char *pod, const char *ctr, int sig)
{
    struct fake *f = impl;
    char s[16];
    snprintf(s, sizeof(s), "%d", sig);
    fake_note(f, sig == SIGKILL ? "kill9" : "kill", pod, ctr);
    struct fake_ctr *c = fake_find(f, pod, ctr);
    if (!c || !c->running)
        return -ESRCH;
    if (sig != SIGKILL && c->ignore_term)
        return 0;
    fake_exit(f, pod, ctr, 128 + (sig ? sig : SIGTERM), sig ? sig : SIGTERM);
    return 0;
}

static int f_ctr_state(void *impl, const char *pod, const char *ctr, struct runtime_ctr *out)
{
    struct fake *f = impl;
    struct fake_ctr *c = fake_find(f, pod, ctr);
    memset(out, 0, sizeof(*out));
    out->watch_fd = -1;
    if (!c)
        return 0;
    out->exists = true;
    out->running = c->running;
    out->exited = c->exited;
    out->exit_code = c->exit_code;
    out->signal = c->signal;
    out->pid = c->pid;
    if (c->running && !strstr(c->key, "nowatch"))
        out->watch_fd = dup(c->efd);
    return 0;
}

static int f_ctr_remove(void *impl, const char *pod, const char *ctr)
{
    return 0;
}

const struct runtime_ops fake_ops = {
    .pod_up = f_pod_up,
    .pod_up_advance = f_pod_up_advance,
    .pod_up_cancel = f_pod_up_cancel,
    .pod_down = f_pod_down,
    .pod_down_advance = f_pod_down_advance,
    .pod_down_cancel = f_pod_down_cancel,
    .pod_list = f_pod_list,
    .pod_check = f_pod_check,
    .image_lookup = f_image_lookup,
    .pull_spawn = f_pull_spawn,
    .ctr_start = f_ctr_start,
    .ctr_start_advance = f_ctr_start_advance,
    .ctr_kill = f_ctr_kill,
    .ctr_state = f_ctr_state,
    .ctr_remove = f_ctr_remove,
};

void world_start(struct world *w)
{
    struct tk_err err = {0};
    w->rec = reconcile_new(w->loop, &w->cfg, &w->rt, &err);
    ck_assert_msg(w->rec != NULL, "%s", err.msg);
}

void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    w->dir = test_tmpdir("agent");
    config_defaults(&w->cfg);
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/pods", w->dir);
    free(w->cfg.pods_dir);
    w->cfg.pods_dir = tk_buf_detach(&b);
    tk_buf_addf(&b, "%s/run", w->dir);
    free(w->cfg.run_dir);
    w->cfg.run_dir = tk_buf_detach(&b);
    mkdir(w->cfg.pods_dir, 0755);
    w->cfg.backoff_initial_ms = 50;
    w->cfg.backoff_max_ms = 400;
    w->cfg.backoff_reset_ms = 60000;
    tk_log_set_level(TK_LOG_WARN);
    w->loop = loop_new();
    w->rt.ops = &fake_ops;
    w->rt.impl = &w->fake;
    world_start(w);
}

void world_free(struct world *w)
{
    reconcile_free(w->rec);
    loop_free(w->loop);
    tk_rm_rf(w->dir);
    free(w->dir);
    config_free(&w->cfg);
    for (size_t i = 0; i < w->fake.n_pods; i++)
        free(w->fake.pods[i]);
    for (size_t i = 0; i < w->fake.n_pulled; i++)
        free(w->fake.pulled[i]);
    for (size_t i = 0; i < w->fake.n_ctrs; i++)
        close(w->fake.ctrs[i].efd);
    while (w->fake.n_starts)
        fake_start_drop(&w->fake, w->fake.starts[0]);
    free(w->fake.damaged); /* (a pod never made again keeps it) */
    tk_buf_free(&w->fake.log);
}

void world_status(struct world *w, const char *pod, struct pod_status *ps)
{
    const struct pod *p = reconcile_find(w->rec, pod);
    ck_assert_msg(p != NULL, "pod '%s' not in the table", pod);
    pod_get_status(p, ps);
}

bool holds(void *arg)
{
    struct want *x = arg;
    const struct pod *p = reconcile_find(x->w->rec, x->pod);
    if (!x->phase_or_state)
        return p == NULL;
    if (!p)
        return false;
    struct pod_status ps;
    pod_get_status(p, &ps);
    if (!x->ctr)
        return !strcmp(pod_phase_to_string(ps.phase), x->phase_or_state);
    for (size_t i = 0; i < ps.n_containers + ps.n_init_containers; i++) {
        struct pod_ctr_status cs;
        pod_get_ctr_status(p, i, &cs);
        if (strcmp(cs.name, x->ctr))
            continue;
        return !strcmp(pod_ctr_state_to_string(cs.state), x->phase_or_state) &&
               (!x->reason || (cs.reason && !strcmp(cs.reason, x->reason))) &&
               cs.restarts >= x->restarts;
    }
    return false;
}

size_t log_mark(struct world *w)
{
    return w->fake.log.len;
}

const char *log_since(struct world *w, size_t mark)
{
    return tk_buf_str(&w->fake.log) + mark;
}
