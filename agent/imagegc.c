/* Image garbage collection, the agent's side. See imagegc.h. */
#include "agent/imagegc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/loop.h"
#include "agent/runtime.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "sandbox/podsandbox.h"
#include "spec/spec.h"

/* The runtime (agent/runtime.c) writes the manifest digest a container runs from here. */

void imagegc_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Append s to a heap array unless already there. */
static int strv_add_unique(char ***v, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], s))
            return 0;
    char **nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

int imagegc_pod_images(const char *pods_dir, char ***refs, size_t *n, struct tk_err *err)
{
    *refs = NULL;
    *n = 0;
    struct stat st;
    if (stat(pods_dir, &st) < 0)
        return tk_err_sys(err, -errno, "read the pods directory '%s'", pods_dir);
    _cleanup_closedir_ DIR *d = S_ISDIR(st.st_mode) ? opendir(pods_dir) : NULL;
    if (S_ISDIR(st.st_mode) && !d)
        return tk_err_sys(err, -errno, "read the pods directory '%s'", pods_dir);
    struct spec_set set;
    spec_set_init(&set);
    int r = spec_load_tree(&set, pods_dir) < 0 ? -ENOMEM : 0;
    for (size_t i = 0; r == 0 && i < set.n_pods; i++)
        for (size_t c = 0; r == 0 && c < spec_pod_n_all(set.pods[i]); c++)
            if (spec_pod_ctr(set.pods[i], c)->image)
                r = strv_add_unique(refs, n, spec_pod_ctr(set.pods[i], c)->image);
    /* an unreadable file or directory in the tree: its images are unknown */
    for (size_t i = 0; r == 0 && i < set.n_errors; i++)
        if (set.errors[i].line == 0 && !strncmp(set.errors[i].message, "cannot read", 11))
            r = tk_err_set(err, -EIO, "read the pods directory '%s': %s: %s", pods_dir,
                           set.errors[i].file, set.errors[i].message);
    spec_set_free(&set);
    if (r == -ENOMEM)
        tk_err_sys(err, r, "read the pods directory '%s'", pods_dir);
    if (r < 0) {
        imagegc_strv_free(*refs, *n);
        *refs = NULL;
        *n = 0;
    }
    return r;
}

/* The digest file of one container directory, appended when valid. */
static int add_digest(char ***v, size_t *n, const char *ctr_dir)
{
    _cleanup_buf_ struct tk_buf p = TK_BUF_INIT;
    _cleanup_free_ char *data = NULL;
    tk_buf_addf(&p, "%s/" RUNTIME_DIGEST_FILE, ctr_dir);
    size_t len;
    int r = tk_read_file(p.s, 256, &data, &len);
    if (r == -ENOENT || r == -ENOTDIR)
        return 0;
    if (r < 0)
        return r;
    while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
        data[--len] = '\0';
    return len ? strv_add_unique(v, n, data) : 0;
}

/* Every entry of dir (not "." or ".."); NULL when dir is missing. */
static DIR *open_dir(const char *path, int *r)
{
    DIR *d = opendir(path);
    *r = d || errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    return d;
}

int imagegc_container_digests(void *ctx, char ***digests, size_t *n, struct tk_err *err)
{
    const char *run_dir = ctx;
    *digests = NULL;
    *n = 0;
    char pods[PATH_MAX], ctrs[PATH_MAX];
    int r = sandbox_pod_path(pods, sizeof(pods), run_dir, NULL, NULL);
    if (r < 0)
        return tk_err_sys(err, r, "read the containers under '%s'", run_dir);
    _cleanup_closedir_ DIR *pd = open_dir(pods, &r);
    struct dirent *pe, *ce;
    while (r == 0 && pd && (pe = readdir(pd))) {
        if (pe->d_name[0] == '.')
            continue;
        if ((r = sandbox_ctr_path(ctrs, sizeof(ctrs), run_dir, pe->d_name, NULL)) < 0)
            break;
        _cleanup_closedir_ DIR *cd = open_dir(ctrs, &r);
        while (r == 0 && cd && (ce = readdir(cd))) {
            if (ce->d_name[0] == '.')
                continue;
            _cleanup_buf_ struct tk_buf c = TK_BUF_INIT;
            tk_buf_addf(&c, "%s/%s", ctrs, ce->d_name);
            r = add_digest(digests, n, c.s);
        }
    }
    if (r < 0) {
        imagegc_strv_free(*digests, *n);
        *digests = NULL;
        *n = 0;
        return tk_err_sys(err, r, "read the containers in '%s'", pods);
    }
    return 0;
}

int imagegc_usage_percent(const char *path, double *pct, struct tk_err *err)
{
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return tk_err_sys(err, -errno, "statvfs '%s'", path);
    if (!sv.f_blocks) {
        *pct = 0;
        return 0;
    }
    *pct = 100.0 - 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
    return 0;
}

/* ---- the automatic collection in the agent ---- */

struct imagegc {
    struct loop *loop;
    const struct tank_config *cfg;
    uint64_t timer;
    pid_t pid;          /* the running `tank images gc`, 0 when none */
    int64_t not_before; /* monotonic ms: no collection before */
    int warned;         /* statvfs failure already logged */
};

static void on_gc_exit(struct loop *loop, pid_t pid, int status, void *data)
{
    struct imagegc *g = data;
    (void)loop, (void)pid;
    g->pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    g->not_before = tk_now_monotonic_ms() + IMAGEGC_RETRY_MS;
    if (WIFEXITED(status) && WEXITSTATUS(status) == IMAGEGC_EXIT_SHORT)
        tk_warn("image gc: could not bring '%s' below %d%%, next try in %ds", g->cfg->state_dir,
                g->cfg->image_gc_low_percent, IMAGEGC_RETRY_MS / 1000);
    else
        tk_warn("image gc: 'tank images gc' failed (status %d), next try in %ds", status,
                IMAGEGC_RETRY_MS / 1000);
}

/* `tank images gc` with the agent's configuration, its output into the agent's log. */
static int spawn_gc(struct imagegc *g, pid_t *pid)
{
    char *argv[] = {"tank", "images", "gc", "--config", g->cfg->path ? g->cfg->path : "/dev/null",
                    NULL};
    return loop_spawn_self(argv, -1, pid);
}

static int64_t on_timer(struct loop *loop, uint64_t id, void *data)
{
    struct imagegc *g = data;
    (void)id;
    double pct;
    struct tk_err err = {0};
    if (g->pid || loop_now_ms(loop) < g->not_before)
        return IMAGEGC_CHECK_MS;
    if (imagegc_usage_percent(g->cfg->state_dir, &pct, &err) < 0) {
        if (!g->warned++)
            tk_warn("image gc: %s", err.msg);
        return IMAGEGC_CHECK_MS;
    }
    if (pct < g->cfg->image_gc_high_percent)
        return IMAGEGC_CHECK_MS;
    tk_info("image gc: '%s' is %.0f%% full (image_gc_high_percent %d%%): removing unused "
            "images",
            g->cfg->state_dir, pct, g->cfg->image_gc_high_percent);
    pid_t pid;
    int r = spawn_gc(g, &pid);
    if (r == 0 && (r = loop_watch_child(loop, pid, on_gc_exit, g)) < 0) {
        kill(pid, SIGKILL); /* unwatched (ENOMEM, EMFILE): stop it rather than lose it */
        waitpid(pid, NULL, 0);
    }
    if (r < 0) {
        tk_warn("image gc: start 'tank images gc': %s", strerror(-r));
        g->not_before = loop_now_ms(loop) + IMAGEGC_RETRY_MS;
        return IMAGEGC_CHECK_MS;
    }
    g->pid = pid;
    return IMAGEGC_CHECK_MS;
}

struct imagegc *imagegc_start(struct loop *loop, const struct tank_config *cfg)
{
    if (!cfg->image_gc_high_percent)
        return NULL;
    struct imagegc *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->loop = loop;
    g->cfg = cfg;
    g->timer = loop_add_timer(loop, IMAGEGC_FIRST_CHECK_MS, on_timer, g);
    if (!g->timer) {
        free(g);
        return NULL;
    }
    return g;
}

void imagegc_free(struct imagegc *g)
{
    if (!g)
        return;
    loop_del_timer(g->loop, g->timer);
    /* a collection in progress finishes on its own */
    free(g);
}
