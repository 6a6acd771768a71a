#pragma once
/*
 * Image layer directories (as the store extracts them: overlayfs whiteouts) flattened into
 * one directory tree.
 */
#include <stddef.h>

#include "base/err.h"

/* Copy layers (directories, lowest first) into dir (existing, normally empty), whiteouts and
 * opaque directories applied; owners, modes, times, xattrs, hard links and device nodes kept.
 * Runs the copy in a child chrooted into dir (root needed; the calling process must not have
 * threads). Directories nested deeper than 512 fail with -ELOOP. Returns 0 or -errno with err
 * naming the entry that failed. */
int image_flatten(const char *const *layers, size_t n, const char *dir, struct tk_err *err);
