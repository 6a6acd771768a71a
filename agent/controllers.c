/* Deployments and Jobs into the pods they own (see controllers.h). */
#include "agent/controllers-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/parse.h"

/* n characters of the alphabet from the hex digest hex (64 digits), mixed with salt. */
static void alphabet_chars(const char *hex, unsigned salt, char *out, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ salt;
    for (const char *c = hex; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    h = (h ^ salt) * 1099511628211ull;
    const size_t len = sizeof(CONTROLLERS_ALPHABET) - 1;
    for (size_t i = 0; i < n; i++) {
        out[i] = CONTROLLERS_ALPHABET[h % len];
        h /= len;
        if (h < len)
            h = (h ^ i ^ salt) * 1099511628211ull + 0x9e3779b97f4a7c15ull;
    }
    out[n] = '\0';
}

/* Kubernetes' rand.SafeEncodeString: each byte to alphanums[byte % 27]. */
static void safe_encode(const char *s, char *out)
{
    const size_t len = sizeof(CONTROLLERS_ALPHABET) - 1;
    for (; *s; s++)
        *out++ = CONTROLLERS_ALPHABET[(unsigned char)*s % len];
    *out = '\0';
}

static uint32_t fnv32a(uint32_t h, const void *data, size_t n)
{
    for (const unsigned char *p = data; n--; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static uint32_t fnv32a_kv(uint32_t h, const char *what, const struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = kv[i].value ? kv[i].value : "";
        h = fnv32a(h, what, strlen(what));
        h = fnv32a(h, kv[i].key, strlen(kv[i].key) + 1);
        h = fnv32a(h, v, strlen(v) + 1);
    }
    return h;
}

void controllers_template_hash(const struct spec_workload *wl, const char *reads, char out[11])
{
    const struct spec_pod *t = wl->tmpl;
    uint32_t h = fnv32a(2166136261u, "labels", 6);
    h = fnv32a_kv(h, "l", t->labels, t->n_labels);
    h = fnv32a_kv(h, "a", t->annotations, t->n_annotations);
    h = fnv32a(h, t->hash, strlen(t->hash));
    if (reads) /* (only then: the hashes of templates that read nothing stay) */
        h = fnv32a(h, reads, strlen(reads) + 1);
    char dec[16];
    uint32_t v = h;
    /* ComputeHash(template, &collisionCount): 8 bytes, the count little-endian in the first 4 */
    for (uint32_t count = 1; v < 1000000000u; count++) {
        unsigned char b[8] = {
            count & 0xff, (count >> 8) & 0xff, (count >> 16) & 0xff, count >> 24, 0, 0, 0, 0};
        v = fnv32a(h, b, sizeof(b));
    }
    snprintf(dec, sizeof(dec), "%u", v);
    safe_encode(dec, out);
}

/* An error about workload wl, at its name. */
#define WL_ERROR(set, wl, ...)                                                                     \
    spec_set_add_error(set, (wl)->file ? (wl)->file : "-", (wl)->name_line, (wl)->name_column,     \
                       __VA_ARGS__)

/* Set label key to value on pod (replacing one the template has). */
static int set_label(struct spec_pod *pod, const char *key, const char *value)
{
    for (size_t i = 0; i < pod->n_labels; i++)
        if (!strcmp(pod->labels[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return -ENOMEM;
            free(pod->labels[i].value);
            pod->labels[i].value = v;
            return 0;
        }
    struct spec_kv *kv = realloc(pod->labels, (pod->n_labels + 1) * sizeof(*kv));
    if (!kv)
        return -ENOMEM;
    pod->labels = kv;
    kv[pod->n_labels] = (struct spec_kv){strdup(key), strdup(value)};
    if (!kv[pod->n_labels].key || !kv[pod->n_labels].value) {
        free(kv[pod->n_labels].key);
        free(kv[pod->n_labels].value);
        return -ENOMEM;
    }
    pod->n_labels++;
    return 0;
}

static void pod_freep(struct spec_pod **p)
{
    spec_pod_free(*p);
}

/* One pod of wl named name, with its labels; appended to set (controllers_add_kept). */
static int add_pod(struct spec_set *set, const struct spec_workload *wl, const char *name,
                   const char *const *labels, const struct spec_pod *keep, const char *hash)
{
    if (!tk_is_dns_label(name)) {
        WL_ERROR(set, wl,
                 "metadata.name: %s '%s' makes the pod name '%s', longer than 63 characters; "
                 "shorten the name",
                 spec_workload_kind_to_string(wl->kind), wl->name, name);
        return 0;
    }
    if (spec_set_find(set, name)) {
        WL_ERROR(set, wl, "metadata.name: the pod '%s' of %s '%s' is already defined in %s:%d",
                 name, spec_workload_kind_to_string(wl->kind), wl->name,
                 spec_set_find(set, name)->file, spec_set_find(set, name)->name_line);
        return 0;
    }
    _cleanup_(pod_freep) struct spec_pod *pod = spec_pod_dup(keep ? keep : wl->tmpl);
    struct spec_pod **v = realloc(set->pods, (set->n_pods + 1) * sizeof(*v));
    if (!pod || !v)
        return -ENOMEM;
    set->pods = v;
    free(pod->name);
    free(pod->owner_kind);
    free(pod->owner_name);
    pod->name = strdup(name);
    pod->owner_kind = strdup(spec_workload_kind_to_string(wl->kind));
    pod->owner_name = strdup(wl->name);
    if (!pod->name || !pod->owner_kind || !pod->owner_name)
        return -ENOMEM;
    for (size_t i = 0; labels[i]; i += 2)
        if (set_label(pod, labels[i], labels[i + 1]) < 0)
            return -ENOMEM;
    if (hash) { /* kept as it runs (controllers.h) */
        pod->placeholder = true;
        snprintf(pod->hash, sizeof(pod->hash), "%s", hash);
    } else if (spec_pod_rehash(pod) < 0)
        return -ENOMEM;
    v[set->n_pods++] = TAKE_PTR(pod);
    return 0;
}

int controllers_expand(struct spec_set *set, struct controllers_ctx *ctx)
{
    ctx->now_ms = controllers_now_ms();
    ctx->wake_ms = 0;
    controllers_apps_begin(ctx);
    for (size_t i = 0; i < set->n_workloads; i++) {
        const struct spec_workload *wl = set->workloads[i], *prev = NULL;
        for (size_t j = 0; j < i && !prev; j++)
            if (set->workloads[j]->kind == wl->kind && !strcmp(set->workloads[j]->name, wl->name))
                prev = set->workloads[j];
        if (prev) {
            WL_ERROR(set, wl, "metadata.name: %s '%s' is already defined in %s:%d",
                     spec_workload_kind_to_string(wl->kind), wl->name, prev->file, prev->name_line);
            continue;
        }
        int r = wl->kind == SPEC_JOB       ? jobs_expand(set, wl, ctx)
                : wl->kind == SPEC_CRONJOB ? cronjobs_expand(set, wl, ctx)
                                           : apps_expand(set, wl, ctx);
        if (r < 0)
            return r;
    }
    controllers_apps_end(ctx);
    return 0;
}

void controllers_alphabet(const char *hex, unsigned salt, char *out, size_t n)
{
    alphabet_chars(hex, salt, out, n);
}

void controllers_error(struct spec_set *set, const struct spec_workload *wl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    WL_ERROR(set, wl, "%s", msg);
}

int controllers_add_pod(struct spec_set *set, const struct spec_workload *wl, const char *name,
                        const char *const *labels)
{
    return add_pod(set, wl, name, labels, NULL, NULL);
}

int controllers_add_kept(struct spec_set *set, const struct spec_workload *wl, const char *name,
                         const char *const *labels, const struct spec_pod *keep, const char *hash)
{
    return add_pod(set, wl, name, labels, keep, hash);
}

/* The test hook's clock: EPOCH_SECONDS[xSPEED] (controllers.h). */
static bool test_clock(int64_t *epoch_ms, int64_t *speed)
{
    const char *s = getenv("TANK_TEST_CLOCK");
    if (!s || !*s)
        return false;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    char *x = strchr(buf, 'x');
    *speed = 1;
    if (x) {
        *x++ = '\0';
        if (tk_parse_int64(x, 1, 100000, speed) < 0)
            return false;
    }
    if (tk_parse_int64(buf, 0, INT64_MAX / 1000, epoch_ms) < 0)
        return false;
    *epoch_ms *= 1000;
    return true;
}

static struct {
    bool read, fake;
    int64_t epoch_ms, speed, base_mono_ms;
} clk;

int64_t controllers_now_ms(void)
{
    if (!clk.read) {
        clk.read = true;
        clk.fake = test_clock(&clk.epoch_ms, &clk.speed);
        clk.base_mono_ms = tk_now_monotonic_ms();
    }
    if (!clk.fake)
        return tk_now_realtime_ns() / 1000000;
    return clk.epoch_ms + (tk_now_monotonic_ms() - clk.base_mono_ms) * clk.speed;
}

int64_t controllers_delay_ms(int64_t at_ms)
{
    int64_t d = at_ms - controllers_now_ms();
    if (d <= 0)
        return 0;
    int64_t speed = clk.fake ? clk.speed : 1;
    return (d + speed - 1) / speed;
}
