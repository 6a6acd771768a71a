/* base/: checked parsing, buffers, errors, file helpers. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/netaddr.h"
#include "base/parse.h"

static const struct {
    const char *in;
    int ok;
    int64_t ms;
} durations[] = {
    {"250ms", 1, 250},  {"10s", 1, 10000},     {"5m", 1, 300000},
    {"1h", 1, 3600000}, {"1h30m", 1, 5400000}, {"1.5s", 1, 1500},
    {"30", 1, 30000},   {"0", 1, 0},           {"", 0, 0},
    {"s", 0, 0},        {"10x", 0, 0},         {"-5s", 0, 0},
    {"10 s", 0, 0},     {"1e3s", 0, 0},
};

START_TEST(test_duration)
{
    int64_t ms = -1;
    int r = tk_parse_duration_ms(durations[_i].in, &ms);
    if (durations[_i].ok) {
        ck_assert_msg(r == 0, "'%s' should parse", durations[_i].in);
        ck_assert_int_eq(ms, durations[_i].ms);
    } else {
        ck_assert_msg(r < 0, "'%s' should be rejected", durations[_i].in);
    }
}
END_TEST

static const struct {
    const char *in;
    int ok;
    uint64_t bytes;
} quantities[] = {
    {"64Mi", 1, 64ULL << 20},
    {"1G", 1, 1000000000ULL},
    {"512", 1, 512},
    {"1.5Gi", 1, 3ULL << 29},
    {"100k", 1, 100000},
    {"1e3", 1, 1000},
    {"1Ki", 1, 1024},
    {"", 0, 0},
    {"Mi", 0, 0},
    {"64MB", 0, 0},
    {"-1", 0, 0},
    {"1 Gi", 0, 0},
};

START_TEST(test_quantity)
{
    uint64_t b = 0;
    int r = tk_parse_quantity(quantities[_i].in, &b);
    if (quantities[_i].ok) {
        ck_assert_msg(r == 0, "'%s' should parse", quantities[_i].in);
        ck_assert_uint_eq(b, quantities[_i].bytes);
    } else {
        ck_assert_msg(r < 0, "'%s' should be rejected", quantities[_i].in);
    }
}
END_TEST

START_TEST(test_int64)
{
    int64_t v;
    ck_assert_int_eq(tk_parse_int64("42", 0, 100, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_lt(tk_parse_int64("101", 0, 100, &v), 0);
    ck_assert_int_lt(tk_parse_int64("4x", 0, 100, &v), 0);
    ck_assert_int_lt(tk_parse_int64(" 4", 0, 100, &v), 0);
    ck_assert_int_lt(tk_parse_int64("99999999999999999999", INT64_MIN, INT64_MAX, &v), 0);
}
END_TEST

START_TEST(test_buf_and_err)
{
    struct tk_buf b = TK_BUF_INIT;
    ck_assert_str_eq(tk_buf_str(&b), "");
    tk_buf_addf(&b, "%s=%d", "x", 5);
    tk_buf_add_json_str(&b, "a\"b\n");
    ck_assert_str_eq(tk_buf_str(&b), "x=5\"a\\\"b\\n\"");
    tk_buf_free(&b);

    struct tk_err err = {0};
    ck_assert_int_eq(tk_err_sys(&err, -ENOENT, "open '%s'", "x"), -ENOENT);
    tk_err_wrap(&err, "pull '%s'", "busybox");
    ck_assert_str_eq(err.msg, "pull 'busybox': open 'x': No such file or directory");
    ck_assert_int_eq(err.code, -ENOENT);
}
END_TEST

START_TEST(test_atomic_write_and_rm_rf)
{
    char dir[] = "/tmp/tank-check-base-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    ck_assert_int_eq(tk_mkdir_p(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/a/b/c/file", dir);
    ck_assert_int_eq(tk_write_file_atomic(path, "hello", 5, 0600), 0);
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(tk_read_file(path, 100, &data, &len), 0);
    ck_assert_str_eq(data, "hello");
    free(data);
    ck_assert_int_eq(tk_read_file(path, 3, &data, &len), -EFBIG);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    /* The replace without fsync: same contract for readers, no temp file left. */
    ck_assert_int_eq(tk_write_file_replace(path, "bye", 3, 0640), 0);
    ck_assert_int_eq(tk_read_file(path, 100, &data, &len), 0);
    ck_assert_str_eq(data, "bye");
    ck_assert_uint_eq(len, 3);
    free(data);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    DIR *d = opendir(path);
    ck_assert_ptr_nonnull(d);
    int entries = 0;
    for (struct dirent *de; (de = readdir(d));)
        entries += de->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(entries, 1);
    snprintf(path, sizeof(path), "%s/no/such/dir/file", dir);
    ck_assert_int_eq(tk_write_file_replace(path, "x", 1, 0644), -ENOENT);
    ck_assert_int_eq(tk_rm_rf(dir), 0);
    ck_assert_int_ne(stat(dir, &st), 0);
}
END_TEST

START_TEST(test_rfc3339)
{
    char out[64];
    tk_format_rfc3339nano(1767323045123456789LL, out, sizeof(out));
    ck_assert_str_eq(out, "2026-01-02T03:04:05.123456789Z");
}
END_TEST

/* ---- names and addresses (base/netaddr.h): one table for the validator and the sandbox -- */

enum net_kind { NET_CIDR, NET_IP, NET_MAC, NET_IFNAME, NET_LABEL };
static const struct {
    enum net_kind kind;
    const char *in;
    int ok;
    int family, prefix; /* CIDR and IP */
} nets[] = {
    {NET_CIDR, "192.0.2.10/24", 1, AF_INET, 24},
    {NET_CIDR, "192.0.2.10/32", 1, AF_INET, 32},
    {NET_CIDR, "0.0.0.0/0", 1, AF_INET, 0},
    {NET_CIDR, "2001:db8::10/64", 1, AF_INET6, 64},
    {NET_CIDR, "::1/128", 1, AF_INET6, 128},
    {NET_CIDR, "192.0.2.10", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/33", 0, 0, 0},
    {NET_CIDR, "2001:db8::1/129", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/", 0, 0, 0},
    {NET_CIDR, "/24", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/2x", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/-1", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/+8", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/ 8", 0, 0, 0},
    {NET_CIDR, "192.0.2.300/24", 0, 0, 0},
    {NET_CIDR, "192.0.2.1/024", 0, 0, 0},
    {NET_CIDR, "192.0.2.10/0024", 0, 0, 0},
    {NET_CIDR, "example.com/24", 0, 0, 0},
    {NET_CIDR, "", 0, 0, 0},
    {NET_CIDR, NULL, 0, 0, 0},
    {NET_IP, "192.0.2.1", 1, AF_INET, 0},
    {NET_IP, "fe80::1", 1, AF_INET6, 0},
    {NET_IP, "192.0.2.1/24", 0, 0, 0},
    {NET_IP, "192.0.2", 0, 0, 0},
    {NET_IP, NULL, 0, 0, 0},
    {NET_MAC, "02:AB:cd:00:ff:10", 1, 0, 0},
    {NET_MAC, "02:ab:cd:00:ff", 0, 0, 0},
    {NET_MAC, "02-ab-cd-00-ff-10", 0, 0, 0},
    {NET_MAC, "02:ab:cd:00:ff:1g", 0, 0, 0},
    {NET_MAC, "02:ab:cd:00:ff:100", 0, 0, 0},
    {NET_MAC, NULL, 0, 0, 0},
    {NET_IFNAME, "eth0", 1, 0, 0},
    {NET_IFNAME, "a.b-c_d@e", 1, 0, 0},
    {NET_IFNAME, "123456789012345", 1, 0, 0},
    {NET_IFNAME, "1234567890123456", 0, 0, 0},
    {NET_IFNAME, "", 0, 0, 0},
    {NET_IFNAME, ".", 0, 0, 0},
    {NET_IFNAME, "..", 0, 0, 0},
    {NET_IFNAME, "a/b", 0, 0, 0},
    {NET_IFNAME, "a:b", 0, 0, 0},
    {NET_IFNAME, "a b", 0, 0, 0},
    {NET_IFNAME, "a\x7f", 0, 0, 0},
    {NET_LABEL, "web", 1, 0, 0},
    {NET_LABEL, "a-1", 1, 0, 0},
    {NET_LABEL, "1a", 1, 0, 0},
    {NET_LABEL, "", 0, 0, 0},
    {NET_LABEL, "Web", 0, 0, 0},
    {NET_LABEL, "-a", 0, 0, 0},
    {NET_LABEL, "a-", 0, 0, 0},
    {NET_LABEL, "a_b", 0, 0, 0},
    {NET_LABEL, "a.b", 0, 0, 0},
    {NET_LABEL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 0, 0},
    {NET_LABEL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0, 0},
    {NET_LABEL, NULL, 0, 0, 0},
};

static int net_parse(int i, int *family, unsigned char addr[16], int *prefix)
{
    const char *in = nets[i].in;
    switch (nets[i].kind) {
    case NET_CIDR:
        return tk_parse_cidr(in, family, addr, prefix);
    case NET_IP:
        *prefix = 0;
        return tk_parse_ip(in, family, addr);
    case NET_MAC:
        return tk_parse_mac(in, addr);
    case NET_IFNAME:
        return tk_is_ifname(in) ? 0 : -EINVAL;
    case NET_LABEL:
        return tk_is_dns_label(in) ? 0 : -EINVAL;
    }
    return -EINVAL;
}

START_TEST(test_netaddr)
{
    int family = -1, prefix = -1;
    unsigned char a[16];
    const char *in = nets[_i].in ? nets[_i].in : "(null)";
    int r = net_parse(_i, &family, a, &prefix);
    if (!nets[_i].ok) {
        ck_assert_msg(r == -EINVAL, "'%s' should be rejected", in);
        return;
    }
    ck_assert_msg(r == 0, "'%s' should be accepted", in);
    if (nets[_i].kind == NET_MAC) {
        ck_assert_int_eq(a[0], 0x02);
        ck_assert_int_eq(a[1], 0xab);
        ck_assert_int_eq(a[5], 0x10);
    }
    if (nets[_i].kind != NET_CIDR && nets[_i].kind != NET_IP)
        return;
    ck_assert_int_eq(family, nets[_i].family);
    ck_assert_int_eq(prefix, nets[_i].prefix);
    char back[INET6_ADDRSTRLEN];
    ck_assert_ptr_nonnull(inet_ntop(family, a, back, sizeof(back)));
    ck_assert_int_eq(strncmp(back, in, strlen(back)), 0);
}
END_TEST

/* tk_escape: what a terminal acts on becomes visible, text stays as it is. */
static const struct {
    const char *in, *want;
} escapes[] = {
    {"plain text, 'quoted' \\ back", "plain text, 'quoted' \\ back"},
    {"\033]0;PWNED\007", "\\x1b]0;PWNED\\x07"},
    {"a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"},
    {"del\177", "del\\x7f"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"csi\xc2\x9b"
     "2J",
     "csi\\u009b2J"}, /* C1 CSI as UTF-8 */
    {"raw\x9b"
     "2J",
     "raw\\x9b2J"},                              /* C1 CSI as a raw byte */
    {"bad\xc3(", "bad\\xc3("},                   /* a lead byte without its continuation */
    {"over\xc0\xaf", "over\\xc0\\xaf"},          /* overlong */
    {"surr\xed\xa0\x80", "surr\\xed\\xa0\\x80"}, /* a UTF-16 surrogate */
    {"", ""},
};

START_TEST(test_escape)
{
    char out[256], again[256];
    tk_escape(escapes[_i].in, out, sizeof(out));
    ck_assert_str_eq(out, escapes[_i].want);
    ck_assert_int_eq(tk_needs_escape(escapes[_i].in),
                     strcmp(escapes[_i].in, escapes[_i].want) != 0);
    ck_assert_str_eq(tk_escape(out, again, sizeof(again)), out); /* escaping twice: no change */
    ck_assert_int_eq(tk_needs_escape(out), 0);
}
END_TEST

START_TEST(test_escape_bounds)
{
    char small[6];
    /* truncated at a whole escape: "ab" + "\x1b" does not fit in 6 bytes with its NUL */
    ck_assert_str_eq(tk_escape("ab\033cd", small, sizeof(small)), "ab");
    ck_assert_str_eq(tk_escape("abcdefgh", small, sizeof(small)), "abcde");
    struct tk_err err = {0};
    tk_err_set(&err, -EINVAL, "image StopSignal '%s' is not a signal", "\033]0;PWNED\007");
    ck_assert_str_eq(err.msg, "image StopSignal '\\x1b]0;PWNED\\x07' is not a signal");
    tk_err_wrap(&err, "start '%s'", "c\n");
    ck_assert_str_eq(err.msg,
                     "start 'c\\x0a': image StopSignal '\\x1b]0;PWNED\\x07' is not a signal");
}
END_TEST

Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_duration, 0, sizeof(durations) / sizeof(durations[0]));
    tcase_add_loop_test(tc, test_quantity, 0, sizeof(quantities) / sizeof(quantities[0]));
    tcase_add_test(tc, test_int64);
    tcase_add_test(tc, test_buf_and_err);
    tcase_add_test(tc, test_atomic_write_and_rm_rf);
    tcase_add_test(tc, test_rfc3339);
    tcase_add_loop_test(tc, test_netaddr, 0, sizeof(nets) / sizeof(nets[0]));
    tcase_add_loop_test(tc, test_escape, 0, sizeof(escapes) / sizeof(escapes[0]));
    tcase_add_test(tc, test_escape_bounds);
    suite_add_tcase(s, tc);
    return s;
}
