#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 character at s when it is valid and not a C1 control, else 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (!n || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0))
        return 0; /* a stray continuation byte, an overlong lead, or U+0080..U+009F */
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
        (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return n;
}

/* The escape of the character at s into esc (at most 7 bytes); its input length. */
static size_t escape_one(const unsigned char *s, char esc[8], size_t *esc_len)
{
    if (*s >= 0x20 && *s < 0x7f) {
        esc[0] = (char)*s;
        *esc_len = 1;
        return 1;
    }
    size_t n = *s >= 0x80 ? utf8_len(s) : 0;
    if (n) {
        memcpy(esc, s, n);
        *esc_len = n;
        return n;
    }
    if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0) {
        *esc_len = (size_t)snprintf(esc, 8, "\\u%04x", s[1]);
        return 2;
    }
    *esc_len = (size_t)snprintf(esc, 8, "\\x%02x", *s);
    return 1;
}

char *tk_escape(const char *s, char *out, size_t size)
{
    size_t o = 0;
    if (!size)
        return out;
    for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
        char esc[8];
        size_t len;
        p += escape_one(p, esc, &len);
        if (o + len >= size)
            break;
        memcpy(out + o, esc, len);
        o += len;
    }
    out[o] = '\0';
    return out;
}

int tk_needs_escape(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
        char esc[8];
        size_t len, in = escape_one(p, esc, &len);
        if (len != in || memcmp(esc, p, len))
            return 1;
        p += in;
    }
    return 0;
}

/* Make err->msg printable in place (most messages need nothing). */
static void escape_msg(struct tk_err *err)
{
    if (!tk_needs_escape(err->msg))
        return;
    char raw[TK_ERR_MSG_MAX];
    memcpy(raw, err->msg, sizeof(raw));
    tk_escape(raw, err->msg, sizeof(err->msg));
}

int tk_err_set(struct tk_err *err, int code, const char *fmt, ...)
{
    if (code >= 0)
        code = -EIO;
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    escape_msg(err);
    err->code = code;
    return code;
}

int tk_err_sys(struct tk_err *err, int code, const char *fmt, ...)
{
    if (code >= 0)
        code = -EIO;
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(-code));
    escape_msg(err);
    err->code = code;
    return code;
}

int tk_err_wrap(struct tk_err *err, const char *fmt, ...)
{
    if (!err)
        return -EIO;
    if (err->code >= 0)
        err->code = -EIO;
    char prefix[TK_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char old[TK_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
    escape_msg(err);
    return err->code;
}
