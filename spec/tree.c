/* Loading a tree of manifests: every *.yaml, *.yml and *.json below a directory (symlinks
 * followed, loops and hidden entries skipped), in path order, pod names unique. */
#include "spec/spec.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "spec/spec-int.h"

/* Directories deeper than this below the root are not entered. */
#define TREE_MAX_DEPTH 32

struct file {
    char *path;
    dev_t dev;
    ino_t ino;
    bool dup; /* the same file under an earlier path (through a symlink) */
};

struct paths {
    struct file *v;
    size_t n;
    size_t cap;
};

struct dir_id {
    dev_t dev;
    ino_t ino;
};

static int paths_add(struct paths *p, char *s, const struct stat *st)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 32;
        struct file *v = realloc(p->v, cap * sizeof(*v));
        if (!v) {
            free(s);
            return -ENOMEM;
        }
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = (struct file){s, st->st_dev, st->st_ino, false};
    return 0;
}

static bool is_manifest_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name &&
           (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int error_at(struct spec_set *set, const char *path, const char *msg, int err)
{
    struct spec_error *v = realloc(set->errors, (set->n_errors + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    set->errors = v;
    struct spec_error *e = &set->errors[set->n_errors];
    e->file = strdup(path);
    if (asprintf(&e->message, "%s: %s", msg, strerror(err)) < 0)
        e->message = NULL;
    if (!e->file || !e->message) {
        free(e->file);
        free(e->message);
        return -ENOMEM;
    }
    e->line = e->column = 0;
    set->n_errors++;
    return 1;
}

static int collect(struct spec_set *set, const char *dir, struct dir_id *stack, size_t depth,
                   struct paths *out)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    int errors = 0;
    if (!d)
        return error_at(set, dir, "cannot read directory", errno);
    for (struct dirent *de; (errno = 0, de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char *p = NULL;
        struct stat st;
        if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
            return -ENOMEM;
        if (stat(p, &st) < 0) {
            /* A dangling link named like a manifest is worth telling; others are not. */
            int r = is_manifest_name(de->d_name) ? error_at(set, p, "cannot read", errno) : 0;
            free(p);
            if (r < 0)
                return r;
            errors += r;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            bool loop = depth >= TREE_MAX_DEPTH;
            for (size_t i = 0; i < depth && !loop; i++)
                loop = stack[i].dev == st.st_dev && stack[i].ino == st.st_ino;
            int r = 0;
            if (!loop) {
                stack[depth] = (struct dir_id){st.st_dev, st.st_ino};
                r = collect(set, p, stack, depth + 1, out);
            }
            free(p);
            if (r < 0)
                return r;
            errors += r;
        } else if (S_ISREG(st.st_mode) && is_manifest_name(de->d_name)) {
            if (paths_add(out, p, &st) < 0)
                return -ENOMEM;
        } else {
            free(p);
        }
    }
    if (errno)
        return error_at(set, dir, "cannot read directory", errno);
    return errors;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

static int id_cmp(const void *a, const void *b)
{
    const struct file *x = *(const struct file *const *)a, *y = *(const struct file *const *)b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Sort by path; a file reached again through a symlink is read once, under its first path. */
static int sort_files(struct paths *files)
{
    if (files->n < 2)
        return 0; /* nothing to sort or pair (and v may be NULL) */
    qsort(files->v, files->n, sizeof(*files->v), path_cmp);
    struct file **by_id = calloc(files->n, sizeof(*by_id));
    if (!by_id)
        return -ENOMEM;
    for (size_t i = 0; i < files->n; i++)
        by_id[i] = &files->v[i];
    qsort(by_id, files->n, sizeof(*by_id), id_cmp);
    for (size_t i = 1; i < files->n; i++)
        if (by_id[i]->dev == by_id[i - 1]->dev && by_id[i]->ino == by_id[i - 1]->ino)
            by_id[i]->dup = true;
    free(by_id);
    return 0;
}

/* Pods added from index first on: a name already in the set is an error on the later one. */
static int check_names(struct spec_set *set, size_t first)
{
    int errors = 0;
    for (size_t i = first; i < set->n_pods;) {
        struct spec_pod *pod = set->pods[i];
        struct spec_pod *prev = NULL;
        for (size_t j = 0; j < i && !prev; j++)
            if (!strcmp(set->pods[j]->name, pod->name))
                prev = set->pods[j];
        if (!prev) {
            i++;
            continue;
        }
        struct spec_error *v = realloc(set->errors, (set->n_errors + 1) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        set->errors = v;
        struct spec_error *e = &set->errors[set->n_errors];
        e->file = strdup(pod->file);
        if (asprintf(&e->message, "metadata.name: pod name '%s' is already defined in %s:%d",
                     pod->name, prev->file, prev->name_line) < 0)
            e->message = NULL;
        if (!e->file || !e->message) {
            free(e->file);
            free(e->message);
            return -ENOMEM;
        }
        e->line = pod->name_line;
        e->column = pod->name_column;
        set->n_errors++;
        errors++;
        spec_pod_free(spec_set_take(set, i));
    }
    return errors;
}

int spec_load_tree(struct spec_set *set, const char *path)
{
    struct paths files = {0};
    struct dir_id stack[TREE_MAX_DEPTH + 1];
    struct stat st;
    int errors = 0, r = 0;

    if (stat(path, &st) < 0)
        return error_at(set, path, "cannot read", errno);
    if (!S_ISDIR(st.st_mode)) {
        size_t first = set->n_pods;
        r = spec_parse_file(set, path);
        if (r < 0)
            return r;
        int d = check_names(set, first);
        return d < 0 ? d : r + d;
    }
    stack[0] = (struct dir_id){st.st_dev, st.st_ino};
    r = collect(set, path, stack, 1, &files);
    if (r >= 0) {
        errors = r;
        r = sort_files(&files);
    }
    for (size_t i = 0; r >= 0 && i < files.n; i++) {
        size_t first = set->n_pods;
        if (files.v[i].dup)
            continue;
        r = spec_parse_file(set, files.v[i].path);
        if (r >= 0) {
            errors += r;
            r = check_names(set, first);
            if (r >= 0)
                errors += r;
        }
    }
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i].path);
    free(files.v);
    return r < 0 ? r : errors;
}
