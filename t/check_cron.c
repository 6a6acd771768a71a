/* base/cron: the schedule parser and the next run, table-driven (DST edges in a time zone
 * included; they need the system's zoneinfo, tzdata). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/cron.h"

static int64_t utc(const char *s)
{
    struct tm tm = {0};
    if (!strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return -2;
    return (int64_t)timegm(&tm);
}

static const struct {
    const char *schedule, *tz, *after, *want; /* want NULL: none within 5 years */
} nexts[] = {
    {"*/15 * * * *", "UTC", "2026-01-01T00:07:00Z", "2026-01-01T00:15:00Z"},
    {"0 9 * * MON-FRI", "UTC", "2026-01-03T10:00:00Z", "2026-01-05T09:00:00Z"},
    {"@hourly", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"},
    {"@yearly", "UTC", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"},
    {"@weekly", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"},
    {"0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"0 0 30 2 *", "UTC", "2026-03-01T00:00:00Z", NULL},
    {"0 0 13 * FRI", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"}, /* either day */
    {"0 0 */10 * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-11T00:00:00Z"},
    {"0 0 * * */2", "UTC", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"}, /* both: and */
    {"5-10/2 * * * *", "UTC", "2026-01-01T00:07:00Z", "2026-01-01T00:09:00Z"},
    {"50/5 * * * *", "UTC", "2026-01-01T00:56:00Z", "2026-01-01T01:50:00Z"},
    {"0 0 1 JAN,jul *", "UTC", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z"},
    {"? ? ? ? ?", "UTC", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z"},
    /* New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist */
    {"30 2 * * *", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-09T06:30:00Z"},
    {"0 3 * * *", "America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"},
    /* fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 comes twice */
    {"30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z"},
    {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"},
    {"30 1 * * *", "America/New_York", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"},
    {"0 12 * * *", "Europe/Berlin", "2026-07-01T00:00:00Z", "2026-07-01T10:00:00Z"},
    {"0 0 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-01-01T18:30:00Z"},
};

START_TEST(test_next)
{
    struct tk_cron c;
    char err[200] = "";
    if (!tk_tz_valid(nexts[_i].tz))
        return; /* no zoneinfo here: the skip is reported by test_zones */
    ck_assert_msg(tk_cron_parse(nexts[_i].schedule, &c, err, sizeof(err)) == 0, "%s: %s",
                  nexts[_i].schedule, err);
    int64_t got = tk_cron_next(&c, nexts[_i].tz, utc(nexts[_i].after));
    char buf[40] = "none";
    if (got >= 0) {
        time_t t = (time_t)got;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    ck_assert_msg(!strcmp(buf, nexts[_i].want ? nexts[_i].want : "none"),
                  "'%s' in %s after %s: got %s, want %s", nexts[_i].schedule, nexts[_i].tz,
                  nexts[_i].after, buf, nexts[_i].want ? nexts[_i].want : "none");
}
END_TEST

static const struct {
    const char *schedule, *err;
} bad[] = {
    {"* * * *", "4 fields, expected 5"},
    {"* * * * * *", "more than 5 fields"},
    {"60 * * * *", "field 1 (minute): '60' is out of range 0-59"},
    {"* 24 * * *", "field 2 (hour): '24' is out of range 0-23"},
    {"* * 0 * *", "field 3 (day of month): '0' is out of range 1-31"},
    {"* * * 13 *", "field 4 (month): '13' is out of range 1-12"},
    {"* * * * 7", "field 5 (day of week): '7' is out of range 0-6"},
    {"*/0 * * * *", "field 1 (minute): '*/0' is not a step"},
    {"5-1 * * * *", "field 1 (minute): '5-1' is out of range"},
    {"1-x * * * *", "field 1 (minute): '1-x' is not a value"},
    {"1, * * * *", "field 1 (minute): ends with ','"},
    {"* * * FOO *", "field 4 (month): 'FOO' is not a value"},
    {"@every 1h", "'@every 1h' is not a macro"},
    {"TZ=UTC 0 * * * *", "use timeZone"},
    {"", "0 fields, expected 5"},
};

START_TEST(test_bad)
{
    struct tk_cron c;
    char err[200] = "";
    ck_assert_int_eq(tk_cron_parse(bad[_i].schedule, &c, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, bad[_i].err), "'%s': got '%s', want '%s'", bad[_i].schedule, err,
                  bad[_i].err);
}
END_TEST

START_TEST(test_zones)
{
    if (!tk_tz_valid("America/New_York")) {
        fprintf(stderr, "check_cron: SKIP time zone cases: no zoneinfo (install tzdata)\n");
        return;
    }
    ck_assert(tk_tz_valid("UTC"));
    ck_assert(tk_tz_valid("Europe/Berlin"));
    ck_assert(!tk_tz_valid("Local"));
    ck_assert(!tk_tz_valid("Nowhere/City"));
    ck_assert(!tk_tz_valid("../../etc/passwd"));
    ck_assert(!tk_tz_valid("America/../Europe/Berlin"));
    ck_assert(!tk_tz_valid("/usr/share/zoneinfo/UTC"));
    ck_assert(!tk_tz_valid("America/"));
    ck_assert(!tk_tz_valid(""));
    /* the zone is put back: local time after a call is what it was */
    struct tk_cron c;
    char err[100];
    ck_assert_int_eq(tk_cron_parse("0 0 * * *", &c, err, sizeof(err)), 0);
    time_t t = 1767225600; /* 2026-01-01T00:00:00Z */
    struct tm before, after;
    localtime_r(&t, &before);
    tk_cron_next(&c, "Asia/Kolkata", (int64_t)t);
    localtime_r(&t, &after);
    ck_assert_int_eq(before.tm_hour, after.tm_hour);
    ck_assert_int_eq(before.tm_min, after.tm_min);
}
END_TEST

Suite *cron_suite(void)
{
    Suite *s = suite_create("cron");
    TCase *tc = tcase_create("cron");
    tcase_add_loop_test(tc, test_next, 0, sizeof(nexts) / sizeof(nexts[0]));
    tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, test_zones);
    suite_add_tcase(s, tc);
    return s;
}
