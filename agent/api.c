#include "agent/api.h"
#include "agent/api-int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/apiconn.h"
#include "agent/events.h"
#include "agent/loop.h"
#include "agent/metrics.h"
#include "agent/reconcile.h"
#include "agent/sync.h"
#include "agent/volumes.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/alloc.h"

struct api {
    struct loop *loop;
    struct reconciler *r;           /* tank delete stops pods through it */
    struct sync *sync;              /* NULL without [sync] */
    struct MHD_Daemon *metrics_mhd; /* [agent] metrics_listen: GET /metrics on TCP */
    struct apiconns metrics_conns;
    int metrics_epoll_fd;
    uint64_t metrics_timer;
    struct MHD_Daemon *mhd;
    struct apiconns conns;
    int listen_fd;
    bool listen_fd_owned;
    int epoll_fd;
    uint64_t timer;
    char *path;
    dev_t sock_dev; /* the socket this agent bound, the only one it removes */
    ino_t sock_ino;
    struct sync_request *watchers; /* GET /v1/events?after=N waiting for an event */
    uint64_t watch_timer;
};

/* A client is dropped after this long without sending or reading a byte. */
#define API_IDLE_TIMEOUT_S 10
/* Connections served at once, half the fd limit within these bounds (the other half stays for
 * pods, pulls and manifests); more wait in the listen backlog, never refused for good. */
#define API_MIN_CONNECTIONS 64
#define API_MAX_CONNECTIONS 4096
#define API_LISTEN_BACKLOG 256
/* Bytes a connection may buffer (request line and headers included). */
#define API_CONNECTION_MEMORY (16 * 1024)

/* ---- HTTP ---- */

static int64_t on_mhd_timer(struct loop *loop, uint64_t id, void *data);

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, char *body,
                               const char *type)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        apiconn_responding(conn, true);
    return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    return respond(conn, status, api_dump(json_pack("{s:s}", "error", msg)), "application/json");
}

/* POST /v1/sync: the connection waits (suspended) for the end of a pass. */
struct sync_request {
    struct api *api;
    struct MHD_Connection *conn;
    bool started, done;
    char *revision;
    char *error;
    bool watch;                /* a GET /v1/events?after=N instead */
    struct sync_request *next; /* in api->watchers while suspended */
};

/* Resume every waiting GET /v1/events?after=N (they answer with what they have). */
static void wake_watchers(struct api *api)
{
    if (!api->watchers)
        return;
    while (api->watchers) {
        struct sync_request *q = api->watchers;
        api->watchers = q->next;
        q->next = NULL;
        q->done = true;
        MHD_resume_connection(q->conn);
    }
    loop_del_timer(api->loop, api->timer);
    api->timer = loop_add_timer(api->loop, 0, on_mhd_timer, api);
}

void api_events_changed(void *data)
{
    wake_watchers(data);
}

/* A waiting watcher is answered (unchanged) after this long, so no connection idles. */
#define API_WATCH_MS 5000

static int64_t on_watch_timer(struct loop *loop, uint64_t id, void *data)
{
    wake_watchers(data);
    return API_WATCH_MS;
}

static void unwatch(struct sync_request *q)
{
    for (struct sync_request **p = &q->api->watchers; *p; p = &(*p)->next) {
        if (*p == q) {
            *p = q->next;
            break;
        }
    }
}

static void on_synced(const char *revision, const char *error, void *data)
{
    struct sync_request *q = data;
    q->done = true;
    q->revision = revision ? tk_xstrdup(revision) : NULL;
    q->error = error ? tk_xstrdup(error) : NULL;
    MHD_resume_connection(q->conn);
    /* the server runs the connection on its next pass */
    loop_del_timer(q->api->loop, q->api->timer);
    q->api->timer = loop_add_timer(q->api->loop, 0, on_mhd_timer, q->api);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    apiconn_responding(conn, false);
    struct sync_request *q = *con_cls;
    if (!q)
        return;
    if (q->watch)
        unwatch(q);
    free(q->revision);
    free(q->error);
    free(q);
    *con_cls = NULL;
}

static enum MHD_Result handle_sync(struct api *api, struct MHD_Connection *conn,
                                   size_t *upload_size, void **con_cls)
{
    struct sync_request *q = *con_cls;
    if (!q) { /* the headers: the body (if any) comes next */
        q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        *q = (struct sync_request){.api = api, .conn = conn};
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) { /* a webhook's payload: not needed */
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->done) {
        json_t *o = json_pack("{s:o, s:o}", "revision", api_str_or_null(q->revision), "error",
                              api_str_or_null(q->error));
        return respond(conn, q->error ? MHD_HTTP_BAD_GATEWAY : MHD_HTTP_OK, api_dump(o),
                       "application/json");
    }
    if (q->started)
        return MHD_YES;
    if (!api->sync)
        return respond_error(conn, MHD_HTTP_CONFLICT, "no [sync] repo is configured");
    q->started = true;
    MHD_suspend_connection(conn);
    if (sync_now(api->sync, on_synced, q) < 0)
        on_synced(NULL, "out of memory", q);
    return MHD_YES;
}

/* GET /v1/events[?pod=P][&after=N]: the events, and "next", the position after them; with
 * after=N while no event came after N, the answer waits (suspended) for the next event or
 * API_WATCH_MS, whichever is first: `tank status -w` watches without polling. */
static enum MHD_Result handle_events(struct api *api, struct MHD_Connection *conn, void **con_cls)
{
    const char *pod = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "pod");
    const char *after = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "after");
    const char *since = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
    uint64_t total = reconcile_events_total(api->r);
    struct sync_request *q = *con_cls;
    if (since) { /* the kept events (agent/events.h), those of earlier agents too */
        int64_t ns = since[0] ? events_parse_time(since) : 0;
        if (ns < 0)
            return respond_error(conn, MHD_HTTP_BAD_REQUEST,
                                 "since: not a time (2026-01-02T03:04:05Z or Unix seconds)");
        return respond(conn, MHD_HTTP_OK, events_json(ns, pod), "application/json");
    }
    if (after && !q) { /* the headers: wait for the end of the request */
        q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        *q = (struct sync_request){.api = api, .conn = conn, .watch = true};
        *con_cls = q;
        return MHD_YES;
    }
    if (after && !q->done && strtoull(after, NULL, 10) >= total) {
        q->next = api->watchers;
        api->watchers = q;
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    _cleanup_free_ char *body = api_events_json(api->r, pod);
    json_t *o = body ? json_loads(body, 0, NULL) : NULL;
    if (!o)
        return MHD_NO;
    json_object_set_new(o, "next", json_integer((json_int_t)total));
    return respond(conn, MHD_HTTP_OK, api_dump(o), "application/json");
}

/* DELETE /v1/volumes/NAME: taken out of use, for the caller to purge (volumes.h). */
static enum MHD_Result delete_volume(struct api *api, struct MHD_Connection *conn, const char *name)
{
    struct tk_err err = {0};
    int r = volumes_release(api->r, name, &err);
    if (r == -EBUSY)
        return respond_error(conn, MHD_HTTP_CONFLICT, err.msg);
    if (r == -ENOENT)
        return respond_error(conn, MHD_HTTP_NOT_FOUND, err.msg);
    if (r < 0)
        return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
    json_t *o = json_pack("{s:s}", "name", name);
    json_object_set_new(o, "path", json_sprintf(VOLUMES_REMOVING "%s", name));
    return respond(conn, MHD_HTTP_OK, api_dump(o), "application/json");
}

/* DELETE /v1/pods/NAME: a pod a Deployment or DaemonSet owns is stopped (tank delete). */
static enum MHD_Result handle_delete(struct api *api, struct MHD_Connection *conn, const char *name)
{
    char msg[300];
    int r = reconcile_delete_pod(api->r, name);
    if (r == -ENOENT) {
        snprintf(msg, sizeof(msg), "pod '%.200s' not found", name);
        return respond_error(conn, MHD_HTTP_NOT_FOUND, msg);
    }
    if (r < 0) {
        snprintf(msg, sizeof(msg),
                 "pod '%.200s' is not owned by a Deployment or DaemonSet: remove its manifest",
                 name);
        return respond_error(conn, MHD_HTTP_CONFLICT, msg);
    }
    json_t *o = json_pack("{s:s, s:s}", "name", name, "status", "deleted");
    return respond(conn, MHD_HTTP_OK, api_dump(o), "application/json");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct api *api = cls;
    if (!strcmp(url, "/v1/sync")) {
        if (strcmp(method, "POST"))
            return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only POST is supported");
        return handle_sync(api, conn, upload_size, con_cls);
    }
    if (!strncmp(url, "/v1/volumes/", 12) && !strcmp(method, "DELETE"))
        return delete_volume(api, conn, url + 12);
    if (!strcmp(method, "DELETE") && !strncmp(url, "/v1/pods/", 9))
        return handle_delete(api, conn, url + 9);
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is supported");
    if (!strcmp(url, "/v1/volumes"))
        return respond(conn, MHD_HTTP_OK, volumes_json(api->r), "application/json");
    const char *json = "application/json";
    if (!strcmp(url, "/healthz"))
        return respond(conn, MHD_HTTP_OK, strdup("ok\n"), "text/plain");
    if (!strcmp(url, "/metrics"))
        return respond(conn, MHD_HTTP_OK, metrics_render(api->r, api->sync),
                       "text/plain; version=0.0.4; charset=utf-8");
    if (!strcmp(url, "/v1/pods") || !strcmp(url, "/v1/pods/"))
        return respond(conn, MHD_HTTP_OK, api_pods_sync_json(api->r, api->sync), json);
    const char *slash = !strncmp(url, "/v1/pods/", 9) ? strchr(url + 9, '/') : NULL;
    if (slash && !strcmp(slash, "/manifest")) {
        _cleanup_free_ char *name = strndup(url + 9, (size_t)(slash - url - 9));
        const char *why = "out of memory";
        char *body = name ? api_pod_manifest(api->r, name, &why) : NULL;
        if (!body) {
            char msg[400];
            snprintf(msg, sizeof(msg), "pod '%.200s': %s", name ? name : "", why);
            return respond_error(conn, MHD_HTTP_NOT_FOUND, msg);
        }
        return respond(conn, MHD_HTTP_OK, body, "text/yaml; charset=utf-8");
    }
    if (!strncmp(url, "/v1/pods/", 9)) {
        char *body = api_pod_json(api->r, url + 9);
        if (!body) {
            char msg[300];
            snprintf(msg, sizeof(msg), "pod '%.200s' not found", url + 9);
            return respond_error(conn, MHD_HTTP_NOT_FOUND, msg);
        }
        return respond(conn, MHD_HTTP_OK, body, json);
    }
    if (!strcmp(url, "/v1/events"))
        return handle_events(api, conn, con_cls);
    return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static unsigned mhd_connections(struct api *api)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/*
 * One pass of the server, then its next deadline. At its connection limit (or when accept
 * fails with EMFILE) the server takes the listening socket out of its epoll set; it puts it
 * back only at the start of its next pass, while the connections that free a place are
 * reaped at the end of a pass. Nothing would wake that next pass (the listening socket is
 * no longer watched, and an idle server has no deadline), so connections waiting in the
 * backlog were never accepted again: whenever a pass closed connections, run another one
 * right away from a timer (never in a loop here, the event loop keeps turning).
 */
static void run_mhd(struct api *api)
{
    unsigned before = mhd_connections(api);
    apiconns_run(&api->conns, api->mhd);
    bool closed = mhd_connections(api) < before;
    MHD_UNSIGNED_LONG_LONG t;
    loop_del_timer(api->loop, api->timer);
    api->timer = 0;
    if (closed)
        api->timer = loop_add_timer(api->loop, 0, on_mhd_timer, api);
    else if (MHD_get_timeout(api->mhd, &t) == MHD_YES)
        api->timer = loop_add_timer(api->loop, (int64_t)t, on_mhd_timer, api);
}

static int64_t on_mhd_timer(struct loop *loop, uint64_t id, void *data)
{
    struct api *api = data;
    api->timer = 0;
    run_mhd(api);
    return LOOP_TIMER_DONE;
}

static void on_mhd_fd(struct loop *loop, int fd, uint32_t events, void *data)
{
    run_mhd(data);
}

static int listen_unix(struct api *api, const char *path, struct tk_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return tk_err_set(err, -ENAMETOOLONG, "listen on '%s': path too long", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    _cleanup_free_ char *dir = strdup(path);
    if (!dir)
        return tk_err_sys(err, -ENOMEM, "listen on '%s'", path);
    int r = tk_mkdir_p(dirname(dir), 0755);
    if (r < 0)
        return tk_err_sys(err, r, "listen on '%s': create its directory", path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return tk_err_set(err, -EEXIST,
                              "listen on '%s': a file that is not a socket is "
                              "in the way",
                              path);
        unlink(path); /* stale: the caller holds the agent's lock on this socket */
    }
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return tk_err_sys(err, -errno, "listen on '%s'", path);
    mode_t old = umask(0177);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || chmod(path, 0600) < 0 || listen(fd, API_LISTEN_BACKLOG) < 0 ||
        lstat(path, &st) < 0)
        return tk_err_sys(err, -errno, "listen on '%s'", path);
    api->sock_dev = st.st_dev;
    api->sock_ino = st.st_ino;
    return TAKE_FD(fd);
}

static unsigned connection_limit(void)
{
    struct rlimit rl;
    rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur / 2 : API_MIN_CONNECTIONS;
    if (n < API_MIN_CONNECTIONS)
        n = API_MIN_CONNECTIONS;
    return n > API_MAX_CONNECTIONS ? API_MAX_CONNECTIONS : (unsigned)n;
}

struct api *api_new(struct loop *loop, const char *socket_path, struct reconciler *r,
                    struct tk_err *err)
{
    struct api *api = calloc(1, sizeof(*api));
    if (!api) {
        tk_err_sys(err, -ENOMEM, "start the status API");
        return NULL;
    }
    api->loop = loop;
    api->r = r;
    api->conns.idle_s = API_IDLE_TIMEOUT_S;
    api->metrics_conns.idle_s = API_IDLE_TIMEOUT_S;
    api->epoll_fd = -1;
    api->metrics_epoll_fd = -1;
    api->path = strdup(socket_path);
    api->listen_fd = listen_unix(api, socket_path, err);
    api->listen_fd_owned = true;
    if (api->listen_fd < 0 || !api->path) {
        api_free(api);
        return NULL;
    }
    api->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, handle, api,
        MHD_OPTION_LISTEN_SOCKET, api->listen_fd, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)API_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        apiconns_notify, &api->conns, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        api->mhd ? MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info) {
        tk_err_set(err, -EIO, "start the status API on '%s': the HTTP server did not start",
                   socket_path);
        api_free(api);
        return NULL;
    }
    api->listen_fd_owned = false; /* the server closes it when stopped */
    api->epoll_fd = info->epoll_fd;
    int rr = loop_add_fd(loop, api->epoll_fd, EPOLLIN, on_mhd_fd, api);
    if (rr < 0) {
        tk_err_sys(err, rr, "start the status API");
        api_free(api);
        return NULL;
    }
    api->watch_timer = loop_add_timer(loop, API_WATCH_MS, on_watch_timer, api);
    return api;
}

/* ---- GET /metrics on TCP ([agent] metrics_listen) ---- */

static enum MHD_Result handle_tcp(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct api *api = cls;
    if (!strncmp(url, "/v1/volumes/", 12) && !strcmp(method, "DELETE"))
        return delete_volume(api, conn, url + 12);
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is supported");
    if (!strcmp(url, "/v1/volumes"))
        return respond(conn, MHD_HTTP_OK, volumes_json(api->r), "application/json");
    if (strcmp(url, "/metrics"))
        return respond_error(conn, MHD_HTTP_NOT_FOUND, "only /metrics is served here");
    return respond(conn, MHD_HTTP_OK, metrics_render(api->r, api->sync),
                   "text/plain; version=0.0.4; charset=utf-8");
}

static int64_t on_metrics_timer(struct loop *loop, uint64_t id, void *data);

static void run_metrics(struct api *api)
{
    MHD_UNSIGNED_LONG_LONG t;
    apiconns_run(&api->metrics_conns, api->metrics_mhd);
    loop_del_timer(api->loop, api->metrics_timer);
    api->metrics_timer = 0;
    if (MHD_get_timeout(api->metrics_mhd, &t) == MHD_YES)
        api->metrics_timer = loop_add_timer(api->loop, (int64_t)t, on_metrics_timer, api);
}

static int64_t on_metrics_timer(struct loop *loop, uint64_t id, void *data)
{
    struct api *api = data;
    api->metrics_timer = 0;
    run_metrics(api);
    return LOOP_TIMER_DONE;
}

static void on_metrics_fd(struct loop *loop, int fd, uint32_t events, void *data)
{
    run_metrics(data);
}

/* "127.0.0.1:9100", "[::1]:9100": a listening TCP socket bound to that address only. */
static int listen_tcp(const char *addr, struct tk_err *err)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    size_t len = colon ? (size_t)(colon - addr) : 0;
    if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']')
        addr++, len -= 2;
    if (!colon || !len || len >= sizeof(host))
        return tk_err_set(err, -EINVAL, "metrics_listen '%s': not ADDRESS:PORT", addr);
    memcpy(host, addr, len);
    host[len] = '\0';
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
        return tk_err_set(err, -EINVAL, "metrics_listen '%s': not ADDRESS:PORT", addr);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        int e = -errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return tk_err_sys(err, e, "listen on metrics_listen '%s'", addr);
    }
    freeaddrinfo(ai);
    return fd;
}

int api_listen_metrics(struct api *api, const char *addr, struct tk_err *err)
{
    int fd = listen_tcp(addr, err);
    if (fd < 0)
        return fd;
    api->metrics_mhd = MHD_start_daemon(
        MHD_USE_EPOLL, 0, NULL, NULL, handle_tcp, api, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)API_MIN_CONNECTIONS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)API_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, apiconns_notify, &api->metrics_conns, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        api->metrics_mhd ? MHD_get_daemon_info(api->metrics_mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info) {
        if (!api->metrics_mhd)
            close(fd);
        return tk_err_set(err, -EIO, "serve metrics on '%s': the HTTP server did not start", addr);
    }
    int r = loop_add_fd(api->loop, info->epoll_fd, EPOLLIN, on_metrics_fd, api);
    if (r < 0)
        return tk_err_sys(err, r, "serve metrics on '%s'", addr);
    api->metrics_epoll_fd = info->epoll_fd;
    return 0;
}

void api_set_sync(struct api *api, struct sync *sync)
{
    api->sync = sync;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    if (api->epoll_fd >= 0)
        loop_del_fd(api->loop, api->epoll_fd);
    if (api->metrics_epoll_fd >= 0)
        loop_del_fd(api->loop, api->metrics_epoll_fd);
    loop_del_timer(api->loop, api->metrics_timer);
    if (api->metrics_mhd)
        MHD_stop_daemon(api->metrics_mhd);
    wake_watchers(api); /* no connection may stay suspended when the server stops */
    if (api->watch_timer)
        loop_del_timer(api->loop, api->watch_timer);
    loop_del_timer(api->loop, api->timer);
    if (api->mhd)
        MHD_stop_daemon(api->mhd);
    if (api->listen_fd >= 0) {
        if (api->listen_fd_owned)
            close(api->listen_fd);
        struct stat st; /* never another agent's socket that replaced ours */
        if (lstat(api->path, &st) == 0 && st.st_dev == api->sock_dev && st.st_ino == api->sock_ino)
            unlink(api->path);
    }
    free(api->path);
    free(api);
}
