#pragma once
/* What t/check_spec.c and t/check_specinput.c share. */
#include <stddef.h>

#include "spec/spec.h"

/* The source tree (TANK_SRC, else "."). */
const char *src_dir(void);
/* The set's errors, one "\n  FILE:L:C: message" each, into out. */
void dump_errors(const struct spec_set *set, char *out, size_t size);
/* text must hold exactly one valid pod: it (the caller frees it). */
struct spec_pod *parse_one(const char *file, const char *text);
/* text must give errors: the first, formatted "L:C: message" (heap). */
char *parse_error(const char *file, const char *text);
