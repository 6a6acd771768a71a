/* The init of a pod's shared PID namespace. See podinit.h. */
#include "sandbox/podinit.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/ctr_internal.h"
#include "sandbox/layout.h"

/* Its command line, as ps shows it in the pod: NAME instead of the agent's (which it forked
 * from, with its configuration's path): the argument area (/proc/self/stat fields 48 and 49,
 * arg_start and arg_end) overwritten in place. */
static void set_cmdline(const char *name)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 48; field++) /* to the space before field 48 */
        p = strchr(p + 1, ' ');
    unsigned long start, end;
    if (!p || sscanf(p, " %lu %lu", &start, &end) != 2 || end <= start ||
        end - start <= strlen(name))
        return;
    memset((void *)start, 0, end - start);
    memcpy((void *)start, name, strlen(name));
}

/* pid 1: every signal blocked; SIGCHLD wakes it to reap, SIGTERM ends it (its namespace
 * with it). Nothing of the caller stays open. */
static _Noreturn void init_main(void)
{
    static const char name[] = "tank-pod-init";
    sigset_t all, wake;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    setsid();
    prctl(PR_SET_NAME, name);
    set_cmdline(name);
    if (syscall(SYS_close_range, 0, ~0U, 0) < 0)
        for (int fd = 0; fd < 65536; fd++)
            close(fd);
    int null = open("/dev/null", O_RDWR); /* fds 0, 1, 2 */
    if (null == 0)
        dup2(0, 1), dup2(0, 2);
    if (chdir("/") < 0)
        _exit(1);
    sigemptyset(&wake);
    sigaddset(&wake, SIGCHLD);
    sigaddset(&wake, SIGTERM);
    for (;;) {
        int sig = sigwaitinfo(&wake, NULL);
        if (sig == SIGTERM)
            _exit(0);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

int podinit_start(const char *pod_dir, struct tk_err *err)
{
    char ns[PATH_MAX], src[64], rec[128], file[PATH_MAX];
    snprintf(ns, sizeof(ns), "%s/ns/pid", pod_dir);
    snprintf(file, sizeof(file), "%s/pidinit", pod_dir);
    int fd = open(ns, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return tk_err_sys(err, -errno, "create '%s'", ns);
    close(fd);
    if (unshare(CLONE_NEWPID) < 0)
        return tk_err_sys(err, -errno, "create the pod's PID namespace");
    pid_t pid = fork();
    if (pid < 0)
        return tk_err_sys(err, -errno, "fork the pod's init");
    if (pid == 0)
        init_main();
    uint64_t start = 0;
    snprintf(src, sizeof(src), "/proc/%d/ns/pid", (int)pid);
    int r = sandbox_proc_start_time(pid, &start);
    if (r < 0 || mount(src, ns, NULL, MS_BIND, NULL) < 0) {
        r = tk_err_sys(err, r < 0 ? r : -errno, "bind the pod's PID namespace onto '%s'", ns);
        kill(pid, SIGKILL);
        return r;
    }
    int n = snprintf(rec, sizeof(rec), "pid=%d\nstart=%llu\n", (int)pid, (unsigned long long)start);
    r = tk_write_file_replace(file, rec, (size_t)n, 0644);
    if (r < 0) {
        kill(pid, SIGKILL);
        return tk_err_sys(err, r, "write '%s'", file);
    }
    return 0;
}

/* The init's pid when it still runs, else 0. */
static pid_t init_pid(const char *pod_dir)
{
    char file[PATH_MAX];
    _cleanup_free_ char *body = NULL;
    int pid = 0;
    unsigned long long start = 0;
    uint64_t now = 0;
    snprintf(file, sizeof(file), "%s/pidinit", pod_dir);
    if (tk_read_file(file, 256, &body, NULL) < 0 ||
        sscanf(body, "pid=%d\nstart=%llu", &pid, &start) != 2 || pid <= 1)
        return 0;
    if (sandbox_proc_start_time(pid, &now) < 0 || now != start)
        return 0;
    return pid;
}

bool podinit_alive(const char *pod_dir)
{
    return init_pid(pod_dir) > 0;
}

void podinit_kill(const char *pod_dir)
{
    pid_t pid = init_pid(pod_dir);
    if (!pid)
        return;
    kill(pid, SIGKILL);
    for (int i = 0; i < 100 && init_pid(pod_dir); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
