/* tank pull / images / unpack: the image store from the command line. */
#include "agent/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/imagegc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "image/image.h"
#include "image/pull.h"
#include "image/gc.h"
#include "base/alloc.h"

static const char pull_usage[] =
    "usage: tank pull [-q|--quiet] [--auth-file FILE] IMAGE\n"
    "\n"
    "Pull IMAGE (a registry reference such as 'busybox' or '127.0.0.1:5000/app:1', or\n"
    "'oci:PATH[:TAG]' for a local OCI image layout) into the image store.\n"
    "On a terminal one line per layer is redrawn in place (digest, bar, bytes, speed, then\n"
    "done or exists); otherwise one line per layer is printed when it completes. The last\n"
    "line (on standard output) gives the image's digest.\n"
    "\n"
    "  -q, --quiet        print the image's digest only\n"
    "  --auth-file FILE   credentials from FILE instead of [registry] auth_file (the agent\n"
    "                     passes a pod's imagePullSecrets merged over auth_file this way)\n"
    "\n"
    "Example: tank pull 127.0.0.1:5000/app:1\n";
static const char images_usage[] =
    "usage: tank images [-o table|json]\n"
    "       tank images prune [--all] [--dry-run]\n"
    "       tank images gc\n"
    "\n"
    "List the images in the store: REFERENCE DIGEST SIZE CREATED.\n"
    "'tank images prune --help' and 'tank images gc --help' tell more.\n"
    "\n"
    "Example: tank images -o json\n";
static const char prune_usage[] =
    "usage: tank images prune [--all] [--dry-run]\n"
    "\n"
    "Remove the images nothing uses, then every layer and blob no remaining image needs,\n"
    "and print what was removed and the space freed. An image is in use when\n"
    "  - a container of a pod manifest in the pods directory names it (by the same\n"
    "    reference once normalised: 'busybox' is docker.io/library/busybox:latest; a\n"
    "    reference with a digest keeps the images of that repository and digest whatever\n"
    "    their tag; 'oci:PATH' also matches through symlinks), or\n"
    "  - a container known to the agent (running or exited, under run_dir) runs from it:\n"
    "    its manifest and layers stay even when a newer pull moved the tag.\n"
    "A missing or unreadable pods directory stops the prune. Pulls and container starts in\n"
    "progress are waited for, never undercut.\n"
    "\n"
    "  --all      ignore the manifests: remove every image no container uses (the agent\n"
    "             pulls again what a pod needs; imagePullPolicy Never pods then fail)\n"
    "  --dry-run  only print what would be removed\n"
    "\n"
    "Example: tank images prune --all --dry-run\n";
static const char gc_usage[] =
    "usage: tank images gc\n"
    "\n"
    "What the agent runs when the file system of state_dir is at least [images]\n"
    "image_gc_high_percent full: remove unused images (as 'tank images prune' sees them),\n"
    "least recently used first, none pulled or used within image_gc_min_age, until usage\n"
    "is below image_gc_low_percent. Does nothing below image_gc_high_percent.\n"
    "Exit status 3 when the target could not be reached.\n"
    "\n"
    "Example: tank images gc\n";
static const char unpack_usage[] =
    "usage: tank unpack IMAGE DIR\n"
    "\n"
    "Write IMAGE's flattened root filesystem (whiteouts applied) into DIR, pulling the\n"
    "image first when it is not in the store.\n"
    "\n"
    "Example: tank unpack busybox /tmp/rootfs\n";

/* Open the store named by the configuration; prints the error. */
static struct image_store *open_store(const char *cmd, const struct tank_config *cfg)
{
    struct image_store_opts o = {
        .state_dir = cfg->state_dir,
        .registry =
            {
                .insecure = (const char *const *)cfg->insecure,
                .n_insecure = cfg->n_insecure,
                .mirrors = (const char *const *)cfg->mirror,
                .n_mirrors = cfg->n_mirror,
                .auth_file = cfg->auth_file,
                .notice = tk_log_notice,
                .config_path = cfg->path,
            },
        .max_layer_size = cfg->max_layer_size,
    };
    struct image_store *s = NULL;
    struct tk_err err = {0};
    if (image_store_open(&s, &o, &err) < 0) {
        fprintf(stderr, "tank %s: %s\n", cmd, err.msg);
        return NULL;
    }
    return s;
}

struct pull_view {
    int tty, quiet;
    int64_t *start_ms; /* per layer: its first byte */
    int64_t *last_ms;  /* per layer: its line last drawn */
    size_t count, extracted, present;
};

static void short_digest(const char *d, char *out, size_t size)
{
    const char *hex = strchr(d, ':');
    snprintf(out, size, "%.12s", hex ? hex + 1 : d);
}

/* One layer's line: "ID  [=====>    ]  1.2 MiB / 3.0 MiB  2.1 MiB/s", "ID  done ...",
 * "ID  exists". */
static void layer_line(const struct pull_view *v, const struct image_progress *p, int64_t now,
                       char *out, size_t size)
{
    char id[16], got[32], total[32], rate[32], bar[24];
    short_digest(p->digest, id, sizeof(id));
    cli_human_size(p->bytes, got, sizeof(got));
    cli_human_size(p->total, total, sizeof(total));
    int64_t ms = now - v->start_ms[p->index];
    cli_human_size(ms > 0 ? (uint64_t)((double)p->bytes * 1000.0 / (double)ms) : 0, rate,
                   sizeof(rate));
    if (p->kind == IMAGE_PROGRESS_LAYER_EXISTS) {
        snprintf(out, size, "%s  exists", id);
    } else if (p->kind == IMAGE_PROGRESS_LAYER_DONE) {
        snprintf(out, size, "%s  done  %s  %s/s", id, total, rate);
    } else {
        size_t w = sizeof(bar) - 3, fill = p->total ? (size_t)(p->bytes * w / p->total) : 0;
        if (fill > w)
            fill = w;
        bar[0] = '[';
        for (size_t i = 0; i < w; i++)
            bar[i + 1] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[w + 1] = ']';
        bar[w + 2] = '\0';
        snprintf(out, size, "%s  %s  %s / %s  %s/s", id, bar, got, total, rate);
    }
}

static void pull_progress(void *ctx, const struct image_progress *p)
{
    struct pull_view *v = ctx;
    if (p->kind == IMAGE_PROGRESS_MANIFEST) {
        v->count = p->count;
        free(v->last_ms);
        free(v->start_ms);
        v->last_ms = tk_xcalloc(p->count + 1, sizeof(*v->last_ms));
        v->start_ms = tk_xcalloc(p->count + 1, sizeof(*v->start_ms));
        for (size_t i = 0; v->tty && !v->quiet && i < p->count; i++)
            fprintf(stderr, "\n"); /* a line per layer, redrawn in place below */
        return;
    }
    if (p->kind == IMAGE_PROGRESS_LAYER_EXISTS)
        v->present++;
    if (p->kind == IMAGE_PROGRESS_LAYER_DONE)
        v->extracted++;
    if (v->quiet || !v->last_ms || !v->start_ms || p->index >= v->count)
        return;
    int64_t now = tk_now_monotonic_ms();
    if (!v->start_ms[p->index])
        v->start_ms[p->index] = now;
    if (p->kind == IMAGE_PROGRESS_LAYER_BYTES && (!v->tty || now - v->last_ms[p->index] < 200))
        return;
    v->last_ms[p->index] = now;
    char line[256];
    layer_line(v, p, now, line, sizeof(line));
    if (!v->tty) { /* one line per layer, when it completes */
        fprintf(stderr, "%s\n", line);
        return;
    }
    size_t up = v->count - p->index;
    fprintf(stderr, "\033[%zuA\r\033[2K%s\033[%zuB\r", up, line, up);
    fflush(stderr);
}

int cmd_pull(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, pull_usage))
        return 0;
    const char *auth = NULL, *image = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--auth-file") && i + 1 < argc) {
            auth = argv[++i];
        } else if (argv[i][0] != '-' && !image) {
            image = argv[i];
        } else {
            fprintf(stderr, "tank pull: unexpected argument '%s'\n%s", argv[i], pull_usage);
            return 2;
        }
    }
    if (!image) {
        fprintf(stderr, "tank pull: no IMAGE given\n%s", pull_usage);
        return 2;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    if (auth) { /* (the agent's: a pod's imagePullSecrets merged over auth_file) */
        free(cfg.auth_file);
        cfg.auth_file = tk_xstrdup(auth);
    }
    struct image_store *s = open_store("pull", &cfg);
    config_free(&cfg);
    if (!s)
        return 1;
    struct pull_view v = {.tty = isatty(STDERR_FILENO), .quiet = quiet};
    struct image_info info;
    struct tk_err err = {0};
    int r = image_pull(s, image, pull_progress, &v, &info, &err);
    image_store_free(s);
    free(v.last_ms);
    free(v.start_ms);
    if (r < 0) {
        fprintf(stderr, "tank pull: %s\n", err.msg);
        return 1;
    }
    char ref[1024];
    if (quiet)
        printf("%s\n", info.manifest_digest);
    else
        printf("%s: %s (%zu layers: %zu extracted, %zu present)\n",
               tk_escape(info.reference, ref, sizeof(ref)), info.manifest_digest, info.n_layers,
               v.extracted, v.present);
    image_info_free(&info);
    return 0;
}

static void print_json(const struct image_info *v, size_t n)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        tk_buf_adds(&b, i ? ",\n {\"reference\":" : "\n {\"reference\":");
        tk_buf_add_json_str(&b, v[i].reference);
        tk_buf_adds(&b, ",\"digest\":");
        tk_buf_add_json_str(&b, v[i].manifest_digest);
        tk_buf_adds(&b, ",\"config\":");
        tk_buf_add_json_str(&b, v[i].config_digest);
        tk_buf_addf(&b, ",\"size\":%llu,\"layers\":%zu,\"created\":", (unsigned long long)v[i].size,
                    v[i].n_layers);
        if (v[i].config.created)
            tk_buf_add_json_str(&b, v[i].config.created);
        else
            tk_buf_adds(&b, "null");
        char used[64];
        tk_format_rfc3339nano(v[i].last_used_ns, used, sizeof(used));
        tk_buf_adds(&b, ",\"lastUsed\":");
        tk_buf_add_json_str(&b, used);
        tk_buf_addc(&b, '}');
    }
    tk_buf_adds(&b, n ? "\n]\n" : "]\n");
    fputs(tk_buf_str(&b), stdout);
    tk_buf_free(&b);
}

static void print_table(const struct image_info *v, size_t n)
{
    size_t w = strlen("REFERENCE");
    for (size_t i = 0; i < n; i++) {
        char ref[1024];
        if (strlen(tk_escape(v[i].reference, ref, sizeof(ref))) > w)
            w = strlen(ref);
    }
    printf("%-*s  %-19s  %-10s  %s\n", (int)w, "REFERENCE", "DIGEST", "SIZE", "CREATED");
    for (size_t i = 0; i < n; i++) {
        char id[16], size[32];
        short_digest(v[i].manifest_digest, id, sizeof(id));
        cli_human_size(v[i].size, size, sizeof(size));
        /* created comes from the image, the reference may hold anything of a layout path */
        char ref[1024], created[64];
        tk_escape(v[i].config.created ? v[i].config.created : "-", created, sizeof(created));
        printf("%-*s  sha256:%-12s  %-10s  %.19s%s\n", (int)w,
               tk_escape(v[i].reference, ref, sizeof(ref)), id, size, created,
               strlen(created) > 19 ? "Z" : "");
    }
}

static int cmd_images_prune(const struct cli *cli, int argc, char **argv);
static int cmd_images_gc(const struct cli *cli, int argc, char **argv);

int cmd_images(const struct cli *cli, int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "prune"))
        return cmd_images_prune(cli, argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "gc"))
        return cmd_images_gc(cli, argc - 1, argv + 1);
    if (cli_wants_help(argc, argv, images_usage))
        return 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = NULL;
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            o = argv[++i];
        else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
            o = argv[i] + 2;
        else if (!strncmp(argv[i], "--output=", 9))
            o = argv[i] + 9;
        if (!o || (strcmp(o, "json") && strcmp(o, "table"))) {
            fprintf(stderr, "%s", images_usage);
            return 2;
        }
        json = !strcmp(o, "json");
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    struct image_store *s = open_store("images", &cfg);
    config_free(&cfg);
    if (!s)
        return 1;
    struct image_info *v = NULL;
    size_t n = 0;
    struct tk_err err = {0};
    int r = image_list(s, &v, &n, &err);
    image_store_free(s);
    if (r < 0) {
        fprintf(stderr, "tank images: %s\n", err.msg);
        return 1;
    }
    if (json)
        print_json(v, n);
    else
        print_table(v, n);
    image_list_free(v, n);
    return 0;
}

int cmd_unpack(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, unpack_usage))
        return 0;
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fprintf(stderr, "%s", unpack_usage);
        return 2;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    struct image_store *s = open_store("unpack", &cfg);
    config_free(&cfg);
    if (!s)
        return 1;
    struct tk_err err = {0};
    struct image_info info;
    int r = image_lookup(s, argv[1], &info, &err);
    if (r == -ENOENT)
        r = image_pull(s, argv[1], NULL, NULL, &info, &err);
    if (r == 0) {
        image_info_free(&info);
        r = image_unpack(s, argv[1], argv[2], &err);
    }
    image_store_free(s);
    if (r < 0) {
        fprintf(stderr, "tank unpack: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* ---- prune and gc ---- */

struct prune_view {
    int dry_run;
    int log; /* through the log (the agent's child) rather than stdout */
};

static void prune_report(void *ctx, const struct image_gc_item *it)
{
    struct prune_view *v = ctx;
    const char *verb = v->dry_run ? "would remove" : "removed";
    char size[32], line[1024];
    cli_human_size(it->bytes, size, sizeof(size));
    if (it->kind == IMAGE_GC_IMAGE) {
        char used[64];
        tk_format_rfc3339(it->last_used_ns, used, sizeof(used));
        snprintf(line, sizeof(line), "%s image %s (%s, last used %s)", verb, it->name,
                 it->digest ? it->digest : "corrupt record", used);
    } else {
        snprintf(line, sizeof(line), "%s %s %s (%s)", verb,
                 it->kind == IMAGE_GC_LAYER ? "layer" : "blob", it->name, size);
    }
    if (v->log) {
        tk_info("image gc: %s", line);
    } else {
        char shown[1024];
        printf("%s\n", tk_escape(line, shown, sizeof(shown)));
    }
}

static void summary(const struct image_gc_result *res, int dry_run, char *out, size_t size)
{
    char total[32];
    cli_human_size(res->bytes, total, sizeof(total));
    snprintf(out, size, "%s: %s (%zu image%s, %zu layer%s, %zu blob%s)",
             dry_run ? "Total reclaimable space" : "Total reclaimed space", total, res->images,
             res->images == 1 ? "" : "s", res->layers, res->layers == 1 ? "" : "s", res->blobs,
             res->blobs == 1 ? "" : "s");
}

/* What keeps images: the pods' references (unless all) and the containers' digests. */
static int keep_opts(const struct tank_config *cfg, int all, struct image_gc_opts *o, char ***refs,
                     size_t *n, struct tk_err *err)
{
    *refs = NULL;
    *n = 0;
    if (!all && imagegc_pod_images(cfg->pods_dir, refs, n, err) < 0)
        return -1;
    o->keep_refs = (const char *const *)*refs;
    o->n_keep_refs = *n;
    o->keep_digests = imagegc_container_digests;
    o->keep_ctx = cfg->run_dir;
    return 0;
}

static int cmd_images_prune(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, prune_usage))
        return 0;
    int all = 0, dry_run = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
            all = 1;
        else if (!strcmp(argv[i], "--dry-run"))
            dry_run = 1;
        else {
            fprintf(stderr, "tank images prune: unexpected argument '%s'\n%s", argv[i],
                    prune_usage);
            return 2;
        }
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    struct image_gc_opts o = {.dry_run = dry_run, .report = prune_report};
    struct prune_view v = {.dry_run = dry_run};
    struct image_gc_result res;
    struct tk_err err = {0};
    char **refs = NULL;
    size_t n = 0;
    o.report_ctx = &v;
    struct image_store *s = NULL;
    int r = keep_opts(&cfg, all, &o, &refs, &n, &err);
    if (r == 0 && !(s = open_store("images prune", &cfg)))
        r = 1;
    else if (r == 0)
        r = image_gc(s, &o, &res, &err);
    if (r < 0)
        fprintf(stderr, "tank images prune: %s\n", err.msg);
    if (r == 0 && res.unsafe)
        fprintf(stderr, "tank images prune: no layer or blob removed: %s\n", res.unsafe_msg);
    if (r == 0) {
        char line[256];
        summary(&res, dry_run, line, sizeof(line));
        printf("%s\n", line);
    }
    image_store_free(s);
    imagegc_strv_free(refs, n);
    config_free(&cfg);
    return r == 0 ? 0 : 1;
}

struct gc_target {
    const char *path;
    int low;
    double pct;
};

static int below_low(void *ctx)
{
    struct gc_target *t = ctx;
    return imagegc_usage_percent(t->path, &t->pct, NULL) == 0 && t->pct < t->low;
}

/* The collection by thresholds (in the agent's child, or by hand). */
static int run_gc(const struct tank_config *cfg)
{
    struct gc_target t = {.path = cfg->state_dir, .low = cfg->image_gc_low_percent};
    struct prune_view v = {.log = 1};
    struct image_gc_opts o = {.min_age_ms = cfg->image_gc_min_age_ms,
                              .enough = below_low,
                              .enough_ctx = &t,
                              .report = prune_report,
                              .report_ctx = &v};
    struct image_gc_result res;
    struct tk_err err = {0};
    char **refs = NULL;
    size_t n = 0;
    struct image_store *s = NULL;
    int r = keep_opts(cfg, 0, &o, &refs, &n, &err);
    if (r == 0 && !(s = open_store("images gc", cfg)))
        r = 1;
    else if (r == 0)
        r = image_gc(s, &o, &res, &err);
    image_store_free(s);
    imagegc_strv_free(refs, n);
    if (r < 0)
        tk_error("image gc: %s", err.msg);
    if (r != 0)
        return 1;
    if (res.unsafe)
        tk_warn("image gc: no layer or blob removed: %s", res.unsafe_msg);
    char line[256];
    summary(&res, 0, line, sizeof(line));
    below_low(&t);
    tk_info("image gc: %s; '%s' is %.0f%% full", line, cfg->state_dir, t.pct);
    if (!res.enough && res.kept_young)
        tk_info("image gc: %zu unused image%s kept, pulled or used within image_gc_min_age",
                res.kept_young, res.kept_young == 1 ? "" : "s");
    return res.enough ? 0 : IMAGEGC_EXIT_SHORT;
}

static int cmd_images_gc(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, gc_usage))
        return 0;
    if (argc > 1) {
        fprintf(stderr, "tank images gc: unexpected argument '%s'\n%s", argv[1], gc_usage);
        return 2;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    double pct = 0;
    struct tk_err err = {0};
    int r = 0;
    if (!cfg.image_gc_high_percent) {
        tk_info("image gc: off ([images] image_gc_high_percent = off)");
    } else if (imagegc_usage_percent(cfg.state_dir, &pct, &err) < 0) {
        tk_error("image gc: %s", err.msg);
        r = 1;
    } else if (pct < cfg.image_gc_high_percent) {
        tk_info("image gc: '%s' is %.0f%% full, below image_gc_high_percent (%d%%): nothing to do",
                cfg.state_dir, pct, cfg.image_gc_high_percent);
    } else {
        r = run_gc(&cfg);
    }
    config_free(&cfg);
    return r;
}
