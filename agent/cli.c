#include "agent/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"

static const char usage[] =
    "usage: tank [--config FILE] COMMAND [ARGS...]\n"
    "\n"
    "Tank converges the pods described by the manifests in a directory.\n"
    "\n"
    "commands:\n"
    "  agent [--config FILE]            run the agent in the foreground\n"
    "  status [-w] [-o FORMAT] [POD]    pods and containers, from the running agent\n"
    "  top [POD]                        CPU and memory use of pods (with POD, its containers)\n"
    "  logs [-f] [-p] [--tail N] [--since D] [-c CTR|--all-containers] POD\n"
    "                                   print a container's log\n"
    "  exec [-i] [-t] POD [-c CTR] -- COMMAND [ARG...]\n"
    "                                   run a command in a running container\n"
    "  validate PATH...                 check manifests (files or directories)\n"
    "  apply [--dry-run] FILE|DIR|-     validate, then write each pod into the pods directory\n"
    "  delete POD...                    remove pods from the pods directory\n"
    "  diff FILE|DIR|-                  what apply would change, as a unified diff\n"
    "  pull IMAGE                       pull an image into the store\n"
    "  images [-o table|json]           list stored images\n"
    "  images prune [--all] [--dry-run] remove unused images, then unneeded layers\n"
    "  images gc                        free space by [images] thresholds, as the agent\n"
    "  events [-f] [POD]                the kept events (they survive an agent restart)\n"
    "  sync                             fetch the [sync] repo now, print the published commit\n"
    "  volumes [rm NAME...]             the named volumes of PersistentVolumeClaims; remove one\n"
    "  unpack IMAGE DIR                 write an image's root filesystem into DIR\n"
    "  version                          print the version\n"
    "\n"
    "--config FILE (or $TANK_CONFIG) selects the configuration; default " CONFIG_DEFAULT_PATH ".\n"
    "Run 'tank COMMAND --help' or 'tank help COMMAND' for a command's options.\n";

static int cmd_help(const struct cli *cli, int argc, char **argv);

static const struct {
    const char *name;
    cli_cmd_fn fn;
} commands[] = {
    {"agent", cmd_agent},       {"status", cmd_status},   {"top", cmd_top},
    {"logs", cmd_logs},         {"exec", cmd_exec},       {"validate", cmd_validate},
    {"apply", cmd_apply},       {"delete", cmd_delete},   {"diff", cmd_diff},
    {"pull", cmd_pull},         {"images", cmd_images},   {"unpack", cmd_unpack},
    {"version", cmd_version},   {"help", cmd_help},       {"sync", cmd_sync},
    {"events", cmd_events},     {"volumes", cmd_volumes}, {"__monitor", cmd_monitor},
    {"__extract", cmd_extract},
};

/* tank help [COMMAND [SUBCOMMAND]]: the list of commands, or COMMAND's own usage. */
static int cmd_help(const struct cli *cli, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) || argv[1][0] == '_')
            continue;
        char *args[4] = {argv[1], argc > 2 ? argv[2] : "--help", "--help", NULL};
        return commands[i].fn(cli, argc > 2 ? 3 : 2, args);
    }
    fprintf(stderr, "tank help: unknown command '%s' (see 'tank --help')\n", argv[1]);
    return 2;
}

int cli_wants_help(int argc, char **argv, const char *text)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(text, stdout);
            return 1;
        }
    }
    return 0;
}

int cli_load_config(const struct cli *cli, struct tank_config *cfg)
{
    struct tk_err err = {0};
    if (config_load(cfg, cli->config_path, &err) < 0) {
        fprintf(stderr, "tank: %s\n", err.msg);
        config_free(cfg);
        return -1;
    }
    return 0;
}

/* Remove "--config FILE" / "--config=FILE" from argv (anywhere before "--"). */
static int take_config(int *argc, char **argv, const char **path)
{
    int out = 0;
    int i;
    for (i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], "--")) {
            break;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "tank: --config needs a FILE\n");
                return -1;
            }
            *path = argv[++i];
            continue;
        }
        if (!strncmp(argv[i], "--config=", 9)) {
            *path = argv[i] + 9;
            continue;
        }
        argv[out++] = argv[i];
    }
    for (; i < *argc; i++)
        argv[out++] = argv[i];
    argv[out] = NULL;
    *argc = out;
    return 0;
}

int cli_main(int argc, char **argv)
{
    const char *explicit_path = NULL;
    if (take_config(&argc, argv, &explicit_path) < 0)
        return 2;
    struct cli cli = {
        .config_path = config_default_path(explicit_path),
        .config_explicit = explicit_path || getenv("TANK_CONFIG"),
        .self = "/proc/self/exe",
    };
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(&cli, 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(&cli, argc - 1, argv + 1);
    fprintf(stderr, "tank: unknown command '%s' (see 'tank --help')\n", argv[1]);
    return 2;
}

void cli_human_size(uint64_t n, char *out, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    snprintf(out, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}
