/* agent/resolve: $(VAR) expansion (Kubernetes' own cases), env and resources of a container
 * from its manifest. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent/resolve.h"
#include "spec/spec.h"

/* ---------------- $(VAR) expansion, Kubernetes' cases (expansion_test.go) ---------------- */

static const char *expand_lookup(void *ctx, const char *name)
{
    static const char *const vars[][2] = {
        {"VAR_A", "A"}, {"VAR_B", "B"}, {"VAR_C", "C"}, {"VAR_REF", "$(VAR_A)"}, {"VAR_EMPTY", ""}};
    (void)ctx;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (!strcmp(vars[i][0], name))
            return vars[i][1];
    return NULL;
}

static const char *const expand_cases[][2] = {
    {"$(VAR_A)", "A"},
    {"___$(VAR_B)___", "___B___"},
    {"$(VAR_A)-$(VAR_A)", "A-A"},
    {"$(VAR_A)$(VAR_B)$(VAR_C)", "ABC"},
    {"f000-$$VAR_A", "f000-$VAR_A"},
    {"foo\\$(VAR_C)bar", "foo\\Cbar"},
    {"foo\\\\$(VAR_C)bar", "foo\\\\Cbar"},
    {"$$$(VAR_A)", "$A"},
    {"$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)"},
    {"$(VAR_DNE)", "$(VAR_DNE)"},
    {"$(VAR_A", "$(VAR_A"},
    {"$(VAR_A)$(VAR_B", "A$(VAR_B"},
    {"$VAR_A", "$VAR_A"},
    {"$$", "$"},
    {"$", "$"},
    {"foo$", "foo$"},
    {"$()", "$()"},
    {"$(VAR_A))", "A)"},
    {"$(VAR_REF)", "$(VAR_A)"},
    {"$(VAR_EMPTY)", ""},
    {"$(VAR_EMPTY)$(VAR_A)", "A"},
    {"$$(VAR_A)", "$(VAR_A)"},
    {"", ""},
};

START_TEST(test_expand)
{
    char *got = resolve_expand(expand_cases[_i][0], expand_lookup, NULL);
    ck_assert_msg(got && !strcmp(got, expand_cases[_i][1]), "'%s': expected '%s', got '%s'",
                  expand_cases[_i][0], expand_cases[_i][1], got ? got : "(null)");
    free(got);
}
END_TEST

/* Env as the kubelet builds it from ConfigMaps, Secrets and fields; a missing object is a
 * config error naming it, never a value. */
START_TEST(test_resolve_env)
{
    static const char text[] =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
        "data: {mode: fast, level: '3', bad-name: x}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {pw: aHVudGVyMg==}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: shop}}\n"
        "spec:\n  containers:\n  - name: a\n    image: busybox\n"
        "    command: [echo, '$(MODE)', '$$(MODE)', '$(NOPE)']\n"
        "    envFrom: [{configMapRef: {name: cfg}, prefix: CFG_}]\n"
        "    env:\n"
        "    - {name: MODE, valueFrom: {configMapKeyRef: {name: cfg, key: mode}}}\n"
        "    - {name: PW, valueFrom: {secretKeyRef: {name: s, key: pw}}}\n"
        "    - {name: APP, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}\n"
        "    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}\n"
        "    - {name: OPT, valueFrom: {configMapKeyRef: {name: gone, key: x, optional: true}}}\n"
        "    - {name: MSG, value: '$(MODE)-$(CFG_level)'}\n"
        "  - name: b\n    image: busybox\n"
        "    env: [{name: X, valueFrom: {secretKeyRef: {name: s, key: nokey}}}]\n";
    struct spec_set set;
    spec_set_init(&set);
    spec_parse_buffer(&set, "r.yaml", text, strlen(text));
    ck_assert_uint_eq(set.n_errors, 0);
    ck_assert_uint_eq(set.n_objects, 2);
    char before[65];
    memcpy(before, set.pods[0]->hash, sizeof(before));
    ck_assert_int_eq(resolve_pods(&set, &(struct resolve_node){.name = "host-1"}), 0);
    ck_assert_str_ne(set.pods[0]->hash, before);
    const struct spec_container *a = &set.pods[0]->containers[0];
    static const char *const want[][2] = {
        {"CFG_bad-name", "x"}, {"CFG_level", "3"}, {"CFG_mode", "fast"}, {"MODE", "fast"},
        {"PW", "hunter2"},     {"APP", "shop"},    {"NODE", "host-1"},   {"MSG", "fast-3"}};
    ck_assert_uint_eq(a->n_env, 8);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_str_eq(a->env[i].name, want[i][0]);
        ck_assert_str_eq(a->env[i].value, want[i][1]);
    }
    ck_assert_ptr_null(a->config_error);
    ck_assert_str_eq(a->command[1], "fast");
    ck_assert_str_eq(a->command[2], "$(MODE)");
    ck_assert_str_eq(a->command[3], "$(NOPE)");
    ck_assert_str_eq(set.pods[0]->containers[1].config_error,
                     "couldn't find key nokey in Secret default/s");
    spec_set_free(&set);
}
END_TEST

/* resourceFieldRef as the kubelet gives it: rounded up to the divisor, a limit that is not
 * set is the node's allocatable; in env and in a downwardAPI volume. */
START_TEST(test_resolve_resources)
{
    static const char text[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: r}\n"
        "spec:\n  containers:\n  - name: a\n    image: busybox\n"
        "    resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {memory: 100M}}\n"
        "    env:\n"
        "    - {name: A, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}\n"
        "    - {name: B, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}\n"
        "    - {name: C, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}\n"
        "    - {name: D, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}\n"
        "    - {name: E, valueFrom: {resourceFieldRef: {resource: requests.memory}}}\n"
        "    - {name: F, valueFrom: {resourceFieldRef: {containerName: b, resource: "
        "limits.memory, divisor: 1Ki}}}\n"
        "  - name: b\n    image: busybox\n"
        "  volumes:\n  - name: d\n    downwardAPI:\n      items:\n"
        "      - {path: cpu, resourceFieldRef: {containerName: b, resource: limits.cpu}}\n"
        "      - {path: mem, resourceFieldRef: {containerName: a, resource: limits.memory, "
        "divisor: 1M}}\n";
    struct spec_set set;
    spec_set_init(&set);
    spec_parse_buffer(&set, "r.yaml", text, strlen(text));
    ck_assert_uint_eq(set.n_errors, 0);
    struct resolve_node node = {.name = "h", .cpu_milli = 1500, .memory = 4096 * 1024};
    ck_assert_int_eq(resolve_pods(&set, &node), 0);
    const struct spec_container *a = &set.pods[0]->containers[0];
    static const char *const want[] = {"1", "250", "1500", "96", "33554432", "4096"};
    ck_assert_uint_eq(a->n_env, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(a->env[i].value, want[i]);
    const struct spec_volume *v = &set.pods[0]->volumes[0];
    ck_assert_uint_eq(v->n_files, 2);
    ck_assert_str_eq((const char *)v->files[0].data, "2");
    ck_assert_str_eq((const char *)v->files[1].data, "100");
    struct spec_pod *dup = spec_pod_dup(set.pods[0]); /* its own copy of every string */
    ck_assert_ptr_nonnull(dup);
    ck_assert_ptr_ne(dup->volumes[0].items[0].container, v->items[0].container);
    ck_assert_str_eq(dup->volumes[0].items[0].container, "b");
    spec_pod_free(dup);
    spec_set_free(&set);
}
END_TEST

Suite *resolve_suite(void)
{
    Suite *s = suite_create("resolve");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_expand, 0, (int)(sizeof(expand_cases) / sizeof(expand_cases[0])));
    tcase_add_test(tc, test_resolve_env);
    tcase_add_test(tc, test_resolve_resources);
    suite_add_tcase(s, tc);
    return s;
}
