/* tank validate PATH...: check manifests, one "FILE:LINE:COL: message" line per error. */
#include "agent/cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "base/sort.h"
#include "agent/confine.h"
#include "spec/spec.h"

static int cmp_error(const void *a, const void *b)
{
    const struct spec_error *x = a, *y = b;
    int c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->column > y->column) - (x->column < y->column);
}

static const char usage[] =
    "usage: tank validate [--strict] PATH...\n"
    "\n"
    "Check pod manifests without running anything. Each PATH is a manifest file or a\n"
    "directory, read as the agent reads its pods directory: every *.yaml, *.yml and *.json\n"
    "below it (hidden entries such as .git skipped), in path order. A pod name defined twice\n"
    "is an error on the later file. A Localhost seccompProfile is read and checked under the\n"
    "configuration's [security] seccomp_dir.\n"
    "\n"
    "Symbolic links are followed only while they stay inside the PATH they were found\n"
    "under; a link leaving it, or a FIFO, socket or device named like a manifest, is\n"
    "skipped with a line 'FILE: warning: message' (warnings change the exit status only with "
    "--strict).\n"
    "\n"
    "Prints one line per error on stdout, 'FILE:LINE:COLUMN: message', and nothing when all\n"
    "manifests are valid. A PATH that cannot be read is an error of the command, on stderr.\n"
    "Fields that mean nothing on one host (spec.schedulerName, tolerations, status, ...)\n"
    "are accepted and ignored, each with a line 'FILE:LINE:COLUMN: warning: message'.\n"
    "\n"
    "  --strict   count warnings as errors (exit 1)\n"
    "\n"
    "Exit status: 0 all valid, 1 some invalid, 2 usage error.\n"
    "\n"
    "Example: tank validate --strict /etc/tank/pods\n";

/* Options anywhere before "--"; the rest are paths, compacted to argv[1..*n). */
static int parse_args(int argc, char **argv, bool *strict, int *n)
{
    bool opts = true;
    *n = 1;
    for (int i = 1; i < argc; i++) {
        if (opts && !strcmp(argv[i], "--")) {
            opts = false;
        } else if (opts && !strcmp(argv[i], "--strict")) {
            *strict = true;
        } else if (opts && argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "tank validate: unknown option '%s'\n", argv[i]);
            return 2;
        } else {
            argv[(*n)++] = argv[i];
        }
    }
    if (*n == 1) {
        fputs("tank validate: needs at least one PATH (see 'tank validate --help')\n", stderr);
        return 2;
    }
    return 0;
}

/* Localhost seccomp profiles, under the configuration's seccomp_dir: when a configuration
 * was named (--config, $TANK_CONFIG) or the default one exists; else the default directory.
 * The errors join the manifests' (sorted again by file and position). */
static int check_profiles(const struct cli *cli, struct spec_set *set)
{
    struct tank_config cfg;
    if (cli->config_explicit || access(cli->config_path, F_OK) == 0) {
        if (cli_load_config(cli, &cfg) < 0)
            return -1;
    } else {
        config_defaults(&cfg);
    }
    int r = confine_check_set(cfg.seccomp_dir, set);
    config_free(&cfg);
    if (r < 0) {
        fprintf(stderr, "tank validate: out of memory\n");
        return -1;
    }
    if (r > 0)
        tk_sort(set->errors, set->n_errors, sizeof(*set->errors), cmp_error);
    return 0;
}

int cmd_validate(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    int first = 1;
    bool strict = false;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    int r = parse_args(argc, argv, &strict, &argc);
    if (r)
        return r;
    struct spec_set set;
    spec_set_init(&set);
    int missing = 0;
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            /* An error of the command, not a finding about a manifest. */
            fprintf(stderr, "tank validate: cannot read '%s': %s\n", argv[i], strerror(errno));
            missing = 1;
            continue;
        }
        if (spec_load_tree(&set, argv[i]) < 0) {
            fprintf(stderr, "tank validate: out of memory\n");
            spec_set_free(&set);
            return 1;
        }
    }
    if (check_profiles(cli, &set) < 0) {
        spec_set_free(&set);
        return 1;
    }
    for (size_t i = 0; i < set.n_warnings; i++) {
        char line[8192];
        spec_warning_format(&set.warnings[i], line, sizeof(line));
        puts(line);
    }
    for (size_t i = 0; i < set.n_errors; i++) {
        char line[8192];
        spec_error_format(&set.errors[i], line, sizeof(line));
        puts(line);
    }
    int rc = set.n_errors || missing || (strict && set.n_warnings) ? 1 : 0;
    spec_set_free(&set);
    return rc;
}
