#pragma once
/*
 * qsort() for arrays that may be empty. An empty array is often a NULL pointer here,
 * and passing NULL to qsort() is undefined even when the count is 0.
 */
#include <stdlib.h>

static inline void tk_sort(void *base, size_t n, size_t size,
                           int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}
