/* Layer blobs: arbitrary bytes as a layer blob, decompressed (gzip, zstd or plain, as
 * sniffed) through layer_decode() with a size bound, then the resulting tar extracted by
 * layer_extract_fd() — the code the store's extractor child runs.
 *
 * Extraction writes files, so it is confined as in the store: as root, each input is
 * extracted in a fresh directory the process chroots into, and the real root is restored
 * afterwards through a saved fd (the fuzzer's own paths stay valid). Without root the tar
 * is only decoded. The work directory is $FUZZ_LAYER_DIR (fuzz/run.sh makes one) or a
 * temp dir; a crash during extraction leaves its artifact inside WORK/x. */
#include "fuzz/fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "image/internal.h"

#define FUZZ_MAX_LAYER (16u << 20)

static int root_fd = -1, cwd_fd = -1;
static char *work, *xdir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (geteuid() != 0) {
        fprintf(stderr, "fuzz_layer: not root: decoding only, no extraction\n");
        return 0;
    }
    const char *w = getenv("FUZZ_LAYER_DIR");
    if (w && *w) {
        work = strdup(w);
    } else {
        const char *t = getenv("TMPDIR");
        if (asprintf(&work, "%s/tank-fuzz-layer.XXXXXX", t && *t ? t : "/tmp") < 0 ||
            !mkdtemp(work))
            abort();
    }
    if (!work || asprintf(&xdir, "%s/x", work) < 0)
        abort();
    root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0 || cwd_fd < 0)
        abort();
    return 0;
}

/* Extract the tar in fd inside a fresh chroot, then come back. */
static void extract_confined(int fd)
{
    struct tk_err err = {0};
    tk_rm_rf(xdir);
    if (mkdir(xdir, 0755) < 0 || chroot(xdir) < 0 || chdir("/") < 0)
        abort();
    layer_extract_fd(fd, &err);
    if (fchdir(root_fd) < 0 || chroot(".") < 0 || fchdir(cwd_fd) < 0)
        abort();
    tk_rm_rf(xdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-layer.tar", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    struct tk_err err = {0};
    char diff_id[IMAGE_DIGEST_STR_SIZE];
    size_t chunk = 1 + (size * 2654435761u) % 8192; /* varies the split, deterministically */
    int r = layer_decode(data, size, chunk, FUZZ_MAX_LAYER, fd, diff_id, &err);
    if (r == 0 && !image_digest_valid(diff_id))
        abort();
    if (r < 0 && !err.msg[0])
        abort(); /* every failure says why */
    if (work && lseek(fd, 0, SEEK_SET) == 0)
        extract_confined(fd);
    close(fd);
    return 0;
}
