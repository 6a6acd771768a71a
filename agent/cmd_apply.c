/* `tank apply FILE|DIR|-` and `tank diff FILE`: manifests into pods_dir, one pod per file. */
#include "agent/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/diffmask.h"
#include "agent/podfile.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "spec/spec.h"
#include "base/alloc.h"

static const char apply_usage[] =
    "usage: tank apply [--dry-run] FILE|DIR|-...\n"
    "\n"
    "Validate every manifest first (nothing is written when any is invalid), then write\n"
    "each pod into the pods directory as NAME.yaml, one pod per file, atomically (any\n"
    "other kind as NAME.KIND.yaml: configmap, secret, persistentvolumeclaim, deployment,\n"
    "daemonset, job, cronjob). When a pod of that name already lives in another file\n"
    "there, that file's document is updated in place instead. Each line of output names\n"
    "the pod, what happened (created, configured, unchanged) and the file. The agent picks\n"
    "the files up. DIR: every manifest under it;\n"
    "-: standard input. Files are written 0600 (0640 and the group with [agent] group), a\n"
    "pods directory created 0700 (0750). Refused when pods_dir is published by git.\n"
    "\n"
    "  --dry-run   print what would change, write nothing\n"
    "\n"
    "Example: tank apply web.yaml\n";

/* The inputs' bytes, kept to cut each document out. */
struct source {
    char *name;
    char *data;
    size_t len;
};

struct apply {
    const struct tank_config *cfg;
    bool dry_run;
    struct source *src;
    size_t n_src;
};

static void apply_free(struct apply *a)
{
    for (size_t i = 0; i < a->n_src; i++) {
        free(a->src[i].name);
        free(a->src[i].data);
    }
    free(a->src);
}

static int add_source(struct apply *a, const char *name, char *data, size_t len)
{
    struct source *more = realloc(a->src, (a->n_src + 1) * sizeof(*more));
    if (!more)
        return -ENOMEM;
    a->src = more;
    a->src[a->n_src++] = (struct source){tk_xstrdup(name), data, len};
    return 0;
}

static const struct source *find_source(const struct apply *a, const char *name)
{
    for (size_t i = 0; i < a->n_src; i++)
        if (a->src[i].name && !strcmp(a->src[i].name, name))
            return &a->src[i];
    return NULL;
}

/* Read standard input whole. */
static int read_stdin(char **out, size_t *len)
{
    struct tk_buf b = TK_BUF_INIT;
    char buf[65536];
    ssize_t n;
    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
        tk_buf_add(&b, buf, (size_t)n);
        if (b.len > SPEC_MAX_FILE_SIZE) {
            tk_buf_free(&b);
            return -EFBIG;
        }
    }
    if (n < 0) {
        tk_buf_free(&b);
        return -errno;
    }
    *len = b.len;
    *out = b.s ? tk_buf_detach(&b) : strdup("");
    return *out ? 0 : -ENOMEM;
}

/* Parse one argument into set, keeping the bytes of every file read. */
static int load_arg(struct apply *a, struct spec_set *set, const char *arg)
{
    struct stat st;
    if (!strcmp(arg, "-")) {
        char *data = NULL;
        size_t len = 0;
        int r = read_stdin(&data, &len);
        if (r < 0) {
            fprintf(stderr, "tank apply: read standard input: %s\n", strerror(-r));
            return r;
        }
        if (add_source(a, "-", data, len) < 0)
            return -ENOMEM;
        return spec_parse_buffer(set, "-", data, len) < 0 ? -ENOMEM : 0;
    }
    size_t first = set->n_pods, first_obj = set->n_objects, first_wl = set->n_workloads;
    int r = stat(arg, &st) == 0 && S_ISDIR(st.st_mode) ? spec_load_tree(set, arg)
                                                       : spec_parse_file(set, arg);
    if (r < 0)
        return r;
    size_t n_pods = set->n_pods - first, n_objs = set->n_objects - first_obj;
    size_t n_new = n_pods + n_objs + set->n_workloads - first_wl;
    for (size_t i = 0; i < n_new; i++) {
        const char *f = i < n_pods ? set->pods[first + i]->file
                        : i < n_pods + n_objs
                            ? set->objects[first_obj + i - n_pods]->file
                            : set->workloads[first_wl + i - n_pods - n_objs]->file;
        if (find_source(a, f))
            continue;
        char *data = NULL;
        size_t len = 0;
        if ((r = tk_read_file(f, SPEC_MAX_FILE_SIZE, &data, &len)) < 0) {
            fprintf(stderr, "tank apply: read '%s': %s\n", f, strerror(-r));
            return r;
        }
        if (add_source(a, f, data, len) < 0)
            return -ENOMEM;
    }
    return 0;
}

static bool same_text(const char *a, size_t alen, const char *b, size_t blen)
{
    while (alen && (a[alen - 1] == '\n' || a[alen - 1] == ' '))
        alen--;
    while (blen && (b[blen - 1] == '\n' || b[blen - 1] == ' '))
        blen--;
    return alen == blen && !memcmp(a, b, alen);
}

/* The kind as apply names it (lowercase, as kubectl does). */
static const char *obj_kind(const struct spec_object *o)
{
    return o->kind == SPEC_CONFIGMAP ? "configmap"
           : o->kind == SPEC_PVC     ? "persistentvolumeclaim"
                                     : "secret";
}

static const char *wl_kind(const struct spec_workload *w)
{
    return w->kind == SPEC_JOB         ? "job"
           : w->kind == SPEC_CRONJOB   ? "cronjob"
           : w->kind == SPEC_DAEMONSET ? "daemonset"
                                       : "deployment";
}

/* The i-th document of set: pods, then ConfigMaps, Secrets and claims, then workloads. */
struct doc {
    const char *kind, *name, *file;
    int line;
    bool pod;
};
static struct doc nth_doc(const struct spec_set *set, size_t i)
{
    if (i < set->n_pods)
        return (struct doc){"pod", set->pods[i]->name, set->pods[i]->file, set->pods[i]->line,
                            true};
    if ((i -= set->n_pods) < set->n_objects) {
        const struct spec_object *o = set->objects[i];
        return (struct doc){obj_kind(o), o->name, o->file, o->line, false};
    }
    const struct spec_workload *w = set->workloads[i - set->n_objects];
    return (struct doc){wl_kind(w), w->name, w->file, w->line, false};
}

/* Where name's manifest lives in pods_dir now (heap path; *line), or NULL. */
static char *current_place(const struct tank_config *cfg, const char *kind, const char *name,
                           int *line)
{
    struct spec_set set;
    spec_set_init(&set);
    char *file = NULL;
    if (access(cfg->pods_dir, F_OK) == 0 && spec_load_tree(&set, cfg->pods_dir) >= 0) {
        if (!strcmp(kind, "pod")) {
            const struct spec_pod *p = spec_set_find(&set, name);
            if (p) {
                file = tk_xstrdup(p->file);
                *line = p->line;
            }
        } else {
            for (size_t i = 0; i < set.n_workloads && !file; i++)
                if (!strcmp(wl_kind(set.workloads[i]), kind) &&
                    !strcmp(set.workloads[i]->name, name)) {
                    file = tk_xstrdup(set.workloads[i]->file);
                    *line = set.workloads[i]->line;
                }
            enum spec_object_kind k = !strcmp(kind, "configmap")               ? SPEC_CONFIGMAP
                                      : !strcmp(kind, "persistentvolumeclaim") ? SPEC_PVC
                                                                               : SPEC_SECRET;
            const struct spec_object *o =
                file ? NULL : spec_set_find_object(&set, k, "default", name);
            if (o) {
                file = tk_xstrdup(o->file);
                *line = o->line;
            }
        }
    }
    spec_set_free(&set);
    return file;
}

/* Write one document (kind/name, text) into pods_dir; prints what happened. */
static int place_doc(const struct apply *a, const char *kind, const char *name, const char *text,
                     size_t len)
{
    const struct tank_config *cfg = a->cfg;
    const char *dry = a->dry_run ? " (dry run)" : "";
    int line = 0;
    _cleanup_free_ char *cur = current_place(cfg, kind, name, &line);
    _cleanup_free_ char *old = NULL;
    size_t old_len = 0;
    const char *doc = NULL;
    size_t doc_len = 0;
    struct tk_err err = {0};
    bool removed;
    int r = 0;
    if (cur && tk_read_file(cur, SPEC_MAX_FILE_SIZE, &old, &old_len) == 0) {
        podfile_doc(old, old_len, line, &doc, &doc_len);
        if (same_text(doc, doc_len, text, len)) {
            printf("%s/%s unchanged: %s\n", kind, name, cur);
            return 0;
        }
    }
    _cleanup_buf_ struct tk_buf dest = TK_BUF_INIT;
    if (!strcmp(kind, "pod"))
        tk_buf_addf(&dest, "%s/%s.yaml", cfg->pods_dir, name);
    else
        tk_buf_addf(&dest, "%s/%s.%s.yaml", cfg->pods_dir, name, kind);
    if (cur && strcmp(cur, dest.s)) {
        if (!a->dry_run)
            r = podfile_edit(cfg, cur, line, text, len, &removed, &err);
        if (r < 0) {
            fprintf(stderr, "tank apply: %s/%s: %s\n", kind, name, err.msg);
            return r;
        }
        printf("%s/%s configured%s: %s (in place)\n", kind, name, dry, cur);
        return 0;
    }
    if (!a->dry_run) {
        _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
        tk_buf_add(&body, text, len);
        if (!len || text[len - 1] != '\n')
            tk_buf_addc(&body, '\n');
        /* Manifests may carry secrets (env): root's only, or root's and the group's. */
        r = tk_write_file_atomic_group(dest.s, body.s, body.len, config_file_mode(cfg), cfg->gid);
    }
    if (r < 0) {
        fprintf(stderr, "tank apply: write '%s': %s\n", dest.s, strerror(-r));
        return r;
    }
    printf("%s/%s %s%s: %s\n", kind, name, cur ? "configured" : "created", dry, dest.s);
    return 0;
}

static int place_all(const struct apply *a, const struct spec_set *set)
{
    size_t total = set->n_pods + set->n_objects + set->n_workloads;
    for (size_t i = 0; i < total; i++) {
        struct doc d = nth_doc(set, i);
        const struct source *s = find_source(a, d.file);
        const char *doc;
        size_t len;
        if (!s)
            return -ENOENT;
        podfile_doc(s->data, s->len, d.line, &doc, &len);
        int r = place_doc(a, d.kind, d.name, doc, len);
        if (r < 0)
            return r;
    }
    return 0;
}

static int print_errors(const struct spec_set *set)
{
    for (size_t i = 0; i < set->n_errors; i++) {
        char line[2048];
        spec_error_format(&set->errors[i], line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
    return set->n_errors ? 1 : 0;
}

int cmd_apply(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, apply_usage))
        return 0;
    struct apply a = {0};
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        if (strcmp(argv[first], "--dry-run")) {
            fprintf(stderr, "tank apply: unexpected argument '%s'\n%s", argv[first], apply_usage);
            return 2;
        }
        a.dry_run = true;
    }
    if (first >= argc) {
        fprintf(stderr, "tank apply: no FILE given\n%s", apply_usage);
        return 2;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    a.cfg = &cfg;
    struct spec_set set;
    spec_set_init(&set);
    int r = podfile_synced(&cfg) ? -EPERM : 0;
    if (r < 0)
        fprintf(stderr, "tank apply: " PODFILE_SYNCED_MSG "\n");
    for (int i = first; r == 0 && i < argc; i++)
        r = load_arg(&a, &set, argv[i]);
    if (r == -ENOMEM)
        fprintf(stderr, "tank apply: out of memory\n");
    if (r == 0 && print_errors(&set))
        r = -EINVAL;
    if (r == 0 && !a.dry_run && (r = config_make_dir(&cfg, cfg.pods_dir, false)) < 0)
        fprintf(stderr, "tank apply: create '%s': %s\n", cfg.pods_dir, strerror(-r));
    if (r == 0)
        r = place_all(&a, &set);
    spec_set_free(&set);
    apply_free(&a);
    config_free(&cfg);
    return r == 0 ? 0 : 1;
}

/* ---- diff ---- */

static const char diff_usage[] =
    "usage: tank diff FILE|DIR|-...\n"
    "\n"
    "For each pod of the manifests, a unified diff between the manifest the running pod was\n"
    "started from (the agent's, as written) and the file's, as kubectl diff (through\n"
    "diff -u); a pod the agent does not run shows as all new. A ConfigMap or Secret is\n"
    "compared with its document in the pods directory. When the agent cannot be reached,\n"
    "pods are compared with the pods directory too, with a note on stderr. A Secret's\n"
    "values are masked: *** when unchanged, *** (before) and *** (after) when not.\n"
    "Exit status 0 when nothing differs, 1 when something does, 2 on an error.\n"
    "\n"
    "Example: tank diff web.yaml\n";

/* The running side: the document and its label. */
struct live {
    struct tk_buf text;
    struct tk_buf label;
};

/* diff -u between a and b (files), with labels; its exit status (0, 1, or 2). */
static int run_diff(const char *a, const char *la, const char *b, const char *lb)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execlp("diff", "diff", "-u", "--label", la, "--label", lb, a, b, (char *)NULL);
        fprintf(stderr, "tank diff: run diff: %m\n");
        _exit(2);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* The pods directory's document of kind/name into *l. */
static void live_from_dir(const struct apply *a, const char *kind, const char *name, struct live *l)
{
    int line = 0;
    _cleanup_free_ char *cur = current_place(a->cfg, kind, name, &line);
    _cleanup_free_ char *old = NULL;
    size_t old_len = 0;
    const char *doc = "";
    size_t doc_len = 0;
    if (cur && tk_read_file(cur, SPEC_MAX_FILE_SIZE, &old, &old_len) == 0)
        podfile_doc(old, old_len, line, &doc, &doc_len);
    tk_buf_add(&l->text, doc, doc_len);
    tk_buf_addf(&l->label, "%s/%s %s", kind, name, cur ? cur : "(none)");
}

/* The running pod's manifest from the agent into *l: 0, or -1 when the agent cannot be
 * reached (a message printed). A pod it does not run is empty, "(not running)". */
static int live_from_agent(const struct apply *a, const char *name, struct live *l)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf path = TK_BUF_INIT;
    tk_buf_addf(&path, "/v1/pods/%s/manifest", name);
    long code = cli_api_get(a->cfg->socket, path.s, &l->text);
    if (code < 0)
        return -1;
    if (code != 200) {
        tk_buf_free(&l->text);
        tk_buf_addf(&l->label, "pod/%s (not running)", name);
        return 0;
    }
    tk_buf_free(&path);
    tk_buf_addf(&path, "/v1/pods/%s", name);
    json_t *o = cli_api_get(a->cfg->socket, path.s, &body) == 200
                    ? json_loads(tk_buf_str(&body), 0, NULL)
                    : NULL;
    const char *file = json_string_value(json_object_get(o, "manifest"));
    tk_buf_addf(&l->label, "pod/%s %s (running)", name, file ? file : "");
    json_decref(o);
    return 0;
}

static int diff_doc(const struct live *l, const char *dir, const char *kind, const char *name,
                    const char *file, const char *text, size_t len)
{
    _cleanup_buf_ struct tk_buf pa = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf pb = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf lb = TK_BUF_INIT;
    tk_buf_addf(&pa, "%s/live", dir);
    tk_buf_addf(&pb, "%s/new", dir);
    tk_buf_addf(&lb, "%s/%s %s", kind, name, file);
    _cleanup_buf_ struct tk_buf ma = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf mb = TK_BUF_INIT;
    const char *live = l->text.s ? l->text.s : "";
    size_t live_len = l->text.len;
    if (!strcmp(kind, "secret")) { /* values masked (agent/diffmask.h) */
        diffmask_secret(live, live_len, text, len, true, &ma);
        diffmask_secret(text, len, live, live_len, false, &mb);
        live = ma.s ? ma.s : "";
        live_len = ma.len;
        text = mb.s ? mb.s : "";
        len = mb.len;
    }
    if (tk_write_file_replace(pa.s, live, live_len, 0600) < 0 ||
        tk_write_file_replace(pb.s, text, len, 0600) < 0) {
        fprintf(stderr, "tank diff: write into '%s': %m\n", dir);
        return 2;
    }
    int r = run_diff(pa.s, tk_buf_str(&l->label), pb.s, lb.s);
    unlink(pa.s);
    unlink(pb.s);
    return r;
}

static int diff_all(const struct apply *a, const struct spec_set *set, const char *dir)
{
    bool no_agent = false; /* (then pods too are compared with the pods directory) */
    int rc = 0;
    size_t total = set->n_pods + set->n_objects + set->n_workloads;
    for (size_t i = 0; i < total; i++) {
        struct doc d = nth_doc(set, i);
        bool pod = d.pod;
        const char *file = d.file;
        const struct source *s = find_source(a, file);
        const char *doc;
        size_t len;
        if (!s)
            return 2;
        podfile_doc(s->data, s->len, d.line, &doc, &len);
        const char *kind = d.kind;
        const char *name = d.name;
        struct live l = {TK_BUF_INIT, TK_BUF_INIT};
        if (pod && !no_agent && live_from_agent(a, name, &l) < 0) {
            fprintf(stderr, "tank diff: comparing with the pods directory instead\n");
            no_agent = true;
        }
        if (!pod || no_agent)
            live_from_dir(a, kind, name, &l);
        int r = diff_doc(&l, dir, kind, name, file, doc, len);
        tk_buf_free(&l.text);
        tk_buf_free(&l.label);
        if (r > 1)
            return 2;
        rc |= r;
    }
    return rc;
}

int cmd_diff(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, diff_usage))
        return 0;
    if (argc < 2 || (argv[1][0] == '-' && argv[1][1])) {
        fprintf(stderr, "%s", diff_usage);
        return 2;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 2;
    struct apply a = {.cfg = &cfg};
    struct spec_set set;
    spec_set_init(&set);
    int r = 0;
    for (int i = 1; r == 0 && i < argc; i++)
        r = load_arg(&a, &set, argv[i]);
    if (r == 0 && print_errors(&set))
        r = -EINVAL;
    char dir[] = "/tmp/tank-diff-XXXXXX";
    int rc = 2;
    if (r == 0 && mkdtemp(dir)) {
        rc = diff_all(&a, &set, dir);
        rmdir(dir);
    } else if (r == 0) {
        fprintf(stderr, "tank diff: create a temporary directory: %m\n");
    }
    spec_set_free(&set);
    apply_free(&a);
    config_free(&cfg);
    return rc;
}
