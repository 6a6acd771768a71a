#include "agent/config.h"
#include "spec/spec.h"

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/parse.h"
#include "sandbox/container.h"

enum value_kind {
    V_STRING,
    V_PATH,
    V_LIST,
    V_DURATION,
    V_SECONDS,
    V_SIZE,
    V_PERCENT,
    V_AGE,
    V_BOOL,
    V_ID_RANGES,
    V_COUNT,
    V_MEMORY,
    V_CPU,
    V_FILES,
    V_DEPTH
};

struct key {
    const char *section;
    const char *name;
    enum value_kind kind;
    size_t off;       /* offset of the field in struct tank_config */
    size_t count_off; /* for lists: offset of the count */
};

#define FIELD(f) offsetof(struct tank_config, f)
static const struct key keys[] = {
    {"host", "uplink", V_STRING, FIELD(uplink), 0},
    {"host", "dns", V_LIST, FIELD(dns), FIELD(n_dns)},
    {"host", "dns_search", V_LIST, FIELD(dns_search), FIELD(n_dns_search)},
    {"host", "labels", V_LIST, FIELD(host_labels), FIELD(n_host_labels)},
    {"agent", "pods_dir", V_PATH, FIELD(pods_dir), 0},
    {"agent", "secrets_dir", V_PATH, FIELD(secrets_dir), 0},
    {"agent", "state_dir", V_PATH, FIELD(state_dir), 0},
    {"agent", "run_dir", V_PATH, FIELD(run_dir), 0},
    {"agent", "log_dir", V_PATH, FIELD(log_dir), 0},
    {"agent", "socket", V_PATH, FIELD(socket), 0},
    {"agent", "resync_seconds", V_SECONDS, FIELD(resync_ms), 0},
    {"agent", "group", V_STRING, FIELD(group), 0},
    {"agent", "metrics_listen", V_STRING, FIELD(metrics_listen), 0},
    {"registry", "insecure", V_LIST, FIELD(insecure), FIELD(n_insecure)},
    {"registry", "mirror", V_LIST, FIELD(mirror), FIELD(n_mirror)},
    {"registry", "auth_file", V_PATH, FIELD(auth_file), 0},
    {"registry", "max_layer_size", V_SIZE, FIELD(max_layer_size), 0},
    {"images", "image_gc_high_percent", V_PERCENT, FIELD(image_gc_high_percent), 0},
    {"images", "image_gc_low_percent", V_PERCENT, FIELD(image_gc_low_percent), 0},
    {"images", "image_gc_min_age", V_AGE, FIELD(image_gc_min_age_ms), 0},
    {"security", "userns_ranges", V_ID_RANGES, FIELD(userns_ranges), FIELD(n_userns_ranges)},
    {"security", "default_host_users", V_BOOL, FIELD(default_host_users), 0},
    {"restart", "backoff_initial", V_DURATION, FIELD(backoff_initial_ms), 0},
    {"restart", "backoff_max", V_DURATION, FIELD(backoff_max_ms), 0},
    {"restart", "backoff_reset", V_DURATION, FIELD(backoff_reset_ms), 0},
    {"resources", "cgroup", V_STRING, FIELD(cgroup), 0},
    {"resources", "pod_pids_limit", V_COUNT, FIELD(pod_pids_limit), 0},
    {"resources", "reserved_memory", V_MEMORY, FIELD(reserved_memory), 0},
    {"resources", "reserved_cpu", V_CPU, FIELD(reserved_cpu_milli), 0},
    {"security", "seccomp_dir", V_PATH, FIELD(seccomp_dir), 0},
    {"logs", "max_size", V_SIZE, FIELD(log_max_size), 0},
    {"logs", "max_files", V_FILES, FIELD(log_max_files), 0},
    {"sync", "repo", V_STRING, FIELD(sync_repo), 0},
    {"sync", "ref", V_STRING, FIELD(sync_ref), 0},
    {"sync", "period", V_DURATION, FIELD(sync_period_ms), 0},
    {"sync", "root", V_PATH, FIELD(sync_root), 0},
    {"sync", "link", V_STRING, FIELD(sync_link), 0},
    {"sync", "depth", V_DEPTH, FIELD(sync_depth), 0},
    {"sync", "ssh_key", V_PATH, FIELD(sync_ssh_key), 0},
    {"sync", "known_hosts", V_PATH, FIELD(sync_known_hosts), 0},
    {"sync", "timeout", V_DURATION, FIELD(sync_timeout_ms), 0},
};

/* Without [security] userns_ranges: the subordinate ids of user "tank" (both /etc/subuid
 * and /etc/subgid, as podman reads them), else the built-in range. */
static void config_default_userns_ranges(struct tank_config *cfg)
{
    struct passwd pw, *found = NULL;
    char buf[1024], uid[16] = "";
    if (getpwnam_r("tank", &pw, buf, sizeof(buf), &found) == 0 && found)
        snprintf(uid, sizeof(uid), "%u", (unsigned)pw.pw_uid);
    int n = sandbox_userns_subid_ranges("/etc/subuid", "/etc/subgid", "tank", uid[0] ? uid : NULL,
                                        cfg->userns_ranges);
    if (n > 0) {
        cfg->n_userns_ranges = (size_t)n;
        return;
    }
    cfg->userns_ranges[0] =
        (struct sandbox_id_range){SANDBOX_USERNS_DEFAULT_START, SANDBOX_USERNS_DEFAULT_COUNT};
    cfg->n_userns_ranges = 1;
}

void config_defaults(struct tank_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->pods_dir = tk_xstrdup("/etc/tank/pods");
    cfg->secrets_dir = tk_xstrdup("/etc/tank/secrets");
    cfg->state_dir = tk_xstrdup("/var/lib/tank");
    cfg->run_dir = tk_xstrdup("/run/tank");
    cfg->log_dir = tk_xstrdup("/var/log/tank");
    cfg->socket = tk_xstrdup("/run/tank/tank.sock");
    cfg->resync_ms = 60 * 1000;
    cfg->gid = (gid_t)-1;
    cfg->max_layer_size = 8ULL << 30;
    cfg->image_gc_high_percent = 85;
    cfg->image_gc_low_percent = 80;
    cfg->image_gc_min_age_ms = 2 * 60 * 1000;
    cfg->default_host_users = 1;
    config_default_userns_ranges(cfg);
    cfg->backoff_initial_ms = 10 * 1000;
    cfg->backoff_max_ms = 300 * 1000;
    cfg->backoff_reset_ms = 600 * 1000;
    cfg->cgroup = tk_xstrdup("pods");
    cfg->pod_pids_limit = 4096;
    cfg->reserved_memory = 100 << 20;
    cfg->seccomp_dir = tk_xstrdup("/etc/tank/seccomp");
    cfg->log_max_size = 10 << 20;
    cfg->log_max_files = 2;
    cfg->sync_period_ms = 30 * 1000;
    cfg->sync_root = tk_xstrdup("/var/lib/tank/repo");
    cfg->sync_link = tk_xstrdup("current");
    cfg->sync_depth = 1;
    cfg->sync_timeout_ms = 120 * 1000;
}

struct load_ctx {
    FILE *file;
    int line;         /* line last read: inih calls the reader once per line */
    int section_line; /* line of the last [section] header */
    struct tank_config *cfg;
    const char *path;
    struct tk_err *err;
    int failed;
};

static int set_list(char **list, size_t *n, const char *value, struct load_ctx *ctx, int line,
                    const struct key *k)
{
    for (size_t i = 0; i < *n; i++)
        free(list[i]);
    *n = 0;
    const char *p = value;
    while (*p) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (!len)
            break;
        if (*n == CONFIG_MAX_LIST)
            return tk_err_set(ctx->err, -EINVAL, "%s:%d: [%s] %s: more than %d entries", ctx->path,
                              line, k->section, k->name, CONFIG_MAX_LIST);
        list[(*n)++] = tk_xstrndup(p, len);
        p += len;
    }
    return 0;
}

/* "85", "85%", or "off" (= 0): a whole percentage 0-100. */
static int parse_percent(const char *value, int *out)
{
    if (!strcmp(value, "off")) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (end == value || errno || v < 0 || v > 100 || (*end && strcmp(end, "%")))
        return -EINVAL;
    *out = (int)v;
    return 0;
}

static int apply_security(struct load_ctx *ctx, const struct key *k, const char *value, int line)
{
    char *base = (char *)ctx->cfg;
    struct tk_err e = {0};
    if (k->kind == V_BOOL) {
        int v = !strcmp(value, "true") ? 1 : !strcmp(value, "false") ? 0 : -1;
        if (v < 0)
            return tk_err_set(ctx->err, -EINVAL, "%s:%d: [%s] %s: '%s' is not true or false",
                              ctx->path, line, k->section, k->name, value);
        *(int *)(base + k->off) = v;
        return 0;
    }
    int n = sandbox_userns_parse_ranges(value, (struct sandbox_id_range *)(base + k->off), &e);
    if (n < 0)
        return tk_err_set(ctx->err, n, "%s:%d: [%s] %s: %s", ctx->path, line, k->section, k->name,
                          e.msg);
    *(size_t *)(base + k->count_off) = (size_t)n;
    return 0;
}

/* "4096", or "off" (= 0): a count of processes, up to the kernel's largest pid_max. */
static int parse_count(const char *value, int64_t *out)
{
    if (!strcmp(value, "off")) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (end == value || errno || *end || v < 1 || v > 4194304)
        return -EINVAL;
    *out = v;
    return 0;
}

/* A value of one of the scalar kinds into dst: 0, or -1 with what it should have been in
 * want ("a duration (like 250ms, 10s, 5m)"). */
static int parse_scalar(const struct key *k, const char *value, char *dst, char *want, size_t size)
{
    int64_t n;
    uint64_t bytes;
    switch (k->kind) {
    case V_PERCENT:
        snprintf(want, size, "a percentage (0 to 100, or off)");
        return parse_percent(value, (int *)dst);
    case V_MEMORY:
    case V_CPU:
        snprintf(want, size, "a quantity (like %s)", k->kind == V_CPU ? "500m, 1" : "512Mi");
        if (spec_quantity_parse(value, &n, NULL, 0) < 0)
            return -1;
        *(int64_t *)dst = k->kind == V_CPU ? n : (n + 999) / 1000;
        return 0;
    case V_COUNT:
        snprintf(want, size, "a number of processes (1 to 4194304, or off)");
        return parse_count(value, (int64_t *)dst);
    case V_AGE:
        if (!strcmp(value, "off")) {
            *(int64_t *)dst = 0;
            return 0;
        }
        __attribute__((fallthrough));
    case V_DURATION:
    case V_SECONDS:
        snprintf(want, size, "a duration (like 250ms, 10s, 5m)");
        if (tk_parse_duration_ms(value, &n) < 0 || n < 0)
            return -1;
        *(int64_t *)dst = n;
        return 0;
    case V_SIZE:
        snprintf(want, size, "a size (like 512Mi, 8Gi)");
        if (tk_parse_quantity(value, &bytes) < 0 || bytes == 0)
            return -1;
        *(uint64_t *)dst = bytes;
        return 0;
    case V_FILES:
        snprintf(want, size, "a number of files (2 to %d)", SANDBOX_LOG_MAX_FILES);
        return tk_parse_int64(value, 2, SANDBOX_LOG_MAX_FILES, (int64_t *)dst) < 0 ? -1 : 0;
    case V_DEPTH:
        snprintf(want, size, "a number of commits (0 = all)");
        return tk_parse_int64(value, 0, INT32_MAX, (int64_t *)dst) < 0 ? -1 : 0;
    default:
        snprintf(want, size, "a value of this key");
        return -1;
    }
}

static int apply(struct load_ctx *ctx, const struct key *k, const char *value, int line)
{
    char *base = (char *)ctx->cfg;
    char **str = (char **)(base + k->off);
    char want[96];
    switch (k->kind) {
    case V_PATH:
        if (value[0] && value[0] != '/') {
            snprintf(want, sizeof(want), "an absolute path");
            break;
        }
        __attribute__((fallthrough));
    case V_STRING:
        free(*str);
        *str = value[0] ? tk_xstrdup(value) : NULL;
        return 0;
    case V_LIST:
        return set_list(str, (size_t *)(base + k->count_off), value, ctx, line, k);
    case V_BOOL:
    case V_ID_RANGES:
        return apply_security(ctx, k, value, line);
    default:
        if (parse_scalar(k, value, base + k->off, want, sizeof(want)) == 0)
            return 0;
    }
    return tk_err_set(ctx->err, -EINVAL, "%s:%d: [%s] %s: '%s' is not %s", ctx->path, line,
                      k->section, k->name, value, want);
}

static bool section_known(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strlen(keys[i].section) == len && !strncmp(keys[i].section, name, len))
            return true;
    return false;
}

/* inih reports a section only with its first key: check headers as lines are read, so an
 * unknown section is an error even when it is empty. */
static char *read_line(char *str, int num, void *stream)
{
    struct load_ctx *ctx = stream;
    char *r = fgets(str, num, ctx->file);
    if (!r)
        return r;
    ctx->line++;
    const char *p = str + strspn(str, " \t");
    if (*p != '[')
        return r;
    ctx->section_line = ctx->line;
    size_t len = strcspn(p + 1, "]\n");
    if (p[1 + len] == ']' && !section_known(p + 1, len) && !ctx->failed) {
        tk_err_set(ctx->err, -EINVAL, "%s:%d: unknown section [%.*s]", ctx->path, ctx->line,
                   (int)len, p + 1);
        ctx->failed = 1;
    }
    return r;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *ctx = user;
    int line = ctx->line;
    if (ctx->failed)
        return 0;
    bool section_known = false;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        section_known = true;
        if (!name || strcmp(keys[i].name, name) != 0)
            continue;
        if (apply(ctx, &keys[i], value, line) < 0)
            ctx->failed = 1;
        return 1;
    }
    if (!section_known)
        tk_err_set(ctx->err, -EINVAL, "%s:%d: unknown section [%s]", ctx->path, ctx->section_line,
                   section);
    else if (name)
        tk_err_set(ctx->err, -EINVAL, "%s:%d: unknown key '%s' in section [%s]", ctx->path, line,
                   name, section);
    else
        return 1; /* a known section header */
    ctx->failed = 1;
    return 1;
}

/* [agent] group: a group name (or a number) that exists. */
static int resolve_group(struct tank_config *cfg, const char *path, struct tk_err *err)
{
    struct group gr, *found = NULL;
    char buf[4096];
    uint32_t id;
    if (getgrnam_r(cfg->group, &gr, buf, sizeof(buf), &found) == 0 && found) {
        cfg->gid = gr.gr_gid;
        return 0;
    }
    if (tk_parse_uint32(cfg->group, &id) == 0 && id != UINT32_MAX) {
        cfg->gid = (gid_t)id;
        return 0;
    }
    return tk_err_set(err, -EINVAL, "%s: [agent] group: no group '%s' on this host", path,
                      cfg->group);
}

mode_t config_dir_mode(const struct tank_config *cfg)
{
    return cfg->group ? 0750 : 0700;
}

mode_t config_file_mode(const struct tank_config *cfg)
{
    return cfg->group ? 0640 : 0600;
}

int config_make_dir(const struct tank_config *cfg, const char *dir, bool inherit)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
    mode_t mode = config_dir_mode(cfg) | (cfg->group && inherit ? S_ISGID : 0);
    int r = tk_mkdir_p(dir, mode & 0777);
    if (r == 0 && cfg->group && chown(dir, (uid_t)-1, cfg->gid) < 0)
        r = -errno;
    if (r == 0 && chmod(dir, mode) < 0) /* after chown, which clears set-group-ID */
        r = -errno;
    return r;
}

int config_chown_fd(const struct tank_config *cfg, int fd)
{
    if (!cfg->group)
        return 0;
    return fchown(fd, (uid_t)-1, cfg->gid) < 0 ? -errno : 0;
}

static int check_host_sync(const struct tank_config *cfg, const char *path, struct tk_err *err)
{
    for (size_t i = 0; i < cfg->n_host_labels; i++) {
        const char *l = cfg->host_labels[i], *eq = strchr(l, '=');
        if (!eq || eq == l || strchr(eq + 1, '='))
            return tk_err_set(err, -EINVAL, "%s: [host] labels: '%s' is not key=value", path, l);
    }
    const char *l = cfg->sync_link;
    if (!l || !strcmp(l, ".") || !strcmp(l, "..") || strchr(l, '/'))
        return tk_err_set(err, -EINVAL, "%s: [sync] link: '%s' is not a file name", path,
                          l ? l : "");
    if (!cfg->sync_root)
        return tk_err_set(err, -EINVAL, "%s: [sync] root: no directory given", path);
    if (cfg->sync_repo && cfg->sync_period_ms < 1000)
        return tk_err_set(err, -EINVAL, "%s: [sync] period: shorter than 1s", path);
    if (cfg->sync_repo && cfg->sync_timeout_ms < 1000)
        return tk_err_set(err, -EINVAL, "%s: [sync] timeout: shorter than 1s", path);
    return 0;
}

/* "%H" in pods_dir: the host name, "%%": '%'. One tank.ini serves a fleet. */
static int expand_pods_dir(struct tank_config *cfg, const char *path, struct tk_err *err)
{
    if (!cfg->pods_dir || !strchr(cfg->pods_dir, '%'))
        return 0;
    struct utsname u;
    if (uname(&u) < 0)
        return tk_err_sys(err, -errno, "%s: [agent] pods_dir: read the host name", path);
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    for (const char *p = cfg->pods_dir; *p; p++) {
        if (*p != '%') {
            tk_buf_addc(&b, *p);
            continue;
        }
        if (p[1] == 'H')
            tk_buf_adds(&b, u.nodename);
        else if (p[1] == '%')
            tk_buf_addc(&b, '%');
        else
            return tk_err_set(err, -EINVAL,
                              "%s: [agent] pods_dir: '%%%.1s' is not %%H (host name) or %%%%", path,
                              p + 1);
        p++;
    }
    free(cfg->pods_dir);
    cfg->pods_dir = tk_buf_detach(&b);
    return 0;
}

int config_load(struct tank_config *cfg, const char *path, struct tk_err *err)
{
    config_defaults(cfg);
    cfg->path = tk_xstrdup(path);
    FILE *f = fopen(path, "re");
    if (!f)
        return tk_err_sys(err, -errno, "read config '%s'", path);
    struct load_ctx ctx = {.file = f, .cfg = cfg, .path = path, .err = err};
    int r = ini_parse_stream(read_line, &ctx, on_value, &ctx);
    fclose(f);
    if (ctx.failed)
        return -EINVAL;
    if (r > 0)
        return tk_err_set(err, -EINVAL, "%s:%d: syntax error (expected [section] or key = value)",
                          path, r);
    if (r < 0)
        return tk_err_sys(err, -EIO, "read config '%s'", path);
    if (cfg->image_gc_high_percent && cfg->image_gc_low_percent >= cfg->image_gc_high_percent)
        return tk_err_set(err, -EINVAL,
                          "%s: [images] image_gc_low_percent (%d) must be below "
                          "image_gc_high_percent (%d)",
                          path, cfg->image_gc_low_percent, cfg->image_gc_high_percent);
    if (cfg->group && resolve_group(cfg, path, err) < 0)
        return -EINVAL;
    if (check_host_sync(cfg, path, err) < 0 || expand_pods_dir(cfg, path, err) < 0)
        return -EINVAL;
    if (cfg->backoff_initial_ms > cfg->backoff_max_ms)
        return tk_err_set(err, -EINVAL, "%s: [restart] backoff_initial is larger than backoff_max",
                          path);
    if (!cfg->cgroup || cfg->cgroup[0] == '.' || strlen(cfg->cgroup) > 64 ||
        cfg->cgroup[strspn(cfg->cgroup, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789._-")])
        return tk_err_set(err, -EINVAL,
                          "%s: [resources] cgroup: '%s' is not a cgroup name (letters, digits, "
                          "'.', '_', '-'; not starting with '.')",
                          path, cfg->cgroup ? cfg->cgroup : "");
    return 0;
}

/* ---- reload (SIGHUP) ---- */

/* Sections whose keys are read where they are used, so a new value takes effect live. */
static bool section_live(const char *s)
{
    static const char *const live[] = {"registry", "images", "restart", "host", "logs", "sync"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(live); i++)
        if (!strcmp(s, live[i]))
            return true;
    return false;
}

static size_t scalar_size(enum value_kind kind)
{
    switch (kind) {
    case V_PERCENT:
    case V_BOOL:
        return sizeof(int);
    case V_SIZE:
        return sizeof(uint64_t);
    case V_ID_RANGES:
        return sizeof(((struct tank_config *)0)->userns_ranges);
    default:
        return sizeof(int64_t);
    }
}

/* Does k differ between a and b? With swap, b's value moves into a (and a's into b). */
static bool key_differs(const struct key *k, struct tank_config *a, struct tank_config *b,
                        bool swap)
{
    char *pa = (char *)a + k->off, *pb = (char *)b + k->off;
    size_t *na = (size_t *)((char *)a + k->count_off), *nb = (size_t *)((char *)b + k->count_off);
    bool differs;
    if (k->kind == V_STRING || k->kind == V_PATH) {
        char *sa = *(char **)pa, *sb = *(char **)pb;
        differs = (sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb));
        if (differs && swap) {
            *(char **)pa = sb;
            *(char **)pb = sa;
        }
        return differs;
    }
    if (k->kind == V_LIST) {
        differs = *na != *nb;
        for (size_t i = 0; !differs && i < *na; i++)
            differs = strcmp(((char **)pa)[i], ((char **)pb)[i]) != 0;
        if (differs && swap) {
            char *tmp[CONFIG_MAX_LIST];
            size_t n = *na;
            memcpy(tmp, pa, sizeof(tmp));
            memcpy(pa, pb, sizeof(tmp));
            memcpy(pb, tmp, sizeof(tmp));
            *na = *nb;
            *nb = n;
        }
        return differs;
    }
    size_t size = scalar_size(k->kind);
    differs = memcmp(pa, pb, size) != 0 || (k->count_off && *na != *nb);
    if (differs && swap) {
        memcpy(pa, pb, size);
        if (k->count_off)
            *na = *nb;
    }
    return differs;
}

int config_reload(struct tank_config *cfg, struct tk_buf *applied, struct tk_buf *restart,
                  struct tk_err *err)
{
    struct tank_config next;
    int r = config_load(&next, cfg->path ? cfg->path : CONFIG_DEFAULT_PATH, err);
    if (r < 0) {
        config_free(&next);
        return r;
    }
    for (size_t i = 0; i < TK_ARRAY_SIZE(keys); i++) {
        const struct key *k = &keys[i];
        bool live = section_live(k->section);
        if (!key_differs(k, cfg, &next, live))
            continue;
        struct tk_buf *to = live ? applied : restart;
        tk_buf_addf(to, "%s[%s] %s", to->len ? ", " : "", k->section, k->name);
    }
    config_free(&next);
    return 0;
}

void config_free(struct tank_config *cfg)
{
    free(cfg->path);
    free(cfg->uplink);
    for (size_t i = 0; i < cfg->n_dns; i++)
        free(cfg->dns[i]);
    for (size_t i = 0; i < cfg->n_dns_search; i++)
        free(cfg->dns_search[i]);
    for (size_t i = 0; i < cfg->n_host_labels; i++)
        free(cfg->host_labels[i]);
    free(cfg->pods_dir);
    free(cfg->secrets_dir);
    free(cfg->state_dir);
    free(cfg->run_dir);
    free(cfg->log_dir);
    free(cfg->socket);
    free(cfg->metrics_listen);
    for (size_t i = 0; i < cfg->n_insecure; i++)
        free(cfg->insecure[i]);
    for (size_t i = 0; i < cfg->n_mirror; i++)
        free(cfg->mirror[i]);
    free(cfg->auth_file);
    free(cfg->cgroup);
    free(cfg->group);
    free(cfg->seccomp_dir);
    free(cfg->sync_repo);
    free(cfg->sync_ref);
    free(cfg->sync_root);
    free(cfg->sync_link);
    free(cfg->sync_ssh_key);
    free(cfg->sync_known_hosts);
    memset(cfg, 0, sizeof(*cfg));
}

const char *config_default_path(const char *explicit_path)
{
    if (explicit_path)
        return explicit_path;
    const char *env = getenv("TANK_CONFIG");
    if (env && *env)
        return env;
    return CONFIG_DEFAULT_PATH;
}
