#pragma once
/*
 * The exec record (sandbox/exec_record.c): written by the workload child, read by
 * sandbox_container_exec(). Not for use outside sandbox/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "sandbox/ctr_internal.h"

struct sandbox_seccomp_filter;

/* Record in cfg->state_dir what the workload becomes: its user, groups, capability set caps,
 * no_new_privs, working directory, environment and seccomp filter (NULL = none). */
int sandbox_exec_record(const struct sandbox_container_config *cfg, uint64_t caps,
                        const struct sandbox_seccomp_filter *filter, struct sandbox_fail *f);

/* The record read back. Strings point into body. */
struct sandbox_exec_info {
    char *body;
    const char *id, *cwd;
    char **env; /* NULL-terminated */
    uid_t uid;
    gid_t gid;
    gid_t *groups;
    size_t n_groups;
    uint64_t caps;
    bool no_new_privs;
    struct sandbox_seccomp_filter *filter; /* NULL = none */
};

/* -ENOENT (with a message saying so) for a container started by an older Tank. */
int sandbox_exec_info_read(const char *state_dir, struct sandbox_exec_info *in, struct tk_err *err);
void sandbox_exec_info_free(struct sandbox_exec_info *in);
