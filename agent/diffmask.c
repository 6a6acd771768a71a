/* `tank diff` of a Secret: its values masked, as kubectl diff masks them. */
#include "agent/diffmask.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "spec/spec.h"

/* The Secret that text (one document) defines, NULL when it does not define a valid one. */
static struct spec_object *parse_secret(const char *text, size_t len)
{
    struct spec_set set;
    struct spec_object *o = NULL;
    spec_set_init(&set);
    if (spec_parse_buffer(&set, "secret.yaml", text, len) >= 0)
        for (size_t i = 0; !o && i < set.n_objects; i++)
            if (set.objects[i]->kind == SPEC_SECRET)
                o = spec_object_dup(set.objects[i]);
    spec_set_free(&set);
    return o;
}

/* The mask of key's value: "***" when the other side holds the same value. */
static const char *mask_of(const char *key, const struct spec_object *self,
                           const struct spec_object *other, const char *changed)
{
    const struct spec_data *a = self ? spec_object_get(self, key) : NULL;
    const struct spec_data *b = other ? spec_object_get(other, key) : NULL;
    return a && b && a->len == b->len && !memcmp(a->value, b->value, a->len) ? "***" : changed;
}

/* A key as written ("key", 'key', key) into k. */
static void key_of(const char *s, size_t n, char *k, size_t size)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s++;
        n -= 2;
    }
    snprintf(k, size, "%.*s", (int)n, s);
}

/* A JSON (or flow-style) Secret: rewritten with its keys, each value masked. */
static void mask_whole(const struct spec_object *self, const struct spec_object *other,
                       const char *changed, struct tk_buf *out)
{
    tk_buf_addf(out, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n",
                self->name, self->namespace);
    tk_buf_addf(out, "type: %s\n%sdata:\n", self->type ? self->type : "Opaque",
                self->immutable ? "immutable: true\n" : "");
    for (size_t i = 0; i < self->n_data; i++)
        tk_buf_addf(out, "  %s: %s\n", self->data[i].key,
                    mask_of(self->data[i].key, self, other, changed));
}

/* Is the line (n bytes) a top-level "data:" or "stringData:" key? Its length, or 0. */
static size_t data_key(const char *p, size_t n)
{
    if (n >= 5 && !strncmp(p, "data:", 5))
        return 5;
    if (n >= 11 && !strncmp(p, "stringData:", 11))
        return 11;
    return 0;
}

/* Block-style YAML: each value under data: and stringData: masked in place, the rest kept;
 * false when a value is written another way (inline after "data:"). */
static bool mask_lines(const char *text, size_t len, const struct spec_object *self,
                       const struct spec_object *other, const char *changed, struct tk_buf *out)
{
    bool in = false;
    size_t key_indent = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p), ind = 0;
        while (ind < n && p[ind] == ' ')
            ind++;
        bool blank = ind == n || strchr("\r\n#", p[ind]);
        size_t dk = ind == 0 && !blank ? data_key(p, n) : 0;
        if (ind == 0 && !blank) {
            const char *rest = p + dk;
            while (dk && rest < p + n && (*rest == ' ' || *rest == '\t' || *rest == '\r'))
                rest++;
            if (dk && rest < p + n && *rest != '\n' && *rest != '#')
                return false;
            in = dk != 0;
            key_indent = 0;
        } else if (in && !blank) {
            const char *colon = memchr(p + ind, ':', n - ind);
            if (!key_indent)
                key_indent = ind;
            if (ind != key_indent || !colon) /* a value's further lines: left out */
                goto next;
            char key[256];
            key_of(p + ind, (size_t)(colon - p - ind), key, sizeof(key));
            tk_buf_addf(out, "%.*s %s\n", (int)(colon + 1 - p), p,
                        mask_of(key, self, other, changed));
            goto next;
        }
        tk_buf_add(out, p, n);
    next:
        p += n;
    }
    return true;
}

/* Can text's values be masked line by line (block-style YAML)? */
static bool maskable(const char *text, size_t len)
{
    size_t lead = 0;
    while (lead < len && strchr(" \t\r\n", text[lead]))
        lead++;
    struct tk_buf scratch = TK_BUF_INIT;
    bool ok = !(lead < len && text[lead] == '{') && mask_lines(text, len, NULL, NULL, "", &scratch);
    tk_buf_free(&scratch);
    return ok;
}

void diffmask_secret(const char *text, size_t len, const char *other_text, size_t other_len,
                     bool before, struct tk_buf *out)
{
    struct spec_object *self = parse_secret(text, len);
    struct spec_object *other = parse_secret(other_text, other_len);
    const char *changed = before ? "*** (before)" : "*** (after)";
    /* (both sides rewritten when either must be, so that they compare) */
    bool whole = !maskable(text, len) || (other_len && !maskable(other_text, other_len));
    struct tk_buf b = TK_BUF_INIT;
    if (!len) {
        /* nothing: a Secret that is not there */
    } else if (!self) {
        tk_buf_adds(&b, "# (a Secret that does not validate: its text is not shown)\n");
    } else if (whole || !mask_lines(text, len, self, other, changed, &b)) {
        tk_buf_free(&b);
        mask_whole(self, other, changed, &b);
    }
    tk_buf_add(out, b.s ? b.s : "", b.len);
    tk_buf_free(&b);
    spec_object_free(self);
    spec_object_free(other);
}
