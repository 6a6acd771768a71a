/* The slow fallback where overlayfs cannot be used: the layers flattened (image/flatten.c)
 * into one directory under rw_dir, once; later starts reuse it, keeping the container's
 * changes as an upper directory would. */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "base/fs.h"
#include "image/flatten.h"

int sandbox_copy_layers(const char *const *layers, size_t n, const char *dest,
                        struct sandbox_fail *f)
{
    char done[PATH_MAX], tmp[PATH_MAX];
    snprintf(done, sizeof(done), "%s.done", dest);
    if (access(done, F_OK) == 0)
        return 0; /* copied for an earlier start */
    snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
    tk_rm_rf(tmp);
    tk_rm_rf(dest);
    int r = tk_mkdir_p(tmp, 0755);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, -r, "create '%s'", tmp);
    struct tk_err err = {0};
    r = image_flatten(layers, n, tmp, &err);
    if (r < 0) {
        sandbox_fail(f, SANDBOX_STAGE_ROOTFS, 0, "copy the image's layers: %s", err.msg);
        f->err = -r; /* the message has its strerror already */
        return r;
    }
    if (rename(tmp, dest) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, errno, "rename '%s'", tmp);
    r = tk_write_file_atomic(done, "", 0, 0644);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_ROOTFS, -r, "write '%s'", done);
    return 0;
}
