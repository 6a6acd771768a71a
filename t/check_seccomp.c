/* The seccomp profile parser (sandbox/seccomp.h): valid profiles, and each kind of bad one
 * with the entry its message names; the default table compiles for every capability set. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox/seccomp.h"

#define HEAD "{\"defaultAction\":\"SCMP_ACT_ERRNO\","

static const struct {
    const char *json;
    const char *err; /* NULL = valid; else the whole message */
} cases[] = {
    {HEAD "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", NULL},
    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"mkdir\","
     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}",
     NULL},
    {HEAD
     "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":"
     "[\"SCMP_ARCH_X86\"]},{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":null}],"
     "\"syscalls\":[{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
     "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}],\"excludes\":{\"caps\":"
     "[\"CAP_SYS_ADMIN\"]},\"includes\":{\"minKernel\":\"4.8\",\"arches\":[\"amd64\"]}}]}",
     NULL},
    {HEAD "\"syscalls\":[{\"names\":[\"no_such_syscall_yet\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
     NULL}, /* unknown to libseccomp: skipped, as Docker does */
    {"{\"syscalls\":[]}", "defaultAction: required"},
    {HEAD
     "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"write\"],"
     "\"action\":\"SCMP_ACT_FOO\"}]}",
     "syscalls[1].action: unknown action 'SCMP_ACT_FOO'"},
    {HEAD "\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\"}]}", "syscalls[0]: names: required"},
    {HEAD "\"syscalls\":[{\"names\":[\"re ad\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
     "syscalls[0].names[0]: bad syscall name 're ad'"},
    {HEAD "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}",
     "syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one"},
    {HEAD "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5000}]}",
     "syscalls[0].errnoRet: not an integer from 0 to 4095"},
    {HEAD
     "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,"
     "\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
     "syscalls[0].args[0].index: not an integer from 0 to 5"},
    {HEAD
     "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
     "\"value\":1,\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
     "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ALMOST'"},
    {HEAD
     "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":"
     "[\"CAP_WIZARD\"]}}]}",
     "syscalls[0].includes.caps[0]: unknown capability 'CAP_WIZARD'"},
    {HEAD "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":"
          "{\"minKernel\":\"4\"}}]}",
     "syscalls[0].includes.minKernel: not a kernel version 'MAJOR.MINOR'"},
    {HEAD "\"architectures\":[\"SCMP_ARCH_Z80\"]}", "architectures[0]: unknown architecture "
                                                    "'SCMP_ARCH_Z80'"},
    {HEAD "\"architectures\":[],\"archMap\":[]}",
     "archMap: give either architectures or archMap, not both"},
    {HEAD "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
     "syscalls[0].action: SCMP_ACT_NOTIFY is not supported (no seccomp agent)"},
    {HEAD "\"listenerPath\":\"/run/agent.sock\"}",
     "listenerPath: not supported (no seccomp agent)"},
    {HEAD "\"syscall\":[]}", "profile: unknown field 'syscall'"},
    {HEAD "\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}", "flags[0]: unknown flag"},
    {"{\"defaultAction\":", "line 1 column 17: unexpected token near end of file"},
    {"[]", "not a JSON object"},
};

START_TEST(test_profile_parse)
{
    struct tk_err err = {0};
    struct sandbox_seccomp_profile *p = NULL;
    int r = sandbox_seccomp_profile_parse(cases[_i].json, strlen(cases[_i].json), &p, &err);
    if (!cases[_i].err) {
        ck_assert_msg(r == 0, "case %d: %s", _i, err.msg);
        ck_assert_ptr_nonnull(p);
        struct sandbox_seccomp_filter *f = NULL;
        ck_assert_int_eq(sandbox_seccomp_compile(p, 0, &f, &err), 0);
        sandbox_seccomp_filter_free(f);
        sandbox_seccomp_profile_free(p);
        return;
    }
    ck_assert_int_lt(r, 0);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(err.msg, cases[_i].err);
}
END_TEST

/* Docker's table compiles with no, the default and every capability, and a rule with
 * includes.caps adds instructions only when the capability is there. */
START_TEST(test_default_profile_compiles)
{
    const uint64_t sets[] = {0, 0xa80425fbULL, ~0ULL};
    size_t len[3];
    for (int i = 0; i < 3; i++) {
        struct tk_err err = {0};
        struct sandbox_seccomp_filter *f = NULL;
        ck_assert_msg(
            sandbox_seccomp_compile(sandbox_seccomp_default_profile(), sets[i], &f, &err) == 0,
            "%s", err.msg);
        len[i] = sandbox_seccomp_filter_len(f);
        sandbox_seccomp_filter_free(f);
    }
    ck_assert_uint_ne(len[1], len[2]);
}
END_TEST

/* A filter saved for tank exec reads back as the same program; anything else is refused. */
START_TEST(test_filter_save_parse)
{
    struct sandbox_seccomp_filter *f = NULL, *back = NULL;
    ck_assert_int_eq(sandbox_seccomp_compile(sandbox_seccomp_default_profile(), 0, &f, NULL), 0);
    int fd = memfd_create("filter", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(sandbox_seccomp_filter_save(f, fd), 0);
    off_t len = lseek(fd, 0, SEEK_CUR);
    char *buf = malloc((size_t)len + 8);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(pread(fd, buf, (size_t)len, 0), len);
    ck_assert_int_eq(sandbox_seccomp_filter_parse(buf, (size_t)len, &back), 0);
    ck_assert_uint_eq(sandbox_seccomp_filter_len(back), sandbox_seccomp_filter_len(f));
    sandbox_seccomp_filter_free(back);
    struct sandbox_seccomp_filter *none = NULL;
    /* Truncated, one instruction too many, a bad magic: all refused. */
    ck_assert_int_eq(sandbox_seccomp_filter_parse(buf, (size_t)len - 1, &none), -EINVAL);
    memset(buf + len, 0, 8);
    ck_assert_int_eq(sandbox_seccomp_filter_parse(buf, (size_t)len + 8, &none), -EINVAL);
    buf[0] ^= 1;
    ck_assert_int_eq(sandbox_seccomp_filter_parse(buf, (size_t)len, &none), -EINVAL);
    ck_assert_ptr_null(none);
    free(buf);
    close(fd);
    sandbox_seccomp_filter_free(f);
}
END_TEST

Suite *seccomp_suite(void)
{
    Suite *s = suite_create("seccomp");
    TCase *tc = tcase_create("profile");
    tcase_add_loop_test(tc, test_profile_parse, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_default_profile_compiles);
    tcase_add_test(tc, test_filter_save_parse);
    suite_add_tcase(s, tc);
    return s;
}
