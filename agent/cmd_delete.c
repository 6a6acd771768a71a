/* `tank delete POD...`: remove pods from pods_dir (the agent then stops them); a pod a
 * Deployment or DaemonSet owns is stopped through the agent (DELETE /v1/pods/NAME). */
#include "agent/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/podfile.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/err.h"

static const char delete_usage[] =
    "usage: tank delete POD...\n"
    "\n"
    "Remove each POD's manifest from the pods directory; the agent then stops the pod.\n"
    "A file that holds only that pod is removed; otherwise the pod's document is cut out\n"
    "of it (atomically, the rest of the file kept byte for byte). Refused when pods_dir is\n"
    "published by git (a sync): remove the pod from the repository instead.\n"
    "A pod that a Deployment or DaemonSet made (in no file) is stopped by the agent, and\n"
    "its owner makes it again (a DaemonSet with updateStrategy OnDelete from its current\n"
    "template).\n"
    "\n"
    "Example: tank delete web\n";

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    tk_buf_add(data, p, size * n);
    return size * n;
}

/* DELETE /v1/pods/NAME on the agent: 0, or 1 with the message printed. */
static int delete_owned(const struct tank_config *cfg, const char *name)
{
    struct tk_buf url = TK_BUF_INIT, out = TK_BUF_INIT;
    CURL *c = curl_easy_init();
    char *esc = c ? curl_easy_escape(c, name, 0) : NULL;
    long code = -1;
    if (!esc) {
        fprintf(stderr, "tank delete: cannot initialise libcurl\n");
        curl_easy_cleanup(c);
        return 1;
    }
    tk_buf_addf(&url, "http://tank/v1/pods/%s", esc);
    curl_free(esc);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, cfg->socket);
    curl_easy_setopt(c, CURLOPT_URL, tk_buf_str(&url));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode r = curl_easy_perform(c);
    if (r == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    json_t *o = code > 0 ? json_loads(tk_buf_str(&out), 0, NULL) : NULL;
    const char *err = json_string_value(json_object_get(o, "error"));
    if (code == 200)
        printf("pod '%s' deleted (stopped by the agent; its owner makes it again)\n", name);
    else if (code > 0 && code != 404)
        fprintf(stderr, "tank delete: %s\n", err ? err : "unexpected answer from the agent");
    else /* in no file, and not a pod the agent runs (or no agent) */
        fprintf(stderr, "tank delete: pod '%s' not found in '%s'\n", name, cfg->pods_dir);
    int rc = code == 200 ? 0 : 1;
    json_decref(o);
    tk_buf_free(&url);
    tk_buf_free(&out);
    return rc;
}

static int delete_one(const struct tank_config *cfg, const char *name)
{
    _cleanup_free_ char *file = NULL;
    struct tk_err err = {0};
    int line = 0;
    bool removed;
    int r = podfile_find(cfg->pods_dir, name, &file, &line, &err);
    if (r == -ENOENT) /* none in a file: a Deployment's or DaemonSet's? */
        return delete_owned(cfg, name);
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
