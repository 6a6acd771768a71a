#include "base/log.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum tk_log_level current_level = TK_LOG_INFO;

void tk_log_set_level(enum tk_log_level level)
{
    current_level = level;
}

enum tk_log_level tk_log_get_level(void)
{
    return current_level;
}

void tk_log(enum tk_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > current_level)
        return;
    char line[2048], shown[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One write per line so concurrent writers do not interleave; what it quotes from an
     * image, a registry or a manifest never reaches a terminal or the journal raw. */
    fprintf(stderr, "tank[%s]: %s\n", names[level], tk_escape(line, shown, sizeof(shown)));
    fflush(stderr);
}

void tk_log_notice(void *ctx, const char *msg)
{
    (void)ctx;
    tk_info("%s", msg);
}
