/*
 * Seccomp filters from profiles (libseccomp), with runc's ENOSYS stub for syscalls newer
 * than the profile (runc libcontainer/seccomp/patchbpf). libseccomp stays inside this file.
 */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/seccomp-int.h"

#define X32_SYSCALL_BIT 0x40000000u

/* The native architecture as Docker's includes/excludes.arches name it. */
static const char *docker_arch(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
    return "x32";
#elif defined(__x86_64__)
    return "amd64";
#elif defined(__i386__)
    return "x86";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__s390__)
    return "s390";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#else
    return "unknown";
#endif
}

/* Docker's archMap: the sub-architectures filtered along with the native one. */
static size_t docker_subarches(uint32_t native, uint32_t *out)
{
    static const struct {
        uint32_t arch, sub[2];
    } map[] = {
        {SCMP_ARCH_X86_64, {SCMP_ARCH_X86, SCMP_ARCH_X32}},
        {SCMP_ARCH_AARCH64, {SCMP_ARCH_ARM, 0}},
        {SCMP_ARCH_MIPS64, {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32}},
        {SCMP_ARCH_MIPS64N32, {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64}},
        {SCMP_ARCH_MIPSEL64, {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32}},
        {SCMP_ARCH_MIPSEL64N32, {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64}},
        {SCMP_ARCH_S390X, {SCMP_ARCH_S390, 0}},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].arch == native)
            for (size_t j = 0; j < 2; j++)
                if (map[i].sub[j])
                    out[n++] = map[i].sub[j];
    return n;
}

static unsigned kernel_version(void)
{
    struct utsname u;
    unsigned major = 0, minor = 0;
    if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2)
        return major << 16 | minor;
    return 0;
}

/* Whether word is one of the space-separated words of list. */
static int in_list(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == len && !strncmp(p, word, n))
            return 1;
        p += n + (p[n] == ' ');
    }
    return 0;
}

static int rule_applies(const struct sandbox_seccomp_rule *r, uint64_t caps, unsigned kver)
{
    if ((caps & r->caps) != r->caps || (caps & r->not_caps))
        return 0;
    if (r->arches && !in_list(r->arches, docker_arch()))
        return 0;
    if (r->not_arches && in_list(r->not_arches, docker_arch()))
        return 0;
    if (r->not_min_kernel && kver >= r->not_min_kernel)
        return 0;
    return !r->min_kernel || kver >= r->min_kernel;
}

static uint32_t scmp_action(enum sandbox_seccomp_action a, int errno_ret)
{
    switch (a) {
    case SANDBOX_SCMP_KILL_THREAD:
        return SCMP_ACT_KILL_THREAD;
    case SANDBOX_SCMP_KILL_PROCESS:
        return SCMP_ACT_KILL_PROCESS;
    case SANDBOX_SCMP_TRAP:
        return SCMP_ACT_TRAP;
    case SANDBOX_SCMP_ERRNO:
        return SCMP_ACT_ERRNO(errno_ret < 0 ? EPERM : (uint16_t)errno_ret);
    case SANDBOX_SCMP_TRACE:
        return SCMP_ACT_TRACE(errno_ret < 0 ? 0 : (uint16_t)errno_ret);
    case SANDBOX_SCMP_LOG:
        return SCMP_ACT_LOG;
    case SANDBOX_SCMP_ALLOW:
        break;
    }
    return SCMP_ACT_ALLOW;
}

static void ctx_release(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

/* The architectures of the filter: the native one first. */
static size_t filter_arches(const struct sandbox_seccomp_profile *p, uint32_t *out)
{
    size_t n = 0;
    out[n++] = seccomp_arch_native();
    uint32_t extra[SANDBOX_SECCOMP_MAX_ARCHES];
    size_t n_extra = p->docker_archmap ? docker_subarches(out[0], extra) : p->n_arches;
    for (size_t i = 0; i < n_extra && n < SANDBOX_SECCOMP_MAX_ARCHES + 1; i++) {
        uint32_t a = p->docker_archmap ? extra[i] : p->arches[i];
        int dup = 0;
        for (size_t j = 0; j < n; j++)
            dup |= out[j] == a;
        if (!dup)
            out[n++] = a;
    }
    return n;
}

/* Add one syscall of a rule: the argument conditions all together, or, when an index
 * repeats, one rule per condition (Docker's and runc's reading). */
static int add_syscall(scmp_filter_ctx ctx, uint32_t action, int nr,
                       const struct sandbox_seccomp_rule *r)
{
    struct scmp_arg_cmp cmp[SANDBOX_SECCOMP_MAX_ARGS];
    int repeated = 0;
    for (unsigned i = 0; i < r->n_args; i++) {
        cmp[i] = (struct scmp_arg_cmp){.arg = r->args[i].index,
                                       .op = (enum scmp_compare)r->args[i].op,
                                       .datum_a = r->args[i].value,
                                       .datum_b = r->args[i].value_two};
        for (unsigned j = 0; j < i; j++)
            repeated |= r->args[j].index == r->args[i].index;
    }
    if (!repeated)
        return seccomp_rule_add_array(ctx, action, nr, r->n_args, cmp);
    for (unsigned i = 0; i < r->n_args; i++) {
        int e = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
        if (e < 0)
            return e;
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t def, const struct sandbox_seccomp_rule *r,
                    size_t idx, struct tk_err *err)
{
    uint32_t action = scmp_action(r->action, r->errno_ret);
    if (action == def)
        return 0; /* as runc: a rule that says the default is no rule */
    char name[64];
    for (const char *p = r->names; *p;) {
        size_t n = strcspn(p, " ");
        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        p += n + (p[n] == ' ');
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
            continue; /* unknown to this libseccomp: skipped, as Docker does */
        int e = add_syscall(ctx, action, nr, r);
        if (e < 0)
            return tk_err_set(err, e < -4095 ? -EINVAL : e, "syscalls[%zu]: syscall '%s': %s", idx,
                              name, strerror(-e));
    }
    return 0;
}

/* The highest syscall number the applicable rules name on arch; -1 when none. */
static long max_syscall(const struct sandbox_seccomp_profile *p, uint64_t caps, unsigned kver,
                        uint32_t arch)
{
    long max = -1;
    char name[64];
    for (size_t i = 0; i < p->n_rules; i++) {
        if (!rule_applies(&p->rules[i], caps, kver))
            continue;
        for (const char *s = p->rules[i].names; *s;) {
            size_t n = strcspn(s, " ");
            snprintf(name, sizeof(name), "%.*s", (int)n, s);
            s += n + (s[n] == ' ');
            int nr = seccomp_syscall_resolve_name_arch(arch, name);
            if (nr >= 0 && nr < (int)X32_SYSCALL_BIT && nr > max)
                max = nr;
        }
    }
    return max;
}

/* runc's stub in front of libseccomp's program: per architecture, a syscall above the
 * profile's highest answers ENOSYS; everything else goes on to the program. */
static size_t enosys_stub(const struct sandbox_seccomp_profile *p, uint64_t caps,
                          const uint32_t *arches, size_t n_arches, struct sock_filter *out)
{
    unsigned kver = kernel_version();
    uint32_t audit[SANDBOX_SECCOMP_MAX_ARCHES + 1];
    long max[SANDBOX_SECCOMP_MAX_ARCHES + 1];
    size_t n = 0;
    for (size_t i = 0; i < n_arches; i++) {
        if (arches[i] == SCMP_ARCH_X32)
            continue; /* shares AUDIT_ARCH_X86_64; its calls carry X32_SYSCALL_BIT */
        long m = max_syscall(p, caps, kver, arches[i]);
        if (m >= 0) {
            audit[n] = arches[i];
            max[n++] = m;
        }
    }
    if (n == 0)
        return 0;
    /* ld arch; n × (jeq arch → its block); ja program; n × block of 5; program */
    size_t first = 1 + n + 1, total = first + 5 * n;
    out[0] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    for (size_t i = 0, at = 1; i < n; i++, at++)
        out[at] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit[i],
                                               (uint8_t)(first + 5 * i - at - 1), 0);
    out[n + 1] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)(total - (n + 2)));
    for (size_t i = 0; i < n; i++) {
        struct sock_filter *b = out + first + 5 * i;
        size_t ja = first + 5 * i + 3;
        b[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                            offsetof(struct seccomp_data, nr));
        /* x32 calls (only under AUDIT_ARCH_X86_64) go straight on to the program */
        b[1] = (struct sock_filter)BPF_JUMP(
            BPF_JMP | BPF_JGE | BPF_K, audit[i] == AUDIT_ARCH_X86_64 ? X32_SYSCALL_BIT : ~0u, 1, 0);
        b[2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max[i], 1, 0);
        b[3] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)(total - ja - 1));
        b[4] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    }
    return total;
}

static int build_ctx(const struct sandbox_seccomp_profile *p, uint64_t caps, scmp_filter_ctx ctx,
                     uint32_t def, const uint32_t *arches, size_t n_arches, struct tk_err *err)
{
    for (size_t i = 1; i < n_arches; i++) {
        int e = seccomp_arch_add(ctx, arches[i]);
        if (e < 0 && e != -EEXIST)
            return tk_err_set(err, e, "add architecture %#x: %s", arches[i], strerror(-e));
    }
    unsigned kver = kernel_version();
    for (size_t i = 0; i < p->n_rules; i++) {
        if (!rule_applies(&p->rules[i], caps, kver))
            continue;
        int r = add_rule(ctx, def, &p->rules[i], i, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* libseccomp's program, read back from a memfd (libseccomp 2.5 exports only to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *len,
                      struct tk_err *err)
{
    _cleanup_close_ int fd = memfd_create("tank-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return tk_err_sys(err, -errno, "seccomp: memfd");
    int e = seccomp_export_bpf(ctx, fd);
    if (e < 0)
        return tk_err_set(err, e, "seccomp: export the filter: %s", strerror(-e));
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) || size > BPF_MAXINSNS * 8)
        return tk_err_set(err, -EINVAL, "seccomp: the filter has %lld bytes", (long long)size);
    *prog = malloc((size_t)size);
    if (!*prog)
        return tk_err_set(err, -ENOMEM, "seccomp: out of memory");
    ssize_t n = pread(fd, *prog, (size_t)size, 0);
    if (n != size) {
        free(*prog);
        return tk_err_set(err, -EIO, "seccomp: read the filter back");
    }
    *len = (size_t)size / sizeof(struct sock_filter);
    return 0;
}

int sandbox_seccomp_compile(const struct sandbox_seccomp_profile *p, uint64_t caps,
                            struct sandbox_seccomp_filter **out, struct tk_err *err)
{
    __attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = NULL;
    _cleanup_free_ struct sock_filter *prog = NULL;
    *out = NULL;
    uint32_t def = scmp_action(p->default_action, p->default_errno);
    ctx = seccomp_init(def);
    if (!ctx)
        return tk_err_set(err, -EINVAL, "seccomp: cannot make a filter");
    /* A binary search over the syscall numbers rather than a chain of comparisons: every
     * syscall a container makes runs the filter, and loading it (each exec probe does) costs
     * the kernel one run per syscall number to build its action cache. */
    int e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (e < 0)
        return tk_err_set(err, e, "seccomp: binary tree optimization: %s", strerror(-e));
    uint32_t arches[SANDBOX_SECCOMP_MAX_ARCHES + 1];
    size_t n_arches = filter_arches(p, arches), len = 0;
    int r = build_ctx(p, caps, ctx, def, arches, n_arches, err);
    if (r < 0)
        return r;
    r = export_bpf(ctx, &prog, &len, err);
    if (r < 0)
        return r;
    struct sock_filter stub[1 + 7 * (SANDBOX_SECCOMP_MAX_ARCHES + 1)];
    size_t n_stub = 0;
    if (p->default_action != SANDBOX_SCMP_ALLOW && p->default_action != SANDBOX_SCMP_LOG)
        n_stub = enosys_stub(p, caps, arches, n_arches, stub);
    if (n_stub + len > BPF_MAXINSNS)
        return tk_err_set(err, -E2BIG, "seccomp: the filter has %zu instructions (at most %d)",
                          n_stub + len, BPF_MAXINSNS);
    struct sandbox_seccomp_filter *f =
        malloc(sizeof(*f) + (n_stub + len) * sizeof(struct sock_filter));
    if (!f)
        return tk_err_set(err, -ENOMEM, "seccomp: out of memory");
    f->flags = p->flags;
    f->len = (unsigned short)(n_stub + len);
    memcpy(f->insns, stub, n_stub * sizeof(*stub));
    memcpy(f->insns + n_stub, prog, len * sizeof(*prog));
    *out = f;
    return 0;
}

int sandbox_seccomp_arch_token(const char *name, uint32_t *token)
{
    char lower[32];
    size_t i = 0;
    if (strncmp(name, "SCMP_ARCH_", 10) || strlen(name + 10) >= sizeof(lower))
        return -EINVAL;
    for (const char *p = name + 10; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return -EINVAL;
        lower[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    lower[i] = '\0';
    uint32_t t = seccomp_arch_resolve_name(lower);
    if (!t)
        return -EINVAL;
    *token = t;
    return 0;
}

uint32_t sandbox_seccomp_native_arch(void)
{
    return seccomp_arch_native();
}
