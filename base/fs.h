#pragma once
/*
 * File-system helpers. All return 0 (or a length) on success and -errno on failure.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write data to path atomically: temp file in the same directory, fsync, rename,
 * fsync of the directory. The file gets mode. */
int tk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Same, the file given group gid first ((gid_t)-1: the writer's). */
int tk_write_file_atomic_group(const char *path, const void *data, size_t len, mode_t mode,
                               gid_t gid);

/* The same without the fsyncs, for state that lives no longer than the machine's uptime
 * (run_dir: pod and container state whose processes a power loss ends too). Readers never
 * see a half-written file, also when the writer is killed; only durability across a power
 * loss is given up, which spares the caller a disk flush per write (tens of ms on an SD card
 * or a busy disk). */
int tk_write_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/* Open path for reading only if it is a regular file: opened non-blocking (a FIFO or a device
 * never blocks the open, nor a read), then checked with fstat; -EISDIR for a directory,
 * -EINVAL when it is anything else. flags are added to the open (O_NOFOLLOW: -ELOOP on a symbolic
 * link). The fd keeps O_NONBLOCK, which regular files ignore. Returns the fd (close-on-exec) or
 * -errno. */
int tk_open_regular(const char *path, int flags);

/* Read a whole regular file (tk_open_regular) into a new NUL-terminated heap buffer (*out,
 * caller frees). Fails with -EFBIG when the file is larger than max bytes, -EINVAL when it
 * is not a regular file. *len_out may be NULL. */
int tk_read_file(const char *path, size_t max, char **out, size_t *len_out);
/* Same, with flags added to the open (O_NOFOLLOW where no link is expected). */
int tk_read_file_flags(const char *path, int flags, size_t max, char **out, size_t *len_out);

/* Same, from an open fd (read to EOF). */
int tk_read_fd(int fd, size_t max, char **out, size_t *len_out);

/* Whether path (already resolved: absolute, no symlinks, no "." or "..") is root itself or
 * below it (root resolved too). A string test: "/srv/pods2" is not under "/srv/pods". */
bool tk_path_is_under(const char *root, const char *path);

/* mkdir -p with mode for every created component. */
int tk_mkdir_p(const char *path, mode_t mode);

/* rm -rf that never crosses into another file system (mount points are left alone
 * and reported as -EBUSY). A missing path is success. */
int tk_rm_rf(const char *path);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int tk_write_all(int fd, const void *buf, size_t len);

/* Read len bytes into buf unless the writer ends (EOF) or fails first, retrying on EINTR
 * and short reads. Returns how many bytes were read (len when all of them). */
size_t tk_read_full(int fd, void *buf, size_t len);

/* Wall-clock now in nanoseconds since the epoch / monotonic now in milliseconds. */
int64_t tk_now_realtime_ns(void);
int64_t tk_now_monotonic_ms(void);

/* Format ns-since-epoch as RFC 3339 with nanoseconds in UTC
 * ("2026-01-02T03:04:05.123456789Z") into out (at least 40 bytes). */
void tk_format_rfc3339nano(int64_t ns, char *out, size_t size);
/* Same, seconds precision ("2026-01-02T03:04:05Z"). */
void tk_format_rfc3339(int64_t ns, char *out, size_t size);
