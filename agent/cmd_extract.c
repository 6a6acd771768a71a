/* tank __extract DIR: extract one layer blob from stdin into DIR as a pull would (chrooted
 * child, secure flags, whiteouts converted) and print its diff_id. Pulls do not re-exec this:
 * their layer workers fork; it is here to inspect and fuzz the extraction by hand. */
#include "agent/cli.h"

#include <stdio.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/image.h"
#include "image/layer.h"

static const char usage[] =
    "usage: tank __extract DIR < LAYER\n"
    "\n"
    "Extract a layer blob (gzip, zstd or tar) from stdin into DIR as 'tank pull' does and\n"
    "print its diff_id. For debugging; not needed to run Tank.\n";

int cmd_extract(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, usage))
        return 0;
    if (argc != 2 || argv[1][0] == '-') {
        fputs(usage, stderr);
        return 2;
    }
    char diff_id[IMAGE_DIGEST_STR_SIZE];
    struct tk_err err = {0};
    if (image_extract_layer(STDIN_FILENO, argv[1], 0, diff_id, &err) < 0) {
        fprintf(stderr, "tank __extract: %s\n", err.msg);
        return 1;
    }
    printf("%s\n", diff_id);
    return 0;
}
