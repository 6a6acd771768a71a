/* User namespaces of pods: id ranges, their records, the holder process, idmapped mounts.
 * See userns.h. */
#include "sandbox/userns.h"
#include "sandbox/podsandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/cleanup.h"
#include "base/fs.h"

#define RECORD "userns"
#define LOCK ".userns.lock"
#define PATH_LEN 4096

/* ---- ranges ------------------------------------------------------------------------ */

static bool overlaps(const struct sandbox_id_range *a, const struct sandbox_id_range *b)
{
    uint64_t a_end = (uint64_t)a->start + a->count, b_end = (uint64_t)b->start + b->count;
    return a->start < b_end && b->start < a_end;
}

/* One "START:COUNT" entry of len bytes; 0 or < 0 with err set. */
static int parse_range(const char *s, size_t len, struct sandbox_id_range *out, struct tk_err *err)
{
    char buf[64];
    if (len >= sizeof(buf))
        return tk_err_set(err, -EINVAL, "'%.*s' is not START:COUNT", (int)len, s);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long start = strtoull(buf, &end, 10), count = 0;
    bool ok = end != buf && *end == ':' && buf[0] >= '0' && buf[0] <= '9' && !errno;
    if (ok) {
        const char *c = end + 1;
        count = strtoull(c, &end, 10);
        ok = end != c && *end == '\0' && c[0] >= '0' && c[0] <= '9' && !errno;
    }
    if (!ok)
        return tk_err_set(err, -EINVAL, "'%s' is not START:COUNT", buf);
    if (start < SANDBOX_USERNS_MIN_ID)
        return tk_err_set(err, -EINVAL, "'%s' starts below %u (the host's own users)", buf,
                          SANDBOX_USERNS_MIN_ID);
    if (count == 0 || count % SANDBOX_USERNS_SIZE)
        return tk_err_set(err, -EINVAL, "'%s': COUNT must be a multiple of %u (one pod's ids)", buf,
                          SANDBOX_USERNS_SIZE);
    if (start + count - 1 > SANDBOX_USERNS_MAX_ID)
        return tk_err_set(err, -EINVAL, "'%s' ends past %u (the highest valid id)", buf,
                          SANDBOX_USERNS_MAX_ID);
    *out = (struct sandbox_id_range){(uint32_t)start, (uint32_t)count};
    return 0;
}

int sandbox_userns_parse_ranges(const char *text, struct sandbox_id_range *out, struct tk_err *err)
{
    int n = 0;
    for (const char *p = text;;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (!len)
            break;
        if (n == SANDBOX_USERNS_MAX_RANGES)
            return tk_err_set(err, -EINVAL, "more than %d ranges", SANDBOX_USERNS_MAX_RANGES);
        int r = parse_range(p, len, &out[n], err);
        if (r < 0)
            return r;
        for (int i = 0; i < n; i++)
            if (overlaps(&out[i], &out[n]))
                return tk_err_set(err, -EINVAL, "'%.*s' overlaps '%" PRIu32 ":%" PRIu32 "'",
                                  (int)len, p, out[i].start, out[i].count);
        n++;
        p += len;
    }
    if (n == 0)
        return tk_err_set(err, -EINVAL, "no range given (START:COUNT)");
    return n;
}

/* The "NAME:START:COUNT" lines of path for user (or uid_text), at most max. */
static int subid_read(const char *path, const char *user, const char *uid_text,
                      struct sandbox_id_range *out, int max)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char line[512];
    int n = 0;
    while (f && n < max && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        if (strcmp(line, user) && (!uid_text || strcmp(line, uid_text)))
            continue;
        struct sandbox_id_range r;
        if (parse_range(colon + 1, strlen(colon + 1), &r, NULL) == 0) {
            out[n++] = r;
            continue;
        }
        /* Not a multiple of 65536: keep the whole blocks it holds. */
        unsigned long long start = 0, count = 0;
        if (sscanf(colon + 1, "%llu:%llu", &start, &count) == 2 && count >= SANDBOX_USERNS_SIZE &&
            start <= SANDBOX_USERNS_MAX_ID) {
            count -= count % SANDBOX_USERNS_SIZE;
            char again[64];
            snprintf(again, sizeof(again), "%llu:%llu", start, count);
            if (parse_range(again, strlen(again), &r, NULL) == 0)
                out[n++] = r;
        }
    }
    return n;
}

int sandbox_userns_subid_ranges(const char *subuid, const char *subgid, const char *user,
                                const char *uid_text, struct sandbox_id_range *out)
{
    struct sandbox_id_range u[SANDBOX_USERNS_MAX_RANGES], g[SANDBOX_USERNS_MAX_RANGES];
    int nu = subid_read(subuid, user, uid_text, u, SANDBOX_USERNS_MAX_RANGES);
    int ng = subid_read(subgid, user, uid_text, g, SANDBOX_USERNS_MAX_RANGES);
    int n = 0;
    for (int i = 0; i < nu; i++) {
        struct sandbox_id_range r = {0, 0};
        for (int j = 0; j < ng; j++)
            if (g[j].start == u[i].start)
                r = (struct sandbox_id_range){u[i].start,
                                              u[i].count < g[j].count ? u[i].count : g[j].count};
        bool clash = r.count == 0;
        for (int k = 0; k < n && !clash; k++)
            clash = overlaps(&out[k], &r);
        if (!clash)
            out[n++] = r;
    }
    return n;
}

/* ---- records ----------------------------------------------------------------------- */

static int record_path(char *out, const char *state_dir, const char *pod)
{
    return sandbox_pod_state_path(out, PATH_LEN, state_dir, pod, RECORD);
}

int sandbox_userns_get(const char *state_dir, const char *pod, uint32_t *start)
{
    char path[PATH_LEN];
    if (record_path(path, state_dir, pod) < 0)
        return -ENAMETOOLONG;
    _cleanup_free_ char *text = NULL;
    int r = tk_read_file(path, 256, &text, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    unsigned long long s = 0, size = 0;
    if (sscanf(text, "start=%llu\nsize=%llu", &s, &size) != 2 || size != SANDBOX_USERNS_SIZE ||
        s < SANDBOX_USERNS_MIN_ID || s + size - 1 > SANDBOX_USERNS_MAX_ID)
        return -EBADMSG;
    *start = (uint32_t)s;
    return 1;
}

int sandbox_userns_release(const char *state_dir, const char *pod)
{
    char path[PATH_LEN];
    if (record_path(path, state_dir, pod) < 0)
        return -ENAMETOOLONG;
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    *strrchr(path, '/') = '\0';
    if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
        return -errno;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The starts recorded by every pod but pod, sorted (*used, caller frees). */
static int used_starts(const char *state_dir, const char *pod, uint32_t **used, size_t *n)
{
    char dir[PATH_LEN];
    if (sandbox_pod_state_path(dir, sizeof(dir), state_dir, NULL, NULL) < 0)
        return -ENAMETOOLONG;
    _cleanup_closedir_ DIR *d = opendir(dir);
    size_t cap = 0;
    *used = NULL;
    *n = 0;
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint32_t s;
        if (de->d_name[0] == '.' || !strcmp(de->d_name, pod))
            continue;
        if (sandbox_userns_get(state_dir, de->d_name, &s) != 1)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            uint32_t *v = realloc(*used, cap * sizeof(*v));
            if (!v)
                return -ENOMEM;
            *used = v;
        }
        (*used)[(*n)++] = s;
    }
    if (*n)
        tk_sort(*used, *n, sizeof(**used), cmp_u32);
    return 0;
}

/* Is the block [s, s + 65536) free of every used one (sorted starts)? */
static bool block_free(uint32_t s, const uint32_t *used, size_t n)
{
    struct sandbox_id_range b = {s, SANDBOX_USERNS_SIZE};
    for (size_t i = 0; i < n; i++) {
        struct sandbox_id_range u = {used[i], SANDBOX_USERNS_SIZE};
        if (overlaps(&b, &u))
            return false;
        if (used[i] > s)
            break;
    }
    return true;
}

static bool in_ranges(uint32_t s, const struct sandbox_id_range *ranges, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s >= ranges[i].start &&
            (uint64_t)s + SANDBOX_USERNS_SIZE <= (uint64_t)ranges[i].start + ranges[i].count)
            return true;
    return false;
}

/* The lowest free block; -ENOSPC when there is none. */
static int pick(const struct sandbox_id_range *ranges, size_t n, const uint32_t *used,
                size_t n_used, uint32_t *start)
{
    for (size_t i = 0; i < n; i++)
        for (uint64_t s = ranges[i].start;
             s + SANDBOX_USERNS_SIZE <= (uint64_t)ranges[i].start + ranges[i].count;
             s += SANDBOX_USERNS_SIZE)
            if (block_free((uint32_t)s, used, n_used)) {
                *start = (uint32_t)s;
                return 0;
            }
    return -ENOSPC;
}

static int decide(const char *state_dir, const char *pod, const struct sandbox_id_range *ranges,
                  size_t n, uint32_t *start, struct tk_err *err)
{
    _cleanup_free_ uint32_t *used = NULL;
    size_t n_used = 0;
    int r = used_starts(state_dir, pod, &used, &n_used);
    if (r < 0)
        return tk_err_sys(err, r, "read the user namespace records in '%s/pods'", state_dir);
    uint32_t s;
    if (sandbox_userns_get(state_dir, pod, &s) == 1 && in_ranges(s, ranges, n) &&
        block_free(s, used, n_used)) {
        *start = s;
        return 0;
    }
    if (pick(ranges, n, used, n_used, start) < 0)
        return tk_err_set(err, -ENOSPC, "no free user namespace range (%zu in use)", n_used);
    char path[PATH_LEN], text[64];
    record_path(path, state_dir, pod);
    int len =
        snprintf(text, sizeof(text), "start=%" PRIu32 "\nsize=%u\n", *start, SANDBOX_USERNS_SIZE);
    if ((r = tk_write_file_atomic(path, text, (size_t)len, 0644)) < 0)
        return tk_err_sys(err, r, "write '%s'", path);
    return 0;
}

int sandbox_userns_alloc(const char *state_dir, const char *pod,
                         const struct sandbox_id_range *ranges, size_t n, uint32_t *start,
                         struct tk_err *err)
{
    char dir[PATH_LEN], lock[PATH_LEN];
    if (n == 0)
        return tk_err_set(err, -EINVAL, "no user namespace ranges configured");
    if (sandbox_pod_state_path(dir, sizeof(dir), state_dir, pod, NULL) < 0 ||
        sandbox_pod_state_path(lock, sizeof(lock), state_dir, LOCK, NULL) < 0)
        return tk_err_set(err, -ENAMETOOLONG, "state directory path too long");
    int r = tk_mkdir_p(dir, 0700);
    if (r < 0)
        return tk_err_sys(err, r, "create '%s'", dir);
    _cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return tk_err_sys(err, -errno, "open '%s'", lock);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return tk_err_sys(err, -errno, "lock '%s'", lock);
    return decide(state_dir, pod, ranges, n, start, err);
}

/* ---- the namespaces ---------------------------------------------------------------- */

static int write_map(pid_t pid, const char *file, uint32_t start)
{
    char path[64], map[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    int len = snprintf(map, sizeof(map), "0 %" PRIu32 " %u\n", start, SANDBOX_USERNS_SIZE);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, map, (size_t)len);
    return w == len ? 0 : w < 0 ? -errno : -EIO;
}

/* The holder: new namespaces, one byte to say so, then blocked until released. */
static _Noreturn void holder_main(int flags, int ready, int release)
{
    char c = unshare(CLONE_NEWUSER | flags) < 0 ? (char)errno : 0;
    (void)!write(ready, &c, 1);
    (void)!read(release, &c, 1);
    _exit(0);
}

int sandbox_userns_holder(uint32_t start, int flags, pid_t *holder, int *release_fd,
                          struct tk_err *err)
{
    int ready[2], release[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return tk_err_sys(err, -errno, "create pipe");
    if (pipe2(release, O_CLOEXEC) < 0) {
        int e = -errno;
        close(ready[0]);
        close(ready[1]);
        return tk_err_sys(err, e, "create pipe");
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(release[1]);
        holder_main(flags, ready[1], release[0]);
    }
    int e = pid < 0 ? -errno : 0;
    close(ready[1]);
    close(release[0]);
    char c = 0;
    if (pid < 0 || read(ready[0], &c, 1) != 1 || c) {
        close(ready[0]);
        sandbox_userns_holder_end(pid, release[1]);
        return tk_err_sys(err, e < 0 ? e : c ? -c : -EIO, "create the user namespace");
    }
    close(ready[0]);
    int r = write_map(pid, "uid_map", start);
    if (r == 0)
        r = write_map(pid, "gid_map", start);
    if (r < 0) {
        sandbox_userns_holder_end(pid, release[1]);
        return tk_err_sys(err, r, "write the id maps (0 -> %" PRIu32 ", %u ids)", start,
                          SANDBOX_USERNS_SIZE);
    }
    *holder = pid;
    *release_fd = release[1];
    return 0;
}

void sandbox_userns_holder_end(pid_t holder, int release_fd)
{
    if (release_fd >= 0)
        close(release_fd);
    if (holder > 0)
        while (waitpid(holder, NULL, 0) < 0 && errno == EINTR)
            ;
}

/* ---- idmapped mounts --------------------------------------------------------------- */

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

struct idmap_attr { /* struct mount_attr */
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

int sandbox_idmap_clone(const char *path, int userns_fd)
{
#if defined(SYS_open_tree) && defined(SYS_mount_setattr)
    long fd = syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct idmap_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
    if (syscall(SYS_mount_setattr, (int)fd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
        int e = -errno;
        close((int)fd);
        return e;
    }
    return (int)fd;
#else
    (void)path;
    (void)userns_fd;
    return -ENOSYS;
#endif
}
