/* Registry authentication parsers: WWW-Authenticate challenges (RFC 7235 syntax), Docker
 * auth files and token answers. No I/O here. */
#include "image/auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/cleanup.h"

#define TOKEN_DEFAULT_EXPIRES_S 60
#define TOKEN_EARLY_S 5
#define REGISTRY_ERROR_MAX 512

/* ---- WWW-Authenticate ---- */

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static int is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A token: returns its length (0 when none) and leaves the cursor after it. */
static size_t read_token(struct cursor *c, const char **start)
{
    *start = c->p;
    while (c->p < c->end && is_tchar(*c->p))
        c->p++;
    return (size_t)(c->p - *start);
}

/* A parameter value: a quoted string (backslash escapes) or anything up to a comma or
 * whitespace (lenient: scopes like repository:a/b:pull are often sent unquoted). */
static int read_value(struct cursor *c, char **out, struct tk_err *err)
{
    struct tk_buf b = TK_BUF_INIT;

    if (c->p < c->end && *c->p == '"') {
        c->p++;
        for (;;) {
            if (c->p >= c->end) {
                tk_buf_free(&b);
                return tk_err_set(err, -EINVAL,
                                  "parse authentication challenge: unterminated quoted string");
            }
            char ch = *c->p++;
            if (ch == '"')
                break;
            if (ch == '\\' && c->p < c->end)
                ch = *c->p++;
            tk_buf_addc(&b, ch);
        }
    } else {
        const char *s = c->p;
        while (c->p < c->end && *c->p != ',' && *c->p != ' ' && *c->p != '\t')
            c->p++;
        tk_buf_add(&b, s, (size_t)(c->p - s));
    }
    if (memchr(b.s ? b.s : "", '\0', b.len)) {
        tk_buf_free(&b);
        return tk_err_set(err, -EINVAL, "parse authentication challenge: NUL in a value");
    }
    *out = tk_buf_detach(&b);
    return 0;
}

static char **challenge_slot(struct image_auth_challenge *ch, const char *name, size_t n)
{
    if (n == 5 && !strncasecmp(name, "realm", 5))
        return &ch->realm;
    if (n == 7 && !strncasecmp(name, "service", 7))
        return &ch->service;
    if (n == 5 && !strncasecmp(name, "scope", 5))
        return &ch->scope;
    if (n == 5 && !strncasecmp(name, "error", 5))
        return &ch->error;
    return NULL;
}

/* Parameters of one challenge, until the input ends or the next challenge's scheme. */
static int read_params(struct cursor *c, struct image_auth_challenge *ch, struct tk_err *err)
{
    for (;;) {
        skip_ws(c);
        while (c->p < c->end && (*c->p == ',' || *c->p == ' ' || *c->p == '\t'))
            c->p++;
        if (c->p >= c->end)
            return 0;
        const char *save = c->p, *name;
        size_t n = read_token(c, &name);
        if (n == 0)
            return tk_err_set(err, -EINVAL,
                              "parse authentication challenge: unexpected character '%c'", *c->p);
        skip_ws(c);
        if (c->p >= c->end || *c->p != '=') {
            c->p = save; /* the next challenge's scheme */
            return 0;
        }
        c->p++;                              /* '=' */
        if (c->p < c->end && *c->p == '=') { /* token68 padding: "abc==" */
            while (c->p < c->end && *c->p == '=')
                c->p++;
            continue;
        }
        skip_ws(c);
        _cleanup_free_ char *value = NULL;
        int r = read_value(c, &value, err);
        if (r < 0)
            return r;
        char **slot = challenge_slot(ch, name, n);
        if (slot && !*slot)
            *slot = TAKE_PTR(value);
    }
}

void image_auth_challenge_free(struct image_auth_challenge *c)
{
    if (!c)
        return;
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

int image_auth_parse_challenge(const char *header, size_t len, struct image_auth_challenge *out,
                               struct tk_err *err)
{
    struct cursor c = {header, header + len};
    struct image_auth_challenge bearer = {0}, basic = {0};
    int r = 0;

    memset(out, 0, sizeof(*out));
    while (r == 0) {
        while (c.p < c.end && (*c.p == ',' || *c.p == ' ' || *c.p == '\t'))
            c.p++;
        if (c.p >= c.end)
            break;
        const char *scheme;
        size_t n = read_token(&c, &scheme);
        if (n == 0) {
            r = tk_err_set(err, -EINVAL,
                           "parse authentication challenge: unexpected character '%c'", *c.p);
            break;
        }
        struct image_auth_challenge cur = {IMAGE_AUTH_NONE, NULL, NULL, NULL, NULL};
        if (n == 6 && !strncasecmp(scheme, "bearer", 6))
            cur.scheme = IMAGE_AUTH_BEARER;
        else if (n == 5 && !strncasecmp(scheme, "basic", 5))
            cur.scheme = IMAGE_AUTH_BASIC;
        r = read_params(&c, &cur, err);
        if (r == 0 && cur.scheme == IMAGE_AUTH_BEARER && bearer.scheme == IMAGE_AUTH_NONE)
            bearer = cur;
        else if (r == 0 && cur.scheme == IMAGE_AUTH_BASIC && basic.scheme == IMAGE_AUTH_NONE)
            basic = cur;
        else
            image_auth_challenge_free(&cur);
    }
    if (r == 0 && bearer.scheme == IMAGE_AUTH_BEARER && !bearer.realm)
        r = tk_err_set(err, -EINVAL, "parse authentication challenge: bearer without realm");
    if (r == 0 && bearer.scheme == IMAGE_AUTH_NONE && basic.scheme == IMAGE_AUTH_NONE)
        r = tk_err_set(err, -EINVAL, "parse authentication challenge: no supported challenge");
    if (r == 0) {
        *out = bearer.scheme == IMAGE_AUTH_BEARER ? bearer : basic;
        if (bearer.scheme == IMAGE_AUTH_BEARER)
            image_auth_challenge_free(&basic);
        return 0;
    }
    image_auth_challenge_free(&bearer);
    image_auth_challenge_free(&basic);
    return r;
}

/* ---- auth files ---- */

void image_auth_creds_free(struct image_auth_creds *c)
{
    if (!c)
        return;
    if (c->password)
        explicit_bzero(c->password, strlen(c->password));
    free(c->username);
    free(c->password);
    memset(c, 0, sizeof(*c));
}

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

/* Standard or URL-safe base64, padding optional. Heap, NUL-terminated; NULL when
 * malformed. */
static char *b64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '=')
        n--;
    char *out = malloc(n * 3 / 4 + 2);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6) { /* a lone trailing character carries no whole byte */
        free(out);
        return NULL;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* "https://Host:5000/v2/" -> "host:5000"; docker.io's aliases -> "docker.io". */
static char *normalise_host(const char *key)
{
    const char *p = strstr(key, "://");
    p = p ? p + 3 : key;
    size_t n = strcspn(p, "/");
    char *h = strndup(p, n);
    if (!h)
        return NULL;
    for (char *q = h; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
    if (!strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io")) {
        free(h);
        h = strdup("docker.io");
    }
    return h;
}

static int creds_from_entry(json_t *entry, const char *key, struct image_auth_creds *out,
                            struct tk_err *err)
{
    const char *auth = json_string_value(json_object_get(entry, "auth"));
    const char *user = json_string_value(json_object_get(entry, "username"));
    const char *pass = json_string_value(json_object_get(entry, "password"));

    if (!json_is_object(entry))
        return tk_err_set(err, -EINVAL, "auth file entry '%s': not an object", key);
    if (auth && *auth) {
        size_t len = 0;
        _cleanup_free_ char *plain = b64_decode(auth, &len);
        char *colon = plain ? memchr(plain, ':', len) : NULL;
        if (!plain || !colon || strlen(plain) != len) {
            if (plain)
                explicit_bzero(plain, len);
            return tk_err_set(err, -EINVAL,
                              "auth file entry '%s': \"auth\" is not base64 of user:password", key);
        }
        *colon = '\0';
        out->username = strdup(plain);
        out->password = strdup(colon + 1);
        explicit_bzero(plain, len);
    } else if (user && pass) {
        out->username = strdup(user);
        out->password = strdup(pass);
    } else if (json_object_get(entry, "identitytoken")) {
        return tk_err_set(err, -EINVAL, "auth file entry '%s': identity tokens are not supported",
                          key);
    } else {
        return tk_err_set(err, -EINVAL, "auth file entry '%s': no \"auth\" field", key);
    }
    if (!out->username || !out->password) {
        image_auth_creds_free(out);
        return tk_err_set(err, -ENOMEM, "auth file entry '%s': out of memory", key);
    }
    return 1;
}

int image_auth_file_lookup(const char *json, size_t len, const char *host,
                           struct image_auth_creds *out, struct tk_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    _cleanup_free_ char *want = normalise_host(host);
    const char *key;
    json_t *entry;
    int r = 0;

    memset(out, 0, sizeof(*out));
    if (!root)
        return tk_err_set(err, -EINVAL, "parse auth file: line %d: %s", jerr.line, jerr.text);
    json_t *auths = json_object_get(root, "auths");
    if (!json_is_object(root) || (auths && !json_is_object(auths))) {
        json_decref(root);
        return tk_err_set(err, -EINVAL, "parse auth file: \"auths\" must be an object");
    }
    json_object_foreach(auths, key, entry)
    {
        _cleanup_free_ char *h = normalise_host(key);
        if (h && want && !strcmp(h, want)) {
            r = creds_from_entry(entry, key, out, err);
            break;
        }
    }
    json_decref(root);
    return r;
}

/* ---- token answers ---- */

void image_auth_token_free(struct image_auth_token *t)
{
    if (!t)
        return;
    free(t->token);
    memset(t, 0, sizeof(*t));
}

/* RFC 3339 ("2026-01-02T03:04:05.123Z", "…+02:00") to Unix seconds; -1 when malformed. */
static int64_t parse_rfc3339(const char *s)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    int64_t t = (int64_t)timegm(&tm);
    if (*p == 'Z' || *p == 'z')
        return p[1] ? -1 : t;
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && isdigit((unsigned char)p[1]) &&
        isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[4]) &&
        isdigit((unsigned char)p[5])) {
        int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[4] - '0') * 10 + (p[5] - '0');
        int64_t off = (int64_t)hh * 3600 + mm * 60;
        return *p == '+' ? t - off : t + off;
    }
    return -1;
}

int image_auth_parse_token(const char *json, size_t len, int64_t now_s,
                           struct image_auth_token *out, struct tk_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    int64_t expires_in = TOKEN_DEFAULT_EXPIRES_S, base = now_s;

    memset(out, 0, sizeof(*out));
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return tk_err_set(err, -EINVAL, "parse token answer: not a JSON object");
    }
    const char *tok = json_string_value(json_object_get(root, "token"));
    if (!tok || !*tok)
        tok = json_string_value(json_object_get(root, "access_token"));
    json_t *exp = json_object_get(root, "expires_in");
    if (json_is_integer(exp) && json_integer_value(exp) > 0)
        expires_in = json_integer_value(exp);
    else if (json_is_real(exp) && json_real_value(exp) >= 1 && json_real_value(exp) < 1e12)
        expires_in = (int64_t)json_real_value(exp);
    const char *issued = json_string_value(json_object_get(root, "issued_at"));
    if (issued) {
        int64_t t = parse_rfc3339(issued);
        if (t > 0 && t <= now_s)
            base = t;
    }
    if (!tok || !*tok || strpbrk(tok, "\r\n")) {
        json_decref(root);
        return tk_err_set(err, -EINVAL, "parse token answer: no token");
    }
    out->token = strdup(tok);
    json_decref(root);
    if (!out->token)
        return tk_err_set(err, -ENOMEM, "parse token answer: out of memory");
    if (expires_in > INT64_MAX / 4)
        expires_in = INT64_MAX / 4;
    out->expires_at_s = base + expires_in - (expires_in > 2 * TOKEN_EARLY_S ? TOKEN_EARLY_S : 0);
    return 0;
}

/* ---- registry error bodies ---- */

char *image_auth_registry_error(const char *json, size_t len)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *errors = json_object_get(root, "errors");
    struct tk_buf b = TK_BUF_INIT;
    size_t i;
    json_t *e;

    if (!json_is_array(errors) || json_array_size(errors) == 0) {
        json_decref(root);
        return NULL;
    }
    json_array_foreach(errors, i, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (!code && !msg)
            continue;
        if (b.len)
            tk_buf_adds(&b, "; ");
        if (code && msg)
            tk_buf_addf(&b, "%s: %s", code, msg);
        else
            tk_buf_adds(&b, code ? code : msg);
        if (b.len > REGISTRY_ERROR_MAX)
            break;
    }
    json_decref(root);
    if (!b.len) {
        tk_buf_free(&b); /* an empty "code" still allocated */
        return NULL;
    }
    if (b.len > REGISTRY_ERROR_MAX) {
        b.s[REGISTRY_ERROR_MAX] = '\0';
        b.len = REGISTRY_ERROR_MAX;
    }
    for (char *p = b.s; *p; p++) /* one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return tk_buf_detach(&b);
}
