/*
 * The default device policy of a non-privileged container: runc's allow-list
 * (libcontainer/specconv AllowedDevices), as devices.allow lines on cgroup v1 and as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program on cgroup v2, encoded as runc's devicefilter does.
 */
#include "sandbox/cgroup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

#define ANY (-1)

struct dev_rule {
    char type; /* 'c' or 'b' */
    int major, minor;
    const char *access; /* subset of "rwm" */
};

/* null, zero, full, random, urandom; tty, console, ptmx; pts; mknod of any node (a node
 * made cannot be opened unless allowed above). c 10:200 (tun) only when asked: nothing
 * asks today. */
static const struct dev_rule rules[] = {
    {'c', ANY, ANY, "m"}, {'b', ANY, ANY, "m"}, {'c', 1, 3, "rwm"},     {'c', 1, 5, "rwm"},
    {'c', 1, 7, "rwm"},   {'c', 1, 8, "rwm"},   {'c', 1, 9, "rwm"},     {'c', 5, 0, "rwm"},
    {'c', 5, 1, "rwm"},   {'c', 5, 2, "rwm"},   {'c', 136, ANY, "rwm"},
};

static void num(char *buf, size_t size, int v)
{
    if (v == ANY)
        snprintf(buf, size, "*");
    else
        snprintf(buf, size, "%d", v);
}

int sandbox_cgroup_devices_v1(const char *dir, struct tk_err *err)
{
    int r = sandbox_cgroup_write(dir, "devices.deny", "a");
    if (r < 0)
        return tk_err_sys(err, r, "deny all devices in '%s'", dir);
    /* devices.allow takes one rule per write(): one open for all of them */
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/devices.allow", dir) >= (int)sizeof(path))
        return tk_err_set(err, -ENAMETOOLONG, "allow devices in '%s': path too long", dir);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return tk_err_sys(err, -errno, "open '%s'", path);
    for (size_t i = 0; i < TK_ARRAY_SIZE(rules); i++) {
        char line[64], ma[16], mi[16];
        num(ma, sizeof(ma), rules[i].major);
        num(mi, sizeof(mi), rules[i].minor);
        int n = snprintf(line, sizeof(line), "%c %s:%s %s", rules[i].type, ma, mi, rules[i].access);
        ssize_t w;
        do
            w = write(fd, line, (size_t)n);
        while (w < 0 && errno == EINTR);
        if (w < 0)
            return tk_err_sys(err, -errno, "allow device '%s' in '%s'", line, dir);
    }
    return 0;
}

/* ---- cgroup v2: the BPF program ---- */

#define MAX_INSNS 128

struct prog {
    struct bpf_insn insn[MAX_INSNS];
    size_t n;
};

static void emit(struct prog *p, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
    if (p->n < MAX_INSNS)
        p->insn[p->n] =
            (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
    p->n++;
}

static __s32 access_bits(const char *a)
{
    __s32 bits = 0;
    for (; *a; a++)
        bits |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                            : BPF_DEVCG_ACC_MKNOD;
    return bits;
}

/* One rule: each test that fails jumps past the block to the next rule; a match returns 1.
 * Registers (set by the prologue): R2 type, R3 access, R4 major, R5 minor. */
static void emit_rule(struct prog *p, const struct dev_rule *r)
{
    __s32 acc = access_bits(r->access);
    bool all = acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
    size_t len = 1 + (all ? 0 : 3) + (r->major != ANY) + (r->minor != ANY) + 2;
    size_t start = p->n;
#define SKIP ((__s16)(len - (p->n - start) - 1))
    emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, SKIP,
         r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    if (!all) { /* the access asked must be a subset of the allowed one */
        emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, acc);
        emit(p, BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, SKIP, 0);
    }
    if (r->major != ANY)
        emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, SKIP, r->major);
    if (r->minor != ANY)
        emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, SKIP, r->minor);
#undef SKIP
    emit(p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
static void build_prog(struct prog *p)
{
    p->n = 0;
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
    emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
    emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
    for (size_t i = TK_ARRAY_SIZE(rules); i-- > 0;) /* the last rule first, as runc */
        emit_rule(p, &rules[i]);
    emit(p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0); /* deny the rest */
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
    return r < 0 ? -errno : (int)r;
}

int sandbox_cgroup_devices_v2(const char *dir, struct tk_err *err)
{
    struct prog p;
    char log[4096];
    build_prog(&p);
    if (p.n > MAX_INSNS)
        return tk_err_set(err, -E2BIG, "device filter: too many instructions");
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (__u64)(uintptr_t)p.insn;
    attr.insn_cnt = (__u32)p.n;
    attr.license = (__u64)(uintptr_t) "Apache";
    _cleanup_close_ int prog = sys_bpf(BPF_PROG_LOAD, &attr);
    if (prog < 0) { /* again with the verifier's log, for the message */
        attr.log_buf = (__u64)(uintptr_t)log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        log[0] = 0;
        int again = sys_bpf(BPF_PROG_LOAD, &attr);
        if (again >= 0)
            close(again);
        log[sizeof(log) - 1] = 0;
        return tk_err_sys(err, prog, "load the device filter (BPF_PROG_TYPE_CGROUP_DEVICE)%s%.200s",
                          log[0] ? ": " : "", log);
    }
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return tk_err_sys(err, -errno, "open cgroup '%s'", dir);
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (__u32)dfd;
    attr.attach_bpf_fd = (__u32)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    int r = sys_bpf(BPF_PROG_ATTACH, &attr);
    if (r < 0)
        return tk_err_sys(err, r, "attach the device filter to '%s'", dir);
    return 0;
}
