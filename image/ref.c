/* Image references: parsing and Docker-style normalisation. The grammar is the
 * distribution reference grammar:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] component ( "/" component )*
 *   domain     := host [ ":" port ]        host: dns labels, or an IPv6 literal in brackets
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *
 * The first "/"-separated part is a domain when it holds a "." or ":" or is "localhost"
 * (or has uppercase letters, which a repository never has); otherwise the domain is
 * docker.io, and a single-component name on docker.io lives under "library/".
 */
#include "image/ref.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cleanup.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define REF_MAX_LEN 4096
#define DEFAULT_DOMAIN "docker.io"
#define OCI_PREFIX "oci:"

int image_digest_valid(const char *s)
{
    if (!s || strncmp(s, "sha256:", 7) != 0)
        return 0;
    s += 7;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

void image_ref_free(struct image_ref *ref)
{
    if (!ref)
        return;
    free(ref->registry);
    free(ref->repository);
    free(ref->tag);
    free(ref->digest);
    free(ref->canonical);
    memset(ref, 0, sizeof(*ref));
}

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component [s, s+n): alnum runs joined by ".", "_", "__" or "-"+. */
static const char *check_component(const char *s, size_t n)
{
    size_t i = 0;

    if (n == 0)
        return "empty path component";
    while (i < n) {
        if (!is_lower_alnum(s[i]))
            return "path components must start and end with a letter or digit";
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            break;
        size_t sep = i;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        else
            return NULL; /* caller reports the character */
        if (i == n || i == sep)
            return "path components must start and end with a letter or digit";
    }
    return NULL;
}

/* The repository path (components joined by "/"). Returns a reason or NULL. */
static const char *check_path(const char *path, char *bad)
{
    for (const char *p = path; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            return "repository name must be lowercase";
        if (!is_lower_alnum(*p) && !strchr("._-/", *p)) {
            *bad = *p;
            return NULL;
        }
    }
    for (const char *p = path;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        const char *why = check_component(p, n);
        if (why)
            return why;
        if (!slash)
            break;
        p = slash + 1;
    }
    return NULL;
}

/* host[:port], host being dns labels ([A-Za-z0-9] with inner '-', joined by '.') or
 * "[ipv6]". */
static int domain_valid(const char *d)
{
    const char *p = d, *end;

    if (*p == '[') {
        end = strchr(p, ']');
        if (!end || end == p + 1)
            return 0;
        for (const char *q = p + 1; q < end; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return 0;
        p = end + 1;
    } else {
        for (;;) {
            const char *label = p;
            while (isalnum((unsigned char)*p) || *p == '-')
                p++;
            if (p == label || *label == '-' || p[-1] == '-')
                return 0;
            if (*p != '.')
                break;
            p++;
        }
    }
    if (*p == ':') {
        const char *port = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == port || p - port > 5)
            return 0;
    }
    return *p == '\0';
}

static int tag_valid(const char *t)
{
    if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return 0;
    for (const char *p = t; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return 0;
    return 1;
}

static int is_hex64(const char *s)
{
    size_t n = strlen(s);
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int bad_ref(struct tk_err *err, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_ref(struct tk_err *err, const char *s, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return tk_err_set(err, -EINVAL, "invalid reference '%.300s%s': %s", s,
                      strlen(s) > 300 ? "…" : "", why);
}

static char *canonical_form(const struct image_ref *r)
{
    struct tk_buf b = TK_BUF_INIT;

    if (r->kind == IMAGE_REF_OCI_LAYOUT)
        tk_buf_addf(&b, "oci:%s", r->repository);
    else
        tk_buf_addf(&b, "%s/%s", r->registry, r->repository);
    if (r->tag)
        tk_buf_addf(&b, ":%s", r->tag);
    if (r->digest)
        tk_buf_addf(&b, "@%s", r->digest);
    return tk_buf_detach(&b);
}

/* oci:PATH[:TAG]; the path is made absolute (not resolved) so the canonical form names one
 * layout wherever it was given from. */
static int parse_oci(const char *s, struct image_ref *r, struct tk_err *err)
{
    const char *rest = s + strlen(OCI_PREFIX);
    const char *colon = strchr(rest, ':');
    size_t plen = colon ? (size_t)(colon - rest) : strlen(rest);

    if (plen == 0)
        return bad_ref(err, s, "empty oci layout path");
    if (colon && colon[1] == '\0')
        return bad_ref(err, s, "empty tag");
    if (colon) {
        for (const char *p = colon + 1; *p; p++)
            if ((unsigned char)*p <= ' ' || *p == 0x7f)
                return bad_ref(err, s, "tag contains a space or control character");
        if (strlen(colon + 1) > TAG_MAX_LEN)
            return bad_ref(err, s, "tag longer than 128 characters");
    }
    r->kind = IMAGE_REF_OCI_LAYOUT;
    if (rest[0] == '/') {
        r->repository = strndup(rest, plen);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return tk_err_sys(err, -errno, "invalid reference '%s': get current directory", s);
        struct tk_buf b = TK_BUF_INIT;
        tk_buf_addf(&b, "%s/%.*s", strcmp(cwd, "/") ? cwd : "", (int)plen, rest);
        r->repository = tk_buf_detach(&b);
    }
    r->tag = strdup(colon ? colon + 1 : "latest");
    if (!r->repository || !r->tag)
        return tk_err_set(err, -ENOMEM, "parse reference: out of memory");
    return 0;
}

/* Split name into domain and path as Docker normalises them. */
static int split_name(const char *s, const char *name, struct image_ref *r, struct tk_err *err)
{
    const char *slash = strchr(name, '/');
    const char *path = name;

    if (slash) {
        size_t n = (size_t)(slash - name);
        int is_domain = memchr(name, '.', n) || memchr(name, ':', n) ||
                        (n == 9 && !strncmp(name, "localhost", 9));
        for (size_t i = 0; i < n && !is_domain; i++)
            is_domain = name[i] >= 'A' && name[i] <= 'Z';
        if (is_domain) {
            r->registry = strndup(name, n);
            if (!r->registry)
                return -ENOMEM;
            if (!domain_valid(r->registry))
                return bad_ref(err, s, "invalid registry host '%s'", r->registry);
            if (!strcmp(r->registry, "index.docker.io")) {
                free(r->registry);
                r->registry = NULL;
            }
            path = slash + 1;
        }
    }
    if (!r->registry)
        r->registry = strdup(DEFAULT_DOMAIN);
    if (!r->registry)
        return -ENOMEM;
    if (!strcmp(r->registry, DEFAULT_DOMAIN) && !strchr(path, '/')) {
        struct tk_buf b = TK_BUF_INIT;
        tk_buf_addf(&b, "library/%s", path);
        r->repository = tk_buf_detach(&b);
    } else {
        r->repository = strdup(path);
    }
    return r->repository ? 0 : -ENOMEM;
}

static int parse_registry_ref(const char *s, struct image_ref *r, struct tk_err *err)
{
    _cleanup_free_ char *name = NULL;
    const char *at = strchr(s, '@');
    size_t nlen = at ? (size_t)(at - s) : strlen(s);
    char bad = 0;
    int rc;

    if (at) {
        if (!image_digest_valid(at + 1)) {
            if (at[1] && strncmp(at + 1, "sha256:", 7) && strchr(at + 1, ':'))
                return bad_ref(err, s, "unsupported digest algorithm (only sha256)");
            return bad_ref(err, s, "digest must be 'sha256:' and 64 lowercase hex digits");
        }
        r->digest = strdup(at + 1);
        if (!r->digest)
            return -ENOMEM;
    }
    name = strndup(s, nlen);
    if (!name)
        return -ENOMEM;
    /* a tag follows the last ':' when no '/' comes after it */
    char *colon = strrchr(name, ':');
    if (colon && !strchr(colon, '/')) {
        *colon = '\0';
        const char *tag = colon + 1;
        if (!*tag)
            return bad_ref(err, s, "empty tag");
        if (strlen(tag) > TAG_MAX_LEN)
            return bad_ref(err, s, "tag longer than 128 characters");
        if (!tag_valid(tag))
            return bad_ref(err, s, "invalid tag '%s'", tag);
        r->tag = strdup(tag);
        if (!r->tag)
            return -ENOMEM;
    }
    if (!*name)
        return bad_ref(err, s, "empty repository name");
    if (strlen(name) > NAME_MAX_LEN)
        return bad_ref(err, s, "repository name longer than 255 characters");
    if (!at && !r->tag && is_hex64(name))
        return bad_ref(err, s, "a 64-character hex string is an image id, not a name");
    rc = split_name(s, name, r, err);
    if (rc < 0)
        return rc;
    const char *why = check_path(r->repository, &bad);
    if (why)
        return bad_ref(err, s, "%s", why);
    if (bad) {
        if ((unsigned char)bad <= ' ' || bad == 0x7f)
            return bad_ref(err, s, "repository name contains a space or control character");
        return bad_ref(err, s, "invalid character '%c' in repository name", bad);
    }
    if (!r->tag && !r->digest && !(r->tag = strdup("latest")))
        return -ENOMEM;
    return 0;
}

int image_ref_parse(const char *s, struct image_ref *out, struct tk_err *err)
{
    struct image_ref r = {.kind = IMAGE_REF_REGISTRY};
    int rc;

    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return tk_err_set(err, -EINVAL, "invalid reference '': empty reference");
    if (strlen(s) > REF_MAX_LEN)
        return tk_err_set(err, -EINVAL, "invalid reference '%.40s…': longer than %d characters", s,
                          REF_MAX_LEN);
    if (!strncmp(s, OCI_PREFIX, strlen(OCI_PREFIX)))
        rc = parse_oci(s, &r, err);
    else
        rc = parse_registry_ref(s, &r, err);
    if (rc >= 0) {
        r.canonical = canonical_form(&r);
        rc = 0;
    }
    if (rc == -ENOMEM)
        tk_err_set(err, rc, "parse reference: out of memory");
    if (rc < 0) {
        image_ref_free(&r);
        return rc;
    }
    *out = r;
    return 0;
}
