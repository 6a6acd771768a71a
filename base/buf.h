#pragma once
/*
 * Growable byte/string buffer (git strbuf tone).
 *
 * A zeroed struct tk_buf (TK_BUF_INIT) is an empty buffer; buf.s is always
 * NUL-terminated once anything was added (tk_buf_str() returns "" for an empty one).
 * Allocation failure aborts (base/alloc.h): these buffers hold metadata, not bulk data.
 */
#include <stdarg.h>
#include <stddef.h>

struct tk_buf {
    char *s;
    size_t len;
    size_t cap;
};

#define TK_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void tk_buf_grow(struct tk_buf *b, size_t extra);
void tk_buf_add(struct tk_buf *b, const void *data, size_t len);
void tk_buf_adds(struct tk_buf *b, const char *s);
void tk_buf_addc(struct tk_buf *b, char c);
void tk_buf_addf(struct tk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tk_buf_vaddf(struct tk_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append s as a JSON string literal, quotes included. */
void tk_buf_add_json_str(struct tk_buf *b, const char *s);
void tk_buf_reset(struct tk_buf *b);
const char *tk_buf_str(const struct tk_buf *b);
/* Hand the heap string to the caller (never NULL) and leave the buffer empty. */
char *tk_buf_detach(struct tk_buf *b);
void tk_buf_free(struct tk_buf *b);

static inline void tk_buf_freep(struct tk_buf *b)
{
    tk_buf_free(b);
}
#define _cleanup_buf_ __attribute__((cleanup(tk_buf_freep)))
