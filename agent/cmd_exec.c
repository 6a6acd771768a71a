/* `tank exec`: run a command in a running container (sandbox_container_exec), relaying its
 * terminal or its stdin/stdout/stderr. Needs no agent. */
#include "agent/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runtime.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/exec.h"
#include "sandbox/podsandbox.h"
#include "spec/spec.h"

static const char exec_usage[] =
    "usage: tank exec [-i] [-t] POD [-c CTR] -- COMMAND [ARG...]\n"
    "\n"
    "Run COMMAND in a running container, as its workload runs: in its namespaces, root,\n"
    "cgroups, user and groups, with its capabilities, no_new_privs, seccomp filter,\n"
    "environment and working directory. Works while the agent is stopped.\n"
    "\n"
    "  -c, --container CTR   the container (default: the pod's first)\n"
    "  -i, --stdin           pass stdin to the command\n"
    "  -t, --tty             give the command a terminal of the container's (raw mode,\n"
    "                        window size and its changes; Ctrl-C reaches the command)\n"
    "\n"
    "The exit status is the command's (126 when it cannot be run, 127 when it is not\n"
    "found, 128+N when killed by signal N); 1 when the container is not running.\n"
    "\n"
    "Example: tank exec -it web -c app -- sh\n";

struct exec_args {
    bool in, tty;
    const char *pod, *ctr;
    char **argv;
};

static int parse_short(const char *a, struct exec_args *o)
{
    for (const char *p = a + 1; *p; p++) {
        if (*p == 'i')
            o->in = true;
        else if (*p == 't')
            o->tty = true;
        else
            return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct exec_args *o)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "--stdin"))
            o->in = true;
        else if (!strcmp(a, "--tty"))
            o->tty = true;
        else if ((!strcmp(a, "-c") || !strcmp(a, "--container")) && i + 1 < argc)
            o->ctr = argv[++i];
        else if (!strncmp(a, "--container=", 12))
            o->ctr = a + 12;
        else if (a[0] == '-' && a[1] != '-' && a[1] && parse_short(a, o) == 0)
            ;
        else if (a[0] != '-' && !o->pod)
            o->pod = a;
        else if (a[0] != '-')
            break; /* kubectl's old form: the command without "--" */
        else {
            fprintf(stderr, "tank exec: unexpected argument '%s'\n%s", a, exec_usage);
            return -1;
        }
    }
    o->argv = argv + i;
    if (!o->pod || i >= argc) {
        fprintf(stderr, "tank exec: %s\n%s", o->pod ? "no COMMAND given" : "no POD given",
                exec_usage);
        return -1;
    }
    return 0;
}

/* The pod's first container that has state (by its index in the pod), into out. */
static int first_container(const char *run_dir, const char *pod, char *out, size_t size)
{
    char dir[PATH_MAX];
    if (sandbox_ctr_path(dir, sizeof(dir), run_dir, pod, NULL) < 0)
        return -ENAMETOOLONG;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *de;
    long best = -1;
    int n = 0;
    while ((de = readdir(d))) {
        if (!tk_is_dns_label(de->d_name))
            continue;
        _cleanup_free_ char *body = NULL;
        _cleanup_buf_ struct tk_buf f = TK_BUF_INIT;
        tk_buf_addf(&f, "%s/%s/" RUNTIME_INDEX_FILE, dir, de->d_name);
        long ix = 1000000;
        if (tk_read_file(f.s, 64, &body, NULL) >= 0 && sscanf(body, "%ld", &ix) != 1)
            ix = 1000000;
        if (n++ == 0 || ix < best) {
            best = ix;
            snprintf(out, size, "%s", de->d_name);
        }
    }
    return n ? 0 : -ENOENT;
}

/* ---- relaying ---- */

struct relay {
    struct sandbox_exec x;
    int sfd;                        /* signalfd */
    int to_cmd, from_out, from_err; /* pipes (without a terminal) */
    bool raw;
    struct termios saved;
    int status; /* the helper's exit status once reaped, else -1 */
};

static void relay_raw(struct relay *r)
{
    struct termios t;
    if (tcgetattr(0, &r->saved) < 0)
        return;
    t = r->saved;
    cfmakeraw(&t);
    if (tcsetattr(0, TCSANOW, &t) == 0)
        r->raw = true;
}

static void winsize_pass(const struct relay *r)
{
    struct winsize ws;
    if (r->x.pty_master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
        ioctl(r->x.pty_master, TIOCSWINSZ, &ws);
}

/* Copy what fd has to out; 0 at EOF (or EIO: a terminal whose other side is gone), 1 else. */
static int pump(int fd, int out)
{
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 1 : 0;
    if (n == 0)
        return 0;
    return tk_write_all(out, buf, (size_t)n) < 0 && out != 1 && out != 2 ? 0 : 1;
}

static void reap(struct relay *r, int flags)
{
    int st;
    if (r->status < 0 && waitpid(r->x.pid, &st, flags) == r->x.pid)
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A signal: SIGWINCH resizes; SIGCHLD may end the relay; the others (the terminal gone,
 * the user's kill) end the command and all it started. Returns 0 to stop. */
static int on_signal(struct relay *r)
{
    struct signalfd_siginfo si;
    if (read(r->sfd, &si, sizeof(si)) != sizeof(si))
        return 1;
    if (si.ssi_signo == SIGWINCH) {
        winsize_pass(r);
        return 1;
    }
    if (si.ssi_signo == SIGCHLD) {
        reap(r, WNOHANG);
        return r->status < 0;
    }
    sandbox_exec_kill(&r->x);
    reap(r, 0);
    r->status = 128 + (int)si.ssi_signo;
    return 0;
}

static void drain(struct relay *r)
{
    int fds[3] = {r->x.pty_master, r->from_out, r->from_err}, outs[3] = {1, 1, 2};
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0)
            continue;
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        char buf[16384];
        ssize_t n;
        while ((n = read(fds[i], buf, sizeof(buf))) > 0)
            tk_write_all(outs[i], buf, (size_t)n);
    }
}

/* Poll the signals, the exec channel, stdin and the command's output until the helper ends
 * (its status) or a signal ends the command. */
static int relay_loop(struct relay *r, bool in)
{
    int *in_to = r->x.pty_master >= 0 ? &r->x.pty_master : &r->to_cmd;
    bool stdin_open = in, reported = false;
    while (r->status < 0) {
        struct pollfd p[5] = {{r->sfd, POLLIN, 0},
                              {r->x.over ? -1 : r->x.status_fd, POLLIN, 0},
                              {stdin_open && *in_to >= 0 ? 0 : -1, POLLIN, 0},
                              {r->x.pty_master >= 0 ? r->x.pty_master : r->from_out, POLLIN, 0},
                              {r->from_err, POLLIN, 0}};
        if (poll(p, 5, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents && !on_signal(r))
            break;
        if (p[1].revents && sandbox_exec_advance(&r->x) < 0 && !reported) {
            reported = true;
            fprintf(stderr, "tank exec: %s\n", r->x.msg);
        }
        if (p[2].revents && !pump(0, *in_to)) {
            stdin_open = false;
            if (*in_to == r->to_cmd)
                close(TAKE_FD(r->to_cmd));
        }
        for (int i = 3; i < 5; i++)
            if (p[i].revents && !pump(p[i].fd, i == 4 ? 2 : 1)) {
                if (p[i].fd == r->from_out)
                    close(TAKE_FD(r->from_out));
                else if (p[i].fd == r->from_err)
                    close(TAKE_FD(r->from_err));
                else
                    close(TAKE_FD(r->x.pty_master));
            }
    }
    /* The helper may end before its word on a failed exec was read. */
    if (!reported && !r->x.over && sandbox_exec_advance(&r->x) < 0)
        fprintf(stderr, "tank exec: %s\n", r->x.msg);
    else if (!reported && r->x.failed)
        fprintf(stderr, "tank exec: %s\n", r->x.msg);
    drain(r);
    return r->status < 0 ? 1 : r->status;
}

static int start(struct relay *r, const char *sd, const struct exec_args *o)
{
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    struct sandbox_exec_config c = {.argv = o->argv, .tty = o->tty, .in_fd = -1};
    struct winsize ws;
    struct tk_err err = {0};
    if (o->tty && ioctl(0, TIOCGWINSZ, &ws) == 0)
        c.rows = ws.ws_row, c.cols = ws.ws_col;
    if (!o->tty && ((o->in && pipe2(pin, O_CLOEXEC) < 0) || pipe2(pout, O_CLOEXEC) < 0 ||
                    pipe2(perr, O_CLOEXEC) < 0)) {
        fprintf(stderr, "tank exec: pipe: %m\n");
        return -1;
    }
    c.in_fd = pin[0], c.out_fd = pout[1], c.err_fd = perr[1];
    int rc = sandbox_container_exec(sd, &c, &r->x, &err);
    int close_these[] = {pin[0], pout[1], perr[1]};
    for (size_t i = 0; i < TK_ARRAY_SIZE(close_these); i++)
        if (close_these[i] >= 0)
            close(close_these[i]);
    r->to_cmd = pin[1], r->from_out = pout[0], r->from_err = perr[0];
    if (rc < 0) {
        fprintf(stderr, "tank exec: pod '%s' container '%s': %s\n", o->pod, o->ctr, err.msg);
        return -1;
    }
    return 0;
}

static int run(const struct tank_config *cfg, struct exec_args *o)
{
    char ctr[256];
    if (!o->ctr && first_container(cfg->run_dir, o->pod, ctr, sizeof(ctr)) == 0)
        o->ctr = ctr;
    if (!o->ctr) {
        fprintf(stderr, "tank exec: pod '%s' has no running container\n", o->pod);
        return 1;
    }
    _cleanup_free_ char *sd = runtime_ctr_state_dir(cfg->run_dir, o->pod, o->ctr);
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGCHLD, SIGWINCH, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGPIPE};
    for (size_t i = 0; i < TK_ARRAY_SIZE(sigs); i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct relay r = {.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK),
                      .status = -1,
                      .to_cmd = -1,
                      .from_out = -1,
                      .from_err = -1};
    if (r.sfd < 0 || start(&r, sd, o) < 0)
        return 1;
    /* Until the command has its terminal, Ctrl-C in ours still stops us (and it). */
    if (o->tty && sandbox_exec_started(&r.x, 10000) == 0) {
        if (o->in)
            relay_raw(&r);
        winsize_pass(&r);
    }
    int rc = relay_loop(&r, o->in);
    if (r.raw)
        tcsetattr(0, TCSANOW, &r.saved);
    sandbox_exec_free(&r.x);
    int fds[] = {r.sfd, r.to_cmd, r.from_out, r.from_err};
    for (size_t i = 0; i < TK_ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

int cmd_exec(const struct cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, exec_usage))
        return 0;
    struct exec_args o = {0};
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    if (!tk_is_dns_label(o.pod) || (o.ctr && !tk_is_dns_label(o.ctr))) {
        fprintf(stderr, "tank exec: '%s' is not a pod or container name\n",
                tk_is_dns_label(o.pod) ? o.ctr : o.pod);
        return 2;
    }
    if (o.tty && o.in && !isatty(0)) {
        fprintf(stderr, "tank exec: unable to use a TTY: input is not a terminal\n");
        o.tty = false;
    }
    struct tank_config cfg;
    if (cli_load_config(cli, &cfg) < 0)
        return 1;
    int r = run(&cfg, &o);
    config_free(&cfg);
    return r;
}
