/*
 * The exec helper: the small static program (sandbox/exechelper, embedded in tank and run from
 * a sealed memfd) that sandbox_container_exec() starts for each tank exec, exec probe and
 * exec hook. It reads the container's exec record, joins the cgroups the caller named and the
 * workload's namespaces, starts the command as the workload was started, waits for it and
 * exits with its status. Being exec'd, it costs its caller a vfork and an execve, not a
 * copy of the agent's address space.
 *
 * argv: tank-exec -s STATE_DIR -p CALLER_PID -w WORKLOAD_PID [-t -r ROWS -c COLS]
 *                 [-g CGROUP_DIR]... [-e K=V]... -- COMMAND ARG...
 * fds:  0, 1, 2 the command's stdio (without -t); 3 the channel to the caller (struct xmsg
 *       records, sandbox/exec-int.h); 4 a pidfd of the workload.
 */
#include "sandbox/exec-int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "sandbox/cgroup_int.h"
#include "sandbox/seccomp.h"

struct exec_ctx {
    char **argv, **extra, **cgroups; /* NULL-terminated */
    const char *state_dir;
    struct sandbox_exec_info info;
    char **env; /* the container's environment with extra over it */
    pid_t wpid, caller;
    int tty;
    unsigned short rows, cols;
    int ns_flags;
};

/* Tell the caller why the command cannot run, and end (127: not found, else 126). */
static _Noreturn void exec_fail(int chan, const struct sandbox_fail *f)
{
    struct xmsg m = {.type = XMSG_FAIL, .fail = *f};
    sandbox_send_fd(chan, &m, sizeof(m), -1);
    _exit(f->stage == SANDBOX_STAGE_EXEC && f->err == ENOENT ? 127 : 126);
}

/* The namespaces of pid other than ours (CLONE_NEW* flags). */
static int ns_differ(pid_t pid)
{
    static const struct {
        const char *name;
        int flag;
    } ns[] = {{"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID}, {"net", CLONE_NEWNET},
              {"uts", CLONE_NEWUTS},  {"ipc", CLONE_NEWIPC}, {"cgroup", CLONE_NEWCGROUP},
              {"user", CLONE_NEWUSER}};
    int flags = 0;
    for (size_t i = 0; i < TK_ARRAY_SIZE(ns); i++) {
        char a[64], b[64];
        struct stat sa, sb;
        snprintf(a, sizeof(a), "/proc/self/ns/%s", ns[i].name);
        snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, ns[i].name);
        if (stat(b, &sb) < 0)
            continue; /* a namespace type this kernel lacks */
        if (stat(a, &sa) < 0 || sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
            flags |= ns[i].flag;
    }
    return flags;
}

/* fds 0, 1, 2 of the command with tty: a terminal of the container's own /dev/pts, its master
 * passed to the caller (without tty they are the helper's 0, 1, 2 as the caller gave them). */
static int tty_take(const struct exec_ctx *c, struct sandbox_fail *f)
{
    struct sandbox_tty t = {.rows = c->rows, .cols = c->cols};
    struct xmsg msg = {.type = XMSG_PTY};
    return sandbox_tty_take(&t, EXEC_HELPER_CHAN, &msg, sizeof(msg), f);
}

/* In the container's PID namespace: become what the workload became, then exec. */
static _Noreturn void command_main(const struct exec_ctx *c)
{
    struct sandbox_fail f = {0};
    const struct sandbox_exec_info *in = &c->info;
    struct sandbox_container_config cc = {
        .id = in->id,
        .argv = c->argv,
        .env = c->env,
        .cwd = in->cwd,
        .uid = in->uid,
        .gid = in->gid,
        .groups = in->groups,
        .n_groups = in->n_groups,
        .no_new_privs = in->no_new_privs,
    };
    char path[PATH_MAX];
    if (setsid() < 0)
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, errno, "setsid");
    else if (sandbox_keyring_join(&cc, &f) < 0)
        ;
    else if ((c->ns_flags & CLONE_NEWUSER) && setns(EXEC_HELPER_PIDFD, CLONE_NEWUSER) < 0)
        sandbox_fail(&f, SANDBOX_STAGE_SETNS, errno, "join the container's user namespace");
    else if (!cc.no_new_privs && sandbox_seccomp_apply(in->filter, &f) < 0)
        ;
    else if (sandbox_user_caps_apply(&cc, in->caps, &f) < 0 || (c->tty && tty_take(c, &f) < 0))
        ;
    else if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, errno, "set the parent-death signal");
    else if (chdir(cc.cwd) < 0)
        sandbox_fail(&f, SANDBOX_STAGE_CWD, errno, "chdir '%s'", cc.cwd);
    else if (sandbox_find_exec(&cc, path, sizeof(path), &f) < 0)
        ;
    else if (cc.no_new_privs && sandbox_seccomp_apply(in->filter, &f) < 0)
        ;
    else {
        execve(path, cc.argv, cc.env);
        sandbox_fail(&f, SANDBOX_STAGE_EXEC, errno, "exec %s", path);
    }
    exec_fail(EXEC_HELPER_CHAN, &f);
}

static int command_entry(void *arg)
{
    command_main(arg);
}

/* The command, in the PID namespace the helper joined: a vfork-like clone that shares the
 * helper's memory (and stops it) until its execve; a plain fork where it must join a user
 * namespace, which a task sharing its memory cannot. */
static pid_t spawn_command(struct exec_ctx *c)
{
    static char stack[256 * 1024] __attribute__((aligned(16)));
    if (c->ns_flags & CLONE_NEWUSER) {
        pid_t pid = fork();
        if (pid == 0)
            command_main(c);
        return pid;
    }
    return clone(command_entry, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, c);
}

/* The container's environment with extra over it (and TERM for a terminal). */
static int merge_env(struct exec_ctx *c)
{
    size_t n = 0, k = 0;
    for (char **e = c->info.env; *e; e++)
        n++;
    for (char *const *e = c->extra; *e; e++)
        n++;
    c->env = calloc(n + 2, sizeof(char *));
    if (!c->env)
        return -ENOMEM;
    for (char **e = c->info.env; *e; e++) {
        size_t kl = strcspn(*e, "=");
        bool over = false;
        for (char *const *x = c->extra; *x && !over; x++)
            over = !strncmp(*x, *e, kl + 1);
        if (!over)
            c->env[k++] = *e;
    }
    for (char *const *e = c->extra; *e; e++)
        c->env[k++] = *e;
    bool term = false;
    for (size_t i = 0; i < k; i++)
        term |= !strncmp(c->env[i], "TERM=", 5);
    if (c->tty && !term)
        c->env[k++] = "TERM=xterm";
    return 0;
}

/* The arguments, as sandbox_container_exec() writes them. */
static int parse_args(int argc, char **argv, struct exec_ctx *c)
{
    size_t ne = 0, ng = 0;
    c->extra = calloc((size_t)argc, sizeof(char *));
    c->cgroups = calloc((size_t)argc, sizeof(char *));
    if (!c->extra || !c->cgroups)
        return -ENOMEM;
    int i = 1;
    for (; i + 1 < argc && strcmp(argv[i], "--"); i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "-s"))
            c->state_dir = v;
        else if (!strcmp(o, "-p"))
            c->caller = (pid_t)atoi(v);
        else if (!strcmp(o, "-w"))
            c->wpid = (pid_t)atoi(v);
        else if (!strcmp(o, "-t"))
            c->tty = atoi(v);
        else if (!strcmp(o, "-r"))
            c->rows = (unsigned short)atoi(v);
        else if (!strcmp(o, "-c"))
            c->cols = (unsigned short)atoi(v);
        else if (!strcmp(o, "-g"))
            c->cgroups[ng++] = (char *)v;
        else if (!strcmp(o, "-e"))
            c->extra[ne++] = (char *)v;
        else
            return -EINVAL;
    }
    if (i >= argc - 1 || !c->state_dir || c->caller <= 0 || c->wpid <= 0)
        return -EINVAL;
    c->argv = argv + i + 1;
    return 0;
}

/* Outside the container's PID namespace: join its cgroups and namespaces, spawn the command,
 * wait for it and exit with its status. */
int sandbox_exec_helper_main(int argc, char **argv)
{
    struct exec_ctx c = {0};
    struct sandbox_fail f = {0};
    struct tk_err e = {0};
    syscall(SYS_close_range, EXEC_HELPER_PIDFD + 1, ~0U, 0);
    /* Not dumpable, so not ptrace-able by the container: the command shares the helper's
     * memory until its execve, in the container's PID namespace (t3140). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
        parse_args(argc, argv, &c) < 0 || getppid() != c.caller)
        return 126;
    fcntl(EXEC_HELPER_CHAN, F_SETFD, FD_CLOEXEC);
    fcntl(EXEC_HELPER_PIDFD, F_SETFD, FD_CLOEXEC);
    sandbox_reset_signals();
    char spid[16];
    snprintf(spid, sizeof(spid), "%d", (int)getpid());
    if (sandbox_exec_info_read(c.state_dir, &c.info, &e) < 0 || merge_env(&c) < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETUP, 0, "%s", e.msg[0] ? e.msg : "out of memory");
        exec_fail(EXEC_HELPER_CHAN, &f);
    }
    for (char **g = c.cgroups; *g; g++) {
        int r = sandbox_cgroup_write(*g, "cgroup.procs", spid);
        if (r < 0) {
            sandbox_fail(&f, SANDBOX_STAGE_SETUP, -r, "join cgroup '%s'", *g);
            exec_fail(EXEC_HELPER_CHAN, &f);
        }
    }
    c.ns_flags = ns_differ(c.wpid);
    int flags = c.ns_flags & ~CLONE_NEWUSER;
    if (flags && setns(EXEC_HELPER_PIDFD, flags) < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_SETNS, errno, "join the container's namespaces");
        exec_fail(EXEC_HELPER_CHAN, &f);
    }
    pid_t pid = spawn_command(&c);
    if (pid < 0) {
        sandbox_fail(&f, SANDBOX_STAGE_CLONE, errno, "fork");
        exec_fail(EXEC_HELPER_CHAN, &f);
    }
    struct xmsg m = {.type = XMSG_PID, .pid = pid};
    sandbox_send_fd(EXEC_HELPER_CHAN, &m, sizeof(m), -1);
    close(EXEC_HELPER_CHAN);
    close(EXEC_HELPER_PIDFD);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 126;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
