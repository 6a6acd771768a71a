/* Allocations that abort on failure. See alloc.h for when they are used. */
#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void tk_oom(void)
{
    static const char msg[] = "tank: out of memory\n";
    ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)r;
    abort();
}

void *tk_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        tk_oom();
    return p;
}

void *tk_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        tk_oom();
    return p;
}

void *tk_xreallocarray(void *p, size_t n, size_t size)
{
    void *q = reallocarray(p, n ? n : 1, size);
    if (!q)
        tk_oom();
    return q;
}

char *tk_xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        tk_oom();
    return d;
}

char *tk_xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        tk_oom();
    return d;
}
