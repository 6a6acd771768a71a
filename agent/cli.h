#pragma once
/*
 * The tank command line. cli_main() takes the process arguments, pulls out the global
 * options (--config FILE, before or after the subcommand) and runs the subcommand.
 * Exit codes: 0 success, 1 user-facing failure (one line on stderr), 2 usage error.
 */
#include <stddef.h>
#include <stdint.h>

/* What every subcommand gets. argv[0] is the subcommand name; --config is removed. */
struct cli {
    const char *config_path; /* resolved: --config > $TANK_CONFIG > /etc/tank/tank.ini */
    int config_explicit;     /* 1 when --config or $TANK_CONFIG named it */
    const char *self;        /* the tank binary, for re-exec of hidden subcommands */
};

typedef int (*cli_cmd_fn)(const struct cli *cli, int argc, char **argv);

int cli_main(int argc, char **argv);

/* Subcommands, each in its own file under agent/ (hidden ones start with "__"). */
int cmd_agent(const struct cli *cli, int argc, char **argv);
int cmd_status(const struct cli *cli, int argc, char **argv);
int cmd_top(const struct cli *cli, int argc, char **argv);
int cmd_logs(const struct cli *cli, int argc, char **argv);
int cmd_exec(const struct cli *cli, int argc, char **argv);
int cmd_validate(const struct cli *cli, int argc, char **argv);
int cmd_apply(const struct cli *cli, int argc, char **argv);
int cmd_delete(const struct cli *cli, int argc, char **argv);
int cmd_diff(const struct cli *cli, int argc, char **argv);
int cmd_version(const struct cli *cli, int argc, char **argv);
int cmd_pull(const struct cli *cli, int argc, char **argv);
int cmd_images(const struct cli *cli, int argc, char **argv);
int cmd_unpack(const struct cli *cli, int argc, char **argv);
int cmd_sync(const struct cli *cli, int argc, char **argv);
int cmd_events(const struct cli *cli, int argc, char **argv);
int cmd_volumes(const struct cli *cli, int argc, char **argv);
int cmd_monitor(const struct cli *cli, int argc, char **argv); /* __monitor (sandbox) */
int cmd_extract(const struct cli *cli, int argc, char **argv); /* __extract (image) */

struct tank_config;
/* Load the configuration named by cli into cfg; on failure print the error
 * ("tank: FILE:LINE: message") and return -1 (the caller exits 1). */
int cli_load_config(const struct cli *cli, struct tank_config *cfg);

struct tk_buf;
/* GET path from the agent's status API at socket; the body into out. Returns the HTTP
 * status, or -1 with a message printed ("tank: cannot reach the agent at ..."). */
long cli_api_get(const char *socket, const char *path, struct tk_buf *out);

/* A byte count for people: "512 B", "1.5 KiB", "3.0 GiB". */
void cli_human_size(uint64_t n, char *out, size_t size);

/* True when argv holds -h or --help before any "--". Prints usage to stdout when so. */
int cli_wants_help(int argc, char **argv, const char *usage);
