/* What every process entering a container does last, whether it is the workload child
 * (sandbox/spawn.c) or a command exec'd into a running container (sandbox/exec_helper.c):
 * signals back to their defaults, its terminal, its own session keyring, the seccomp filter,
 * the program looked up in the container's PATH. No libseccomp here: the static exec helper links
 * it. */
#include "sandbox/ctr_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "sandbox/seccomp.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define KEY_USR_SEARCH 0x00080000u

void sandbox_reset_signals(void)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    for (int s = 1; s < NSIG; s++) {
        if (sigaction(s, &sa, NULL) < 0 && errno == EINVAL && s != SIGKILL && s != SIGSTOP) {
            /* glibc keeps its own real-time signals (32, 33) from sigaction(); a caller may
             * still have them ignored, which would survive the workload's exec. */
            struct {
                void *handler;
                unsigned long flags;
                void *restorer;
                uint64_t mask;
            } k = {.handler = SIG_DFL};
            syscall(SYS_rt_sigaction, s, &k, NULL, sizeof(k.mask));
        }
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
}

int sandbox_keyring_join(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    char name[300], desc[512];
    snprintf(name, sizeof(name), "_ses.%s", cfg->id);
    long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
    if (id < 0)
        return errno == ENOSYS
                   ? 0
                   : sandbox_fail(f, SANDBOX_STAGE_SECCOMP, errno, "join a new session keyring");
    /* As runc: the new keyring is also searchable by its user ("type;uid;gid;perm;desc"). */
    long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc) - 1, 0);
    if (n < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SECCOMP, errno, "describe the session keyring");
    desc[n < (long)sizeof(desc) ? n : (long)sizeof(desc) - 1] = '\0';
    const char *p = desc;
    for (int i = 0; i < 3 && p; i++)
        p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL;
    char *end;
    unsigned long perm = p ? strtoul(p, &end, 16) : 0;
    if (!p || end == p || *end != ';')
        return sandbox_fail(f, SANDBOX_STAGE_SECCOMP, 0, "session keyring: bad description '%s'",
                            desc);
    if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm | KEY_USR_SEARCH, 0, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SECCOMP, errno,
                            "set the session keyring's permissions");
    return 0;
}

int sandbox_seccomp_apply(const struct sandbox_seccomp_filter *filter, struct sandbox_fail *f)
{
    if (!filter)
        return 0;
    int r = sandbox_seccomp_load(filter);
    if (r < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SECCOMP, -r, "load the seccomp filter");
    return 0;
}

int sandbox_find_exec(const struct sandbox_container_config *cfg, char *out, size_t size,
                      struct sandbox_fail *f)
{
    const char *name = cfg->argv[0];
    if (strchr(name, '/')) {
        snprintf(out, size, "%s", name);
        return 0;
    }
    const char *path = DEFAULT_PATH;
    for (char *const *e = cfg->env; e && *e; e++)
        if (!strncmp(*e, "PATH=", 5))
            path = *e + 5;
    int seen_eacces = 0;
    while (*path) {
        size_t len = strcspn(path, ":");
        snprintf(out, size, "%.*s%s%s", (int)len, path, len ? "/" : "", name);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            seen_eacces = 1;
        }
        path += len + (path[len] == ':');
    }
    return sandbox_fail(f, SANDBOX_STAGE_EXEC, seen_eacces ? EACCES : ENOENT,
                        "exec %s: not found in PATH", name);
}

int sandbox_tty_take(const struct sandbox_tty *t, int sock, const void *msg, size_t len,
                     struct sandbox_fail *f)
{
    _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int unlock = 0;
    if (m < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "open the container's /dev/ptmx");
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "unlock the terminal");
    _cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "open the terminal");
    if (t->chown && fchown(s, t->uid, t->gid) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_USER, errno, "give the terminal to the user");
    if (t->rows && t->cols) {
        struct winsize ws = {.ws_row = t->rows, .ws_col = t->cols};
        ioctl(s, TIOCSWINSZ, &ws);
    }
    if (ioctl(s, TIOCSCTTY, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "make the terminal controlling");
    if (sandbox_send_fd(sock, msg, len, m) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, EPIPE, "pass the terminal on");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(s, fd) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "dup the terminal");
    return 0;
}
