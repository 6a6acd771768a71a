/* `tank sync`: a git sync pass now, through the agent (POST /v1/sync). */
#include "agent/cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "agent/config.h"
#include "base/buf.h"

static const char sync_usage[] =
    "usage: tank sync [--timeout SECONDS]\n"
    "\n"
    "Ask the agent to fetch its [sync] repo now and wait until the pass has ended: prints\n"
    "the published commit, or the error of the pass (exit 1; the last revision keeps\n"
    "running). The same as POST /v1/sync on the agent's socket (a push webhook's target).\n"
    "--timeout: give up waiting after SECONDS (default 600).\n"
    "\n"
    "Example: tank sync --timeout 60\n";

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    tk_buf_add(data, p, size * n);
    return size * n;
}

/* POST /v1/sync; the HTTP status, -1 when the agent cannot be reached (message printed). */
static long post_sync(const char *socket, long timeout_s, struct tk_buf *out)
{
    CURL *c = curl_easy_init();
    if (!c) {
        fprintf(stderr, "tank sync: cannot initialise libcurl\n");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
    curl_easy_setopt(c, CURLOPT_URL, "http://tank/v1/sync");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode r = curl_easy_perform(c);
    long code = -1;
    if (r != CURLE_OK)
        fprintf(stderr, "tank sync: cannot reach the agent at '%s': %s\n", socket,
                curl_easy_strerror(r));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

static int parse_args(int argc, char **argv, long *timeout)
{
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            *timeout = strtol(argv[++i], &end, 10);
            if (*end || *timeout <= 0 || end == argv[i]) {
                fprintf(stderr, "tank sync: --timeout: '%s' is not a number of seconds\n", argv[i]);
                return -1;
            }
            continue;
        }
        fprintf(stderr, "tank sync: unexpected argument '%s'\n%s", argv[i], sync_usage);
        return -1;
    }
    return 0;
}

int cmd_sync(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, sync_usage))
        return 0;
    long timeout = 600;
    if (parse_args(argc, argv, &timeout) < 0)
        return 2;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    long code = post_sync(cfg.socket, timeout, &body);
    config_free(&cfg);
    if (code < 0)
        return 1;
    json_t *root = json_loads(tk_buf_str(&body), 0, NULL);
    const char *rev = json_string_value(json_object_get(root, "revision"));
    const char *error = json_string_value(json_object_get(root, "error"));
    int ret = 1;
    if (code == 200 && rev) {
        printf("synced %s\n", rev);
        ret = 0;
    } else if (error) {
        fprintf(stderr, "tank sync: %s\n", error);
    } else {
        fprintf(stderr, "tank sync: unexpected answer from the agent (HTTP %ld)\n", code);
    }
    json_decref(root);
    return ret;
}
