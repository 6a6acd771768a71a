#pragma once
/*
 * Registry HTTP API v2 client (libcurl).
 *
 * One struct registry_client per pull; it keeps one connection alive and bearer tokens per
 * repository until they expire. Every manifest and blob digest is verified; connection
 * errors, truncated bodies, 5xx and 429 are retried with exponential backoff (Retry-After
 * honoured, capped at 30 s); a connect timeout and a low-speed limit bound every transfer.
 * Errors are user-facing and negative errno-style codes:
 *   -ENOENT  "image not found: 127.0.0.1:5000/app:1", "blob not found: sha256:… in HOST/REPO"
 *   -EACCES  "unauthorized: bad credentials for '127.0.0.1:5000'", "denied: access to …"
 *   -EBADMSG "blob sha256:…: digest mismatch (got sha256:…)", "…: larger than the expected N bytes"
 *   others   "manifest …: HTTP 503: …, gave up after 5 attempts", curl's transport message
 * Retries are reported with tk_info() ("…, retrying in 500ms").
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "image/ref.h"

/* Manifest media types the client asks for (Accept) and reports in media_type. */
#define REGISTRY_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REGISTRY_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REGISTRY_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REGISTRY_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct registry_opts {
    const char *const *insecure; /* hosts (host[:port]) spoken to over plain HTTP */
    size_t n_insecure;
    const char *const *mirrors; /* mirrors for docker.io, tried in order before it */
    size_t n_mirrors;
    const char *auth_file;   /* Docker-style config.json with "auths"; NULL = anonymous */
    int max_retries;         /* default 4 when 0; < 0 = no retries */
    long connect_timeout_ms; /* default 10000 when 0 */
    long low_speed_secs;     /* abort when under 1 KiB/s for this long; default 30 when 0 */
    int backoff_initial_ms;  /* first retry delay; default 500 when 0 */
    /* Told, one line each, of what the client will retry or try elsewhere ("GET URL: 503,
     * retrying in 500ms", "mirror 'URL': ...; trying the next source"), for the caller to
     * log as it sees fit; NULL = nobody is told. The client itself never logs. */
    void (*notice)(void *ctx, const char *msg);
    void *notice_ctx;
    /* The configuration file named when a registry answers TLS in plain HTTP ("registry H
     * speaks plain HTTP; add it to [registry] insecure in PATH"); NULL = /etc/tank/tank.ini.
     * Borrowed: must outlive the client. */
    const char *config_path;
};

/* A client may be created before fork(): a child that uses it opens its own connections
 * (the parent's are left alone) and keeps the tokens cached so far. Not thread-safe: use
 * one client per thread. */
struct registry_client;

int registry_client_new(struct registry_client **out, const struct registry_opts *opts,
                        struct tk_err *err);
void registry_client_free(struct registry_client *c);

/* A fetched manifest (or index). */
struct registry_manifest {
    char *body; /* raw bytes as served (digest computed over these), NUL-terminated */
    size_t len;
    char *media_type; /* from Content-Type, or the body's mediaType */
    char *digest;     /* "sha256:…" of body */
};
void registry_manifest_free(struct registry_manifest *m);

/* GET /v2/<repo>/manifests/<reference> where reference is a tag or a digest. With the
 * Accept list for OCI index/manifest and Docker list/schema2. When reference is a digest
 * the body must hash to it. Max 4 MiB. */
int registry_get_manifest(struct registry_client *c, const struct image_ref *ref,
                          const char *reference, struct registry_manifest *out, struct tk_err *err);

/* Receives blob bytes as they arrive; return < 0 to abort (the error is then the
 * callback's, with err set by it). */
typedef int (*registry_sink_fn)(void *ctx, const void *data, size_t len, struct tk_err *err);

/* GET /v2/<repo>/blobs/<digest>, streamed to sink, following redirects (Authorization
 * dropped when a redirect leaves the registry's host). The whole stream is hashed and must
 * match digest; expected_size (-1 = unknown) is enforced. On a retry after partial data the
 * sink's reset callback (may be NULL = no retry after data) is called first. */
int registry_get_blob(struct registry_client *c, const struct image_ref *ref, const char *digest,
                      int64_t expected_size, registry_sink_fn sink,
                      int (*reset)(void *ctx, struct tk_err *err), void *ctx, struct tk_err *err);

/* Small blob (image config) into memory, verified, at most max bytes. */
int registry_get_blob_mem(struct registry_client *c, const struct image_ref *ref,
                          const char *digest, size_t max, char **out, size_t *len,
                          struct tk_err *err);
