/* `tank status`: pods and containers from the agent's API over its unix socket. */
#include "agent/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/confine.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/err.h"
#include "spec/spec.h"

static const char status_usage[] =
    "usage: tank status [-o table|json] [POD]\n"
    "\n"
    "Show the pods and their containers, as the running agent sees them (through its\n"
    "status API socket). With POD, a detailed view with the pod's recent events.\n";

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    tk_buf_add(user, data, size * n);
    return size * n;
}

/* Why the socket cannot be reached, in words that say what to do. */
static void print_unreachable(const char *path, const char *curl_msg)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int e = ENAMETOOLONG;
    if (strlen(path) < sizeof(sa.sun_path)) {
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        e = fd < 0 ? errno : connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
    }
    if (e == ENOENT || e == ECONNREFUSED) {
        fprintf(stderr,
                "tank: no agent is listening on %s (is tank.service running? systemctl status "
                "tank)\n",
                path);
        return;
    }
    if (e != EACCES && e != EPERM) {
        fprintf(stderr, "tank: cannot reach the agent at '%s': %s\n", path, curl_msg);
        return;
    }
    /* the socket's mode, or its directory's when that is what keeps us out */
    char dir[4096];
    struct stat st;
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash && slash != path ? (int)(slash - path) : 1,
             slash ? path : ".");
    if (stat(path, &st) == 0 || stat(dir, &st) == 0)
        fprintf(stderr, "tank: the API socket %s is root's (mode %04o): run as root\n", path,
                (unsigned)(st.st_mode & 07777));
    else
        fprintf(stderr, "tank: the API socket %s is root's: run as root\n", path);
}

long cli_api_get(const char *socket, const char *path, struct tk_buf *out)
{
    CURL *c = curl_easy_init();
    if (!c) {
        fprintf(stderr, "tank: cannot initialise libcurl\n");
        return -1;
    }
    char url[1024];
    snprintf(url, sizeof(url), "http://tank%s", path);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode r = curl_easy_perform(c);
    long code = -1;
    if (r == CURLE_COULDNT_CONNECT)
        print_unreachable(socket, curl_easy_strerror(r));
    else if (r != CURLE_OK)
        fprintf(stderr, "tank: cannot reach the agent at '%s': %s\n", socket,
                curl_easy_strerror(r));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

/* Every string of an agent's document made printable: what a manifest, an image or a registry
 * said (a StopSignal in an error, an event's message) may hold terminal escapes. */
static void escape_strings(json_t *v)
{
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_string(v) && tk_needs_escape(json_string_value(v))) {
        char buf[8192];
        json_string_set(v, tk_escape(json_string_value(v), buf, sizeof(buf)));
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, x) escape_strings(x);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) escape_strings(x);
    }
}

static const char *jstr(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

static void format_age(const char *started, char *out, size_t size)
{
    int64_t t = parse_time(started);
    if (!t) {
        snprintf(out, size, "-");
        return;
    }
    int64_t d = time(NULL) - t;
    if (d < 0)
        d = 0;
    if (d < 120)
        snprintf(out, size, "%llds", (long long)d);
    else if (d < 3600)
        snprintf(out, size, "%lldm", (long long)(d / 60));
    else if (d < 2 * 86400)
        snprintf(out, size, "%lldh", (long long)(d / 3600));
    else
        snprintf(out, size, "%lldd", (long long)(d / 86400));
}

/* kubectl's STATUS column: the phase, or what a container waits for. */
static const char *pod_status_word(json_t *pod)
{
    const char *phase = jstr(pod, "phase", "Unknown");
    if (!strcmp(phase, "Terminating"))
        return phase;
    const char *why = jstr(pod, "reason", NULL); /* not admitted: OutOfmemory, OutOfcpu */
    if (!strcmp(phase, "Pending") && why && !strncmp(why, "OutOf", 5))
        return why;
    const char *word = !strcmp(phase, "Succeeded") ? "Completed"
                       : !strcmp(phase, "Failed")  ? "Error"
                                                   : phase;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(pod, "containers"), i, c)
    {
        const char *st = jstr(c, "state", "");
        const char *reason = jstr(c, "reason", NULL);
        if (!strcmp(st, "waiting") && reason)
            word = reason;
    }
    return word;
}

static void print_table(json_t *root)
{
    json_t *pods = json_object_get(root, "pods");
    printf("%-24s %-7s %-22s %-8s %-6s %s\n", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP");
    size_t i, shown = 0, skipped = 0;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        if (json_is_false(json_object_get(p, "scheduled"))) {
            skipped++;
            continue;
        }
        shown++;
        size_t n = json_array_size(json_object_get(p, "containers")), ready = 0, j;
        json_t *c;
        json_array_foreach(json_object_get(p, "containers"), j, c) ready +=
            json_object_get(c, "ready") ? json_is_true(json_object_get(c, "ready"))
                                        : !strcmp(jstr(c, "state", ""), "running");
        char rd[32], age[32];
        snprintf(rd, sizeof(rd), "%zu/%zu", ready, n);
        format_age(jstr(p, "startedAt", NULL), age, sizeof(age));
        json_t *ips = json_object_get(p, "ips");
        printf("%-24s %-7s %-22s %-8lld %-6s %s\n", jstr(p, "name", "?"), rd, pod_status_word(p),
               (long long)json_integer_value(json_object_get(p, "restarts")), age,
               json_array_size(ips) ? json_string_value(json_array_get(ips, 0)) : "<none>");
    }
    if (!shown)
        printf("(no pods)\n");
    if (skipped)
        printf("\nNOT FOR THIS HOST\n");
    json_array_foreach(pods, i, p) if (json_is_false(json_object_get(p, "scheduled")))
        printf("%-24s %s\n", jstr(p, "name", "?"), jstr(p, "message", ""));
    const char *rev = jstr(root, "revision", NULL);
    if (rev)
        printf("\nrevision: %s\n", rev);
    json_t *errs = json_object_get(root, "errors");
    if (json_array_size(errs))
        printf("\nERRORS\n");
    json_t *e;
    json_array_foreach(errs, i, e)
        printf("%s:%lld:%lld: %s\n", jstr(e, "file", "?"),
               (long long)json_integer_value(json_object_get(e, "line")),
               (long long)json_integer_value(json_object_get(e, "column")), jstr(e, "message", ""));
}

/* "cpu 100m, memory 64Mi" from {"cpu": ..., "memory": ...}; "-" when empty. */
static void print_amounts(const char *label, json_t *res, const char *key)
{
    json_t *a = json_object_get(res, key);
    const char *cpu = jstr(a, "cpu", NULL), *mem = jstr(a, "memory", NULL);
    printf("    %-13s", label);
    if (cpu)
        printf("cpu %s%s", cpu, mem ? ", " : "");
    if (mem)
        printf("memory %s", mem);
    printf("%s\n", cpu || mem ? "" : "-");
}

static void print_container(json_t *c)
{
    printf("  %s:\n", jstr(c, "name", "?"));
    printf("    Image:       %s\n", jstr(c, "image", "-"));
    printf("    Digest:      %s\n", jstr(c, "imageDigest", "-"));
    const char *st = jstr(c, "state", "?");
    json_t *pid = json_object_get(c, "pid");
    if (json_is_integer(pid))
        printf("    State:       %s (pid %lld)\n", st, (long long)json_integer_value(pid));
    else
        printf("    State:       %s\n", st);
    printf("    Reason:      %s\n", jstr(c, "reason", "-"));
    json_t *code = json_object_get(c, "exitCode");
    if (json_is_integer(code))
        printf("    Exit code:   %lld\n", (long long)json_integer_value(code));
    printf("    Started:     %s\n", jstr(c, "startedAt", "-"));
    printf("    Restarts:    %lld\n",
           (long long)json_integer_value(json_object_get(c, "restarts")));
    print_amounts("Requests:", json_object_get(c, "resources"), "requests");
    print_amounts("Limits:", json_object_get(c, "resources"), "limits");
}

/* The revision the pod's spec was read from, and a note when it is not the current one
 * (its manifest there is invalid, or the pods directory is gone: it keeps its last spec). */
static void print_revision(json_t *p, const char *current)
{
    const char *rev = jstr(p, "revision", NULL);
    if (!rev && !current)
        return;
    printf("Revision:      %s", rev ? rev : "-");
    if (rev && current && strcmp(rev, current))
        printf(" (not the current revision %s: the pod keeps its last valid spec, see the "
               "errors in 'tank status')",
               current);
    printf("\n");
}

/* seccomp / AppArmor / SELinux in effect for container name, from the pod's manifest (read
 * here: the status API's answer has a fixed shape); "-" when it cannot be read. */
static void print_security(const char *manifest, const char *pod, const char *name)
{
    char line[256] = "-";
    struct spec_set set;
    spec_set_init(&set);
    if (manifest && spec_parse_file(&set, manifest) >= 0) {
        const struct spec_pod *p = spec_set_find(&set, pod);
        for (size_t i = 0; p && i < p->n_containers; i++)
            if (!strcmp(p->containers[i].name, name))
                confine_describe(p, &p->containers[i], line, sizeof(line));
    }
    spec_set_free(&set);
    printf("    Security:    %s\n", line);
}

static void print_detail(json_t *p, json_t *events, const char *current)
{
    printf("Name:          %s\n", jstr(p, "name", "?"));
    printf("Namespace:     %s\n", jstr(p, "namespace", "-"));
    printf("Status:        %s\n", pod_status_word(p));
    printf("Phase:         %s\n", jstr(p, "phase", "?"));
    printf("Reason:        %s\n", jstr(p, "reason", "-"));
    printf("Message:       %s\n", jstr(p, "message", "-"));
    printf("Manifest:      %s\n", jstr(p, "manifest", "-"));
    print_revision(p, current);
    printf("Started:       %s\n", jstr(p, "startedAt", "-"));
    printf("Restarts:      %lld\n", (long long)json_integer_value(json_object_get(p, "restarts")));
    printf("QoS Class:     %s\n", jstr(p, "qosClass", "-"));
    printf("IPs:          ");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p, "ips"), i, v) printf(" %s", json_string_value(v));
    printf("%s\n", json_array_size(json_object_get(p, "ips")) ? "" : " <none>");
    printf("Containers:\n");
    json_array_foreach(json_object_get(p, "containers"), i, v)
    {
        print_container(v);
        print_security(json_string_value(json_object_get(p, "manifest")), jstr(p, "name", ""),
                       jstr(v, "name", ""));
    }
    printf("Events:\n");
    json_t *evs = json_object_get(events, "events");
    size_t n = json_array_size(evs);
    for (i = n > 20 ? n - 20 : 0; i < n; i++) {
        json_t *e = json_array_get(evs, i);
        printf("  %s  %-22s %s\n", jstr(e, "time", "?"), jstr(e, "reason", ""),
               jstr(e, "message", ""));
    }
    if (!n)
        printf("  <none>\n");
}

/* One line about the built-in git sync ([sync]) above the table, nothing without it. */
static void print_sync(json_t *root)
{
    json_t *s = json_object_get(root, "sync");
    if (!json_is_object(s))
        return;
    const char *rev = jstr(s, "revision", NULL);
    printf("Sync: %s (%s) at %s", jstr(s, "repo", "?"), jstr(s, "ref", "HEAD"),
           rev ? rev : "<none yet>");
    if (json_is_string(json_object_get(s, "error")))
        printf(", last sync %s; failed at %s: %s\n", jstr(s, "lastSync", "-"),
               jstr(s, "lastAttempt", "-"), jstr(s, "error", ""));
    else
        printf(", last sync %s\n", jstr(s, "lastSync", "-"));
}

static int show(const struct tank_config *cfg, const char *pod, int json)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    char path[512];
    snprintf(path, sizeof(path), pod ? "/v1/pods/%s" : "/v1/pods", pod ? pod : "");
    long code = cli_api_get(cfg->socket, path, &body);
    if (code < 0)
        return 1;
    if (code == 404) {
        fprintf(stderr, "tank status: pod '%s' not found\n", pod ? pod : "");
        return 1;
    }
    if (json) {
        printf("%s\n", tk_buf_str(&body));
        return code == 200 ? 0 : 1;
    }
    json_t *root = json_loads(tk_buf_str(&body), 0, NULL);
    if (code != 200 || !root) {
        fprintf(stderr, "tank status: unexpected answer from the agent (HTTP %ld)\n", code);
        json_decref(root);
        return 1;
    }
    escape_strings(root);
    if (!pod) {
        print_sync(root);
        print_table(root);
    } else {
        _cleanup_buf_ struct tk_buf evb = TK_BUF_INIT;
        snprintf(path, sizeof(path), "/v1/events?pod=%s", pod);
        json_t *events = cli_api_get(cfg->socket, path, &evb) == 200
                             ? json_loads(tk_buf_str(&evb), 0, NULL)
                             : NULL;
        _cleanup_buf_ struct tk_buf allb = TK_BUF_INIT;
        json_t *all = cli_api_get(cfg->socket, "/v1/pods", &allb) == 200
                          ? json_loads(tk_buf_str(&allb), 0, NULL)
                          : NULL;
        escape_strings(events);
        escape_strings(all);
        print_detail(root, events, jstr(all, "revision", NULL));
        json_decref(events);
        json_decref(all);
    }
    json_decref(root);
    return 0;
}

int cmd_status(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, status_usage))
        return 0;
    int json = 0;
    const char *pod = NULL;
    for (int i = 1; i < argc; i++) {
        const char *fmt = NULL;
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (++i >= argc) {
                fprintf(stderr, "tank status: %s needs table or json\n", argv[i - 1]);
                return 2;
            }
            fmt = argv[i];
        } else if (!strncmp(argv[i], "-o", 2) || !strncmp(argv[i], "--output=", 9)) {
            fmt = argv[i][1] == 'o' ? argv[i] + 2 + (argv[i][2] == '=') : argv[i] + 9;
        } else if (argv[i][0] == '-' || pod) {
            fprintf(stderr, "tank status: unexpected argument '%s'\n%s", argv[i], status_usage);
            return 2;
        } else {
            pod = argv[i];
            continue;
        }
        if (strcmp(fmt, "json") && strcmp(fmt, "table")) {
            fprintf(stderr, "tank status: unknown output format '%s' (table or json)\n", fmt);
            return 2;
        }
        json = !strcmp(fmt, "json");
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int r = show(&cfg, pod, json);
    curl_global_cleanup();
    config_free(&cfg);
    return r;
}
