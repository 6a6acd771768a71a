/* From bytes to small YAML trees: libyaml's event API, with hard limits on nesting and
 * node count, aliases refused, and the JSON surrogate-pair escapes libyaml rejects
 * rewritten before parsing (columns mapped back to the original text). */
#include "spec/spec-int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/cleanup.h"
#include "base/err.h"

void ynode_free(struct ynode *n)
{
    if (!n)
        return;
    /* Trees are at most SPEC_MAX_DEPTH deep, so recursion is bounded. */
    for (size_t i = 0; i < n->used; i++)
        ynode_free(n->items[i]);
    free(n->items);
    free(n->value);
    free(n);
}

struct ynode *ynode_get(const struct ynode *m, const char *key)
{
    if (!m || m->type != YN_MAP)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        const struct ynode *k = m->items[2 * i];
        if (k->type == YN_SCALAR && !strcmp(k->value, key))
            return m->items[2 * i + 1];
    }
    return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
    return !n || (n->type == YN_SCALAR && n->kind == YS_NULL);
}

const char *ynode_kind_name(const struct ynode *n)
{
    if (n->type == YN_SEQ)
        return "a list";
    if (n->type == YN_MAP)
        return "a mapping";
    switch (n->kind) {
    case YS_NULL:
        return "nothing (null)";
    case YS_BOOL:
        return "a boolean";
    case YS_INT:
        return "an integer";
    case YS_FLOAT:
        return "a number";
    case YS_STR:
        break;
    }
    return "a string";
}

void errs_vadd(struct spec_errs *e, int line, int col, const char *fmt, va_list ap)
{
    if (e->oom)
        return;
    e->doc_errors++;
    if (e->doc_errors > SPEC_MAX_DOC_ERRORS + 1)
        return;
    if (e->doc_errors == SPEC_MAX_DOC_ERRORS + 1)
        fmt = "too many errors in this document; the rest are not shown";
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 8;
        struct spec_error *v = realloc(e->v, cap * sizeof(*v));
        if (!v) {
            e->oom = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    struct spec_error *x = &e->v[e->n];
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        e->oom = true;
        return;
    }
    /* Messages quote user text: terminal controls in it shown as \x1b (tk_escape). */
    if (tk_needs_escape(msg)) {
        size_t size = 6 * strlen(msg) + 1; /* at most "\u009f" for 2 bytes, "\x1b" for 1 */
        char *shown = malloc(size);
        if (!shown) {
            free(msg);
            e->oom = true;
            return;
        }
        tk_escape(msg, shown, size);
        free(msg);
        msg = shown;
    }
    x->file = strdup(e->file);
    if (!x->file) {
        free(msg);
        e->oom = true;
        return;
    }
    x->line = line;
    x->column = col;
    x->message = msg;
    e->n++;
}

void errs_warn(struct spec_errs *e, int line, int col, const char *fmt, ...)
{
    /* Reuse errs_vadd on a scratch list so warnings get the same cleaning. */
    struct spec_errs tmp = {.file = e->file};
    if (e->oom || e->wn >= SPEC_MAX_DOC_ERRORS * 10)
        return;
    va_list ap;
    va_start(ap, fmt);
    errs_vadd(&tmp, line, col, fmt, ap);
    va_end(ap);
    if (tmp.oom || !tmp.n) {
        e->oom = true;
        free(tmp.v);
        return;
    }
    if (e->wn == e->wcap) {
        size_t cap = e->wcap ? 2 * e->wcap : 8;
        struct spec_error *v = realloc(e->wv, cap * sizeof(*v));
        if (!v) {
            e->oom = true;
            free(tmp.v[0].file);
            free(tmp.v[0].message);
            free(tmp.v);
            return;
        }
        e->wv = v;
        e->wcap = cap;
    }
    e->wv[e->wn++] = tmp.v[0];
    free(tmp.v);
}

void errs_add(struct spec_errs *e, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errs_vadd(e, line, col, fmt, ap);
    va_end(ap);
}

/* ---- JSON surrogate pairs ------------------------------------------------------------ */

/* Where a 12-character "\uD83D\uDE00" became the 10-character "\U0001F600": line and
 * 0-based column (in characters) of the text that follows, in the rewritten buffer. */
struct fixup {
    int line;
    int col;
};

struct fixups {
    struct fixup *v;
    size_t n;
    size_t cap;
};

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int d = tk_hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

/* At p (just past a backslash inside a JSON string): a "uD8xx\uDCxx" pair? */
static bool surrogate_pair(const char *p, const char *end, unsigned *cp)
{
    unsigned hi, lo;
    if (end - p < 11 || p[0] != 'u' || p[5] != '\\' || p[6] != 'u')
        return false;
    if (hex4(p + 1, end, &hi) < 0 || hex4(p + 7, end, &lo) < 0)
        return false;
    if (hi < 0xD800 || hi > 0xDBFF || lo < 0xDC00 || lo > 0xDFFF)
        return false;
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return true;
}

/* Rewrite escaped surrogate pairs inside JSON strings; *out is NULL when nothing changed. */
static int json_rewrite(const char *data, size_t len, char **out, size_t *out_len,
                        struct fixups *fx)
{
    _cleanup_free_ char *buf = NULL;
    const char *end = data + len;
    size_t o = 0;
    int line = 1, col = 0;
    bool in_str = false;
    *out = NULL;
    for (const char *p = data; p < end;) {
        unsigned cp;
        char c = *p;
        if (in_str && c == '\\' && surrogate_pair(p + 1, end, &cp)) {
            if (!buf) {
                buf = malloc(len + 1);
                if (!buf)
                    return -ENOMEM;
                memcpy(buf, data, (size_t)(p - data));
                o = (size_t)(p - data);
            }
            o += (size_t)snprintf(buf + o, 11, "\\U%08X", cp);
            col += 10;
            if (fx->n == fx->cap) {
                size_t cap = fx->cap ? 2 * fx->cap : 16;
                struct fixup *v = realloc(fx->v, cap * sizeof(*v));
                if (!v)
                    return -ENOMEM;
                fx->v = v;
                fx->cap = cap;
            }
            fx->v[fx->n++] = (struct fixup){line, col};
            p += 12;
            continue;
        }
        if (in_str && c == '\\' && p + 1 < end) {
            if (buf) {
                buf[o++] = p[0];
                buf[o++] = p[1];
            }
            p += 2;
            col += 2;
            continue;
        }
        if (c == '"')
            in_str = !in_str;
        if (c == '\n') {
            line++;
            col = 0;
        } else if (((unsigned char)c & 0xC0) != 0x80) {
            col++;
        }
        if (buf)
            buf[o++] = c;
        p++;
    }
    if (buf) {
        buf[o] = '\0';
        *out_len = o;
        *out = TAKE_PTR(buf);
    }
    return 0;
}

struct yparse {
    struct spec_errs *e;
    const struct fixups *fx;
    const char *data; /* what libyaml reads */
    size_t len;
    spec_doc_fn fn;
    void *ctx;
    size_t docs;
};

/* Fixups before (line, col): fixups are in text order, so binary search. */
static size_t fixups_before(const struct fixups *fx, int line, int col)
{
    size_t lo = 0, hi = fx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct fixup *f = &fx->v[mid];
        if (f->line < line || (f->line == line && f->col <= col))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* libyaml mark (0-based) to our 1-based line and column in the original text: each
 * rewritten surrogate pair earlier on the same line was 2 characters longer. */
static void mark_pos(const struct yparse *y, const yaml_mark_t *m, int *line, int *col)
{
    *line = (int)m->line + 1;
    int c = (int)m->column;
    size_t extra = 0;
    if (y->fx && y->fx->n)
        extra = fixups_before(y->fx, *line, c) - fixups_before(y->fx, *line - 1, INT32_MAX);
    *col = c + 2 * (int)extra + 1;
}

static void offset_pos(const struct yparse *y, size_t off, int *line, int *col)
{
    int l = 1, c = 0;
    for (size_t i = 0; i < off && i < y->len; i++) {
        unsigned char ch = (unsigned char)y->data[i];
        if (ch == '\n') {
            l++;
            c = 0;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    yaml_mark_t m = {.index = off, .line = (size_t)l - 1, .column = (size_t)c};
    mark_pos(y, &m, line, col);
}

static bool is_one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set))
            return true;
    return false;
}

static bool looks_int(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!*p)
        return false;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return p[2] && strspn(p + 2, "0123456789abcdefABCDEF") == strlen(p + 2);
    if (p[0] == '0' && p[1] == 'b')
        return p[2] && strspn(p + 2, "01") == strlen(p + 2);
    return strspn(p, "0123456789_") == strlen(p) && *p != '_';
}

static bool looks_float(const char *s)
{
    static const char *const special[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf",
                                          "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
                                          ".NaN",  ".NAN",  NULL};
    if (is_one_of(s, special))
        return true;
    const char *p = s + (*s == '-' || *s == '+');
    bool digit = false, dot = false;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p >= '0' && *p <= '9')
            digit = true;
        else if (*p == '.' && !dot)
            dot = true;
        else if (*p != '_')
            return false;
    }
    if (!digit)
        return false;
    if (*p) {
        p++;
        p += (*p == '-' || *p == '+');
        if (!*p || strspn(p, "0123456789") != strlen(p))
            return false;
        return true;
    }
    return dot;
}

/* Resolve a scalar's kind as Kubernetes' YAML 1.1 decoder does. */
static int resolve_scalar(struct ynode *n, const yaml_event_t *ev)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                        "True", "TRUE", "on",  "On",  "ON",  NULL};
    static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                         "False", "FALSE", "off", "Off", "OFF", NULL};
    const char *tag = (const char *)ev->data.scalar.tag;
    n->kind = YS_STR;
    if (tag) {
        static const struct {
            const char *tag;
            enum yscalar_kind kind;
        } tags[] = {{YAML_STR_TAG, YS_STR},   {YAML_INT_TAG, YS_INT},   {YAML_FLOAT_TAG, YS_FLOAT},
                    {YAML_BOOL_TAG, YS_BOOL}, {YAML_NULL_TAG, YS_NULL}, {"!", YS_STR}};
        for (size_t i = 0; i < TK_ARRAY_SIZE(tags); i++)
            if (!strcmp(tag, tags[i].tag)) {
                n->kind = tags[i].kind;
                n->bval = n->kind == YS_BOOL && is_one_of(n->value, trues);
                return 0;
            }
        return -1;
    }
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    if (is_one_of(n->value, nulls))
        n->kind = YS_NULL;
    else if (is_one_of(n->value, trues))
        n->kind = YS_BOOL, n->bval = true;
    else if (is_one_of(n->value, falses))
        n->kind = YS_BOOL, n->bval = false;
    else if (looks_int(n->value))
        n->kind = YS_INT;
    else if (looks_float(n->value))
        n->kind = YS_FLOAT;
    return 0;
}

static int attach(struct ynode *p)
{
    size_t want = p->used + 1;
    if (want <= p->cap)
        return 0;
    size_t cap = p->cap ? 2 * p->cap : 4;
    while (cap < want)
        cap *= 2;
    struct ynode **v = realloc(p->items, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    p->items = v;
    p->cap = cap;
    return 0;
}

/* The document being built: a stack of open collections. */
struct ybuild {
    struct ynode *root;
    struct ynode *stack[SPEC_MAX_DEPTH + 1];
    size_t depth;
    size_t nodes;
    bool broken; /* an alias was met: no pod from this document */
};

static void build_reset(struct ybuild *b)
{
    ynode_free(b->root);
    memset(b, 0, sizeof(*b));
}

/* Add a new node under the current collection. Returns -1 to stop parsing the file. */
static int add_node(struct yparse *y, struct ybuild *b, struct ynode *n)
{
    if (++b->nodes > SPEC_MAX_NODES) {
        errs_add(y->e, n->line, n->col, "document has more than %d nodes; refusing to parse it",
                 SPEC_MAX_NODES);
        ynode_free(n);
        return -1;
    }
    if (b->depth == 0) {
        ynode_free(b->root);
        b->root = n;
    } else {
        struct ynode *p = b->stack[b->depth - 1];
        if (attach(p) < 0) {
            y->e->oom = true;
            ynode_free(n);
            return -1;
        }
        p->items[p->used++] = n;
        p->n = p->type == YN_MAP ? p->used / 2 : p->used;
    }
    if (n->type != YN_SCALAR) {
        if (b->depth >= SPEC_MAX_DEPTH) {
            errs_add(y->e, n->line, n->col, "nesting is deeper than %d levels; refusing to parse",
                     SPEC_MAX_DEPTH);
            return -1;
        }
        b->stack[b->depth++] = n;
    }
    return 0;
}

static struct ynode *new_node(const struct yparse *y, enum ynode_type t, const yaml_mark_t *m)
{
    struct ynode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->type = t;
    mark_pos(y, m, &n->line, &n->col);
    return n;
}

static int on_scalar(struct yparse *y, struct ybuild *b, const yaml_event_t *ev)
{
    struct ynode *n = new_node(y, YN_SCALAR, &ev->start_mark);
    if (!n)
        return y->e->oom = true, -1;
    size_t len = ev->data.scalar.length;
    n->value = malloc(len + 1);
    if (!n->value) {
        ynode_free(n);
        return y->e->oom = true, -1;
    }
    memcpy(n->value, ev->data.scalar.value, len);
    n->value[len] = '\0';
    if (strlen(n->value) != len) {
        errs_add(y->e, n->line, n->col, "a string contains a NUL character");
        b->broken = true;
    }
    if (resolve_scalar(n, ev) < 0) {
        errs_add(y->e, n->line, n->col, "YAML tag '%s' is not supported",
                 (const char *)ev->data.scalar.tag);
        b->broken = true;
    }
    return add_node(y, b, n);
}

static int on_event(struct yparse *y, struct ybuild *b, const yaml_event_t *ev)
{
    struct ynode *n;
    int line, col;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        build_reset(b);
        y->e->doc_errors = 0;
        return 0;
    case YAML_DOCUMENT_END_EVENT:
        if (b->root && !ynode_is_null(b->root)) {
            y->docs++;
            if (!b->broken)
                y->fn(y->ctx, y->e, b->root);
        }
        build_reset(b);
        return 0;
    case YAML_ALIAS_EVENT:
        mark_pos(y, &ev->start_mark, &line, &col);
        if (!b->broken)
            errs_add(y->e, line, col,
                     "YAML aliases (*%s) are not supported: write the value out in full",
                     (const char *)ev->data.alias.anchor);
        b->broken = true;
        n = new_node(y, YN_SCALAR, &ev->start_mark);
        if (!n || !(n->value = strdup("")))
            return ynode_free(n), y->e->oom = true, -1;
        n->kind = YS_NULL;
        return add_node(y, b, n);
    case YAML_SCALAR_EVENT:
        return on_scalar(y, b, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        n = new_node(y, ev->type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP, &ev->start_mark);
        if (!n)
            return y->e->oom = true, -1;
        return add_node(y, b, n);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return 0;
    default:
        return 0;
    }
}

static void report_parser_error(struct yparse *y, const yaml_parser_t *p)
{
    int line, col;
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_MEMORY_ERROR) {
        y->e->oom = true;
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        offset_pos(y, p->problem_offset, &line, &col);
        errs_add(y->e, line, col, "not valid YAML: %s", problem);
        return;
    }
    mark_pos(y, &p->problem_mark, &line, &col);
    if (p->context) {
        int cl, cc;
        mark_pos(y, &p->context_mark, &cl, &cc);
        errs_add(y->e, line, col, "not valid YAML: %s (%s at line %d)", problem, p->context, cl);
    } else {
        errs_add(y->e, line, col, "not valid YAML: %s", problem);
    }
}

size_t spec_yaml_parse(struct spec_errs *e, const char *data, size_t len, bool json, spec_doc_fn fn,
                       void *ctx)
{
    _cleanup_free_ char *rewritten = NULL;
    struct fixups fx = {0};
    struct yparse y = {.e = e, .data = data, .len = len, .fn = fn, .ctx = ctx, .fx = &fx};
    struct ybuild *b = NULL;
    yaml_parser_t parser;
    bool done = false;

    if (json) {
        size_t rlen = 0;
        if (json_rewrite(data, len, &rewritten, &rlen, &fx) < 0) {
            free(fx.v);
            e->oom = true;
            return 0;
        }
        if (rewritten) {
            y.data = rewritten;
            y.len = rlen;
        }
    }
    b = calloc(1, sizeof(*b));
    if (!b || !yaml_parser_initialize(&parser)) {
        free(b);
        free(fx.v);
        e->oom = true;
        return 0;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)y.data, y.len);
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            report_parser_error(&y, &parser);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        int r = on_event(&y, b, &ev);
        yaml_event_delete(&ev);
        if (r < 0 || e->oom)
            break;
    }
    build_reset(b);
    free(b);
    yaml_parser_delete(&parser);
    free(fx.v);
    return y.docs;
}
