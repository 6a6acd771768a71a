/* Sets of parsed pods and errors: parsing a buffer or a file into a set, loading a tree
 * of manifests, and the small set operations. */
#include "spec/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "base/fs.h"
#include "spec/spec-int.h"

static void add_note(struct spec_error **v, size_t *n, const char *file, int line, int col,
                     const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static void add_note(struct spec_error **v, size_t *n, const char *file, int line, int col,
                     const char *fmt, va_list ap)
{
    *v = tk_xreallocarray(*v, *n + 1, sizeof(**v));
    struct spec_error *e = &(*v)[*n];
    *e = (struct spec_error){.file = tk_xstrdup(file), .line = line, .column = col};
    if (vasprintf(&e->message, fmt, ap) < 0)
        tk_oom();
    (*n)++;
}

void spec_set_add_error(struct spec_set *set, const char *file, int line, int col, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_note(&set->errors, &set->n_errors, file, line, col, fmt, ap);
    va_end(ap);
}

void spec_set_add_warning(struct spec_set *set, const char *file, int line, int col,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_note(&set->warnings, &set->n_warnings, file, line, col, fmt, ap);
    va_end(ap);
}

void spec_set_init(struct spec_set *set)
{
    memset(set, 0, sizeof(*set));
}

void spec_set_free(struct spec_set *set)
{
    for (size_t i = 0; i < set->n_pods; i++)
        spec_pod_free(set->pods[i]);
    free(set->pods);
    for (size_t i = 0; i < set->n_errors; i++) {
        free(set->errors[i].file);
        free(set->errors[i].message);
    }
    free(set->errors);
    for (size_t i = 0; i < set->n_warnings; i++) {
        free(set->warnings[i].file);
        free(set->warnings[i].message);
    }
    free(set->warnings);
    for (size_t i = 0; i < set->n_objects; i++)
        spec_object_free(set->objects[i]);
    free(set->objects);
    for (size_t i = 0; i < set->n_workloads; i++)
        spec_workload_free(set->workloads[i]);
    free(set->workloads);
    spec_set_init(set);
}

struct spec_pod *spec_set_take(struct spec_set *set, size_t i)
{
    if (i >= set->n_pods)
        return NULL;
    struct spec_pod *pod = set->pods[i];
    memmove(&set->pods[i], &set->pods[i + 1], (set->n_pods - i - 1) * sizeof(*set->pods));
    set->n_pods--;
    return pod;
}

struct spec_pod *spec_set_find(const struct spec_set *set, const char *name)
{
    for (size_t i = 0; i < set->n_pods; i++)
        if (set->pods[i]->name && !strcmp(set->pods[i]->name, name))
            return set->pods[i];
    return NULL;
}

struct spec_object *spec_set_find_object(const struct spec_set *set, enum spec_object_kind kind,
                                         const char *namespace, const char *name)
{
    for (size_t i = 0; i < set->n_objects; i++) {
        struct spec_object *o = set->objects[i];
        if (o->kind == kind && !strcmp(o->name, name) && !strcmp(o->namespace, namespace))
            return o;
    }
    return NULL;
}

void spec_error_format(const struct spec_error *e, char *out, size_t size)
{
    char raw[8192];
    if (e->line > 0)
        snprintf(raw, sizeof(raw), "%s:%d:%d: %s", e->file, e->line, e->column, e->message);
    else
        snprintf(raw, sizeof(raw), "%s: %s", e->file, e->message);
    tk_escape(raw, out, size); /* the message quotes the manifest */
}

void spec_warning_format(const struct spec_error *e, char *out, size_t size)
{
    char raw[8192];
    if (e->line > 0)
        snprintf(raw, sizeof(raw), "%s:%d:%d: warning: %s", e->file, e->line, e->column,
                 e->message);
    else
        snprintf(raw, sizeof(raw), "%s: warning: %s", e->file, e->message);
    tk_escape(raw, out, size);
}

static int add_pod(struct spec_set *set, struct spec_pod *pod)
{
    struct spec_pod **v = realloc(set->pods, (set->n_pods + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    set->pods = v;
    set->pods[set->n_pods++] = pod;
    return 0;
}

struct pos_error {
    struct spec_error e;
    size_t idx;
};

static int pos_cmp(const void *a, const void *b)
{
    const struct pos_error *x = a, *y = b;
    if (x->e.line != y->e.line)
        return x->e.line < y->e.line ? -1 : 1;
    if (x->e.column != y->e.column)
        return x->e.column < y->e.column ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Append list v[0..n) to *out (sorted by position, stable); the strings move. */
static int move_sorted(struct spec_error **out, size_t *n_out, struct spec_error *v, size_t n)
{
    if (!n)
        return 0;
    struct pos_error *tmp = calloc(n, sizeof(*tmp));
    struct spec_error *dst = realloc(*out, (*n_out + n) * sizeof(*dst));
    if (dst)
        *out = dst;
    if (!tmp || !dst) {
        free(tmp);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = (struct pos_error){v[i], i};
    tk_sort(tmp, n, sizeof(*tmp), pos_cmp);
    for (size_t i = 0; i < n; i++)
        dst[(*n_out)++] = tmp[i].e;
    free(tmp);
    return 0;
}

/* Move the file's errors and warnings into the set, sorted by position (stable). */
static int add_errors(struct spec_set *set, struct spec_errs *e)
{
    if (move_sorted(&set->errors, &set->n_errors, e->v, e->n) < 0)
        return -ENOMEM;
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
    if (move_sorted(&set->warnings, &set->n_warnings, e->wv, e->wn) < 0)
        return -ENOMEM;
    free(e->wv);
    e->wv = NULL;
    e->wn = e->wcap = 0;
    return 0;
}

static void free_errs(struct spec_errs *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].file);
        free(e->v[i].message);
    }
    free(e->v);
    for (size_t i = 0; i < e->wn; i++) {
        free(e->wv[i].file);
        free(e->wv[i].message);
    }
    free(e->wv);
}

struct parse_ctx {
    struct spec_set *set;
    const char *file;
    bool oom;
};

static int add_object(struct spec_set *set, struct spec_object *o)
{
    struct spec_object **v = realloc(set->objects, (set->n_objects + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    set->objects = v;
    set->objects[set->n_objects++] = o;
    return 0;
}

/* kind ConfigMap or Secret: a document of the store beside the pods. */
static bool on_object(struct parse_ctx *ctx, struct spec_errs *e, struct ynode *root)
{
    const struct ynode *kind = ynode_get(root, "kind");
    if (!kind || kind->type != YN_SCALAR || kind->kind != YS_STR)
        return false;
    enum spec_object_kind k;
    if (!strcmp(kind->value, "ConfigMap"))
        k = SPEC_CONFIGMAP;
    else if (!strcmp(kind->value, "Secret"))
        k = SPEC_SECRET;
    else if (!strcmp(kind->value, "PersistentVolumeClaim"))
        k = SPEC_PVC;
    else
        return false;
    struct spec_object *o =
        k == SPEC_PVC ? spec_pvc_from_tree(e, root) : spec_object_from_tree(e, root, k);
    if (!o)
        return true;
    o->file = strdup(ctx->file);
    if (!o->file || add_object(ctx->set, o) < 0) {
        spec_object_free(o);
        ctx->oom = true;
    }
    return true;
}

/* kind Deployment, DaemonSet or Job: a workload the agent's controllers turn into pods. */
static bool on_workload(struct parse_ctx *ctx, struct spec_errs *e, struct ynode *root)
{
    const struct ynode *kind = ynode_get(root, "kind");
    if (!kind || kind->type != YN_SCALAR || kind->kind != YS_STR)
        return false;
    enum spec_workload_kind k;
    if (!strcmp(kind->value, "Deployment"))
        k = SPEC_DEPLOYMENT;
    else if (!strcmp(kind->value, "Job"))
        k = SPEC_JOB;
    else if (!strcmp(kind->value, "CronJob"))
        k = SPEC_CRONJOB;
    else if (!strcmp(kind->value, "DaemonSet"))
        k = SPEC_DAEMONSET;
    else
        return false;
    struct spec_workload *wl = spec_workload_from_tree(e, root, k);
    if (!wl)
        return true;
    wl->file = strdup(ctx->file);
    wl->tmpl->file = strdup(ctx->file);
    struct spec_workload **v =
        realloc(ctx->set->workloads, (ctx->set->n_workloads + 1) * sizeof(*v));
    struct spec_workload *job = wl->cron ? wl->cron->job : NULL; /* a CronJob's Job */
    if (job) {
        job->file = strdup(ctx->file);
        job->tmpl->file = strdup(ctx->file);
    }
    if (!wl->file || !wl->tmpl->file || spec_pod_hash(wl->tmpl) < 0 || !v ||
        (job && (!job->file || !job->tmpl->file || spec_pod_hash(job->tmpl) < 0))) {
        spec_workload_free(wl);
        ctx->oom = true;
        return true;
    }
    ctx->set->workloads = v;
    v[ctx->set->n_workloads++] = wl;
    return true;
}

static void on_document(void *c, struct spec_errs *e, struct ynode *root)
{
    struct parse_ctx *ctx = c;
    if (on_object(ctx, e, root) || on_workload(ctx, e, root))
        return;
    struct spec_pod *pod = spec_pod_from_tree(e, root);
    if (!pod)
        return;
    pod->file = strdup(ctx->file);
    if (!pod->file || spec_pod_hash(pod) < 0 || add_pod(ctx->set, pod) < 0) {
        spec_pod_free(pod);
        ctx->oom = true;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* An error for the whole file (no position). */
static int file_error(struct spec_set *set, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int file_error(struct spec_set *set, const char *file, int line, const char *fmt, ...)
{
    struct spec_errs e = {.file = file};
    va_list ap;
    va_start(ap, fmt);
    errs_vadd(&e, line, line ? 1 : 0, fmt, ap);
    va_end(ap);
    if (e.oom || add_errors(set, &e) < 0) {
        free_errs(&e);
        return -ENOMEM;
    }
    return 1;
}

/* Is s (len bytes) at a line start a document marker ("---" then a blank or the end)? */
static bool is_doc_marker(const char *s, size_t len)
{
    return len >= 3 && !memcmp(s, "---", 3) &&
           (len == 3 || s[3] == '\n' || s[3] == ' ' || s[3] == '\t' || s[3] == '\r');
}

void spec_doc_text(const char *data, size_t len, int line, const char **doc, size_t *doc_len)
{
    size_t start = 0, end = len;
    int l = 1;
    for (size_t i = 0; i < len; i++) {
        if ((i == 0 || data[i - 1] == '\n') && is_doc_marker(data + i, len - i)) {
            if (l <= line) {
                start = i;
            } else {
                end = i;
                break;
            }
        }
        if (data[i] == '\n')
            l++;
    }
    if (is_doc_marker(data + start, end - start)) {
        const char *nl = memchr(data + start, '\n', end - start);
        start = nl ? (size_t)(nl - data) + 1 : end;
    }
    *doc = data + start;
    *doc_len = end - start;
}

/* The pods from index first on were read from data: each keeps its document's text. */
static int keep_sources(struct spec_set *set, size_t first, const char *data, size_t len)
{
    for (size_t i = first; i < set->n_pods; i++) {
        const char *doc;
        size_t n;
        spec_doc_text(data, len, set->pods[i]->line, &doc, &n);
        free(set->pods[i]->source);
        if (!(set->pods[i]->source = strndup(doc, n)))
            return -ENOMEM;
    }
    return 0;
}

int spec_parse_buffer(struct spec_set *set, const char *file, const char *data, size_t len)
{
    struct spec_errs e = {.file = file};
    struct parse_ctx ctx = {set, file, false};
    size_t first = set->n_pods;
    if (len > SPEC_MAX_FILE_SIZE)
        return file_error(set, file, 0,
                          "file too large (%zu bytes; a manifest may have at most %u bytes)", len,
                          SPEC_MAX_FILE_SIZE);
    size_t docs = spec_yaml_parse(&e, data, len, ends_with(file, ".json"), on_document, &ctx);
    if (keep_sources(set, first, data, len) < 0)
        ctx.oom = true;
    if (docs == 0 && e.n == 0)
        errs_add(&e, 1, 1, "no Pod in file");
    int n = (int)e.n;
    if (e.oom || ctx.oom || add_errors(set, &e) < 0) {
        free_errs(&e);
        return -ENOMEM;
    }
    return n;
}

int spec_parse_file(struct spec_set *set, const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    _cleanup_free_ char *data = NULL;
    struct stat st;
    size_t len = 0;
    if (fd < 0 || fstat(fd, &st) < 0)
        return file_error(set, path, 0, "cannot read: %m");
    if (!S_ISREG(st.st_mode))
        return file_error(set, path, 0, "cannot read: not a regular file");
    /* Refuse before reading anything: a huge file never reaches the parser. */
    if ((uint64_t)st.st_size > SPEC_MAX_FILE_SIZE)
        return file_error(set, path, 0,
                          "file too large (%lld bytes; a manifest may have at most %u bytes)",
                          (long long)st.st_size, SPEC_MAX_FILE_SIZE);
    int r = tk_read_fd(fd, SPEC_MAX_FILE_SIZE, &data, &len);
    if (r == -EFBIG)
        return file_error(set, path, 0, "file too large (a manifest may have at most %u bytes)",
                          SPEC_MAX_FILE_SIZE);
    if (r < 0) {
        errno = -r;
        return file_error(set, path, 0, "cannot read: %m");
    }
    return spec_parse_buffer(set, path, data, len);
}
