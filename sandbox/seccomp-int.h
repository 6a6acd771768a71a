#pragma once
/* A compiled seccomp filter (sandbox/seccomp.c builds one, sandbox/seccomp_filter.c loads,
 * saves and parses it). Not for use outside sandbox/. */
#include <linux/filter.h>

struct sandbox_seccomp_filter {
    unsigned flags;
    unsigned short len;
    struct sock_filter insns[];
};
