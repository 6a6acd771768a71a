/* Registry HTTP API v2 client. Layers:
 *
 *   registry_get_*      which endpoints (mirrors first), what is verified
 *   fetch_endpoint      one endpoint: authentication round trips, final status -> error
 *   registry_http_get   (image/registry_http.c) one GET over the client's kept connection:
 *                       redirects (Authorization only to the origin), retries with backoff
 *                       on transient failures, size and digest checks, streaming
 */
#include "image/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/auth.h"
#include "image/digest.h"
#include "image/registry_http.h"

#define MANIFEST_MAX (4u << 20)
#define TOKEN_ANSWER_MAX (1u << 20)
#define AUTH_FILE_MAX (1u << 20)
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
    struct registry_http *http;
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
    void (*notice)(void *ctx, const char *msg);
    void *notice_ctx;
    struct token_entry *tokens;
};

/* One endpoint a repository is fetched from. */
struct endpoint {
    char *base;      /* "https://registry-1.docker.io", no trailing slash */
    char *origin;    /* base normalised for comparisons: "https://host:port" */
    char *cred_host; /* the auth-file key: "docker.io", "127.0.0.1:5000" */
    int plain_http;
    int is_mirror;
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

static int64_t now_s(void)
{
    return tk_now_realtime_ns() / 1000000000LL;
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
    e->origin = registry_url_origin(e->base);
    e->cred_host = cred_host ? strdup(cred_host) : strndup(host, hlen);
    e->plain_http = !strncasecmp(e->base, "http://", 7);
    e->is_mirror = is_mirror;
    if (!e->origin || !e->cred_host) {
        endpoint_free(e);
        return -EINVAL;
    }
    return 0;
}

/* ---- the client ---- */

int registry_client_new(struct registry_client **out, const struct registry_opts *opts,
                        struct tk_err *err)
{
    static const struct registry_opts none;
    struct registry_client *c;
    int r;

    *out = NULL;
    if (!opts)
        opts = &none;
    c = calloc(1, sizeof(*c));
    if (!c)
        return tk_err_set(err, -ENOMEM, "create registry client: out of memory");
    c->max_retries = opts->max_retries > 0 ? opts->max_retries : opts->max_retries < 0 ? 0 : 4;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
    c->low_speed_secs = opts->low_speed_secs > 0 ? opts->low_speed_secs : 30;
    c->backoff_initial_ms = opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : 500;
    c->notice = opts->notice;
    c->notice_ctx = opts->notice_ctx;
    c->insecure = copy_strv(opts->insecure, opts->n_insecure);
    c->n_insecure = opts->n_insecure;
    c->mirrors = copy_strv(opts->mirrors, opts->n_mirrors);
    c->n_mirrors = opts->n_mirrors;
    if (!c->insecure || !c->mirrors) {
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
    r = registry_http_new(&c->http, c->connect_timeout_ms, c->low_speed_secs, c->backoff_initial_ms,
                          err);
    if (r < 0) {
        registry_client_free(c);
        return r;
    }
    registry_http_set_notice(c->http, c->notice, c->notice_ctx);
    registry_http_set_config_path(c->http, opts->config_path);
    *out = c;
    return 0;
}

void registry_client_free(struct registry_client *c)
{
    if (!c)
        return;
    registry_http_free(c->http);
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
        esc = registry_url_escape(ch->service);
        tk_buf_addf(&b, "%cservice=%s", sep, esc ? esc : "");
        free(esc);
        sep = '&';
    }
    struct tk_buf scope = TK_BUF_INIT;
    if (ch->scope)
        tk_buf_adds(&scope, ch->scope);
    else
        tk_buf_addf(&scope, "repository:%s:pull", repo);
    esc = registry_url_escape(tk_buf_str(&scope));
    tk_buf_addf(&b, "%cscope=%s", sep, esc ? esc : "");
    free(esc);
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
    _cleanup_free_ char *realm_origin = registry_url_origin(ch->realm);
    _cleanup_free_ char *basic = cr->username ? basic_header(cr) : NULL;
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf what = TK_BUF_INIT;
    struct image_auth_token tok = {0};
    int st;

    tk_buf_addf(&what, "get token from '%s'", ch->realm);
    struct registry_xfer x = {
        .what = tk_buf_str(&what), .mem = &body, .max = TOKEN_ANSWER_MAX, .expected_size = -1};
    if (!realm_origin || (strncasecmp(realm_origin, "https://", 8) &&
                          !(e->plain_http && !strncasecmp(realm_origin, "http://", 7))))
        return tk_err_set(err, -EPROTO, "unauthorized: token realm '%s' refused (not https)",
                          ch->realm);
    st = registry_http_get(c->http, url, NULL, basic, realm_origin, e->plain_http, c->max_retries,
                           &x, err);
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
        registry_xfer_add_error(&m, &x);
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
    registry_xfer_free(&x);
    return 0;
fail:
    registry_xfer_free(&x);
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
static int status_error(const struct endpoint *e, const struct request *q,
                        const struct registry_xfer *x, int st, int had_creds, struct tk_err *err)
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
    registry_xfer_add_error(&m, x);
    return tk_err_set(err, code, "%s", tk_buf_str(&m));
}

/* One endpoint: the GET, answering one 401 with the challenge's authentication. */
static int fetch_endpoint(struct registry_client *c, const struct endpoint *e,
                          const struct request *q, struct registry_xfer *x, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf url = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf challenge = TK_BUF_INIT;
    const char *repo = q->ref->repository;
    int authenticated = 0, had_creds = 0, st, r;
    int retries = e->is_mirror ? 1 : c->max_retries;

    tk_buf_addf(&url, "%s/v2/%s/%s/%s", e->base, repo,
                q->kind == KIND_MANIFEST ? "manifests" : "blobs", q->reference);
    for (;;) {
        st = registry_http_get(c->http, url.s, q->accept, token_header(c, e->origin, repo),
                               e->origin, e->plain_http, retries, x, err);
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
static int fetch(struct registry_client *c, const struct request *q, struct registry_xfer *x,
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
        if (c->notice) {
            char msg[sizeof(mirror_err.msg) + 512];
            snprintf(msg, sizeof(msg), "mirror '%s': %s; trying the next source", v[i].base,
                     mirror_err.msg);
            c->notice(c->notice_ctx, msg);
        }
    }
    for (size_t i = 0; i < n; i++)
        endpoint_free(&v[i]);
    free(v);
    return r;
}

/* ---- public ---- */

/* The media type: Content-Type without parameters, else the body's "mediaType". */
static char *manifest_media_type(const struct registry_xfer *x, const struct tk_buf *body)
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
    struct registry_xfer x = {.what = tk_buf_str(&what),
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
    registry_xfer_free(&x);
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
    struct registry_xfer x = {.what = tk_buf_str(&what),
                              .sink = sink,
                              .reset = reset,
                              .ctx = ctx,
                              .expected_size = expected_size < 0 ? -1 : expected_size,
                              .want_digest = digest};
    r = fetch(c, &q, &x, err);
    registry_xfer_free(&x);
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
    struct registry_xfer x = {.what = tk_buf_str(&what),
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
    registry_xfer_free(&x);
    return r;
}
