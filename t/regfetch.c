/* Test-only driver of the registry client (image/registry.h) for the t12xx shell tests.
 *
 *   regfetch [options] REF
 *
 * Fetches REF's manifest (by its digest when REF has one, else its tag); from an index or
 * manifest list, the first entry's manifest; then the config (into memory) and each layer
 * (streamed to OUT/HEX). Prints one line per object on stdout:
 *
 *   manifest DIGEST MEDIA_TYPE BYTES
 *   config DIGEST BYTES
 *   blob DIGEST BYTES resets=N
 *
 * With --blob DIGEST[:SIZE] (repeatable) only those blobs are fetched, no manifest.
 * A layer whose fetch fails leaves no file behind. Errors: "regfetch: MESSAGE" on stderr,
 * exit 1. Options: --insecure HOST, --mirror M (repeatable), --auth-file F, --retries N,
 * --connect-timeout-ms N, --low-speed-secs N, --backoff-ms N, --out DIR, --no-reset,
 * --repeat N (fetch everything N times with the same client), --delay-ms N (pause between
 * repeats), --fork (fetch in a child process with the client made by the parent, then
 * again in the parent).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/parse.h"
#include "image/digest.h"
#include "image/ref.h"
#include "image/registry.h"

#define MAX_LIST 16

struct file_sink {
    int fd;
    int resets;
    uint64_t bytes;
};

static int sink_write(void *ctx, const void *data, size_t len, struct tk_err *err)
{
    struct file_sink *s = ctx;
    int r = tk_write_all(s->fd, data, len);
    if (r < 0)
        return tk_err_sys(err, r, "write layer file");
    s->bytes += len;
    return 0;
}

static int sink_reset(void *ctx, struct tk_err *err)
{
    struct file_sink *s = ctx;
    if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
        return tk_err_sys(err, -errno, "truncate layer file");
    s->resets++;
    s->bytes = 0;
    return 0;
}

struct opts {
    const char *out;
    int no_reset, repeat, fork, delay_ms;
    const char *blobs[MAX_LIST];
    size_t n_blobs;
};

static int fetch_blob(struct registry_client *c, const struct image_ref *ref, const char *spec,
                      const struct opts *o, struct tk_err *err)
{
    char digest[IMAGE_DIGEST_STR_SIZE], path[4096];
    int64_t size = -1;
    const char *colon = strchr(spec + 7, ':');
    size_t dlen = colon ? (size_t)(colon - spec) : strlen(spec);

    if (dlen >= sizeof(digest) || (colon && tk_parse_int64(colon + 1, 0, INT64_MAX, &size) < 0))
        return tk_err_set(err, -EINVAL, "bad blob spec '%s'", spec);
    memcpy(digest, spec, dlen);
    digest[dlen] = '\0';
    snprintf(path, sizeof(path), "%s/%s", o->out, digest + 7);
    struct file_sink s = {.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (s.fd < 0)
        return tk_err_sys(err, -errno, "create '%s'", path);
    int r = registry_get_blob(c, ref, digest, size, sink_write, o->no_reset ? NULL : sink_reset, &s,
                              err);
    close(s.fd);
    if (r < 0) {
        unlink(path);
        return r;
    }
    printf("blob %s %llu resets=%d\n", digest, (unsigned long long)s.bytes, s.resets);
    return 0;
}

/* The blob list of an image manifest: config into memory, layers to files. */
static int fetch_image(struct registry_client *c, const struct image_ref *ref, json_t *m,
                       const struct opts *o, struct tk_err *err)
{
    const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
    json_t *layers = json_object_get(m, "layers"), *l;
    size_t i;
    _cleanup_free_ char *cfg = NULL;
    size_t len = 0;
    int r;

    if (!cd || !json_is_array(layers))
        return tk_err_set(err, -EINVAL, "manifest without config or layers");
    r = registry_get_blob_mem(c, ref, cd, 1 << 20, &cfg, &len, err);
    if (r < 0)
        return r;
    printf("config %s %zu\n", cd, len);
    json_array_foreach(layers, i, l)
    {
        char spec[128];
        snprintf(spec, sizeof(spec), "%s:%lld",
                 json_string_value(json_object_get(l, "digest")) ?: "",
                 (long long)json_integer_value(json_object_get(l, "size")));
        r = fetch_blob(c, ref, spec, o, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int fetch_all(struct registry_client *c, const struct image_ref *ref, const struct opts *o,
                     struct tk_err *err)
{
    struct registry_manifest m = {0};
    json_t *root = NULL;
    int r;

    if (o->n_blobs) {
        for (size_t i = 0; i < o->n_blobs; i++)
            if ((r = fetch_blob(c, ref, o->blobs[i], o, err)) < 0)
                return r;
        return 0;
    }
    r = registry_get_manifest(c, ref, ref->digest ? ref->digest : ref->tag, &m, err);
    if (r < 0)
        return r;
    printf("manifest %s %s %zu\n", m.digest, m.media_type, m.len);
    root = json_loadb(m.body, m.len, 0, NULL);
    json_t *list = json_object_get(root, "manifests");
    if (json_is_array(list) && json_array_size(list) > 0) {
        const char *d = json_string_value(json_object_get(json_array_get(list, 0), "digest"));
        registry_manifest_free(&m);
        r = registry_get_manifest(c, ref, d ? d : "", &m, err);
        if (r == 0) {
            printf("manifest %s %s %zu\n", m.digest, m.media_type, m.len);
            json_decref(root);
            root = json_loadb(m.body, m.len, 0, NULL);
        }
    }
    if (r == 0)
        r = fetch_image(c, ref, root, o, err);
    json_decref(root);
    registry_manifest_free(&m);
    return r;
}

static int run_forked(struct registry_client *c, const struct image_ref *ref, const struct opts *o,
                      struct tk_err *err)
{
    int status;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return tk_err_sys(err, -errno, "fork");
    if (pid == 0) {
        int r = fetch_all(c, ref, o, err);
        if (r < 0)
            fprintf(stderr, "regfetch: %s\n", err->msg);
        fflush(stdout);
        _exit(r < 0 ? 1 : 0);
    }
    if (waitpid(pid, &status, 0) < 0)
        return tk_err_sys(err, -errno, "wait");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return tk_err_set(err, -EIO, "the child failed");
    return fetch_all(c, ref, o, err); /* the parent's connections still work */
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"insecure", 1, 0, 'i'},
        {"mirror", 1, 0, 'm'},
        {"auth-file", 1, 0, 'a'},
        {"retries", 1, 0, 'r'},
        {"connect-timeout-ms", 1, 0, 'c'},
        {"low-speed-secs", 1, 0, 'l'},
        {"backoff-ms", 1, 0, 'b'},
        {"out", 1, 0, 'o'},
        {"no-reset", 0, 0, 'n'},
        {"repeat", 1, 0, 'R'},
        {"blob", 1, 0, 'B'},
        {"fork", 0, 0, 'f'},
        {"delay-ms", 1, 0, 'd'},
        {0, 0, 0, 0},
    };
    const char *insecure[MAX_LIST], *mirrors[MAX_LIST];
    struct registry_opts ro = {.insecure = insecure, .mirrors = mirrors, .notice = tk_log_notice};
    struct opts o = {.out = ".", .repeat = 1};
    struct image_ref ref;
    struct registry_client *c = NULL;
    struct tk_err err = {0};
    int64_t v;
    int ch, r = 0;

    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (strchr("rclbRd", ch) && tk_parse_int64(optarg, -1, 1000000, &v) < 0) {
            fprintf(stderr, "regfetch: bad number '%s'\n", optarg);
            return 2;
        }
        if ((ch == 'i' && ro.n_insecure >= MAX_LIST) || (ch == 'm' && ro.n_mirrors >= MAX_LIST) ||
            (ch == 'B' && o.n_blobs >= MAX_LIST))
            return 2;
        switch (ch) {
        case 'i':
            insecure[ro.n_insecure++] = optarg;
            break;
        case 'm':
            mirrors[ro.n_mirrors++] = optarg;
            break;
        case 'a':
            ro.auth_file = optarg;
            break;
        case 'r':
            ro.max_retries = (int)v;
            break;
        case 'c':
            ro.connect_timeout_ms = v;
            break;
        case 'l':
            ro.low_speed_secs = v;
            break;
        case 'b':
            ro.backoff_initial_ms = (int)v;
            break;
        case 'o':
            o.out = optarg;
            break;
        case 'n':
            o.no_reset = 1;
            break;
        case 'R':
            o.repeat = (int)v;
            break;
        case 'B':
            o.blobs[o.n_blobs++] = optarg;
            break;
        case 'f':
            o.fork = 1;
            break;
        case 'd':
            o.delay_ms = (int)v;
            break;
        default:
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: regfetch [options] REF\n");
        return 2;
    }
    if (image_ref_parse(argv[optind], &ref, &err) < 0 || registry_client_new(&c, &ro, &err) < 0) {
        fprintf(stderr, "regfetch: %s\n", err.msg);
        image_ref_free(&ref);
        return 1;
    }
    for (int i = 0; i < o.repeat && r == 0; i++) {
        if (i > 0 && o.delay_ms > 0)
            usleep((useconds_t)o.delay_ms * 1000);
        r = o.fork ? run_forked(c, &ref, &o, &err) : fetch_all(c, &ref, &o, &err);
    }
    if (r < 0)
        fprintf(stderr, "regfetch: %s\n", err.msg);
    registry_client_free(c);
    image_ref_free(&ref);
    return r < 0 ? 1 : 0;
}
