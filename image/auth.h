#pragma once
/*
 * Registry authentication parsers: WWW-Authenticate challenges, Docker-style auth files
 * and token-server answers. Pure functions over text (no I/O, no globals) so they can be
 * tested and fuzzed on their own; the registry client (image/registry.c) uses them.
 *
 * All results are heap-owned by the caller; free them with the matching _free function
 * (which accepts zeroed structs). Inputs may be arbitrary bytes: malformed text fails with
 * -EINVAL and err set, never crashes, and never reads past len.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum image_auth_scheme {
    IMAGE_AUTH_NONE,
    IMAGE_AUTH_BASIC,
    IMAGE_AUTH_BEARER,
};

/* One challenge: `Bearer realm="https://auth.example/token",service="reg",scope="…"`. */
struct image_auth_challenge {
    enum image_auth_scheme scheme;
    char *realm;   /* NULL when absent */
    char *service; /* NULL when absent */
    char *scope;   /* NULL when absent */
    char *error;   /* the error parameter ("invalid_token"), NULL when absent */
};

/* Parse the value of one WWW-Authenticate header (len bytes, need not be NUL-terminated).
 * When the header offers several challenges, the Bearer one is preferred over Basic;
 * unknown schemes are skipped. Parameter names are case-insensitive; values may be tokens
 * or quoted strings with backslash escapes. Returns 0, or -EINVAL ("no supported
 * challenge", "unterminated quoted string", …) with *out zeroed. A Bearer challenge
 * without a realm is -EINVAL. */
int image_auth_parse_challenge(const char *header, size_t len, struct image_auth_challenge *out,
                               struct tk_err *err);
void image_auth_challenge_free(struct image_auth_challenge *c);

/* Credentials for one registry host. */
struct image_auth_creds {
    char *username;
    char *password;
};
void image_auth_creds_free(struct image_auth_creds *c);

/* Look host ("127.0.0.1:5000", "docker.io") up in the text of a Docker-style auth file
 * (config.json / auth.json):
 *   {"auths": {"HOST": {"auth": "base64(user:password)"}}}
 * ("username"/"password" fields are accepted too). Keys match after dropping a scheme and
 * a path ("https://host:5000/v2/" = "host:5000"); docker.io also matches
 * "https://index.docker.io/v1/", "index.docker.io" and "registry-1.docker.io".
 * Returns 1 and fills *out when found, 0 when the file has no entry for host, -EINVAL on
 * malformed JSON or a malformed entry for host (err says which). */
int image_auth_file_lookup(const char *json, size_t len, const char *host,
                           struct image_auth_creds *out, struct tk_err *err);

/* A token server's answer: {"token": "…"} or {"access_token": "…"}, with optional
 * "expires_in" (seconds, default 60) and "issued_at" (RFC 3339). now_s is the current
 * Unix time; *expires_at_s receives when the token stops being usable (a few seconds early,
 * counted from issued_at when it is not in the future, else from now_s). */
struct image_auth_token {
    char *token;
    int64_t expires_at_s;
};
int image_auth_parse_token(const char *json, size_t len, int64_t now_s,
                           struct image_auth_token *out, struct tk_err *err);
void image_auth_token_free(struct image_auth_token *t);

/* Registry error bodies {"errors":[{"code":"…","message":"…"}]}: a heap string
 * "CODE: message; …" of at most ~512 bytes, or NULL when the body is not of that form. */
char *image_auth_registry_error(const char *json, size_t len);
