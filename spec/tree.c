/* Loading a tree of manifests: every *.yaml, *.yml and *.json below a directory (symlinks
 * followed inside the tree only, loops and hidden entries skipped, bounded), in path order,
 * pod names unique. */
#include "spec/spec.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/sort.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "spec/spec-int.h"

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
    spec_set_add_error(set, path, 0, 0, "%s: %s", msg, strerror(err));
    return 1;
}

struct tree {
    struct spec_set *set;
    const char *root; /* resolved */
    struct dir_id stack[SPEC_TREE_MAX_DEPTH + 1];
    size_t entries;
    struct paths *out;
};

static int collect(struct tree *t, const char *dir, size_t depth);

/*
 * What the entry p (named name) is, following a symbolic link only while it stays inside
 * the tree: 1 with *st filled to go on, 0 to skip it (told when worth it), or an error count
 * / -ENOMEM as collect returns.
 */
static int entry_stat(struct tree *t, const char *p, const char *name, struct stat *st, int *errors)
{
    if (lstat(p, st) < 0)
        return 0; /* gone meanwhile */
    if (!S_ISLNK(st->st_mode))
        return 1;
    _cleanup_free_ char *real = realpath(p, NULL);
    if (!real || stat(real, st) < 0) {
        /* A dangling link named like a manifest is worth telling; others are not. */
        int r = is_manifest_name(name) ? error_at(t->set, p, "cannot read", errno) : 0;
        if (r < 0)
            return r;
        *errors += r;
        return 0;
    }
    if (!S_ISDIR(st->st_mode) && !is_manifest_name(name))
        return 0; /* never read: nothing to tell */
    if (tk_path_is_under(t->root, real))
        return 1;
    spec_set_add_warning(t->set, p, 0, 0, "symbolic link to '%s' leads outside '%s': skipped", real,
                         t->root);
    return 0;
}

static int collect_entry(struct tree *t, const char *dir, const char *name, size_t depth)
{
    _cleanup_free_ char *p = NULL;
    struct stat st;
    int errors = 0;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        return -ENOMEM;
    int r = entry_stat(t, p, name, &st, &errors);
    if (r <= 0)
        return r < 0 ? r : errors;
    if (S_ISDIR(st.st_mode)) {
        bool loop = depth >= SPEC_TREE_MAX_DEPTH;
        for (size_t i = 0; i < depth && !loop; i++)
            loop = t->stack[i].dev == st.st_dev && t->stack[i].ino == st.st_ino;
        if (loop)
            return 0;
        t->stack[depth] = (struct dir_id){st.st_dev, st.st_ino};
        return collect(t, p, depth + 1);
    }
    if (!is_manifest_name(name))
        return 0;
    if (!S_ISREG(st.st_mode)) {
        spec_set_add_warning(t->set, p, 0, 0,
                             "not a regular file (a FIFO, socket or device): skipped");
        return 0;
    }
    return paths_add(t->out, TAKE_PTR(p), &st);
}

static int collect(struct tree *t, const char *dir, size_t depth)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    int errors = 0;
    if (!d)
        return error_at(t->set, dir, "cannot read directory", errno);
    for (struct dirent *de; (errno = 0, de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        if (t->entries++ == SPEC_TREE_MAX_ENTRIES) {
            spec_set_add_error(t->set, t->root, 0, 0,
                               "more than %d entries below the pods directory: the rest is not "
                               "read",
                               SPEC_TREE_MAX_ENTRIES);
            return errors + 1;
        }
        if (t->entries > SPEC_TREE_MAX_ENTRIES)
            return errors;
        int r = collect_entry(t, dir, de->d_name, depth);
        if (r < 0)
            return r;
        errors += r;
    }
    if (errno)
        return error_at(t->set, dir, "cannot read directory", errno);
    return errors;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

static int note_cmp(const void *a, const void *b)
{
    return strcmp(((const struct spec_error *)a)->file, ((const struct spec_error *)b)->file);
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
    tk_sort(files->v, files->n, sizeof(*files->v), path_cmp);
    struct file **by_id = calloc(files->n, sizeof(*by_id));
    if (!by_id)
        return -ENOMEM;
    for (size_t i = 0; i < files->n; i++)
        by_id[i] = &files->v[i];
    tk_sort(by_id, files->n, sizeof(*by_id), id_cmp);
    for (size_t i = 1; i < files->n; i++)
        if (by_id[i]->dev == by_id[i - 1]->dev && by_id[i]->ino == by_id[i - 1]->ino)
            by_id[i]->dup = true;
    free(by_id);
    return 0;
}

/* ConfigMaps and Secrets added from index first on: (kind, namespace, name) already in the
 * set is an error on the later one, which is dropped. */
static int check_object_names(struct spec_set *set, size_t first)
{
    int errors = 0;
    for (size_t i = first; i < set->n_objects;) {
        struct spec_object *o = set->objects[i], *prev = NULL;
        for (size_t j = 0; j < i && !prev; j++)
            if (set->objects[j]->kind == o->kind && !strcmp(set->objects[j]->name, o->name) &&
                !strcmp(set->objects[j]->namespace, o->namespace))
                prev = set->objects[j];
        if (!prev) {
            i++;
            continue;
        }
        const char *kind = spec_object_kind_to_string(o->kind);
        spec_set_add_error(set, o->file, o->name_line, o->name_column,
                           "metadata.name: %s '%s' is already defined in %s:%d", kind, o->name,
                           prev->file, prev->name_line);
        errors++;
        spec_object_free(o);
        memmove(&set->objects[i], &set->objects[i + 1],
                (set->n_objects - i - 1) * sizeof(*set->objects));
        set->n_objects--;
    }
    return errors;
}

/* Pods added from index first on: a name already in the set is an error on the later one. */
static int check_pod_names(struct spec_set *set, size_t first)
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
        if (!strcmp(pod->namespace ? pod->namespace : "default",
                    prev->namespace ? prev->namespace : "default"))
            spec_set_add_error(set, pod->file, pod->name_line, pod->name_column,
                               "metadata.name: pod name '%s' is already defined in %s:%d",
                               pod->name, prev->file, prev->name_line);
        else /* Pod names are the host's: namespaces do not separate them. */
            spec_set_add_error(set, pod->file, pod->name_line, pod->name_column,
                               "metadata.name: pod name '%s' (namespace '%s') is already defined "
                               "in %s:%d (namespace '%s'); pod names are unique on a host "
                               "whatever the namespace",
                               pod->name, pod->namespace, prev->file, prev->name_line,
                               prev->namespace);
        errors++;
        spec_pod_free(spec_set_take(set, i));
    }
    return errors;
}

static int check_names(struct spec_set *set, size_t first, size_t first_obj)
{
    int a = check_pod_names(set, first);
    int b = a < 0 ? a : check_object_names(set, first_obj);
    return b < 0 ? b : a + b;
}

int spec_load_tree(struct spec_set *set, const char *path)
{
    struct paths files = {0};
    struct stat st;
    int errors = 0, r = 0;

    if (stat(path, &st) < 0)
        return error_at(set, path, "cannot read", errno);
    if (!S_ISDIR(st.st_mode)) {
        size_t first = set->n_pods, first_obj = set->n_objects;
        r = spec_parse_file(set, path);
        if (r < 0)
            return r;
        int d = check_names(set, first, first_obj);
        return d < 0 ? d : r + d;
    }
    _cleanup_free_ char *root = realpath(path, NULL);
    if (!root)
        return errno == ENOMEM ? -ENOMEM : error_at(set, path, "cannot read", errno);
    struct tree t = {.set = set, .root = root, .out = &files};
    t.stack[0] = (struct dir_id){st.st_dev, st.st_ino};
    size_t first_warning = set->n_warnings;
    r = collect(&t, path, 1);
    if (set->n_warnings > first_warning) /* in path order, as the files */
        tk_sort(set->warnings + first_warning, set->n_warnings - first_warning,
                sizeof(*set->warnings), note_cmp);
    if (r >= 0) {
        errors = r;
        r = sort_files(&files);
    }
    for (size_t i = 0; r >= 0 && i < files.n; i++) {
        size_t first = set->n_pods, first_obj = set->n_objects;
        if (files.v[i].dup)
            continue;
        r = spec_parse_file(set, files.v[i].path);
        if (r >= 0) {
            errors += r;
            r = check_names(set, first, first_obj);
            if (r >= 0)
                errors += r;
        }
    }
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i].path);
    free(files.v);
    return r < 0 ? r : errors;
}
