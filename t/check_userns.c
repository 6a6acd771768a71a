/* sandbox/userns.c and the [security] keys of agent/config.c: id ranges, their parsing and
 * validation, /etc/subuid defaults, and the persistent allocation of one range per pod. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config.h"
#include "t/testlib.h"
#include "base/fs.h"
#include "sandbox/userns.h"

static const struct {
    const char *text;
    const char *expect; /* substring of the error, after the path */
} bad[] = {
    {"[security]\nuserns_ranges = 100000\n", ":2: [security] userns_ranges: '100000' is not "
                                             "START:COUNT"},
    {"[security]\nuserns_ranges = 100000:x\n", "'100000:x' is not START:COUNT"},
    {"[security]\nuserns_ranges = -5:65536\n", "'-5:65536' is not START:COUNT"},
    {"[security]\nuserns_ranges = 0:65536\n", "'0:65536' starts below 65536 (the host's own"},
    {"[security]\nuserns_ranges = 65535:65536\n", "starts below 65536"},
    {"[security]\nuserns_ranges = 100000:1000\n", "COUNT must be a multiple of 65536"},
    {"[security]\nuserns_ranges = 100000:0\n", "COUNT must be a multiple of 65536"},
    {"[security]\nuserns_ranges = 4294901760:65536\n", "ends past 4294967294"},
    {"[security]\nuserns_ranges = 99999999999:65536\n", "ends past 4294967294"},
    {"[security]\nuserns_ranges = 100000:131072, 165536:65536\n",
     "'165536:65536' overlaps '100000:131072'"},
    {"[security]\nuserns_ranges = \n", "no range given"},
    {"[security]\ndefault_host_users = no\n",
     ":2: [security] default_host_users: 'no' is not true or false"},
};

START_TEST(test_bad_ranges)
{
    test_config_refused("userns", bad[_i].text, bad[_i].expect);
}
END_TEST

START_TEST(test_ranges_and_default)
{
    struct tank_config cfg;
    struct tk_err err = {0};
    char *p =
        test_write_tmp("userns", "[security]\nuserns_ranges = 100000:65536, 2147483648:131072\n"
                                 "default_host_users = false\n");
    ck_assert_msg(config_load(&cfg, p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cfg.n_userns_ranges, 2);
    ck_assert_uint_eq(cfg.userns_ranges[0].start, 100000);
    ck_assert_uint_eq(cfg.userns_ranges[1].start, 2147483648u);
    ck_assert_uint_eq(cfg.userns_ranges[1].count, 131072);
    ck_assert_int_eq(cfg.default_host_users, 0);
    config_free(&cfg);
    unlink(p);
    free(p);
    /* The highest range that fits: its last id is 4294967294. */
    p = test_write_tmp("userns", "[security]\nuserns_ranges = 4294836223:131072\n");
    ck_assert_msg(config_load(&cfg, p, &err) == 0, "%s", err.msg);
    config_free(&cfg);
    unlink(p);
    free(p);
    config_defaults(&cfg);
    ck_assert_int_eq(cfg.default_host_users, 1);
    ck_assert_int_ge(cfg.n_userns_ranges, 1);
    config_free(&cfg);
}
END_TEST

START_TEST(test_subid_files)
{
    char *u = test_write_tmp("userns", "alice:100000:65536\ntank:200000:100000\ntank:300000:65536\n"
                                       "tank:10:65536\n999:500000:65536\ntank:600000:65536\n");
    char *g = test_write_tmp("userns", "tank:200000:65536\nalice:100000:65536\ntank:500000:65536\n"
                                       "tank:300000:65536\n");
    struct sandbox_id_range r[SANDBOX_USERNS_MAX_RANGES];
    /* In both files with the same start, cut to whole blocks; below 65536 skipped; 600000 is
     * not in subgid. */
    int n = sandbox_userns_subid_ranges(u, g, "tank", "999", r);
    ck_assert_int_eq(n, 3);
    ck_assert_uint_eq(r[0].start, 200000);
    ck_assert_uint_eq(r[0].count, 65536);
    ck_assert_uint_eq(r[1].start, 300000);
    ck_assert_uint_eq(r[2].start, 500000);
    ck_assert_int_eq(sandbox_userns_subid_ranges(u, g, "nobody", NULL, r), 0);
    ck_assert_int_eq(sandbox_userns_subid_ranges("/nonexistent", g, "tank", NULL, r), 0);
    unlink(u);
    unlink(g);
    free(u);
    free(g);
}
END_TEST

START_TEST(test_alloc)
{
    char dir[] = "/tmp/tank-check-userns-state-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sandbox_id_range two[] = {{3000000000u, 65536}, {100000, 65536}};
    struct tk_err err = {0};
    uint32_t a = 0, b = 0, c = 0, again = 0;
    ck_assert_msg(sandbox_userns_alloc(dir, "a", two, 2, &a, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(a, 3000000000u);
    ck_assert_msg(sandbox_userns_alloc(dir, "b", two, 2, &b, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(b, 100000);
    /* Full: a third pod gets none. */
    ck_assert_int_eq(sandbox_userns_alloc(dir, "c", two, 2, &c, &err), -ENOSPC);
    ck_assert_msg(strstr(err.msg, "no free user namespace range (2 in use)"), "%s", err.msg);
    /* Asked again, a pod keeps its recorded range. */
    ck_assert_int_eq(sandbox_userns_alloc(dir, "a", two, 2, &again, &err), 0);
    ck_assert_uint_eq(again, a);
    ck_assert_int_eq(sandbox_userns_get(dir, "b", &again), 1);
    ck_assert_uint_eq(again, b);
    /* Released, its range goes to the next pod; the pod's directory goes with the record. */
    ck_assert_int_eq(sandbox_userns_release(dir, "a"), 0);
    ck_assert_int_eq(sandbox_userns_get(dir, "a", &again), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/pods/a", dir);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(sandbox_userns_alloc(dir, "c", two, 2, &c, &err), 0);
    ck_assert_uint_eq(c, a);
    /* A record outside the configured ranges (they changed) is replaced. */
    struct sandbox_id_range other[] = {{200000, 131072}};
    ck_assert_int_eq(sandbox_userns_alloc(dir, "c", other, 1, &c, &err), 0);
    ck_assert_uint_eq(c, 200000);
    /* A damaged record is no range. */
    snprintf(path, sizeof(path), "%s/pods/c/userns", dir);
    ck_assert_int_eq(tk_write_file_atomic(path, "start=7\n", 8, 0644), 0);
    ck_assert_int_lt(sandbox_userns_get(dir, "c", &again), 0);
    tk_rm_rf(dir);
}
END_TEST

Suite *userns_suite(void)
{
    Suite *s = suite_create("userns");
    TCase *tc = tcase_create("ranges");
    tcase_add_loop_test(tc, test_bad_ranges, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, test_ranges_and_default);
    tcase_add_test(tc, test_subid_files);
    tcase_add_test(tc, test_alloc);
    suite_add_tcase(s, tc);
    return s;
}
