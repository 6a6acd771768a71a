#pragma once
/*
 * Tank's out-of-memory policy, in one place.
 *
 * - Metadata (names, paths, lists, parsed manifests and configs, messages: small and
 *   bounded by the limits the parsers enforce) is allocated with the tk_x*() calls below:
 *   on failure they write "out of memory" to stderr and abort. No caller checks them, and
 *   none can half-handle a failure. tk_buf (base/buf.h) follows the same rule.
 * - What input sizes (a layer, a blob, a file or an HTTP body read whole, a log) is
 *   allocated with the plain calls, checked, and fails with -ENOMEM and context in the
 *   struct tk_err, so one oversized input fails alone.
 * - Code that already returns -ENOMEM for a small allocation may keep doing so; an
 *   unchecked allocation is a bug either way.
 */
#include <stddef.h>

/* Report the failure on stderr and abort (never returns). */
_Noreturn void tk_oom(void);

void *tk_xmalloc(size_t size);
void *tk_xcalloc(size_t n, size_t size); /* n == 0 gets one element */
void *tk_xreallocarray(void *p, size_t n, size_t size);
char *tk_xstrdup(const char *s);
char *tk_xstrndup(const char *s, size_t n);
