#include "base/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tk_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -EINVAL;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (errno || end == s || *end)
        return -EINVAL;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int tk_parse_uint32(const char *s, uint32_t *out)
{
    int64_t v;
    if (s && *s == '-')
        return -EINVAL;
    int r = tk_parse_int64(s, 0, UINT32_MAX, &v);
    if (r < 0)
        return r;
    *out = (uint32_t)v;
    return 0;
}

/* Parse a non-negative decimal number (digits with an optional fraction). */
static int parse_decimal(const char **p, double *out)
{
    const char *s = *p;
    double v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s++ - '0');
        digits++;
        if (v > 1e18)
            return -ERANGE;
    }
    if (*s == '.') {
        s++;
        double scale = 0.1;
        while (isdigit((unsigned char)*s)) {
            v += (*s++ - '0') * scale;
            scale /= 10;
            digits++;
        }
    }
    if (!digits)
        return -EINVAL;
    *p = s;
    *out = v;
    return 0;
}

int tk_parse_duration_ms(const char *s, int64_t *out_ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    if (!s || !*s)
        return -EINVAL;
    double total = 0;
    const char *p = s;
    while (*p) {
        double v;
        int r = parse_decimal(&p, &v);
        if (r < 0)
            return r;
        if (!*p) {
            if (p == s + strlen(s) && total == 0 && strspn(s, "0123456789.") == strlen(s)) {
                total = v * 1000; /* a bare number means seconds */
                break;
            }
            return -EINVAL;
        }
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, n) == 0 && !isalpha((unsigned char)p[n]))
                break;
        }
        if (i == sizeof(units) / sizeof(units[0]))
            return -EINVAL;
        total += v * units[i].ms;
        p += strlen(units[i].unit);
    }
    if (total > 9e15)
        return -ERANGE;
    *out_ms = (int64_t)llround(total);
    return 0;
}

int tk_parse_quantity(const char *s, uint64_t *out_bytes)
{
    static const struct {
        const char *suffix;
        double mult;
    } suffixes[] = {
        {"Ki", 1024.0},
        {"Mi", 1048576.0},
        {"Gi", 1073741824.0},
        {"Ti", 1099511627776.0},
        {"Pi", 1125899906842624.0},
        {"Ei", 1152921504606846976.0},
        {"k", 1e3},
        {"M", 1e6},
        {"G", 1e9},
        {"T", 1e12},
        {"P", 1e15},
        {"E", 1e18},
        {"", 1},
    };
    if (!s || !*s)
        return -EINVAL;
    const char *p = s;
    if (*p == '+')
        p++;
    double v;
    int r = parse_decimal(&p, &v);
    if (r < 0)
        return r;
    double mult = -1;
    if ((*p == 'e' || *p == 'E') && isdigit((unsigned char)p[1])) {
        int64_t exp;
        if (tk_parse_int64(p + 1, 0, 18, &exp) < 0)
            return -EINVAL;
        mult = pow(10, (double)exp);
    } else {
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
            if (strcmp(p, suffixes[i].suffix) == 0) {
                mult = suffixes[i].mult;
                break;
            }
    }
    if (mult < 0)
        return -EINVAL;
    double bytes = ceil(v * mult);
    if (bytes >= 18446744073709551615.0)
        return -ERANGE;
    *out_bytes = (uint64_t)bytes;
    return 0;
}
