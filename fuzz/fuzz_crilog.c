/* The CRI log writer of the container monitor: the input is STDOUT-BYTES \0 STDERR-BYTES,
 * served to sandbox_monitor_run() as the workload's output (memfds, read to EOF) with a
 * real child that has exited. The log must hold only well-formed records
 * ("TIMESTAMP stdout|stderr F|P text") whose text, joined (P parts, F ends a line), gives
 * back each stream's bytes, a "\r\n" line end as "\n"; a last line without a newline is
 * closed by F. */
#include "fuzz/fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "sandbox/ctr_internal.h"

static char *dir, *log_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *t = getenv("TMPDIR");
    if (asprintf(&dir, "%s/tank-fuzz-crilog.XXXXXX", t && *t ? t : "/tmp") < 0 || !mkdtemp(dir))
        abort();
    if (asprintf(&log_path, "%s/ctr.log", dir) < 0)
        abort();
    return 0;
}

static int memfd_with(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-stream", MFD_CLOEXEC);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || lseek(fd, 0, SEEK_SET))
        abort();
    return fd;
}

/* Does the record at p (len bytes, no newline) have the CRI form? Fills stream/tag/text. */
static int parse_record(const char *p, size_t len, char *stream, char *tag, const char **text,
                        size_t *tlen)
{
    static const char form[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ ";
    if (len < sizeof(form) - 1)
        return 0;
    for (size_t i = 0; i < sizeof(form) - 1; i++)
        if (form[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != form[i])
            return 0;
    p += sizeof(form) - 1, len -= sizeof(form) - 1;
    if (len >= 9 && (!memcmp(p, "stdout ", 7) || !memcmp(p, "stderr ", 7)) &&
        (p[7] == 'F' || p[7] == 'P') && (len == 8 || p[8] == ' ')) {
        *stream = p[3] == 'o' ? 'o' : 'e';
        *tag = p[7];
        *text = p + 9;
        *tlen = len - 9;
        return 1;
    }
    return 0;
}

/* A line's "\r\n" (a terminal's ONLCR) ends it as "\n" does: one '\r' before each '\n' goes
 * (in place; returns the new length). */
static size_t crlf_to_lf(uint8_t *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!(p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
            p[n++] = p[i];
    return n;
}

static void check_stream(const uint8_t *in, size_t inlen, const char *got, size_t glen)
{
    /* what the log must give back: the lines, a last one without a newline closed by one */
    uint8_t *want = malloc(inlen + 2);
    if (!want)
        abort();
    if (inlen)
        memcpy(want, in, inlen);
    size_t wlen = crlf_to_lf(want, inlen);
    if (wlen && want[wlen - 1] != '\n')
        want[wlen++] = '\n';
    int ok = glen == wlen && !memcmp(want, got, wlen);
    free(want);
    if (!ok)
        abort(); /* the log lost, added or reordered bytes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0, size);
    size_t olen = sep ? (size_t)(sep - data) : size;
    const uint8_t *err_data = sep ? sep + 1 : data + size;
    size_t elen = size - olen - (sep ? 1 : 0);

    unlink(log_path);
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0)
        _exit(3);
    struct sandbox_monitor_args a = {
        .pid = pid,
        .out_fd = memfd_with(data, olen),
        .err_fd = memfd_with(err_data, elen),
        .state_dir = dir,
        .log_path = log_path,
        .log_max_size = 1u << 30,
    };
    sandbox_monitor_run(&a); /* closes both fds at EOF, reaps pid */

    char *log = NULL;
    size_t llen = 0;
    if (tk_read_file(log_path, 64u << 20, &log, &llen) < 0)
        abort();
    char *out = malloc(llen + 1), *errs = malloc(llen + 1);
    size_t on = 0, en = 0;
    for (size_t off = 0; off < llen;) {
        char *nl = memchr(log + off, '\n', llen - off);
        if (!nl)
            abort(); /* every record ends with a newline */
        char stream, tag;
        const char *text;
        size_t tlen;
        if (!parse_record(log + off, (size_t)(nl - (log + off)), &stream, &tag, &text, &tlen))
            abort();
        char *dst = stream == 'o' ? out : errs;
        size_t *n = stream == 'o' ? &on : &en;
        memcpy(dst + *n, text, tlen);
        *n += tlen;
        if (tag == 'F')
            dst[(*n)++] = '\n';
        off = (size_t)(nl - log) + 1;
    }
    check_stream(data, olen, out, on);
    check_stream(err_data, elen, errs, en);
    free(out);
    free(errs);
    free(log);
    return 0;
}
