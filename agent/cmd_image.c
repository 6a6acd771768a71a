#include "agent/cli.h"

#include <stdio.h>

#include "agent/config.h"

int cmd_pull(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, "usage: tank pull\n\nnot implemented yet\n"))
        return 0;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    config_free(&cfg);
    fprintf(stderr, "tank pull: not implemented yet\n");
    return 1;
}

int cmd_images(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, "usage: tank images\n\nnot implemented yet\n"))
        return 0;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    config_free(&cfg);
    fprintf(stderr, "tank images: not implemented yet\n");
    return 1;
}

int cmd_unpack(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, "usage: tank unpack\n\nnot implemented yet\n"))
        return 0;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    config_free(&cfg);
    fprintf(stderr, "tank unpack: not implemented yet\n");
    return 1;
}
