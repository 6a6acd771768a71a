/* The tank binary: agent and CLI in one. */
#include "agent/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
