/* ConfigMaps, Secrets and the downward API resolved into pods' inputs (see resolve.h). */
#include "agent/resolve.h"

#include <stdarg.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sort.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/alloc.h"

char *resolve_expand(const char *s, const char *(*lookup)(void *ctx, const char *name), void *ctx)
{
    struct tk_buf b = TK_BUF_INIT;
    for (const char *p = s; *p; p++) {
        if (p[0] != '$' || !p[1]) {
            tk_buf_addc(&b, *p);
            continue;
        }
        if (p[1] == '$') { /* escaped */
            tk_buf_addc(&b, '$');
            p++;
        } else if (p[1] == '(') {
            const char *close = strchr(p + 2, ')');
            if (!close) { /* incomplete: as written */
                tk_buf_adds(&b, "$(");
                p++;
                continue;
            }
            _cleanup_free_ char *name = strndup(p + 2, (size_t)(close - p - 2));
            const char *v = name ? lookup(ctx, name) : NULL;
            if (v)
                tk_buf_adds(&b, v);
            else
                tk_buf_addf(&b, "$(%s)", name ? name : "");
            p = close;
        } else {
            tk_buf_addc(&b, '$');
            tk_buf_addc(&b, p[1]);
            p++;
        }
    }
    char *out = tk_buf_detach(&b);
    return out ? out : strdup("");
}

/* The environment being built: names in order, later values replacing earlier ones. */
struct envb {
    struct spec_env *v;
    size_t n;
    size_t cap;
    bool oom;
};

static const char *env_lookup(void *ctx, const char *name)
{
    const struct envb *e = ctx;
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->v[i].name, name))
            return e->v[i].value;
    return NULL;
}

/* Set name (replacing an earlier one in place); takes value. */
static void env_set(struct envb *e, const char *name, char *value, const struct spec_env *src)
{
    struct spec_env *x = NULL;
    for (size_t i = 0; i < e->n && !x; i++)
        if (!strcmp(e->v[i].name, name))
            x = &e->v[i];
    if (!x) {
        if (e->n == e->cap) {
            size_t cap = e->cap ? 2 * e->cap : 16;
            struct spec_env *v = realloc(e->v, cap * sizeof(*v));
            if (!v) {
                free(value);
                e->oom = true;
                return;
            }
            e->v = v;
            e->cap = cap;
        }
        x = &e->v[e->n++];
        *x = (struct spec_env){.name = strdup(name)};
    } else {
        free(x->value);
        free(x->ref_name);
        free(x->ref_key);
    }
    x->value = value;
    x->from = src->from;
    x->ref_name = src->ref_name ? strdup(src->ref_name) : NULL;
    x->ref_key = src->ref_key ? strdup(src->ref_key) : NULL;
    x->optional = src->optional;
    x->divisor = src->divisor;
    if (!x->name || !x->value || (src->ref_name && !x->ref_name) || (src->ref_key && !x->ref_key))
        e->oom = true;
}

static void envb_free(struct envb *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].name);
        if (e->v[i].value)
            explicit_bzero(e->v[i].value, strlen(e->v[i].value));
        free(e->v[i].value);
        free(e->v[i].ref_name);
        free(e->v[i].ref_key);
    }
    free(e->v);
}

struct rctx {
    const struct spec_set *set;
    const struct spec_pod *pod;
    const struct resolve_node *node;
    const struct spec_container *c; /* the container being resolved (env) */
    char *error;                    /* the first config error of the container */
};

static void config_error(struct rctx *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void config_error(struct rctx *r, const char *fmt, ...)
{
    if (r->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&r->error, fmt, ap) < 0)
        r->error = NULL;
    va_end(ap);
}

static const struct spec_object *find_object(struct rctx *r, bool secret, const char *name,
                                             bool optional)
{
    const struct spec_object *o = spec_set_find_object(
        r->set, secret ? SPEC_SECRET : SPEC_CONFIGMAP, r->pod->namespace, name);
    if (!o && !optional)
        config_error(r, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
    return o;
}

static char *data_string(const struct spec_data *d)
{
    return strndup((const char *)d->value, d->len);
}

/* envFrom: every key, as prefix + key, skipping keys that are not valid names. */
static void add_env_from(struct rctx *r, struct envb *e, const struct spec_env_from *f)
{
    const struct spec_object *o = find_object(r, f->secret, f->name, f->optional);
    for (size_t i = 0; o && i < o->n_data; i++) {
        _cleanup_free_ char *name = NULL;
        if (asprintf(&name, "%s%s", f->prefix ? f->prefix : "", o->data[i].key) < 0) {
            e->oom = true;
            return;
        }
        if (!spec_is_env_name(name))
            continue;
        struct spec_env src = {.from = f->secret ? SPEC_ENV_SECRET : SPEC_ENV_CONFIGMAP,
                               .ref_name = f->name,
                               .ref_key = o->data[i].key};
        env_set(e, name, data_string(&o->data[i]), &src);
    }
}

static const char *kv_get(const struct spec_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key))
            return kv[i].value;
    return NULL;
}

/* The pod's addresses (spec.network), without their prefix, comma-separated. */
static char *pod_ips(const struct spec_pod *pod, bool all)
{
    struct tk_buf b = TK_BUF_INIT;
    for (size_t i = 0; i < pod->network.n_interfaces; i++) {
        const struct spec_interface *f = &pod->network.interfaces[i];
        for (size_t j = 0; j < f->n_addresses; j++) {
            size_t l = strcspn(f->addresses[j], "/");
            tk_buf_addf(&b, "%s%.*s", b.len ? "," : "", (int)l, f->addresses[j]);
            if (!all)
                goto done;
        }
    }
done:;
    char *s = tk_buf_detach(&b);
    return s ? s : strdup("");
}

/* A stable uid for the pod (Tank has no API server to give one): a UUID made of the hash of
 * namespace and name. */
static char *pod_uid(const struct spec_pod *pod)
{
    unsigned h = 2166136261u, g = 16777619u;
    char *out = NULL;
    for (const char *p = pod->namespace; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (const char *p = pod->name; *p; p++)
        g = (g ^ (unsigned char)*p) * 2166136261u;
    if (asprintf(&out, "%08x-%04x-4%03x-8%03x-%08x%04x", h, g & 0xffff, (h >> 4) & 0xfff,
                 (g >> 8) & 0xfff, h ^ g, (g >> 16) & 0xffff) < 0)
        return NULL;
    return out;
}

/* fieldRef: the downward API's values for env. */
static char *field_value(struct rctx *r, const char *path)
{
    const struct spec_pod *pod = r->pod;
    const char *v = NULL;
    size_t l = strlen(path);
    if (!strcmp(path, "metadata.name"))
        v = pod->name;
    else if (!strcmp(path, "metadata.namespace"))
        v = pod->namespace;
    else if (!strcmp(path, "metadata.uid"))
        return pod_uid(pod);
    else if (!strcmp(path, "spec.nodeName"))
        v = r->node->name ? r->node->name : "";
    else if (!strcmp(path, "spec.serviceAccountName"))
        v = "default";
    else if (!strcmp(path, "status.hostIPs"))
        v = r->node->host_ips;
    else if (!strcmp(path, "status.hostIP"))
        return strndup(r->node->host_ips ? r->node->host_ips : "",
                       r->node->host_ips ? strcspn(r->node->host_ips, ",") : 0);
    else if (!strcmp(path, "status.podIP") || !strcmp(path, "status.podIPs"))
        return pod->host_network ? strdup("") : pod_ips(pod, !strcmp(path, "status.podIPs"));
    else if (!strncmp(path, "metadata.labels['", 17) && l > 19) {
        _cleanup_free_ char *k = strndup(path + 17, l - 19);
        v = k ? kv_get(pod->labels, pod->n_labels, k) : NULL;
    } else if (!strncmp(path, "metadata.annotations['", 22) && l > 24) {
        _cleanup_free_ char *k = strndup(path + 22, l - 24);
        v = k ? kv_get(pod->annotations, pod->n_annotations, k) : NULL;
    }
    return strdup(v ? v : "");
}

static int64_t ceil_div(int64_t v, int64_t d)
{
    return v <= 0 ? 0 : v / d + (v % d != 0);
}

/* resourceFieldRef: the container's request or limit divided by divisor, rounded up, as the
 * kubelet gives it; a limit that is not set is the node's allocatable. */
static char *resource_value(struct rctx *r, const char *container, const char *resource,
                            int64_t divisor)
{
    const struct spec_container *c = container && *container ? NULL : r->c;
    for (size_t i = 0; !c && i < r->pod->n_containers; i++)
        if (!strcmp(r->pod->containers[i].name, container))
            c = &r->pod->containers[i];
    bool limit = !strncmp(resource, "limits.", 7), cpu = strstr(resource, ".cpu") != NULL;
    int64_t v = 0;
    if (c && cpu)
        v = limit ? c->res.cpu_limit : c->res.cpu_request;
    else if (c)
        v = limit ? c->res.mem_limit : c->res.mem_request;
    if (c && limit && !v)
        v = cpu ? r->node->cpu_milli : r->node->memory;
    /* cpu: millicores over a divisor in millicores (1 by default); memory: bytes over a
     * divisor in thousandths of a byte */
    int64_t d = cpu ? (divisor ? divisor : 1000) : (divisor ? divisor / 1000 : 1);
    char *out = NULL;
    if (asprintf(&out, "%lld", (long long)ceil_div(v, d > 0 ? d : 1)) < 0)
        return NULL;
    return out;
}

/* One env entry: its value, or NULL when it is not set (an optional object or key that is
 * missing, or a config error). */
static char *env_value(struct rctx *r, struct envb *e, const struct spec_env *x)
{
    switch (x->from) {
    case SPEC_ENV_VALUE:
        return resolve_expand(x->value ? x->value : "", env_lookup, e);
    case SPEC_ENV_FIELD:
        return field_value(r, x->ref_key);
    case SPEC_ENV_RESOURCE:
        return resource_value(r, x->ref_name, x->ref_key, x->divisor);
    case SPEC_ENV_CONFIGMAP:
    case SPEC_ENV_SECRET:
        break;
    }
    bool secret = x->from == SPEC_ENV_SECRET;
    const struct spec_object *o = find_object(r, secret, x->ref_name, x->optional);
    const struct spec_data *d = o ? spec_object_get(o, x->ref_key) : NULL;
    if (o && !d && !x->optional)
        config_error(r, "couldn't find key %s in %s %s/%s", x->ref_key,
                     secret ? "Secret" : "ConfigMap", o->namespace, o->name);
    return d ? data_string(d) : NULL;
}

static char **expand_list(char **v, size_t n, struct envb *e)
{
    if (!v)
        return NULL;
    char **out = calloc(n + 1, sizeof(*out));
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = resolve_expand(v[i], env_lookup, e)))
            e->oom = true;
    if (!out)
        e->oom = true;
    return out;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static int resolve_container(struct rctx *r, struct spec_container *c)
{
    struct envb e = {0};
    r->error = NULL;
    r->c = c;
    for (size_t i = 0; i < c->n_env_from; i++)
        add_env_from(r, &e, &c->env_from[i]);
    for (size_t i = 0; i < c->n_env; i++) {
        char *v = env_value(r, &e, &c->env[i]);
        if (v)
            env_set(&e, c->env[i].name, v, &c->env[i]);
    }
    char **cmd = expand_list(c->command, c->n_command, &e);
    char **args = expand_list(c->args, c->n_args, &e);
    if (e.oom) {
        free_list(cmd, c->n_command);
        free_list(args, c->n_args);
        envb_free(&e);
        free(r->error);
        return -ENOMEM;
    }
    free_list(c->command, c->n_command);
    c->command = cmd;
    free_list(c->args, c->n_args);
    c->args = args;
    struct envb old = {.v = c->env, .n = c->n_env};
    envb_free(&old);
    c->env = e.v;
    c->n_env = e.n;
    free(c->config_error);
    c->config_error = r->error;
    return 0;
}

static int add_file(struct spec_volume *v, const char *path, const struct spec_data *d,
                    uint32_t mode)
{
    struct spec_file *f = &v->files[v->n_files];
    f->path = strdup(path);
    f->data = malloc(d->len + 1);
    f->len = d->len;
    f->mode = mode;
    v->n_files++;
    if (!f->path || !f->data)
        return -ENOMEM;
    memcpy(f->data, d->value, d->len + 1);
    return 0;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct spec_kv *)a)->key, ((const struct spec_kv *)b)->key);
}

/* metadata.labels / annotations as a downwardAPI file: sorted key="value" lines (Go's %q). */
static char *format_map(const struct spec_kv *kv, size_t n)
{
    struct tk_buf b = TK_BUF_INIT;
    _cleanup_free_ struct spec_kv *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return NULL;
    memcpy(v, kv, n * sizeof(*v));
    tk_sort(v, n, sizeof(*v), kv_cmp);
    for (size_t i = 0; i < n; i++) {
        tk_buf_addf(&b, "%s%s=\"", i ? "\n" : "", v[i].key);
        for (const char *p = v[i].value; *p; p++)
            if (*p == '"' || *p == '\\')
                tk_buf_addf(&b, "\\%c", *p);
            else if ((unsigned char)*p < 0x20)
                tk_buf_addf(&b, "\\x%02x", (unsigned char)*p);
            else
                tk_buf_addc(&b, *p);
        tk_buf_addc(&b, '"');
    }
    char *s = tk_buf_detach(&b);
    return s ? s : strdup("");
}

/* A downwardAPI volume's files. */
static int downward_files(struct rctx *r, struct spec_volume *v)
{
    for (size_t i = 0; i < v->n_items; i++) {
        const struct spec_key_path *it = &v->items[i];
        char *text = it->resource ? resource_value(r, it->container, it->key, it->divisor)
                     : !strcmp(it->key, "metadata.labels")
                         ? format_map(r->pod->labels, r->pod->n_labels)
                     : !strcmp(it->key, "metadata.annotations")
                         ? format_map(r->pod->annotations, r->pod->n_annotations)
                         : field_value(r, it->key);
        if (!text)
            return -ENOMEM;
        struct spec_data d = {.value = (unsigned char *)text, .len = strlen(text)};
        int rc = add_file(v, it->path, &d, (uint32_t)(it->mode >= 0 ? it->mode : v->default_mode));
        free(text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A configMap/secret volume's files; the error (NULL when none) in *error. */
static int volume_files(struct rctx *r, struct spec_volume *v);

/* projected: each source's files, in order, in one volume. */
static int projected_files(struct rctx *r, struct spec_volume *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_sources; i++) {
        struct spec_volume *src = &v->sources[i];
        src->name = v->name; /* (for messages; not owned) */
        int rc = volume_files(r, src);
        src->name = NULL;
        if (rc < 0)
            return rc;
        n += src->n_files;
    }
    v->files = calloc(n + 1, sizeof(*v->files));
    if (!v->files)
        return -ENOMEM;
    for (size_t i = 0; i < v->n_sources; i++) {
        struct spec_volume *src = &v->sources[i];
        memcpy(v->files + v->n_files, src->files, src->n_files * sizeof(*src->files));
        v->n_files += src->n_files;
        free(src->files);
        src->files = NULL;
        src->n_files = 0;
    }
    return 0;
}

static int volume_files(struct rctx *r, struct spec_volume *v)
{
    if (v->kind == SPEC_VOLUME_PROJECTED)
        return projected_files(r, v);
    if (v->kind == SPEC_VOLUME_DOWNWARD_API) {
        v->files = calloc(v->n_items + 1, sizeof(*v->files));
        return v->files ? downward_files(r, v) : -ENOMEM;
    }
    bool secret = v->kind == SPEC_VOLUME_SECRET;
    const struct spec_object *o = find_object(r, secret, v->ref_name, v->optional);
    size_t n = o ? (v->items ? v->n_items : o->n_data) : 0;
    v->files = calloc(n ? n : 1, sizeof(*v->files));
    if (!v->files)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct spec_key_path *it = v->items ? &v->items[i] : NULL;
        const struct spec_data *d = it ? spec_object_get(o, it->key) : &o->data[i];
        if (!d) {
            if (!v->optional)
                config_error(r, "volume '%s': couldn't find key %s in %s %s/%s", v->name, it->key,
                             secret ? "Secret" : "ConfigMap", o->namespace, o->name);
            continue;
        }
        uint32_t mode = (uint32_t)(it && it->mode >= 0 ? it->mode : v->default_mode);
        if (add_file(v, it ? it->path : d->key, d, mode) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* The files of each configMap/secret volume; a missing one stops the containers that mount
 * it. */
static int resolve_volumes(struct rctx *r, struct spec_pod *pod)
{
    for (size_t i = 0; i < pod->n_volumes; i++) {
        struct spec_volume *v = &pod->volumes[i];
        if (!SPEC_VOLUME_IS_GENERATED(v->kind) && v->kind != SPEC_VOLUME_PVC)
            continue;
        r->error = NULL;
        if (v->kind == SPEC_VOLUME_PVC) {
            if (!spec_set_find_object(r->set, SPEC_PVC, pod->namespace, v->ref_name))
                config_error(r, "persistentvolumeclaim \"%s\" not found", v->ref_name);
        } else if (volume_files(r, v) < 0) {
            free(r->error);
            return -ENOMEM;
        }
        for (size_t j = 0; r->error && j < spec_pod_n_all(pod); j++) {
            struct spec_container *c = spec_pod_ctr(pod, j);
            for (size_t k = 0; k < c->n_mounts; k++)
                if (!strcmp(c->mounts[k].name, v->name) && !c->config_error) {
                    c->config_error = tk_xstrdup(r->error);
                    break;
                }
        }
        free(r->error);
        r->error = NULL;
    }
    return 0;
}

/* imagePullSecrets: the ".dockerconfigjson" of each Secret of that type, in order. */
static int resolve_pull_auth(const struct spec_set *set, struct spec_pod *pod)
{
    for (size_t i = 0; i < pod->n_pull_auth; i++)
        free(pod->pull_auth[i]);
    free(pod->pull_auth);
    pod->n_pull_auth = 0;
    pod->pull_auth = calloc(pod->n_pull_secrets + 1, sizeof(*pod->pull_auth));
    if (!pod->pull_auth)
        return -ENOMEM;
    struct tk_buf skipped = TK_BUF_INIT;
    for (size_t i = 0; i < pod->n_pull_secrets; i++) {
        const char *name = pod->pull_secrets[i];
        const struct spec_object *o = spec_set_find_object(set, SPEC_SECRET, pod->namespace, name);
        const struct spec_data *d = o ? spec_object_get(o, ".dockerconfigjson") : NULL;
        if (!o)
            tk_buf_addf(&skipped, "%s%s (not found)", skipped.len ? ", " : "", name);
        else if (strcmp(o->type, "kubernetes.io/dockerconfigjson") || !d)
            tk_buf_addf(&skipped, "%s%s (of type %s, not kubernetes.io/dockerconfigjson)",
                        skipped.len ? ", " : "", name, o->type);
        if (!d || strcmp(o->type, "kubernetes.io/dockerconfigjson"))
            continue;
        if (!(pod->pull_auth[pod->n_pull_auth++] = data_string(d))) {
            tk_buf_free(&skipped);
            return -ENOMEM;
        }
    }
    free(pod->pull_secrets_skipped);
    pod->pull_secrets_skipped = NULL;
    if (skipped.len && !(pod->pull_secrets_skipped = tk_buf_detach(&skipped)))
        return -ENOMEM;
    tk_buf_free(&skipped);
    return 0;
}

int resolve_pods(struct spec_set *set, const struct resolve_node *node)
{
    for (size_t i = 0; i < set->n_pods; i++) {
        struct spec_pod *pod = set->pods[i];
        struct rctx r = {.set = set, .pod = pod, .node = node};
        if (pod->placeholder) /* kept as it runs, its hash that one (controllers.h) */
            continue;
        for (size_t j = 0; j < spec_pod_n_all(pod); j++)
            if (resolve_container(&r, spec_pod_ctr(pod, j)) < 0)
                return -ENOMEM;
        if (resolve_volumes(&r, pod) < 0 || resolve_pull_auth(set, pod) < 0)
            return -ENOMEM;
        int rc = spec_pod_rehash(pod);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- what a template reads: its workload's revision (resolve.h) ---- */

static void put_bytes(struct tk_buf *b, const void *s, size_t n)
{
    tk_buf_addf(b, "%zu:", n);
    tk_buf_add(b, s, n);
}

static void put_s(struct tk_buf *b, const char *s)
{
    put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

/* An object's every key and value (envFrom), or '-' when it is missing. */
static void read_object(struct tk_buf *b, const struct spec_object *o)
{
    if (!o) {
        tk_buf_addc(b, '-');
        return;
    }
    tk_buf_addf(b, "o%zu;", o->n_data);
    for (size_t i = 0; i < o->n_data; i++) {
        put_s(b, o->data[i].key);
        put_bytes(b, o->data[i].value, o->data[i].len);
    }
}

/* Whether c reads a ConfigMap or Secret (env, envFrom). */
static bool read_container(struct tk_buf *b, const struct rctx *r, const struct spec_container *c)
{
    bool reads = c->n_env_from > 0;
    tk_buf_adds(b, "c");
    put_s(b, c->name);
    for (size_t i = 0; i < c->n_env_from; i++) {
        const struct spec_env_from *f = &c->env_from[i];
        tk_buf_addf(b, "F%d%d", f->secret, f->optional);
        put_s(b, f->name);
        put_s(b, f->prefix);
        read_object(b, spec_set_find_object(r->set, f->secret ? SPEC_SECRET : SPEC_CONFIGMAP,
                                            r->pod->namespace, f->name));
    }
    for (size_t i = 0; i < c->n_env; i++) {
        const struct spec_env *x = &c->env[i];
        if (x->from != SPEC_ENV_CONFIGMAP && x->from != SPEC_ENV_SECRET)
            continue;
        bool secret = x->from == SPEC_ENV_SECRET;
        const struct spec_object *o = spec_set_find_object(
            r->set, secret ? SPEC_SECRET : SPEC_CONFIGMAP, r->pod->namespace, x->ref_name);
        const struct spec_data *d = o ? spec_object_get(o, x->ref_key) : NULL;
        reads = true;
        tk_buf_addf(b, "E%d%d", secret, x->optional);
        put_s(b, x->name);
        put_s(b, x->ref_name);
        put_s(b, x->ref_key);
        tk_buf_addc(b, !o ? '-' : !d ? '?' : '=');
        if (d)
            put_bytes(b, d->value, d->len);
    }
    return reads;
}

/* A configMap/secret volume: only whether what it needs is there (a missing object or key
 * stops the containers that mount it), never its content, which is updated in place. */
static bool read_volume(struct tk_buf *b, const struct rctx *r, const struct spec_volume *v)
{
    bool reads = false;
    if (v->kind == SPEC_VOLUME_PROJECTED) {
        for (size_t i = 0; i < v->n_sources; i++)
            reads |= read_volume(b, r, &v->sources[i]);
        return reads;
    }
    if ((v->kind != SPEC_VOLUME_CONFIGMAP && v->kind != SPEC_VOLUME_SECRET) || v->optional)
        return false;
    bool secret = v->kind == SPEC_VOLUME_SECRET;
    const struct spec_object *o = spec_set_find_object(
        r->set, secret ? SPEC_SECRET : SPEC_CONFIGMAP, r->pod->namespace, v->ref_name);
    tk_buf_addf(b, "V%d", secret);
    put_s(b, v->ref_name);
    tk_buf_addc(b, o ? '=' : '-');
    for (size_t i = 0; o && i < v->n_items; i++)
        tk_buf_addc(b, spec_object_get(o, v->items[i].key) ? '=' : '-');
    return true;
}

int resolve_reads_digest(const struct spec_set *set, const struct spec_pod *pod,
                         const unsigned char *key, char out[65])
{
    struct rctx r = {.set = set, .pod = pod};
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_adds(&b, "tank-reads-1;");
    bool reads = false;
    for (size_t i = 0; i < spec_pod_n_all(pod); i++)
        reads |= read_container(&b, &r, spec_pod_ctr(pod, i));
    for (size_t i = 0; i < pod->n_volumes; i++)
        reads |= read_volume(&b, &r, &pod->volumes[i]);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = key ? HMAC(EVP_sha256(), key, RESOLVE_KEY_LEN, (const unsigned char *)b.s, b.len, md,
                        &len) != NULL
                 : EVP_Digest(b.s, b.len, md, &len, EVP_sha256(), NULL);
    explicit_bzero(b.s, b.len);
    tk_buf_free(&b);
    if (!ok || len != 32)
        return -EIO;
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return reads;
}
