/* User resolution against an image's own /etc/passwd and /etc/group text, and StopSignal
 * parsing. Pure functions over strings: the caller reads the files from the layers. */
#include "image/user.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/sort.h"
#include "base/cleanup.h"

#define FIELD_MAX 8

/* Split one line at ':' into at most FIELD_MAX fields (in place). Returns the count. */
static size_t split_fields(char *line, char **fields)
{
    size_t n = 0;
    char *p = line;
    while (n < FIELD_MAX) {
        fields[n++] = p;
        char *c = strchr(p, ':');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

/* A decimal id (0..UINT32_MAX-1). Returns 0 or -EINVAL. */
static int parse_id(const char *s, unsigned long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v >= UINT32_MAX)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Iterate the lines of a passwd/group text; calls fn with the split fields until it returns
 * non-zero (which is returned). */
typedef int (*line_fn)(char **f, size_t n, void *ctx);

static int each_line(const char *text, line_fn fn, void *ctx)
{
    if (!text)
        return 0;
    _cleanup_free_ char *copy = strdup(text);
    if (!copy)
        return -ENOMEM;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        if (!*line || *line == '#' || *line == '+' || *line == '-')
            continue;
        char *f[FIELD_MAX];
        size_t n = split_fields(line, f);
        int r = fn(f, n, ctx);
        if (r)
            return r;
    }
    return 0;
}

struct pw_query {
    const char *name;  /* match by name, or ... */
    unsigned long uid; /* ... by uid when name is NULL */
    char *found_name;
    unsigned long found_uid, found_gid;
    char *home;
};

static int pw_match(char **f, size_t n, void *ctx)
{
    struct pw_query *q = ctx;
    unsigned long uid, gid;
    if (n < 4 || parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0)
        return 0;
    if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
        return 0;
    q->found_name = strdup(f[0]);
    q->home = n >= 6 && *f[5] ? strdup(f[5]) : NULL;
    q->found_uid = uid;
    q->found_gid = gid;
    return q->found_name ? 1 : -ENOMEM;
}

struct gr_query {
    const char *name; /* look a group up by name ... */
    unsigned long gid;
    int found;
    const char *member; /* ... or collect the groups member belongs to */
    gid_t *groups;
    size_t n_groups;
};

static int gr_match(char **f, size_t n, void *ctx)
{
    struct gr_query *q = ctx;
    unsigned long gid;
    if (n < 3 || parse_id(f[2], &gid) < 0)
        return 0;
    if (q->name) {
        if (strcmp(f[0], q->name) != 0)
            return 0;
        q->gid = gid;
        q->found = 1;
        return 1;
    }
    if (!q->member || n < 4)
        return 0;
    for (char *m = f[3]; m && *m;) {
        char *comma = strchr(m, ',');
        size_t len = comma ? (size_t)(comma - m) : strlen(m);
        if (len == strlen(q->member) && !strncmp(m, q->member, len)) {
            gid_t *g = realloc(q->groups, (q->n_groups + 1) * sizeof(*g));
            if (!g)
                return -ENOMEM;
            q->groups = g;
            q->groups[q->n_groups++] = (gid_t)gid;
            break;
        }
        m = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort and drop duplicates. */
static size_t uniq_gids(gid_t *g, size_t n)
{
    if (!n)
        return 0;
    tk_sort(g, n, sizeof(*g), cmp_gid);
    size_t o = 1;
    for (size_t i = 1; i < n; i++)
        if (g[i] != g[o - 1])
            g[o++] = g[i];
    return o;
}

static int resolve_group(const char *gspec, const char *group, gid_t *gid, struct tk_err *err)
{
    unsigned long v;
    if (parse_id(gspec, &v) == 0) {
        *gid = (gid_t)v;
        return 0;
    }
    struct gr_query q = {.name = gspec};
    int r = each_line(group, gr_match, &q);
    if (r < 0)
        return tk_err_sys(err, r, "resolve group '%s'", gspec);
    if (!q.found)
        return tk_err_set(err, -ENOENT,
                          "resolve group '%s': no such group in the image's /etc/group", gspec);
    *gid = (gid_t)q.gid;
    return 0;
}

int image_user_resolve(const char *spec, const char *passwd, const char *group,
                       struct image_user *out, struct tk_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!spec || !*spec)
        spec = "0";
    _cleanup_free_ char *uspec = strdup(spec);
    if (!uspec)
        return tk_err_sys(err, -ENOMEM, "resolve user '%s'", spec);
    char *gspec = strchr(uspec, ':');
    if (gspec)
        *gspec++ = '\0';
    if (!*uspec || (gspec && !*gspec))
        return tk_err_set(err, -EINVAL, "resolve user '%s': empty user or group", spec);

    struct pw_query pq = {0};
    unsigned long uid;
    int numeric = parse_id(uspec, &uid) == 0;
    if (numeric)
        pq.uid = uid;
    else
        pq.name = uspec;
    int r = each_line(passwd, pw_match, &pq);
    if (r < 0)
        return tk_err_sys(err, r, "resolve user '%s'", spec);
    _cleanup_free_ char *name = pq.found_name;
    out->home = pq.home;
    if (!name && !numeric) {
        image_user_free(out);
        return tk_err_set(err, -ENOENT,
                          "resolve user '%s': no user '%s' in the image's /etc/passwd", spec,
                          uspec);
    }
    out->uid = (uid_t)(name ? pq.found_uid : uid);
    out->gid = (gid_t)(name ? pq.found_gid : 0);
    if (gspec && (r = resolve_group(gspec, group, &out->gid, err)) < 0) {
        image_user_free(out);
        return tk_err_wrap(err, "resolve user '%s'", spec);
    }
    if (name) {
        struct gr_query gq = {.member = name};
        r = each_line(group, gr_match, &gq);
        out->groups = gq.groups;
        out->n_groups = uniq_gids(gq.groups, gq.n_groups);
        if (r < 0) {
            image_user_free(out);
            return tk_err_sys(err, r, "resolve user '%s'", spec);
        }
    }
    return 0;
}

void image_user_free(struct image_user *u)
{
    if (!u)
        return;
    free(u->home);
    free(u->groups);
    memset(u, 0, sizeof(*u));
}

static const struct {
    const char *name;
    int num;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int image_parse_signal(const char *s)
{
    unsigned long v;
    if (!s || !*s)
        return -EINVAL;
    if (parse_id(s, &v) == 0)
        return v >= 1 && v < (unsigned long)NSIG ? (int)v : -EINVAL;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < TK_ARRAY_SIZE(signals); i++)
        if (!strcasecmp(s, signals[i].name))
            return signals[i].num;
    if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
        int max = !strncasecmp(s, "RTMAX", 5);
        const char *rest = s + 5;
        int base = max ? SIGRTMAX : SIGRTMIN;
        if (!*rest)
            return base;
        if ((*rest == '+' && !max) || (*rest == '-' && max)) {
            if (parse_id(rest + 1, &v) < 0)
                return -EINVAL;
            long n = max ? base - (long)v : base + (long)v;
            return n >= SIGRTMIN && n <= SIGRTMAX ? (int)n : -EINVAL;
        }
    }
    return -EINVAL;
}
