/* Test and benchmark driver of the container API (sandbox/container.h).
 *
 *   ctrctl run --state DIR (--rootfs DIR | --layer DIR...) [--rw DIR] [--log FILE]
 *              [--netns PATH] [--hostname H] [--user UID:GID] [--readonly] [--privileged]
 *              [--unconfined] [--escalate] [--cap-add CAP]... -- ARGV...
 *
 * --unconfined: no seccomp filter; --escalate: no no_new_privs (allowPrivilegeEscalation).
 *
 * Starts the container, prints "start_us N" (spawn until the workload exec'd) and
 * "pid N monitor N", waits for the monitor (60 s at most), prints "exit CODE", removes what
 * the container left (state, upper dir) and exits 0; a start failure prints
 * "error STAGE ERRNO MESSAGE" and exits 1; usage errors exit 2. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/container.h"

#define MAX_LAYERS 64

static _Noreturn void usage(const char *why)
{
    fprintf(stderr, "ctrctl: %s\n", why);
    exit(2);
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static unsigned parse_id(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || v > 0xfffffffeUL)
        usage("bad --user");
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    static const char *layers[MAX_LAYERS], *cap_add[MAX_LAYERS];
    static char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          NULL};
    struct sandbox_container_config c = {.id = "ctrctl", .env = env, .no_new_privs = 1};
    if (argc < 2 || strcmp(argv[1], "run"))
        usage("usage: ctrctl run ... -- ARGV...");
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--readonly")) {
            c.readonly_rootfs = 1;
            continue;
        }
        if (!strcmp(k, "--privileged") || !strcmp(k, "--unconfined") ||
            !strcmp(k, "--escalate")) {
            c.privileged |= !strcmp(k, "--privileged");
            c.seccomp_unconfined |= !strcmp(k, "--unconfined");
            c.no_new_privs &= !!strcmp(k, "--escalate");
            continue;
        }
        if (!v)
            usage("missing value");
        i++;
        if (!strcmp(k, "--state"))
            c.state_dir = v;
        else if (!strcmp(k, "--rootfs"))
            c.rootfs = v;
        else if (!strcmp(k, "--layer") && c.n_layers < MAX_LAYERS)
            layers[c.n_layers++] = v;
        else if (!strcmp(k, "--cap-add") && c.n_cap_add < MAX_LAYERS)
            cap_add[c.n_cap_add++] = v;
        else if (!strcmp(k, "--rw"))
            c.rw_dir = v;
        else if (!strcmp(k, "--log"))
            c.log_path = v;
        else if (!strcmp(k, "--netns"))
            c.netns = v;
        else if (!strcmp(k, "--hostname"))
            c.hostname = v;
        else if (!strcmp(k, "--user")) {
            const char *colon = strchr(v, ':');
            if (!colon)
                usage("--user UID:GID");
            c.uid = parse_id(v);
            c.gid = parse_id(colon + 1);
        } else
            usage("unknown option");
    }
    if (i >= argc - 1 || !c.state_dir || (!c.rootfs && !c.n_layers))
        usage("need --state, a rootfs and -- ARGV");
    c.layers = layers;
    c.cap_add = cap_add;
    c.argv = argv + i + 1;

    struct sandbox_container_result res;
    struct tk_err err = {0};
    long long t0 = now_us();
    int r = sandbox_container_start(&c, &res, &err);
    long long t1 = now_us();
    if (r < 0)
        printf("error %s %d %s\n", sandbox_stage_to_string(res.failed_stage), res.failed_errno,
               err.msg);
    else
        printf("start_us %lld\npid %d monitor %d\n", t1 - t0, (int)res.pid, (int)res.monitor_pid);
    fflush(stdout);
    if (res.monitor_pid > 0) {
        struct pollfd p = {.fd = res.monitor_pidfd, .events = POLLIN};
        if (res.monitor_pidfd >= 0 && poll(&p, 1, 60000) != 1) {
            sandbox_container_stop(c.state_dir, SIGKILL, 0, NULL);
            fprintf(stderr, "ctrctl: the container did not exit within 60 s, killed\n");
        }
        waitpid(res.monitor_pid, NULL, 0);
    }
    struct sandbox_container_state st;
    if (r == 0 && sandbox_container_state(c.state_dir, &st, NULL) == 0 && st.exited)
        printf("exit %d\n", st.exit_code);
    sandbox_container_cleanup(c.state_dir, c.rw_dir, 1, NULL);
    return r < 0 ? 1 : 0;
}
