/* `tank status`: pods and containers from the agent's API over its unix socket. */
#include "agent/cli.h"
#include "agent/cmd_status-int.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    "usage: tank status [-w] [-o table|wide|json|yaml|name] [POD | KIND/NAME]\n"
    "\n"
    "Show the workloads, the pods and their containers, as the running agent sees them\n"
    "(through its status API socket). With POD, a detailed view with the pod's recent\n"
    "events; with deploy/NAME, ds/NAME, job/NAME or cronjob/NAME the workload's (its\n"
    "conditions, its pods, its rollout's events and its pods'). The\n"
    "manifests' errors come first (in red on a terminal). Exit status 0 when the agent\n"
    "answered (even with invalid manifests), 1 when it cannot be reached.\n"
    "\n"
    "  -o wide    more columns: every IP, the images, the revision, the QoS class\n"
    "  -o json    the API's answer; -o yaml the same as YAML; -o name pod/NAME lines\n"
    "  -w         redraw on every change (the agent's events and pod changes, no polling;\n"
    "             on a terminal in place, ages refreshed every few seconds), until ^C\n"
    "\n"
    "Example: tank status -o wide\n";

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
void status_escape_strings(json_t *v)
{
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_string(v) && tk_needs_escape(json_string_value(v))) {
        char buf[8192];
        json_string_set(v, tk_escape(json_string_value(v), buf, sizeof(buf)));
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, x) status_escape_strings(x);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) status_escape_strings(x);
    }
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
    if (why && !strncmp(why, "Init:", 5)) /* the init containers run: Init:1/2 */
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

/* The manifests' errors, first (in red on a terminal). */
static void print_errors(json_t *root)
{
    json_t *errs = json_object_get(root, "errors"), *e;
    size_t i;
    bool red = isatty(STDOUT_FILENO);
    if (!json_array_size(errs))
        return;
    printf("%sERRORS\n", red ? "\033[31m" : "");
    json_array_foreach(errs, i, e)
        printf("%s:%lld:%lld: %s\n", jstr(e, "file", "?"),
               (long long)json_integer_value(json_object_get(e, "line")),
               (long long)json_integer_value(json_object_get(e, "column")), jstr(e, "message", ""));
    printf("%s\n", red ? "\033[0m" : "");
}

static void ctr_images(json_t *p, char *out, size_t size)
{
    size_t j, off = 0;
    json_t *c;
    out[0] = '\0';
    json_array_foreach(json_object_get(p, "containers"), j, c)
    {
        int n = snprintf(out + off, size - off, "%s%s", j ? "," : "", jstr(c, "image", "-"));
        if (n < 0 || (size_t)n >= size - off)
            break;
        off += (size_t)n;
    }
}

void status_pod_row(json_t *p, bool wide, struct row *r)
{
    size_t n = json_array_size(json_object_get(p, "containers")), ready = 0, j;
    json_t *c, *v;
    json_array_foreach(json_object_get(p, "containers"), j, c) ready +=
        json_object_get(c, "ready") ? json_is_true(json_object_get(c, "ready"))
                                    : !strcmp(jstr(c, "state", ""), "running");
    /* Sidecars count as kubectl counts them: once the init phase is over, the init
     * containers that have not completed are the sidecars (running, or restarting). */
    const char *why = jstr(p, "reason", "");
    json_array_foreach(json_object_get(p, "initContainers"), j, c)
    {
        if (!strncmp(why, "Init:", 5) || !strcmp(jstr(c, "reason", ""), "Completed"))
            continue;
        n++;
        ready += json_is_true(json_object_get(c, "ready"));
    }
    json_t *ips = json_object_get(p, "ips");
    snprintf(r->col[0], sizeof(r->col[0]), "%s", jstr(p, "name", "?"));
    snprintf(r->col[1], sizeof(r->col[1]), "%zu/%zu", ready, n);
    snprintf(r->col[2], sizeof(r->col[2]), "%s", pod_status_word(p));
    snprintf(r->col[3], sizeof(r->col[3]), "%lld",
             (long long)json_integer_value(json_object_get(p, "restarts")));
    format_age(jstr(p, "startedAt", NULL), r->col[4], sizeof(r->col[4]));
    snprintf(r->col[5], sizeof(r->col[5]), "%s",
             json_array_size(ips) ? json_string_value(json_array_get(ips, 0)) : "<none>");
    if (!wide)
        return;
    r->col[5][0] = '\0';
    json_array_foreach(ips, j, v)
    {
        size_t len = strlen(r->col[5]);
        snprintf(r->col[5] + len, sizeof(r->col[5]) - len, "%s%s", j ? "," : "",
                 json_string_value(v));
    }
    if (!json_array_size(ips))
        snprintf(r->col[5], sizeof(r->col[5]), "<none>");
    ctr_images(p, r->col[6], sizeof(r->col[6]));
    snprintf(r->col[7], sizeof(r->col[7]), "%s", jstr(p, "revision", "-"));
    snprintf(r->col[8], sizeof(r->col[8]), "%s", jstr(p, "qosClass", "-"));
}

/* Columns as wide as their longest cell, as kubectl prints them. */
void status_print_rows(const struct row *rows, size_t n, size_t ncols)
{
    size_t w[COLS] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < ncols; c++)
            if (strlen(rows[i].col[c]) > w[c])
                w[c] = strlen(rows[i].col[c]);
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c + 1 < ncols; c++)
            printf("%-*s   ", (int)w[c], rows[i].col[c]);
        printf("%s\n", rows[i].col[ncols - 1]);
    }
}

/* Deployments and Jobs above the pods (kubectl get deploy): a Job's READY is its succeeded
 * pods of completions, its AVAILABLE its condition (Complete, Failed, or - while it runs). AGE
 * is that of its oldest pod. */
static void print_workloads(json_t *root)
{
    json_t *wls = json_object_get(root, "workloads"), *wl, *name, *p;
    size_t i, j, k, n = json_array_size(wls);
    if (!n)
        return;
    struct row *rows = calloc(n + 1, sizeof(*rows));
    if (!rows)
        return;
    static const char *const head[] = {"NAME", "KIND", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
    for (size_t c = 0; c < 6; c++)
        snprintf(rows[0].col[c], sizeof(rows[0].col[c]), "%s", head[c]);
    json_array_foreach(wls, i, wl)
    {
        struct row *r = &rows[i + 1];
        bool job = !strcmp(jstr(wl, "kind", ""), "Job");
        json_t *conds = json_object_get(wl, "conditions");
        const char *oldest = NULL;
        snprintf(r->col[0], sizeof(r->col[0]), "%s", jstr(wl, "name", "?"));
        snprintf(r->col[1], sizeof(r->col[1]), "%s", jstr(wl, "kind", "?"));
        snprintf(r->col[2], sizeof(r->col[2]), "%lld/%lld",
                 (long long)json_integer_value(json_object_get(wl, job ? "succeeded" : "ready")),
                 (long long)json_integer_value(json_object_get(wl, "replicas")));
        snprintf(r->col[3], sizeof(r->col[3]), "%lld",
                 (long long)json_integer_value(json_object_get(wl, "updated")));
        if (job)
            snprintf(r->col[4], sizeof(r->col[4]), "%s",
                     json_array_size(conds) ? jstr(json_array_get(conds, 0), "type", "-") : "-");
        else if (json_object_get(wl, "schedule")) /* a CronJob: whether it runs its schedule */
            snprintf(r->col[4], sizeof(r->col[4]), "%s",
                     json_is_true(json_object_get(wl, "suspend")) ? "Suspended" : "Scheduled");
        else
            snprintf(r->col[4], sizeof(r->col[4]), "%lld",
                     (long long)json_integer_value(json_object_get(wl, "available")));
        json_array_foreach(json_object_get(wl, "pods"), j, name)
            json_array_foreach(json_object_get(root, "pods"), k, p)
        {
            const char *t = jstr(p, "startedAt", NULL);
            if (t && !strcmp(jstr(p, "name", ""), json_string_value(name)) &&
                (!oldest || strcmp(t, oldest) < 0))
                oldest = t;
        }
        format_age(oldest, r->col[5], sizeof(r->col[5]));
    }
    status_print_rows(rows, n + 1, 6);
    printf("\n");
    free(rows);
}

static void print_table(json_t *root, bool wide)
{
    json_t *pods = json_object_get(root, "pods"), *p;
    size_t i, n = json_array_size(pods), ncols = wide ? COLS : 6;
    print_errors(root);
    print_workloads(root);
    struct row *rows = calloc(n + 1, sizeof(*rows));
    if (!rows)
        return;
    static const char *const head[COLS] = {"NAME", "READY", "STATUS",   "RESTARTS", "AGE",
                                           "IP",   "IMAGE", "REVISION", "QOS"};
    for (size_t c = 0; c < COLS; c++)
        snprintf(rows[0].col[c], sizeof(rows[0].col[c]), "%s", wide && c == 5 ? "IPS" : head[c]);
    size_t shown = 0, skipped = 0;
    json_array_foreach(pods, i, p)
    {
        if (json_is_false(json_object_get(p, "scheduled")))
            skipped++;
        else
            status_pod_row(p, wide, &rows[++shown]);
    }
    status_print_rows(rows, shown + 1, ncols);
    if (!shown)
        printf("(no pods)\n");
    free(rows);
    if (skipped)
        printf("\nNOT FOR THIS HOST\n");
    json_array_foreach(pods, i, p) if (json_is_false(json_object_get(p, "scheduled")))
        printf("%-24s %s\n", jstr(p, "name", "?"), jstr(p, "message", ""));
    const char *rev = jstr(root, "revision", NULL);
    if (rev)
        printf("\nrevision: %s\n", rev);
}

/* -o name: pod/NAME, one a line. */
static void print_names(json_t *root)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(root, "pods"), i, p)
        printf("pod/%s\n", jstr(p, "name", "?"));
}

/* A word YAML would read as a boolean or null ("True", the conditions' status, included). */
static bool yaml_keyword(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null", "~"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(words); i++)
        if (!strcasecmp(s, words[i]))
            return true;
    return false;
}

/* -o yaml: the API's JSON as YAML (block style; strings double-quoted when needed). */
static void yaml_scalar(json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        bool plain = *s && !strpbrk(s, ":#{}[],&*!|>'\"%@`\\\n") && s[0] != '-' && s[0] != ' ' &&
                     s[strlen(s) - 1] != ' ' && !yaml_keyword(s) &&
                     strspn(s, "0123456789.+-eE") != strlen(s);
        if (plain) {
            printf("%s", s);
            return;
        }
        char *q = json_dumps(v, JSON_ENCODE_ANY);
        printf("%s", q ? q : "\"\"");
        free(q);
        return;
    }
    char *d = json_dumps(v, JSON_ENCODE_ANY);
    printf("%s", d ? d : "null");
    free(d);
}

static bool yaml_empty(json_t *v)
{
    return (json_is_object(v) || json_is_array(v)) && !json_object_size(v) && !json_array_size(v);
}

static void yaml_object(json_t *o, int indent, bool first_inline)
{
    const char *k;
    json_t *x;
    json_object_foreach(o, k, x)
    {
        if (!first_inline)
            printf("%*s", indent, "");
        first_inline = false;
        printf("%s:", k);
        if ((json_is_object(x) || json_is_array(x)) && !yaml_empty(x)) {
            printf("\n");
            status_yaml_value(x, json_is_array(x) ? indent : indent + 2);
        } else {
            printf(" ");
            yaml_scalar(x);
            printf("\n");
        }
    }
}

void status_yaml_value(json_t *v, int indent)
{
    size_t i;
    json_t *x;
    if (json_is_object(v)) {
        yaml_object(v, indent, false);
        return;
    }
    json_array_foreach(v, i, x)
    {
        printf("%*s- ", indent, "");
        if (json_is_object(x) && json_object_size(x)) {
            yaml_object(x, indent + 2, true);
        } else if (json_is_array(x) && json_array_size(x)) {
            printf("\n");
            status_yaml_value(x, indent + 2);
        } else {
            yaml_scalar(x);
            printf("\n");
        }
    }
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
    if (json_is_string(json_object_get(c, "finishedAt")))
        printf("    Finished:    %s\n", jstr(c, "finishedAt", "-"));
    if (json_is_string(json_object_get(c, "message")))
        printf("    Message:     %s\n", jstr(c, "message", "-"));
    json_t *last = json_object_get(json_object_get(c, "lastState"), "terminated");
    if (json_is_object(last)) {
        printf("    Last State:  terminated (%s, exit code %lld)\n", jstr(last, "reason", "-"),
               (long long)json_integer_value(json_object_get(last, "exitCode")));
        printf("      Started:   %s\n", jstr(last, "startedAt", "-"));
        printf("      Finished:  %s\n", jstr(last, "finishedAt", "-"));
        if (json_is_string(json_object_get(last, "message")))
            printf("      Message:   %s\n", jstr(last, "message", "-"));
    }
    printf("    Ready:       %s\n", json_is_true(json_object_get(c, "ready")) ? "True" : "False");
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

/* A lifecycle hook, as kubectl describe shows them. */
static void print_hook(const char *label, const struct spec_probe *h)
{
    if (!h)
        return;
    _cleanup_free_ char *d = spec_probe_describe(h);
    char *cut = d ? strstr(d, " delay=") : NULL; /* (a hook has no timing) */
    if (cut)
        *cut = '\0';
    printf("    %-13s%s\n", label, d ? d : "?");
}

/* The container's probes and hooks, as kubectl describe shows them. */
static void print_probes(const struct spec_container *c)
{
    print_hook("PostStart:", c->post_start);
    print_hook("PreStop:", c->pre_stop);
    if (c->termination_message_path)
        printf("    %-13s%s (%s)\n", "Term. msg:", c->termination_message_path,
               c->termination_fallback_logs ? "FallbackToLogsOnError" : "File");
    static const char *const label[SPEC_N_PROBES] = {[SPEC_LIVENESS] = "Liveness:",
                                                     [SPEC_READINESS] = "Readiness:",
                                                     [SPEC_STARTUP] = "Startup:"};
    for (int t = 0; t < SPEC_N_PROBES; t++) {
        if (!c->probes[t])
            continue;
        _cleanup_free_ char *d = spec_probe_describe(c->probes[t]);
        printf("    %-13s%s\n", label[t], d ? d : "?");
    }
}

/* seccomp / AppArmor / SELinux in effect for container name, and its probes, from the pod's
 * manifest (read here: the status API's answer has a fixed shape); "-" when it cannot be
 * read. */
static void print_security(const char *manifest, const char *pod, const char *name)
{
    char line[256] = "-";
    const struct spec_container *c = NULL;
    struct spec_set set;
    spec_set_init(&set);
    if (manifest && spec_parse_file(&set, manifest) >= 0) {
        const struct spec_pod *p = spec_set_find(&set, pod);
        for (size_t i = 0; p && i < spec_pod_n_all(p); i++)
            if (!strcmp(spec_pod_ctr(p, i)->name, name)) {
                c = spec_pod_ctr(p, i);
                confine_describe(p, c, line, sizeof(line));
            }
    }
    printf("    Security:    %s\n", line);
    if (c)
        print_probes(c);
    spec_set_free(&set);
}

static void print_conditions(json_t *p)
{
    json_t *conds = json_object_get(p, "conditions");
    if (!json_array_size(conds))
        return;
    printf("Conditions:\n  %-17s %-7s %s\n", "Type", "Status", "Since");
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
        printf("  %-17s %-7s %s\n", jstr(c, "type", "?"), jstr(c, "status", "?"),
               jstr(c, "lastTransitionTime", "-"));
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
    if (json_array_size(json_object_get(p, "initContainers")))
        printf("Init Containers:\n");
    json_array_foreach(json_object_get(p, "initContainers"), i, v)
    {
        print_container(v);
        print_security(json_string_value(json_object_get(p, "manifest")), jstr(p, "name", ""),
                       jstr(v, "name", ""));
    }
    printf("Containers:\n");
    json_array_foreach(json_object_get(p, "containers"), i, v)
    {
        print_container(v);
        print_security(json_string_value(json_object_get(p, "manifest")), jstr(p, "name", ""),
                       jstr(v, "name", ""));
    }
    print_conditions(p);
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

static const char *const fmt_names[] = {"table", "wide", "json", "yaml", "name"};

static void print_pod_detail(const struct tank_config *cfg, json_t *root, const char *pod)
{
    char path[512];
    _cleanup_buf_ struct tk_buf evb = TK_BUF_INIT;
    snprintf(path, sizeof(path), "/v1/events?pod=%s", pod);
    json_t *events =
        cli_api_get(cfg->socket, path, &evb) == 200 ? json_loads(tk_buf_str(&evb), 0, NULL) : NULL;
    _cleanup_buf_ struct tk_buf allb = TK_BUF_INIT;
    json_t *all = cli_api_get(cfg->socket, "/v1/pods", &allb) == 200
                      ? json_loads(tk_buf_str(&allb), 0, NULL)
                      : NULL;
    status_escape_strings(events);
    status_escape_strings(all);
    print_detail(root, events, jstr(all, "revision", NULL));
    json_decref(events);
    json_decref(all);
}

static int show(const struct tank_config *cfg, const char *pod, enum fmt fmt)
{
    if (pod && strchr(pod, '/'))
        return status_show_workload(cfg, pod, fmt);
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
    if (fmt == FMT_JSON) {
        printf("%s\n", tk_buf_str(&body));
        return code == 200 ? 0 : 1;
    }
    json_t *root = json_loads(tk_buf_str(&body), 0, NULL);
    if (code != 200 || !root) {
        fprintf(stderr, "tank status: unexpected answer from the agent (HTTP %ld)\n", code);
        json_decref(root);
        return 1;
    }
    if (fmt == FMT_YAML) {
        status_yaml_value(root, 0);
    } else if (fmt == FMT_NAME) {
        status_escape_strings(root);
        if (pod)
            printf("pod/%s\n", jstr(root, "name", pod));
        else
            print_names(root);
    } else if (!pod) {
        status_escape_strings(root);
        print_sync(root);
        print_table(root, fmt == FMT_WIDE);
    } else {
        status_escape_strings(root);
        print_pod_detail(cfg, root, pod);
    }
    json_decref(root);
    return 0;
}

/* Wait for the next event after *pos (the API answers at the latest after a few seconds);
 * 1 when there was one, 0 when not, -1 when the agent cannot be reached. */
static int wait_event(const struct tank_config *cfg, uint64_t *pos)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    char path[64];
    if (*pos == UINT64_MAX)
        snprintf(path, sizeof(path), "/v1/events");
    else
        snprintf(path, sizeof(path), "/v1/events?after=%llu", (unsigned long long)*pos);
    if (cli_api_get(cfg->socket, path, &body) != 200)
        return -1;
    json_t *o = json_loads(tk_buf_str(&body), 0, NULL);
    json_t *next = json_object_get(o, "next");
    int changed = 0;
    if (json_is_integer(next)) {
        changed = (uint64_t)json_integer_value(next) != *pos;
        *pos = (uint64_t)json_integer_value(next);
    }
    json_decref(o);
    return changed;
}

/* Remove the live usage (it changes at every read) from the agent's answer, at any depth. */
static void drop_usage(json_t *v)
{
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_object(v)) {
        json_object_del(v, "usage");
        json_object_foreach(v, k, x) drop_usage(x);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) drop_usage(x);
    }
}

/* What -w compares to see a change that came without an event: the agent's answer without
 * the live usage, keys sorted. NULL when it cannot be read. */
static char *view_key(const struct tank_config *cfg, const char *pod)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    char path[512];
    snprintf(path, sizeof(path), pod ? "/v1/pods/%s" : "/v1/pods", pod ? pod : "");
    if (cli_api_get(cfg->socket, path, &body) < 0)
        return NULL;
    json_t *o = json_loads(tk_buf_str(&body), 0, NULL);
    drop_usage(o);
    char *key = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : tk_buf_detach(&body);
    json_decref(o);
    return key;
}

/*
 * -w: the view, then again on every change: an event, or a pod's change that comes without
 * one (its readiness: the agent wakes its watchers for those too, and the answer differs).
 * On a terminal the view is redrawn in place, and also each time the agent's wait ends
 * quietly (every few seconds), so the ages stay current; otherwise each view is printed
 * once, followed by an empty line, as kubectl get -w prints only changes.
 */
static int status_watch(const struct tank_config *cfg, const char *pod, enum fmt fmt)
{
    uint64_t pos = UINT64_MAX; /* the first answer comes at once and tells the position */
    bool tty = isatty(STDOUT_FILENO), draw = true;
    if (wait_event(cfg, &pos) < 0)
        return 1;
    _cleanup_free_ char *last = view_key(cfg, pod);
    for (;;) {
        if (draw) {
            if (tty)
                printf("\033[H\033[2J");
            int r = show(cfg, pod, fmt);
            if (!tty)
                printf("\n");
            fflush(stdout);
            if (r != 0)
                return r;
        }
        int w = wait_event(cfg, &pos);
        if (w < 0)
            return 1;
        char *key = view_key(cfg, pod);
        draw = w > 0 || tty || !key || !last || strcmp(key, last);
        free(last);
        last = key;
    }
}

static int parse_fmt(const char *s, enum fmt *out)
{
    for (size_t i = 0; i < TK_ARRAY_SIZE(fmt_names); i++) {
        if (!strcmp(s, fmt_names[i])) {
            *out = (enum fmt)i;
            return 0;
        }
    }
    fprintf(stderr, "tank status: unknown output format '%s' (table, wide, json, yaml or name)\n",
            s);
    return -1;
}

static int parse_status_args(int argc, char **argv, enum fmt *fmt, bool *watch, const char **pod)
{
    for (int i = 1; i < argc; i++) {
        const char *f = NULL;
        if (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--watch")) {
            *watch = true;
            continue;
        } else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (++i >= argc) {
                fprintf(stderr, "tank status: %s needs a format\n", argv[i - 1]);
                return 2;
            }
            f = argv[i];
        } else if (!strncmp(argv[i], "-o", 2) || !strncmp(argv[i], "--output=", 9)) {
            f = argv[i][1] == 'o' ? argv[i] + 2 + (argv[i][2] == '=') : argv[i] + 9;
        } else if (argv[i][0] == '-' || *pod) {
            fprintf(stderr, "tank status: unexpected argument '%s'\n%s", argv[i], status_usage);
            return 2;
        } else {
            *pod = argv[i];
            continue;
        }
        if (parse_fmt(f, fmt) < 0)
            return 2;
    }
    return 0;
}

int cmd_status(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, status_usage))
        return 0;
    enum fmt fmt = FMT_TABLE;
    bool watch = false;
    const char *pod = NULL;
    int r = parse_status_args(argc, argv, &fmt, &watch, &pod);
    if (r)
        return r;
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    r = watch ? status_watch(&cfg, pod, fmt) : show(&cfg, pod, fmt);
    curl_global_cleanup();
    config_free(&cfg);
    return r;
}
