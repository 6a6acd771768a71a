#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

void tk_buf_grow(struct tk_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->s = tk_xreallocarray(b->s, cap, 1);
    b->cap = cap;
}

void tk_buf_add(struct tk_buf *b, const void *data, size_t len)
{
    tk_buf_grow(b, len);
    if (len)
        memcpy(b->s + b->len, data, len);
    b->len += len;
    b->s[b->len] = '\0';
}

void tk_buf_adds(struct tk_buf *b, const char *s)
{
    tk_buf_add(b, s, strlen(s));
}

void tk_buf_addc(struct tk_buf *b, char c)
{
    tk_buf_add(b, &c, 1);
}

void tk_buf_vaddf(struct tk_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    tk_buf_grow(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tk_buf_addf(struct tk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tk_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void tk_buf_add_json_str(struct tk_buf *b, const char *s)
{
    tk_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            tk_buf_adds(b, "\\\"");
            break;
        case '\\':
            tk_buf_adds(b, "\\\\");
            break;
        case '\n':
            tk_buf_adds(b, "\\n");
            break;
        case '\r':
            tk_buf_adds(b, "\\r");
            break;
        case '\t':
            tk_buf_adds(b, "\\t");
            break;
        default:
            if (*p < 0x20)
                tk_buf_addf(b, "\\u%04x", *p);
            else
                tk_buf_addc(b, (char)*p);
        }
    }
    tk_buf_addc(b, '"');
}

void tk_buf_reset(struct tk_buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

const char *tk_buf_str(const struct tk_buf *b)
{
    return b->s ? b->s : "";
}

char *tk_buf_detach(struct tk_buf *b)
{
    char *s = b->s ? b->s : tk_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void tk_buf_free(struct tk_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
