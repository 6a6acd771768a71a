/* The generic half of the validating walk: typed reads of YAML nodes with errors that
 * name the field's path, mapping checks (unknown and duplicate keys), duplicate finding. */
#include "spec/spec-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sort.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/parse.h"

char *path_key(const char *path, const char *key)
{
    struct tk_buf b = TK_BUF_INIT;
    /* Keep messages readable when a key is absurdly long. */
    int klen = (int)strnlen(key, 80);
    if (*path)
        tk_buf_addf(&b, "%s.%.*s%s", path, klen, key, key[klen] ? "..." : "");
    else
        tk_buf_addf(&b, "%.*s%s", klen, key, key[klen] ? "..." : "");
    return tk_buf_detach(&b);
}

char *path_idx(const char *path, size_t i)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s[%zu]", path, i);
    return tk_buf_detach(&b);
}

void werr(struct walk *w, const struct ynode *n, const char *path, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        w->e->oom = true;
        return;
    }
    const char *pre = w->prefix ? w->prefix : "";
    if (*path)
        errs_add(w->e, n->line, n->col, "%s%s: %s", pre, path, msg);
    else
        errs_add(w->e, n->line, n->col, "%s", msg);
}

void wwarn(struct walk *w, const struct ynode *n, const char *path, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        w->e->oom = true;
        return;
    }
    errs_warn(w->e, n->line, n->col, "%s%s: %s", w->prefix ? w->prefix : "", path, msg);
}

void wreq(struct walk *w, const struct ynode *n, const char *path, const char *key,
          const char *hint)
{
    _cleanup_free_ char *p = path_key(path, key);
    if (hint)
        werr(w, n, p, "required (%s)", hint);
    else
        werr(w, n, p, "required");
}

static void type_error(struct walk *w, const struct ynode *n, const char *path, const char *want)
{
    bool quote = !strcmp(want, "a string") && n->type == YN_SCALAR &&
                 (n->kind == YS_BOOL || n->kind == YS_INT || n->kind == YS_FLOAT);
    werr(w, n, path, "expected %s, got %s%s", want, ynode_kind_name(n),
         quote ? " (put it in quotes to make it a string)" : "");
}

struct dup_item {
    const char *s;
    size_t i;
};

static int dup_cmp(const void *a, const void *b)
{
    const struct dup_item *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int idx_cmp(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    return *x < *y ? -1 : *x > *y;
}

void find_dups(const char *const *strs, size_t n, void (*report)(void *ctx, size_t i, size_t first),
               void *ctx)
{
    _cleanup_free_ struct dup_item *v = tk_xcalloc(n, sizeof(*v));
    _cleanup_free_ size_t *later = tk_xcalloc(n, 2 * sizeof(*later));
    size_t m = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        if (strs[i])
            v[m++] = (struct dup_item){strs[i], i};
    tk_sort(v, m, sizeof(*v), dup_cmp);
    for (size_t i = 1; i < m; i++) {
        size_t first = i - 1;
        while (i < m && !strcmp(v[i].s, v[first].s)) {
            later[2 * k] = v[i].i;
            later[2 * k + 1] = v[first].i;
            k++;
            i++;
        }
    }
    /* Report in document order (pairs sort by their first member, the later index). */
    tk_sort(later, k, 2 * sizeof(*later), idx_cmp);
    for (size_t i = 0; i < k; i++)
        report(ctx, later[2 * i], later[2 * i + 1]);
}

struct key_dups {
    struct walk *w;
    const struct ynode *map;
    const char *path;
    bool *dup;
};

static void report_key_dup(void *ctx, size_t i, size_t first)
{
    struct key_dups *d = ctx;
    const struct ynode *k = d->map->items[2 * i];
    _cleanup_free_ char *p = path_key(d->path, k->value);
    werr(d->w, k, p, "duplicate key (first at line %d)", d->map->items[2 * first]->line);
    d->dup[i] = true;
}

/* Edit distance of a and b, or a number > limit when it exceeds limit. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= 64 || lb >= 64 || (la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + ((a[i - 1] | 0x20) != (b[j - 1] | 0x20));
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* "not supported", with the field the user probably meant when the key is a near miss. */
static void unknown_key(struct walk *w, const struct ynode *k, const char *path,
                        const struct field *fields, size_t n_fields)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t j = 0; j < n_fields && strlen(k->value) >= 4; j++) {
        size_t d = edit_distance(k->value, fields[j].key, 2);
        if (d < best_d) {
            best_d = d;
            best = fields[j].key;
        }
    }
    if (best)
        werr(w, k, path, "not supported (did you mean %s?)", best);
    else
        werr(w, k, path, "not supported");
}

bool walk_map(struct walk *w, const struct ynode *n, const char *path, const struct field *fields,
              size_t n_fields, void *obj)
{
    if (n->type != YN_MAP) {
        type_error(w, n, path, "a mapping");
        return false;
    }
    _cleanup_free_ const char **keys = tk_xcalloc(n->n, sizeof(*keys));
    _cleanup_free_ bool *dup = tk_xcalloc(n->n, sizeof(*dup));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *k = n->items[2 * i];
        if (k->type != YN_SCALAR) {
            werr(w, k, path, "mapping keys must be strings, got %s", ynode_kind_name(k));
            dup[i] = true;
            continue;
        }
        keys[i] = k->value;
    }
    struct key_dups d = {w, n, path, dup};
    find_dups(keys, n->n, report_key_dup, &d);
    for (size_t i = 0; i < n->n; i++) {
        if (dup[i])
            continue;
        const struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        _cleanup_free_ char *p = path_key(path, k->value);
        size_t j;
        for (j = 0; j < n_fields; j++)
            if (!strcmp(fields[j].key, k->value))
                break;
        if (j == n_fields) {
            unknown_key(w, k, p, fields, n_fields);
            continue;
        }
        if (fields[j].fn == field_ignored || fields[j].fn == field_refused)
            fields[j].fn(w, k, p, obj); /* at the key, whatever the value */
        else if (!ynode_is_null(v) && fields[j].fn)
            fields[j].fn(w, v, p, obj);
    }
    return true;
}

bool want_seq(struct walk *w, const struct ynode *n, const char *path)
{
    if (n->type == YN_SEQ)
        return true;
    type_error(w, n, path, "a list");
    return false;
}

bool want_str(struct walk *w, const struct ynode *n, const char *path, char **out)
{
    if (n->type != YN_SCALAR || n->kind != YS_STR) {
        type_error(w, n, path, "a string");
        return false;
    }
    free(*out);
    *out = tk_xstrdup(n->value);
    return true;
}

bool want_checked(struct walk *w, const struct ynode *n, const char *path, char **out,
                  bool (*ok)(const char *), const char *what)
{
    _cleanup_free_ char *s = NULL;
    if (!want_str(w, n, path, &s))
        return false;
    if (!ok(s)) {
        werr(w, n, path, "'%.200s' is not %s", s, what);
        return false;
    }
    free(*out);
    *out = TAKE_PTR(s);
    return true;
}

bool want_int(struct walk *w, const struct ynode *n, const char *path, int64_t min, int64_t max,
              int64_t *out)
{
    int64_t v;
    if (n->type != YN_SCALAR || n->kind != YS_INT) {
        type_error(w, n, path, "an integer");
        return false;
    }
    if (tk_parse_int64(n->value, INT64_MIN, INT64_MAX, &v) < 0) {
        werr(w, n, path, "'%.40s' is not a decimal integer in range", n->value);
        return false;
    }
    if (v < min || v > max) {
        if (max == INT64_MAX)
            werr(w, n, path, "%lld is out of range (at least %lld)", (long long)v, (long long)min);
        else
            werr(w, n, path, "%lld is out of range (%lld to %lld)", (long long)v, (long long)min,
                 (long long)max);
        return false;
    }
    *out = v;
    return true;
}

bool want_bool(struct walk *w, const struct ynode *n, const char *path, bool *out)
{
    if (n->type != YN_SCALAR || n->kind != YS_BOOL) {
        type_error(w, n, path, "true or false");
        return false;
    }
    *out = n->bval;
    return true;
}

bool want_enum(struct walk *w, const struct ynode *n, const char *path, const char *const *names,
               size_t count, int *out)
{
    _cleanup_free_ char *s = NULL;
    if (!want_str(w, n, path, &s))
        return false;
    for (size_t i = 0; i < count; i++)
        if (!strcmp(s, names[i])) {
            *out = (int)i;
            return true;
        }
    struct tk_buf b = TK_BUF_INIT;
    for (size_t i = 0; i < count; i++)
        tk_buf_addf(&b, "%s%s",
                    i == 0           ? ""
                    : i + 1 == count ? " or "
                                     : ", ",
                    *names[i] ? names[i] : "\"\" (empty)");
    werr(w, n, path, "'%.100s' is not one of %s", s, tk_buf_str(&b));
    tk_buf_free(&b);
    return false;
}

bool want_str_list(struct walk *w, const struct ynode *n, const char *path, char ***out,
                   size_t *count, bool (*ok)(const char *), const char *what)
{
    if (!want_seq(w, n, path))
        return false;
    char **v = tk_xcalloc(n->n + 1, sizeof(*v));
    bool good = true;
    size_t m = 0;
    for (size_t i = 0; i < n->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        char *s = NULL;
        if (ok ? want_checked(w, n->items[i], p, &s, ok, what) : want_str(w, n->items[i], p, &s))
            v[m++] = s;
        else
            good = false;
    }
    *out = v;
    *count = m;
    return good;
}

struct name_dups {
    struct walk *w;
    const struct ynode *list;
    const char *path;
    const char *what;
};

static void report_name_dup(void *ctx, size_t i, size_t first)
{
    struct name_dups *d = ctx;
    _cleanup_free_ char *p = path_idx(d->path, i);
    _cleanup_free_ char *pp = path_key(p, "name");
    _cleanup_free_ char *fp = path_idx(d->path, first);
    const struct ynode *n = ynode_get(d->list->items[i], "name");
    werr(d->w, n, pp, "%s name '%s' is already used by %s", d->what, n->value, fp);
}

void check_name_dups(struct walk *w, const struct ynode *list, const char *path, const char *what,
                     const char *const *names)
{
    struct name_dups d = {w, list, path, what};
    find_dups(names, list->n, report_name_dup, &d);
}

bool walk_api_version(struct walk *w, const struct ynode *root, const char *kind, const char *want)
{
    const struct ynode *av = ynode_get(root, "apiVersion");
    if (av && av->type == YN_SCALAR && !strcmp(av->value, want))
        return true;
    werr(w, av ? av : root, "apiVersion", "a %s is apiVersion %s", kind, want);
    return false;
}

void walk_require_top(struct walk *w, const struct ynode *root, const char *spec_hint)
{
    if (ynode_is_null(ynode_get(root, "metadata")))
        werr(w, root, "metadata.name", "required");
    if (spec_hint && ynode_is_null(ynode_get(root, "spec")))
        wreq(w, root, "", "spec", spec_hint[0] ? spec_hint : NULL);
}

void doc_identity(const struct ynode *root, char **namespace, int *line, int *column)
{
    if (!*namespace)
        *namespace = tk_xstrdup("default");
    const struct ynode *name = ynode_get(ynode_get(root, "metadata"), "name");
    *line = name->line;
    *column = name->col;
}
