#pragma once
/* One layer blob extracted as a pull extracts it, for `tank __extract`. */
#include <stdint.h>

#include "base/err.h"

/* Extract one layer blob (gzip, zstd or plain tar, told apart by their magic bytes) read
 * from fd to its end into dir (existing, normally empty), exactly as a pull does: in a child
 * chrooted into dir, libarchive's secure flags, whiteouts converted, at most max_layer_size
 * uncompressed bytes (0 = 8 GiB). Fills diff_id with "sha256:…" of the uncompressed tar.
 * The calling process must not have threads. For `tank __extract` (debugging, fuzzing). */
int image_extract_layer(int fd, const char *dir, uint64_t max_layer_size, char diff_id[72],
                        struct tk_err *err);
