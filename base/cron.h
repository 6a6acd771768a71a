#pragma once
/*
 * Cron schedules as Kubernetes' CronJob reads them (robfig/cron's standard parser): five
 * fields, minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC) and day
 * of week (0-6 or SUN-SAT, 0 Sunday), each '*' (or '?'), a number, a range a-b, a list
 * a,b, and a step "/n" after '*', a range or a start (a/n: from a to the field's end); or
 * one of @yearly,
 * @annually, @monthly, @weekly, @daily, @midnight, @hourly. When both day fields are
 * restricted a day matching either runs (as Vixie cron); a field starting with '*' is
 * unrestricted.
 *
 * Times are seconds since the epoch; a schedule's fields are read in a time zone (an IANA
 * name from the system's zoneinfo, or NULL for the process's local time). A wall time that
 * a daylight-saving change skips does not run that day; one it repeats runs twice (as
 * robfig/cron, and so Kubernetes, do).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tk_cron {
    uint64_t minute; /* bit m */
    uint32_t hour;   /* bit h */
    uint32_t dom;    /* bit d, 1..31 */
    uint16_t month;  /* bit m, 1..12 */
    uint8_t dow;     /* bit d, 0..6 */
    bool dom_star, dow_star;
};

/* Parse s into c. -EINVAL with a message in err ("field 2 (hour): '25' is out of range
 * 0-23") on failure. */
int tk_cron_parse(const char *s, struct tk_cron *c, char *err, size_t err_size);

/* The first time after `after` (seconds, exclusive) that c matches, in zone tz. -1 when
 * none within 5 years (a 30th of February), or tz cannot be loaded. */
int64_t tk_cron_next(const struct tk_cron *c, const char *tz, int64_t after);

/* Whether name is an IANA time zone of the system's zoneinfo (TZDIR, else
 * /usr/share/zoneinfo): a relative path without "." or ".." components whose file is a
 * TZif file. "Local" is not one (as Kubernetes refuses it). */
bool tk_tz_valid(const char *name);
