/* Helpers the unit suites share. See testlib.h. */
#include "t/testlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"

char *test_tmpdir(const char *name)
{
    char *d = NULL;
    ck_assert_int_ge(asprintf(&d, "/tmp/tank-check-%s-XXXXXX", name), 0);
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

char *test_write_tmp(const char *name, const char *text)
{
    char *path = NULL;
    ck_assert_int_ge(asprintf(&path, "/tmp/tank-check-%s-XXXXXX", name), 0);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

void test_config_refused(const char *name, const char *text, const char *expect)
{
    char *p = test_write_tmp(name, text);
    struct tank_config cfg;
    struct tk_err err = {0};
    ck_assert_int_lt(config_load(&cfg, p, &err), 0);
    ck_assert_msg(strstr(err.msg, expect), "got '%s', want '%s'", err.msg, expect);
    ck_assert_msg(strncmp(err.msg, p, strlen(p)) == 0, "error should start with the path");
    config_free(&cfg);
    unlink(p);
    free(p);
}
