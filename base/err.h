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
 */
#include <stddef.h>

#define TK_ERR_MSG_MAX 1024

struct tk_err {
    int code;                 /* negative errno-style code, 0 when no error is set */
    char msg[TK_ERR_MSG_MAX]; /* lowercase, failed action first; never ends with '\n' */
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

/* Reset to "no error". */
void tk_err_clear(struct tk_err *err);
