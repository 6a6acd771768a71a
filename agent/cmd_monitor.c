#include "agent/cli.h"

#include "sandbox/container.h"

/* "tank __monitor": the per-container monitor after sandbox_container_start() re-exec'd it.
 * Not for users; takes its fds and paths from sandbox/spawn.c. */
int cmd_monitor(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    return sandbox_monitor_main(argc, argv);
}
