/* The per-container monitor as a small static program. It is embedded into tank
 * (sandbox/blob.S) and run from a sealed memfd by sandbox/spawn.c, so a monitor
 * costs a few hundred KiB instead of a copy of the agent. argv: "tank" "__monitor" ARGS. */
#include "sandbox/container.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    return sandbox_monitor_main(argc - 1, argv + 1);
}
