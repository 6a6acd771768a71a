/* agent/: the event loop, the manifest store, kept events and the status API's JSON (the
 * pod workers' suite, over the same fake runtime, is t/check_podworker.c). */
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
    tcase_add_test(tc, test_api_json);
    tcase_add_test(tc, test_events_kept);
    suite_add_tcase(s, tc);
    return s;
}
