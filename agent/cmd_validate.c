#include "agent/cli.h"

#include <stdio.h>

int cmd_validate(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, "usage: tank validate\n\nnot implemented yet\n"))
        return 0;
    fprintf(stderr, "tank validate: not implemented yet\n");
    return 1;
}
