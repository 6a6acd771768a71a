#pragma once
/*
 * Checked parsing of numbers, durations and sizes. All return 0 on success and -EINVAL
 * (or -ERANGE) on failure, leaving *out untouched on failure.
 */
#include <stdint.h>

/* Whole decimal string to a signed 64-bit integer within [min, max]. */
int tk_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Whole string to an unsigned 32-bit integer (decimal). */
int tk_parse_uint32(const char *s, uint32_t *out);

/* Duration: "250ms", "10s", "5m", "1h", "1h30m", "1.5s"; a bare number is seconds.
 * Result in milliseconds. */
int tk_parse_duration_ms(const char *s, int64_t *out_ms);

/* Kubernetes quantity as a byte size: "64Mi", "1G", "512", "1.5Gi", "100k", "1e3".
 * Result in bytes (fractions rounded up). */
int tk_parse_quantity(const char *s, uint64_t *out_bytes);
