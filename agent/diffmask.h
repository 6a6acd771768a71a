#pragma once
/*
 * `tank diff` of a Secret shows its keys, never its values, as kubectl diff does: each value
 * under data: and stringData: becomes "***" when both sides hold the same value, else
 * "*** (before)" on the running side and "*** (after)" on the file's. The rest of the
 * document is kept as written; a Secret written in JSON or flow style is shown rewritten
 * (name, namespace, type, its keys), one that does not validate as a comment only.
 */
#include <stdbool.h>
#include <stddef.h>

struct tk_buf;

/* text (len bytes, one document) masked into out; other_text is the other side's document;
 * before: text is the running side. */
void diffmask_secret(const char *text, size_t len, const char *other_text, size_t other_len,
                     bool before, struct tk_buf *out);
