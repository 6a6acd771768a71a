/* A compiled seccomp filter: loaded, saved, parsed back. No libseccomp here: the static exec
 * helper (sandbox/exechelper) links this file. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "sandbox/seccomp-int.h"

int sandbox_seccomp_load(const struct sandbox_seccomp_filter *f)
{
    struct sock_fprog prog = {.len = f->len, .filter = (struct sock_filter *)f->insns};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) < 0)
        return -errno;
    return 0;
}

size_t sandbox_seccomp_filter_len(const struct sandbox_seccomp_filter *f)
{
    return f->len;
}

void sandbox_seccomp_filter_free(struct sandbox_seccomp_filter *f)
{
    free(f);
}

/* On disk: "TKSECCOMP1\n", flags and length as two uint32_t, then the instructions. */
static const char filter_magic[12] = "TKSECCOMP1\n";

int sandbox_seccomp_filter_save(const struct sandbox_seccomp_filter *f, int fd)
{
    uint32_t hdr[2] = {f->flags, f->len};
    int r = tk_write_all(fd, filter_magic, sizeof(filter_magic));
    if (r >= 0)
        r = tk_write_all(fd, hdr, sizeof(hdr));
    if (r >= 0)
        r = tk_write_all(fd, f->insns, (size_t)f->len * sizeof(f->insns[0]));
    return r < 0 ? r : 0;
}

int sandbox_seccomp_filter_parse(const void *data, size_t len, struct sandbox_seccomp_filter **out)
{
    const char *p = data;
    uint32_t hdr[2];
    size_t head = sizeof(filter_magic) + sizeof(hdr);
    if (len < head || memcmp(p, filter_magic, sizeof(filter_magic)))
        return -EINVAL;
    memcpy(hdr, p + sizeof(filter_magic), sizeof(hdr));
    if (hdr[1] == 0 || hdr[1] > BPF_MAXINSNS || len != head + hdr[1] * sizeof(struct sock_filter))
        return -EINVAL;
    struct sandbox_seccomp_filter *f = malloc(sizeof(*f) + hdr[1] * sizeof(struct sock_filter));
    if (!f)
        return -ENOMEM;
    f->flags = hdr[0];
    f->len = (unsigned short)hdr[1];
    memcpy(f->insns, p + head, hdr[1] * sizeof(struct sock_filter));
    *out = f;
    return 0;
}
