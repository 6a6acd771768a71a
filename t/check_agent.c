/* agent/: the event loop, the manifest store, the reconciler and pod workers (against a
 * fake runtime that records what it is asked), and the status API's JSON. */
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

/* ---------------- helpers ---------------- */

static void write_text(const char *dir, const char *name, const char *text)
{
    struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/%s", dir, name);
    ck_assert_int_eq(tk_write_file_atomic(p.s, text, strlen(text), 0644), 0);
    tk_buf_free(&p);
}

static void remove_file(const char *dir, const char *name)
{
    struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/%s", dir, name);
    ck_assert_int_eq(unlink(p.s), 0);
    tk_buf_free(&p);
}

/* A pod manifest with one container per image in images ("name=image,..."). */
static char *manifest(const char *name, const char *policy, const char *ctrs)
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

static void put_pod(const char *dir, const char *name, const char *policy, const char *ctrs)
{
    char *m = manifest(name, policy, ctrs);
    struct tk_buf f = TK_BUF_INIT;
    tk_buf_addf(&f, "%s.yaml", name);
    write_text(dir, f.s, m);
    tk_buf_free(&f);
    free(m);
}

/* Run the loop until pred holds (5 s at most). */
static bool pump_until(struct loop *l, bool (*pred)(void *), void *arg)
{
    int64_t end = tk_now_monotonic_ms() + 5000;
    while (!pred(arg)) {
        if (tk_now_monotonic_ms() > end)
            return false;
        loop_run_once(l, 20);
    }
    return true;
}

static void pump_for(struct loop *l, int64_t ms)
{
    int64_t end = tk_now_monotonic_ms() + ms;
    while (tk_now_monotonic_ms() < end)
        loop_run_once(l, (int)(end - tk_now_monotonic_ms()));
}

/* ---------------- the fake runtime ---------------- */

struct fake_ctr {
    char key[128]; /* "pod/ctr" */
    bool running, exited;
    int efd; /* written when it exits */
    int exit_code, signal;
    pid_t pid;
    bool ignore_term;
};

/* A start under way (images "slowstart..." and "hangstart..."): done when efd is written. */
struct fake_start {
    char pod[64], ctr[64], image[128];
    int efd;
};

struct fake {
    struct tk_buf log;             /* "op arg;" for every call that changes something */
    struct fake_start *starts[16]; /* under way */
    size_t n_starts;
    char *pods[64];
    size_t n_pods;
    struct fake_ctr ctrs[64];
    size_t n_ctrs;
    char *pulled[16];
    size_t n_pulled;
    pid_t next_pid;
    char *damaged; /* the pod whose sandbox pod_check finds damaged (until its next pod_up) */
};

static void fake_note(struct fake *f, const char *op, const char *a, const char *b)
{
    tk_buf_addf(&f->log, "%s %s%s%s;", op, a, b ? "/" : "", b ? b : "");
}

static struct fake_ctr *fake_find(struct fake *f, const char *pod, const char *ctr)
{
    char key[128];
    snprintf(key, sizeof(key), "%s/%s", pod, ctr);
    for (size_t i = 0; i < f->n_ctrs; i++)
        if (!strcmp(f->ctrs[i].key, key))
            return &f->ctrs[i];
    return NULL;
}

static void fake_exit(struct fake *f, const char *pod, const char *ctr, int code, int sig)
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

static int f_pod_down(void *impl, const char *pod, struct tk_err *err)
{
    struct fake *f = impl;
    fake_note(f, "down", pod, NULL);
    for (size_t i = 0; i < f->n_ctrs; i++)
        if (!strncmp(f->ctrs[i].key, pod, strlen(pod)) && f->ctrs[i].key[strlen(pod)] == '/')
            ck_assert_msg(!f->ctrs[i].running, "pod_down with %s running", f->ctrs[i].key);
    for (size_t i = 0; i < f->n_pods; i++)
        if (!strcmp(f->pods[i], pod)) {
            free(f->pods[i]);
            f->pods[i] = f->pods[--f->n_pods];
        }
    return 0;
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
static void fake_finish_start(struct fake *f, const char *pod, const char *ctr)
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

static const struct runtime_ops fake_ops = {
    .pod_up = f_pod_up,
    .pod_up_advance = f_pod_up_advance,
    .pod_up_cancel = f_pod_up_cancel,
    .pod_down = f_pod_down,
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

/* One agent over the fake runtime. */
struct world {
    char *dir;
    struct tank_config cfg;
    struct loop *loop;
    struct fake fake;
    struct runtime rt;
    struct reconciler *rec;
};

static void world_start(struct world *w)
{
    struct tk_err err = {0};
    w->rec = reconcile_new(w->loop, &w->cfg, &w->rt, &err);
    ck_assert_msg(w->rec != NULL, "%s", err.msg);
}

static void world_init(struct world *w)
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

static void world_free(struct world *w)
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
    tk_buf_free(&w->fake.log);
}

static void world_status(struct world *w, const char *pod, struct pod_status *ps)
{
    const struct pod *p = reconcile_find(w->rec, pod);
    ck_assert_msg(p != NULL, "pod '%s' not in the table", pod);
    pod_get_status(p, ps);
}

struct want {
    struct world *w;
    const char *pod;
    const char *ctr; /* NULL = the pod */
    const char *phase_or_state;
    const char *reason;
    unsigned restarts;
};

static bool holds(void *arg)
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

#define WAIT_POD(w, pod, phase)                                                                    \
    do {                                                                                           \
        struct want _x = {(w), (pod), NULL, (phase), NULL, 0};                                     \
        ck_assert_msg(pump_until((w)->loop, holds, &_x), "pod %s never reached %s (log: %s)",      \
                      (pod), (phase) ? (phase) : "gone", tk_buf_str(&(w)->fake.log));              \
    } while (0)
#define WAIT_CTR(w, pod, ctr, state, reason, restarts)                                             \
    do {                                                                                           \
        struct want _x = {(w), (pod), (ctr), (state), (reason), (restarts)};                       \
        ck_assert_msg(pump_until((w)->loop, holds, &_x), "%s/%s never reached %s %s (log: %s)",    \
                      (pod), (ctr), (state), (reason) ? (reason) : "",                             \
                      tk_buf_str(&(w)->fake.log));                                                 \
    } while (0)

/* ---------------- loop ---------------- */

static int64_t count_timer(struct loop *l, uint64_t id, void *data)
{
    int *n = data;
    return ++*n < 3 ? 5 : LOOP_TIMER_DONE;
}

static void read_fd(struct loop *l, int fd, uint32_t ev, void *data)
{
    uint64_t v;
    ck_assert_int_eq(read(fd, &v, sizeof(v)), sizeof(v));
    *(uint64_t *)data += v;
}

static void child_done(struct loop *l, pid_t pid, int status, void *data)
{
    *(int *)data = WEXITSTATUS(status) + 1;
}

static bool int_set(void *p)
{
    return *(int *)p != 0;
}

START_TEST(test_loop)
{
    struct loop *l = loop_new();
    ck_assert_ptr_nonnull(l);
    /* A timer runs again after the delay it returns, until it says done. */
    int n = 0;
    uint64_t id = loop_add_timer(l, 1, count_timer, &n);
    ck_assert_uint_gt(id, 0);
    pump_for(l, 100);
    ck_assert_int_eq(n, 3);
    /* A cancelled timer never runs. */
    int m = 0;
    loop_del_timer(l, loop_add_timer(l, 1, count_timer, &m));
    pump_for(l, 30);
    ck_assert_int_eq(m, 0);
    /* fds. */
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t got = 0, two = 2;
    ck_assert_int_eq(loop_add_fd(l, efd, EPOLLIN, read_fd, &got), 0);
    ck_assert_int_eq(loop_add_fd(l, efd, EPOLLIN, read_fd, &got), -EEXIST);
    ck_assert_int_eq(write(efd, &two, sizeof(two)), sizeof(two));
    loop_run_once(l, 1000);
    ck_assert_uint_eq(got, 2);
    loop_del_fd(l, efd);
    ck_assert_int_eq(write(efd, &two, sizeof(two)), sizeof(two));
    loop_run_once(l, 20);
    ck_assert_uint_eq(got, 2);
    close(efd);
    /* Children: the exit status arrives through the loop. */
    pid_t c = fork();
    if (c == 0)
        _exit(6);
    int st = 0;
    ck_assert_int_eq(loop_watch_child(l, c, child_done, &st), 0);
    ck_assert(pump_until(l, int_set, &st));
    ck_assert_int_eq(st, 7);
    loop_free(l);
}
END_TEST

/* ---------------- store ---------------- */

static void on_change_count(void *data)
{
    ++*(int *)data;
}

static bool store_has(void *arg)
{
    void **a = arg;
    const struct store_state *st = store_state(a[0]);
    return st->set.n_pods == (size_t)(uintptr_t)a[1];
}

START_TEST(test_store_burst_is_one_read)
{
    char *dir = test_tmpdir("agent");
    struct loop *l = loop_new();
    int changes = 0;
    struct tk_err err = {0};
    struct store *s = store_new(l, dir, NULL, NULL, NULL, 300, on_change_count, &changes, &err);
    ck_assert_msg(s != NULL, "%s", err.msg);
    ck_assert_int_eq(store_state(s)->set.n_pods, 0);
    ck_assert_ptr_null(store_state(s)->revision);
    uint64_t reads = store_reads(s);
    /* 40 manifests written at once (a checkout) and an editor's hidden temp file. */
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof(name), "p%02d", i);
        put_pod(dir, name, "Always", "c=img");
    }
    write_text(dir, ".p00.yaml.swp", "garbage");
    void *arg[2] = {s, (void *)(uintptr_t)40};
    ck_assert(pump_until(l, store_has, arg));
    pump_for(l, 500);
    ck_assert_uint_eq(store_reads(s) - reads, 1);
    ck_assert_int_eq(changes, 1);
    /* A hidden or non-manifest file alone changes nothing. */
    write_text(dir, ".hidden.yaml", "x: [");
    write_text(dir, "README.txt", "hello");
    pump_for(l, 500);
    ck_assert_uint_eq(store_reads(s) - reads, 1);
    /* A resync with nothing changed reports no change. */
    ck_assert_int_eq(store_refresh(s), 0);
    store_free(s);
    /* A pods directory that does not exist is an error, and no pods. */
    struct tk_buf missing = TK_BUF_INIT;
    tk_buf_addf(&missing, "%s/nowhere", dir);
    s = store_new(l, missing.s, NULL, NULL, NULL, 50, NULL, NULL, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(store_state(s)->set.n_pods, 0);
    ck_assert_int_eq(store_state(s)->set.n_errors, 1);
    ck_assert_str_eq(store_state(s)->set.errors[0].file, missing.s);
    ck_assert(strstr(store_state(s)->set.errors[0].message, "does not exist"));
    /* ... picked up when it appears. */
    ck_assert_int_eq(mkdir(missing.s, 0755), 0);
    put_pod(missing.s, "late", "Always", "c=img");
    void *late[2] = {s, (void *)(uintptr_t)1};
    ck_assert(pump_until(l, store_has, late));
    ck_assert_int_eq(store_state(s)->set.n_errors, 0);
    tk_buf_free(&missing);
    store_free(s);
    loop_free(l);
    tk_rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(test_store_invalid_keeps_last_valid)
{
    char *dir = test_tmpdir("agent");
    struct loop *l = loop_new();
    int changes = 0;
    struct tk_err err = {0};
    put_pod(dir, "web", "Always", "c=img");
    put_pod(dir, "db", "Always", "c=img");
    struct store *s = store_new(l, dir, NULL, NULL, NULL, 20, on_change_count, &changes, &err);
    ck_assert_ptr_nonnull(s);
    const struct spec_pod *web = spec_set_find(&store_state(s)->set, "web");
    ck_assert_ptr_nonnull(web);
    char hash[65];
    memcpy(hash, web->hash, sizeof(hash));
    /* A typo in web.yaml: web keeps its last valid spec, the error is reported. */
    write_text(dir, "web.yaml",
               "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
               "  containers:\n  - name: c\n    image: img\n    bogus: 1\n");
    ck_assert_int_eq(store_refresh(s), 1);
    const struct store_state *st = store_state(s);
    ck_assert_int_ge(st->set.n_errors, 1);
    ck_assert_msg(strstr(st->set.errors[0].file, "web.yaml"), "%s", st->set.errors[0].file);
    ck_assert_int_gt(st->set.errors[0].line, 0);
    web = spec_set_find(&st->set, "web");
    ck_assert_ptr_nonnull(web);
    ck_assert_str_eq(web->hash, hash);
    ck_assert_ptr_nonnull(spec_set_find(&st->set, "db"));
    /* Still broken on the next read: still kept. Fixed: the error is gone. */
    ck_assert_int_eq(store_refresh(s), 0);
    ck_assert_ptr_nonnull(spec_set_find(&store_state(s)->set, "web"));
    put_pod(dir, "web", "Never", "c=img");
    ck_assert_int_eq(store_refresh(s), 1);
    ck_assert_int_eq(store_state(s)->set.n_errors, 0);
    ck_assert_str_ne(spec_set_find(&store_state(s)->set, "web")->hash, hash);
    /* Removing the file removes the pod. */
    remove_file(dir, "web.yaml");
    ck_assert_int_eq(store_refresh(s), 1);
    ck_assert_ptr_null(spec_set_find(&store_state(s)->set, "web"));
    store_free(s);
    loop_free(l);
    tk_rm_rf(dir);
    free(dir);
}
END_TEST

static bool revision_is(void *arg)
{
    void **a = arg;
    const char *rev = store_state(a[0])->revision;
    return rev && !strcmp(rev, a[1]) && store_state(a[0])->set.n_pods == 1;
}

START_TEST(test_store_symlink_swap)
{
    char *dir = test_tmpdir("agent");
    struct tk_buf a = TK_BUF_INIT, b = TK_BUF_INIT, link = TK_BUF_INIT, tmp = TK_BUF_INIT;
    tk_buf_addf(&a, "%s/rev-aaa", dir);
    tk_buf_addf(&b, "%s/rev-bbb", dir);
    tk_buf_addf(&link, "%s/current", dir);
    tk_buf_addf(&tmp, "%s/.tmp-link", dir);
    mkdir(a.s, 0755);
    mkdir(b.s, 0755);
    put_pod(a.s, "one", "Always", "c=img");
    put_pod(b.s, "two", "Always", "c=img");
    ck_assert_int_eq(symlink("rev-aaa", link.s), 0);
    struct loop *l = loop_new();
    int changes = 0;
    struct store *s = store_new(l, link.s, NULL, NULL, NULL, 20, on_change_count, &changes, NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(store_state(s)->revision, "rev-aaa");
    ck_assert_ptr_nonnull(spec_set_find(&store_state(s)->set, "one"));
    /* git-sync: a new link renamed over the old one. */
    ck_assert_int_eq(symlink("rev-bbb", tmp.s), 0);
    ck_assert_int_eq(rename(tmp.s, link.s), 0);
    void *arg[2] = {s, "rev-bbb"};
    ck_assert(pump_until(l, revision_is, arg));
    ck_assert_ptr_nonnull(spec_set_find(&store_state(s)->set, "two"));
    ck_assert_ptr_null(spec_set_find(&store_state(s)->set, "one"));
    /* Edits inside the new tree are seen. */
    put_pod(b.s, "three", "Always", "c=img");
    void *arg3[2] = {s, (void *)(uintptr_t)2};
    ck_assert(pump_until(l, store_has, arg3));
    store_free(s);
    loop_free(l);
    tk_rm_rf(dir);
    free(dir);
    tk_buf_free(&a);
    tk_buf_free(&b);
    tk_buf_free(&link);
    tk_buf_free(&tmp);
}
END_TEST

static bool same_or_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool has_n_pods(void *arg)
{
    void **a = arg;
    return store_state(a[0])->set.n_pods == (size_t)(uintptr_t)a[1];
}

START_TEST(test_store_reads_at_once)
{
    /* The first event after a quiet time is read at once, not after the debounce time;
     * events right after that read are coalesced into one more read. */
    char *dir = test_tmpdir("agent");
    struct loop *l = loop_new();
    int changes = 0;
    /* A debounce far above any scheduling delay, so "at once" and "after the debounce" stay
     * apart on a loaded machine. */
    struct store *s = store_new(l, dir, NULL, NULL, NULL, 2000, on_change_count, &changes, NULL);
    ck_assert_ptr_nonnull(s);
    pump_for(l, 2050); /* quiet */
    uint64_t reads = store_reads(s);
    int64_t t0 = tk_now_monotonic_ms();
    put_pod(dir, "first", "Always", "c=img");
    void *one[2] = {s, (void *)(uintptr_t)1};
    ck_assert(pump_until(l, has_n_pods, one));
    int64_t took = tk_now_monotonic_ms() - t0;
    ck_assert_msg(took < 1000, "the first manifest was read after %lld ms", (long long)took);
    ck_assert_uint_eq(store_reads(s) - reads, 1);
    /* A burst right after: one more read, once it is quiet. */
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "burst%02d", i);
        put_pod(dir, name, "Always", "c=img");
        loop_run_once(l, 5);
    }
    void *all[2] = {s, (void *)(uintptr_t)21};
    ck_assert(pump_until(l, has_n_pods, all));
    pump_for(l, 2100);
    ck_assert_uint_eq(store_reads(s) - reads, 2);
    ck_assert_int_eq(changes, 2);
    store_free(s);
    loop_free(l);
    tk_rm_rf(dir);
    free(dir);
}
END_TEST

/* repo/.worktrees/REV/SUB with n manifests (SUB "" for the worktree itself). */
static void worktree(const char *repo, const char *rev, const char *sub, int n)
{
    struct tk_buf d = TK_BUF_INIT;
    tk_buf_addf(&d, "%s/.worktrees/%s%s%s", repo, rev, sub[0] ? "/" : "", sub);
    ck_assert_int_eq(tk_mkdir_p(d.s, 0755), 0);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "pod%03d", i);
        put_pod(d.s, name, "Always", "c=img");
    }
    tk_buf_free(&d);
}

/* git-sync: a new link beside the old one, renamed over it. */
static void gitsync_swap(const char *repo, const char *rev)
{
    struct tk_buf tmp = TK_BUF_INIT, link = TK_BUF_INIT, target = TK_BUF_INIT;
    tk_buf_addf(&tmp, "%s/.current.tmp", repo);
    tk_buf_addf(&link, "%s/current", repo);
    tk_buf_addf(&target, ".worktrees/%s", rev);
    ck_assert_int_eq(symlink(target.s, tmp.s), 0);
    ck_assert_int_eq(rename(tmp.s, link.s), 0);
    tk_buf_free(&tmp);
    tk_buf_free(&link);
    tk_buf_free(&target);
}

static bool rev_and_pods(void *arg)
{
    void **a = arg;
    const struct store_state *st = store_state(a[0]);
    return same_or_null(st->revision, a[1]) && st->set.n_pods == (size_t)(uintptr_t)a[2];
}

START_TEST(test_store_gitsync_link_above)
{
    /* git-sync's link at depth 0, 1 and 3 above pods_dir: each swap is read at once and as
     * one revision (200 manifests, one read), the revision is the worktree's name. */
    static const char *const subs[] = {"", "hosts", "fleet/eu/hosts"};
    const char *sub = subs[_i];
    char *dir = test_tmpdir("agent");
    struct tk_buf repo = TK_BUF_INIT, pods = TK_BUF_INIT, old = TK_BUF_INIT;
    tk_buf_addf(&repo, "%s/repo", dir);
    tk_buf_addf(&pods, "%s/current%s%s", repo.s, sub[0] ? "/" : "", sub);
    worktree(repo.s, "aaa", sub, 1);
    gitsync_swap(repo.s, "aaa");
    struct loop *l = loop_new();
    int changes = 0;
    struct store *s = store_new(l, pods.s, NULL, NULL, NULL, 20, on_change_count, &changes, NULL);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(store_state(s)->revision, "aaa");
    ck_assert_uint_eq(store_state(s)->set.n_pods, 1);
    pump_for(l, 50);
    uint64_t reads = store_reads(s);
    worktree(repo.s, "bbb", sub, 200);
    int64_t t0 = tk_now_monotonic_ms();
    gitsync_swap(repo.s, "bbb");
    void *b[3] = {s, "bbb", (void *)(uintptr_t)200};
    ck_assert(pump_until(l, rev_and_pods, b));
    ck_assert_int_lt(tk_now_monotonic_ms() - t0, 2000);
    /* git-sync then removes the old worktree: nothing to read. */
    tk_buf_addf(&old, "%s/.worktrees/aaa", repo.s);
    tk_rm_rf(old.s);
    pump_for(l, 200);
    ck_assert_uint_eq(store_reads(s) - reads, 1);
    ck_assert_int_eq(changes, 1);
    ck_assert_str_eq(store_state(s)->pod_revisions[0], "bbb");
    /* Edits inside the new revision are seen (the watches were re-armed). */
    worktree(repo.s, "bbb", sub, 201);
    void *b2[3] = {s, "bbb", (void *)(uintptr_t)201};
    ck_assert(pump_until(l, rev_and_pods, b2));
    /* pods_dir missing from the next revision (or the link dangling): the pods are kept,
     * with the revision they were read from, and the condition is an error. */
    if (sub[0]) {
        worktree(repo.s, "ccc", "", 0);
        gitsync_swap(repo.s, "ccc");
    } else {
        gitsync_swap(repo.s, "gone");
    }
    void *c[3] = {s, sub[0] ? "ccc" : NULL, (void *)(uintptr_t)201};
    ck_assert(pump_until(l, rev_and_pods, c));
    pump_for(l, 50);
    const struct store_state *st = store_state(s);
    ck_assert(st->missing);
    ck_assert_uint_eq(st->set.n_errors, 1);
    ck_assert(strstr(st->set.errors[0].message, "does not exist"));
    ck_assert_str_eq(st->pod_revisions[0], "bbb");
    /* An existing empty directory: no pods. */
    worktree(repo.s, "ddd", sub, 0);
    gitsync_swap(repo.s, "ddd");
    void *d[3] = {s, "ddd", (void *)(uintptr_t)0};
    ck_assert(pump_until(l, rev_and_pods, d));
    ck_assert(!store_state(s)->missing);
    ck_assert_uint_eq(store_state(s)->set.n_errors, 0);
    store_free(s);
    loop_free(l);
    tk_rm_rf(dir);
    free(dir);
    tk_buf_free(&repo);
    tk_buf_free(&pods);
    tk_buf_free(&old);
}
END_TEST

/* ---------------- reconciler + pod workers ---------------- */

static size_t log_mark(struct world *w)
{
    return w->fake.log.len;
}

static const char *log_since(struct world *w, size_t mark)
{
    return tk_buf_str(&w->fake.log) + mark;
}

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
    ck_assert_str_eq(log_since(&w, mark), "kill web/c;down web;up web;start web/c;");
    /* Delete: stopped and removed. */
    mark = log_mark(&w);
    remove_file(w.cfg.pods_dir, "web.yaml");
    WAIT_POD(&w, "web", NULL);
    ck_assert_str_eq(log_since(&w, mark), "kill web/c;down web;");
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
    ck_assert_str_eq(log_since(&w, mark), "kill slow/c;kill9 slow/c;down slow;");
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
    ck_assert_str_eq(log_since(&w, mark), "started slow/c;kill slow/c;down slow;");
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
    ck_assert_str_eq(log_since(&w, mark), "upped slowpod2;down slowpod2;");
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

/* ---------------- kept events ---------------- */

/* Bounded and rotated: with 3 lines a file, 8 events keep the newest 2 to 6; a reopened log
 * (the next agent) reads them back; since and pod narrow. */
START_TEST(test_events_kept)
{
    char dir[] = "/tmp/tank-events-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(events_open(dir, 3), 0);
    for (int i = 1; i <= 8; i++) {
        char msg[16];
        snprintf(msg, sizeof(msg), "m%d", i);
        events_record((int64_t)i * 1000000000, i % 2 ? "odd" : "even", "c", "R", msg);
    }
    events_close();
    ck_assert_int_eq(events_open(dir, 3), 0);
    char *all = events_json(0, NULL);
    json_t *o = json_loads(all, 0, NULL);
    json_t *evs = json_object_get(o, "events");
    size_t n = json_array_size(evs);
    ck_assert_msg(n >= 2 && n <= 6, "%zu kept: %s", n, all);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(evs, n - 1), "message")),
                     "m8");
    ck_assert_msg(!strstr(all, "\"m1\""), "the oldest was kept: %s", all);
    json_decref(o);
    free(all);
    char *odd = events_json(7000000000, "odd");
    ck_assert_str_eq(odd,
                     "{\"events\":[{\"time\":\"1970-01-01T00:00:07.000000000Z\",\"pod\":\"odd\","
                     "\"container\":\"c\",\"reason\":\"R\",\"message\":\"m7\"}]}");
    free(odd);
    ck_assert_int_eq(events_parse_time("1970-01-01T00:00:07.5Z"), 7500000000);
    ck_assert_int_eq(events_parse_time("12"), 12000000000);
    ck_assert_int_eq(events_parse_time("soon"), -1);
    events_close();
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "%s/events.jsonl", dir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/events.jsonl.1", dir);
    unlink(cmd);
    rmdir(dir);
}
END_TEST

/* ---------------- the API's JSON ---------------- */

static void assert_keys(json_t *o, const char *const *keys, size_t n)
{
    ck_assert_msg(json_is_object(o), "not an object");
    ck_assert_uint_eq(json_object_size(o), n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(json_object_get(o, keys[i]), "key '%s' missing", keys[i]);
}

START_TEST(test_api_json)
{
    struct world w;
    world_init(&w);
    put_pod(w.cfg.pods_dir, "web", "Always", "c=img");
    write_text(w.cfg.pods_dir, "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n");
    WAIT_CTR(&w, "web", "c", "running", NULL, 0);
    char *text = api_pods_json(w.rec);
    json_t *root = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(root);
    static const char *const top[] = {"revision", "sync", "pods", "errors", "workloads"};
    static const char *const pod[] = {
        "name",     "namespace", "phase",     "reason",    "message",    "manifest",
        "revision", "ips",       "restarts",  "startedAt", "containers", "resources",
        "usage",    "qosClass",  "scheduled", "owner",     "conditions", "initContainers"};
    static const char *const ctr[] = {"name",      "image",     "imageDigest", "state",
                                      "reason",    "exitCode",  "restarts",    "pid",
                                      "startedAt", "resources", "usage",       "ready",
                                      "started",   "message",   "finishedAt",  "lastState"};
    static const char *const cond[] = {"type", "status", "lastTransitionTime", "reason", "message"};
    static const char *const err[] = {"file", "line", "column", "message"};
    assert_keys(root, top, 5);
    ck_assert(json_is_null(json_object_get(root, "revision")));
    ck_assert(json_is_null(json_object_get(root, "sync"))); /* no [sync] */
    json_t *p = json_array_get(json_object_get(root, "pods"), 0);
    assert_keys(p, pod, 18);
    ck_assert_uint_eq(json_array_size(json_object_get(p, "initContainers")), 0);
    ck_assert(json_is_null(json_object_get(p, "owner")));
    ck_assert(json_is_null(json_object_get(p, "revision")));
    json_t *conds = json_object_get(p, "conditions");
    ck_assert_uint_eq(json_array_size(conds), 3);
    assert_keys(json_array_get(conds, 2), cond, 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(conds, 2), "type")), "Ready");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(conds, 2), "status")),
                     "True");
    ck_assert_str_eq(json_string_value(json_object_get(p, "qosClass")), "BestEffort");
    ck_assert_str_eq(json_string_value(json_object_get(p, "phase")), "Running");
    json_t *c = json_array_get(json_object_get(p, "containers"), 0);
    assert_keys(c, ctr, 16);
    ck_assert_uint_eq(json_object_size(json_object_get(c, "lastState")), 0);
    /* The test runtime knows no usage: null, never a made-up 0. */
    ck_assert(json_is_null(json_object_get(json_object_get(c, "usage"), "cpuNanos")));
    ck_assert(json_is_object(json_object_get(json_object_get(c, "resources"), "limits")));
    ck_assert_str_eq(json_string_value(json_object_get(c, "state")), "running");
    ck_assert(json_is_integer(json_object_get(c, "pid")));
    ck_assert(json_is_null(json_object_get(c, "exitCode")));
    json_t *e = json_array_get(json_object_get(root, "errors"), 0);
    assert_keys(e, err, 4);
    ck_assert(strstr(json_string_value(json_object_get(e, "file")), "bad.yaml"));
    json_decref(root);
    free(text);
    ck_assert_ptr_null(api_pod_json(w.rec, "nope"));
    text = api_pod_json(w.rec, "web");
    root = json_loads(text, 0, NULL);
    assert_keys(root, pod, 18);
    json_decref(root);
    free(text);
    text = api_events_json(w.rec, "web");
    ck_assert_msg(strstr(text, "\"Started\""), "%s", text);
    free(text);
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

Suite *agent_suite(void)
{
    Suite *s = suite_create("agent");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_loop);
    tcase_add_test(tc, test_store_burst_is_one_read);
    tcase_add_test(tc, test_store_invalid_keeps_last_valid);
    tcase_add_test(tc, test_store_symlink_swap);
    tcase_add_test(tc, test_store_reads_at_once);
    tcase_add_loop_test(tc, test_store_gitsync_link_above, 0, 3);
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
    tcase_add_test(tc, test_api_json);
    tcase_add_test(tc, test_init_containers);
    tcase_add_test(tc, test_init_never_fails_pod);
    tcase_add_test(tc, test_init_sandbox_new);
    tcase_add_test(tc, test_sandbox_damaged);
    tcase_add_test(tc, test_sidecar_of_finished_pod);
    tcase_add_test(tc, test_log_tail);
    tcase_add_test(tc, test_events_kept);
    suite_add_tcase(s, tc);
    return s;
}
