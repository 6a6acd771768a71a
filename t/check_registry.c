/* Unit tests: registry authentication parsers (challenges, auth files, token answers,
 * registry error bodies). The client itself is tested against t/fakereg.py and a real
 * registry by the t12xx shell tests. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/auth.h"
#include "image/ref.h"
#include "image/registry.h"

static const struct {
    const char *header;
    enum image_auth_scheme scheme;
    const char *realm, *service, *scope, *error;
} good_challenges[] = {
    {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
     "scope=\"repository:library/busybox:pull\"",
     IMAGE_AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io",
     "repository:library/busybox:pull", NULL},
    /* case-insensitive scheme and names, spaces around '=' and ',' */
    {"bearer  REALM = \"http://127.0.0.1:1/t\" , Service=reg", IMAGE_AUTH_BEARER,
     "http://127.0.0.1:1/t", "reg", NULL, NULL},
    /* escapes inside quoted strings; unquoted scope with ':' and '/' */
    {"Bearer realm=\"http://h/a\\\"b\",scope=repository:a/b:pull,error=\"invalid_token\"",
     IMAGE_AUTH_BEARER, "http://h/a\"b", NULL, "repository:a/b:pull", "invalid_token"},
    {"Basic realm=\"Registry Realm\"", IMAGE_AUTH_BASIC, "Registry Realm", NULL, NULL, NULL},
    {"Basic", IMAGE_AUTH_BASIC, NULL, NULL, NULL, NULL},
    /* several challenges: Bearer preferred, unknown schemes and token68 skipped */
    {"Basic realm=\"r\", Bearer realm=\"http://x/token\",service=\"s\"", IMAGE_AUTH_BEARER,
     "http://x/token", "s", NULL, NULL},
    {"Negotiate abc==, Basic realm=\"r\"", IMAGE_AUTH_BASIC, "r", NULL, NULL, NULL},
    {"Digest realm=\"d\", nonce=\"n\", Basic realm=\"b\"", IMAGE_AUTH_BASIC, "b", NULL, NULL, NULL},
    /* a repeated parameter keeps its first value */
    {"Bearer realm=\"first\",realm=\"second\"", IMAGE_AUTH_BEARER, "first", NULL, NULL, NULL},
};

START_TEST(challenge_good)
{
    struct image_auth_challenge c;
    struct tk_err err = {0};
    const char *h = good_challenges[_i].header;

    ck_assert_msg(image_auth_parse_challenge(h, strlen(h), &c, &err) == 0, "%s: %s", h, err.msg);
    ck_assert_int_eq(c.scheme, good_challenges[_i].scheme);
    ck_assert_pstr_eq(c.realm, good_challenges[_i].realm);
    ck_assert_pstr_eq(c.service, good_challenges[_i].service);
    ck_assert_pstr_eq(c.scope, good_challenges[_i].scope);
    ck_assert_pstr_eq(c.error, good_challenges[_i].error);
    image_auth_challenge_free(&c);
}
END_TEST

static const struct {
    const char *header, *why;
} bad_challenges[] = {
    {"", "no supported challenge"},
    {"Negotiate abc==", "no supported challenge"},
    {"Bearer service=\"s\"", "bearer without realm"},
    {"Bearer realm=\"http://x", "unterminated quoted string"},
    {"Bearer realm=\"x\", @", "unexpected character '@'"},
    {"\"Bearer\"", "unexpected character"},
};

START_TEST(challenge_bad)
{
    struct image_auth_challenge c;
    struct tk_err err = {0};
    const char *h = bad_challenges[_i].header;

    ck_assert_int_eq(image_auth_parse_challenge(h, strlen(h), &c, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, bad_challenges[_i].why), "%s: got '%s'", h, err.msg);
    ck_assert_ptr_null(c.realm);
}
END_TEST

START_TEST(challenge_not_nul_terminated)
{
    /* the parser reads len bytes only: the realm ends where len ends */
    const char h[] = "Bearer realm=abcdefXXXX";
    struct image_auth_challenge c;
    struct tk_err err = {0};

    ck_assert_int_eq(image_auth_parse_challenge(h, strlen(h) - 4, &c, &err), 0);
    ck_assert_str_eq(c.realm, "abcdef");
    image_auth_challenge_free(&c);
    ck_assert_int_eq(image_auth_parse_challenge("Bearer realm=\"x\"", 15, &c, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "unterminated"));
}
END_TEST

/* base64("alice:s3cr:et") = YWxpY2U6czNjcjpldA== ; base64("bob:pw") = Ym9iOnB3 */
static const char AUTH_FILE[] =
    "{\"auths\": {\n"
    "  \"https://index.docker.io/v1/\": {\"auth\": \"YWxpY2U6czNjcjpldA==\"},\n"
    "  \"http://127.0.0.1:5000/v2/\": {\"auth\": \"Ym9iOnB3\"},\n"
    "  \"Quay.IO\": {\"username\": \"carol\", \"password\": \"pass\"},\n"
    "  \"nopad.example\": {\"auth\": \"Ym9iOnB3\"},\n"
    "  \"bad.example\": {\"auth\": \"bm9jb2xvbg==\"},\n"
    "  \"junk.example\": {\"auth\": \"!!!\"},\n"
    "  \"idtoken.example\": {\"identitytoken\": \"xyz\"}\n"
    "}, \"credsStore\": \"desktop\"}\n";

static const struct {
    const char *host;
    int rc;
    const char *user, *pass, *why;
} lookups[] = {
    {"docker.io", 1, "alice", "s3cr:et", NULL},
    {"registry-1.docker.io", 1, "alice", "s3cr:et", NULL},
    {"127.0.0.1:5000", 1, "bob", "pw", NULL},
    {"quay.io", 1, "carol", "pass", NULL},
    {"nopad.example", 1, "bob", "pw", NULL},
    {"127.0.0.1:5001", 0, NULL, NULL, NULL},
    {"127.0.0.1", 0, NULL, NULL, NULL},
    {"bad.example", -EINVAL, NULL, NULL, "not base64 of user:password"},
    {"junk.example", -EINVAL, NULL, NULL, "not base64 of user:password"},
    {"idtoken.example", -EINVAL, NULL, NULL, "identity tokens are not supported"},
};

START_TEST(auth_file_lookup)
{
    struct image_auth_creds cr;
    struct tk_err err = {0};
    int rc = image_auth_file_lookup(AUTH_FILE, strlen(AUTH_FILE), lookups[_i].host, &cr, &err);

    ck_assert_msg(rc == lookups[_i].rc, "%s: rc %d (%s)", lookups[_i].host, rc, err.msg);
    ck_assert_pstr_eq(cr.username, lookups[_i].user);
    ck_assert_pstr_eq(cr.password, lookups[_i].pass);
    if (lookups[_i].why)
        ck_assert_msg(strstr(err.msg, lookups[_i].why), "%s", err.msg);
    image_auth_creds_free(&cr);
}
END_TEST

START_TEST(auth_file_malformed)
{
    struct image_auth_creds cr;
    struct tk_err err = {0};
    const char *bad[] = {"", "{", "[]", "{\"auths\": []}", "{\"auths\": {\"a\": 1}, \"auths\": 2}"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(image_auth_file_lookup(bad[i], strlen(bad[i]), "a", &cr, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "auth file"));
    }
    /* an entry that is not an object, for the host asked */
    const char *f = "{\"auths\": {\"a\": 1}}";
    ck_assert_int_eq(image_auth_file_lookup(f, strlen(f), "a", &cr, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not an object"));
    /* no auths at all: nothing found */
    ck_assert_int_eq(image_auth_file_lookup("{}", 2, "a", &cr, &err), 0);
}
END_TEST

START_TEST(token_answers)
{
    struct image_auth_token t;
    struct tk_err err = {0};
    const int64_t now = 1800000000; /* 2027-01-15T08:00:00Z */
    const char *a = "{\"token\":\"abc\",\"expires_in\":300}";
    const char *b = "{\"access_token\":\"xyz\"}";
    const char *c =
        "{\"token\":\"t\",\"expires_in\":300,\"issued_at\":\"2027-01-15T07:59:00.123Z\"}";
    const char *d =
        "{\"token\":\"t\",\"expires_in\":300,\"issued_at\":\"2027-01-15T09:59:00+02:00\"}";
    const char *future =
        "{\"token\":\"t\",\"expires_in\":300,\"issued_at\":\"2030-01-01T00:00:00Z\"}";

    ck_assert_int_eq(image_auth_parse_token(a, strlen(a), now, &t, &err), 0);
    ck_assert_str_eq(t.token, "abc");
    ck_assert_int_eq(t.expires_at_s, now + 300 - 5);
    image_auth_token_free(&t);
    ck_assert_int_eq(image_auth_parse_token(b, strlen(b), now, &t, &err), 0);
    ck_assert_str_eq(t.token, "xyz");
    ck_assert_int_eq(t.expires_at_s, now + 60 - 5); /* default lifetime 60 s */
    image_auth_token_free(&t);
    ck_assert_int_eq(image_auth_parse_token(c, strlen(c), now, &t, &err), 0);
    ck_assert_int_eq(t.expires_at_s, now - 60 + 300 - 5); /* counted from issued_at */
    image_auth_token_free(&t);
    ck_assert_int_eq(image_auth_parse_token(d, strlen(d), now, &t, &err), 0);
    ck_assert_int_eq(t.expires_at_s, now - 60 + 300 - 5); /* offsets honoured */
    image_auth_token_free(&t);
    ck_assert_int_eq(image_auth_parse_token(future, strlen(future), now, &t, &err), 0);
    ck_assert_int_eq(t.expires_at_s, now + 300 - 5); /* a clock ahead of ours is ignored */
    image_auth_token_free(&t);

    const char *bad[] = {
        "", "[]", "{}", "{\"token\":\"\"}", "{\"token\":5}", "{\"token\":\"a\\r\\nX-Evil: 1\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(image_auth_parse_token(bad[i], strlen(bad[i]), now, &t, &err), -EINVAL);
        ck_assert_ptr_null(t.token);
    }
}
END_TEST

START_TEST(registry_errors)
{
    const char *a = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
                    "unknown\",\"detail\":{}}]}";
    const char *b = "{\"errors\":[{\"code\":\"DENIED\"},{\"message\":\"no\\nway\"}]}";
    char *s = image_auth_registry_error(a, strlen(a));

    ck_assert_str_eq(s, "MANIFEST_UNKNOWN: manifest unknown");
    free(s);
    s = image_auth_registry_error(b, strlen(b));
    ck_assert_str_eq(s, "DENIED; no way");
    free(s);
    ck_assert_ptr_null(image_auth_registry_error("<html>", 6));
    ck_assert_ptr_null(image_auth_registry_error("{\"errors\":[]}", 13));
}
END_TEST

static int null_sink(void *ctx, const void *data, size_t len, struct tk_err *err)
{
    return 0;
}

/* Requests that cannot be made fail before any network access, with a clear message. */
START_TEST(client_rejects_bad_requests)
{
    struct registry_client *c = NULL;
    struct registry_opts o = {0};
    struct image_ref oci, reg;
    struct registry_manifest m;
    struct tk_err err = {0};
    char *buf = NULL;
    size_t len = 0;

    ck_assert_int_eq(registry_client_new(&c, &o, &err), 0);
    ck_assert_int_eq(image_ref_parse("oci:/nonexistent/layout", &oci, &err), 0);
    ck_assert_int_eq(image_ref_parse("127.0.0.1:1/app:1", &reg, &err), 0);

    ck_assert_int_eq(registry_get_manifest(c, &oci, "latest", &m, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "is not a registry reference"));
    ck_assert_int_eq(registry_get_manifest(c, &reg, "sha256:abc", &m, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "invalid reference 'sha256:abc'"));
    ck_assert_int_eq(registry_get_blob(c, &reg, "sha256:xyz", -1, null_sink, NULL, NULL, &err),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "invalid digest 'sha256:xyz'"));
    ck_assert_int_eq(registry_get_blob_mem(c, &reg, "md5:00", 10, &buf, &len, &err), -EINVAL);
    ck_assert_ptr_null(buf);

    image_ref_free(&oci);
    image_ref_free(&reg);
    registry_client_free(c);
    registry_client_free(NULL);
}
END_TEST

START_TEST(client_auth_file_errors)
{
    struct registry_client *c = (struct registry_client *)1;
    struct registry_opts o = {.auth_file = "/nonexistent/tank-auth.json"};
    struct tk_err err = {0};

    ck_assert_int_eq(registry_client_new(&c, &o, &err), -ENOENT);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.msg,
                     "read auth file '/nonexistent/tank-auth.json': No such file or directory");
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("auth");

    tcase_add_loop_test(tc, challenge_good, 0,
                        (int)(sizeof(good_challenges) / sizeof(good_challenges[0])));
    tcase_add_loop_test(tc, challenge_bad, 0,
                        (int)(sizeof(bad_challenges) / sizeof(bad_challenges[0])));
    tcase_add_test(tc, challenge_not_nul_terminated);
    tcase_add_loop_test(tc, auth_file_lookup, 0, (int)(sizeof(lookups) / sizeof(lookups[0])));
    tcase_add_test(tc, auth_file_malformed);
    tcase_add_test(tc, token_answers);
    tcase_add_test(tc, registry_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("client");
    tcase_add_test(tc, client_rejects_bad_requests);
    tcase_add_test(tc, client_auth_file_errors);
    suite_add_tcase(s, tc);
    return s;
}
