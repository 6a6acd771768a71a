#include "agent/cli.h"

#include <stdio.h>

#include "agent/config.h"

int cmd_status(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, "usage: tank status\n\nnot implemented yet\n"))
        return 0;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    config_free(&cfg);
    fprintf(stderr, "tank status: not implemented yet\n");
    return 1;
}

int cmd_logs(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, "usage: tank logs\n\nnot implemented yet\n"))
        return 0;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    config_free(&cfg);
    fprintf(stderr, "tank logs: not implemented yet\n");
    return 1;
}
