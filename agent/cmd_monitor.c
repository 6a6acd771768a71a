#include "agent/cli.h"

#include <stdio.h>

int cmd_monitor(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, "usage: tank __monitor\n\nnot implemented yet\n"))
        return 0;
    fprintf(stderr, "tank __monitor: not implemented yet\n");
    return 1;
}
