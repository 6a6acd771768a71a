#pragma once
/*
 * Edits of the manifests in pods_dir for `tank apply` and `tank delete`: find the file and
 * the document that define a pod, cut that document out of its file or replace it, the
 * rest of the file kept byte for byte, the file written atomically (or removed when the pod
 * was all it held). A document is the text from a "---" line at column 0 (or the file's
 * start) to the next one.
 */
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct tank_config;

#define PODFILE_SYNCED_MSG "pods_dir is published by git: remove the pod from the repository"

/* True when pods_dir is published by a sync: [sync] repo is set, or its path passes through
 * a symbolic link into a ".worktrees" directory (git-sync's revision directories). Edits
 * there would be undone by the next sync, so apply and delete refuse them. */
bool podfile_synced(const struct tank_config *cfg);

/* Where pod name is defined under pods_dir: *file (heap) and *line (of the document's
 * first key). -ENOENT when no valid pod has that name, other -errno with err set. */
int podfile_find(const char *pods_dir, const char *name, char **file, int *line,
                 struct tk_err *err);

/* The document of data (len bytes) that holds line, without its "---" line: *doc points
 * into data, *doc_len its length. */
void podfile_doc(const char *data, size_t len, int line, const char **doc, size_t *doc_len);

/* In file, replace the document holding line by text (len bytes; text NULL = cut it out).
 * When cutting leaves no other document with content, the file is removed (*removed set).
 * Written atomically with the configuration's file mode and group. -errno with err set. */
int podfile_edit(const struct tank_config *cfg, const char *file, int line, const char *text,
                 size_t len, bool *removed, struct tk_err *err);
