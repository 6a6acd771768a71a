/* CronJob schedules: arbitrary bytes (up to the first NUL) through tk_cron_parse(); a parsed
 * schedule's next run (in UTC) is after the start and matches the schedule again, and a
 * failure always says why. */
#include "fuzz/fuzz.h"

#include <stdio.h>

#include "base/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    struct tk_cron c;
    char err[256] = "";
    if (tk_cron_parse(s, &c, err, sizeof(err)) == 0) {
        if (!c.minute || !c.hour || !c.dom || !c.month || !c.dow)
            abort(); /* every field matches something */
        const int64_t start = 1767225600; /* 2026-01-01T00:00:00Z */
        int64_t t = tk_cron_next(&c, "UTC", start);
        if (t >= 0 && (t <= start || t % 60 || tk_cron_next(&c, "UTC", t - 60) != t))
            abort();
    } else if (!err[0]) {
        abort();
    }
    free(s);
    return 0;
}
