/* The embedded programs as sealed memfds. See blob.h. */
#include "sandbox/blob.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fs.h"

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
    int m = memfd_create(blobs[which].name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
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
