/*
 * The exec record: what a process joining a running container must become, written by the
 * workload child before it builds its root (so from the very config and filter it applies)
 * and read by sandbox_container_exec().
 *
 *   STATE_DIR/exec     NUL-separated "key=value" entries: id, uid, gid, groups (comma
 *                      separated), caps (the bounding set, hex), nnp, cwd, then env=K=V
 *                      for each variable in order; mode 0600 (the environment may hold
 *                      secrets)
 *   STATE_DIR/seccomp  the compiled filter (sandbox_seccomp_filter_save); absent = none
 */
#include "sandbox/exec-int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/seccomp.h"

static int save_filter(const char *state_dir, const struct sandbox_seccomp_filter *filter)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(path, sizeof(path), "%s/seccomp", state_dir);
    if (!filter)
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
    snprintf(tmp, sizeof(tmp), "%s/.seccomp.tmp", state_dir);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    /* No fsync, as for the exec record beside it: a runtime file of run_dir (/run/tank, a
     * tmpfs), gone at a reboot with the container it describes; the rename keeps readers from
     * a partial one. */
    int r = sandbox_seccomp_filter_save(filter, fd);
    if (r < 0 || rename(tmp, path) < 0) {
        r = r < 0 ? r : -errno;
        unlink(tmp);
        return r;
    }
    return 0;
}

int sandbox_exec_record(const struct sandbox_container_config *cfg, uint64_t caps,
                        const struct sandbox_seccomp_filter *filter, struct sandbox_fail *f)
{
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    char path[PATH_MAX];
    tk_buf_addf(&b, "id=%s%cuid=%u%cgid=%u%cgroups=", cfg->id, 0, (unsigned)cfg->uid, 0,
                (unsigned)cfg->gid, 0);
    for (size_t i = 0; i < cfg->n_groups; i++)
        tk_buf_addf(&b, "%s%u", i ? "," : "", (unsigned)cfg->groups[i]);
    tk_buf_addf(&b, "%ccaps=%" PRIx64 "%cnnp=%d%ccwd=%s%c", 0, caps, 0, cfg->no_new_privs ? 1 : 0,
                0, cfg->cwd ? cfg->cwd : "/", 0);
    for (char *const *e = cfg->env; e && *e; e++)
        tk_buf_addf(&b, "env=%s%c", *e, 0);
    int r = save_filter(cfg->state_dir, filter);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, -r, "record the seccomp filter");
    snprintf(path, sizeof(path), "%s/exec", cfg->state_dir);
    r = tk_write_file_replace(path, b.s, b.len, 0600);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, -r, "write '%s'", path);
    return 0;
}

void sandbox_exec_info_free(struct sandbox_exec_info *in)
{
    if (!in)
        return;
    free(in->body);
    free(in->env);
    free(in->groups);
    sandbox_seccomp_filter_free(in->filter);
    *in = (struct sandbox_exec_info){0};
}

static int parse_u32(const char *s, int base, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || end == s || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_groups(struct sandbox_exec_info *in, const char *s)
{
    for (const char *p = s; *p;) {
        char one[16];
        size_t len = strcspn(p, ",");
        uint64_t v;
        if (len == 0 || len >= sizeof(one))
            return -EINVAL;
        snprintf(one, sizeof(one), "%.*s", (int)len, p);
        gid_t *g = realloc(in->groups, (in->n_groups + 1) * sizeof(*g));
        if (!g)
            return -ENOMEM;
        in->groups = g;
        if (parse_u32(one, 10, UINT32_MAX, &v) < 0)
            return -EINVAL;
        in->groups[in->n_groups++] = (gid_t)v;
        p += len + (p[len] == ',');
    }
    return 0;
}

static int parse_entry(struct sandbox_exec_info *in, char *e, size_t *n_env)
{
    char *eq = strchr(e, '=');
    uint64_t v;
    if (!eq)
        return -EINVAL;
    *eq = 0;
    const char *val = eq + 1;
    if (!strcmp(e, "env")) {
        in->env[(*n_env)++] = (char *)val;
        return 0;
    }
    if (!strcmp(e, "id") || !strcmp(e, "cwd")) {
        *(!strcmp(e, "id") ? &in->id : &in->cwd) = val;
        return 0;
    }
    if (!strcmp(e, "groups"))
        return parse_groups(in, val);
    int r = parse_u32(val, !strcmp(e, "caps") ? 16 : 10,
                      !strcmp(e, "caps") ? UINT64_MAX : UINT32_MAX, &v);
    if (r < 0)
        return r;
    if (!strcmp(e, "uid"))
        in->uid = (uid_t)v;
    else if (!strcmp(e, "gid"))
        in->gid = (gid_t)v;
    else if (!strcmp(e, "caps"))
        in->caps = v;
    else if (!strcmp(e, "nnp"))
        in->no_new_privs = v != 0;
    return 0; /* unknown keys: from a newer Tank, ignored */
}

static int read_filter(const char *state_dir, struct sandbox_exec_info *in)
{
    char path[PATH_MAX];
    _cleanup_free_ char *data = NULL;
    size_t len;
    snprintf(path, sizeof(path), "%s/seccomp", state_dir);
    int r = tk_read_file(path, 1 << 20, &data, &len);
    if (r == -ENOENT)
        return 0;
    return r < 0 ? r : sandbox_seccomp_filter_parse(data, len, &in->filter);
}

int sandbox_exec_info_read(const char *state_dir, struct sandbox_exec_info *in, struct tk_err *err)
{
    char path[PATH_MAX];
    size_t len, n_env = 0, n = 0;
    *in = (struct sandbox_exec_info){0};
    snprintf(path, sizeof(path), "%s/exec", state_dir);
    int r = tk_read_file(path, 4 << 20, &in->body, &len);
    if (r == -ENOENT)
        return tk_err_set(err, -ENOENT,
                          "'%s' has no exec record (started by an older Tank: restart it)",
                          state_dir);
    if (r < 0)
        return tk_err_sys(err, r, "read '%s'", path);
    for (size_t i = 0; i < len; i++)
        n += in->body[i] == 0;
    in->env = calloc(n + 1, sizeof(*in->env));
    if (!in->env)
        return tk_err_set(err, -ENOMEM, "read '%s': out of memory", path);
    for (size_t off = 0, el; off < len; off += el + 1) {
        el = strlen(in->body + off);
        r = parse_entry(in, in->body + off, &n_env);
        if (r < 0)
            return tk_err_set(err, r, "'%s': bad entry '%s'", path, in->body + off);
    }
    if (!in->id || !in->cwd)
        return tk_err_set(err, -EINVAL, "'%s': incomplete", path);
    r = read_filter(state_dir, in);
    if (r < 0)
        return tk_err_sys(err, r, "read '%s/seccomp'", state_dir);
    return 0;
}
