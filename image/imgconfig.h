#pragma once
/* Run parameters: an image's config (image/image.h) combined with a container's request. */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

struct image_info;

/*
 * Run parameters. A container request in plain C arrays (no spec types); counts of 0 mean
 * "not set" as in Kubernetes (an empty command list does not clear the Entrypoint).
 */
struct image_run_request {
    const char *const *command; /* replaces Entrypoint and drops Cmd */
    size_t n_command;
    const char *const *args; /* replaces Cmd */
    size_t n_args;
    const char *const *env; /* "NAME=VALUE"; overrides the image's Env by name */
    size_t n_env;
    const char *working_dir; /* NULL = the image's, else "/" */
    int64_t run_as_user;     /* -1 = unset: the image's User */
    int64_t run_as_group;    /* -1 = unset */
    const gid_t *supplemental_groups;
    size_t n_supplemental_groups;
};

struct image_run {
    char **argv; /* NULL-terminated, argc >= 1 */
    size_t argc;
    char **env; /* NULL-terminated "NAME=VALUE"; PATH and HOME always present */
    size_t n_env;
    char *cwd; /* absolute */
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups (from /etc/group and the request), sorted */
    size_t n_groups;
    int stop_signal;      /* SIGTERM when the image names none */
    char **exposed_ports; /* copied from the image config, NULL-terminated (may be empty) */
    char **label_keys, **label_values; /* copied, NULL-terminated */
};
void image_run_free(struct image_run *run);

#define IMAGE_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Combine info's config with req by the Kubernetes rules. The user is resolved against
 * the image's own /etc/passwd and /etc/group, read from its layers (top-down, whiteouts
 * honoured), never the host's. Errors (-EINVAL/-ENOENT, err set): no command at all,
 * an unknown user or group name, a bad StopSignal. */
int image_resolve_run(const struct image_info *info, const struct image_run_request *req,
                      struct image_run *out, struct tk_err *err);
