/* `tank status` (from the agent's API over its unix socket) and `tank logs` (from the
 * containers' CRI log files). */
#include "agent/cli.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runtime.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/parse.h"

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

/* GET path from the agent; the body into out. Returns the HTTP status or -1 (message
 * printed). */
static long api_get(const char *socket, const char *path, struct tk_buf *out)
{
    CURL *c = curl_easy_init();
    if (!c) {
        fprintf(stderr, "tank status: cannot initialise libcurl\n");
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
    if (r != CURLE_OK)
        fprintf(stderr, "tank status: cannot reach the agent at '%s': %s\n", socket,
                curl_easy_strerror(r));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
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
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        size_t n = json_array_size(json_object_get(p, "containers")), ready = 0, j;
        json_t *c;
        json_array_foreach(json_object_get(p, "containers"), j, c) ready +=
            !strcmp(jstr(c, "state", ""), "running");
        char rd[32], age[32];
        snprintf(rd, sizeof(rd), "%zu/%zu", ready, n);
        format_age(jstr(p, "startedAt", NULL), age, sizeof(age));
        json_t *ips = json_object_get(p, "ips");
        printf("%-24s %-7s %-22s %-8lld %-6s %s\n", jstr(p, "name", "?"), rd, pod_status_word(p),
               (long long)json_integer_value(json_object_get(p, "restarts")), age,
               json_array_size(ips) ? json_string_value(json_array_get(ips, 0)) : "<none>");
    }
    if (!json_array_size(pods))
        printf("(no pods)\n");
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
}

static void print_detail(json_t *p, json_t *events)
{
    printf("Name:          %s\n", jstr(p, "name", "?"));
    printf("Status:        %s\n", pod_status_word(p));
    printf("Phase:         %s\n", jstr(p, "phase", "?"));
    printf("Reason:        %s\n", jstr(p, "reason", "-"));
    printf("Message:       %s\n", jstr(p, "message", "-"));
    printf("Manifest:      %s\n", jstr(p, "manifest", "-"));
    printf("Started:       %s\n", jstr(p, "startedAt", "-"));
    printf("Restarts:      %lld\n", (long long)json_integer_value(json_object_get(p, "restarts")));
    printf("IPs:          ");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p, "ips"), i, v) printf(" %s", json_string_value(v));
    printf("%s\n", json_array_size(json_object_get(p, "ips")) ? "" : " <none>");
    printf("Containers:\n");
    json_array_foreach(json_object_get(p, "containers"), i, v) print_container(v);
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

static int show(const struct tank_config *cfg, const char *pod, int json)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    char path[512];
    snprintf(path, sizeof(path), pod ? "/v1/pods/%s" : "/v1/pods", pod ? pod : "");
    long code = api_get(cfg->socket, path, &body);
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
    if (!pod) {
        print_table(root);
    } else {
        _cleanup_buf_ struct tk_buf evb = TK_BUF_INIT;
        snprintf(path, sizeof(path), "/v1/events?pod=%s", pod);
        json_t *events =
            api_get(cfg->socket, path, &evb) == 200 ? json_loads(tk_buf_str(&evb), 0, NULL) : NULL;
        print_detail(root, events);
        json_decref(events);
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

/* ---- logs ---- */

static const char logs_usage[] =
    "usage: tank logs [-f] [--tail N] [--timestamps] POD [CTR]\n"
    "\n"
    "Print a container's log (the CRI-format files under log_dir). CTR may be left out\n"
    "when the pod has one container. -f follows the log (across rotations) until\n"
    "interrupted; --tail N starts with the last N lines; --timestamps prefixes each line\n"
    "with its time.\n";

struct log_reader {
    bool timestamps;
    int64_t tail; /* -1 = all */
    char **ring;  /* the last lines while collecting for --tail */
    size_t n_ring, ring_pos;
    bool collecting;
    struct tk_buf partial[2]; /* per stream: "P" parts waiting for their "F" */
    char first_ts[2][64];
    struct tk_buf rest; /* an incomplete line at the end of what was read */
};

static void log_emit(struct log_reader *lr, const char *ts, const char *text, size_t len)
{
    struct tk_buf line = TK_BUF_INIT;
    if (lr->timestamps)
        tk_buf_addf(&line, "%s ", ts);
    tk_buf_add(&line, text, len);
    tk_buf_addc(&line, '\n');
    if (!lr->collecting) {
        fwrite(line.s, 1, line.len, stdout);
        tk_buf_free(&line);
        return;
    }
    if (lr->tail == 0) {
        tk_buf_free(&line);
        return;
    }
    size_t slot = lr->ring_pos % (size_t)lr->tail;
    free(lr->ring[slot]);
    lr->ring[slot] = tk_buf_detach(&line);
    lr->ring_pos++;
    if (lr->n_ring < (size_t)lr->tail)
        lr->n_ring++;
}

/* One CRI line: "TIME STREAM TAG TEXT". */
static void log_feed_line(struct log_reader *lr, const char *s, size_t len)
{
    const char *end = s + len, *f[3];
    size_t fl[3];
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp && i < 2)
            return; /* not a CRI line */
        f[i] = p;
        fl[i] = (size_t)((sp ? sp : end) - p);
        p = sp ? sp + 1 : end;
    }
    int st = fl[1] == 6 && !memcmp(f[1], "stderr", 6);
    char ts[64];
    snprintf(ts, sizeof(ts), "%.*s", (int)(fl[0] < 63 ? fl[0] : 63), f[0]);
    if (fl[2] == 1 && f[2][0] == 'P') {
        if (!lr->partial[st].len)
            snprintf(lr->first_ts[st], sizeof(lr->first_ts[st]), "%s", ts);
        tk_buf_add(&lr->partial[st], p, (size_t)(end - p));
        return;
    }
    if (lr->partial[st].len) {
        tk_buf_add(&lr->partial[st], p, (size_t)(end - p));
        log_emit(lr, lr->first_ts[st], lr->partial[st].s, lr->partial[st].len);
        tk_buf_reset(&lr->partial[st]);
        return;
    }
    log_emit(lr, ts, p, (size_t)(end - p));
}

static void log_feed(struct log_reader *lr, const char *data, size_t len)
{
    tk_buf_add(&lr->rest, data, len);
    size_t start = 0;
    for (size_t i = 0; i < lr->rest.len; i++) {
        if (lr->rest.s[i] != '\n')
            continue;
        log_feed_line(lr, lr->rest.s + start, i - start);
        start = i + 1;
    }
    memmove(lr->rest.s, lr->rest.s + start, lr->rest.len - start);
    lr->rest.len -= start;
    if (lr->rest.s)
        lr->rest.s[lr->rest.len] = '\0';
}

/* Read fd to its end. */
static void log_drain(struct log_reader *lr, int fd)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        log_feed(lr, buf, (size_t)n);
}

static void log_flush_tail(struct log_reader *lr)
{
    if (!lr->collecting)
        return;
    lr->collecting = false;
    size_t first = lr->ring_pos - lr->n_ring;
    for (size_t i = 0; i < lr->n_ring; i++) {
        char *s = lr->ring[(first + i) % (size_t)lr->tail];
        fputs(s, stdout);
    }
    for (size_t i = 0; lr->tail > 0 && i < (size_t)lr->tail; i++)
        free(lr->ring[i]);
    free(lr->ring);
    lr->ring = NULL;
    fflush(stdout);
}

static int log_follow(struct log_reader *lr, const char *dir, const char *path, int fd)
{
    _cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC);
    const char *base = strrchr(path, '/') + 1;
    if (ifd < 0 ||
        inotify_add_watch(ifd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        fprintf(stderr, "tank logs: watch '%s': %m\n", dir);
        return 1;
    }
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        if (fd >= 0)
            log_drain(lr, fd);
        fflush(stdout);
        ssize_t n = read(ifd, buf, sizeof(buf));
        if (n <= 0)
            return n < 0 && errno != EINTR ? 1 : 0;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            if (!ev->len || strcmp(ev->name, base) || !(ev->mask & (IN_CREATE | IN_MOVED_TO)))
                continue;
            /* Rotated: finish the old file, then read the new one from its start. */
            if (fd >= 0) {
                log_drain(lr, fd);
                close(fd);
            }
            fd = open(path, O_RDONLY | O_CLOEXEC);
        }
    }
}

/* The container's log name when the pod has exactly one. */
static int only_container(const char *dir, char **out)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *de;
    struct tk_buf names = TK_BUF_INIT;
    int n = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".log"))
            continue;
        tk_buf_addf(&names, "%s%.*s", n ? ", " : "", (int)(len - 4), de->d_name);
        if (!n++)
            *out = strndup(de->d_name, len - 4);
    }
    if (n == 1) {
        tk_buf_free(&names);
        return 0;
    }
    free(*out);
    *out = tk_buf_detach(&names);
    return n ? -E2BIG : -ENOENT;
}

static int logs(const struct tank_config *cfg, const char *pod, const char *ctr,
                struct log_reader *lr, bool follow)
{
    _cleanup_buf_ struct tk_buf dir = TK_BUF_INIT;
    _cleanup_free_ char *only = NULL;
    tk_buf_addf(&dir, "%s/%s", cfg->log_dir, pod);
    if (!ctr) {
        int r = only_container(dir.s, &only);
        if (r == -E2BIG) {
            fprintf(stderr, "tank logs: pod '%s' has several containers, name one: %s\n", pod,
                    only);
            return 2;
        }
        if (r < 0) {
            fprintf(stderr, "tank logs: no logs for pod '%s'\n", pod);
            return 1;
        }
        ctr = only;
    }
    _cleanup_free_ char *path = runtime_log_path(cfg->log_dir, pod, ctr);
    _cleanup_buf_ struct tk_buf old = TK_BUF_INIT;
    tk_buf_addf(&old, "%s.1", path);
    _cleanup_close_ int ofd = open(old.s, O_RDONLY | O_CLOEXEC);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && ofd < 0 && !follow) {
        fprintf(stderr, "tank logs: no log for container '%s' of pod '%s'\n", ctr, pod);
        return 1;
    }
    if (ofd >= 0)
        log_drain(lr, ofd);
    if (fd >= 0)
        log_drain(lr, fd);
    log_flush_tail(lr);
    if (!follow) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    return log_follow(lr, dir.s, path, fd);
}

int cmd_logs(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, logs_usage))
        return 0;
    struct log_reader lr = {.tail = -1};
    bool follow = false;
    const char *args[2] = {NULL, NULL};
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
            follow = true;
        else if (!strcmp(argv[i], "--timestamps"))
            lr.timestamps = true;
        else if (!strcmp(argv[i], "--tail") && i + 1 < argc)
            v = argv[++i];
        else if (!strncmp(argv[i], "--tail=", 7))
            v = argv[i] + 7;
        else if (argv[i][0] != '-' && n < 2)
            args[n++] = argv[i];
        else {
            fprintf(stderr, "tank logs: unexpected argument '%s'\n%s", argv[i], logs_usage);
            return 2;
        }
        if (v && tk_parse_int64(v, -1, 1000000, &lr.tail) < 0) {
            fprintf(stderr, "tank logs: --tail: '%s' is not a number of lines\n", v);
            return 2;
        }
    }
    if (!n) {
        fprintf(stderr, "tank logs: no POD given\n%s", logs_usage);
        return 2;
    }
    if (lr.tail >= 0) {
        lr.collecting = true;
        lr.ring = calloc(lr.tail ? (size_t)lr.tail : 1, sizeof(char *));
        if (!lr.ring)
            return 1;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    int r = logs(&cfg, args[0], args[1], &lr, follow);
    log_flush_tail(&lr);
    tk_buf_free(&lr.partial[0]);
    tk_buf_free(&lr.partial[1]);
    tk_buf_free(&lr.rest);
    config_free(&cfg);
    return r;
}
