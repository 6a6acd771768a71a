/* Registry HTTP API v2 client over one libcurl easy handle (kept for the client's life so
 * connections are reused). Layers:
 *
 *   registry_get_*      which endpoints (mirrors first), what is verified
 *   fetch_endpoint      one endpoint: authentication round trips, final status -> error
 *   http_get            one GET: redirects (Authorization only to the origin), retries
 *                       with backoff on transient failures, size and digest checks
 *   perform             one curl transfer; the callbacks parse headers and stream the body
 */
#include "image/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "image/auth.h"
#include "image/digest.h"

#define MANIFEST_MAX (4u << 20)
#define TOKEN_ANSWER_MAX (1u << 20)
#define ERROR_BODY_MAX (16u << 10)
#define AUTH_FILE_MAX (1u << 20)
#define MAX_REDIRECTS 10
#define BACKOFF_MAX_MS 8000
#define RETRY_AFTER_MAX_MS 30000
#define CURL_BUFFER_SIZE (512L << 10)
#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_API "registry-1.docker.io"

static const char MANIFEST_ACCEPT[] =
    "Accept: " REGISTRY_MT_OCI_INDEX ", " REGISTRY_MT_DOCKER_LIST ", " REGISTRY_MT_OCI_MANIFEST
    ", " REGISTRY_MT_DOCKER_MANIFEST;

struct token_entry {
    char *origin; /* "https://host:443" */
    char *repo;
    char *authz; /* the whole "Authorization: …" header line */
    int64_t expires_at_s;
    struct token_entry *next;
};

struct registry_client {
    CURL *curl;
    pid_t pid; /* the process that created curl; a forked child makes its own */
    char errbuf[CURL_ERROR_SIZE];
    char **insecure;
    size_t n_insecure;
    char **mirrors;
    size_t n_mirrors;
    char *auth_json; /* the auth file's text, NULL = anonymous */
    size_t auth_len;
    int max_retries;
    long connect_timeout_ms;
    long low_speed_secs;
    int backoff_initial_ms;
    struct token_entry *tokens;
    struct image_hasher *hasher;
};

/* One endpoint a repository is fetched from. */
struct endpoint {
    char *base;      /* "https://registry-1.docker.io", no trailing slash */
    char *origin;    /* base normalised for comparisons: "https://host:port" */
    char *cred_host; /* the auth-file key: "docker.io", "127.0.0.1:5000" */
    int plain_http;
    int is_mirror;
};

/* The state of one GET across its attempts, shared with the curl callbacks. */
struct xfer {
    struct registry_client *c;
    const char *what; /* "manifest 'x'", "blob sha256:…": error prefix */
    /* the body: into mem (max bytes) or to sink */
    struct tk_buf *mem;
    size_t max;
    registry_sink_fn sink;
    int (*reset)(void *ctx, struct tk_err *err);
    void *ctx;
    int64_t expected_size;
    const char *want_digest; /* NULL = no check */
    char got_digest[IMAGE_DIGEST_STR_SIZE];
    /* per attempt */
    long status;
    uint64_t received;
    int delivered;   /* the sink saw data since its last reset */
    int sink_failed; /* the sink itself refused data: never retried */
    int cb_rc;       /* a callback's failure (err already set) */
    struct tk_err *err;
    struct tk_buf www_auth, content_type, retry_after, docker_digest;
    struct tk_buf errbody;
};

/* ---- small helpers ---- */

static char **copy_strv(const char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof(*out));
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            for (size_t j = 0; j < i; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    return out;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void sleep_ms(long ms)
{
    /* Only pull workers and the CLI run the client; never the agent's event loop. */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int64_t now_s(void)
{
    return tk_now_realtime_ns() / 1000000000LL;
}

/* "scheme://host:port" of url in lowercase with the default port filled in; NULL when url
 * does not parse. */
static char *url_origin(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        struct tk_buf b = TK_BUF_INIT;
        tk_buf_addf(&b, "%s://%s:%s", scheme, host, port);
        for (char *p = b.s; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        out = tk_buf_detach(&b);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

static int is_insecure(const struct registry_client *c, const char *host)
{
    for (size_t i = 0; i < c->n_insecure; i++)
        if (!strcasecmp(c->insecure[i], host))
            return 1;
    return 0;
}

static void endpoint_free(struct endpoint *e)
{
    free(e->base);
    free(e->origin);
    free(e->cred_host);
    memset(e, 0, sizeof(*e));
}

/* spec is "host[:port]" or "http(s)://host[:port][/]"; cred_host NULL = the host part. */
static int endpoint_init(struct registry_client *c, struct endpoint *e, const char *spec,
                         const char *cred_host, int is_mirror)
{
    struct tk_buf b = TK_BUF_INIT;
    const char *sep = strstr(spec, "://");
    const char *host = sep ? sep + 3 : spec;
    size_t hlen = strcspn(host, "/");

    memset(e, 0, sizeof(*e));
    if (sep) {
        tk_buf_addf(&b, "%.*s", (int)(host - spec + (int)hlen), spec);
    } else {
        _cleanup_free_ char *h = strndup(host, hlen);
        tk_buf_addf(&b, "%s://%.*s", h && is_insecure(c, h) ? "http" : "https", (int)hlen, host);
    }
    e->base = tk_buf_detach(&b);
    e->origin = url_origin(e->base);
    e->cred_host = cred_host ? strdup(cred_host) : strndup(host, hlen);
    e->plain_http = !strncasecmp(e->base, "http://", 7);
    e->is_mirror = is_mirror;
    if (!e->origin || !e->cred_host) {
        endpoint_free(e);
        return -EINVAL;
    }
    return 0;
}

/* ---- curl callbacks ---- */

static curl_socket_t open_socket_cloexec(void *ctx, curlsocktype purpose,
                                         struct curl_sockaddr *addr)
{
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static void header_value(struct tk_buf *dst, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    tk_buf_reset(dst);
    tk_buf_add(dst, v, n);
}

static void xfer_reset_attempt(struct xfer *x)
{
    x->status = 0;
    x->received = 0;
    x->cb_rc = 0;
    tk_buf_reset(&x->www_auth);
    tk_buf_reset(&x->content_type);
    tk_buf_reset(&x->retry_after);
    tk_buf_reset(&x->docker_digest);
    tk_buf_reset(&x->errbody);
    if (x->mem)
        tk_buf_reset(x->mem);
    image_hasher_reset(x->c->hasher);
}

static void xfer_free(struct xfer *x)
{
    tk_buf_free(&x->www_auth);
    tk_buf_free(&x->content_type);
    tk_buf_free(&x->retry_after);
    tk_buf_free(&x->docker_digest);
    tk_buf_free(&x->errbody);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;
    const char *colon;

    if (n > 5 && !strncmp(data, "HTTP/", 5)) {
        const char *sp = memchr(data, ' ', n);
        long st = 0;
        for (const char *p = sp ? sp + 1 : data + n; p < data + n && *p >= '0' && *p <= '9'; p++)
            st = st * 10 + (*p - '0');
        xfer_reset_attempt(x);
        x->status = st;
        return n;
    }
    colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t name = (size_t)(colon - data), rest = n - name - 1;
    if (name == 16 && !strncasecmp(data, "WWW-Authenticate", 16)) {
        if (x->www_auth.len) /* several challenges: one list */
            tk_buf_adds(&x->www_auth, ", ");
        struct tk_buf v = TK_BUF_INIT;
        header_value(&v, colon + 1, rest);
        tk_buf_add(&x->www_auth, tk_buf_str(&v), v.len);
        tk_buf_free(&v);
    } else if (name == 12 && !strncasecmp(data, "Content-Type", 12)) {
        header_value(&x->content_type, colon + 1, rest);
    } else if (name == 11 && !strncasecmp(data, "Retry-After", 11)) {
        header_value(&x->retry_after, colon + 1, rest);
    } else if (name == 21 && !strncasecmp(data, "Docker-Content-Digest", 21)) {
        header_value(&x->docker_digest, colon + 1, rest);
    }
    return n;
}

static int body_wanted(const struct xfer *x)
{
    return x->status >= 200 && x->status < 300;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;

    if (!body_wanted(x)) { /* error and redirect bodies: keep the start for messages */
        if (x->errbody.len < ERROR_BODY_MAX)
            tk_buf_add(&x->errbody, data,
                       n < ERROR_BODY_MAX - x->errbody.len ? n : ERROR_BODY_MAX - x->errbody.len);
        return n;
    }
    if (x->expected_size >= 0 && x->received + n > (uint64_t)x->expected_size) {
        x->cb_rc = tk_err_set(x->err, -EBADMSG, "%s: larger than the expected %lld bytes", x->what,
                              (long long)x->expected_size);
        return 0;
    }
    if (x->mem && x->received + n > x->max) {
        x->cb_rc = tk_err_set(x->err, -EFBIG, "%s: larger than %zu bytes", x->what, x->max);
        return 0;
    }
    x->received += n;
    if (image_hasher_update(x->c->hasher, data, n) < 0) {
        x->cb_rc = tk_err_set(x->err, -EIO, "%s: hashing failed", x->what);
        return 0;
    }
    if (x->mem) {
        tk_buf_add(x->mem, data, n);
        return n;
    }
    x->delivered = 1;
    int r = x->sink(x->ctx, data, n, x->err);
    if (r < 0) {
        x->cb_rc = r;
        x->sink_failed = 1;
        if (x->err && x->err->code >= 0)
            tk_err_set(x->err, r, "%s: write failed", x->what);
        return 0;
    }
    return n;
}

/* ---- the client ---- */

static CURL *make_handle(struct registry_client *c)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket_cloexec);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* redirects are ours: see http_get */
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, CURL_BUFFER_SIZE);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_secs);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tank/" TANK_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    return h;
}

/* The handle of this process: after a fork the parent's handle (and its connections,
 * which the parent still uses) is abandoned untouched, never closed from the child. */
static CURL *handle(struct registry_client *c)
{
    if (c->curl && c->pid != getpid())
        c->curl = NULL;
    if (!c->curl) {
        c->curl = make_handle(c);
        c->pid = getpid();
    }
    return c->curl;
}

int registry_client_new(struct registry_client **out, const struct registry_opts *opts,
                        struct tk_err *err)
{
    static const struct registry_opts none;
    struct registry_client *c;
    int r;

    *out = NULL;
    if (!opts)
        opts = &none;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return tk_err_set(err, -EIO, "initialise libcurl failed");
    c = calloc(1, sizeof(*c));
    if (!c)
        return tk_err_set(err, -ENOMEM, "create registry client: out of memory");
    c->max_retries = opts->max_retries > 0 ? opts->max_retries : opts->max_retries < 0 ? 0 : 4;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
    c->low_speed_secs = opts->low_speed_secs > 0 ? opts->low_speed_secs : 30;
    c->backoff_initial_ms = opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : 500;
    c->insecure = copy_strv(opts->insecure, opts->n_insecure);
    c->n_insecure = opts->n_insecure;
    c->mirrors = copy_strv(opts->mirrors, opts->n_mirrors);
    c->n_mirrors = opts->n_mirrors;
    c->hasher = image_hasher_new();
    if (!c->insecure || !c->mirrors || !c->hasher) {
        registry_client_free(c);
        return tk_err_set(err, -ENOMEM, "create registry client: out of memory");
    }
    if (opts->auth_file && *opts->auth_file) {
        r = tk_read_file(opts->auth_file, AUTH_FILE_MAX, &c->auth_json, &c->auth_len);
        if (r < 0) {
            registry_client_free(c);
            return tk_err_sys(err, r, "read auth file '%s'", opts->auth_file);
        }
        if (strspn(c->auth_json, " \t\r\n") == c->auth_len) { /* empty: no credentials */
            free(c->auth_json);
            c->auth_json = NULL;
        }
    }
    if (!handle(c)) {
        registry_client_free(c);
        return tk_err_set(err, -ENOMEM, "create registry client: curl handle");
    }
    *out = c;
    return 0;
}

void registry_client_free(struct registry_client *c)
{
    if (!c)
        return;
    if (c->curl && c->pid == getpid())
        curl_easy_cleanup(c->curl);
    free_strv(c->insecure, c->n_insecure);
    free_strv(c->mirrors, c->n_mirrors);
    if (c->auth_json)
        explicit_bzero(c->auth_json, c->auth_len);
    free(c->auth_json);
    while (c->tokens) {
        struct token_entry *t = c->tokens;
        c->tokens = t->next;
        explicit_bzero(t->authz, strlen(t->authz));
        free(t->origin);
        free(t->repo);
        free(t->authz);
        free(t);
    }
    image_hasher_free(c->hasher);
    free(c);
}

void registry_manifest_free(struct registry_manifest *m)
{
    if (!m)
        return;
    free(m->body);
    free(m->media_type);
    free(m->digest);
    memset(m, 0, sizeof(*m));
}

/* ---- tokens ---- */

static struct token_entry *token_find(struct registry_client *c, const char *origin,
                                      const char *repo)
{
    for (struct token_entry *t = c->tokens; t; t = t->next)
        if (!strcmp(t->origin, origin) && !strcmp(t->repo, repo))
            return t;
    return NULL;
}

static const char *token_header(struct registry_client *c, const char *origin, const char *repo)
{
    struct token_entry *t = token_find(c, origin, repo);
    if (!t || (t->expires_at_s && t->expires_at_s <= now_s()))
        return NULL;
    return t->authz;
}

/* Take authz (heap) as the header for origin/repo until expires_at_s (0 = no expiry). */
static void token_store(struct registry_client *c, const char *origin, const char *repo,
                        char *authz, int64_t expires_at_s)
{
    struct token_entry *t = token_find(c, origin, repo);

    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t || !(t->origin = strdup(origin)) || !(t->repo = strdup(repo))) {
            if (t) {
                free(t->origin);
                free(t);
            }
            free(authz);
            return; /* not cached: the next request authenticates again */
        }
        t->next = c->tokens;
        c->tokens = t;
    } else {
        explicit_bzero(t->authz, strlen(t->authz));
        free(t->authz);
    }
    t->authz = authz;
    t->expires_at_s = expires_at_s;
}

static void token_drop(struct registry_client *c, const char *origin, const char *repo)
{
    struct token_entry *t = token_find(c, origin, repo);
    if (t)
        t->expires_at_s = 1; /* expired */
}

/* ---- one GET: transfer, redirects, retries ---- */

static int curl_transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_FAILED_INIT:
        return 0;
    default:
        return 1;
    }
}

static int curl_code_errno(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
        return -EHOSTUNREACH;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

/* One transfer. Returns 0 when a whole response arrived (x->status set), else a negative
 * code with err set; *transient tells whether trying again may help. */
static int perform(struct registry_client *c, const char *url, struct curl_slist *hdrs,
                   struct xfer *x, int *transient, struct tk_err *err)
{
    CURL *h = handle(c);
    CURLcode cc;

    *transient = 0;
    if (!h)
        return tk_err_set(err, -ENOMEM, "%s: create curl handle", x->what);
    c->errbuf[0] = '\0';
    xfer_reset_attempt(x);
    x->err = err;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    if (x->cb_rc < 0)
        return x->cb_rc;
    if (cc == CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        x->status = code;
        return 0;
    }
    *transient = curl_transient(cc);
    return tk_err_set(err, curl_code_errno(cc), "%s: %s", x->what,
                      c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
}

/* After a 2xx: the whole body arrived and hashes to what was asked. -EAGAIN when short. */
static int verify_body(struct xfer *x, struct tk_err *err)
{
    if (x->expected_size >= 0 && x->received != (uint64_t)x->expected_size)
        return tk_err_set(err, -EAGAIN, "%s: truncated at %llu of %lld bytes", x->what,
                          (unsigned long long)x->received, (long long)x->expected_size);
    if (image_hasher_final(x->c->hasher, x->got_digest) < 0)
        return tk_err_set(err, -EIO, "%s: hashing failed", x->what);
    if (x->want_digest && !image_digest_equal(x->want_digest, x->got_digest))
        return tk_err_set(err, -EBADMSG, "%s: digest mismatch (got %s)", x->what, x->got_digest);
    return 0;
}

static long retry_after_ms(const struct xfer *x)
{
    const char *s = tk_buf_str(&x->retry_after);
    long ms = 0;

    if (!*s)
        return 0;
    if (strspn(s, "0123456789") == strlen(s)) {
        for (; *s && ms < RETRY_AFTER_MAX_MS; s++)
            ms = ms * 10 + (*s - '0') * 1000;
    } else {
        time_t when = curl_getdate(s, NULL);
        if (when > 0 && when > (time_t)now_s())
            ms = (long)(when - (time_t)now_s()) * 1000;
    }
    return ms < RETRY_AFTER_MAX_MS ? ms : RETRY_AFTER_MAX_MS;
}

/* The registry's own words from an error body, as ": CODE: message" (or ""). */
static void add_registry_error(struct tk_buf *b, const struct xfer *x)
{
    _cleanup_free_ char *m =
        image_auth_registry_error(x->errbody.s ? x->errbody.s : "", x->errbody.len);
    if (m)
        tk_buf_addf(b, ": %s", m);
}

/* A redirect: the next URL into *cur (heap). */
static int follow_redirect(struct registry_client *c, struct xfer *x, int allow_http, char **cur,
                           struct tk_err *err)
{
    char *loc = NULL;

    curl_easy_getinfo(handle(c), CURLINFO_REDIRECT_URL, &loc);
    if (!loc || !*loc)
        return tk_err_set(err, -EPROTO, "%s: HTTP %ld redirect without a location", x->what,
                          x->status);
    if (strncasecmp(loc, "https://", 8) && !(allow_http && !strncasecmp(loc, "http://", 7)))
        return tk_err_set(err, -EPROTO, "%s: redirect to '%.200s' refused (not https)", x->what,
                          loc);
    char *next = strdup(loc);
    if (!next)
        return tk_err_set(err, -ENOMEM, "%s: out of memory", x->what);
    free(*cur);
    *cur = next;
    return 0;
}

/* Wait before the next attempt; resets the sink when it saw data. */
static int prepare_retry(struct registry_client *c, struct xfer *x, int attempt,
                         const struct tk_err *last, long hinted_ms, struct tk_err *err)
{
    long wait = (long)c->backoff_initial_ms << (attempt - 1 < 12 ? attempt - 1 : 12);
    int r;

    if (wait > BACKOFF_MAX_MS)
        wait = BACKOFF_MAX_MS;
    if (hinted_ms > wait)
        wait = hinted_ms;
    if (x->delivered) {
        if (!x->reset)
            return tk_err_set(err, last->code, "%s (cannot retry after partial data)", last->msg);
        r = x->reset(x->ctx, err);
        if (r < 0)
            return r;
        x->delivered = 0;
    }
    tk_info("%s, retrying in %ldms", last->msg, wait);
    sleep_ms(wait);
    return 0;
}

/*
 * GET url. Authorization (authz, a whole header line, may be NULL) is sent only while the
 * URL's origin is authz_origin; redirects are followed (plain http only when allow_http).
 * Connection errors, timeouts, truncated bodies, 429 and 5xx are retried up to retries
 * times. Returns the final HTTP status: 2xx with the body complete and verified, or a 4xx
 * the caller interprets; < 0 with err set otherwise.
 */
static int http_get(struct registry_client *c, const char *url, const char *accept,
                    const char *authz, const char *authz_origin, int allow_http, int retries,
                    struct xfer *x, struct tk_err *err)
{
    _cleanup_free_ char *cur = strdup(url);
    struct tk_err last = {0};
    int attempt = 0, redirects = 0, transient, r;

    for (;;) {
        _cleanup_free_ char *origin = cur ? url_origin(cur) : NULL;
        struct curl_slist *hdrs = NULL;
        long hinted_ms = 0;

        if (!origin)
            return tk_err_set(err, -EINVAL, "%s: invalid URL '%.200s'", x->what, cur ? cur : url);
        if (accept)
            hdrs = curl_slist_append(hdrs, accept);
        if (authz && authz_origin && !strcmp(origin, authz_origin))
            hdrs = curl_slist_append(hdrs, authz);
        r = perform(c, cur, hdrs, x, &transient, &last);
        curl_slist_free_all(hdrs);
        if (r == 0 && x->status >= 300 && x->status < 400 && x->status != 304) {
            if (++redirects > MAX_REDIRECTS)
                return tk_err_set(err, -ELOOP, "%s: too many redirects", x->what);
            r = follow_redirect(c, x, allow_http, &cur, err);
            if (r < 0)
                return r;
            continue;
        }
        if (r == 0 && x->status >= 200 && x->status < 300) {
            r = verify_body(x, &last);
            if (r == 0)
                return (int)x->status;
            transient = r == -EAGAIN;
        } else if (r == 0 && (x->status == 429 || x->status >= 500)) {
            struct tk_buf m = TK_BUF_INIT;
            tk_buf_addf(&m, "%s: HTTP %ld", x->what, x->status);
            add_registry_error(&m, x);
            tk_err_set(&last, x->status == 429 ? -EBUSY : -EIO, "%s", tk_buf_str(&m));
            tk_buf_free(&m);
            hinted_ms = retry_after_ms(x);
            r = last.code;
            transient = 1;
        } else if (r == 0) {
            return (int)x->status;
        }
        if (!transient || ++attempt > retries) {
            if (transient && attempt > 1)
                return tk_err_set(err, last.code, "%s, gave up after %d attempts", last.msg,
                                  attempt);
            return tk_err_set(err, last.code, "%s", last.msg);
        }
        r = prepare_retry(c, x, attempt, &last, hinted_ms, err);
        if (r < 0)
            return r;
        free(cur);
        cur = strdup(url);
        redirects = 0;
    }
}

/* ---- authentication ---- */

static char *basic_header(const struct image_auth_creds *cr)
{
    struct tk_buf plain = TK_BUF_INIT, out = TK_BUF_INIT;
    size_t n;

    tk_buf_addf(&plain, "%s:%s", cr->username, cr->password);
    n = 4 * ((plain.len + 2) / 3);
    tk_buf_adds(&out, "Authorization: Basic ");
    tk_buf_grow(&out, n + 1);
    EVP_EncodeBlock((unsigned char *)out.s + out.len, (const unsigned char *)plain.s,
                    (int)plain.len);
    out.len += n;
    out.s[out.len] = '\0';
    explicit_bzero(plain.s, plain.len);
    tk_buf_free(&plain);
    return tk_buf_detach(&out);
}

static int lookup_creds(struct registry_client *c, const struct endpoint *e,
                        struct image_auth_creds *cr, struct tk_err *err)
{
    int r;

    memset(cr, 0, sizeof(*cr));
    if (!c->auth_json)
        return 0;
    r = image_auth_file_lookup(c->auth_json, c->auth_len, e->cred_host, cr, err);
    if (r < 0)
        tk_err_wrap(err, "read credentials for '%s'", e->cred_host);
    return r;
}

static char *token_url(const char *realm, const struct image_auth_challenge *ch, const char *repo)
{
    struct tk_buf b = TK_BUF_INIT;
    char *esc;
    char sep = strchr(realm, '?') ? '&' : '?';

    tk_buf_adds(&b, realm);
    if (ch->service) {
        esc = curl_easy_escape(NULL, ch->service, 0);
        tk_buf_addf(&b, "%cservice=%s", sep, esc ? esc : "");
        curl_free(esc);
        sep = '&';
    }
    struct tk_buf scope = TK_BUF_INIT;
    if (ch->scope)
        tk_buf_adds(&scope, ch->scope);
    else
        tk_buf_addf(&scope, "repository:%s:pull", repo);
    esc = curl_easy_escape(NULL, tk_buf_str(&scope), 0);
    tk_buf_addf(&b, "%cscope=%s", sep, esc ? esc : "");
    curl_free(esc);
    tk_buf_free(&scope);
    return tk_buf_detach(&b);
}

/* Ask the token server of a Bearer challenge for a pull token (with the user's
 * credentials when the auth file has some), and cache it. */
static int bearer_token(struct registry_client *c, const struct endpoint *e, const char *repo,
                        const struct image_auth_challenge *ch, const struct image_auth_creds *cr,
                        struct tk_err *err)
{
    _cleanup_free_ char *url = token_url(ch->realm, ch, repo);
    _cleanup_free_ char *realm_origin = url_origin(ch->realm);
    _cleanup_free_ char *basic = cr->username ? basic_header(cr) : NULL;
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf what = TK_BUF_INIT;
    struct image_auth_token tok = {0};
    int st;

    tk_buf_addf(&what, "get token from '%s'", ch->realm);
    struct xfer x = {.c = c,
                     .what = tk_buf_str(&what),
                     .mem = &body,
                     .max = TOKEN_ANSWER_MAX,
                     .expected_size = -1};
    if (!realm_origin || (strncasecmp(realm_origin, "https://", 8) &&
                          !(e->plain_http && !strncasecmp(realm_origin, "http://", 7))))
        return tk_err_set(err, -EPROTO, "unauthorized: token realm '%s' refused (not https)",
                          ch->realm);
    st = http_get(c, url, NULL, basic, realm_origin, e->plain_http, c->max_retries, &x, err);
    if (basic)
        explicit_bzero(basic, strlen(basic));
    if (st < 0)
        goto fail;
    if (st == 401 || st == 403) {
        struct tk_buf m = TK_BUF_INIT;
        if (cr->username)
            tk_buf_addf(&m, "unauthorized: bad credentials for '%s'", e->cred_host);
        else
            tk_buf_addf(&m, "unauthorized: '%s' refused an anonymous token", e->cred_host);
        add_registry_error(&m, &x);
        tk_err_set(err, -EACCES, "%s", tk_buf_str(&m));
        tk_buf_free(&m);
        goto fail;
    }
    if (st < 200 || st >= 300) {
        tk_err_set(err, -EPROTO, "%s: HTTP %d", x.what, st);
        goto fail;
    }
    if (image_auth_parse_token(body.s, body.len, now_s(), &tok, err) < 0) {
        tk_err_wrap(err, "%s", x.what);
        goto fail;
    }
    struct tk_buf h = TK_BUF_INIT;
    tk_buf_addf(&h, "Authorization: Bearer %s", tok.token);
    token_store(c, e->origin, repo, tk_buf_detach(&h), tok.expires_at_s);
    explicit_bzero(tok.token, strlen(tok.token));
    image_auth_token_free(&tok);
    xfer_free(&x);
    return 0;
fail:
    xfer_free(&x);
    if (body.s)
        explicit_bzero(body.s, body.len);
    return err ? err->code : -EACCES;
}

/* Answer a 401: the challenge says how. *had_creds tells the caller what to blame next. */
static int authenticate(struct registry_client *c, const struct endpoint *e, const char *repo,
                        const struct tk_buf *challenge, int *had_creds, struct tk_err *err)
{
    struct image_auth_challenge ch;
    struct image_auth_creds cr;
    int r;

    if (image_auth_parse_challenge(tk_buf_str(challenge), challenge->len, &ch, err) < 0)
        return tk_err_wrap(err, "unauthorized: '%s' sent no usable challenge", e->cred_host);
    r = lookup_creds(c, e, &cr, err);
    if (r < 0) {
        image_auth_challenge_free(&ch);
        return r;
    }
    *had_creds = r > 0;
    if (ch.scheme == IMAGE_AUTH_BASIC) {
        if (r == 0)
            r = tk_err_set(err, -EACCES,
                           "unauthorized: '%s' requires credentials (none in the auth file)",
                           e->cred_host);
        else
            token_store(c, e->origin, repo, basic_header(&cr), 0);
    } else {
        r = bearer_token(c, e, repo, &ch, &cr, err);
    }
    image_auth_creds_free(&cr);
    image_auth_challenge_free(&ch);
    return r < 0 ? r : 0;
}

/* ---- endpoints and requests ---- */

enum kind { KIND_MANIFEST, KIND_BLOB };

struct request {
    const struct image_ref *ref;
    enum kind kind;
    const char *reference; /* tag or digest */
    const char *accept;    /* whole header line or NULL */
};

/* The user-facing name of what a manifest request asked for. */
static void image_name(struct tk_buf *b, const struct request *q)
{
    const struct image_ref *ref = q->ref;
    if ((ref->digest && !strcmp(q->reference, ref->digest)) ||
        (!ref->digest && ref->tag && !strcmp(q->reference, ref->tag)))
        tk_buf_adds(b, ref->canonical);
    else
        tk_buf_addf(b, "%s/%s%c%s", ref->registry, ref->repository,
                    strchr(q->reference, ':') ? '@' : ':', q->reference);
}

/* A final non-2xx status as the user should read it. */
static int status_error(const struct endpoint *e, const struct request *q, const struct xfer *x,
                        int st, int had_creds, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf m = TK_BUF_INIT;
    int code = -EIO;

    if (st == 404) {
        code = -ENOENT;
        if (q->kind == KIND_MANIFEST) {
            tk_buf_adds(&m, "image not found: ");
            image_name(&m, q);
        } else {
            tk_buf_addf(&m, "blob not found: %s in %s/%s", q->reference, q->ref->registry,
                        q->ref->repository);
        }
    } else if (st == 401) {
        code = -EACCES;
        if (had_creds)
            tk_buf_addf(&m,
                        "unauthorized: access to '%s' on '%s' denied with the given "
                        "credentials",
                        q->ref->repository, e->cred_host);
        else
            tk_buf_addf(&m,
                        "unauthorized: access to '%s' on '%s' denied (the repository may "
                        "not exist or need credentials)",
                        q->ref->repository, e->cred_host);
    } else if (st == 403) {
        code = -EACCES;
        tk_buf_addf(&m, "denied: access to '%s' on '%s' is forbidden", q->ref->repository,
                    e->cred_host);
    } else {
        code = -EPROTO;
        tk_buf_addf(&m, "%s: unexpected HTTP status %d", x->what, st);
    }
    add_registry_error(&m, x);
    return tk_err_set(err, code, "%s", tk_buf_str(&m));
}

/* One endpoint: the GET, answering one 401 with the challenge's authentication. */
static int fetch_endpoint(struct registry_client *c, const struct endpoint *e,
                          const struct request *q, struct xfer *x, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf url = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf challenge = TK_BUF_INIT;
    const char *repo = q->ref->repository;
    int authenticated = 0, had_creds = 0, st, r;
    int retries = e->is_mirror ? 1 : c->max_retries;

    tk_buf_addf(&url, "%s/v2/%s/%s/%s", e->base, repo,
                q->kind == KIND_MANIFEST ? "manifests" : "blobs", q->reference);
    for (;;) {
        st = http_get(c, url.s, q->accept, token_header(c, e->origin, repo), e->origin,
                      e->plain_http, retries, x, err);
        if (st < 0 || (st >= 200 && st < 300))
            return st < 0 ? st : 0;
        if (st != 401 || authenticated || !x->www_auth.len)
            return status_error(e, q, x, st, had_creds, err);
        authenticated = 1;
        token_drop(c, e->origin, repo);
        tk_buf_reset(&challenge);
        tk_buf_add(&challenge, x->www_auth.s, x->www_auth.len);
        r = authenticate(c, e, repo, &challenge, &had_creds, err);
        if (r < 0)
            return r;
    }
}

static int endpoints_for(struct registry_client *c, const struct image_ref *ref, struct endpoint *v,
                         size_t *n)
{
    size_t k = 0;

    if (!strcmp(ref->registry, DOCKER_HUB)) {
        for (size_t i = 0; i < c->n_mirrors; i++)
            if (endpoint_init(c, &v[k], c->mirrors[i], NULL, 1) == 0)
                k++;
        if (endpoint_init(c, &v[k], DOCKER_HUB_API, DOCKER_HUB, 0) == 0)
            k++;
    } else if (endpoint_init(c, &v[k], ref->registry, NULL, 0) == 0) {
        k++;
    }
    *n = k;
    return k ? 0 : -EINVAL;
}

/* Mirrors first (any failure of a mirror moves on to the next endpoint), then the
 * registry itself. */
static int fetch(struct registry_client *c, const struct request *q, struct xfer *x,
                 struct tk_err *err)
{
    struct endpoint *v = calloc(c->n_mirrors + 1, sizeof(*v));
    size_t n = 0;
    int r = -EINVAL;

    if (!v)
        return tk_err_set(err, -ENOMEM, "%s: out of memory", x->what);
    if (q->ref->kind != IMAGE_REF_REGISTRY || endpoints_for(c, q->ref, v, &n) < 0) {
        free(v);
        return tk_err_set(err, -EINVAL, "%s: '%s' is not a registry reference", x->what,
                          q->ref->canonical ? q->ref->canonical : "");
    }
    for (size_t i = 0; i < n; i++) {
        struct tk_err mirror_err = {0};
        r = fetch_endpoint(c, &v[i], q, x, v[i].is_mirror ? &mirror_err : err);
        if (r >= 0 || !v[i].is_mirror)
            break;
        if (x->delivered) { /* the sink failed, or the next endpoint needs a fresh start */
            if (x->sink_failed || !x->reset || (r = x->reset(x->ctx, err)) < 0) {
                if (x->sink_failed || !x->reset)
                    r = tk_err_set(err, mirror_err.code, "%s", mirror_err.msg);
                break;
            }
            x->delivered = 0;
        }
        tk_info("mirror '%s': %s; trying the next source", v[i].base, mirror_err.msg);
    }
    for (size_t i = 0; i < n; i++)
        endpoint_free(&v[i]);
    free(v);
    return r;
}

/* ---- public ---- */

/* The media type: Content-Type without parameters, else the body's "mediaType". */
static char *manifest_media_type(const struct xfer *x, const struct tk_buf *body)
{
    const char *ct = tk_buf_str(&x->content_type);
    size_t n = strcspn(ct, "; \t");

    if (n && strncmp(ct, "application/json", n) && strncmp(ct, "text/plain", n))
        return strndup(ct, n);
    json_t *root = json_loadb(body->s ? body->s : "", body->len, 0, NULL);
    const char *mt = json_string_value(json_object_get(root, "mediaType"));
    char *out = strdup(mt ? mt : "");
    json_decref(root);
    return out;
}

int registry_get_manifest(struct registry_client *c, const struct image_ref *ref,
                          const char *reference, struct registry_manifest *out, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf what = TK_BUF_INIT;
    struct request q = {ref, KIND_MANIFEST, reference, MANIFEST_ACCEPT};
    int is_digest = reference && strchr(reference, ':');
    int r;

    memset(out, 0, sizeof(*out));
    if (!reference || !*reference || (is_digest && !image_digest_valid(reference)))
        return tk_err_set(err, -EINVAL, "get manifest: invalid reference '%s'",
                          reference ? reference : "");
    tk_buf_adds(&what, "manifest ");
    image_name(&what, &q);
    struct xfer x = {.c = c,
                     .what = tk_buf_str(&what),
                     .mem = &body,
                     .max = MANIFEST_MAX,
                     .expected_size = -1,
                     .want_digest = is_digest ? reference : NULL};
    r = fetch(c, &q, &x, err);
    if (r == 0 && !is_digest && !strncmp(tk_buf_str(&x.docker_digest), "sha256:", 7) &&
        !image_digest_equal(x.docker_digest.s, x.got_digest))
        r = tk_err_set(err, -EBADMSG, "%s: digest mismatch (served as %s, got %s)", x.what,
                       x.docker_digest.s, x.got_digest);
    if (r == 0) {
        out->media_type = manifest_media_type(&x, &body);
        out->digest = strdup(x.got_digest);
        out->len = body.len;
        out->body = tk_buf_detach(&body);
        if (!out->media_type || !out->digest) {
            registry_manifest_free(out);
            r = tk_err_set(err, -ENOMEM, "%s: out of memory", x.what);
        }
    }
    xfer_free(&x);
    return r;
}

int registry_get_blob(struct registry_client *c, const struct image_ref *ref, const char *digest,
                      int64_t expected_size, registry_sink_fn sink,
                      int (*reset)(void *ctx, struct tk_err *err), void *ctx, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf what = TK_BUF_INIT;
    struct request q = {ref, KIND_BLOB, digest, NULL};
    int r;

    if (!image_digest_valid(digest))
        return tk_err_set(err, -EINVAL, "get blob: invalid digest '%s'", digest ? digest : "");
    tk_buf_addf(&what, "blob %s", digest);
    struct xfer x = {.c = c,
                     .what = tk_buf_str(&what),
                     .sink = sink,
                     .reset = reset,
                     .ctx = ctx,
                     .expected_size = expected_size < 0 ? -1 : expected_size,
                     .want_digest = digest};
    r = fetch(c, &q, &x, err);
    xfer_free(&x);
    return r;
}

int registry_get_blob_mem(struct registry_client *c, const struct image_ref *ref,
                          const char *digest, size_t max, char **out, size_t *len,
                          struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf what = TK_BUF_INIT;
    struct request q = {ref, KIND_BLOB, digest, NULL};
    int r;

    *out = NULL;
    if (len)
        *len = 0;
    if (!image_digest_valid(digest))
        return tk_err_set(err, -EINVAL, "get blob: invalid digest '%s'", digest ? digest : "");
    tk_buf_addf(&what, "blob %s", digest);
    struct xfer x = {.c = c,
                     .what = tk_buf_str(&what),
                     .mem = &body,
                     .max = max,
                     .expected_size = -1,
                     .want_digest = digest};
    r = fetch(c, &q, &x, err);
    if (r == 0) {
        if (len)
            *len = body.len;
        tk_buf_addc(&body, '\0'); /* an empty blob is still a string */
        body.len--;
        *out = tk_buf_detach(&body);
    }
    xfer_free(&x);
    return r;
}
