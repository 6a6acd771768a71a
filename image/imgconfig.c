/* The image config (OCI image-spec config.json) and its combination with a container
 * request into run parameters, by the Kubernetes rules. */
#include "image/imgconfig.h"
#include "image/internal.h"
#include "image/user.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/cleanup.h"
#include "base/fs.h"

#define PASSWD_MAX (4u << 20)

void img_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

size_t img_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A JSON array of strings as a NULL-terminated heap array; NULL when absent or empty. */
static int strv_from_json(json_t *a, char ***out)
{
    *out = NULL;
    if (!json_is_array(a) || !json_array_size(a))
        return 0;
    char **v = calloc(json_array_size(a) + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        if (!json_is_string(e)) {
            img_strv_free(v);
            return -EINVAL;
        }
        if (!(v[n++] = strdup(json_string_value(e)))) {
            img_strv_free(v);
            return -ENOMEM;
        }
    }
    *out = v;
    return 0;
}

/* The keys of a JSON object (and optionally its string values). */
static int keys_from_json(json_t *o, char ***keys, char ***values)
{
    *keys = NULL;
    if (values)
        *values = NULL;
    if (!json_is_object(o) || !json_object_size(o))
        return 0;
    size_t n = json_object_size(o), i = 0;
    char **k = calloc(n + 1, sizeof(*k)), **v = values ? calloc(n + 1, sizeof(*v)) : NULL;
    if (!k || (values && !v)) {
        free(k);
        free(v);
        return -ENOMEM;
    }
    const char *key;
    json_t *val;
    int r = 0;
    json_object_foreach(o, key, val)
    {
        k[i] = strdup(key);
        if (v)
            v[i] = strdup(json_is_string(val) ? json_string_value(val) : "");
        if (!k[i] || (v && !v[i])) {
            r = -ENOMEM;
            i++;
            break;
        }
        i++;
    }
    if (r < 0) {
        img_strv_free(k);
        img_strv_free(v);
        return r;
    }
    *keys = k;
    if (values)
        *values = v;
    return 0;
}

void img_config_free(struct image_config *c)
{
    if (!c)
        return;
    img_strv_free(c->entrypoint);
    img_strv_free(c->cmd);
    img_strv_free(c->env);
    free(c->working_dir);
    free(c->user);
    img_strv_free(c->exposed_ports);
    free(c->stop_signal);
    img_strv_free(c->label_keys);
    img_strv_free(c->label_values);
    free(c->os);
    free(c->architecture);
    free(c->variant);
    free(c->created);
    memset(c, 0, sizeof(*c));
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

static int fill_config(json_t *j, struct image_config *c)
{
    json_t *cc = json_object_get(j, "config");
    int r = 0;
    c->os = dup_or_null(jstr(j, "os"));
    c->architecture = dup_or_null(jstr(j, "architecture"));
    c->variant = dup_or_null(jstr(j, "variant"));
    c->created = dup_or_null(jstr(j, "created"));
    if (!json_is_object(cc))
        return 0;
    c->working_dir = dup_or_null(jstr(cc, "WorkingDir"));
    c->user = dup_or_null(jstr(cc, "User"));
    c->stop_signal = dup_or_null(jstr(cc, "StopSignal"));
    if ((r = strv_from_json(json_object_get(cc, "Entrypoint"), &c->entrypoint)) < 0 ||
        (r = strv_from_json(json_object_get(cc, "Cmd"), &c->cmd)) < 0 ||
        (r = strv_from_json(json_object_get(cc, "Env"), &c->env)) < 0 ||
        (r = keys_from_json(json_object_get(cc, "ExposedPorts"), &c->exposed_ports, NULL)) < 0 ||
        (r = keys_from_json(json_object_get(cc, "Labels"), &c->label_keys, &c->label_values)) < 0)
        return r;
    return 0;
}

int img_config_parse(const char *body, size_t len, struct image_config *cfg, char ***diff_ids,
                     size_t *n_diff_ids, struct tk_err *err)
{
    memset(cfg, 0, sizeof(*cfg));
    *diff_ids = NULL;
    *n_diff_ids = 0;
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return tk_err_set(err, -EINVAL, "parse image config: %s", j ? "not an object" : je.text);
    }
    int r = fill_config(j, cfg);
    if (r < 0) {
        json_decref(j);
        img_config_free(cfg);
        return tk_err_set(err, r, "parse image config: %s",
                          r == -ENOMEM ? "out of memory" : "a list holds a non-string");
    }
    json_t *ids = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
    r = json_is_array(ids) ? strv_from_json(ids, diff_ids) : -EINVAL;
    json_decref(j);
    if (r < 0) {
        img_config_free(cfg);
        return tk_err_set(err, -EINVAL, "parse image config: no valid rootfs.diff_ids");
    }
    *n_diff_ids = img_strv_len(*diff_ids);
    for (size_t i = 0; i < *n_diff_ids; i++) {
        if (!image_digest_valid((*diff_ids)[i])) {
            tk_err_set(err, -EINVAL, "parse image config: invalid diff_id '%s'", (*diff_ids)[i]);
            img_config_free(cfg);
            img_strv_free(*diff_ids);
            *diff_ids = NULL;
            *n_diff_ids = 0;
            return -EINVAL;
        }
    }
    return 0;
}

/* ---- files from the layer union ---- */

static int is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int is_opaque(int dirfd)
{
    char v[2];
    ssize_t n = fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v));
    return n == 1 && v[0] == 'y';
}

/* Look path up in one layer. Returns 1 found (fd of the regular file in *fd), 0 absent
 * (look lower), -ENOENT hidden (whited out, opaque or shadowed by a non-directory). */
static int layer_lookup(const char *layer, const char *path, int *fd)
{
    _cleanup_close_ int dir = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -ENOENT;
    _cleanup_free_ char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    char *comp = copy, *slash;
    int opaque_above = 0;
    for (;;) {
        slash = strchr(comp, '/');
        if (slash)
            *slash = '\0';
        struct stat st;
        if (fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return opaque_above ? -ENOENT : 0;
        if (is_whiteout(&st))
            return -ENOENT;
        if (!slash) {
            if (!S_ISREG(st.st_mode))
                return -ENOENT;
            *fd = openat(dir, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            return *fd < 0 ? -errno : 1;
        }
        if (!S_ISDIR(st.st_mode))
            return -ENOENT;
        int sub = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return -errno;
        close(dir);
        dir = sub;
        opaque_above |= is_opaque(dir);
        comp = slash + 1;
    }
}

int img_read_layered_file(char *const *layer_dirs, size_t n, const char *path, size_t max,
                          char **out)
{
    *out = NULL;
    for (size_t i = n; i-- > 0;) {
        _cleanup_close_ int fd = -1;
        int r = layer_lookup(layer_dirs[i], path, &fd);
        if (r < 0)
            return r;
        if (r == 1)
            return tk_read_fd(fd, max, out, NULL);
    }
    return -ENOENT;
}

/* ---- run parameters ---- */

static int strv_push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return -ENOMEM;
    nv[++*n] = NULL;
    return 0;
}

static int strv_copy(char *const *src, char ***out)
{
    size_t n = 0;
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return -ENOMEM;
    for (size_t i = 0; src && src[i]; i++)
        if (strv_push(out, &n, src[i]) < 0)
            return -ENOMEM;
    return 0;
}

/* Set NAME=VALUE in env, replacing an existing NAME in place. */
static int env_set(char ***env, size_t *n, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
    for (size_t i = 0; i < *n; i++) {
        if (!strncmp((*env)[i], kv, klen) && ((*env)[i][klen] == '=' || (*env)[i][klen] == '\0')) {
            char *d = eq ? strdup(kv) : NULL;
            if (!eq) {
                if (asprintf(&d, "%s=", kv) < 0)
                    return -ENOMEM;
            }
            if (!d)
                return -ENOMEM;
            free((*env)[i]);
            (*env)[i] = d;
            return 0;
        }
    }
    if (eq)
        return strv_push(env, n, kv);
    _cleanup_free_ char *d = NULL;
    if (asprintf(&d, "%s=", kv) < 0)
        return -ENOMEM;
    return strv_push(env, n, d);
}

static int env_has(char **env, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(env[i], name, len) && env[i][len] == '=')
            return 1;
    return 0;
}

static int build_argv(const struct image_config *c, const struct image_run_request *req,
                      struct image_run *out, struct tk_err *err)
{
    size_t n = 0;
    int r = 0;
    if (req->n_command) {
        for (size_t i = 0; i < req->n_command && r == 0; i++)
            r = strv_push(&out->argv, &n, req->command[i]);
    } else {
        for (size_t i = 0; c->entrypoint && c->entrypoint[i] && r == 0; i++)
            r = strv_push(&out->argv, &n, c->entrypoint[i]);
    }
    if (req->n_args) {
        for (size_t i = 0; i < req->n_args && r == 0; i++)
            r = strv_push(&out->argv, &n, req->args[i]);
    } else if (!req->n_command) {
        for (size_t i = 0; c->cmd && c->cmd[i] && r == 0; i++)
            r = strv_push(&out->argv, &n, c->cmd[i]);
    }
    if (r < 0)
        return tk_err_sys(err, r, "build the command line");
    out->argc = n;
    if (!n)
        return tk_err_set(err, -EINVAL,
                          "no command: the container gives none and the image has no "
                          "Entrypoint or Cmd");
    return 0;
}

static int build_env(const struct image_config *c, const struct image_run_request *req,
                     const char *home, struct image_run *out)
{
    size_t n = 0;
    int r = 0;
    out->env = calloc(1, sizeof(*out->env));
    if (!out->env)
        return -ENOMEM;
    for (size_t i = 0; c->env && c->env[i] && r == 0; i++)
        r = env_set(&out->env, &n, c->env[i]);
    for (size_t i = 0; i < req->n_env && r == 0; i++)
        r = env_set(&out->env, &n, req->env[i]);
    if (r == 0 && !env_has(out->env, n, "PATH"))
        r = strv_push(&out->env, &n, "PATH=" IMAGE_DEFAULT_PATH);
    if (r == 0 && !env_has(out->env, n, "HOME")) {
        _cleanup_free_ char *h = NULL;
        if (asprintf(&h, "HOME=%s", home && *home ? home : "/") < 0)
            return -ENOMEM;
        r = strv_push(&out->env, &n, h);
    }
    out->n_env = n;
    return r;
}

/* The user spec: the request's runAsUser/runAsGroup over the image's User. */
static char *user_spec(const struct image_config *c, const struct image_run_request *req)
{
    char *s = NULL;
    const char *img = c->user && *c->user ? c->user : "0";
    if (req->run_as_user >= 0 && req->run_as_group >= 0)
        return asprintf(&s, "%lld:%lld", (long long)req->run_as_user,
                        (long long)req->run_as_group) < 0
                   ? NULL
                   : s;
    if (req->run_as_user >= 0) {
        return asprintf(&s, "%lld", (long long)req->run_as_user) < 0 ? NULL : s;
    }
    if (req->run_as_group >= 0) {
        size_t ulen = strcspn(img, ":");
        return asprintf(&s, "%.*s:%lld", (int)ulen, img, (long long)req->run_as_group) < 0 ? NULL
                                                                                           : s;
    }
    return strdup(img);
}

static int resolve_user(const struct image_info *info, const struct image_run_request *req,
                        struct image_user *u, struct tk_err *err)
{
    _cleanup_free_ char *spec = user_spec(&info->config, req);
    _cleanup_free_ char *passwd = NULL, *group = NULL;
    if (!spec)
        return tk_err_sys(err, -ENOMEM, "resolve user");
    int r =
        img_read_layered_file(info->layer_dirs, info->n_layers, "etc/passwd", PASSWD_MAX, &passwd);
    if (r < 0 && r != -ENOENT)
        return tk_err_sys(err, r, "read the image's /etc/passwd");
    r = img_read_layered_file(info->layer_dirs, info->n_layers, "etc/group", PASSWD_MAX, &group);
    if (r < 0 && r != -ENOENT)
        return tk_err_sys(err, r, "read the image's /etc/group");
    r = image_user_resolve(spec, passwd, group, u, err);
    if (r < 0)
        return r;
    size_t n = u->n_groups + req->n_supplemental_groups;
    gid_t *g = realloc(u->groups, (n + 1) * sizeof(*g));
    if (!g)
        return tk_err_sys(err, -ENOMEM, "resolve user");
    for (size_t i = 0; i < req->n_supplemental_groups; i++)
        g[u->n_groups + i] = req->supplemental_groups[i];
    u->groups = g;
    u->n_groups = n;
    return 0;
}

static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static int copy_metadata(const struct image_config *c, struct image_run *out)
{
    if (strv_copy(c->exposed_ports, &out->exposed_ports) < 0 ||
        strv_copy(c->label_keys, &out->label_keys) < 0 ||
        strv_copy(c->label_values, &out->label_values) < 0)
        return -ENOMEM;
    return 0;
}

void image_run_free(struct image_run *run)
{
    if (!run)
        return;
    img_strv_free(run->argv);
    img_strv_free(run->env);
    free(run->cwd);
    free(run->groups);
    img_strv_free(run->exposed_ports);
    img_strv_free(run->label_keys);
    img_strv_free(run->label_values);
    memset(run, 0, sizeof(*run));
}

int image_resolve_run(const struct image_info *info, const struct image_run_request *req,
                      struct image_run *out, struct tk_err *err)
{
    memset(out, 0, sizeof(*out));
    const struct image_config *c = &info->config;
    struct image_user u = {0};
    int r = build_argv(c, req, out, err);
    if (r < 0)
        goto fail;
    r = resolve_user(info, req, &u, err);
    if (r < 0)
        goto fail;
    out->uid = u.uid;
    out->gid = u.gid;
    if (u.n_groups > 1)
        tk_sort(u.groups, u.n_groups, sizeof(*u.groups), cmp_gid);
    size_t o = 0;
    for (size_t i = 0; i < u.n_groups; i++)
        if (!o || u.groups[i] != u.groups[o - 1])
            u.groups[o++] = u.groups[i];
    out->groups = TAKE_PTR(u.groups);
    out->n_groups = o;
    if ((r = build_env(c, req, u.home, out)) < 0) {
        tk_err_sys(err, r, "build the environment");
        goto fail;
    }
    const char *wd = req->working_dir && *req->working_dir ? req->working_dir
                     : c->working_dir                      ? c->working_dir
                                                           : "/";
    if (*wd != '/') {
        r = tk_err_set(err, -EINVAL, "working directory '%s' is not absolute", wd);
        goto fail;
    }
    out->stop_signal = SIGTERM;
    if (c->stop_signal && (out->stop_signal = image_parse_signal(c->stop_signal)) < 0) {
        r = tk_err_set(err, -EINVAL, "image StopSignal '%s' is not a signal", c->stop_signal);
        goto fail;
    }
    out->cwd = strdup(wd);
    if (!out->cwd || copy_metadata(c, out) < 0) {
        r = tk_err_sys(err, -ENOMEM, "resolve run parameters");
        goto fail;
    }
    image_user_free(&u);
    return 0;
fail:
    image_user_free(&u);
    image_run_free(out);
    return r;
}
