#pragma once
/*
 * Errors with context.
 *
 * A failing function fills a caller-provided `struct tk_err` at the failing spot and
 * returns a negative value (usually -errno). Callers on the way up may prefix context
 * with tk_err_wrap(): "pull 'busybox': layer sha256:ab12: digest mismatch".
 * Only the caller that decides prints the message (err->msg).
 *
 * All functions accept err == NULL (the message is then dropped, the code still returned).
 * Messages are made printable as they are set (tk_escape): a message quoting what an image,
 * a registry or a manifest said never carries a terminal escape.
 */
#include <stddef.h>

#define TK_ERR_MSG_MAX 1024

struct tk_err {
    int code;                 /* negative errno-style code, 0 when no error is set */
    char msg[TK_ERR_MSG_MAX]; /* lowercase, failed action first; one line, printable */
};

/* Set the error to code (negative) and a printf-formatted message; returns code. */
int tk_err_set(struct tk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like tk_err_set() but appends ": strerror(-code)". Returns code. */
int tk_err_sys(struct tk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with a printf-formatted context and ": ". Returns err->code
 * (or -EIO when err is NULL or no code was set). */
int tk_err_wrap(struct tk_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The one helper for printing what came from outside (an image, a registry, a manifest, a
 * file name): copy s into out (size bytes, always NUL-terminated, truncated at a whole
 * character) with everything a terminal would act on made visible: C0 controls and DEL as
 * \xNN (so ESC is \x1b, a newline \x0a), C1 controls (U+0080..U+009F) as \u00NN, and bytes
 * that are not UTF-8 as \xNN. Valid UTF-8 text is copied as is, backslashes too, so escaping
 * twice changes nothing. Returns out. tank logs prints a container's output as is.
 */
char *tk_escape(const char *s, char *out, size_t size);
/* Whether tk_escape would change s. */
int tk_needs_escape(const char *s);
