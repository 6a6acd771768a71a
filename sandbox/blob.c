/* The embedded programs as sealed memfds. See blob.h. */
#include "sandbox/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fs.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable, whatever vm.memfd_noexec says */
#endif

extern const char sandbox_monitor_blob[], sandbox_monitor_blob_end[];
extern const char sandbox_exec_helper_blob[], sandbox_exec_helper_blob_end[];

int sandbox_blob_memfd(enum sandbox_blob which)
{
    static const struct {
        const char *name, *start, *end;
    } blobs[SANDBOX_BLOB_N] = {
        [SANDBOX_BLOB_MONITOR] = {"tank-monitor", sandbox_monitor_blob, sandbox_monitor_blob_end},
        [SANDBOX_BLOB_EXEC_HELPER] = {"tank-exec", sandbox_exec_helper_blob,
                                      sandbox_exec_helper_blob_end},
    };
    static int fds[SANDBOX_BLOB_N] = {-2, -2};
    if (fds[which] != -2)
        return fds[which];
    fds[which] = -1;
    size_t len = (size_t)(blobs[which].end - blobs[which].start);
    /* Asked for as executable where the kernel knows the flag (vm.memfd_noexec = 1 makes a
     * memfd without it unexecutable; = 2 refuses the flag: no memfd, the caller forks). */
    int m = memfd_create(blobs[which].name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (m < 0 && errno == EINVAL)
        m = memfd_create(blobs[which].name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (m < 0)
        return -1;
    if (len == 0 || tk_write_all(m, blobs[which].start, len) < 0 ||
        fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        close(m);
        return -1;
    }
    fds[which] = m;
    return m;
}
