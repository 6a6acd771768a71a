#include "image/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Interface stubs: the implementations land in store.c, pull.c, layer.c, imgconfig.c and
 * user.c. */

int image_store_open(struct image_store **out, const struct image_store_opts *opts,
                     struct tk_err *err)
{
    (void)opts;
    *out = NULL;
    return tk_err_set(err, -ENOSYS, "open image store: not implemented yet");
}

void image_store_free(struct image_store *s)
{
    (void)s;
}

static void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void image_info_free(struct image_info *info)
{
    if (!info)
        return;
    free(info->reference);
    free(info->manifest_digest);
    free(info->config_digest);
    strv_free(info->layer_dirs);
    struct image_config *c = &info->config;
    strv_free(c->entrypoint);
    strv_free(c->cmd);
    strv_free(c->env);
    free(c->working_dir);
    free(c->user);
    strv_free(c->exposed_ports);
    free(c->stop_signal);
    strv_free(c->label_keys);
    strv_free(c->label_values);
    free(c->os);
    free(c->architecture);
    free(c->variant);
    free(c->created);
    memset(info, 0, sizeof(*info));
}

int image_pull(struct image_store *s, const char *ref, image_progress_fn progress, void *ctx,
               struct image_info *out, struct tk_err *err)
{
    (void)s, (void)progress, (void)ctx, (void)out;
    return tk_err_set(err, -ENOSYS, "pull '%s': not implemented yet", ref);
}

int image_lookup(struct image_store *s, const char *ref, struct image_info *out, struct tk_err *err)
{
    (void)s, (void)out;
    return tk_err_set(err, -ENOSYS, "look up image '%s': not implemented yet", ref);
}

int image_list(struct image_store *s, struct image_info **out, size_t *n, struct tk_err *err)
{
    (void)s;
    *out = NULL;
    *n = 0;
    return tk_err_set(err, -ENOSYS, "list images: not implemented yet");
}

void image_list_free(struct image_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        image_info_free(&v[i]);
    free(v);
}

int image_unpack(struct image_store *s, const char *ref, const char *dir, struct tk_err *err)
{
    (void)s, (void)dir;
    return tk_err_set(err, -ENOSYS, "unpack '%s': not implemented yet", ref);
}

void image_run_free(struct image_run *run)
{
    if (!run)
        return;
    strv_free(run->argv);
    strv_free(run->env);
    free(run->cwd);
    free(run->groups);
    strv_free(run->exposed_ports);
    strv_free(run->label_keys);
    strv_free(run->label_values);
    memset(run, 0, sizeof(*run));
}

int image_resolve_run(const struct image_info *info, const struct image_run_request *req,
                      struct image_run *out, struct tk_err *err)
{
    (void)info, (void)req;
    memset(out, 0, sizeof(*out));
    return tk_err_set(err, -ENOSYS, "resolve run parameters: not implemented yet");
}

int image_user_resolve(const char *spec, const char *passwd, const char *group,
                       struct image_user *out, struct tk_err *err)
{
    (void)spec, (void)passwd, (void)group;
    memset(out, 0, sizeof(*out));
    return tk_err_set(err, -ENOSYS, "resolve user: not implemented yet");
}

void image_user_free(struct image_user *u)
{
    if (!u)
        return;
    free(u->home);
    free(u->groups);
    memset(u, 0, sizeof(*u));
}

int image_parse_signal(const char *s)
{
    (void)s;
    return -ENOSYS;
}
