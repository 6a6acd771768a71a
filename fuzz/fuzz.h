#pragma once
/*
 * Shared by the libFuzzer targets in fuzz/ (one target per file, built by `make fuzz`).
 * Each target defines LLVMFuzzerTestOneInput and feeds the bytes to one parser; a crash,
 * a sanitizer report or a leak is a bug in Tank. Targets must be deterministic and must
 * not keep state between inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A heap, NUL-terminated copy of data (inputs are not NUL-terminated). Aborts on ENOMEM. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Split data at the first occurrence of the byte sep: the part before into *a (a heap
 * string), the rest stays in data/size. Used to carve several fields out of one input. */
static inline char *fuzz_take(const uint8_t **data, size_t *size, uint8_t sep)
{
    const uint8_t *p = memchr(*data, sep, *size);
    size_t n = p ? (size_t)(p - *data) : *size;
    char *s = fuzz_strndup(*data, n);
    *data += p ? n + 1 : n;
    *size -= p ? n + 1 : n;
    return s;
}
