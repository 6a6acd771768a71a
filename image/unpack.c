/* `tank unpack`: a stored image's root file system in a directory (image/flatten.c). */
#include "image/internal.h"

#include <errno.h>
#include <limits.h>

#include "base/fs.h"
#include "image/flatten.h"

int image_unpack(struct image_store *s, const char *ref, const char *dir, struct tk_err *err)
{
    struct image_info info;
    int r = image_lookup(s, ref, &info, err);
    if (r < 0)
        return r;
    if ((r = tk_mkdir_p(dir, 0755)) < 0) {
        image_info_free(&info);
        return tk_err_sys(err, r, "unpack '%s': create '%s'", ref, dir);
    }
    r = image_flatten((const char *const *)info.layer_dirs, info.n_layers, dir, err);
    image_info_free(&info);
    if (r < 0)
        return tk_err_wrap(err, "unpack '%s' into '%s'", ref, dir);
    return 0;
}
