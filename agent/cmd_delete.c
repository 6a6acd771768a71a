/* `tank delete POD...`: remove pods from pods_dir (the agent then stops them). */
#include "agent/cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/podfile.h"
#include "base/cleanup.h"
#include "base/err.h"

static const char delete_usage[] =
    "usage: tank delete POD...\n"
    "\n"
    "Remove each POD's manifest from the pods directory; the agent then stops the pod.\n"
    "A file that holds only that pod is removed; otherwise the pod's document is cut out\n"
    "of it (atomically, the rest of the file kept byte for byte). Refused when pods_dir is\n"
    "published by git (a sync): remove the pod from the repository instead.\n"
    "\n"
    "Example: tank delete web\n";

static int delete_one(const struct tank_config *cfg, const char *name)
{
    _cleanup_free_ char *file = NULL;
    struct tk_err err = {0};
    int line = 0;
    bool removed;
    int r = podfile_find(cfg->pods_dir, name, &file, &line, &err);
    if (r == -ENOENT) {
        fprintf(stderr, "tank delete: pod '%s' not found in '%s'\n", name, cfg->pods_dir);
        return 1;
    }
    if (r == 0)
        r = podfile_edit(cfg, file, line, NULL, 0, &removed, &err);
    if (r < 0) {
        fprintf(stderr, "tank delete: %s: %s\n", name, err.msg);
        return 1;
    }
    if (removed)
        printf("pod '%s' deleted (%s removed)\n", name, file);
    else
        printf("pod '%s' deleted (from %s)\n", name, file);
    return 0;
}

int cmd_delete(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, delete_usage))
        return 0;
    if (argc < 2) {
        fprintf(stderr, "tank delete: no POD given\n%s", delete_usage);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            fprintf(stderr, "tank delete: unexpected argument '%s'\n%s", argv[i], delete_usage);
            return 2;
        }
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    int rc = 0;
    if (podfile_synced(&cfg)) {
        fprintf(stderr, "tank delete: " PODFILE_SYNCED_MSG "\n");
        rc = 1;
    }
    for (int i = 1; !rc && i < argc; i++)
        rc |= delete_one(&cfg, argv[i]);
    config_free(&cfg);
    return rc;
}
