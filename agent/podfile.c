/* Edits of the manifests in pods_dir: see podfile.h. */
#include "agent/podfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "spec/spec.h"

bool podfile_synced(const struct tank_config *cfg)
{
    char real[PATH_MAX];
    if (cfg->sync_repo && *cfg->sync_repo)
        return true;
    if (!realpath(cfg->pods_dir, real))
        return false;
    return strcmp(real, cfg->pods_dir) != 0 && strstr(real, "/.worktrees/") != NULL;
}

int podfile_find(const char *pods_dir, const char *name, char **file, int *line, struct tk_err *err)
{
    struct spec_set set;
    spec_set_init(&set);
    int r = spec_load_tree(&set, pods_dir);
    if (r < 0) {
        spec_set_free(&set);
        return tk_err_set(err, r, "read '%s': %s", pods_dir, strerror(-r));
    }
    const struct spec_pod *p = spec_set_find(&set, name);
    r = -ENOENT;
    if (p) {
        *file = strdup(p->file);
        *line = p->line;
        r = *file ? 0 : tk_err_set(err, -ENOMEM, "out of memory");
    }
    spec_set_free(&set);
    return r;
}

/* Is s (len bytes) at a line start a document marker ("---" then a blank or the end)? */
static bool is_marker(const char *s, size_t len)
{
    return len >= 3 && !memcmp(s, "---", 3) &&
           (len == 3 || s[3] == '\n' || s[3] == ' ' || s[3] == '\t' || s[3] == '\r');
}

/* Anything but blanks, comments and the marker line in data[a, b)? */
static bool has_content(const char *data, size_t a, size_t b)
{
    size_t i = a;
    if (is_marker(data + a, b - a))
        i = a + 3 + strcspn(data + a + 3, "\n");
    bool line_start = true, comment = false;
    for (; i < b; i++) {
        char c = data[i];
        if (c == '\n') {
            line_start = true;
            comment = false;
            continue;
        }
        if (comment || c == ' ' || c == '\t' || c == '\r')
            continue;
        if (c == '#' && line_start) {
            comment = true;
            continue;
        }
        return true;
    }
    return false;
}

/* The documents' byte offsets: starts[0] = 0, then each marker line's start; n of them. */
static size_t split_docs(const char *data, size_t len, size_t *starts, int *lines, size_t max)
{
    size_t n = 0;
    int line = 1;
    starts[n] = 0;
    lines[n++] = 1;
    for (size_t i = 0; i < len; i++) {
        if ((i == 0 || data[i - 1] == '\n') && i > 0 && is_marker(data + i, len - i) && n < max) {
            starts[n] = i;
            lines[n++] = line;
        }
        if (data[i] == '\n')
            line++;
    }
    return n;
}

#define PODFILE_MAX_DOCS 4096

void podfile_doc(const char *data, size_t len, int line, const char **doc, size_t *doc_len)
{
    spec_doc_text(data, len, line, doc, doc_len);
}

int podfile_edit(const struct tank_config *cfg, const char *file, int line, const char *text,
                 size_t len, bool *removed, struct tk_err *err)
{
    _cleanup_free_ char *data = NULL;
    _cleanup_free_ size_t *starts = calloc(PODFILE_MAX_DOCS + 1, sizeof(size_t));
    _cleanup_free_ int *lines = calloc(PODFILE_MAX_DOCS + 1, sizeof(int));
    size_t dlen = 0;
    *removed = false;
    int r = starts && lines ? tk_read_file(file, SPEC_MAX_FILE_SIZE, &data, &dlen) : -ENOMEM;
    if (r < 0)
        return tk_err_set(err, r, "read '%s': %s", file, strerror(-r));
    size_t n = split_docs(data, dlen, starts, lines, PODFILE_MAX_DOCS);
    starts[n] = dlen;
    size_t k = 0;
    while (k + 1 < n && lines[k + 1] <= line)
        k++;
    bool others = false;
    for (size_t i = 0; i < n; i++)
        others = others || (i != k && has_content(data, starts[i], starts[i + 1]));
    if (!text && !others) {
        if (unlink(file) < 0)
            return tk_err_set(err, -errno, "remove '%s': %s", file, strerror(errno));
        *removed = true;
        return 0;
    }
    _cleanup_buf_ struct tk_buf out = TK_BUF_INIT;
    tk_buf_add(&out, data, starts[k]);
    if (text) {
        if (k > 0 && !is_marker(text, len))
            tk_buf_addf(&out, "---\n");
        tk_buf_add(&out, text, len);
        if (len && text[len - 1] != '\n')
            tk_buf_addc(&out, '\n');
    }
    tk_buf_add(&out, data + starts[k + 1], dlen - starts[k + 1]);
    r = tk_write_file_atomic_group(file, out.s ? out.s : "", out.len, config_file_mode(cfg),
                                   cfg->gid);
    if (r < 0)
        return tk_err_set(err, r, "write '%s': %s", file, strerror(-r));
    return 0;
}
