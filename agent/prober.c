/* Probes of running containers. See prober.h. */
#include "agent/prober.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent/config.h"
#include "agent/loop.h"
#include "agent/podworker-int.h"
#include "agent/probe_grpc.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "sandbox/exec.h"
#include "sandbox/layout.h"

#define PROBE_OUTPUT_MAX 1024

struct probe {
    struct ctr *c;
    enum spec_probe_type type;
    uint64_t timer;           /* every periodSeconds (after initialDelaySeconds) */
    uint64_t deadline;        /* the run under way's timeoutSeconds */
    bool busy;                /* a run is under way */
    int successes;            /* consecutive */
    int failures;             /* consecutive */
    struct sandbox_exec x;    /* exec: the helper (x.pid > 0 while it runs) */
    int fd;                   /* exec: its output pipe; net: the socket; -1 */
    struct tk_buf out;        /* what it said */
    bool connected;           /* net: the connection is up */
    bool sent;                /* net: the request is queued (after TLS's handshake) */
    uint32_t events;          /* net: what the socket waits for */
    SSL *ssl;                 /* HTTPS: the session */
    bool tls_up;              /* HTTPS: the handshake is over */
    struct tk_buf tx;         /* net: the bytes to send */
    size_t tx_off;            /* net: how many went */
    struct probe_grpc_rx grx; /* grpc: the answer so far */
    struct probe **run;       /* exec: the child watch's pointer back (cleared to give up) */
    /* A lifecycle hook's run instead of a probe's (probe_hook_start) */
    enum probe_hook hook;
    int64_t hook_deadline_ms; /* 0: none */
    void (*done)(struct ctr *c, bool ok, const char *msg);
};

static int own_netns = -1;

/* The probe's spec (the pod's current one: a spec replaced under a running pod has the same
 * hash, so the same probes). */
#define PP(pr) (*spec_of(pr))

static struct spec_probe *const *spec_of(const struct probe *pr)
{
    const struct spec_container *sc = ctr_spec(pr->c);
    switch (pr->hook) {
    case PROBE_HOOK_POST_START:
        return &sc->post_start;
    case PROBE_HOOK_PRE_STOP:
        return &sc->pre_stop;
    default:
        return &sc->probes[pr->type];
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t started_ms; /* when the agent started (probe_init) */

int probe_init(void)
{
    started_ms = mono_ms();
    srandom((unsigned)started_ms ^ (unsigned)getpid());
    if (own_netns < 0)
        own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    return own_netns < 0 ? -errno : 0;
}

static const char *kind_name(enum spec_probe_type t)
{
    static const char *const n[] = {"Liveness", "Readiness", "Startup"};
    return n[t];
}

static struct loop *loop_of(const struct probe *pr)
{
    return pr->c->pod->env.loop;
}

static void run_end(struct probe *pr)
{
    loop_del_timer(loop_of(pr), pr->deadline);
    pr->deadline = 0;
    if (pr->fd >= 0) {
        loop_del_fd(loop_of(pr), pr->fd);
        close(pr->fd);
        pr->fd = -1;
    }
    if (pr->x.pid > 0) {
        sandbox_exec_kill(&pr->x);
        pr->x.pid = 0; /* the child watch reaps it */
    }
    if (pr->run) {
        *pr->run = NULL;
        pr->run = NULL;
    }
    if (pr->ssl) {
        SSL_free(pr->ssl);
        pr->ssl = NULL;
    }
    tk_buf_reset(&pr->out);
    tk_buf_free(&pr->tx);
    probe_grpc_rx_reset(&pr->grx);
    sandbox_exec_free(&pr->x);
    pr->busy = false;
    pr->connected = pr->sent = pr->tls_up = false;
    pr->tx_off = 0;
    pr->events = 0;
}

static void kill_ctr(struct probe *pr, const char *why)
{
    struct ctr *c = pr->c;
    struct pod *p = c->pod;
    int64_t grace = PP(pr)->grace_s >= 0 ? PP(pr)->grace_s * 1000 : p->grace_ms;
    pod_emit(p, c, "Killing", "Container %s %s, will be restarted", c->name, why);
    ctr_kill_graceful(c, grace);
}

/* A hook's run ended: it is freed, then its caller hears how it went. */
static void hook_result(struct probe *pr, bool ok, const char *msg)
{
    struct ctr *c = pr->c;
    void (*done)(struct ctr *, bool, const char *) = pr->done;
    char text[1024];
    snprintf(text, sizeof(text), "%s", msg);
    run_end(pr);
    loop_del_timer(loop_of(pr), pr->timer);
    tk_buf_free(&pr->out);
    if (c->hook == pr)
        c->hook = NULL;
    free(pr);
    done(c, ok, text);
}

static void result(struct probe *pr, bool ok, const char *msg)
{
    struct ctr *c = pr->c;
    if (pr->hook) {
        hook_result(pr, ok, msg);
        return;
    }
    run_end(pr);
    pr->successes = ok ? pr->successes + 1 : 0;
    pr->failures = ok ? 0 : pr->failures + 1;
    if (!ok)
        pod_emit(c->pod, c, "Unhealthy", "%s probe failed: %s", kind_name(pr->type), msg);
    switch (pr->type) {
    case SPEC_STARTUP:
        if (ok && pr->successes >= PP(pr)->success_threshold && !c->started) {
            c->started = true;
            if (!c->probes[SPEC_READINESS])
                c->ready = true;
        } else if (!ok && pr->failures >= PP(pr)->failure_threshold) {
            kill_ctr(pr, "failed startup probe");
        }
        break;
    case SPEC_LIVENESS:
        if (!ok && pr->failures >= PP(pr)->failure_threshold) {
            pr->failures = 0;
            kill_ctr(pr, "failed liveness probe");
        }
        break;
    case SPEC_READINESS:
        if (ok && pr->successes >= PP(pr)->success_threshold)
            c->ready = true;
        else if (!ok && pr->failures >= PP(pr)->failure_threshold)
            c->ready = false;
        break;
    default:
        break;
    }
    pod_conditions_update(c->pod);
}

/* ---- exec ---- */

static void exec_done(struct loop *loop, pid_t pid, int status, void *data)
{
    (void)loop;
    (void)pid;
    struct probe **run = data, *pr = *run;
    free(run);
    if (!pr) /* a run given up: only reaped */
        return;
    pr->run = NULL;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (pr->fd >= 0) { /* what is left of its output */
        char buf[512];
        ssize_t n;
        while (pr->out.len < PROBE_OUTPUT_MAX && (n = read(pr->fd, buf, sizeof(buf))) > 0)
            tk_buf_add(&pr->out, buf, (size_t)n);
    }
    sandbox_exec_advance(&pr->x);
    pr->x.pid = 0;
    _cleanup_buf_ struct tk_buf msg = TK_BUF_INIT;
    if (pr->x.failed)
        tk_buf_addf(&msg, "%s", pr->x.msg);
    else if (code && pr->out.len) /* what it said, as the kubelet reports it */
        tk_buf_add(&msg, pr->out.s, pr->out.len);
    else if (code)
        tk_buf_addf(&msg, "command exited with %d", code);
    while (msg.len && (msg.s[msg.len - 1] == '\n'))
        msg.s[--msg.len] = 0;
    result(pr, code == 0 && !pr->x.failed, msg.s ? msg.s : "");
}

static void exec_output(struct loop *loop, int fd, uint32_t events, void *data)
{
    (void)loop;
    (void)events;
    struct probe *pr = data;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0 && pr->out.len < PROBE_OUTPUT_MAX)
        tk_buf_add(&pr->out, buf, (size_t)n);
    else if (n == 0 || (n < 0 && errno != EAGAIN)) {
        loop_del_fd(loop_of(pr), pr->fd);
        close(pr->fd);
        pr->fd = -1;
    }
}

static int exec_start(struct probe *pr, char *msg, size_t size)
{
    struct pod *p = pr->c->pod;
    _cleanup_free_ char *sd = runtime_ctr_state_dir(p->env.cfg->run_dir, p->name, pr->c->name);
    int pfd[2];
    struct tk_err err = {0};
    if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
        return snprintf(msg, size, "pipe: %s", strerror(errno)), -1;
    struct sandbox_exec_config cfg = {
        .argv = PP(pr)->command, .in_fd = -1, .out_fd = pfd[1], .err_fd = pfd[1]};
    int r = sandbox_container_exec(sd, &cfg, &pr->x, &err);
    close(pfd[1]);
    if (r < 0) {
        close(pfd[0]);
        return snprintf(msg, size, "%s", err.msg), -1;
    }
    pr->fd = pfd[0];
    loop_add_fd(loop_of(pr), pr->fd, EPOLLIN, exec_output, pr);
    pr->run = malloc(sizeof(*pr->run));
    if (pr->run)
        *pr->run = pr;
    if (!pr->run || loop_watch_child(loop_of(pr), pr->x.pid, exec_done, pr->run) < 0) {
        free(pr->run);
        pr->run = NULL;
        return snprintf(msg, size, "cannot watch the probe's process"), -1;
    }
    return 0;
}

/* ---- tcpSocket, httpGet ---- */

/* A non-blocking socket connecting to the probe's address from inside the pod's network
 * namespace (the agent's own for a hostNetwork pod). */
static int net_connect(struct probe *pr, char *msg, size_t size)
{
    struct pod *p = pr->c->pod;
    const char *host = PP(pr)->host ? PP(pr)->host : p->n_ips ? p->ips[0] : "127.0.0.1";
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET, in4->sin_port = htons((uint16_t)PP(pr)->port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6, in6->sin6_port = htons((uint16_t)PP(pr)->port);
        len = sizeof(*in6);
    } else {
        return snprintf(msg, size, "host '%s' is not an IP address", host), -1;
    }
    char nsbuf[PATH_MAX];
    const char *ns = NULL;
    if (!p->spec->host_network) {
        if (sandbox_pod_path(nsbuf, sizeof(nsbuf), p->env.cfg->run_dir, p->name, "ns/net") < 0)
            return snprintf(msg, size, "the pod's network namespace path is too long"), -1;
        ns = nsbuf;
    }
    _cleanup_close_ int nsfd = ns ? open(ns, O_RDONLY | O_CLOEXEC) : -1;
    if (ns && (nsfd < 0 || own_netns < 0 || setns(nsfd, CLONE_NEWNET) < 0))
        return snprintf(msg, size, "enter the pod's network namespace: %s", strerror(errno)), -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int e = errno;
    if (ns && setns(own_netns, CLONE_NEWNET) < 0)
        abort(); /* the agent cannot go on in a pod's namespace */
    if (fd < 0)
        return snprintf(msg, size, "socket: %s", strerror(e)), -1;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        snprintf(msg, size, "dial tcp %s:%d: connect: %s", host, PP(pr)->port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The request's bytes: HTTP/1.1 GET, or the gRPC call. */
static void net_request(struct probe *pr)
{
    struct pod *p = pr->c->pod;
    const char *host = PP(pr)->host ? PP(pr)->host : p->n_ips ? p->ips[0] : "127.0.0.1";
    struct tk_buf *b = &pr->tx;
    char authority[128];
    snprintf(authority, sizeof(authority), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
             PP(pr)->port);
    if (PP(pr)->kind == SPEC_PROBE_GRPC) {
        probe_grpc_request(b, authority, PP(pr)->service ? PP(pr)->service : "");
        return;
    }
    bool has_host = false, has_ua = false, has_accept = false;
    tk_buf_addf(b, "GET %s HTTP/1.1\r\n", PP(pr)->path ? PP(pr)->path : "/");
    for (size_t i = 0; i < PP(pr)->n_headers; i++) {
        const struct spec_http_header *h = &PP(pr)->headers[i];
        has_host |= !strcasecmp(h->name, "Host");
        has_ua |= !strcasecmp(h->name, "User-Agent");
        has_accept |= !strcasecmp(h->name, "Accept");
        tk_buf_addf(b, "%s: %s\r\n", h->name, h->value);
    }
    if (!has_host)
        tk_buf_addf(b, "Host: %s\r\n", authority);
    if (!has_ua)
        tk_buf_adds(b, "User-Agent: kube-probe/1.29\r\n");
    if (!has_accept)
        tk_buf_adds(b, "Accept: */*\r\n");
    tk_buf_adds(b, "Connection: close\r\n\r\n");
}

/* The status line is in: 200..399 is a success. */
static bool http_status(struct probe *pr)
{
    char *eol = pr->out.s ? strstr(pr->out.s, "\r\n") : NULL;
    if (!eol)
        return false;
    int code = 0;
    char msg[128];
    if (sscanf(pr->out.s, "HTTP/%*d.%*d %d", &code) != 1) {
        result(pr, false, "HTTP probe failed: malformed status line");
        return true;
    }
    snprintf(msg, sizeof(msg), "HTTP probe failed with statuscode: %d", code);
    result(pr, code >= 200 && code < 400, msg);
    return true;
}

static void net_event(struct loop *loop, int fd, uint32_t events, void *data);

/* Wait for EVENTS on the socket (re-registered when they change). */
static void net_want(struct probe *pr, uint32_t events)
{
    if (pr->events == events)
        return;
    loop_del_fd(loop_of(pr), pr->fd);
    loop_add_fd(loop_of(pr), pr->fd, events, net_event, pr);
    pr->events = events;
}

/* The TLS context of HTTPS probes: no certificate check, as the kubelet. */
static SSL_CTX *tls_ctx(void)
{
    static SSL_CTX *ctx;
    if (!ctx && (ctx = SSL_CTX_new(TLS_client_method()))) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
    }
    return ctx;
}

/* What an OpenSSL call's result R means: > 0 done, -EAGAIN waiting (for the events it
 * asked), 0 the peer closed, -EIO an error (MSG set). */
static int tls_result(struct probe *pr, int r, const char *what, char *msg, size_t size)
{
    if (r > 0)
        return r;
    switch (SSL_get_error(pr->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        return net_want(pr, EPOLLIN), -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        return net_want(pr, EPOLLOUT), -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default: {
        unsigned long e = ERR_get_error();
        char reason[160];
        ERR_error_string_n(e, reason, sizeof(reason));
        ERR_clear_error();
        snprintf(msg, size, "%s: %s", what, e ? reason : strerror(errno ? errno : EPIPE));
        return -EIO;
    }
    }
}

/* Move bytes: > 0 moved, 0 end of stream, -EAGAIN would block, -EIO (MSG set). */
static ssize_t net_io(struct probe *pr, bool out, void *buf, size_t len, char *msg, size_t size)
{
    if (pr->ssl) {
        int n = out ? SSL_write(pr->ssl, buf, (int)len) : SSL_read(pr->ssl, buf, (int)len);
        return tls_result(pr, n, out ? "TLS write" : "TLS read", msg, size);
    }
    ssize_t n = out ? send(pr->fd, buf, len, MSG_NOSIGNAL) : recv(pr->fd, buf, len, 0);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return net_want(pr, out ? EPOLLOUT : EPOLLIN), -EAGAIN;
    snprintf(msg, size, "%s: %s", out ? "send" : "read", strerror(errno));
    return -EIO;
}

/* Bytes arrived (N = 0: the end): true when the run is over (result() called). */
static bool net_input(struct probe *pr, const char *buf, ssize_t n)
{
    char msg[256];
    if (PP(pr)->kind == SPEC_PROBE_GRPC) {
        if (n > 0 && pr->out.len < 64 * 1024)
            tk_buf_add(&pr->out, buf, (size_t)n);
        int r = probe_grpc_feed(&pr->grx, (const uint8_t *)pr->out.s, pr->out.len, &pr->tx, msg,
                                sizeof(msg));
        if (r == 0 && n == 0)
            r = -1, snprintf(msg, sizeof(msg), "rpc error: connection closed before an answer");
        if (r != 0)
            result(pr, r > 0, msg);
        return r != 0;
    }
    if (n > 0 && pr->out.len < PROBE_OUTPUT_MAX)
        tk_buf_add(&pr->out, buf, (size_t)n);
    if (http_status(pr))
        return true;
    if (n == 0 || pr->out.len >= PROBE_OUTPUT_MAX) {
        result(pr, false,
               n ? "HTTP probe failed: status line too long"
                 : "HTTP probe failed: connection closed before a response");
        return true;
    }
    return false;
}

/* Send what is queued, read what comes, until the run ends or the socket would block. */
static void net_talk(struct probe *pr)
{
    char msg[256], buf[2048];
    for (;;) {
        while (pr->tx_off < pr->tx.len) {
            ssize_t n =
                net_io(pr, true, pr->tx.s + pr->tx_off, pr->tx.len - pr->tx_off, msg, sizeof(msg));
            if (n == -EAGAIN)
                return;
            if (n <= 0) {
                result(pr, false, n ? msg : "connection closed while sending");
                return;
            }
            pr->tx_off += (size_t)n;
        }
        ssize_t n = net_io(pr, false, buf, sizeof(buf), msg, sizeof(msg));
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            result(pr, false, msg);
            return;
        }
        if (net_input(pr, buf, n))
            return;
        if (n == 0)
            return;
    }
}

/* Connected: a TCP probe succeeds; HTTPS shakes hands first; the others send. */
static void net_connected(struct probe *pr)
{
    char msg[256];
    if (PP(pr)->kind == SPEC_PROBE_TCP) {
        result(pr, true, "");
        return;
    }
    if (PP(pr)->https && !pr->ssl) {
        SSL_CTX *ctx = tls_ctx();
        pr->ssl = ctx ? SSL_new(ctx) : NULL;
        if (!pr->ssl || !SSL_set_fd(pr->ssl, pr->fd)) {
            result(pr, false, "HTTP probe failed: cannot set up TLS");
            return;
        }
    }
    if (pr->ssl && !pr->tls_up) {
        int r = tls_result(pr, SSL_connect(pr->ssl), "HTTP probe failed: TLS handshake", msg,
                           sizeof(msg));
        if (r == -EAGAIN)
            return;
        if (r <= 0) {
            result(pr, false, r ? msg : "HTTP probe failed: TLS handshake: connection closed");
            return;
        }
        pr->tls_up = true;
    }
    pr->sent = true;
    net_request(pr);
    net_talk(pr);
}

static void net_event(struct loop *loop, int fd, uint32_t events, void *data)
{
    (void)loop;
    (void)events;
    struct probe *pr = data;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    char msg[256];
    if (!pr->connected) {
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr) {
            snprintf(msg, sizeof(msg), "dial tcp :%d: connect: %s", PP(pr)->port, strerror(soerr));
            result(pr, false, msg);
            return;
        }
        pr->connected = true;
    }
    if (!pr->sent)
        net_connected(pr);
    else
        net_talk(pr);
}

/* ---- the schedule ---- */

static int64_t on_deadline(struct loop *loop, uint64_t id, void *data)
{
    (void)loop;
    (void)id;
    struct probe *pr = data;
    char msg[128];
    pr->deadline = 0;
    if (pr->hook)
        snprintf(msg, sizeof(msg), "timed out after %llds",
                 (long long)(pr->hook_deadline_ms + 999) / 1000);
    else if (PP(pr)->kind == SPEC_PROBE_EXEC)
        snprintf(msg, sizeof(msg), "command timed out after %ds", PP(pr)->timeout_s);
    else
        snprintf(msg, sizeof(msg), "timeout: no answer within %ds", PP(pr)->timeout_s);
    result(pr, false, msg);
    return LOOP_TIMER_DONE;
}

static void run_start(struct probe *pr)
{
    char msg[512] = "";
    pr->busy = true;
    if (PP(pr)->kind == SPEC_PROBE_EXEC) {
        if (exec_start(pr, msg, sizeof(msg)) < 0) {
            result(pr, false, msg);
            return;
        }
    } else {
        int fd = net_connect(pr, msg, sizeof(msg));
        if (fd < 0) {
            result(pr, false, msg);
            return;
        }
        pr->fd = fd;
        pr->events = EPOLLOUT;
        loop_add_fd(loop_of(pr), fd, EPOLLOUT, net_event, pr);
    }
    int64_t ms = pr->hook ? pr->hook_deadline_ms : (int64_t)PP(pr)->timeout_s * 1000;
    if (ms > 0)
        pr->deadline = loop_add_timer(loop_of(pr), ms, on_deadline, pr);
}

/* A run is due: skipped while one is under way, and for liveness and readiness until the
 * container has started (its startup probe succeeded). */
static int64_t on_period(struct loop *loop, uint64_t id, void *data)
{
    (void)loop;
    (void)id;
    struct probe *pr = data;
    if (!pr->busy && (pr->type == SPEC_STARTUP ? !pr->c->started : pr->c->started))
        run_start(pr);
    return (int64_t)PP(pr)->period_s * 1000;
}

void probe_ctr_running(struct ctr *c)
{
    probe_ctr_stopped(c);
    const struct spec_container *sc = ctr_spec(c);
    if (!sc)
        return; /* adopted before its manifest is known: pod_attach_spec() starts them */
    c->probing = true;
    c->started = !sc->probes[SPEC_STARTUP];
    c->ready = c->started && !sc->probes[SPEC_READINESS];
    for (int t = 0; t < SPEC_N_PROBES; t++) {
        if (!sc->probes[t])
            continue;
        struct probe *pr = calloc(1, sizeof(*pr));
        if (!pr)
            continue;
        *pr = (struct probe){.c = c,
                             .type = t,
                             .fd = -1,
                             .x = {.status_fd = -1, .pty_master = -1},
                             .grx = {.grpc_status = -1}};
        /* Within a period of the agent's start (containers adopted all at once), the first
         * run waits a random part of a period more, as the kubelet's workers do, so the
         * probes of many pods do not all run in the same instant every period. */
        int64_t period = (int64_t)PP(pr)->period_s * 1000, delay = PP(pr)->initial_delay_s * 1000LL;
        if (mono_ms() - started_ms < period)
            delay += random() % period;
        pr->timer = loop_add_timer(c->pod->env.loop, delay, on_period, pr);
        c->probes[t] = pr;
    }
}

void probe_ctr_stopped(struct ctr *c)
{
    for (int t = 0; t < SPEC_N_PROBES; t++) {
        struct probe *pr = c->probes[t];
        if (!pr)
            continue;
        run_end(pr);
        loop_del_timer(c->pod->env.loop, pr->timer);
        tk_buf_free(&pr->out);
        free(pr);
        c->probes[t] = NULL;
    }
    c->ready = false;
    c->probing = false;
}

/* ---- lifecycle hooks ---- */

static int64_t on_hook_sleep(struct loop *loop, uint64_t id, void *data)
{
    (void)loop;
    (void)id;
    struct probe *pr = data;
    pr->timer = 0;
    result(pr, true, "");
    return LOOP_TIMER_DONE;
}

void probe_hook_start(struct ctr *c, enum probe_hook which, int64_t deadline_ms,
                      void (*done)(struct ctr *c, bool ok, const char *msg))
{
    probe_hook_cancel(c);
    struct probe *pr = calloc(1, sizeof(*pr));
    if (!pr) {
        done(c, false, "out of memory");
        return;
    }
    *pr = (struct probe){.c = c,
                         .fd = -1,
                         .x = {.status_fd = -1, .pty_master = -1},
                         .hook = which,
                         .hook_deadline_ms = deadline_ms,
                         .done = done};
    c->hook = pr;
    if (PP(pr)->kind == SPEC_PROBE_SLEEP) {
        pr->busy = true;
        pr->timer = loop_add_timer(loop_of(pr), (int64_t)PP(pr)->sleep_s * 1000, on_hook_sleep, pr);
        return;
    }
    run_start(pr);
}

void probe_hook_cancel(struct ctr *c)
{
    struct probe *pr = c->hook;
    if (!pr)
        return;
    c->hook = NULL;
    run_end(pr);
    loop_del_timer(c->pod->env.loop, pr->timer);
    tk_buf_free(&pr->out);
    free(pr);
}
