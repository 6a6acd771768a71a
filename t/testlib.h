#pragma once
/* What the unit suites share with the runner (t/runner.c). */

/* Record that the test case `what` ("suite/tcase") is not registered because `why` (e.g.
 * "needs root"): the runner lists it in its last lines, so a run that left tests out says
 * so instead of counting them as passed. Call it from a suite function instead of adding the
 * test case. Both strings must be static. */
void test_not_run(const char *what, const char *why);
