#pragma once
/*
 * The registry client's transport (internal to image/): one HTTP GET with redirects,
 * retries and a streamed, size-checked and hashed body, over one libcurl easy handle that
 * is kept so connections are reused. No curl types here; see image/registry.h for the
 * client built on it.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "image/digest.h"
#include "image/registry.h"

/* One connection cache (a curl easy handle) and the transfer settings. */
struct registry_http;

/* Settings as in struct registry_opts (already defaulted: all > 0). */
int registry_http_new(struct registry_http **out, long connect_timeout_ms, long low_speed_secs,
                      int backoff_initial_ms, struct tk_err *err);
/* Who is told of retries (struct registry_opts' notice); fn NULL = nobody. */
void registry_http_set_notice(struct registry_http *h, void (*fn)(void *ctx, const char *msg),
                              void *ctx);
/* The configuration file the plain-HTTP hint names (borrowed; NULL = /etc/tank/tank.ini). */
void registry_http_set_config_path(struct registry_http *h, const char *path);
/* In a forked child, the parent's handle is left alone (never closed from here). */
void registry_http_free(struct registry_http *h);

/* The state of one GET across its attempts. The caller fills the request part; the rest is
 * the transport's. Free with registry_xfer_free() (the caller's mem buffer is not freed). */
struct registry_xfer {
    const char *what; /* error prefix: "manifest 127.0.0.1:5000/app:1", "blob sha256:…" */
    /* the body: into mem (at most max bytes), or to sink */
    struct tk_buf *mem;
    size_t max;
    registry_sink_fn sink;
    int (*reset)(void *ctx, struct tk_err *err);
    void *ctx;
    int64_t expected_size;   /* -1 = unknown */
    const char *want_digest; /* NULL = no check */
    /* results */
    char got_digest[IMAGE_DIGEST_STR_SIZE]; /* of the accepted body */
    long status;
    uint64_t received;
    int delivered;   /* the sink saw data since its last reset */
    int sink_failed; /* the sink itself refused data: never retried */
    struct tk_buf www_auth, content_type, retry_after, docker_digest; /* response headers */
    struct tk_buf errbody; /* the start of a non-2xx body */
    /* private */
    struct registry_http *http;
    int cb_rc;
    struct tk_err *err;
};
void registry_xfer_free(struct registry_xfer *x);

/*
 * GET url. Authorization (authz, a whole header line, may be NULL) is sent only while the
 * URL's origin is authz_origin; redirects are followed (plain http only when allow_http).
 * Connection errors, timeouts, truncated bodies, 429 and 5xx are retried up to retries
 * times with exponential backoff (Retry-After honoured, capped), the sink reset first.
 * Returns the final HTTP status: 2xx with the body complete and verified, or a 4xx the
 * caller interprets; < 0 with err set otherwise.
 */
int registry_http_get(struct registry_http *h, const char *url, const char *accept,
                      const char *authz, const char *authz_origin, int allow_http, int retries,
                      struct registry_xfer *x, struct tk_err *err);

/* "scheme://host:port" of url, lowercase, default port filled in; heap, NULL when url does
 * not parse. */
char *registry_url_origin(const char *url);

/* s percent-encoded for a URL query; heap (free()), NULL when out of memory. */
char *registry_url_escape(const char *s);

/* Append the registry's own words from x's error body as ": CODE: message" (or nothing). */
void registry_xfer_add_error(struct tk_buf *b, const struct registry_xfer *x);
