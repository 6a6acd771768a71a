/* The unit-test runner: every libcheck suite of t/check_*.c in one SRunner.
 * TANK_SUITE=NAME runs only the suite named NAME (e.g. "spec"). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/testlib.h"

#define SUITE(fn) Suite *fn(void);
#include "suites.h"
#undef SUITE

static struct {
    const char *what, *why;
} not_run[32];
static size_t n_not_run;

void test_not_run(const char *what, const char *why)
{
    if (n_not_run < sizeof(not_run) / sizeof(not_run[0]))
        not_run[n_not_run++] = (typeof(not_run[0])){what, why};
}

int main(void)
{
    static Suite *(*const suites[])(void) = {
#define SUITE(fn) fn,
#include "suites.h"
#undef SUITE
        NULL,
    };
    const char *only = getenv("TANK_SUITE");
    SRunner *sr = NULL;
    for (size_t i = 0; suites[i]; i++) {
        Suite *s = suites[i]();
        if (!sr)
            sr = srunner_create(s);
        else
            srunner_add_suite(sr, s);
    }
    if (!sr)
        return 0;
    srunner_run(sr, only && *only ? only : NULL, NULL, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (size_t i = 0; i < n_not_run; i++)
        printf("not run: %s: %s\n", not_run[i].what, not_run[i].why);
    if (n_not_run)
        printf("%zu test case(s) not run (see above)\n", n_not_run);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
