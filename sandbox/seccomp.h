#pragma once
/*
 * Seccomp profiles and the filters made from them.
 *
 * A profile is what Docker's and the OCI runtime spec's JSON profile says (defaultAction,
 * defaultErrnoRet, architectures / archMap, syscalls[] with names, action, errnoRet, args,
 * includes / excludes of capabilities, architectures and a minimum kernel), held as plain
 * C data so that the default profile can be a table (seccomp_default.c) and a Localhost
 * profile a parsed file (seccomp_profile.c; jansson stays inside it).
 *
 * A filter is a profile compiled (libseccomp) for one container's capability set, on this
 * machine's architectures, with Docker's rules: a rule whose includes are not met (or whose
 * excludes are) is left out; names libseccomp does not know are skipped; several argument
 * conditions on the same index are alternatives (one rule each), on different indexes all
 * must hold. As runc does, a syscall number above every syscall the profile names for an
 * architecture answers ENOSYS (so that libc falls back from syscalls newer than the profile,
 * as for clone3) unless the default action is to allow; every other syscall the profile does
 * not allow gets its default action (EPERM for Docker's). SCMP_ACT_ERRNO without errnoRet
 * answers EPERM.
 *
 * Functions return 0 (or >= 0) on success and -errno on failure with err filled (err may be
 * NULL).
 */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum sandbox_seccomp_action {
    SANDBOX_SCMP_KILL_THREAD = 0, /* SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD */
    SANDBOX_SCMP_KILL_PROCESS,
    SANDBOX_SCMP_TRAP,
    SANDBOX_SCMP_ERRNO, /* errno_ret, EPERM when not given */
    SANDBOX_SCMP_TRACE, /* errno_ret is the tracer's message number */
    SANDBOX_SCMP_ALLOW,
    SANDBOX_SCMP_LOG,
};

/* The comparisons of libseccomp, in its order (SCMP_CMP_NE = 1 ...). */
enum sandbox_seccomp_op {
    SANDBOX_SCMP_NE = 1,
    SANDBOX_SCMP_LT,
    SANDBOX_SCMP_LE,
    SANDBOX_SCMP_EQ,
    SANDBOX_SCMP_GE,
    SANDBOX_SCMP_GT,
    SANDBOX_SCMP_MASKED_EQ, /* (arg & value) == value_two */
};

#define SANDBOX_SECCOMP_MAX_ARGS 6
#define SANDBOX_SECCOMP_MAX_ARCHES 16

struct sandbox_seccomp_arg {
    unsigned index; /* 0..5 */
    uint64_t value, value_two;
    enum sandbox_seccomp_op op;
};

struct sandbox_seccomp_rule {
    const char *names; /* syscall names separated by single spaces */
    enum sandbox_seccomp_action action;
    int errno_ret; /* for ERRNO and TRACE; -1 = not given */
    struct sandbox_seccomp_arg args[SANDBOX_SECCOMP_MAX_ARGS];
    unsigned n_args;
    uint64_t caps;           /* includes.caps: only when the container has all of them */
    uint64_t not_caps;       /* excludes.caps: not when it has any of them */
    const char *arches;      /* includes.arches ("amd64 x32"): only on one of them; NULL = any */
    const char *not_arches;  /* excludes.arches: not on any of them; NULL = none */
    unsigned min_kernel;     /* includes.minKernel as major << 16 | minor; 0 = any */
    unsigned not_min_kernel; /* excludes.minKernel: not from that kernel on; 0 = none */
};

struct sandbox_seccomp_profile {
    enum sandbox_seccomp_action default_action;
    int default_errno; /* -1 = not given */
    /* libseccomp architecture tokens (SCMP_ARCH_*) to filter besides the native one; with
     * docker_archmap, Docker's map of the native architecture to its sub-architectures
     * (x86_64: x86, x32; aarch64: arm; ...) is used instead. */
    uint32_t arches[SANDBOX_SECCOMP_MAX_ARCHES];
    size_t n_arches;
    int docker_archmap;
    unsigned flags; /* SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW */
    const struct sandbox_seccomp_rule *rules;
    size_t n_rules;
};

/* Docker's default profile (moby profiles/seccomp/default.json of the current release). A
 * static object: never freed. */
const struct sandbox_seccomp_profile *sandbox_seccomp_default_profile(void);

/* What an Unconfined container gets: every syscall but keyctl, add_key and request_key
 * (EPERM), so that it cannot reach the host's user keyring. A static object. */
const struct sandbox_seccomp_profile *sandbox_seccomp_keyring_profile(void);

/*
 * Parse a profile in the Docker / OCI JSON format (at most 1 MiB). Every error names the
 * entry: "syscalls[3].action: unknown action 'SCMP_ACT_FOO'". The profile is also compiled
 * once (for every capability) so that what libseccomp refuses is refused here, not at a
 * container's start. *out is freed with sandbox_seccomp_profile_free().
 */
int sandbox_seccomp_profile_parse(const char *json, size_t len,
                                  struct sandbox_seccomp_profile **out, struct tk_err *err);
void sandbox_seccomp_profile_free(struct sandbox_seccomp_profile *p);

/* libseccomp's token of an architecture as profiles name it ("SCMP_ARCH_X86_64"); -EINVAL
 * when unknown. */
int sandbox_seccomp_arch_token(const char *name, uint32_t *token);
/* The native architecture's token. */
uint32_t sandbox_seccomp_native_arch(void);

/* A compiled filter (a BPF program and its flags). */
struct sandbox_seccomp_filter;

/* Compile profile for a container holding the capability set caps (bit n = capability n:
 * the bounding set). */
int sandbox_seccomp_compile(const struct sandbox_seccomp_profile *profile, uint64_t caps,
                            struct sandbox_seccomp_filter **out, struct tk_err *err);
/* Install the filter on the calling thread: needs no_new_privs or CAP_SYS_ADMIN. -errno. */
int sandbox_seccomp_load(const struct sandbox_seccomp_filter *filter);
/* Its number of BPF instructions. */
size_t sandbox_seccomp_filter_len(const struct sandbox_seccomp_filter *filter);
void sandbox_seccomp_filter_free(struct sandbox_seccomp_filter *filter);

/* A filter as a file, so that a process joining the container later (tank exec) loads the
 * very filter its workload got: save writes it to fd; parse reads such bytes back (-EINVAL
 * for anything else) into *out, freed with sandbox_seccomp_filter_free(). */
int sandbox_seccomp_filter_save(const struct sandbox_seccomp_filter *filter, int fd);
int sandbox_seccomp_filter_parse(const void *data, size_t len, struct sandbox_seccomp_filter **out);
