#include "agent/manifests.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/confine.h"
#include "agent/controllers.h"
#include "agent/loop.h"
#include "agent/nodesel.h"
#include "agent/pathwalk.h"
#include "agent/resolve.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/alloc.h"

#define DIR_EVENTS                                                                                 \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |       \
     IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)
#define PARENT_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
#define MAX_WAIT_MS 1000 /* a burst that never pauses is still read this often */

/* A directory on the way to pods_dir, watched for one name in it: a symbolic link (its swap),
 * or the anchor (pods_dir itself, or the first component that does not exist). */
struct path_watch {
    int wd;
    char *name;
};
#define MAX_WATCHES 8192 /* directories watched at most */

struct wd_list {
    int *v;
    size_t n, cap;
};

struct store {
    struct loop *loop;
    char *pods_dir;
    char *seccomp_dir;        /* NULL = profiles not checked */
    char *secrets_dir;        /* NULL = none */
    struct wd_list secrets;   /* its tree's watches (as pods_dir's tree) */
    int secrets_parent_wd;    /* while it is missing: its parent's, to see it appear; or -1 */
    const char *secrets_name; /* its last component (in secrets_dir) */
    bool secrets_rewatch;
    char node_name[256];     /* spec.nodeName for the downward API: the host's name */
    struct admit_host alloc; /* the host's allocatable, for resourceFieldRef */
    char *uplink;            /* status.hostIP's interface, NULL when none */
    char *root;              /* the resolved directory being watched, NULL when absent */
    char *path_sig;          /* the path watches' "DIR\0NAME\0" pairs, to see when they move */
    size_t path_sig_len;
    int ifd;
    struct wd_list tree;   /* the tree's watches */
    struct path_watch *pw; /* the path's watches: each link's parent, and the anchor */
    size_t n_pw;
    bool rewatch;
    int64_t debounce_ms;
    int64_t first_dirty;  /* monotonic ms of the first event of a burst, 0 when clean */
    int64_t last_read_ms; /* monotonic ms at the end of the last read */
    uint64_t timer;
    store_change_fn fn;
    void *data;
    controllers_observe_fn observe; /* NULL until the reconciler sets it */
    void *observe_data;
    char *state_dir;                          /* the controllers' records (store_set_state_dir) */
    unsigned char reads_key[RESOLVE_KEY_LEN]; /* state_dir/template.key */
    bool has_reads_key;
    /* Deployments and DaemonSets (store_set_apps) */
    size_t (*apps_list)(void *data, const char *prefix, struct controllers_podinfo **out);
    void (*apps_event)(void *data, const char *object, const char *reason, const char *message);
    struct controllers_rollouts *rollouts;
    struct store_state state;
    char *fingerprint;
    char *warned; /* the warnings last logged, one per line */
    uint64_t reads;
};

static void state_free(struct store_state *s)
{
    for (size_t i = 0; s->pod_revisions && i < s->set.n_pods; i++)
        free(s->pod_revisions[i]);
    free(s->pod_revisions);
    s->pod_revisions = NULL;
    free(s->revision);
    s->revision = NULL;
    s->missing = false;
    nodesel_free(s->skipped, s->n_skipped);
    s->skipped = NULL;
    s->n_skipped = 0;
    spec_set_free(&s->set);
}

static bool is_manifest_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static bool has_wd(const struct wd_list *l, int wd);

/* Remove a watch unless the other part of the store (pods_dir's, secrets_dir's) uses the
 * same directory: one inotify fd has one watch per directory. */
static void rm_watch(struct store *s, int wd)
{
    bool shared = wd == s->secrets_parent_wd;
    for (size_t i = 0; i < s->n_pw; i++)
        shared = shared || s->pw[i].wd == wd;
    if (!shared && !has_wd(&s->tree, wd) && !has_wd(&s->secrets, wd))
        inotify_rm_watch(s->ifd, wd);
}

static void unwatch_list(struct store *s, struct wd_list *l)
{
    size_t n = l->n;
    l->n = 0; /* (l's own watches are not "shared") */
    for (size_t i = 0; i < n; i++)
        rm_watch(s, l->v[i]);
}

static void unwatch_all(struct store *s)
{
    unwatch_list(s, &s->tree);
    struct path_watch *pw = s->pw;
    size_t n = s->n_pw;
    s->pw = NULL;
    s->n_pw = 0;
    for (size_t i = 0; i < n; i++) {
        if (pw[i].wd >= 0)
            rm_watch(s, pw[i].wd);
        free(pw[i].name);
    }
    free(pw);
}

static bool has_wd(const struct wd_list *l, int wd)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == wd)
            return true;
    return false;
}

static void add_wd(struct wd_list *l, int wd)
{
    if (has_wd(l, wd))
        return;
    if (l->n == l->cap) {
        size_t n = l->cap ? l->cap * 2 : 16;
        int *w = realloc(l->v, n * sizeof(*w));
        if (!w)
            return;
        l->v = w;
        l->cap = n;
    }
    l->v[l->n++] = wd;
}

/* Is p a directory to watch: a real one, or a symlink to one inside the resolved root (the
 * tree spec_load_tree reads; a link to /sys or /proc is never entered). */
static bool watchable_dir(const char *root, const char *p)
{
    struct stat st;
    if (lstat(p, &st) < 0)
        return false;
    if (S_ISLNK(st.st_mode)) {
        _cleanup_free_ char *real = realpath(p, NULL);
        if (!real || !tk_path_is_under(root, real) || stat(real, &st) < 0)
            return false;
    }
    return S_ISDIR(st.st_mode);
}

/* Watch dir and its non-hidden subdirectories into l (symlinks followed inside root only;
 * depth and the number of directories bounded as the tree walk is). */
static void watch_tree(struct store *s, struct wd_list *l, const char *root, const char *dir,
                       int depth)
{
    if (l->n >= MAX_WATCHES)
        return;
    int wd = inotify_add_watch(s->ifd, dir, DIR_EVENTS | IN_MASK_ADD); /* (as above) */
    if (wd < 0)
        return;
    add_wd(l, wd);
    if (depth >= SPEC_TREE_MAX_DEPTH)
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
        if (watchable_dir(root, p.s))
            watch_tree(s, l, root, p.s, depth + 1);
    }
}

static void watch_path(struct store *s, const struct path_walk *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->sig.len; i++)
        n += w->sig.s[i] == '\0';
    s->pw = calloc(n / 2 + 1, sizeof(*s->pw));
    if (!s->pw)
        return;
    for (const char *p = w->sig.s; p && p < w->sig.s + w->sig.len;) {
        const char *name = p + strlen(p) + 1;
        struct path_watch *pw = &s->pw[s->n_pw];
        pw->name = strdup(name);
        pw->wd = pw->name ? inotify_add_watch(s->ifd, p, PARENT_EVENTS | IN_MASK_ADD) : -1;
        if (pw->name)
            s->n_pw++;
        p = name + strlen(name) + 1;
    }
}

/* Walk pods_dir; re-watch when the way or the tree moved (a swap), or the tree changed
 * shape. Fills w. */
static int update_watches(struct store *s, struct path_walk *w)
{
    int r = walk_path(s->pods_dir, w);
    if (r < 0)
        return r;
    bool moved = (!w->root != !s->root) || (w->root && strcmp(w->root, s->root)) || !s->path_sig ||
                 w->sig.len != s->path_sig_len ||
                 memcmp(w->sig.s ? w->sig.s : "", s->path_sig, w->sig.len);
    if (moved || s->rewatch) {
        unwatch_all(s);
        free(s->root);
        free(s->path_sig);
        s->root = w->root ? strdup(w->root) : NULL;
        s->path_sig_len = w->sig.len;
        s->path_sig = malloc(w->sig.len + 1);
        if (s->path_sig)
            memcpy(s->path_sig, w->sig.s ? w->sig.s : "", w->sig.len);
        watch_path(s, w);
        if (s->root)
            watch_tree(s, &s->tree, s->root, s->root, 0);
        s->rewatch = false;
    }
    return 0;
}

static bool error_names_file(const struct spec_set *set, const char *file)
{
    for (size_t i = 0; i < set->n_errors; i++)
        if (set->errors[i].file && file && !strcmp(set->errors[i].file, file))
            return true;
    return false;
}

/* Append a copy of before's pod i, with the revision it was read from, to next. */
static void keep_pod(struct store_state *next, const struct store_state *before, size_t i)
{
    const char *rev = before->pod_revisions ? before->pod_revisions[i] : NULL;
    struct spec_pod *copy = spec_pod_dup(before->set.pods[i]);
    size_t n = next->set.n_pods;
    struct spec_pod **pods = copy ? realloc(next->set.pods, (n + 1) * sizeof(*pods)) : NULL;
    if (!pods) {
        spec_pod_free(copy);
        return;
    }
    next->set.pods = pods;
    if (next->pod_revisions || !n) { /* else lost to an allocation failure: all NULL */
        char **revs = realloc(next->pod_revisions, (n + 1) * sizeof(*revs));
        if (!revs) {
            spec_pod_free(copy);
            return;
        }
        next->pod_revisions = revs;
        revs[n] = rev ? tk_xstrdup(rev) : NULL;
    }
    pods[next->set.n_pods++] = copy;
}

/* Keep the last valid spec of pods whose manifest is now invalid; of every pod when the
 * pods directory is gone (running pods keep running until it is back). */
static void carry_over(struct store_state *next, const struct store_state *before)
{
    for (size_t i = 0; i < before->set.n_pods; i++) {
        const struct spec_pod *p = before->set.pods[i];
        if ((next->missing || error_names_file(&next->set, p->file)) &&
            !spec_set_find(&next->set, p->name))
            keep_pod(next, before, i);
    }
}

/* ConfigMaps and Secrets of a file that turned invalid stay (as its pods do), so a typo never
 * takes what running pods read away from them. */
static void carry_over_objects(struct store_state *next, const struct store_state *before)
{
    for (size_t i = 0; i < before->set.n_objects; i++) {
        const struct spec_object *o = before->set.objects[i];
        if ((!next->missing && !error_names_file(&next->set, o->file)) ||
            spec_set_find_object(&next->set, o->kind, o->namespace, o->name))
            continue;
        struct spec_object *copy = spec_object_dup(o);
        struct spec_object **v =
            copy ? realloc(next->set.objects, (next->set.n_objects + 1) * sizeof(*v)) : NULL;
        if (!v) {
            spec_object_free(copy);
            continue;
        }
        next->set.objects = v;
        v[next->set.n_objects++] = copy;
    }
}

/* Deployments and Jobs of a file that turned invalid stay in the state (their status is still
 * shown), as their pods do. */
static void carry_over_workloads(struct store_state *next, const struct store_state *before)
{
    for (size_t i = 0; i < before->set.n_workloads; i++) {
        const struct spec_workload *wl = before->set.workloads[i];
        if (wl->owner_cronjob) /* its CronJob makes it again, or it was removed */
            continue;
        bool present = false;
        for (size_t j = 0; j < next->set.n_workloads && !present; j++)
            present = next->set.workloads[j]->kind == wl->kind &&
                      !strcmp(next->set.workloads[j]->name, wl->name);
        if (present || (!next->missing && !error_names_file(&next->set, wl->file)))
            continue;
        struct spec_workload *copy = spec_workload_dup(wl);
        struct spec_workload **v =
            copy ? realloc(next->set.workloads, (next->set.n_workloads + 1) * sizeof(*v)) : NULL;
        if (!v) {
            spec_workload_free(copy);
            continue;
        }
        next->set.workloads = v;
        v[next->set.n_workloads++] = copy;
    }
}

/* Each pod read now comes from the current revision. */
static void set_revisions(struct store_state *st)
{
    if (!st->set.n_pods)
        return;
    st->pod_revisions = tk_xcalloc(st->set.n_pods, sizeof(*st->pod_revisions));
    for (size_t i = 0; st->pod_revisions && st->revision && i < st->set.n_pods; i++)
        st->pod_revisions[i] = tk_xstrdup(st->revision);
}

/* A pods directory that is not there is worth an entry among the errors. */
static void add_missing_error(struct spec_set *set, const char *pods_dir)
{
    spec_set_add_error(set, pods_dir, 0, 0,
                       "the pods directory does not exist (running pods keep running; none "
                       "starts or stops until it is back)");
}

static char *fingerprint(const struct store_state *st)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "rev=%s missing=%d\n", st->revision ? st->revision : "-", st->missing);
    for (size_t i = 0; i < st->set.n_pods; i++) {
        const char *rev = st->pod_revisions ? st->pod_revisions[i] : NULL;
        /* labels and annotations: a downwardAPI volume shows them (updated in place) */
        const struct spec_pod *p = st->set.pods[i];
        uint64_t h = 1469598103934665603ull;
        for (size_t j = 0; j < p->n_labels + p->n_annotations; j++) {
            const struct spec_kv *kv =
                j < p->n_labels ? &p->labels[j] : &p->annotations[j - p->n_labels];
            for (const char *c = kv->key; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ull;
            h = (h ^ (j < p->n_labels ? 0xfd : 0xfc)) * 1099511628211ull;
            for (const char *c = kv->value; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ull;
            h = (h ^ 0xfe) * 1099511628211ull;
        }
        tk_buf_addf(&b, "pod %s %s %s %016llx\n", p->name, p->hash, rev ? rev : "-",
                    (unsigned long long)h);
    }
    for (size_t i = 0; i < st->set.n_errors; i++) {
        char line[2048];
        spec_error_format(&st->set.errors[i], line, sizeof(line));
        tk_buf_addf(&b, "err %s\n", line);
    }
    /* Workloads: a new one, or a CronJob's schedule, arms the controllers' timer (a pass). */
    for (size_t i = 0; i < st->set.n_workloads; i++) {
        const struct spec_workload *w = st->set.workloads[i];
        tk_buf_addf(&b, "wl %d %s %s %d\n", (int)w->kind, w->name,
                    w->cron ? w->cron->schedule : "-", w->cron ? w->cron->suspend : 0);
    }
    /* ConfigMaps and Secrets: a change of content is a change (volumes follow it). */
    for (size_t i = 0; i < st->set.n_objects; i++) {
        const struct spec_object *o = st->set.objects[i];
        uint64_t h = 1469598103934665603ull;
        for (size_t j = 0; j < o->n_data; j++) {
            for (const char *k = o->data[j].key; *k; k++)
                h = (h ^ (unsigned char)*k) * 1099511628211ull;
            h = (h ^ 0xff) * 1099511628211ull;
            for (size_t x = 0; x < o->data[j].len; x++)
                h = (h ^ o->data[j].value[x]) * 1099511628211ull;
            h = (h ^ 0xfe) * 1099511628211ull;
        }
        tk_buf_addf(&b, "obj %d %s/%s %016llx\n", (int)o->kind, o->namespace, o->name,
                    (unsigned long long)h);
    }
    return tk_buf_detach(&b);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void move_errors(struct spec_error **to, size_t *n_to, struct spec_error **from,
                        size_t *n_from)
{
    if (!*n_from)
        return;
    struct spec_error *v = realloc(*to, (*n_to + *n_from + 1) * sizeof(*v));
    if (v) {
        *to = v;
        memcpy(v + *n_to, *from, *n_from * sizeof(*v));
        *n_to += *n_from;
        *n_from = 0;
    }
}

/* Watch secrets_dir's tree as pods_dir's is watched, or its parent while it is missing (to
 * see it appear). */
static void watch_secrets(struct store *s)
{
    int parent_wd = s->secrets_parent_wd;
    s->secrets_parent_wd = -1;
    s->secrets_rewatch = false;
    unwatch_list(s, &s->secrets);
    if (parent_wd >= 0)
        rm_watch(s, parent_wd);
    _cleanup_free_ char *real = realpath(s->secrets_dir, NULL);
    if (real) {
        watch_tree(s, &s->secrets, real, real, 0);
        return;
    }
    _cleanup_free_ char *parent = strdup(s->secrets_dir);
    if (parent) /* (IN_MASK_ADD: a watch pods_dir's part has there keeps its events) */
        s->secrets_parent_wd =
            inotify_add_watch(s->ifd, dirname(parent), PARENT_EVENTS | IN_MASK_ADD);
}

/* secrets_dir: its ConfigMaps and Secrets join the set (a name defined in pods_dir too is an
 * error naming both files; the pods_dir one stays); anything else there is an error. */
static void load_secrets(struct store *s, struct spec_set *set)
{
    struct stat st;
    if (!s->secrets_dir)
        return;
    if (s->secrets_rewatch)
        watch_secrets(s);
    if (stat(s->secrets_dir, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & S_IRWXO)) {
        spec_set_add_error(
            set, s->secrets_dir, 0, 0,
            "secrets_dir refused: it must be a directory owned by root and not readable "
            "by others (chown root; chmod o-rwx)");
        return;
    }
    struct spec_set x;
    spec_set_init(&x);
    if (spec_load_tree(&x, s->secrets_dir) < 0) {
        spec_set_free(&x);
        return;
    }
    for (size_t i = 0; i < x.n_pods; i++)
        spec_set_add_error(set, x.pods[i]->file, x.pods[i]->line, 1,
                           "pod '%s': secrets_dir may hold only Secrets and ConfigMaps",
                           x.pods[i]->name);
    move_errors(&set->errors, &set->n_errors, &x.errors, &x.n_errors);
    move_errors(&set->warnings, &set->n_warnings, &x.warnings, &x.n_warnings);
    for (size_t i = 0; i < x.n_objects; i++) {
        struct spec_object *o = x.objects[i];
        const struct spec_object *prev = spec_set_find_object(set, o->kind, o->namespace, o->name);
        struct spec_object **v =
            prev ? NULL : realloc(set->objects, (set->n_objects + 1) * sizeof(*v));
        if (prev)
            spec_set_add_error(
                set, o->file, o->name_line, o->name_column,
                "metadata.name: %s '%s' is defined both here and in %s:%d; define it in "
                "one place",
                spec_object_kind_to_string(o->kind), o->name, prev->file, prev->name_line);
        if (!v)
            continue;
        set->objects = v;
        v[set->n_objects++] = o;
        x.objects[i] = NULL;
    }
    for (size_t i = 0; i < x.n_objects; i++)
        spec_object_free(x.objects[i]);
    x.n_objects = 0;
    spec_set_free(&x);
}

/* Read the tree once, through the configured path; 1 when the way to it did not move
 * meanwhile (else the read may mix two revisions), 0 when it did, -errno. */
static int read_once(struct store *s, struct store_state *next)
{
    struct path_walk w = {0}, again = {0};
    int r = update_watches(s, &w);
    if (r == 0)
        next->revision = walk_revision(&w);
    if (r == 0 && s->root && spec_load_tree(&next->set, s->pods_dir) < 0)
        r = -ENOMEM;
    if (r == 0)
        load_secrets(s, &next->set);
    if (r == 0 && s->seccomp_dir && confine_check_set(s->seccomp_dir, &next->set) < 0)
        r = -ENOMEM;
    if (r == 0)
        r = walk_path(s->pods_dir, &again);
    _cleanup_free_ char *rev = r == 0 ? walk_revision(&again) : NULL;
    bool same = r == 0 && same_str(w.root, again.root) && same_str(next->revision, rev);
    walk_free(&w);
    walk_free(&again);
    return r < 0 ? r : same;
}

/* Whether the text (lines) holds line as one of them. */
static bool has_line(const char *text, const char *line)
{
    size_t l = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, line, l) && p[l] == '\n')
            return true;
    return false;
}

/* Log the tree's warnings (links leaving it, FIFOs, fields ignored on one host) once each,
 * when they appear: not again at every read while they stay. */
static void log_warnings(struct store *s, const struct spec_set *set)
{
    struct tk_buf b = TK_BUF_INIT;
    for (size_t i = 0; i < set->n_warnings; i++) {
        char line[2048];
        spec_warning_format(&set->warnings[i], line, sizeof(line));
        if (!s->warned || !has_line(s->warned, line))
            tk_warn("pods directory: %s", line);
        tk_buf_addf(&b, "%s\n", line);
    }
    free(s->warned);
    s->warned = tk_buf_detach(&b);
}

int store_refresh(struct store *s)
{
    struct store_state next = {0};
    for (int attempt = 0; attempt < 3; attempt++) {
        state_free(&next);
        spec_set_init(&next.set);
        int r = read_once(s, &next);
        if (r < 0) {
            state_free(&next);
            return r;
        }
        if (r > 0)
            break;
    }
    s->reads++;
    log_warnings(s, &next.set);
    s->last_read_ms = tk_now_monotonic_ms();
    next.missing = !s->root;
    carry_over_objects(&next, &s->state);
    /* Deployments and Jobs into the pods they own (controllers.h). */
    struct controllers_ctx ctl = {.observe = s->observe,
                                  .data = s->observe_data,
                                  .state_dir = s->state_dir,
                                  .reads_key = s->has_reads_key ? s->reads_key : NULL,
                                  .list = s->apps_list,
                                  .event = s->apps_event,
                                  .rollouts = s->rollouts};
    if (controllers_expand(&next.set, &ctl) < 0) {
        state_free(&next);
        return -ENOMEM;
    }
    /* after the expansion: their pods are kept by carry_over (with their revision) */
    carry_over_workloads(&next, &s->state);
    next.wake_ms = ctl.wake_ms;
    /* ConfigMaps, Secrets and the pods' own fields into the pods' inputs (resolve.h). */
    _cleanup_free_ char *host_ips = host_iface_ips(s->uplink);
    struct resolve_node node = {.name = s->node_name,
                                .host_ips = host_ips ? host_ips : "",
                                .cpu_milli = s->alloc.cpu_milli,
                                .memory = s->alloc.memory};
    if (resolve_pods(&next.set, &node) < 0 || nodesel_filter(&next, s->node_name) < 0) {
        state_free(&next);
        return -ENOMEM;
    }
    set_revisions(&next);
    if (next.missing)
        add_missing_error(&next.set, s->pods_dir);
    carry_over(&next, &s->state);
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

/*
 * The first event after a quiet time is read at once (after the rest of its batch of
 * events): a manifest placed into an idle pods directory starts its pod without delay.
 * Events during a read or within debounce_ms after it wait for debounce_ms of quiet (at
 * most MAX_WAIT_MS), so a burst is one more read, not one per file.
 */
static void mark_dirty(struct store *s)
{
    int64_t now = tk_now_monotonic_ms();
    if (s->timer && !s->first_dirty)
        return; /* a read is due at once already */
    if (!s->timer && now - s->last_read_ms >= s->debounce_ms) {
        s->timer = loop_add_timer(s->loop, 0, on_debounce, s);
        return;
    }
    if (!s->first_dirty)
        s->first_dirty = now;
    int64_t delay = s->debounce_ms;
    if (now + delay > s->first_dirty + MAX_WAIT_MS)
        delay = s->first_dirty + MAX_WAIT_MS - now;
    loop_del_timer(s->loop, s->timer);
    s->timer = loop_add_timer(s->loop, delay, on_debounce, s);
}

/* Does this event in secrets_dir's tree (or its parent while it is missing) change what the
 * store would read? Any change there is read. */
static bool secrets_event_matters(struct store *s, const struct inotify_event *ev)
{
    bool parent = ev->wd == s->secrets_parent_wd && s->secrets_parent_wd >= 0;
    if (!parent && !has_wd(&s->secrets, ev->wd))
        return false;
    if (parent && !(ev->mask & IN_IGNORED) && !(ev->len && !strcmp(ev->name, s->secrets_name)))
        return false; /* (another name in its parent) */
    if (parent || (ev->mask & (IN_ISDIR | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)))
        s->secrets_rewatch = true; /* it appeared, or one of its directories came or went */
    return true;
}

/* Does this event change what the store would read? */
static bool event_matters(struct store *s, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        s->rewatch = s->secrets_rewatch = true;
        return true;
    }
    for (size_t i = 0; i < s->n_pw; i++) {
        if (s->pw[i].wd != ev->wd)
            continue;
        /* A link on the way swapped, pods_dir came or went, or a directory on the way. */
        if ((ev->mask & IN_IGNORED) || (ev->len && !strcmp(ev->name, s->pw[i].name))) {
            s->rewatch = true;
            return true;
        }
    }
    if (!has_wd(&s->tree, ev->wd))
        return false; /* a watch removed already (the old tree after a swap) */
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
            bool secrets = secrets_event_matters(s, ev); /* both run: each notes its re-watches */
            if (event_matters(s, ev) || secrets)
                dirty = true;
            p += sizeof(*ev) + ev->len;
        }
    }
    if (dirty)
        mark_dirty(s);
}

struct store *store_new(struct loop *loop, const char *pods_dir, const char *secrets_dir,
                        const char *seccomp_dir, const struct store_host *host, int64_t debounce_ms,
                        store_change_fn fn, void *data, struct tk_err *err)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        tk_err_sys(err, -ENOMEM, "open pods directory '%s'", pods_dir);
        return NULL;
    }
    s->loop = loop;
    s->seccomp_dir = seccomp_dir ? tk_xstrdup(seccomp_dir) : NULL;
    s->secrets_dir = secrets_dir && *secrets_dir ? tk_xstrdup(secrets_dir) : NULL;
    s->secrets_parent_wd = -1;
    s->secrets_rewatch = true;
    for (size_t n = s->secrets_dir ? strlen(s->secrets_dir) : 0;
         n > 1 && s->secrets_dir[n - 1] == '/';)
        s->secrets_dir[--n] = '\0';
    if (s->secrets_dir) {
        const char *slash = strrchr(s->secrets_dir, '/');
        s->secrets_name = slash ? slash + 1 : s->secrets_dir;
    }
    if (host) {
        s->alloc = host->alloc;
        s->uplink = host->uplink ? strdup(host->uplink) : NULL;
    }
    s->debounce_ms = debounce_ms;
    s->fn = fn;
    s->data = data;
    spec_set_init(&s->state.set);
    s->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    s->pods_dir = strdup(pods_dir);
    if (gethostname(s->node_name, sizeof(s->node_name) - 1) < 0)
        s->node_name[0] = '\0';
    size_t len = s->pods_dir ? strlen(s->pods_dir) : 0;
    while (len > 1 && s->pods_dir[len - 1] == '/')
        s->pods_dir[--len] = '\0';
    int r = s->ifd < 0 ? -errno : s->pods_dir ? 0 : -ENOMEM;
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
    unwatch_all(s);
    if (s->ifd >= 0) {
        loop_del_fd(s->loop, s->ifd);
        close(s->ifd);
    }
    loop_del_timer(s->loop, s->timer);
    state_free(&s->state);
    free(s->fingerprint);
    free(s->warned);
    free(s->tree.v);
    free(s->secrets.v);
    free(s->root);
    free(s->path_sig);
    free(s->pods_dir);
    free(s->seccomp_dir);
    free(s->secrets_dir);
    free(s->state_dir);
    free(s->uplink);
    free(s);
}

const struct store_state *store_state(const struct store *s)
{
    return &s->state;
}

void store_set_observer(struct store *s, controllers_observe_fn fn, void *data)
{
    s->observe = fn;
    s->observe_data = data;
}

void store_set_apps(struct store *s,
                    size_t (*list)(void *data, const char *prefix,
                                   struct controllers_podinfo **out),
                    void (*event)(void *data, const char *object, const char *reason,
                                  const char *message),
                    struct controllers_rollouts *rollouts)
{
    s->apps_list = list;
    s->apps_event = event;
    s->rollouts = rollouts;
}

/* The host's key for what templates read (resolve_reads_digest): state_dir/template.key, made
 * once from the kernel's random bytes (0600) and kept, so template hashes stay across agent
 * restarts. */
static int load_reads_key(const char *state_dir, unsigned char key[RESOLVE_KEY_LEN])
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/template.key", state_dir) < 0)
        return -ENOMEM;
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    int r = tk_read_file_flags(path, O_NOFOLLOW, RESOLVE_KEY_LEN + 1, &data, &len);
    if (r == 0 && len == RESOLVE_KEY_LEN) {
        memcpy(key, data, len);
        explicit_bzero(data, len);
        return 0;
    }
    if (r == 0 || r != -ENOENT) {
        tk_error("%s: %s: remove it to make a new key", path,
                 r == 0 ? "not a template key" : strerror(-r));
        return r == 0 ? -EINVAL : r;
    }
    if (getrandom(key, RESOLVE_KEY_LEN, 0) != RESOLVE_KEY_LEN)
        return -errno;
    if ((r = tk_mkdir_p(state_dir, 0700)) < 0 ||
        (r = tk_write_file_atomic(path, key, RESOLVE_KEY_LEN, 0600)) < 0)
        tk_error("write %s: %s", path, strerror(-r));
    return r;
}

int store_set_state_dir(struct store *s, const char *state_dir)
{
    free(s->state_dir);
    s->state_dir = state_dir ? strdup(state_dir) : NULL;
    if (state_dir && !s->state_dir)
        return -ENOMEM;
    s->has_reads_key = false;
    if (!state_dir)
        return 0;
    int r = load_reads_key(state_dir, s->reads_key);
    s->has_reads_key = r == 0;
    return r;
}

uint64_t store_reads(const struct store *s)
{
    return s->reads;
}
