/* Persistent events: JSON lines under state_dir, bounded and rotated (events.h). */
#include "agent/events.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/parse.h"

#define EVENTS_FILE "events.jsonl"
#define EVENTS_MAX_LINE 4096

static struct {
    char *path; /* DIR/events.jsonl, NULL when closed */
    char *old;  /* DIR/events.jsonl.1 */
    size_t max, lines;
    int fd;
    bool warned;
} ev = {.fd = -1};

static size_t count_lines(const char *path)
{
    _cleanup_free_ char *data = NULL;
    size_t len = 0, n = 0;
    if (tk_read_file(path, 64 << 20, &data, &len) < 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\n';
    return n;
}

int events_open(const char *dir, size_t max)
{
    events_close();
    struct tk_buf p = TK_BUF_INIT, o = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/" EVENTS_FILE, dir);
    tk_buf_addf(&o, "%s/" EVENTS_FILE ".1", dir);
    ev.path = tk_buf_detach(&p);
    ev.old = tk_buf_detach(&o);
    ev.max = max ? max : EVENTS_MAX_LINES;
    ev.lines = count_lines(ev.path);
    ev.fd = open(ev.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (ev.fd < 0) {
        int e = -errno;
        events_close();
        return e;
    }
    return 0;
}

void events_close(void)
{
    if (ev.fd >= 0)
        close(ev.fd);
    free(ev.path);
    free(ev.old);
    ev.path = ev.old = NULL;
    ev.fd = -1;
    ev.lines = 0;
}

/* events.jsonl full: it becomes events.jsonl.1, a new one begins. */
static void rotate(void)
{
    close(ev.fd);
    ev.fd = -1;
    if (rename(ev.path, ev.old) < 0 && !ev.warned) {
        tk_warn("events: rotate '%s': %m", ev.path);
        ev.warned = true;
    }
    ev.fd = open(ev.path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    ev.lines = 0;
}

void events_record(int64_t time_ns, const char *pod, const char *ctr, const char *reason,
                   const char *message)
{
    if (!ev.path)
        return;
    if (ev.lines >= ev.max || ev.fd < 0)
        rotate();
    char t[64];
    tk_format_rfc3339nano(time_ns, t, sizeof(t));
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s}", "time", t, "pod", pod, "container",
                          ctr && ctr[0] ? json_string(ctr) : json_null(), "reason", reason,
                          "message", message);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!line)
        return;
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s\n", line);
    free(line);
    if (ev.fd < 0 || tk_write_all(ev.fd, b.s, b.len) < 0) {
        if (!ev.warned)
            tk_warn("events: write '%s': %m", ev.path);
        ev.warned = true;
    } else {
        ev.lines++;
    }
    tk_buf_free(&b);
}

int64_t events_parse_time(const char *s)
{
    int64_t secs;
    if (tk_parse_int64(s, 0, INT64_MAX / 1000000000, &secs) == 0)
        return secs * 1000000000;
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return -1;
    int64_t ns = 0, scale = 100000000;
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
            ns += scale ? (*end - '0') * scale : 0;
    if (strcmp(end, "Z"))
        return -1;
    int64_t secs2 = (int64_t)timegm(&tm);
    if (secs2 < 0)
        return -1;
    if (secs2 >= INT64_MAX / 1000000000 - 1)
        return INT64_MAX; /* past 2262: later than any event */
    return secs2 * 1000000000 + ns;
}

static void add_file(json_t *out, const char *path, int64_t since, const char *pod)
{
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    if (tk_read_file(path, 64 << 20, &data, &len) < 0)
        return;
    for (char *line = data, *nl; line < data + len; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(data + len - line));
        if (!nl)
            break; /* a torn last line */
        *nl = '\0';
        json_t *o = json_loads(line, 0, NULL);
        const char *t = json_string_value(json_object_get(o, "time"));
        const char *p = json_string_value(json_object_get(o, "pod"));
        if (o && t && p && events_parse_time(t) >= since && (!pod || !strcmp(pod, p)))
            json_array_append(out, o);
        json_decref(o);
    }
}

char *events_json(int64_t since_ns, const char *pod)
{
    json_t *evs = json_array();
    if (ev.path) {
        add_file(evs, ev.old, since_ns, pod);
        add_file(evs, ev.path, since_ns, pod);
    }
    json_t *root = json_pack("{s:o}", "events", evs);
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return s;
}
