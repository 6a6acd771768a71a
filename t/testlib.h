#pragma once
/* What the unit suites share with the runner (t/runner.c). */

/* Record that the test case `what` ("suite/tcase") is not registered because `why` (e.g.
 * "needs root"): the runner lists it in its last lines, so a run that left tests out says
 * so instead of counting them as passed. Call it from a suite function instead of adding the
 * test case. Both strings must be static. */
void test_not_run(const char *what, const char *why);

/* Helpers of the suites (t/testlib.c); each fails the running test when the system refuses. */

/* A new empty directory /tmp/tank-check-NAME-XXXXXX (heap path; remove it with tk_rm_rf). */
char *test_tmpdir(const char *name);
/* A new file /tmp/tank-check-NAME-XXXXXX holding text (heap path; unlink it). */
char *test_write_tmp(const char *name, const char *text);
/* tank.ini text that config_load() refuses with an error starting with the file's path and
 * containing expect. */
void test_config_refused(const char *name, const char *text, const char *expect);
