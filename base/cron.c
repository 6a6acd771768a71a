/* Cron schedules: parsing and the next time (see cron.h). */
#include "base/cron.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

struct bounds {
    const char *what;
    int min, max;
    const char *const *names; /* index + min is the value; NULL: numbers only */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const struct bounds fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 6, dow_names},
};

/* A value of field b: a number or a name; -1 when neither. */
static int value(const char *s, size_t len, const struct bounds *b)
{
    if (!len || len > 9)
        return -1;
    for (size_t i = 0; b->names && b->names[i]; i++)
        if (len == 3 && !strncasecmp(s, b->names[i], 3))
            return (int)i + b->min;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* One comma-separated part: *, ?, a, a-b, each with an optional /step. */
static int part(const char *s, size_t len, const struct bounds *b, uint64_t *bits, bool *star,
                char *err, size_t err_size, int idx)
{
    const char *slash = memchr(s, '/', len);
    size_t rlen = slash ? (size_t)(slash - s) : len;
    int lo, hi, step = 1;
    if (slash) {
        step = value(slash + 1, len - rlen - 1, &(struct bounds){"", 0, 0, NULL});
        if (step <= 0) {
            snprintf(err, err_size, "field %d (%s): '%.*s' is not a step (a number above 0)",
                     idx + 1, b->what, (int)len, s);
            return -EINVAL;
        }
    }
    const char *dash = memchr(s, '-', rlen);
    if (rlen == 1 && (*s == '*' || *s == '?')) {
        lo = b->min, hi = b->max;
        *star = true;
    } else if (dash) {
        lo = value(s, (size_t)(dash - s), b);
        hi = value(dash + 1, rlen - (size_t)(dash - s) - 1, b);
    } else {
        lo = value(s, rlen, b);
        hi = slash ? b->max : lo;
    }
    if (lo < 0 || hi < 0) {
        snprintf(err, err_size, "field %d (%s): '%.*s' is not a value, a range or '*'", idx + 1,
                 b->what, (int)len, s);
        return -EINVAL;
    }
    if (lo < b->min || hi > b->max || lo > hi) {
        snprintf(err, err_size, "field %d (%s): '%.*s' is out of range %d-%d", idx + 1, b->what,
                 (int)len, s, b->min, b->max);
        return -EINVAL;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ull << v;
    return 0;
}

static int field(const char *s, size_t len, int idx, uint64_t *bits, bool *star, char *err,
                 size_t err_size)
{
    *bits = 0;
    *star = false;
    while (len) {
        const char *comma = memchr(s, ',', len);
        size_t n = comma ? (size_t)(comma - s) : len;
        int r = part(s, n, &fields[idx], bits, star, err, err_size, idx);
        if (r < 0)
            return r;
        if (!comma)
            break;
        if (n + 1 == len) {
            snprintf(err, err_size, "field %d (%s): ends with ','", idx + 1, fields[idx].what);
            return -EINVAL;
        }
        s += n + 1;
        len -= n + 1;
    }
    return 0;
}

static const struct {
    const char *name, *spec;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

int tk_cron_parse(const char *s, struct tk_cron *c, char *err, size_t err_size)
{
    *c = (struct tk_cron){0};
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '@') {
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            if (!strcmp(s, macros[i].name))
                return tk_cron_parse(macros[i].spec, c, err, err_size);
        snprintf(err, err_size,
                 "'%.40s' is not a macro (@yearly, @annually, @monthly, @weekly, @daily, "
                 "@midnight, @hourly)",
                 s);
        return -EINVAL;
    }
    if (!strncmp(s, "TZ=", 3) || !strncmp(s, "CRON_TZ=", 8)) {
        snprintf(err, err_size, "a time zone in the schedule is not supported: use timeZone");
        return -EINVAL;
    }
    uint64_t bits[5];
    bool star[5];
    int n = 0;
    while (*s) {
        size_t len = strcspn(s, " \t");
        if (n == 5) {
            snprintf(err, err_size,
                     "more than 5 fields (minute hour day-of-month month "
                     "day-of-week)");
            return -EINVAL;
        }
        int r = field(s, len, n, &bits[n], &star[n], err, err_size);
        if (r < 0)
            return r;
        n++;
        s += len;
        s += strspn(s, " \t");
    }
    if (n != 5) {
        snprintf(err, err_size,
                 "%d field%s, expected 5 (minute hour day-of-month month "
                 "day-of-week)",
                 n, n == 1 ? "" : "s");
        return -EINVAL;
    }
    *c = (struct tk_cron){.minute = bits[0],
                          .hour = (uint32_t)bits[1],
                          .dom = (uint32_t)bits[2],
                          .month = (uint16_t)bits[3],
                          .dow = (uint8_t)bits[4],
                          .dom_star = star[2],
                          .dow_star = star[4]};
    return 0;
}

static bool day_matches(const struct tk_cron *c, const struct tm *tm)
{
    bool dom = c->dom & (1u << tm->tm_mday), dow = c->dow & (1u << tm->tm_wday);
    return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/* mktime of the local date y-m-d 00:00 (normalised), or fallback when it fails. */
static int64_t midnight(int year, int mon, int mday, int64_t fallback)
{
    struct tm tm = {.tm_year = year, .tm_mon = mon, .tm_mday = mday, .tm_isdst = -1};
    time_t t = mktime(&tm);
    return t == (time_t)-1 || t <= fallback ? fallback + 60 : (int64_t)t;
}

static int64_t next_local(const struct tk_cron *c, int64_t after)
{
    int64_t t = (after >= 0 ? after / 60 + 1 : after / 60) * 60;
    const int64_t limit = after + 5 * 366 * 86400LL;
    while (t <= limit) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (!localtime_r(&tt, &tm))
            return -1;
        if (!(c->month & (1u << (tm.tm_mon + 1))))
            t = midnight(tm.tm_year, tm.tm_mon + 1, 1, t);
        else if (!day_matches(c, &tm))
            t = midnight(tm.tm_year, tm.tm_mon, tm.tm_mday + 1, t);
        else if (!(c->hour & (1u << tm.tm_hour)))
            t += 3600 - tm.tm_min * 60 - tm.tm_sec;
        else if (!(c->minute & (1ull << tm.tm_min)))
            t += 60 - tm.tm_sec;
        else
            return t;
    }
    return -1;
}

int64_t tk_cron_next(const struct tk_cron *c, const char *tz, int64_t after)
{
    if (!tz)
        return next_local(c, after);
    if (!tk_tz_valid(tz))
        return -1;
    const char *old = getenv("TZ");
    _cleanup_free_ char *saved = old ? strdup(old) : NULL;
    if ((old && !saved) || setenv("TZ", tz, 1) < 0)
        return -1;
    tzset();
    int64_t t = next_local(c, after);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    return t;
}

bool tk_tz_valid(const char *name)
{
    if (!name || !*name || name[0] == '/' || strlen(name) > 200 || !strcasecmp(name, "Local"))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-' || *p == '+' || *p == '.'))
            return false;
    for (const char *p = name; p; p = strchr(p, '/')) {
        p += *p == '/';
        if (*p == '.' || *p == '/' || !*p) /* ".", "..", hidden, "//", trailing '/' */
            return false;
    }
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    char magic[4];
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4 &&
              !memcmp(magic, "TZif", 4);
    close(fd);
    return ok;
}
