/* spec/: manifests as bytes: several documents in a file, JSON, encodings and line ends,
 * hostile input (aliases, nesting, size, mutations of a real example) and the loader of a
 * directory tree, with its name clashes. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fs.h"
#include "spec/spec.h"
#include "t/spectest.h"

START_TEST(test_multi_document)
{
    static const char text[] = "---\n"
                               "apiVersion: v1\nkind: Pod\nmetadata: {name: one}\n"
                               "spec: {containers: [{name: a, image: busybox}]}\n"
                               "---\n"
                               "# an empty document is skipped\n"
                               "---\n"
                               "apiVersion: v1\nkind: Pod\nmetadata: {name: two}\n"
                               "spec: {containers: [{name: a, image: busybox, bogus: 1}]}\n"
                               "---\n"
                               "apiVersion: v1\nkind: Pod\nmetadata: {name: three}\n"
                               "spec: {containers: [{name: a, image: busybox}]}\n";
    struct spec_set set;
    spec_set_init(&set);
    ck_assert_int_eq(spec_parse_buffer(&set, "m.yaml", text, strlen(text)), 1);
    ck_assert_uint_eq(set.n_pods, 2);
    ck_assert_str_eq(set.pods[0]->name, "one");
    ck_assert_int_eq(set.pods[0]->line, 2);
    ck_assert_str_eq(set.pods[1]->name, "three");
    ck_assert_int_eq(set.pods[1]->line, 14);
    ck_assert_ptr_eq(spec_set_find(&set, "three"), set.pods[1]);
    ck_assert_ptr_null(spec_set_find(&set, "two"));
    /* each pod keeps its document as written (tank diff compares with it), copies too */
    ck_assert_str_eq(set.pods[0]->source, "apiVersion: v1\nkind: Pod\nmetadata: {name: one}\n"
                                          "spec: {containers: [{name: a, image: busybox}]}\n");
    struct spec_pod *dup = spec_pod_dup(set.pods[1]);
    ck_assert_str_eq(dup->source, "apiVersion: v1\nkind: Pod\nmetadata: {name: three}\n"
                                  "spec: {containers: [{name: a, image: busybox}]}\n");
    spec_pod_free(dup);
    ck_assert_str_eq(set.errors[0].message, "spec.containers[0].bogus: not supported");
    ck_assert_int_eq(set.errors[0].line, 12);
    ck_assert_int_eq(set.errors[0].column, 47);
    char line[512];
    spec_error_format(&set.errors[0], line, sizeof(line));
    ck_assert_str_eq(line, "m.yaml:12:47: spec.containers[0].bogus: not supported");
    spec_set_free(&set);
}
END_TEST

/* JSON escapes of characters outside the BMP are surrogate pairs; they parse, and the
 * columns of errors after them on the same line are those of the original text. */
START_TEST(test_json_surrogates)
{
    static const char ok[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"smile\","
        "\"annotations\":{\"face\":\"\\ud83d\\ude00 and \\uD83D\\uDE01\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}}";
    struct spec_pod *pod = parse_one("s.json", ok);
    ck_assert_str_eq(pod->annotations[0].value, "\xF0\x9F\x98\x80 and \xF0\x9F\x98\x81");
    spec_pod_free(pod);

    static const char bad[] = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                              "\"smile\",\"annotations\":{\"a\":\"\\ud83d\\ude00\\ud83d\\ude00\"},"
                              "\"oops\":1},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
                              "\"busybox\"}]}}";
    char *err = parse_error("s.json", bad);
    int col = (int)(strstr(bad, "\"oops\"") - bad) + 1;
    char want[256];
    snprintf(want, sizeof(want), "1:%d: metadata.oops: not supported", col);
    ck_assert_str_eq(err, want);
    free(err);
}
END_TEST

static const struct {
    const char *text;
    const char *want;
} bad_input[] = {
    {"", "1:1: no Pod in file"},
    {"# only a comment\n---\n", "1:1: no Pod in file"},
    {"just some words\n",
     "1:1: expected a Pod manifest (a mapping with apiVersion, kind, metadata and spec), got a "
     "string"},
    {"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\n",
     "1:13: apiVersion: 'apps/v1' is not supported (v1 or tank/v1)"},
    {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "1:1: spec: required"},
    {"apiVersion: v1\nkind: Service\nmetadata: {name: x}\n",
     "2:7: kind: 'Service' is not supported: Tank reads kind Pod, Deployment, DaemonSet, Job, "
     "CronJob, ConfigMap, Secret and PersistentVolumeClaim"},
    {"a: [1, 2\n", "2:1: not valid YAML: did not find expected ',' or ']' (while parsing a flow "
                   "sequence at line 1)"},
    {"a: &x [1]\nb: *x\n", "2:4: YAML aliases (*x) are not supported: write the value out in full"},
    {"a: \xff\n", "1:4: not valid YAML: invalid leading UTF-8 octet"},
    {"a: \"x\\0y\"\n", "1:4: a string contains a NUL character"},
    {"a: !custom x\n", "1:4: YAML tag '!custom' is not supported"},
};

START_TEST(test_bad_input)
{
    char *err = parse_error("bad.yaml", bad_input[_i].text);
    ck_assert_str_eq(err, bad_input[_i].want);
    free(err);
}
END_TEST

/* Billion laughs: refused at the first alias, quickly, whatever the expansion would be. */
START_TEST(test_billion_laughs)
{
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof(text), "a0: &a0 [lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 30; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    char *err = parse_error("lol.yaml", text);
    ck_assert_str_eq(err,
                     "2:10: YAML aliases (*a0) are not supported: write the value out in full");
    free(err);
}
END_TEST

START_TEST(test_deep_nesting)
{
    size_t depth = 10000;
    char *text = malloc(2 * depth + 2);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\n';
    text[2 * depth + 1] = '\0';
    char *err = parse_error("deep.yaml", text);
    ck_assert_str_eq(err, "1:65: nesting is deeper than 64 levels; refusing to parse");
    free(err);
    /* Block-style nesting too. */
    struct tk_buf_like {
        char *s;
        size_t len;
    } b = {calloc(1, 200000), 0};
    for (int i = 0; i < 100; i++)
        b.len += (size_t)snprintf(b.s + b.len, 200000 - b.len, "%*sk%d:\n", i, "", i);
    err = parse_error("deep.yaml", b.s);
    ck_assert_str_eq(err, "65:65: nesting is deeper than 64 levels; refusing to parse");
    free(err);
    free(b.s);
    free(text);
}
END_TEST

START_TEST(test_too_large)
{
    size_t len = SPEC_MAX_FILE_SIZE + 1;
    char *text = malloc(len);
    memset(text, '#', len);
    struct spec_set set;
    spec_set_init(&set);
    ck_assert_int_eq(spec_parse_buffer(&set, "big.yaml", text, len), 1);
    ck_assert_int_eq(set.errors[0].line, 0);
    ck_assert_msg(strstr(set.errors[0].message, "file too large"), "%s", set.errors[0].message);
    spec_set_free(&set);
    free(text);
}
END_TEST

/* Windows line endings: same pod, same positions. */
START_TEST(test_crlf)
{
    static const char text[] = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: web\r\n"
                               "spec:\r\n  containers:\r\n  - name: app\r\n"
                               "    image: busybox\r\n    bogus: 1\r\n";
    char *err = parse_error("crlf.yaml", text);
    ck_assert_str_eq(err, "9:5: spec.containers[0].bogus: not supported");
    free(err);
}
END_TEST

/* Mutated manifests (flipped, dropped and duplicated bytes, deterministic): every one gives
 * pods or located errors, never a crash, hang or leak (run under ASan by make asan). */
START_TEST(test_mutations)
{
    char *seed = NULL;
    size_t len = 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/pods/web-macvlan.yaml", src_dir());
    ck_assert_int_eq(tk_read_file(path, 1 << 20, &seed, &len), 0);
    static const char bytes[] = "{}[]:-,&*!|>'\"#%@`\t\n \\?\xff\xc3";
    unsigned state = 12345u + (unsigned)_i;
    char *buf = malloc(2 * len + 64);
    for (int round = 0; round < 200; round++) {
        size_t n = len;
        memcpy(buf, seed, len);
        for (int k = 0; k < 1 + round % 8; k++) {
            state = state * 1103515245u + 12345u;
            size_t at = (state >> 8) % n;
            switch ((state >> 4) % 4) {
            case 0: /* replace */
                buf[at] = bytes[(state >> 16) % (sizeof(bytes) - 1)];
                break;
            case 1: /* delete */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            case 2: /* insert */
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = bytes[(state >> 16) % (sizeof(bytes) - 1)];
                n++;
                break;
            default: /* duplicate a short run */
                if (n + 16 < 2 * len) {
                    size_t run = 1 + (state >> 20) % 16;
                    if (at + run > n)
                        run = n - at;
                    memmove(buf + at + run, buf + at, n - at);
                    n += run;
                }
                break;
            }
        }
        struct spec_set set;
        spec_set_init(&set);
        int r = spec_parse_buffer(&set, _i % 2 ? "m.json" : "m.yaml", buf, n);
        ck_assert_int_ge(r, 0);
        ck_assert_int_eq((size_t)r, set.n_errors);
        ck_assert_msg(set.n_pods + set.n_errors >= 1, "neither pod nor error");
        for (size_t e = 0; e < set.n_errors; e++)
            ck_assert_msg(set.errors[e].message[0] && set.errors[e].line >= 1 &&
                              set.errors[e].column >= 1,
                          "error without position or message");
        spec_set_free(&set);
    }
    free(buf);
    free(seed);
}
END_TEST

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/tank-check-spec.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void write_at(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
    *slash = '/';
    FILE *f = fopen(p, "we");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

#define POD(name)                                                                                  \
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " name "\n"                                     \
    "spec: {containers: [{name: a, image: busybox}]}\n"

/* Pod names are the host's: the same name in two namespaces is a clash naming both. */
START_TEST(test_namespace_clash)
{
    char *dir = make_tmpdir();
    char p[4096];
    write_at(dir, "a.yaml",
             "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
             "spec: {containers: [{name: a, image: busybox}]}\n");
    write_at(dir, "b.yaml",
             "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
             "spec: {containers: [{name: a, image: busybox}]}\n");
    struct spec_set set;
    spec_set_init(&set);
    ck_assert_int_eq(spec_load_tree(&set, dir), 1);
    ck_assert_uint_eq(set.n_pods, 1);
    ck_assert_str_eq(set.pods[0]->namespace, "shop");
    snprintf(p, sizeof(p),
             "metadata.name: pod name 'web' (namespace 'default') is already defined in "
             "%s/a.yaml:3 (namespace 'shop'); pod names are unique on a host whatever the "
             "namespace",
             dir);
    ck_assert_str_eq(set.errors[0].message, p);
    ck_assert_int_eq(set.errors[0].line, 4);
    spec_set_free(&set);
    ck_assert_int_eq(tk_rm_rf(dir), 0);
    free(dir);
}
END_TEST

START_TEST(test_load_tree)
{
    char *dir = make_tmpdir();
    char p[4096], q[4096];
    write_at(dir, "b.yaml", POD("bee"));
    write_at(dir, "a/z.yml", POD("zed"));
    write_at(dir, "a/web.yaml", POD("web"));
    write_at(dir, "c.json",
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"jay\"},"
             "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}}");
    write_at(dir, "d/again.yaml", POD("web"));
    write_at(dir, ".git/config.yaml", POD("hidden1"));
    write_at(dir, ".worktrees/x/pod.yaml", POD("hidden2"));
    write_at(dir, ".hidden.yaml", POD("hidden3"));
    write_at(dir, "README.md", "not a manifest\n");
    write_at(dir, "notes.txt", "apiVersion: v1\n");
    write_at(dir, "real/linked.yaml", POD("linked"));
    snprintf(p, sizeof(p), "%s/real", dir);
    snprintf(q, sizeof(q), "%s/e-link", dir);
    ck_assert_int_eq(symlink(p, q), 0);
    snprintf(q, sizeof(q), "%s/real/loop", dir);
    ck_assert_int_eq(symlink(dir, q), 0);

    struct spec_set set;
    spec_set_init(&set);
    int r = spec_load_tree(&set, dir);
    char errs[8192];
    dump_errors(&set, errs, sizeof(errs));
    ck_assert_msg(r == 1 && set.n_errors == 1, "expected one error, got %d:%s", r, errs);
    static const char *const want[] = {"web", "zed", "bee", "jay", "linked"};
    ck_assert_uint_eq(set.n_pods, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(set.pods[i]->name, want[i]);
    snprintf(p, sizeof(p), "%s/d/again.yaml", dir);
    ck_assert_str_eq(set.errors[0].file, p);
    ck_assert_int_eq(set.errors[0].line, 4);
    ck_assert_int_eq(set.errors[0].column, 9);
    snprintf(p, sizeof(p), "metadata.name: pod name 'web' is already defined in %s/a/web.yaml:4",
             dir);
    ck_assert_str_eq(set.errors[0].message, p);
    ck_assert_str_eq(spec_set_find(&set, "web")->file,
                     (snprintf(q, sizeof(q), "%s/a/web.yaml", dir), q));
    spec_set_free(&set);

    /* A missing path is an error, not a crash. */
    snprintf(p, sizeof(p), "%s/missing", dir);
    spec_set_init(&set);
    ck_assert_int_eq(spec_load_tree(&set, p), 1);
    ck_assert_str_eq(set.errors[0].message, "cannot read: No such file or directory");
    spec_set_free(&set);

    ck_assert_int_eq(tk_rm_rf(dir), 0);
    free(dir);
}
END_TEST

Suite *specinput_suite(void)
{
    Suite *s = suite_create("specinput");
    TCase *tc = tcase_create("documents");
    tcase_add_test(tc, test_multi_document);
    tcase_add_test(tc, test_json_surrogates);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad-input");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof(bad_input) / sizeof(bad_input[0])));
    tcase_add_test(tc, test_billion_laughs);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_too_large);
    tcase_add_test(tc, test_crlf);
    tcase_add_loop_test(tc, test_mutations, 0, 10);
    suite_add_tcase(s, tc);

    tc = tcase_create("tree");
    tcase_add_test(tc, test_load_tree);
    tcase_add_test(tc, test_namespace_clash);
    suite_add_tcase(s, tc);
    return s;
}
