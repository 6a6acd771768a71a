/* spec/: the manifest parser and validator, over fixture files whose names say what they
 * test (t/fixtures/spec/valid, t/fixtures/spec/invalid with "# expect: L:C: message"
 * lines) and examples/pods, plus the parsed values and the hash (t/check_specinput.c: the
 * documents as bytes, hostile input and the tree loader). */
#include <check.h>
#include <dirent.h>
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

#define MAX_FIXTURES 256

static char *valid_files[MAX_FIXTURES];
static size_t n_valid;
static char *invalid_files[MAX_FIXTURES];
static size_t n_invalid;
static char *warn_files[MAX_FIXTURES];
static size_t n_warn;

const char *src_dir(void)
{
    const char *s = getenv("TANK_SRC");
    return s && *s ? s : ".";
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fixture file names under dir (relative to the source tree), sorted. */
static void list_dir(const char *dir, char **out, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", src_dir(), dir);
    DIR *d = opendir(path);
    if (!d)
        return;
    size_t first = *n;
    for (struct dirent *de; (de = readdir(d)) && *n < MAX_FIXTURES;) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || !((l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) ||
                                      (l > 5 && !strcmp(de->d_name + l - 5, ".json"))))
            continue;
        char *p = NULL;
        if (asprintf(&p, "%s/%s", path, de->d_name) >= 0)
            out[(*n)++] = p;
    }
    closedir(d);
    qsort(out + first, *n - first, sizeof(*out), name_cmp);
}

static void load_fixture_lists(void)
{
    if (n_valid || n_invalid)
        return;
    list_dir("t/fixtures/spec/warn", warn_files, &n_warn);
    list_dir("examples/pods", valid_files, &n_valid);
    list_dir("t/fixtures/spec/valid", valid_files, &n_valid);
    list_dir("t/fixtures/spec/invalid", invalid_files, &n_invalid);
}

void dump_errors(const struct spec_set *set, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < set->n_errors && o < size; i++) {
        char line[2048];
        spec_error_format(&set->errors[i], line, sizeof(line));
        o += (size_t)snprintf(out + o, size - o, "\n  %s", line);
    }
}

/* A pod's hash never changes across Tank versions for the same manifest: a new field hashes
 * only when set. Otherwise an upgrade would restart every pod. (Values from this version.) */
START_TEST(test_hash_stable)
{
    static const struct {
        const char *file, *hash;
    } golden[] = {
        {"k8s-security-context.yaml",
         "207f567bab13ca2046a1eb8c153d3b3f8ad887af7e36a6bc172737884d1a7f22"},
        {"k8s-dapi-envars-resourcefieldref.yaml",
         "0cd8b7329b0a6ed9bc2097669d05c3a60b81065da253c7883dbba34b9afd70ed"},
        {"k8s-tcp-liveness-readiness.yaml",
         "bae013e576949511c88af9aff07573de8f4c8450e8ed362e1a6c3f2dc583a31f"},
        {"k8s-two-containers-shared-emptydir.yaml",
         "2de13c681228353a388402f9a6a0bbc6b253e6a0be5ae917d5eef6f01525594f"},
    };
    for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "t/fixtures/spec/valid/%s", golden[i].file);
        struct spec_set set;
        spec_set_init(&set);
        ck_assert_int_eq(spec_parse_file(&set, path), 0);
        ck_assert_uint_eq(set.n_pods, 1);
        ck_assert_msg(!strcmp(set.pods[0]->hash, golden[i].hash), "%s: hash %s, was %s", path,
                      set.pods[0]->hash, golden[i].hash);
        spec_set_free(&set);
    }
}
END_TEST

START_TEST(test_valid_fixture)
{
    const char *file = valid_files[_i];
    struct spec_set set;
    char errs[8192];
    spec_set_init(&set);
    int r = spec_parse_file(&set, file);
    dump_errors(&set, errs, sizeof(errs));
    ck_assert_msg(r == 0 && set.n_errors == 0, "%s should be valid, got:%s", file, errs);
    ck_assert_msg(set.n_warnings == 0, "%s: a valid fixture has no warning (see warn/)", file);
    ck_assert_msg(set.n_pods + set.n_workloads >= 1, "%s gave no pod nor workload", file);
    for (size_t i = 0; i < set.n_pods; i++) {
        ck_assert_str_eq(set.pods[i]->file, file);
        ck_assert_uint_eq(strlen(set.pods[i]->hash), 64);
        ck_assert_msg(set.pods[i]->n_containers >= 1, "pod without containers");
    }
    spec_set_free(&set);
}
END_TEST

/* The "# expect: L:C: message" lines at the top of an invalid fixture (for JSON, which has
 * no comments, or a file kept as a tool wrote it: in FILE.expect next to it); "# warn: "
 * ones with prefix "# warn: ". */
static size_t read_lines(const char *file, const char *prefix, char ***out);
static size_t read_expectations(const char *file, char ***out)
{
    return read_lines(file, "# expect: ", out);
}

static size_t read_lines(const char *file, const char *prefix, char ***out)
{
    char *data = NULL;
    char expect[4096];
    size_t n = 0, l = strlen(file);
    /* (also a YAML fixture kept byte for byte as a tool printed it) */
    snprintf(expect, sizeof(expect), "%s.expect", file);
    if ((l > 5 && !strcmp(file + l - 5, ".json")) || access(expect, F_OK) == 0)
        file = expect;
    ck_assert_int_eq(tk_read_file(file, 1 << 20, &data, NULL), 0);
    char **v = calloc(64, sizeof(*v));
    for (char *line = data; line && *line && n < 64;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, prefix, strlen(prefix)))
            v[n++] = strdup(line + strlen(prefix));
        else if (line[0] != '#')
            break;
        line = nl ? nl + 1 : NULL;
    }
    free(data);
    *out = v;
    return n;
}

START_TEST(test_invalid_fixture)
{
    const char *file = invalid_files[_i];
    char **want = NULL;
    size_t n_want = read_expectations(file, &want);
    struct spec_set set;
    char errs[8192];
    ck_assert_msg(n_want > 0, "%s has no '# expect: L:C: message' line", file);
    spec_set_init(&set);
    int r = spec_parse_file(&set, file);
    dump_errors(&set, errs, sizeof(errs));
    ck_assert_msg(r > 0, "%s should be invalid", file);
    ck_assert_msg(set.n_pods == 0, "%s: an invalid document gave a pod", file);
    ck_assert_msg(set.n_errors == n_want, "%s: expected %zu errors, got:%s", file, n_want, errs);
    for (size_t i = 0; i < n_want; i++) {
        char got[2048];
        const struct spec_error *e = &set.errors[i];
        snprintf(got, sizeof(got), "%d:%d: %s", e->line, e->column, e->message);
        ck_assert_str_eq(e->file, file);
        ck_assert_msg(!strcmp(got, want[i]), "%s: expected\n  %s\ngot\n  %s", file, want[i], got);
        free(want[i]);
    }
    free(want);
    spec_set_free(&set);
}
END_TEST

/* A fixture with "# warn: L:C: message" lines: a valid pod, exactly these warnings. */
START_TEST(test_warn_fixture)
{
    const char *file = warn_files[_i];
    char **want = NULL;
    size_t n_want = read_lines(file, "# warn: ", &want);
    struct spec_set set;
    char errs[8192];
    ck_assert_msg(n_want > 0, "%s has no '# warn: L:C: message' line", file);
    spec_set_init(&set);
    int r = spec_parse_file(&set, file);
    dump_errors(&set, errs, sizeof(errs));
    ck_assert_msg(r == 0 && set.n_errors == 0, "%s should be valid, got:%s", file, errs);
    ck_assert_msg(set.n_pods + set.n_workloads >= 1, "%s gave no pod nor workload", file);
    ck_assert_msg(set.n_warnings == n_want, "%s: expected %zu warnings, got %zu", file, n_want,
                  set.n_warnings);
    for (size_t i = 0; i < n_want; i++) {
        char got[2048];
        const struct spec_error *e = &set.warnings[i];
        snprintf(got, sizeof(got), "%d:%d: %s", e->line, e->column, e->message);
        ck_assert_msg(!strcmp(got, want[i]), "%s: expected\n  %s\ngot\n  %s", file, want[i], got);
        free(want[i]);
    }
    free(want);
    spec_set_free(&set);
}
END_TEST

/* Parse text that must give exactly one pod. */
struct spec_pod *parse_one(const char *file, const char *text)
{
    struct spec_set set;
    char errs[8192];
    spec_set_init(&set);
    spec_parse_buffer(&set, file, text, strlen(text));
    dump_errors(&set, errs, sizeof(errs));
    ck_assert_msg(set.n_errors == 0 && set.n_pods == 1, "expected one valid pod, got:%s", errs);
    struct spec_pod *pod = spec_set_take(&set, 0);
    spec_set_free(&set);
    return pod;
}

/* Parse text that must give errors; returns the first formatted "L:C: message". */
char *parse_error(const char *file, const char *text)
{
    struct spec_set set;
    spec_set_init(&set);
    spec_parse_buffer(&set, file, text, strlen(text));
    ck_assert_msg(set.n_errors > 0, "expected an error");
    ck_assert_uint_eq(set.n_pods, 0);
    char *out = NULL;
    ck_assert_int_ge(asprintf(&out, "%d:%d: %s", set.errors[0].line, set.errors[0].column,
                              set.errors[0].message),
                     0);
    spec_set_free(&set);
    return out;
}

static const char minimal[] = "apiVersion: v1\n"
                              "kind: Pod\n"
                              "metadata: {name: web}\n"
                              "spec:\n"
                              "  containers:\n"
                              "  - name: app\n"
                              "    image: busybox\n";

START_TEST(test_defaults)
{
    struct spec_pod *pod = parse_one("d.yaml", minimal);
    ck_assert_str_eq(pod->name, "web");
    ck_assert_str_eq(pod->api_version, "v1");
    ck_assert_int_eq(pod->restart_policy, SPEC_RESTART_ALWAYS);
    ck_assert_int_eq(pod->termination_grace_seconds, 30);
    ck_assert_ptr_null(pod->hostname);
    ck_assert_str_eq(pod->namespace, "default");
    ck_assert_int_eq(pod->dns_policy, SPEC_DNS_CLUSTER_FIRST);
    ck_assert(!pod->host_network);
    ck_assert(!pod->dns.set);
    ck_assert_uint_eq(pod->network.n_interfaces, 0);
    ck_assert_uint_eq(pod->n_containers, 1);
    const struct spec_container *c = &pod->containers[0];
    ck_assert_str_eq(c->name, "app");
    ck_assert_str_eq(c->image, "busybox");
    ck_assert_int_eq(c->pull_policy, SPEC_PULL_ALWAYS);
    ck_assert_ptr_null(c->command);
    ck_assert_ptr_null(c->working_dir);
    ck_assert(!c->sec.run_as_user.has);
    ck_assert_int_eq(pod->line, 1);
    ck_assert_int_eq(pod->name_line, 3);
    ck_assert_int_eq(pod->name_column, 18);
    spec_pod_free(pod);
}
END_TEST

static const struct {
    const char *image;
    enum spec_pull_policy want;
} pull_defaults[] = {
    {"busybox", SPEC_PULL_ALWAYS},
    {"busybox:latest", SPEC_PULL_ALWAYS},
    {"docker.io/library/busybox:1.36", SPEC_PULL_IF_NOT_PRESENT},
    {"localhost:5000/app", SPEC_PULL_ALWAYS},
    {"localhost:5000/app:v2", SPEC_PULL_IF_NOT_PRESENT},
    {"busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000",
     SPEC_PULL_IF_NOT_PRESENT},
};

START_TEST(test_pull_policy_default)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
             "  - {name: a, image: \"%s\"}\n",
             pull_defaults[_i].image);
    struct spec_pod *pod = parse_one("p.yaml", text);
    ck_assert_msg(pod->containers[0].pull_policy == pull_defaults[_i].want, "%s: got %d",
                  pull_defaults[_i].image, (int)pod->containers[0].pull_policy);
    spec_pod_free(pod);
}
END_TEST

static const char full[] =
    "apiVersion: tank/v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: full\n"
    "  labels: {app: web, example.com/tier: front}\n"
    "  annotations: {note: \"any text: here\"}\n"
    "spec:\n"
    "  restartPolicy: Never\n"
    "  terminationGracePeriodSeconds: 0\n"
    "  hostname: box\n"
    "  dnsConfig:\n"
    "    nameservers: [192.0.2.53, \"2001:db8::53\"]\n"
    "    searches: [example.org]\n"
    "    options: [{name: ndots, value: \"2\"}, {name: edns0}]\n"
    "  securityContext: {runAsUser: 1000, runAsGroup: 1001, supplementalGroups: [5, 6]}\n"
    "  volumes:\n"
    "  - name: data\n"
    "    hostPath: {path: /srv/data, type: Directory}\n"
    "  - name: cache\n"
    "    emptyDir: {medium: Memory, sizeLimit: 64Mi}\n"
    "  - name: plain\n"
    "  network:\n"
    "    interfaces:\n"
    "    - name: eth0\n"
    "      macvlan: {parent: dummy0, mode: private}\n"
    "      mac: \"02:AA:BB:CC:DD:EE\"\n"
    "      addresses: [192.0.2.10/24, 2001:db8::10/64]\n"
    "      gateway: [192.0.2.1, \"2001:db8::1\"]\n"
    "    - name: net1\n"
    "      macvlan:\n"
    "      addresses: [198.51.100.7/24]\n"
    "      gateway: 198.51.100.1\n"
    "  containers:\n"
    "  - name: app\n"
    "    image: registry.example/app:1.2\n"
    "    imagePullPolicy: Never\n"
    "    command: [/bin/app]\n"
    "    args: [--port, \"8080\", \"\"]\n"
    "    workingDir: /srv\n"
    "    env:\n"
    "    - {name: A, value: one}\n"
    "    - {name: EMPTY}\n"
    "    ports: [{containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]\n"
    "    volumeMounts:\n"
    "    - {name: data, mountPath: /data, readOnly: true, subPath: sub/dir}\n"
    "    - {name: cache, mountPath: /cache}\n"
    "    securityContext:\n"
    "      runAsUser: 0\n"
    "      runAsNonRoot: false\n"
    "      readOnlyRootFilesystem: true\n"
    "      allowPrivilegeEscalation: false\n"
    "      privileged: false\n"
    "      capabilities: {add: [NET_ADMIN, CAP_NET_RAW], drop: [ALL]}\n"
    "  - name: side\n"
    "    image: busybox:1.36\n"
    "    command: []\n";

START_TEST(test_field_values)
{
    struct spec_pod *pod = parse_one("full.yaml", full);
    ck_assert_str_eq(pod->api_version, "tank/v1");
    ck_assert_uint_eq(pod->n_labels, 2);
    ck_assert_str_eq(pod->labels[1].key, "example.com/tier");
    ck_assert_str_eq(pod->labels[1].value, "front");
    ck_assert_str_eq(pod->annotations[0].value, "any text: here");
    ck_assert_int_eq(pod->restart_policy, SPEC_RESTART_NEVER);
    ck_assert_int_eq(pod->termination_grace_seconds, 0);
    ck_assert_str_eq(pod->hostname, "box");
    ck_assert(pod->dns.set);
    ck_assert_uint_eq(pod->dns.n_nameservers, 2);
    ck_assert_str_eq(pod->dns.nameservers[1], "2001:db8::53");
    ck_assert_str_eq(pod->dns.searches[0], "example.org");
    ck_assert_uint_eq(pod->dns.n_options, 2);
    ck_assert_str_eq(pod->dns.options[0].key, "ndots");
    ck_assert_str_eq(pod->dns.options[0].value, "2");
    ck_assert_ptr_null(pod->dns.options[1].value);
    ck_assert_int_eq(pod->sec.run_as_user.v, 1000);
    ck_assert_int_eq(pod->sec.run_as_group.v, 1001);
    ck_assert_uint_eq(pod->sec.n_supplemental_groups, 2);
    ck_assert_int_eq(pod->sec.supplemental_groups[1], 6);

    ck_assert_uint_eq(pod->n_volumes, 3);
    ck_assert_int_eq(pod->volumes[0].kind, SPEC_VOLUME_HOST_PATH);
    ck_assert_str_eq(pod->volumes[0].host_path, "/srv/data");
    ck_assert_int_eq(pod->volumes[0].host_path_type, SPEC_HOSTPATH_DIRECTORY);
    ck_assert_int_eq(pod->volumes[1].kind, SPEC_VOLUME_EMPTY_DIR);
    ck_assert(pod->volumes[1].medium_memory);
    ck_assert_uint_eq(pod->volumes[1].size_limit, 64u << 20);
    ck_assert_int_eq(pod->volumes[2].kind, SPEC_VOLUME_EMPTY_DIR);
    ck_assert_uint_eq(pod->volumes[2].size_limit, 0);

    ck_assert_uint_eq(pod->network.n_interfaces, 2);
    const struct spec_interface *i0 = &pod->network.interfaces[0],
                                *i1 = &pod->network.interfaces[1];
    ck_assert_str_eq(i0->name, "eth0");
    ck_assert_str_eq(i0->parent, "dummy0");
    ck_assert_int_eq(i0->mode, SPEC_MACVLAN_PRIVATE);
    ck_assert_str_eq(i0->mac, "02:aa:bb:cc:dd:ee");
    ck_assert_uint_eq(i0->n_addresses, 2);
    ck_assert_str_eq(i0->addresses[1], "2001:db8::10/64");
    ck_assert_uint_eq(i0->n_gateways, 2);
    ck_assert_str_eq(i0->gateways[0], "192.0.2.1");
    ck_assert_str_eq(i0->gateways[1], "2001:db8::1");
    ck_assert_ptr_null(i1->parent);
    ck_assert_int_eq(i1->mode, SPEC_MACVLAN_BRIDGE);
    ck_assert_ptr_null(i1->mac);
    ck_assert_uint_eq(i1->n_gateways, 1);
    ck_assert_str_eq(i1->gateways[0], "198.51.100.1");

    ck_assert_uint_eq(pod->n_containers, 2);
    const struct spec_container *c = &pod->containers[0];
    ck_assert_int_eq(c->pull_policy, SPEC_PULL_NEVER);
    ck_assert_uint_eq(c->n_command, 1);
    ck_assert_str_eq(c->command[0], "/bin/app");
    ck_assert_uint_eq(c->n_args, 3);
    ck_assert_str_eq(c->args[1], "8080");
    ck_assert_str_eq(c->args[2], "");
    ck_assert_str_eq(c->working_dir, "/srv");
    ck_assert_uint_eq(c->n_env, 2);
    ck_assert_str_eq(c->env[0].value, "one");
    ck_assert_str_eq(c->env[1].name, "EMPTY");
    ck_assert_str_eq(c->env[1].value, "");
    ck_assert_uint_eq(c->n_ports, 2);
    ck_assert_ptr_null(c->ports[0].name);
    ck_assert_int_eq(c->ports[0].container_port, 8080);
    ck_assert_str_eq(c->ports[0].protocol, "TCP");
    ck_assert_str_eq(c->ports[1].protocol, "UDP");
    ck_assert_uint_eq(c->n_mounts, 2);
    ck_assert(c->mounts[0].read_only);
    ck_assert_str_eq(c->mounts[0].sub_path, "sub/dir");
    ck_assert(!c->mounts[1].read_only);
    ck_assert_ptr_null(c->mounts[1].sub_path);
    ck_assert(c->sec.run_as_user.has && c->sec.run_as_user.v == 0);
    ck_assert(c->sec.run_as_non_root.has && !c->sec.run_as_non_root.v);
    ck_assert(c->sec.read_only_root_fs.has && c->sec.read_only_root_fs.v);
    ck_assert(c->sec.allow_privilege_escalation.has && !c->sec.allow_privilege_escalation.v);
    ck_assert_uint_eq(c->sec.n_cap_add, 2);
    ck_assert_str_eq(c->sec.cap_add[1], "CAP_NET_RAW");
    ck_assert_str_eq(c->sec.cap_drop[0], "ALL");
    const struct spec_container *s = &pod->containers[1];
    ck_assert_int_eq(s->pull_policy, SPEC_PULL_IF_NOT_PRESENT);
    ck_assert_ptr_nonnull(s->command);
    ck_assert_uint_eq(s->n_command, 0);

    /* A deep copy is equal and independent. */
    struct spec_pod *d = spec_pod_dup(pod);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->hash, pod->hash);
    ck_assert_ptr_ne(d->containers, pod->containers);
    ck_assert_str_eq(d->network.interfaces[0].gateways[1], "2001:db8::1");
    spec_pod_free(pod);
    ck_assert_str_eq(d->containers[0].env[0].value, "one");
    spec_pod_free(d);
}
END_TEST

static char *hash_of(const char *file, const char *text)
{
    struct spec_pod *pod = parse_one(file, text);
    char *h = strdup(pod->hash);
    spec_pod_free(pod);
    return h;
}

/* Same pod written differently: same hash. */
static const char *const same_as_minimal[] = {
    "# a comment\n"
    "kind: Pod\n"
    "spec:\n"
    "    containers:\n"
    "        -   image: 'busybox'   # quoted\n"
    "            name: \"app\"\n"
    "apiVersion: v1\n"
    "metadata:\n"
    "    labels: {changed: labels-are-not-the-spec}\n"
    "    name: web\n",
    "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"web\"},\n"
    " \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"busybox\"}]}}\n",
    /* the default namespace written out, boilerplate ignored on one host */
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default, creationTimestamp: "
    "null}\n"
    "spec:\n  schedulerName: default-scheduler\n  dnsPolicy: ClusterFirst\n  tolerations: []\n"
    "  containers:\n  - {name: app, image: busybox, resources: {},\n"
    "     terminationMessagePath: /dev/termination-log}\nstatus: {}\n",
    /* Defaults written out. */
    "apiVersion: tank/v1\nkind: Pod\nmetadata: {name: web}\n"
    "spec:\n  restartPolicy: Always\n  terminationGracePeriodSeconds: 30\n  hostname: web\n"
    "  hostNetwork: false\n  securityContext: {fsGroupChangePolicy: Always}\n"
    "  containers:\n  - {name: app, image: busybox, imagePullPolicy: Always, env: []}\n",
};

/* One semantic change each: a different hash. */
static const char *const differs_from_minimal[] = {
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web2}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app2, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox:1.36}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, imagePullPolicy: IfNotPresent}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  restartPolicy: Never\n"
    "  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
    "  terminationGracePeriodSeconds: 31\n  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  hostname: other\n"
    "  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  hostNetwork: true\n"
    "  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, command: [sh]}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, args: [sh]}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, env: [{name: A}]}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, workingDir: /tmp}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, securityContext: {runAsUser: 1}}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox, securityContext: {capabilities: {drop: [ALL]}}}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  dnsConfig: {}\n"
    "  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  volumes: [{name: v}]\n"
    "  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: tank/v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
    "  network: {interfaces: [{name: eth0, macvlan: {}}]}\n"
    "  containers:\n  - {name: app, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "  - {name: app, image: busybox}\n  - {name: app2, image: busybox}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
    "  securityContext: {fsGroupChangePolicy: OnRootMismatch}\n"
    "  containers:\n  - {name: app, image: busybox}\n",
};

/* Pairs that must hash the same: different spellings of one meaning. */
#define NETPOD(x)                                                                                  \
    "apiVersion: tank/v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"                                 \
    "  containers: [{name: a, image: b, securityContext: {capabilities: " x "}}]\n"
static const char *const same_pairs[][2] = {
    {NETPOD("{add: [NET_ADMIN]}"), NETPOD("{add: [CAP_NET_ADMIN]}")},
    {NETPOD("{drop: [net_raw]}"), NETPOD("{drop: [NET_RAW]}")},
    {"apiVersion: tank/v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
     "  containers: [{name: a, image: b}]\n"
     "  network: {interfaces: [{name: e, macvlan: {}, addresses: [\"2001:DB8::0:1/64\"],"
     " gateway: \"2001:db8::FFFF\"}]}\n",
     "apiVersion: tank/v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
     "  containers: [{name: a, image: b}]\n"
     "  network: {interfaces: [{name: e, macvlan: {mode: bridge}, addresses: [\"2001:db8::1/64\"],"
     " gateway: [\"2001:db8::ffff\"]}]}\n"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
     "  containers: [{name: a, image: b, volumeMounts: [{name: v, mountPath: /v}]}]\n"
     "  volumes: [{name: v, emptyDir: {sizeLimit: 1Gi}}]\n",
     "apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
     "  containers: [{name: a, image: b, volumeMounts: [{name: v, mountPath: /v, readOnly: "
     "false}]}]\n"
     "  volumes: [{name: v, emptyDir: {medium: \"\", sizeLimit: 1073741824}}]\n"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
     "  containers: [{name: a, image: b, volumeMounts: [{name: v, mountPath: /v, readOnly: "
     "true}]}]\n"
     "  volumes: [{name: v, emptyDir: {}}]\n",
     "apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
     "  containers: [{name: a, image: b, volumeMounts: [{name: v, mountPath: /v, readOnly: "
     "true, recursiveReadOnly: Disabled}]}]\n"
     "  volumes: [{name: v, emptyDir: {}}]\n"},
};

/* A base with every kind of field, and single changes to it that must change the hash. */
#define RICH(vol, mnt, env, net)                                                                   \
    "apiVersion: tank/v1\nkind: Pod\nmetadata: {name: r}\nspec:\n"                                 \
    "  securityContext: {supplementalGroups: [1]}\n"                                               \
    "  dnsConfig: {nameservers: [192.0.2.53], searches: [a.example], options: [{name: ndots}]}\n"  \
    "  volumes: [{name: v, " vol "}]\n"                                                            \
    "  containers: [{name: a, image: b, volumeMounts: [{name: v, " mnt "}], env: [" env "]}]\n"    \
    "  network: {interfaces: [{name: e, " net "}]}\n"
#define RICH_BASE                                                                                  \
    RICH("hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: x}",                         \
         "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: "           \
         "192.0.2.254")
static const char *const rich_changes[] = {
    RICH(
        "hostPath: {path: /srv2}", "mountPath: /m", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv, type: Directory}", "mountPath: /m", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "emptyDir: {}", "mountPath: /m", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv}", "mountPath: /m, readOnly: true", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv}", "mountPath: /m, subPath: s", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: z}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:02\", addresses: [192.0.2.1/24], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/25], gateway: 192.0.2.254"),
    RICH(
        "hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: x}",
        "macvlan: {}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], gateway: 192.0.2.253"),
    RICH("hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: x}",
         "macvlan: {mode: vepa}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], "
         "gateway: 192.0.2.254"),
    RICH("hostPath: {path: /srv}", "mountPath: /m", "{name: E, value: x}",
         "macvlan: {parent: eth9}, mac: \"02:00:00:00:00:01\", addresses: [192.0.2.1/24], "
         "gateway: 192.0.2.254"),
};

/* recursiveReadOnly: parsed, and each value its own hash. */
#define RRO_POD(x)                                                                                 \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"                                      \
    "  containers: [{name: a, image: b, volumeMounts: [{name: v, mountPath: /v, readOnly: true" x  \
    "}]}]\n  volumes: [{name: v, emptyDir: {}}]\n"
START_TEST(test_recursive_read_only)
{
    static const char *const texts[] = {RRO_POD(""), RRO_POD(", recursiveReadOnly: IfPossible"),
                                        RRO_POD(", recursiveReadOnly: Enabled")};
    static const enum spec_rro want[] = {SPEC_RRO_DISABLED, SPEC_RRO_IF_POSSIBLE, SPEC_RRO_ENABLED};
    char hashes[3][80];
    for (size_t i = 0; i < 3; i++) {
        struct spec_pod *pod = parse_one("rro.yaml", texts[i]);
        ck_assert_int_eq(pod->containers[0].mounts[0].recursive_read_only, want[i]);
        ck_assert(pod->containers[0].mounts[0].read_only);
        snprintf(hashes[i], sizeof(hashes[i]), "%s", pod->hash);
        spec_pod_free(pod);
    }
    ck_assert_str_ne(hashes[0], hashes[1]);
    ck_assert_str_ne(hashes[0], hashes[2]);
    ck_assert_str_ne(hashes[1], hashes[2]);
    ck_assert_str_eq(spec_rro_to_string(SPEC_RRO_IF_POSSIBLE), "IfPossible");
}
END_TEST

/* SPEC_MAX_VOLUME_MOUNTS volumeMounts are fine (one more is an invalid fixture). */
START_TEST(test_max_volume_mounts)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_adds(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n"
                    "  volumes: [{name: v, emptyDir: {}}]\n"
                    "  containers:\n  - name: a\n    image: b\n    volumeMounts:\n");
    for (int i = 0; i < SPEC_MAX_VOLUME_MOUNTS; i++)
        tk_buf_addf(&b, "    - {name: v, mountPath: /m%d}\n", i);
    struct spec_pod *pod = parse_one("max.yaml", b.s);
    ck_assert_uint_eq(pod->containers[0].n_mounts, SPEC_MAX_VOLUME_MOUNTS);
    spec_pod_free(pod);
    tk_buf_free(&b);
}
END_TEST

START_TEST(test_hash_same_pairs)
{
    char *a = hash_of("a.yaml", same_pairs[_i][0]);
    char *b = hash_of("b.yaml", same_pairs[_i][1]);
    ck_assert_msg(!strcmp(a, b), "different hashes for:\n%s\nand\n%s", same_pairs[_i][0],
                  same_pairs[_i][1]);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_hash_rich_changes)
{
    char *a = hash_of("a.yaml", RICH_BASE);
    char *b = hash_of("a.yaml", rich_changes[_i]);
    ck_assert_msg(strcmp(a, b), "a semantic change kept the hash:\n%s", rich_changes[_i]);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_hash_same)
{
    char *a = hash_of("a.yaml", minimal);
    char *b = hash_of(_i == 1 ? "other/dir/b.json" : "other/dir/b.yaml", same_as_minimal[_i]);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_hash_differs)
{
    char *a = hash_of("a.yaml", minimal);
    char *b = hash_of("a.yaml", differs_from_minimal[_i]);
    ck_assert_msg(strcmp(a, b), "a semantic change kept the hash:\n%s", differs_from_minimal[_i]);
    free(a);
    free(b);
}
END_TEST

/* Kubernetes quantities: thousandths of the unit, and the canonical form. */
static const struct {
    const char *in;
    int64_t milli;
    const char *canon;
    int err;
} quantities[] = {
    {"100m", 100, "100m", 0},
    {"0.5", 500, "500m", 0},
    {"1", 1000, "1", 0},
    {"2000m", 2000, "2", 0},
    {"128Mi", 128LL * 1048576 * 1000, "128Mi", 0},
    {"1.5Gi", 1536LL * 1048576 * 1000, "1536Mi", 0},
    {"1G", 1000000000000LL, "1G", 0},
    {"1e3", 1000000, "1k", 0},
    {"512Ki", 512LL * 1024 * 1000, "512Ki", 0},
    {"+1k", 1000000, "1k", 0},
    {"0.0001", 1, "1m", 0}, /* rounded up */
    {"12XB", 0, NULL, -EINVAL},
    {"", 0, NULL, -EINVAL},
    {"Mi", 0, NULL, -EINVAL},
    {"1.2.3", 0, NULL, -EINVAL},
    {"-1", 0, NULL, -ERANGE},
    {"100Ei", 0, NULL, -ERANGE},
};

START_TEST(test_quantity)
{
    int64_t milli = -1;
    char canon[32] = "";
    int r = spec_quantity_parse(quantities[_i].in, &milli, canon, sizeof(canon));
    ck_assert_msg(r == quantities[_i].err, "'%s': %d", quantities[_i].in, r);
    if (r == 0) {
        ck_assert_int_eq(milli, quantities[_i].milli);
        ck_assert_str_eq(canon, quantities[_i].canon);
    }
}
END_TEST

/* resizePolicy: accepted with Kubernetes' fields; the hash without resources is the same for
 * pods that differ only in requests and limits, and differs otherwise. */
#define RESIZE_POD(policy, mem, cmd)                                                               \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n  containers:\n"                       \
    "  - name: app\n    image: busybox\n    command: [" cmd "]\n    resizePolicy:\n"               \
    "    - {resourceName: cpu, restartPolicy: NotRequired}\n"                                      \
    "    - {resourceName: memory, restartPolicy: " policy "}\n"                                    \
    "    resources: {limits: {memory: " mem "}}\n"

START_TEST(test_resize_policy)
{
    struct spec_pod *a = parse_one("a.yaml", RESIZE_POD("RestartContainer", "32Mi", "sleep"));
    struct spec_pod *b = parse_one("b.yaml", RESIZE_POD("RestartContainer", "48Mi", "sleep"));
    struct spec_pod *c = parse_one("c.yaml", RESIZE_POD("RestartContainer", "48Mi", "echo"));
    struct spec_pod *d = parse_one("d.yaml", RESIZE_POD("NotRequired", "32Mi", "sleep"));
    ck_assert_uint_eq(a->containers[0].resize_restart, SPEC_RESIZE_MEMORY);
    ck_assert_uint_eq(d->containers[0].resize_restart, 0);
    ck_assert_str_ne(a->hash, b->hash);
    ck_assert_str_eq(a->hash_nores, b->hash_nores);
    ck_assert_str_ne(b->hash_nores, c->hash_nores);
    ck_assert_str_ne(a->hash_nores, d->hash_nores); /* the policy is not a resource */
    spec_pod_free(a), spec_pod_free(b), spec_pod_free(c), spec_pod_free(d);
    char *e = parse_error("e.yaml", RESIZE_POD("Sometimes", "32Mi", "sleep"));
    ck_assert_msg(strstr(e, "resizePolicy[1].restartPolicy"), "%s", e);
    free(e);
    e = parse_error("f.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n"
                              "  restartPolicy: Never\n  containers:\n  - name: app\n"
                              "    image: busybox\n    resizePolicy:\n"
                              "    - {resourceName: memory, restartPolicy: RestartContainer}\n");
    ck_assert_msg(strstr(e, "spec.containers[0].resizePolicy: restartPolicy must be NotRequired"),
                  "%s", e);
    free(e);
    e = parse_error("g.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n"
                    "  containers:\n  - name: app\n    image: busybox\n"
                    "    resizePolicy:\n    - {resourceName: cpu, restartPolicy: NotRequired}\n"
                    "    - {resourceName: cpu, restartPolicy: NotRequired}\n");
    ck_assert_msg(strstr(e, "'cpu' is given twice"), "%s", e);
    free(e);
}
END_TEST

/* Deployments: maxSurge rounds up, maxUnavailable down (Kubernetes' ResolveFenceposts), both
 * 0 after rounding makes maxUnavailable 1; Recreate has no surge. */
static const struct {
    const char *replicas, *strategy;
    int surge, unavailable;
} rollouts[] = {
    {"10", "{}", 3, 2},
    {"3", "{}", 1, 0},
    {"1", "{}", 1, 0},
    {"4", "{rollingUpdate: {maxSurge: \"50%\", maxUnavailable: \"10%\"}}", 2, 0},
    {"3", "{rollingUpdate: {maxSurge: 0, maxUnavailable: \"10%\"}}", 0, 1},
    {"5", "{rollingUpdate: {maxSurge: 2, maxUnavailable: 1}}", 2, 1},
    {"3", "{type: Recreate}", 0, 3},
};

START_TEST(test_deployment_rollout_values)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nginx-deployment, labels: "
             "{app: nginx}}\nspec:\n  replicas: %s\n  strategy: %s\n  selector:\n    "
             "matchLabels: {app: nginx}\n  template:\n    metadata:\n      labels: {app: nginx}\n"
             "    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n"
             "        ports:\n        - containerPort: 80\n",
             rollouts[_i].replicas, rollouts[_i].strategy);
    struct spec_set set;
    spec_set_init(&set);
    ck_assert_int_eq(spec_parse_buffer(&set, "d.yaml", text, strlen(text)), 0);
    ck_assert_uint_eq(set.n_workloads, 1);
    ck_assert_uint_eq(set.n_pods, 0);
    const struct spec_workload *wl = set.workloads[0];
    ck_assert_int_eq(wl->kind, SPEC_DEPLOYMENT);
    ck_assert_str_eq(wl->name, "nginx-deployment");
    ck_assert_int_eq(wl->max_surge, rollouts[_i].surge);
    ck_assert_int_eq(wl->max_unavailable, rollouts[_i].unavailable);
    ck_assert_int_eq(wl->progress_deadline_s, 600);
    ck_assert_str_eq(wl->tmpl->name, "nginx-deployment");
    ck_assert_str_eq(wl->tmpl->containers[0].image, "nginx:1.14.2");
    spec_set_free(&set);
}
END_TEST

/* The Job example of the Kubernetes documentation (pi), with its defaults. */
START_TEST(test_job_defaults)
{
    static const char text[] =
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: pi\n        image: perl:5.34.0\n        command: "
        "[\"perl\",  \"-Mbignum=bpi\", \"-wle\", \"print bpi(2000)\"]\n      restartPolicy: "
        "Never\n  backoffLimit: 4\n";
    struct spec_set set;
    spec_set_init(&set);
    ck_assert_int_eq(spec_parse_buffer(&set, "pi.yaml", text, strlen(text)), 0);
    ck_assert_uint_eq(set.n_workloads, 1);
    const struct spec_workload *wl = set.workloads[0];
    ck_assert_int_eq(wl->kind, SPEC_JOB);
    ck_assert_int_eq(wl->backoff_limit, 4);
    ck_assert_int_eq(wl->completions, 1);
    ck_assert_int_eq(wl->parallelism, 1);
    ck_assert(!wl->active_deadline_s.has);
    ck_assert_int_eq(wl->tmpl->restart_policy, SPEC_RESTART_NEVER);
    struct spec_workload *d = spec_workload_dup(wl);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->tmpl->hash, wl->tmpl->hash);
    spec_workload_free(d);
    spec_set_free(&set);
}
END_TEST

/* Init containers, sidecars, hooks and the termination message: what is read, the one index
 * over both lists, the copy, and the hash (which a pod without them keeps). */
START_TEST(test_init_and_hooks)
{
    static const char base[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                               "  containers: [{name: app, image: busybox}]\n";
    struct spec_pod *plain = parse_one("a.yaml", base);
    ck_assert_str_eq(plain->containers[0].termination_message_path, "/dev/termination-log");
    ck_assert(!plain->containers[0].termination_fallback_logs);
    ck_assert_uint_eq(spec_pod_n_all(plain), 1);
    ck_assert_ptr_null(spec_pod_ctr(plain, 1));
    struct spec_pod *pod = parse_one(
        "b.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                  "  containers:\n"
                  "  - name: app\n    image: busybox\n"
                  "    terminationMessagePath: /tmp/msg\n"
                  "    terminationMessagePolicy: FallbackToLogsOnError\n"
                  "    ports: [{name: http, containerPort: 8080}]\n"
                  "    lifecycle:\n"
                  "      postStart: {httpGet: {path: /up, port: http}}\n"
                  "      preStop: {sleep: {seconds: 3}}\n"
                  "  initContainers:\n"
                  "  - {name: one, image: busybox}\n"
                  "  - name: side\n    image: busybox\n    restartPolicy: Always\n"
                  "    startupProbe: {exec: {command: [\"true\"]}}\n"
                  "    lifecycle: {preStop: {exec: {command: [\"sh\", \"-c\", \"x\"]}}}\n");
    ck_assert_uint_eq(spec_pod_n_all(pod), 3);
    ck_assert(!spec_pod_is_init(pod, 0) && spec_pod_is_init(pod, 1));
    ck_assert_str_eq(spec_pod_ctr(pod, 1)->name, "one");
    ck_assert(!spec_pod_ctr(pod, 1)->sidecar && spec_pod_ctr(pod, 2)->sidecar);
    const struct spec_container *app = spec_pod_ctr(pod, 0);
    ck_assert_str_eq(app->termination_message_path, "/tmp/msg");
    ck_assert(app->termination_fallback_logs);
    ck_assert_int_eq(app->post_start->kind, SPEC_PROBE_HTTP);
    ck_assert_int_eq(app->post_start->port, 8080); /* the named port */
    ck_assert_str_eq(app->post_start->path, "/up");
    ck_assert_int_eq(app->pre_stop->kind, SPEC_PROBE_SLEEP);
    ck_assert_int_eq(app->pre_stop->sleep_s, 3);
    ck_assert_int_eq(spec_pod_ctr(pod, 2)->pre_stop->n_command, 3);
    struct spec_pod *copy = spec_pod_dup(pod);
    ck_assert_ptr_nonnull(copy);
    ck_assert_uint_eq(copy->n_init_containers, 2);
    ck_assert_str_eq(copy->init_containers[1].pre_stop->command[2], "x");
    ck_assert(copy->init_containers[1].sidecar);
    ck_assert_int_eq(spec_pod_rehash(copy), 0);
    ck_assert_str_eq(copy->hash, pod->hash);
    /* What a pod runs: another init container, a sidecar or not, another hook: another hash. */
    copy->init_containers[1].sidecar = false;
    ck_assert_int_eq(spec_pod_rehash(copy), 0);
    ck_assert_str_ne(copy->hash, pod->hash);
    spec_pod_free(copy);
    spec_pod_free(pod);
    spec_pod_free(plain);
}
END_TEST

Suite *spec_suite(void)
{
    Suite *s = suite_create("spec");
    TCase *tc = tcase_create("fixtures");
    load_fixture_lists();
    tcase_add_loop_test(tc, test_valid_fixture, 0, (int)n_valid);
    tcase_add_test(tc, test_hash_stable);
    tcase_add_loop_test(tc, test_invalid_fixture, 0, (int)n_invalid);
    tcase_add_loop_test(tc, test_warn_fixture, 0, (int)n_warn);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_init_and_hooks);
    tcase_add_loop_test(tc, test_quantity, 0, (int)(sizeof(quantities) / sizeof(quantities[0])));
    tcase_add_loop_test(tc, test_pull_policy_default, 0,
                        (int)(sizeof(pull_defaults) / sizeof(pull_defaults[0])));
    tcase_add_test(tc, test_field_values);
    tcase_add_test(tc, test_recursive_read_only);
    tcase_add_test(tc, test_max_volume_mounts);
    tcase_add_test(tc, test_resize_policy);
    tcase_add_loop_test(tc, test_deployment_rollout_values, 0,
                        (int)(sizeof(rollouts) / sizeof(rollouts[0])));
    tcase_add_test(tc, test_job_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("hash");
    tcase_add_loop_test(tc, test_hash_same, 0,
                        (int)(sizeof(same_as_minimal) / sizeof(same_as_minimal[0])));
    tcase_add_loop_test(tc, test_hash_differs, 0,
                        (int)(sizeof(differs_from_minimal) / sizeof(differs_from_minimal[0])));
    tcase_add_loop_test(tc, test_hash_same_pairs, 0,
                        (int)(sizeof(same_pairs) / sizeof(same_pairs[0])));
    tcase_add_loop_test(tc, test_hash_rich_changes, 0,
                        (int)(sizeof(rich_changes) / sizeof(rich_changes[0])));
    suite_add_tcase(s, tc);

    return s;
}
