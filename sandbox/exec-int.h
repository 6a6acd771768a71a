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

/* ---- between sandbox_container_exec() (exec.c) and the exec helper (exec_helper.c) ---- */

enum { EXEC_HELPER_CHAN = 3, EXEC_HELPER_PIDFD = 4 }; /* the helper's fds (besides 0, 1, 2) */

/* One record on the channel (a SOCK_SEQPACKET pair: each arrives whole). XMSG_PTY carries the
 * terminal's master side as SCM_RIGHTS. */
enum { XMSG_PID = 1, XMSG_FAIL, XMSG_PTY };
struct xmsg {
    int type;
    pid_t pid;
    struct sandbox_fail fail;
};

/* The helper's main (argv and fds: see exec_helper.c); returns its exit status. */
int sandbox_exec_helper_main(int argc, char **argv);
