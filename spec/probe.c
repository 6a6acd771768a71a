/* Probes of a container (livenessProbe, readinessProbe, startupProbe): Kubernetes' fields,
 * defaults and checks. */
#include "spec/spec-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"

const char *spec_probe_type_name(enum spec_probe_type t)
{
    static const char *const names[] = {"liveness", "readiness", "startup"};
    return (unsigned)t < SPEC_N_PROBES ? names[t] : "unknown";
}

struct probe_ctx {
    struct spec_probe *p;
    int handlers;
};

static void f_port(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_probe *p = ((struct probe_ctx *)obj)->p;
    int64_t n;
    if (v->type == YN_SCALAR && v->kind != YS_INT) {
        want_checked(w, v, path, &p->port_name, spec_is_port_name,
                     "a port number or the name of one of the container's ports");
        return;
    }
    if (want_int(w, v, path, 1, 65535, &n))
        p->port = (int32_t)n;
}

static void f_host(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_str(w, v, path, &((struct probe_ctx *)obj)->p->host);
}

static bool is_http_path(const char *s)
{
    return s[0] == '/' && !strpbrk(s, " \r\n");
}

static void f_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_checked(w, v, path, &((struct probe_ctx *)obj)->p->path, is_http_path,
                 "an absolute URL path without spaces");
}

static void f_scheme(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"HTTP", "HTTPS"};
    int i;
    if (want_enum(w, v, path, names, 2, &i))
        ((struct probe_ctx *)obj)->p->https = i == 1;
}

static bool is_header_name(const char *s)
{
    return *s && !s[strcspn(s, " \t\r\n:()<>@,;\\\"/[]?={}")];
}

static bool is_header_value(const char *s)
{
    return !strpbrk(s, "\r\n");
}

static void f_header_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_checked(w, v, path, &((struct spec_http_header *)obj)->name, is_header_name,
                 "an HTTP header name");
}

static void f_header_value(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_checked(w, v, path, &((struct spec_http_header *)obj)->value, is_header_value,
                 "a header value on one line");
}

static void f_headers(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"name", f_header_name}, {"value", f_header_value}};
    struct spec_probe *p = ((struct probe_ctx *)obj)->p;
    if (!want_seq(w, v, path))
        return;
    p->headers = tk_xcalloc(v->n + 1, sizeof(*p->headers));
    p->n_headers = v->n;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *ip = path_idx(path, i);
        if (walk_map(w, v->items[i], ip, fields, TK_ARRAY_SIZE(fields), &p->headers[i]) &&
            !p->headers[i].name)
            wreq(w, v->items[i], ip, "name", NULL);
        if (!p->headers[i].value)
            p->headers[i].value = tk_xstrdup("");
    }
}

static void f_command(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_probe *p = ((struct probe_ctx *)obj)->p;
    if (want_str_list(w, v, path, &p->command, &p->n_command, NULL, NULL) && !p->n_command)
        werr(w, v, path, "must not be empty");
}

static void f_service(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_str(w, v, path, &((struct probe_ctx *)obj)->p->service);
}

/* One handler: its fields, and which of them are required. */
static void handler(struct walk *w, const struct ynode *v, const char *path, void *obj,
                    enum spec_probe_kind kind)
{
    static const struct field exec_f[] = {{"command", f_command}};
    static const struct field http_f[] = {{"path", f_path},
                                          {"port", f_port},
                                          {"host", f_host},
                                          {"scheme", f_scheme},
                                          {"httpHeaders", f_headers}};
    static const struct field tcp_f[] = {{"port", f_port}, {"host", f_host}};
    static const struct field grpc_f[] = {{"port", f_port}, {"service", f_service}};
    static const struct {
        const struct field *f;
        size_t n;
        const char *required;
    } t[] = {[SPEC_PROBE_EXEC] = {exec_f, 1, "command"},
             [SPEC_PROBE_HTTP] = {http_f, 5, "port"},
             [SPEC_PROBE_TCP] = {tcp_f, 2, "port"},
             [SPEC_PROBE_GRPC] = {grpc_f, 2, "port"}};
    struct probe_ctx *x = obj;
    x->handlers++;
    if (x->handlers > 1) {
        werr(w, v, path, "may not specify more than 1 handler type");
        return;
    }
    x->p->kind = kind;
    if (walk_map(w, v, path, t[kind].f, t[kind].n, x) && !ynode_get(v, t[kind].required))
        wreq(w, v, path, t[kind].required, NULL);
    if (kind == SPEC_PROBE_GRPC && x->p->port_name) { /* Kubernetes: an int32, never a name */
        _cleanup_free_ char *pp = path_key(path, "port");
        werr(w, ynode_get(v, "port"), pp, "must be a port number (a grpc probe takes no name)");
    }
}

#define HANDLER(fn, kind)                                                                          \
    static void fn(struct walk *w, const struct ynode *v, const char *path, void *obj)             \
    {                                                                                              \
        handler(w, v, path, obj, kind);                                                            \
    }
HANDLER(f_exec, SPEC_PROBE_EXEC)
HANDLER(f_http, SPEC_PROBE_HTTP)
HANDLER(f_tcp, SPEC_PROBE_TCP)
HANDLER(f_grpc, SPEC_PROBE_GRPC)

static void f_sleep_seconds(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    int64_t n;
    if (want_int(w, v, path, 1, INT32_MAX, &n))
        ((struct probe_ctx *)obj)->p->sleep_s = (int32_t)n;
}

static void f_sleep(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"seconds", f_sleep_seconds}};
    struct probe_ctx *x = obj;
    if (++x->handlers > 1) {
        werr(w, v, path, "may not specify more than 1 handler type");
        return;
    }
    x->p->kind = SPEC_PROBE_SLEEP;
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), x) && !ynode_get(v, "seconds"))
        wreq(w, v, path, "seconds", NULL);
}

static void f_hook_tcp(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    (void)obj;
    werr(w, v, path,
         "not supported in a lifecycle hook (exec, httpGet or sleep), as in Kubernetes");
}

#define INT_FIELD(fn, member, min)                                                                 \
    static void fn(struct walk *w, const struct ynode *v, const char *path, void *obj)             \
    {                                                                                              \
        int64_t n;                                                                                 \
        if (want_int(w, v, path, min, INT32_MAX, &n))                                              \
            ((struct probe_ctx *)obj)->p->member = (int32_t)n;                                     \
    }
INT_FIELD(f_delay, initial_delay_s, 0)
INT_FIELD(f_period, period_s, 1)
INT_FIELD(f_timeout, timeout_s, 1)
INT_FIELD(f_success, success_threshold, 1)
INT_FIELD(f_failure, failure_threshold, 1)

static void f_grace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    int64_t n;
    if (want_int(w, v, path, 1, INT32_MAX, &n))
        ((struct probe_ctx *)obj)->p->grace_s = n;
}

struct spec_probe *spec_probe_walk(struct walk *w, const struct ynode *v, const char *path,
                                   enum spec_probe_type type)
{
    static const struct field fields[] = {
        {"exec", f_exec},
        {"httpGet", f_http},
        {"tcpSocket", f_tcp},
        {"grpc", f_grpc},
        {"initialDelaySeconds", f_delay},
        {"periodSeconds", f_period},
        {"timeoutSeconds", f_timeout},
        {"successThreshold", f_success},
        {"failureThreshold", f_failure},
        {"terminationGracePeriodSeconds", f_grace},
    };
    struct spec_probe *p = tk_xcalloc(1, sizeof(*p));
    *p = (struct spec_probe){.period_s = 10,
                             .timeout_s = 1,
                             .success_threshold = 1,
                             .failure_threshold = 3,
                             .grace_s = -1};
    struct probe_ctx x = {p, 0};
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &x))
        return p;
    if (!x.handlers)
        werr(w, v, path, "must specify a handler type (exec, httpGet, tcpSocket or grpc)");
    if (type != SPEC_READINESS && p->success_threshold != 1)
        werr(w, v, path, "successThreshold: must be 1 for a %s probe", spec_probe_type_name(type));
    if (type == SPEC_READINESS && p->grace_s >= 0)
        werr(w, v, path, "terminationGracePeriodSeconds: must not be set for a readiness probe");
    if (p->kind == SPEC_PROBE_HTTP && !p->path)
        p->path = tk_xstrdup("/");
    return p;
}

struct spec_probe *spec_hook_walk(struct walk *w, const struct ynode *v, const char *path)
{
    static const struct field fields[] = {
        {"exec", f_exec}, {"httpGet", f_http}, {"sleep", f_sleep}, {"tcpSocket", f_hook_tcp}};
    struct spec_probe *p = tk_xcalloc(1, sizeof(*p));
    *p = (struct spec_probe){.period_s = 10,
                             .timeout_s = 1,
                             .success_threshold = 1,
                             .failure_threshold = 3,
                             .grace_s = -1};
    struct probe_ctx x = {p, 0};
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &x))
        return p;
    if (!x.handlers && !ynode_get(v, "tcpSocket"))
        werr(w, v, path, "must specify a handler type (exec, httpGet or sleep)");
    if (p->kind == SPEC_PROBE_HTTP && !p->path)
        p->path = tk_xstrdup("/");
    return p;
}

void spec_probe_free(struct spec_probe *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_command; i++)
        free(p->command[i]);
    free(p->command);
    free(p->port_name);
    free(p->host);
    free(p->path);
    for (size_t i = 0; i < p->n_headers; i++) {
        free(p->headers[i].name);
        free(p->headers[i].value);
    }
    free(p->headers);
    free(p->service);
    free(p);
}

struct spec_probe *spec_probe_dup(const struct spec_probe *s)
{
    if (!s)
        return NULL;
    struct spec_probe *d = tk_xcalloc(1, sizeof(*d));
    *d = *s;
    d->command = s->command ? tk_xcalloc(s->n_command + 1, sizeof(char *)) : NULL;
    for (size_t i = 0; i < s->n_command; i++)
        d->command[i] = tk_xstrdup(s->command[i]);
    d->port_name = s->port_name ? tk_xstrdup(s->port_name) : NULL;
    d->host = s->host ? tk_xstrdup(s->host) : NULL;
    d->path = s->path ? tk_xstrdup(s->path) : NULL;
    d->service = s->service ? tk_xstrdup(s->service) : NULL;
    d->headers = s->headers ? tk_xcalloc(s->n_headers + 1, sizeof(*d->headers)) : NULL;
    for (size_t i = 0; i < s->n_headers; i++) {
        d->headers[i].name = tk_xstrdup(s->headers[i].name);
        d->headers[i].value = tk_xstrdup(s->headers[i].value);
    }
    return d;
}

char *spec_probe_describe(const struct spec_probe *p)
{
    struct tk_buf b = TK_BUF_INIT;
    switch (p->kind) {
    case SPEC_PROBE_EXEC:
        tk_buf_adds(&b, "exec [");
        for (size_t i = 0; i < p->n_command; i++)
            tk_buf_addf(&b, "%s%s", i ? " " : "", p->command[i]);
        tk_buf_adds(&b, "]");
        break;
    case SPEC_PROBE_HTTP:
        tk_buf_addf(&b, "http-get %s://%s:%d%s", p->https ? "https" : "http",
                    p->host ? p->host : "", p->port, p->path ? p->path : "/");
        for (size_t i = 0; i < p->n_headers; i++)
            tk_buf_addf(&b, " %s=%s", p->headers[i].name, p->headers[i].value);
        break;
    case SPEC_PROBE_TCP:
        tk_buf_addf(&b, "tcp-socket %s:%d", p->host ? p->host : "", p->port);
        break;
    case SPEC_PROBE_GRPC:
        tk_buf_addf(&b, "grpc <pod>:%d %s", p->port, p->service ? p->service : "");
        break;
    case SPEC_PROBE_SLEEP:
        tk_buf_addf(&b, "sleep %ds", p->sleep_s);
        return tk_buf_detach(&b);
    }
    tk_buf_addf(&b, " delay=%ds timeout=%ds period=%ds #success=%d #failure=%d", p->initial_delay_s,
                p->timeout_s, p->period_s, p->success_threshold, p->failure_threshold);
    if (p->grace_s >= 0)
        tk_buf_addf(&b, " grace=%llds", (long long)p->grace_s);
    return tk_buf_detach(&b);
}
