/* The unit-test runner: every libcheck suite of t/check_*.c in one SRunner.
 * TANK_SUITE=NAME runs only the suite named NAME (e.g. "spec"). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#define SUITE(fn) Suite *fn(void);
#include "suites.h"
#undef SUITE

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
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
