/* The way from / to pods_dir and the symbolic links on it. See pathwalk.h. */
#include "agent/pathwalk.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"

#define MAX_LINKS 40 /* symbolic links followed on the way to pods_dir (as the kernel) */

void walk_free(struct path_walk *w)
{
    tk_buf_free(&w->sig);
    free(w->root);
    free(w->last_link);
}

static void walk_note(struct path_walk *w, const char *dir, const char *name)
{
    tk_buf_adds(&w->sig, dir[0] ? dir : "/");
    tk_buf_add(&w->sig, "", 1);
    tk_buf_adds(&w->sig, name);
    tk_buf_add(&w->sig, "", 1);
}

static void buf_cut(struct tk_buf *b, size_t len)
{
    if (b->s && len <= b->len) {
        b->len = len;
        b->s[len] = '\0';
    }
}

/* A link met at cur/comp: the rest of the walk becomes its target, then after. */
static int walk_link(struct path_walk *w, const char *path, const char *link, const char *after,
                     bool top, char **rest, size_t *orig)
{
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return -errno;
    target[n] = '\0';
    size_t after_len = strlen(after);
    if (top) { /* a link of the configured path itself (not one inside another's target) */
        free(w->last_link);
        size_t len = strlen(path) - after_len;
        while (len > 1 && path[len - 1] == '/')
            len--;
        w->last_link = strndup(path, len);
    }
    if (*orig > after_len)
        *orig = after_len;
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/%s", target, after);
    free(*rest);
    *rest = tk_buf_detach(&b);
    return *rest ? 0 : -ENOMEM;
}

int walk_path(const char *path, struct path_walk *w)
{
    _cleanup_buf_ struct tk_buf cur = TK_BUF_INIT; /* resolved so far; "" is / */
    _cleanup_free_ char *rest = tk_xstrdup(path);
    size_t orig = strlen(path); /* the tail of rest that is still the configured path */
    int links = 0;
    for (char *p = rest; p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        bool top = strlen(p) <= orig;
        char *end = strchrnul(p, '/');
        _cleanup_free_ char *comp = strndup(p, (size_t)(end - p));
        while (*end == '/')
            end++;
        if (!comp)
            return -ENOMEM;
        if (!strcmp(comp, ".")) {
            p = end;
            continue;
        }
        if (!strcmp(comp, "..")) {
            const char *slash = strrchr(tk_buf_str(&cur), '/');
            buf_cut(&cur, slash ? (size_t)(slash - cur.s) : 0);
            p = end;
            continue;
        }
        size_t cur_len = cur.len;
        tk_buf_addf(&cur, "/%s", comp);
        struct stat st;
        if (lstat(cur.s, &st) < 0 || (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))) {
            buf_cut(&cur, cur_len);
            walk_note(w, tk_buf_str(&cur), comp); /* the anchor: the first missing */
            return 0;
        }
        if (!S_ISLNK(st.st_mode)) {
            p = end;
            continue;
        }
        buf_cut(&cur, cur_len);
        walk_note(w, tk_buf_str(&cur), comp);
        tk_buf_addf(&cur, "/%s", comp);
        int r = ++links > MAX_LINKS ? -ELOOP : walk_link(w, path, cur.s, end, top, &rest, &orig);
        buf_cut(&cur, cur_len);
        if (r == -ELOOP || r == -ENOENT)
            return 0; /* a loop, or a link gone meanwhile: no pods_dir */
        if (r < 0)
            return r;
        p = rest;
        if (*p == '/')
            buf_cut(&cur, 0);
    }
    if (!cur.len)
        tk_buf_addf(&cur, "/");
    char *slash = strrchr(cur.s, '/');
    if (slash && slash[1]) { /* the anchor: pods_dir in its resolved parent */
        *slash = '\0';
        walk_note(w, cur.s, slash + 1);
        *slash = '/';
    }
    w->root = strdup(cur.s);
    return w->root ? 0 : -ENOMEM;
}

/* The name of the directory the last symbolic link on the way resolves to (git-sync's
 * worktree, named by the commit). */
char *walk_revision(const struct path_walk *w)
{
    _cleanup_free_ char *real = w->last_link ? realpath(w->last_link, NULL) : NULL;
    const char *b = real ? strrchr(real, '/') : NULL;
    return real ? strdup(b && b[1] ? b + 1 : real) : NULL;
}
