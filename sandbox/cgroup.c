/* Cgroups for pods and containers on v1 and v2. See cgroup.h. */
#include "sandbox/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/cgroup_int.h"

enum ctl { CTL_MEMORY, CTL_CPU, CTL_CPUACCT, CTL_PIDS, CTL_DEVICES, CTL_FREEZER, CTL_N };
static const char *const ctl_names[CTL_N] = {"memory", "cpu",     "cpuacct",
                                             "pids",   "devices", "freezer"};

#define MAX_HIER 8

struct hier {
    char *root;     /* OWN/SUBTREE, absolute */
    int dfd;        /* root, O_PATH (with root; -1 when it would not open): usage reads */
    unsigned ctls;  /* 1 << enum ctl */
    char mnt[4096]; /* detection only: the mount point */
    char mroot[4096];
};

struct sandbox_cgroups {
    enum sandbox_cgroup_version version;
    struct hier h[MAX_HIER];
    size_t n;
    int of[CTL_N]; /* hierarchy of each controller, -1 when missing */
    bool memsw;    /* v1: the memory hierarchy has memory.memsw.* (swap accounting) */
    char desc[512];
};

int sandbox_cgroup_write(const char *dir, const char *file, const char *s)
{
    _cleanup_buf_ struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/%s", dir, file);
    _cleanup_close_ int fd = open(p.s, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    ssize_t n;
    do
        n = write(fd, s, strlen(s));
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

static int read_in(const char *dir, const char *file, char **out)
{
    _cleanup_buf_ struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/%s", dir, file);
    return tk_read_file(p.s, 1 << 20, out, NULL);
}

static bool has_word(const char *list, const char *word, char sep)
{
    size_t n = strlen(word);
    for (const char *s = list; s && *s;) {
        const char *e = strchr(s, sep);
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && !strncmp(s, word, n))
            return true;
        s = e ? e + 1 : NULL;
    }
    return false;
}

/* ---- detection ---- */

/* The next space-separated field of *p (NUL-terminated in place), NULL at the end. */
static char *field(char **p)
{
    char *s = *p + strspn(*p, " \n");
    if (!*s)
        return NULL;
    char *e = s + strcspn(s, " \n");
    *p = *e ? e + 1 : e;
    *e = 0;
    return s;
}

/* One mountinfo line: mount root, mount point, fstype, super options. */
static bool parse_mountinfo(char *line, char **root, char **mnt, char **fstype, char **sopts)
{
    char *f[5], *tok;
    for (int i = 0; i < 5; i++)
        if (!(f[i] = field(&line)))
            return false;
    while ((tok = field(&line)) && strcmp(tok, "-"))
        ;
    if (!tok)
        return false;
    *root = f[3];
    *mnt = f[4];
    *fstype = field(&line);
    field(&line); /* source */
    *sopts = field(&line);
    return *fstype && *sopts;
}

static unsigned ctls_of(const char *opts)
{
    unsigned m = 0;
    for (int c = 0; c < CTL_N; c++)
        if (has_word(opts, ctl_names[c], ','))
            m |= 1u << c;
    return m;
}

/* The v1 hierarchies with our controllers (first mount of each), and the cgroup2 mount. */
static int scan_mounts(struct sandbox_cgroups *cg, struct hier *v2)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    unsigned seen = 0;
    if (!f)
        return -errno;
    while (getline(&line, &cap, f) > 0) {
        char *root, *mnt, *fstype, *sopts;
        if (!parse_mountinfo(line, &root, &mnt, &fstype, &sopts))
            continue;
        struct hier *h = NULL;
        if (!strcmp(fstype, "cgroup2") && !v2->mnt[0]) {
            h = v2;
        } else if (!strcmp(fstype, "cgroup")) {
            unsigned m = ctls_of(sopts) & ~seen;
            if (!m || cg->n >= MAX_HIER)
                continue;
            seen |= m;
            h = &cg->h[cg->n++];
            h->ctls = m;
        }
        if (h) {
            snprintf(h->mnt, sizeof(h->mnt), "%s", mnt);
            snprintf(h->mroot, sizeof(h->mroot), "%s", root);
        }
    }
    return 0;
}

/* The caller's cgroup in a hierarchy (by one of its controllers; "" = the v2 line). */
static int own_path(const char *ctl, char *out, size_t size)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    if (!f)
        return -errno;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = 0;
        bool match = ctl[0] ? has_word(c1 + 1, ctl, ',') : !strcmp(line, "0:");
        if (match && c2[1] == '/')
            return snprintf(out, size, "%s", c2 + 1) < (int)size ? 0 : -ENAMETOOLONG;
    }
    return -ENOENT;
}

/* mount point + the own path below the mount's root. */
static int own_dir(const struct hier *h, const char *path, char *out, size_t size)
{
    size_t rl = strlen(h->mroot);
    if (!strcmp(h->mroot, "/"))
        rl = 0;
    else if (strncmp(path, h->mroot, rl) || (path[rl] && path[rl] != '/'))
        return -ENOENT; /* our cgroup is not visible under this mount */
    int n = snprintf(out, size, "%s%s", h->mnt, path + rl);
    if (n >= (int)size)
        return -ENAMETOOLONG;
    if (n > 1 && out[n - 1] == '/')
        out[n - 1] = 0;
    return 0;
}

static int make_root(struct hier *h, const char *own, const char *subtree)
{
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/%s", own, subtree);
    if (mkdir(b.s, 0755) < 0 && errno != EEXIST)
        return -errno;
    h->dfd = open(b.s, O_PATH | O_DIRECTORY | O_CLOEXEC);
    h->root = tk_buf_detach(&b);
    return 0;
}

/* v1: every hierarchy with a controller of ours where our cgroup is visible and writable. */
static int open_v1(struct sandbox_cgroups *cg, const char *subtree, bool hybrid)
{
    char own[4096], path[4096];
    size_t kept = 0;
    _cleanup_buf_ struct tk_buf names = TK_BUF_INIT;
    for (size_t i = 0; i < cg->n; i++) {
        struct hier h = cg->h[i];
        int c = __builtin_ctz(h.ctls);
        if (own_path(ctl_names[c], path, sizeof(path)) < 0 ||
            own_dir(&h, path, own, sizeof(own)) < 0 || make_root(&h, own, subtree) < 0)
            continue;
        for (int k = 0; k < CTL_N; k++)
            if (h.ctls & (1u << k)) {
                cg->of[k] = (int)kept;
                tk_buf_addf(&names, " %s", ctl_names[k]);
            }
        cg->h[kept++] = h;
    }
    cg->n = kept;
    if (!kept)
        return -ENOENT;
    cg->version = SANDBOX_CGROUP_V1;
    if (cg->of[CTL_MEMORY] >= 0) { /* (swap accounting is the kernel's, the same everywhere) */
        _cleanup_buf_ struct tk_buf sw = TK_BUF_INIT;
        tk_buf_addf(&sw, "%s/memory.memsw.limit_in_bytes", cg->h[cg->of[CTL_MEMORY]].root);
        cg->memsw = access(sw.s, F_OK) == 0;
    }
    snprintf(cg->desc, sizeof(cg->desc), "cgroup v1 (%s):%s, pods under %s",
             hybrid ? "hybrid" : "legacy", names.s, cg->h[0].root);
    return 0;
}

/* v2: let dir's children use the controllers we use that dir has: in one write, and one
 * write each when that fails (so a missing one does not stop the others). */
static void enable_controllers(const char *dir)
{
    _cleanup_free_ char *have = NULL;
    if (read_in(dir, "cgroup.controllers", &have) < 0)
        return;
    have[strcspn(have, "\n")] = 0;
    static const char *const want[] = {"memory", "cpu", "pids"};
    char all[64] = "";
    for (size_t i = 0; i < TK_ARRAY_SIZE(want); i++)
        if (has_word(have, want[i], ' '))
            snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s+%s", all[0] ? " " : "",
                     want[i]);
    if (!all[0] || sandbox_cgroup_write(dir, "cgroup.subtree_control", all) == 0)
        return;
    for (size_t i = 0; i < TK_ARRAY_SIZE(want); i++) {
        char w[32];
        snprintf(w, sizeof(w), "+%s", want[i]);
        if (has_word(have, want[i], ' '))
            sandbox_cgroup_write(dir, "cgroup.subtree_control", w);
    }
}

/* v2, move_self: the caller alone in OWN moves into OWN/agent, so that OWN may give
 * controllers to its children (no process may sit in a cgroup that does). Anyone else in
 * OWN is not ours to move: then OWN keeps its processes and controllers stay off. */
static void move_self(const char *own)
{
    _cleanup_free_ char *procs = NULL;
    if (read_in(own, "cgroup.procs", &procs) < 0)
        return;
    char self[32];
    snprintf(self, sizeof(self), "%d\n", (int)getpid());
    if (strcmp(procs, self))
        return;
    _cleanup_buf_ struct tk_buf leaf = TK_BUF_INIT;
    tk_buf_addf(&leaf, "%s/agent", own);
    if (mkdir(leaf.s, 0755) < 0 && errno != EEXIST)
        return;
    self[strlen(self) - 1] = 0;
    sandbox_cgroup_write(leaf.s, "cgroup.procs", self);
}

static int open_v2(struct sandbox_cgroups *cg, struct hier *v2,
                   const struct sandbox_cgroup_options *o)
{
    char own[4096], path[4096];
    int r;
    if (o->v2_own_dir) {
        snprintf(own, sizeof(own), "%s", o->v2_own_dir);
    } else {
        if ((r = own_path("", path, sizeof(path))) < 0 ||
            (r = own_dir(v2, path, own, sizeof(own))) < 0)
            return r;
        if (o->move_self && strcmp(path, "/"))
            move_self(own);
    }
    if (o->v2_own_dir && o->move_self) /* a test's tree: the same step against it */
        move_self(own);
    enable_controllers(own);
    cg->n = 1;
    if ((r = make_root(&cg->h[0], own, o->subtree)) < 0)
        return r;
    enable_controllers(cg->h[0].root);
    _cleanup_free_ char *have = NULL;
    if (read_in(cg->h[0].root, "cgroup.controllers", &have) == 0)
        have[strcspn(have, "\n")] = 0;
    for (int k = 0; k < CTL_N; k++) /* devices and freezer are built into v2 */
        if (k == CTL_DEVICES || k == CTL_FREEZER || k == CTL_CPUACCT ||
            (have && has_word(have, ctl_names[k], ' ')))
            cg->of[k] = 0;
    snprintf(cg->desc, sizeof(cg->desc), "cgroup v2: controllers '%s', pods under %s",
             have ? have : "", cg->h[0].root);
    cg->version = SANDBOX_CGROUP_V2;
    return 0;
}

int sandbox_cgroups_open(const struct sandbox_cgroup_options *o, struct sandbox_cgroups **out,
                         struct tk_err *err)
{
    struct sandbox_cgroups *cg = calloc(1, sizeof(*cg));
    struct hier v2 = {0};
    int r = 0;
    *out = NULL;
    if (!cg)
        return tk_err_sys(err, -ENOMEM, "set up cgroups");
    for (int k = 0; k < CTL_N; k++)
        cg->of[k] = -1;
    if (!o->subtree || !o->subtree[0] || strchr(o->subtree, '/') || o->subtree[0] == '.') {
        free(cg);
        return tk_err_set(err, -EINVAL, "cgroup subtree '%s': not a single name",
                          o->subtree ? o->subtree : "");
    }
    if (!o->v2_own_dir)
        r = scan_mounts(cg, &v2);
    if (r == 0 && cg->n && !o->v2_own_dir)
        r = open_v1(cg, o->subtree, v2.mnt[0] != 0);
    else if (r == 0 && (v2.mnt[0] || o->v2_own_dir))
        r = open_v2(cg, &v2, o);
    else if (r == 0)
        r = -ENOENT;
    if (r < 0) {
        sandbox_cgroups_free(cg);
        return tk_err_sys(err, r, "set up cgroups (no usable cgroup hierarchy)");
    }
    *out = cg;
    return 0;
}

void sandbox_cgroups_free(struct sandbox_cgroups *cg)
{
    if (!cg)
        return;
    for (size_t i = 0; i < MAX_HIER; i++) {
        if (cg->h[i].root && cg->h[i].dfd >= 0)
            close(cg->h[i].dfd);
        free(cg->h[i].root);
    }
    free(cg);
}

enum sandbox_cgroup_version sandbox_cgroups_version(const struct sandbox_cgroups *cg)
{
    return cg ? cg->version : SANDBOX_CGROUP_NONE;
}

const char *sandbox_cgroups_describe(const struct sandbox_cgroups *cg)
{
    return cg ? cg->desc : "no cgroups";
}

/* ---- paths ---- */

static int hpath(const struct hier *h, const char *pod, const char *ctr, char *buf, size_t size)
{
    int n = ctr ? snprintf(buf, size, "%s/%s/%s", h->root, pod, ctr)
                : snprintf(buf, size, "%s/%s", h->root, pod);
    return n >= (int)size ? -ENAMETOOLONG : 0;
}

static bool bad_name(const char *s)
{
    return !s || !s[0] || strchr(s, '/') || s[0] == '.';
}

int sandbox_cgroup_path(const struct sandbox_cgroups *cg, const char *controller, const char *pod,
                        const char *ctr, char *buf, size_t size)
{
    for (int k = 0; k < CTL_N; k++)
        if (!strcmp(controller, ctl_names[k]) && cg->of[k] >= 0)
            return hpath(&cg->h[cg->of[k]], pod, ctr, buf, size);
    if (cg->version == SANDBOX_CGROUP_V2)
        return hpath(&cg->h[0], pod, ctr, buf, size);
    return -ENOENT;
}

/* ---- limits ---- */

static int need(const struct sandbox_cgroups *cg, enum ctl k, const char *what, struct tk_err *err)
{
    if (cg->of[k] >= 0)
        return 0;
    return tk_err_set(err, -EOPNOTSUPP, "%s requested but no %s controller is available", what,
                      ctl_names[k]);
}

static int put(const char *dir, const char *file, const char *what, struct tk_err *err, long long v)
{
    char s[64];
    snprintf(s, sizeof(s), "%lld", v);
    int r = sandbox_cgroup_write(dir, file, s);
    if (r == -ENOENT)
        return tk_err_set(err, -EOPNOTSUPP, "%s requested but '%s' is not available in '%s'", what,
                          file, dir);
    return r < 0 ? tk_err_sys(err, r, "write '%s' to %s/%s", s, dir, file) : 0;
}

/* v1 memory: the limit and, where the kernel has it, memsw (no swap beyond the limit). The
 * kernel keeps limit <= memsw: a raise writes memsw first, a cut the limit first. */
static int memory_v1(const char *d, bool memsw, int64_t max, struct tk_err *err)
{
    int64_t v = max ? max : -1;
    int r = put(d, "memory.limit_in_bytes", "memory limit", err, v);
    if (r == -EINVAL && memsw) { /* a raise above memsw: memsw goes first */
        if ((r = put(d, "memory.memsw.limit_in_bytes", "memory limit", err, v)) == 0)
            r = put(d, "memory.limit_in_bytes", "memory limit", err, v);
        return r;
    }
    if (r == 0 && memsw)
        r = put(d, "memory.memsw.limit_in_bytes", "memory limit", err, v);
    return r;
}

/* update: an existing cgroup's limits rewritten, an unset memory or cpu limit written as
 * none (-1); else only what is set is written into a fresh cgroup. */
static int limits_v1(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                     const struct sandbox_cgroup_limits *l, bool update, struct tk_err *err)
{
    char d[4096];
    int r = 0;
    if ((l->memory_max || (update && cg->of[CTL_MEMORY] >= 0)) &&
        (r = need(cg, CTL_MEMORY, "memory limit", err)) == 0) {
        hpath(&cg->h[cg->of[CTL_MEMORY]], pod, ctr, d, sizeof(d));
        r = memory_v1(d, cg->memsw, l->memory_max, err);
    }
    bool cpu = l->cpu_quota_us || l->cpu_shares || (update && cg->of[CTL_CPU] >= 0);
    if (r == 0 && cpu && (r = need(cg, CTL_CPU, "cpu limit", err)) == 0) {
        hpath(&cg->h[cg->of[CTL_CPU]], pod, ctr, d, sizeof(d));
        if (l->cpu_shares)
            r = put(d, "cpu.shares", "cpu request", err, l->cpu_shares);
        /* (a fresh cgroup's period is already the kernel's default, 100 ms) */
        if (r == 0 && l->cpu_quota_us && update)
            r = put(d, "cpu.cfs_period_us", "cpu limit", err, SANDBOX_CGROUP_CPU_PERIOD_US);
        if (r == 0 && (l->cpu_quota_us || update))
            r = put(d, "cpu.cfs_quota_us", "cpu limit", err,
                    l->cpu_quota_us ? l->cpu_quota_us : -1);
    }
    if (r == 0 && l->pids_max && (r = need(cg, CTL_PIDS, "pids limit", err)) == 0) {
        hpath(&cg->h[cg->of[CTL_PIDS]], pod, ctr, d, sizeof(d));
        r = put(d, "pids.max", "pids limit", err, l->pids_max);
    }
    if (r == 0 && l->devices && !update && (r = need(cg, CTL_DEVICES, "device policy", err)) == 0) {
        hpath(&cg->h[cg->of[CTL_DEVICES]], pod, ctr, d, sizeof(d));
        r = sandbox_cgroup_devices_v1(d, err);
    }
    return r;
}

static int put_s(const char *d, const char *file, const char *s, struct tk_err *err)
{
    int r = sandbox_cgroup_write(d, file, s);
    return r < 0 ? tk_err_sys(err, r, "write '%s' to %s/%s", s, d, file) : 0;
}

/* runc's shares to weight: [2, 262144] to [1, 10000] */
int64_t sandbox_cgroup_shares_to_weight(int64_t shares)
{
    return shares ? 1 + ((shares - 2) * 9999) / 262142 : 0;
}

static int limits_v2(const struct sandbox_cgroups *cg, const char *d,
                     const struct sandbox_cgroup_limits *l, bool update, struct tk_err *err)
{
    int r = 0;
    bool mem = l->memory_max || (update && cg->of[CTL_MEMORY] >= 0);
    if (mem && (r = need(cg, CTL_MEMORY, "memory limit", err)) == 0)
        r = l->memory_max ? put(d, "memory.max", "memory limit", err, l->memory_max)
                          : put_s(d, "memory.max", "max", err);
    if (r == 0 && l->memory_max) {
        int s = sandbox_cgroup_write(d, "memory.swap.max", "0"); /* no swap beyond it */
        if (s < 0 && s != -ENOENT)
            r = tk_err_sys(err, s, "write 0 to %s/memory.swap.max", d);
    }
    if (r == 0 && (l->cpu_quota_us || l->cpu_shares))
        r = need(cg, CTL_CPU, "cpu limit", err);
    if (r == 0 && l->cpu_shares)
        r = put(d, "cpu.weight", "cpu request", err,
                sandbox_cgroup_shares_to_weight(l->cpu_shares));
    if (r == 0 && (l->cpu_quota_us || (update && cg->of[CTL_CPU] >= 0))) {
        char s[64];
        if (l->cpu_quota_us)
            snprintf(s, sizeof(s), "%lld %d", (long long)l->cpu_quota_us,
                     SANDBOX_CGROUP_CPU_PERIOD_US);
        else
            snprintf(s, sizeof(s), "max %d", SANDBOX_CGROUP_CPU_PERIOD_US);
        r = put_s(d, "cpu.max", s, err);
    }
    if (r == 0 && l->pids_max && (r = need(cg, CTL_PIDS, "pids limit", err)) == 0)
        r = put(d, "pids.max", "pids limit", err, l->pids_max);
    if (r == 0 && l->devices && !update)
        r = sandbox_cgroup_devices_v2(d, err);
    return r;
}

/* ---- create, join ---- */

/* A fresh container cgroup: an empty one left from before is removed and made again, so no
 * earlier device program or limit stays. */
static int mkdir_fresh(const char *d, bool fresh)
{
    if (mkdir(d, 0755) == 0)
        return 0;
    if (errno != EEXIST)
        return -errno;
    if (!fresh)
        return 0;
    if (rmdir(d) < 0)
        return -errno;
    return mkdir(d, 0755) < 0 ? -errno : 0;
}

int sandbox_cgroup_create(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                          const struct sandbox_cgroup_limits *limits, struct tk_err *err)
{
    char d[4096];
    int r;
    if (bad_name(pod) || (ctr && bad_name(ctr)))
        return tk_err_set(err, -EINVAL, "create cgroup: bad name");
    for (size_t i = 0; i < cg->n; i++) {
        if ((r = hpath(&cg->h[i], pod, NULL, d, sizeof(d))) < 0 || (r = mkdir_fresh(d, 0)) < 0)
            return tk_err_sys(err, r, "create cgroup '%s'", d);
        if (cg->version == SANDBOX_CGROUP_V2 && ctr)
            enable_controllers(d);
        if (ctr &&
            ((r = hpath(&cg->h[i], pod, ctr, d, sizeof(d))) < 0 || (r = mkdir_fresh(d, 1)) < 0))
            return tk_err_sys(err, r, "create cgroup '%s'", d);
    }
    if (!limits)
        return 0;
    if (cg->version == SANDBOX_CGROUP_V2) {
        hpath(&cg->h[0], pod, ctr, d, sizeof(d));
        return limits_v2(cg, d, limits, false, err);
    }
    return limits_v1(cg, pod, ctr, limits, false, err);
}

int sandbox_cgroup_update(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                          const struct sandbox_cgroup_limits *limits, struct tk_err *err)
{
    char d[4096];
    if (bad_name(pod) || (ctr && bad_name(ctr)))
        return tk_err_set(err, -EINVAL, "update cgroup: bad name");
    if (!cg->n || hpath(&cg->h[0], pod, ctr, d, sizeof(d)) < 0 || access(d, F_OK) < 0)
        return tk_err_set(err, -ENOENT, "update cgroup of '%s%s%s': it does not exist", pod,
                          ctr ? "/" : "", ctr ? ctr : "");
    if (cg->version == SANDBOX_CGROUP_V2)
        return limits_v2(cg, d, limits, true, err);
    return limits_v1(cg, pod, ctr, limits, true, err);
}

int sandbox_cgroup_join(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                        pid_t pid, struct tk_err *err)
{
    char d[4096], s[32];
    snprintf(s, sizeof(s), "%d", (int)pid);
    for (size_t i = 0; i < cg->n; i++) {
        int r = hpath(&cg->h[i], pod, ctr, d, sizeof(d));
        if (r == 0)
            r = sandbox_cgroup_write(d, "cgroup.procs", s);
        if (r < 0)
            return tk_err_sys(err, r, "move pid %d into cgroup '%s'", (int)pid, d);
    }
    return 0;
}

/* ---- kill, remove ---- */

/* Call fn(dir) for dir and each cgroup below it, children first. */
static int walk(const char *dir, int (*fn)(const char *dir, void *data), void *data)
{
    _cleanup_closedir_ DIR *dd = opendir(dir);
    struct dirent *de;
    int total = 0;
    if (!dd)
        return -errno;
    while ((de = readdir(dd))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_buf_ struct tk_buf sub = TK_BUF_INIT;
        tk_buf_addf(&sub, "%s/%s", dir, de->d_name);
        int r = walk(sub.s, fn, data);
        if (r > 0)
            total += r;
    }
    int r = fn(dir, data);
    return r > 0 ? total + r : total;
}

/* Signal each pid in dir/cgroup.procs (sig 0: count them). */
static int signal_procs(const char *dir, void *data)
{
    int sig = *(int *)data, n = 0;
    _cleanup_free_ char *procs = NULL;
    if (read_in(dir, "cgroup.procs", &procs) < 0)
        return 0;
    for (char *p = procs, *e; *p; p = e) {
        long v = strtol(p, &e, 10);
        if (e == p)
            break;
        e += strspn(e, "\n");
        if (v > 0 && (!sig || kill((pid_t)v, sig) == 0 || errno != ESRCH))
            n++;
    }
    return n;
}

static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int freezer_state(const char *dir, const char *state)
{
    int r = sandbox_cgroup_write(dir, "freezer.state", state);
    for (int i = 0; r == 0 && !strcmp(state, "FROZEN") && i < 100; i++) {
        _cleanup_free_ char *now = NULL;
        if (read_in(dir, "freezer.state", &now) < 0 || !strncmp(now, "FROZEN", 6))
            break;
        pause_ms(1);
    }
    return r;
}

int sandbox_cgroup_kill(const struct sandbox_cgroups *cg, const char *pod, const char *ctr)
{
    char d[4096];
    int sig = 0, k = cg->of[CTL_FREEZER] >= 0 ? cg->of[CTL_FREEZER] : 0;
    if (!cg->n || hpath(&cg->h[k], pod, ctr, d, sizeof(d)) < 0 || access(d, F_OK) < 0)
        return 0;
    int n = walk(d, signal_procs, &sig);
    if (n <= 0)
        return 0;
    sig = SIGKILL;
    if (cg->version == SANDBOX_CGROUP_V2 && sandbox_cgroup_write(d, "cgroup.kill", "1") == 0)
        return n;
    bool frozen = cg->version == SANDBOX_CGROUP_V1 && cg->of[CTL_FREEZER] >= 0 &&
                  freezer_state(d, "FROZEN") == 0;
    for (int i = 0; i < 20 && walk(d, signal_procs, &sig) > 0; i++)
        if (!frozen) /* a process may fork while we read: go round until none is left */
            pause_ms(1);
        else
            break;
    if (frozen)
        freezer_state(d, "THAWED");
    return n;
}

static int rm_one(const char *dir, void *data)
{
    (void)data;
    return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

int sandbox_cgroup_remove(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                          struct tk_err *err)
{
    char d[4096];
    if (bad_name(pod) || (ctr && bad_name(ctr)))
        return tk_err_set(err, -EINVAL, "remove cgroup: bad name");
    sandbox_cgroup_kill(cg, pod, ctr);
    for (size_t i = 0; i < cg->n; i++) {
        if (hpath(&cg->h[i], pod, ctr, d, sizeof(d)) < 0)
            continue;
        /* The killed die within moments; their cgroup is busy until they did. */
        for (int t = 0; t < 500; t++) {
            walk(d, rm_one, NULL);
            if (access(d, F_OK) < 0)
                break;
            pause_ms(1);
        }
        if (access(d, F_OK) == 0)
            return tk_err_set(err, -EBUSY, "remove cgroup '%s': processes still in it", d);
    }
    return 0;
}

/* ---- listing ---- */

static int add_name(char ***v, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp((*v)[i], name))
            return n;
    char **nv = realloc(*v, (size_t)(n + 2) * sizeof(char *));
    if (!nv)
        return -ENOMEM;
    *v = nv;
    if (!(nv[n] = strdup(name)))
        return -ENOMEM;
    nv[n + 1] = NULL;
    return n + 1;
}

int sandbox_cgroup_list(const struct sandbox_cgroups *cg, const char *pod, char ***names)
{
    int n = 0;
    *names = NULL;
    for (size_t i = 0; i < cg->n && n >= 0; i++) {
        _cleanup_buf_ struct tk_buf d = TK_BUF_INIT;
        tk_buf_addf(&d, "%s%s%s", cg->h[i].root, pod ? "/" : "", pod ? pod : "");
        _cleanup_closedir_ DIR *dd = opendir(d.s);
        struct dirent *de;
        while (dd && n >= 0 && (de = readdir(dd)))
            if (de->d_type == DT_DIR && de->d_name[0] != '.')
                n = add_name(names, n, de->d_name);
    }
    return n;
}

int sandbox_cgroup_count_procs(const struct sandbox_cgroups *cg, const char *pod, const char *ctr)
{
    char d[4096];
    int sig = 0;
    if (!cg->n || hpath(&cg->h[0], pod, ctr, d, sizeof(d)) < 0)
        return -ENOENT;
    if (access(d, F_OK) < 0)
        return -errno;
    return walk(d, signal_procs, &sig);
}

int sandbox_cgroups_remove_all(const struct sandbox_cgroups *cg, struct tk_err *err)
{
    char **names = NULL;
    int n = sandbox_cgroup_list(cg, NULL, &names), r = n < 0 ? n : 0;
    for (int i = 0; i < n; i++) {
        if (r == 0)
            r = sandbox_cgroup_remove(cg, names[i], NULL, err);
        free(names[i]);
    }
    free(names);
    for (size_t i = 0; r == 0 && i < cg->n; i++)
        if (rmdir(cg->h[i].root) < 0 && errno != ENOENT)
            r = tk_err_sys(err, -errno, "remove cgroup '%s'", cg->h[i].root);
    return r;
}

bool sandbox_cgroups_has(const struct sandbox_cgroups *cg, const char *controller)
{
    for (int k = 0; cg && k < CTL_N; k++)
        if (!strcmp(controller, ctl_names[k]))
            return cg->of[k] >= 0;
    return false;
}

int64_t sandbox_cgroup_oom_kills(const struct sandbox_cgroups *cg, const char *pod, const char *ctr)
{
    char d[4096];
    _cleanup_free_ char *s = NULL;
    if (!cg || sandbox_cgroup_path(cg, "memory", pod, ctr, d, sizeof(d)) < 0)
        return -ENOENT;
    int r =
        read_in(d, cg->version == SANDBOX_CGROUP_V2 ? "memory.events" : "memory.oom_control", &s);
    if (r < 0)
        return r;
    for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, "oom_kill ", 9)) {
            char *end;
            long long v = strtoll(l + 9, &end, 10);
            return end > l + 9 && v >= 0 ? v : -EINVAL;
        }
    return -ENOENT;
}

/* The number after "key " on a line of a flat-keyed file's text. */
static int keyed(const char *text, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, n) && l[n] == ' ') {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(l + n + 1, &end, 10);
            if (end == l + n + 1 || errno)
                return -EINVAL;
            *out = v;
            return 0;
        }
    return -ENOENT;
}

/* Usage files are read often (every API answer, every scrape) for every pod: each one
 * relative to the hierarchy's kept root fd (a short lookup instead of the whole path), in
 * one read into buf (a cgroup file's text comes whole when it fits), no stat. */
static int read_usage_file(const struct hier *h, const char *pod, const char *ctr, const char *file,
                           char *buf, size_t size)
{
    char rel[1024];
    int n = ctr ? snprintf(rel, sizeof(rel), "%s/%s/%s", pod, ctr, file)
                : snprintf(rel, sizeof(rel), "%s/%s", pod, file);
    if (n >= (int)sizeof(rel))
        return -ENAMETOOLONG;
    _cleanup_close_ int fd = -1;
    if (h->dfd >= 0) {
        fd = openat(h->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    } else {
        char abs[4096];
        if (snprintf(abs, sizeof(abs), "%s/%s", h->root, rel) >= (int)sizeof(abs))
            return -ENAMETOOLONG;
        fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0)
        return -errno;
    ssize_t got;
    do
        got = read(fd, buf, size - 1);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return -errno;
    buf[got] = 0;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno)
        return -EINVAL;
    *out = v;
    return 0;
}

static int memory_ws(const struct sandbox_cgroups *cg, const struct hier *h, const char *pod,
                     const char *ctr, uint64_t *out)
{
    bool v2 = cg->version == SANDBOX_CGROUP_V2;
    uint64_t usage = 0, inactive = 0;
    char buf[8192];
    int r = read_usage_file(h, pod, ctr, v2 ? "memory.current" : "memory.usage_in_bytes", buf,
                            sizeof(buf));
    if (r == 0)
        r = parse_u64(buf, &usage);
    if (r == 0 && read_usage_file(h, pod, ctr, "memory.stat", buf, sizeof(buf)) == 0)
        keyed(buf, v2 ? "inactive_file" : "total_inactive_file", &inactive);
    if (r == 0)
        *out = usage > inactive ? usage - inactive : 0;
    return r;
}

int sandbox_cgroup_usage(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                         uint64_t *cpu_ns, uint64_t *memory_bytes)
{
    int rc = -ENOENT, rm = -ENOENT;
    char buf[4096];
    *cpu_ns = UINT64_MAX;
    if (memory_bytes)
        *memory_bytes = UINT64_MAX;
    if (!cg || bad_name(pod) || (ctr && bad_name(ctr)))
        return -ENOENT;
    if (cg->version == SANDBOX_CGROUP_V2) {
        uint64_t us = 0;
        if ((rc = read_usage_file(&cg->h[0], pod, ctr, "cpu.stat", buf, sizeof(buf))) == 0 &&
            (rc = keyed(buf, "usage_usec", &us)) == 0)
            *cpu_ns = us * 1000;
    } else if (cg->of[CTL_CPUACCT] >= 0) {
        rc = read_usage_file(&cg->h[cg->of[CTL_CPUACCT]], pod, ctr, "cpuacct.usage", buf,
                             sizeof(buf));
        if (rc == 0)
            rc = parse_u64(buf, cpu_ns);
    }
    if (!memory_bytes)
        return rc;
    if (cg->of[CTL_MEMORY] >= 0)
        rm = memory_ws(cg, &cg->h[cg->of[CTL_MEMORY]], pod, ctr, memory_bytes);
    return rc < 0 ? rc : rm;
}

/* ---- joining another process' cgroups ---- */

/* The hierarchy a /proc/PID/cgroup line's controller list belongs to (NULL = none of ours). */
static struct hier *hier_of(struct sandbox_cgroups *cg, struct hier *v2, const char *num,
                            const char *ctls)
{
    if (!strcmp(num, "0") && !ctls[0])
        return v2->mnt[0] ? v2 : NULL;
    unsigned m = ctls_of(ctls);
    for (size_t i = 0; m && i < cg->n; i++)
        if (cg->h[i].ctls & m)
            return &cg->h[i];
    return NULL;
}

/* The cgroup mounts as dirs_like() needs them, read again at most every 10 s, so that an
 * exec probe does not parse a mountinfo of thousands of lines each time. */
static struct {
    bool valid;
    struct timespec at;
    struct sandbox_cgroups cg;
    struct hier v2;
} mounts_cache;

static int mounts_cached(struct sandbox_cgroups **cg, struct hier **v2)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!mounts_cache.valid || now.tv_sec - mounts_cache.at.tv_sec >= 10) {
        memset(&mounts_cache, 0, sizeof(mounts_cache));
        int r = scan_mounts(&mounts_cache.cg, &mounts_cache.v2);
        if (r < 0)
            return r;
        mounts_cache.valid = true;
        mounts_cache.at = now;
    }
    *cg = &mounts_cache.cg, *v2 = &mounts_cache.v2; /* (no copy: 70 KiB) */
    return 0;
}

int sandbox_cgroup_dirs_like(pid_t of, struct tk_buf *dirs, struct tk_err *err)
{
    struct sandbox_cgroups *cg;
    struct hier *v2;
    char path[64], dir[4096];
    _cleanup_free_ char *body = NULL;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)of);
    int r = mounts_cached(&cg, &v2);
    if (r >= 0)
        r = tk_read_file(path, 1 << 16, &body, NULL);
    if (r < 0)
        return tk_err_sys(err, r, "read the cgroups of process %d", (int)of);
    for (char *line = body, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c2[1] != '/')
            continue;
        *c1 = *c2 = 0;
        struct hier *h = hier_of(cg, v2, line, c1 + 1);
        if (h && own_dir(h, c2 + 1, dir, sizeof(dir)) == 0)
            tk_buf_add(dirs, dir, strlen(dir) + 1);
    }
    return 0;
}
