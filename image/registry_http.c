/* The registry client's transport: curl callbacks, one transfer, redirects, retries. */
#include "image/registry_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "image/auth.h"
#include "base/alloc.h"

#define ERROR_BODY_MAX (16u << 10)
#define MAX_REDIRECTS 10
#define BACKOFF_MAX_MS 8000
#define RETRY_AFTER_MAX_MS 30000
#define CURL_BUFFER_SIZE (512L << 10)

struct registry_http {
    CURL *curl;
    pid_t pid; /* the process that made curl; a forked child makes its own */
    char errbuf[CURL_ERROR_SIZE];
    long connect_timeout_ms;
    long low_speed_secs;
    int backoff_initial_ms;
    struct image_hasher *hasher;
    void (*notice)(void *ctx, const char *msg);
    void *notice_ctx;
    const char *config_path; /* named in the plain-HTTP hint */
};

static int64_t now_s(void)
{
    return tk_now_realtime_ns() / 1000000000LL;
}

static void sleep_ms(long ms)
{
    /* Only pull workers and the CLI run the client; never the agent's event loop. */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* "scheme://host:port" of url in lowercase with the default port filled in; NULL when url
 * does not parse. */
char *registry_url_origin(const char *url)
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

static void xfer_reset_attempt(struct registry_xfer *x)
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
    image_hasher_reset(x->http->hasher);
}

void registry_xfer_free(struct registry_xfer *x)
{
    tk_buf_free(&x->www_auth);
    tk_buf_free(&x->content_type);
    tk_buf_free(&x->retry_after);
    tk_buf_free(&x->docker_digest);
    tk_buf_free(&x->errbody);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct registry_xfer *x = userdata;
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

static int body_wanted(const struct registry_xfer *x)
{
    return x->status >= 200 && x->status < 300;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct registry_xfer *x = userdata;
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
    if (image_hasher_update(x->http->hasher, data, n) < 0) {
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

static CURL *make_handle(struct registry_http *c)
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
static CURL *handle(struct registry_http *c)
{
    if (c->curl && c->pid != getpid())
        c->curl = NULL;
    if (!c->curl) {
        c->curl = make_handle(c);
        c->pid = getpid();
    }
    return c->curl;
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

/* A TLS handshake answered in plain HTTP: OpenSSL reads "HTTP/1.1 400" as a record of an
 * unknown version. Never transient: the server will not start speaking TLS. */
static int answered_by_http(const struct registry_http *c, const char *url, CURLcode cc)
{
    if (cc != CURLE_SSL_CONNECT_ERROR || strncasecmp(url, "https://", 8) != 0)
        return 0;
    return strstr(c->errbuf, "wrong version number") || strstr(c->errbuf, "http request") ||
           strstr(c->errbuf, "packet length too long");
}

static int plain_http_hint(const struct registry_http *c, const char *url, struct tk_err *err)
{
    const char *host = url + 8;
    size_t len = strcspn(host, "/?#");
    return tk_err_set(err, -EPROTONOSUPPORT,
                      "registry %.*s speaks plain HTTP; add it to [registry] insecure in %s",
                      (int)len, host, c->config_path ? c->config_path : "/etc/tank/tank.ini");
}

/* One transfer. Returns 0 when a whole response arrived (x->status set), else a negative
 * code with err set; *transient tells whether trying again may help. */
static int perform(struct registry_http *c, const char *url, struct curl_slist *hdrs,
                   struct registry_xfer *x, int *transient, struct tk_err *err)
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
    if (answered_by_http(c, url, cc))
        return plain_http_hint(c, url, err);
    *transient = curl_transient(cc);
    return tk_err_set(err, curl_code_errno(cc), "%s: %s", x->what,
                      c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
}

/* After a 2xx: the whole body arrived and hashes to what was asked. -EAGAIN when short. */
static int verify_body(struct registry_xfer *x, struct tk_err *err)
{
    if (x->expected_size >= 0 && x->received != (uint64_t)x->expected_size)
        return tk_err_set(err, -EAGAIN, "%s: truncated at %llu of %lld bytes", x->what,
                          (unsigned long long)x->received, (long long)x->expected_size);
    if (image_hasher_final(x->http->hasher, x->got_digest) < 0)
        return tk_err_set(err, -EIO, "%s: hashing failed", x->what);
    if (x->want_digest && !image_digest_equal(x->want_digest, x->got_digest))
        return tk_err_set(err, -EBADMSG, "%s: digest mismatch (got %s)", x->what, x->got_digest);
    return 0;
}

static long retry_after_ms(const struct registry_xfer *x)
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
void registry_xfer_add_error(struct tk_buf *b, const struct registry_xfer *x)
{
    _cleanup_free_ char *m =
        image_auth_registry_error(x->errbody.s ? x->errbody.s : "", x->errbody.len);
    if (m)
        tk_buf_addf(b, ": %s", m);
}

/* A redirect: the next URL into *cur (heap). */
static int follow_redirect(struct registry_http *c, struct registry_xfer *x, int allow_http,
                           char **cur, struct tk_err *err)
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
static int prepare_retry(struct registry_http *c, struct registry_xfer *x, int attempt,
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
    if (c->notice) {
        char msg[sizeof(last->msg) + 48];
        snprintf(msg, sizeof(msg), "%s, retrying in %ldms", last->msg, wait);
        c->notice(c->notice_ctx, msg);
    }
    sleep_ms(wait);
    return 0;
}

int registry_http_get(struct registry_http *c, const char *url, const char *accept,
                      const char *authz, const char *authz_origin, int allow_http, int retries,
                      struct registry_xfer *x, struct tk_err *err)
{
    _cleanup_free_ char *cur = tk_xstrdup(url);
    struct tk_err last = {0};
    int attempt = 0, redirects = 0, transient, r;

    x->http = c;

    for (;;) {
        _cleanup_free_ char *origin = cur ? registry_url_origin(cur) : NULL;
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
            registry_xfer_add_error(&m, x);
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
        cur = tk_xstrdup(url);
        redirects = 0;
    }
}

/* ---- the connection ---- */

void registry_http_set_notice(struct registry_http *h, void (*fn)(void *ctx, const char *msg),
                              void *ctx)
{
    h->notice = fn;
    h->notice_ctx = ctx;
}

void registry_http_set_config_path(struct registry_http *h, const char *path)
{
    h->config_path = path;
}

int registry_http_new(struct registry_http **out, long connect_timeout_ms, long low_speed_secs,
                      int backoff_initial_ms, struct tk_err *err)
{
    struct registry_http *h;

    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return tk_err_set(err, -EIO, "initialise libcurl failed");
    h = calloc(1, sizeof(*h));
    if (!h)
        return tk_err_set(err, -ENOMEM, "create registry client: out of memory");
    h->connect_timeout_ms = connect_timeout_ms;
    h->low_speed_secs = low_speed_secs;
    h->backoff_initial_ms = backoff_initial_ms;
    h->hasher = image_hasher_new();
    if (!h->hasher || !handle(h)) {
        registry_http_free(h);
        return tk_err_set(err, -ENOMEM, "create registry client: out of memory");
    }
    *out = h;
    return 0;
}

void registry_http_free(struct registry_http *h)
{
    if (!h)
        return;
    if (h->curl && h->pid == getpid())
        curl_easy_cleanup(h->curl);
    image_hasher_free(h->hasher);
    free(h);
}

char *registry_url_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *out = e ? strdup(e) : NULL;
    curl_free(e);
    return out;
}
