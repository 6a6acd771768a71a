/* ptracer: what root in a container can try against a process entering its PID namespace
 * (t3140). For SECONDS it watches the namespace's last pid and tries PTRACE_SEIZE on each new
 * one until that succeeds or the process is gone; each success prints "ATTACHED PID EXE"
 * once (EXE: readlink /proc/PID/exe). A process tank exec starts is fair game once it runs
 * the container's program; before its execve it shares memory with a helper outside the
 * container, and attaching to it then would be an escape. Built static at test time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long last_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return strtol(buf, NULL, 10);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    time_t end = time(NULL) + atoi(argv[1]);
    int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror("ns_last_pid");
        return 1;
    }
    long done = getpid(), tries = 0, cur = 0;
    int seen = 0;
    printf("READY %ld\n", done);
    fflush(stdout);
    while (time(NULL) < end) {
        int st; /* a tracee's end reaches its parent only once its tracer has seen it */
        while (waitpid(-1, &st, WNOHANG | __WALL) > 0)
            ;
        long p = last_pid(fd);
        if (p <= done)
            continue;
        if (p != cur)
            cur = p, seen = 0;
        tries++;
        if (ptrace(PTRACE_SEIZE, (pid_t)p, 0, 0) == 0) {
            char path[64], exe[256] = "?";
            snprintf(path, sizeof(path), "/proc/%ld/exe", p);
            ssize_t n = readlink(path, exe, sizeof(exe) - 1);
            exe[n > 0 ? n : 1] = 0;
            printf("ATTACHED %ld %s\n", p, exe);
            fflush(stdout);
            done = p;
        } else if (errno != ESRCH) {
            seen = 1; /* it exists, not traceable yet: try again */
        } else if (seen) {
            done = p; /* it was there and is gone */
        }
        /* ESRCH for a pid never seen is too early, not too late: fork allocates the pid
         * (ns_last_pid moves) before the task can be found by it, and setting up a child
         * in a cgroup can take milliseconds in between. Retry it until it appears or a
         * newer pid takes its place. */
    }
    printf("END %ld tries\n", tries);
    return 0;
}
