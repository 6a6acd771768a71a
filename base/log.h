#pragma once
/*
 * Logging to stderr, one line per event ("tank[LEVEL]: message"), which journald and
 * plain terminals both read well. Only the caller that decides logs; library code
 * returns errors instead. Messages are printed through tk_escape (base/err.h).
 */
enum tk_log_level { TK_LOG_ERROR, TK_LOG_WARN, TK_LOG_INFO, TK_LOG_DEBUG };

void tk_log_set_level(enum tk_log_level level);
enum tk_log_level tk_log_get_level(void);
void tk_log(enum tk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define tk_error(...) tk_log(TK_LOG_ERROR, __VA_ARGS__)
#define tk_warn(...) tk_log(TK_LOG_WARN, __VA_ARGS__)
#define tk_info(...) tk_log(TK_LOG_INFO, __VA_ARGS__)
#define tk_debug(...) tk_log(TK_LOG_DEBUG, __VA_ARGS__)

/* tk_info("%s", msg), in the shape of a library's notice callback (ctx unused). */
void tk_log_notice(void *ctx, const char *msg);
