/* agent/config.c: tank.ini parsing, defaults, errors with line numbers. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/config.h"
#include "t/testlib.h"

START_TEST(test_shipped_config_loads)
{
    struct tank_config cfg;
    struct tk_err err = {0};
    int r = config_load(&cfg, "conf/tank.ini", &err);
    ck_assert_msg(r == 0, "conf/tank.ini: %s", err.msg);
    ck_assert_str_eq(cfg.pods_dir, "/etc/tank/pods");
    ck_assert_int_eq(cfg.backoff_initial_ms, 10000);
    ck_assert_int_eq(cfg.backoff_max_ms, 300000);
    ck_assert_uint_eq(cfg.log_max_size, 10 << 20);
    ck_assert_int_eq(cfg.log_max_files, 2);
    config_free(&cfg);
}
END_TEST

START_TEST(test_values)
{
    char *p = test_write_tmp("config", "[host]\nuplink = veth-up\ndns = 192.0.2.53, 2001:db8::53\n"
                                       "dns_search = example.test\n[agent]\npods_dir = /tmp/p\n"
                                       "resync_seconds = 5\n[registry]\ninsecure = 127.0.0.1:5000\n"
                                       "[restart]\nbackoff_initial = 250ms\nbackoff_max = 2s\n"
                                       "[logs]\nmax_size = 1Mi\nmax_files = 5\n");
    struct tank_config cfg;
    struct tk_err err = {0};
    ck_assert_msg(config_load(&cfg, p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(cfg.uplink, "veth-up");
    ck_assert_int_eq(cfg.n_dns, 2);
    ck_assert_str_eq(cfg.dns[1], "2001:db8::53");
    ck_assert_str_eq(cfg.pods_dir, "/tmp/p");
    ck_assert_int_eq(cfg.resync_ms, 5000);
    ck_assert_int_eq(cfg.n_insecure, 1);
    ck_assert_int_eq(cfg.backoff_initial_ms, 250);
    ck_assert_int_eq(cfg.backoff_max_ms, 2000);
    ck_assert_uint_eq(cfg.log_max_size, 1 << 20);
    ck_assert_int_eq(cfg.log_max_files, 5);
    struct host_facts hf;
    host_facts_get(&cfg, &hf);
    ck_assert_str_eq(hf.uplink, "veth-up");
    ck_assert_int_eq(hf.n_dns, 2);
    host_facts_free(&hf);
    config_free(&cfg);
    unlink(p);
    free(p);
}
END_TEST

static const struct {
    const char *text;
    const char *expect; /* substring of the error, after the path */
} bad[] = {
    {"[hots]\nuplink = x\n", ":1: unknown section [hots]"},
    {"[logs]\nmax_files = 1\n", ":2: [logs] max_files: '1' is not a number of files (2 to 100)"},
    {"[logs]\nmax_size = 0\n", ":2: [logs] max_size: '0' is not a size"},
    {"[host]\nuplnk = x\n", ":2: unknown key 'uplnk' in section [host]"},
    {"[restart]\n\nbackoff_max = ten\n", ":3: [restart] backoff_max: 'ten' is not a duration"},
    {"[agent]\npods_dir = relative\n", ":2: [agent] pods_dir: 'relative' is not an absolute"},
    {"[agent]\nthis is not ini\n", ":2: syntax error"},
    {"[restart]\nbackoff_initial = 10m\nbackoff_max = 1s\n", "backoff_initial is larger"},
    {"[images]\nimage_gc_high_percent = 120\n",
     ":2: [images] image_gc_high_percent: '120' is not a percentage (0 to 100, or off)"},
    {"[images]\nimage_gc_low_percent = -1\n", ":2: [images] image_gc_low_percent: '-1' is not"},
    {"[images]\nimage_gc_high_percent = 85x\n", ":2: [images] image_gc_high_percent: '85x'"},
    {"[images]\nimage_gc_min_age = soon\n", ":2: [images] image_gc_min_age: 'soon' is not a"},
    {"[images]\nimage_gc_high_percent = 70\nimage_gc_low_percent = 70\n",
     "image_gc_low_percent (70) must be below image_gc_high_percent (70)"},
    {"[agent]\npods_dir = /r/%h\n", "[agent] pods_dir: '%h' is not %H (host name) or %%"},
    {"[agent]\npods_dir = /r/%\n", "[agent] pods_dir: '%' is not %H"},
    {"[sync]\nlink = a/b\n", "[sync] link: 'a/b' is not a file name"},
    {"[sync]\ndepth = -1\n", ":2: [sync] depth: '-1' is not a number of commits (0 = all)"},
    {"[sync]\nrepo = /r.git\nperiod = 10ms\n", "[sync] period: shorter than 1s"},
    {"[sync]\nrepo = /r.git\ntimeout = 0\n", "[sync] timeout: shorter than 1s"},
};

START_TEST(test_bad)
{
    test_config_refused("config", bad[_i].text, bad[_i].expect);
}
END_TEST

START_TEST(test_image_gc_keys)
{
    struct tank_config cfg;
    struct tk_err err = {0};
    config_defaults(&cfg);
    ck_assert_int_eq(cfg.image_gc_high_percent, 85);
    ck_assert_int_eq(cfg.image_gc_low_percent, 80);
    ck_assert_int_eq(cfg.image_gc_min_age_ms, 120000);
    config_free(&cfg);
    char *p =
        test_write_tmp("config", "[images]\nimage_gc_high_percent = 90%\nimage_gc_low_percent = 0\n"
                                 "image_gc_min_age = 1h\n");
    ck_assert_msg(config_load(&cfg, p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cfg.image_gc_high_percent, 90);
    ck_assert_int_eq(cfg.image_gc_low_percent, 0);
    ck_assert_int_eq(cfg.image_gc_min_age_ms, 3600000);
    config_free(&cfg);
    unlink(p);
    free(p);
    /* off: no collection, and then the low mark is not compared */
    p = test_write_tmp("config", "[images]\nimage_gc_high_percent = off\nimage_gc_min_age = off\n");
    ck_assert_msg(config_load(&cfg, p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cfg.image_gc_high_percent, 0);
    ck_assert_int_eq(cfg.image_gc_min_age_ms, 0);
    config_free(&cfg);
    unlink(p);
    free(p);
}
END_TEST

/* [sync] and %H: one tank.ini for a fleet. */
START_TEST(test_sync_keys)
{
    struct tank_config cfg;
    struct tk_err err = {0};
    config_defaults(&cfg);
    ck_assert_ptr_null(cfg.sync_repo);
    ck_assert_int_eq(cfg.sync_period_ms, 30000);
    ck_assert_str_eq(cfg.sync_root, "/var/lib/tank/repo");
    ck_assert_str_eq(cfg.sync_link, "current");
    ck_assert_int_eq(cfg.sync_depth, 1);
    config_free(&cfg);
    char *p = test_write_tmp("config", "[agent]\npods_dir = /r/current/hosts/%H/100%%\n[sync]\n"
                                       "repo = git://192.0.2.1/fleet.git\nref = main\nperiod = 5s\n"
                                       "depth = 0\nlink = rev\ntimeout = 10s\n");
    ck_assert_msg(config_load(&cfg, p, &err) == 0, "%s", err.msg);
    struct utsname u;
    ck_assert_int_eq(uname(&u), 0);
    char want[512];
    snprintf(want, sizeof(want), "/r/current/hosts/%s/100%%", u.nodename);
    ck_assert_str_eq(cfg.pods_dir, want);
    ck_assert_str_eq(cfg.sync_repo, "git://192.0.2.1/fleet.git");
    ck_assert_str_eq(cfg.sync_ref, "main");
    ck_assert_str_eq(cfg.sync_link, "rev");
    ck_assert_int_eq(cfg.sync_period_ms, 5000);
    ck_assert_int_eq(cfg.sync_timeout_ms, 10000);
    ck_assert_int_eq(cfg.sync_depth, 0);
    config_free(&cfg);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(test_missing_file)
{
    struct tank_config cfg;
    struct tk_err err = {0};
    ck_assert_int_lt(config_load(&cfg, "/nonexistent/tank.ini", &err), 0);
    ck_assert_str_eq(err.msg, "read config '/nonexistent/tank.ini': No such file or directory");
    config_free(&cfg);
}
END_TEST

/* The host seam with [host] dns empty: the host's resolv.conf without loopback stubs, else
 * systemd-resolved's upstream list, search and options from the same file; files given
 * through the test-only environment. */
static void facts_with(struct host_facts *out, const char *resolv, const char *resolved,
                       const char *ini)
{
    char *a = test_write_tmp("config", resolv), *b = test_write_tmp("config", resolved),
         *c = test_write_tmp("config", ini);
    setenv("TANK_HOST_RESOLV_CONF", a, 1);
    setenv("TANK_HOST_RESOLVED_CONF", b, 1);
    setenv("TANK_HOST_ROUTES", "/nonexistent", 1);
    struct tank_config cfg;
    struct tk_err err = {0};
    ck_assert_msg(config_load(&cfg, c, &err) == 0, "%s", err.msg);
    /* filled in place: hf's lists may point into hf itself */
    struct host_facts *hf = out;
    host_facts_get(&cfg, hf);
    /* keep what hf borrows from cfg: copy it into hf's own lists */
    if (cfg.n_dns) {
        for (size_t i = 0; i < cfg.n_dns && i < CONFIG_MAX_LIST; i++)
            hf->own[0][i] = strdup(cfg.dns[i]);
        hf->n_own[0] = cfg.n_dns;
        hf->dns = (const char *const *)hf->own[0];
    }
    config_free(&cfg);
    unlink(a), unlink(b), unlink(c);
    free(a), free(b), free(c);
    unsetenv("TANK_HOST_RESOLV_CONF");
    unsetenv("TANK_HOST_RESOLVED_CONF");
    unsetenv("TANK_HOST_ROUTES");
}

START_TEST(test_host_dns_defaults)
{
    /* a systemd-resolved stub: its upstream list instead */
    struct host_facts hf;
    facts_with(&hf, "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch stub.test\n",
               "# resolved\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"
               "search example.test corp.test\noptions ndots:2\n",
               "[agent]\npods_dir = /tmp/p\n");
    ck_assert_int_eq(hf.n_dns, 2);
    ck_assert_str_eq(hf.dns[0], "192.0.2.53");
    ck_assert_str_eq(hf.dns[1], "2001:db8::53");
    ck_assert_int_eq(hf.n_dns_search, 2);
    ck_assert_str_eq(hf.dns_search[1], "corp.test");
    ck_assert_int_eq(hf.n_dns_options, 1);
    ck_assert_str_eq(hf.dns_options[0], "ndots:2");
    host_facts_free(&hf);

    /* loopback entries skipped, the others kept with the file's search and options */
    facts_with(&hf,
               "nameserver 127.0.0.1\nnameserver 198.51.100.1\nnameserver ::1\n"
               "domain one.test\nsearch two.test\noptions rotate\n",
               "nameserver 192.0.2.99\n", "[agent]\npods_dir = /tmp/p\n");
    ck_assert_int_eq(hf.n_dns, 1);
    ck_assert_str_eq(hf.dns[0], "198.51.100.1");
    ck_assert_int_eq(hf.n_dns_search, 1);
    ck_assert_str_eq(hf.dns_search[0], "two.test");
    ck_assert_str_eq(hf.dns_options[0], "rotate");
    host_facts_free(&hf);

    /* nothing usable: none (and a warning) */
    facts_with(&hf, "nameserver 127.0.0.53\n", "nameserver 127.0.0.1\n",
               "[agent]\npods_dir = /tmp/p\n");
    ck_assert_int_eq(hf.n_dns, 0);
    ck_assert_int_eq(hf.n_dns_options, 0);
    host_facts_free(&hf);

    /* an explicit [host] dns wins */
    facts_with(&hf, "nameserver 198.51.100.1\n", "", "[host]\ndns = 192.0.2.1\n");
    ck_assert_int_eq(hf.n_dns, 1);
    ck_assert_str_eq(hf.dns[0], "192.0.2.1");
    ck_assert_int_eq(hf.n_dns_options, 0);
    host_facts_free(&hf);
}
END_TEST

START_TEST(test_host_default_route)
{
    char *p = test_write_tmp(
        "config",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "uplink1\t00000000\t010200C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
        "uplink0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "other\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
    char name[32];
    ck_assert_int_eq(host_default_route_iface(p, name, sizeof(name)), 0);
    ck_assert_str_eq(name, "uplink0");
    unlink(p);
    free(p);
    p = test_write_tmp("config", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                                 "other\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n");
    ck_assert_int_eq(host_default_route_iface(p, name, sizeof(name)), -ENOENT);
    unlink(p);
    free(p);
}
END_TEST

/* status.hostIP(s): an interface's addresses, IPv4 first; none for an unknown one. */
START_TEST(test_host_iface_ips)
{
    char *v = host_iface_ips("lo");
    ck_assert_ptr_nonnull(v);
    if (*v) /* (lo may be down with no address in a test's namespace) */
        ck_assert_msg(!strncmp(v, "127.0.0.1", 9), "lo: '%s'", v);
    free(v);
    v = host_iface_ips("no-such-if0");
    ck_assert_str_eq(v, "");
    free(v);
    v = host_iface_ips(NULL);
    ck_assert_str_eq(v, "");
    free(v);
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("ini");
    tcase_add_test(tc, test_shipped_config_loads);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_host_dns_defaults);
    tcase_add_test(tc, test_host_default_route);
    tcase_add_test(tc, test_host_iface_ips);
    tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, test_image_gc_keys);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_sync_keys);
    suite_add_tcase(s, tc);
    return s;
}
