/* `tank volumes [-o table|json]` and `tank volumes rm NAME...`: the named volumes of
 * PersistentVolumeClaims (agent/volumes.h). The agent says which exist, their state and
 * their pods (GET /v1/volumes) and takes one out of use (DELETE /v1/volumes/NAME); the
 * sizes and the removal of the files are done here, so the agent's loop never walks a
 * tree a container wrote. */
#include "agent/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "agent/config.h"
#include "agent/volumes.h"
#include "base/buf.h"
#include "base/cleanup.h"

static const char volumes_usage[] =
    "usage: tank volumes [-o table|json]\n"
    "       tank volumes rm NAME...\n"
    "\n"
    "The named volumes of PersistentVolumeClaims, each a directory state_dir/volumes/NAME\n"
    "made when the first pod that claims it starts: NAME, SIZE (what its files use), PODS\n"
    "(the pods that mount it), STATE (Bound: its claim is in the pods directory; Pending:\n"
    "claimed, no pod started yet; Released: its claim is gone, its data kept).\n"
    "Removing a claim never deletes data; 'rm' does, and is refused while a pod uses the\n"
    "volume. Needs the running agent.\n"
    "  -o table|json   the output format (json: the agent's list with \"size\" in bytes)\n"
    "\n"
    "Example: tank volumes rm data\n";

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    tk_buf_add(data, p, size * n);
    return size * n;
}

/* DELETE path; the HTTP status, -1 when the agent cannot be reached (message printed). */
static long api_delete(const char *socket, const char *path, struct tk_buf *out)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[1024];
    snprintf(url, sizeof(url), "http://tank%s", path);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode r = curl_easy_perform(c);
    long code = -1;
    if (r != CURLE_OK)
        fprintf(stderr, "tank volumes: cannot reach the agent at '%s': %s\n", socket,
                curl_easy_strerror(r));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

static int remove_one(const struct tank_config *cfg, const char *name)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    char path[300];
    snprintf(path, sizeof(path), "/v1/volumes/%.200s", name);
    long code = api_delete(cfg->socket, path, &body);
    if (code < 0)
        return 1;
    if (code != 200) {
        json_t *o = json_loads(tk_buf_str(&body), 0, NULL);
        const char *e = json_string_value(json_object_get(o, "error"));
        fprintf(stderr, "tank volumes rm: %s\n", e ? e : "unexpected answer from the agent");
        json_decref(o);
        return 1;
    }
    char hidden[300];
    snprintf(hidden, sizeof(hidden), VOLUMES_REMOVING "%s", name);
    int r = volumes_purge(cfg->state_dir, hidden);
    if (r < 0) {
        fprintf(stderr, "tank volumes rm: remove '%s/volumes/%s': %s\n", cfg->state_dir, hidden,
                strerror(-r));
        return 1;
    }
    printf("removed %s\n", name);
    return 0;
}

static void print_table(json_t *vols)
{
    size_t i;
    json_t *v;
    printf("%-24s %-10s %-30s %s\n", "NAME", "SIZE", "PODS", "STATE");
    json_array_foreach(vols, i, v)
    {
        char size[32] = "-", pods[256] = "";
        json_t *sz = json_object_get(v, "size");
        if (json_is_integer(sz))
            cli_human_size((uint64_t)json_integer_value(sz), size, sizeof(size));
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(v, "pods"), j, p)
        {
            size_t l = strlen(pods);
            snprintf(pods + l, sizeof(pods) - l, "%s%s", j ? "," : "", json_string_value(p));
        }
        printf("%-24s %-10s %-30s %s\n", json_string_value(json_object_get(v, "name")), size,
               pods[0] ? pods : "-", json_string_value(json_object_get(v, "state")));
    }
}

static int list(const struct tank_config *cfg, bool as_json)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    long code = cli_api_get(cfg->socket, "/v1/volumes", &body);
    if (code < 0)
        return 1;
    json_t *o = code == 200 ? json_loads(tk_buf_str(&body), 0, NULL) : NULL;
    json_t *vols = json_object_get(o, "volumes");
    if (!json_is_array(vols)) {
        fprintf(stderr, "tank volumes: unexpected answer from the agent (HTTP %ld)\n", code);
        json_decref(o);
        return 1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        uint64_t bytes = 0;
        const char *name = json_string_value(json_object_get(v, "name"));
        bool ok = name && volumes_size(cfg->state_dir, name, &bytes) == 0;
        json_object_set_new(v, "size", ok ? json_integer((json_int_t)bytes) : json_null());
    }
    if (as_json) {
        char *s = json_dumps(o, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
    } else
        print_table(vols);
    json_decref(o);
    return 0;
}

int cmd_volumes(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, volumes_usage))
        return 0;
    bool rm = argc > 1 && !strcmp(argv[1], "rm"), as_json = false;
    if (rm && argc < 3) {
        fprintf(stderr, "tank volumes rm: name the volume(s) to remove\n%s", volumes_usage);
        return 2;
    }
    for (int i = 1; !rm && i < argc; i++) {
        const char *o = !strcmp(argv[i], "-o") && i + 1 < argc     ? argv[++i]
                        : !strncmp(argv[i], "-o", 2) && argv[i][2] ? argv[i] + 2
                                                                   : NULL;
        if (!o || (strcmp(o, "json") && strcmp(o, "table"))) {
            fprintf(stderr, "tank volumes: unexpected argument '%s'\n%s", argv[i], volumes_usage);
            return 2;
        }
        as_json = !strcmp(o, "json");
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    int ret = 0;
    for (int i = 2; rm && i < argc; i++)
        ret |= remove_one(&cfg, argv[i]);
    if (!rm)
        ret = list(&cfg, as_json);
    config_free(&cfg);
    return ret;
}
