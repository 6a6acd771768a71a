#include "agent/store.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/loop.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"

#define DIR_EVENTS                                                                                 \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |       \
     IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)
#define PARENT_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
#define MAX_WAIT_MS 1000 /* a burst that never pauses is still read this often */

struct store {
    struct loop *loop;
    char *pods_dir;
    char *parent; /* dirname(pods_dir) */
    char *base;   /* basename(pods_dir) */
    char *root;   /* the resolved directory being watched, NULL when absent */
    int ifd;
    int parent_wd;
    int *wds;
    size_t n_wds, cap_wds;
    bool rewatch;
    int64_t debounce_ms;
    int64_t first_dirty; /* monotonic ms of the first event of a burst, 0 when clean */
    uint64_t timer;
    store_change_fn fn;
    void *data;
    struct store_state state;
    char *fingerprint;
    uint64_t reads;
};

static void state_free(struct store_state *s)
{
    free(s->revision);
    s->revision = NULL;
    spec_set_free(&s->set);
}

static bool is_manifest_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static void unwatch_all(struct store *s)
{
    for (size_t i = 0; i < s->n_wds; i++)
        inotify_rm_watch(s->ifd, s->wds[i]);
    s->n_wds = 0;
}

static void add_wd(struct store *s, int wd)
{
    for (size_t i = 0; i < s->n_wds; i++)
        if (s->wds[i] == wd)
            return;
    if (s->n_wds == s->cap_wds) {
        size_t n = s->cap_wds ? s->cap_wds * 2 : 16;
        int *w = realloc(s->wds, n * sizeof(*w));
        if (!w)
            return;
        s->wds = w;
        s->cap_wds = n;
    }
    s->wds[s->n_wds++] = wd;
}

/* Watch dir and its non-hidden subdirectories (symlinks followed, depth bounded). */
static void watch_tree(struct store *s, const char *dir, int depth)
{
    int wd = inotify_add_watch(s->ifd, dir, DIR_EVENTS);
    if (wd < 0)
        return;
    add_wd(s, wd);
    if (depth >= 16)
        return;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_buf_ struct tk_buf p = TK_BUF_INIT;
        tk_buf_addf(&p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p.s, &st) == 0 && S_ISDIR(st.st_mode))
            watch_tree(s, p.s, depth + 1);
    }
}

/* Resolve pods_dir; re-watch when it resolves somewhere else or the tree changed shape. */
static void update_watches(struct store *s)
{
    char *real = realpath(s->pods_dir, NULL);
    bool moved = (!real != !s->root) || (real && strcmp(real, s->root));
    if (moved || s->rewatch) {
        unwatch_all(s);
        free(s->root);
        s->root = real;
        real = NULL;
        if (s->root)
            watch_tree(s, s->root, 0);
        s->rewatch = false;
    }
    if (s->parent_wd < 0)
        s->parent_wd = inotify_add_watch(s->ifd, s->parent, PARENT_EVENTS);
    free(real);
}

static char *compute_revision(const struct store *s)
{
    struct stat st;
    if (lstat(s->pods_dir, &st) < 0 || !S_ISLNK(st.st_mode))
        return NULL;
    _cleanup_free_ char *real = realpath(s->pods_dir, NULL);
    if (!real)
        return NULL;
    const char *b = strrchr(real, '/');
    return strdup(b && b[1] ? b + 1 : real);
}

static bool error_names_file(const struct spec_set *set, const char *file)
{
    for (size_t i = 0; i < set->n_errors; i++)
        if (set->errors[i].file && file && !strcmp(set->errors[i].file, file))
            return true;
    return false;
}

/* Keep the last valid spec of pods whose manifest is now invalid. */
static void carry_over(struct spec_set *now, const struct spec_set *before)
{
    for (size_t i = 0; i < before->n_pods; i++) {
        const struct spec_pod *p = before->pods[i];
        if (!error_names_file(now, p->file) || spec_set_find(now, p->name))
            continue;
        struct spec_pod *copy = spec_pod_dup(p);
        struct spec_pod **pods =
            copy ? realloc(now->pods, (now->n_pods + 1) * sizeof(*pods)) : NULL;
        if (!pods) {
            spec_pod_free(copy);
            continue;
        }
        now->pods = pods;
        now->pods[now->n_pods++] = copy;
    }
}

/* A pods directory that is not there is worth an entry among the errors. */
static void add_missing_error(struct spec_set *set, const char *pods_dir)
{
    struct spec_error *v = realloc(set->errors, (set->n_errors + 1) * sizeof(*v));
    if (!v)
        return;
    set->errors = v;
    v[set->n_errors] = (struct spec_error){
        .file = strdup(pods_dir),
        .message = strdup("the pods directory does not exist (no pods run until it does)"),
    };
    if (v[set->n_errors].file && v[set->n_errors].message)
        set->n_errors++;
    else {
        free(v[set->n_errors].file);
        free(v[set->n_errors].message);
    }
}

static char *fingerprint(const struct store_state *st)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "rev=%s\n", st->revision ? st->revision : "-");
    for (size_t i = 0; i < st->set.n_pods; i++)
        tk_buf_addf(&b, "pod %s %s\n", st->set.pods[i]->name, st->set.pods[i]->hash);
    for (size_t i = 0; i < st->set.n_errors; i++) {
        char line[2048];
        spec_error_format(&st->set.errors[i], line, sizeof(line));
        tk_buf_addf(&b, "err %s\n", line);
    }
    return tk_buf_detach(&b);
}

int store_refresh(struct store *s)
{
    struct store_state next = {0};
    for (int attempt = 0; attempt < 3; attempt++) {
        update_watches(s);
        state_free(&next);
        spec_set_init(&next.set);
        next.revision = compute_revision(s);
        if (s->root && spec_load_tree(&next.set, s->pods_dir) < 0) {
            state_free(&next);
            return -ENOMEM;
        }
        _cleanup_free_ char *again = compute_revision(s);
        if ((!again && !next.revision) || (again && next.revision && !strcmp(again, next.revision)))
            break; /* not swapped while reading */
    }
    s->reads++;
    if (!s->root)
        add_missing_error(&next.set, s->pods_dir);
    carry_over(&next.set, &s->state.set);
    state_free(&s->state);
    s->state = next;
    char *fp = fingerprint(&s->state);
    bool changed = !s->fingerprint || strcmp(fp, s->fingerprint);
    free(s->fingerprint);
    s->fingerprint = fp;
    return changed;
}

static int64_t on_debounce(struct loop *loop, uint64_t id, void *data)
{
    struct store *s = data;
    s->timer = 0;
    s->first_dirty = 0;
    int r = store_refresh(s);
    if (r < 0)
        tk_error("read pods directory '%s': %s", s->pods_dir, strerror(-r));
    else if (r > 0 && s->fn)
        s->fn(s->data);
    return LOOP_TIMER_DONE;
}

static void mark_dirty(struct store *s)
{
    int64_t now = tk_now_monotonic_ms();
    if (!s->first_dirty)
        s->first_dirty = now;
    int64_t delay = s->debounce_ms;
    if (now + delay > s->first_dirty + MAX_WAIT_MS)
        delay = s->first_dirty + MAX_WAIT_MS - now;
    loop_del_timer(s->loop, s->timer);
    s->timer = loop_add_timer(s->loop, delay, on_debounce, s);
}

/* Does this event change what the store would read? */
static bool event_matters(struct store *s, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        s->rewatch = true;
        return true;
    }
    if (ev->wd == s->parent_wd) {
        if (ev->mask & IN_IGNORED) {
            s->parent_wd = -1; /* the parent went away: watched again on the next read */
            s->rewatch = true;
            return true;
        }
        if (!ev->len || strcmp(ev->name, s->base))
            return false;
        s->rewatch = true;
        return true;
    }
    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        s->rewatch = true;
        return true;
    }
    if (!ev->len)
        return true;
    if (ev->name[0] == '.')
        return false;
    if (ev->mask & IN_ISDIR) {
        s->rewatch = true;
        return true;
    }
    return is_manifest_name(ev->name);
}

static void on_inotify(struct loop *loop, int fd, uint32_t events, void *data)
{
    struct store *s = data;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool dirty = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (event_matters(s, ev))
                dirty = true;
            p += sizeof(*ev) + ev->len;
        }
    }
    if (dirty)
        mark_dirty(s);
}

static int split_path(struct store *s, const char *pods_dir)
{
    s->pods_dir = strdup(pods_dir);
    size_t len = s->pods_dir ? strlen(s->pods_dir) : 0;
    while (len > 1 && s->pods_dir[len - 1] == '/')
        s->pods_dir[--len] = '\0';
    _cleanup_free_ char *a = s->pods_dir ? strdup(s->pods_dir) : NULL;
    _cleanup_free_ char *b = s->pods_dir ? strdup(s->pods_dir) : NULL;
    if (!a || !b)
        return -ENOMEM;
    s->parent = strdup(dirname(a));
    s->base = strdup(basename(b));
    return s->parent && s->base ? 0 : -ENOMEM;
}

struct store *store_new(struct loop *loop, const char *pods_dir, int64_t debounce_ms,
                        store_change_fn fn, void *data, struct tk_err *err)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        tk_err_sys(err, -ENOMEM, "open pods directory '%s'", pods_dir);
        return NULL;
    }
    s->loop = loop;
    s->debounce_ms = debounce_ms;
    s->fn = fn;
    s->data = data;
    s->parent_wd = -1;
    spec_set_init(&s->state.set);
    s->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    int r = s->ifd < 0 ? -errno : split_path(s, pods_dir);
    if (r == 0)
        r = loop_add_fd(loop, s->ifd, EPOLLIN, on_inotify, s);
    if (r == 0)
        r = store_refresh(s);
    if (r < 0) {
        tk_err_sys(err, r, "watch pods directory '%s'", pods_dir);
        store_free(s);
        return NULL;
    }
    return s;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    if (s->ifd >= 0) {
        loop_del_fd(s->loop, s->ifd);
        close(s->ifd);
    }
    loop_del_timer(s->loop, s->timer);
    state_free(&s->state);
    free(s->fingerprint);
    free(s->wds);
    free(s->root);
    free(s->pods_dir);
    free(s->parent);
    free(s->base);
    free(s);
}

const struct store_state *store_state(const struct store *s)
{
    return &s->state;
}

uint64_t store_reads(const struct store *s)
{
    return s->reads;
}
