/* spec.containers[]: reading and checking one container, and the checks that need the
 * whole pod (mounts against volumes, runAsNonRoot against the user). */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/sort.h"
#include "base/cleanup.h"

static bool is_abs_path(const char *s)
{
    return s[0] == '/';
}

/* Relative, without ".." components. */
static bool is_sub_path(const char *s)
{
    if (s[0] == '/')
        return false;
    for (const char *p = s; *p;) {
        size_t l = strcspn(p, "/");
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += l;
        p += *p == '/';
    }
    return true;
}

static bool is_image_ref(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static void f_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    want_checked(w, v, path, &c->name, tk_is_dns_label, "a valid container name " DNS1123_RULE);
}

static void f_image(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    want_checked(w, v, path, &c->image, is_image_ref,
                 "a valid image reference (not empty, no spaces or control characters)");
}

static void f_pull(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"IfNotPresent", "Always", "Never"};
    struct spec_container *c = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        c->pull_policy = (enum spec_pull_policy)i;
}

static void f_command(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    want_str_list(w, v, path, &c->command, &c->n_command, NULL, NULL);
}

static void f_args(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    want_str_list(w, v, path, &c->args, &c->n_args, NULL, NULL);
}

static void f_working_dir(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    want_checked(w, v, path, &c->working_dir, is_abs_path, "an absolute path");
}

static void f_env_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    want_checked(w, v, path, &e->name, spec_is_env_name,
                 "a valid environment variable name (letters, digits, '_', '.' and '-', not "
                 "starting with a digit)");
}

static void f_env_value(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    want_str(w, v, path, &e->value);
}

static void f_ref_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    want_checked(w, v, path, &e->ref_name, spec_is_dns1123_subdomain,
                 "a valid ConfigMap or Secret name (a DNS subdomain)");
}

static void f_ref_key(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    want_str(w, v, path, &e->ref_key);
}

static void f_ref_optional(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    want_bool(w, v, path, &e->optional);
}

/* The fieldRef paths Kubernetes gives a container (metadata.labels['k'] included). */
static bool is_field_path(const char *s)
{
    static const char *const paths[] = {
        "metadata.name", "metadata.namespace",      "metadata.uid",
        "spec.nodeName", "spec.serviceAccountName", "status.podIP",
        "status.podIPs", "status.hostIP",           "status.hostIPs"};
    for (size_t i = 0; i < TK_ARRAY_SIZE(paths); i++)
        if (!strcmp(s, paths[i]))
            return true;
    return spec_is_metadata_key_ref(s);
}

static void f_field_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env *e = obj;
    want_checked(w, v, path, &e->ref_key, is_field_path,
                 "a supported fieldPath (metadata.name, metadata.namespace, metadata.uid, "
                 "metadata.labels['KEY'], metadata.annotations['KEY'], spec.nodeName, "
                 "spec.serviceAccountName, status.podIP, status.podIPs, status.hostIP)");
}

static void f_api_version(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    _cleanup_free_ char *s = NULL;
    if (want_str(w, v, path, &s) && strcmp(s, "v1"))
        werr(w, v, path, "only v1");
}

static void read_key_ref(struct walk *w, const struct ynode *v, const char *path,
                         struct spec_env *e, enum spec_env_source from)
{
    static const struct field fields[] = {
        {"name", f_ref_name}, {"key", f_ref_key}, {"optional", f_ref_optional}};
    if (e->from != SPEC_ENV_VALUE) {
        werr(w, v, path, "only one source may be given in valueFrom");
        return;
    }
    e->from = from;
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), e))
        return;
    if (!e->ref_name && ynode_is_null(ynode_get(v, "name")))
        wreq(w, v, path, "name", NULL);
    if (!e->ref_key && ynode_is_null(ynode_get(v, "key")))
        wreq(w, v, path, "key", NULL);
}

static void f_cm_key_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_key_ref(w, v, path, obj, SPEC_ENV_CONFIGMAP);
}

static void f_secret_key_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    read_key_ref(w, v, path, obj, SPEC_ENV_SECRET);
}

static void f_field_ref(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"fieldPath", f_field_path},
                                          {"apiVersion", f_api_version}};
    struct spec_env *e = obj;
    if (e->from != SPEC_ENV_VALUE) {
        werr(w, v, path, "only one source may be given in valueFrom");
        return;
    }
    e->from = SPEC_ENV_FIELD;
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), e) && !e->ref_key &&
        ynode_is_null(ynode_get(v, "fieldPath")))
        wreq(w, v, path, "fieldPath", NULL);
}

static void f_value_from(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"configMapKeyRef", f_cm_key_ref},
                                          {"secretKeyRef", f_secret_key_ref},
                                          {"fieldRef", f_field_ref},
                                          {"resourceFieldRef", f_env_resource_ref}};
    struct spec_env *e = obj;
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), e) && v->n == 0)
        werr(w, v, path,
             "one of configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef is required");
}

static void f_env(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_env_name}, {"value", f_env_value}, {"valueFrom", f_value_from}};
    struct spec_container *c = obj;
    if (!want_seq(w, v, path))
        return;
    c->env = tk_xcalloc(v->n, sizeof(*c->env));
    c->n_env = v->n;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_env *e = &c->env[i];
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), e))
            continue;
        if (!e->name && !ynode_get(v->items[i], "name"))
            wreq(w, v->items[i], p, "name", NULL);
        if (e->value && e->from != SPEC_ENV_VALUE && *e->value)
            werr(w, v->items[i], p, "value and valueFrom cannot both be given");
        if (!e->value)
            e->value = tk_xstrdup("");
    }
}

static void f_ef_cm(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env_from *f = obj;
    struct spec_env tmp = {0};
    static const struct field fields[] = {{"name", f_ref_name}, {"optional", f_ref_optional}};
    if (f->name) {
        werr(w, v, path, "only one of configMapRef and secretRef may be given");
        return;
    }
    f->secret = !strcmp(path + strlen(path) - 9, "secretRef");
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &tmp) && !tmp.ref_name &&
        ynode_is_null(ynode_get(v, "name")))
        wreq(w, v, path, "name", NULL);
    f->name = tmp.ref_name;
    f->optional = tmp.optional;
}

static bool is_env_prefix(const char *s)
{
    return !*s || spec_is_env_name(s);
}

static void f_ef_prefix(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_env_from *f = obj;
    want_checked(w, v, path, &f->prefix, is_env_prefix, "a valid environment variable name prefix");
}

static void f_env_from(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"configMapRef", f_ef_cm}, {"secretRef", f_ef_cm}, {"prefix", f_ef_prefix}};
    struct spec_container *c = obj;
    if (!want_seq(w, v, path))
        return;
    c->env_from = tk_xcalloc(v->n, sizeof(*c->env_from));
    c->n_env_from = v->n;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_env_from *f = &c->env_from[i];
        if (walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), f) && !f->name &&
            !ynode_get(v->items[i], "configMapRef") && !ynode_get(v->items[i], "secretRef"))
            werr(w, v->items[i], p, "configMapRef or secretRef is required");
    }
}

static void f_port_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_port *pt = obj;
    want_checked(w, v, path, &pt->name, spec_is_port_name,
                 "a valid port name (at most 15 lowercase letters, digits and '-', with a "
                 "letter)");
}

static void f_port_number(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_port *pt = obj;
    int64_t n;
    if (want_int(w, v, path, 1, 65535, &n))
        pt->container_port = (int32_t)n;
}

static void f_port_protocol(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"TCP", "UDP", "SCTP"};
    struct spec_port *pt = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i)) {
        free(pt->protocol);
        pt->protocol = tk_xstrdup(names[i]);
    }
}

/* hostPort only means something with hostNetwork (see check_host_ports). */
static void f_port_host(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_port *pt = obj;
    int64_t n;
    if (want_int(w, v, path, 1, 65535, &n))
        pt->host_port = (int32_t)n;
}

static void f_ports(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_port_name},     {"containerPort", f_port_number}, {"protocol", f_port_protocol},
        {"hostPort", f_port_host}, {"hostIP", field_refused},
    };
    struct spec_container *c = obj;
    if (!want_seq(w, v, path))
        return;
    c->ports = tk_xcalloc(v->n, sizeof(*c->ports));
    c->n_ports = v->n;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_port *pt = &c->ports[i];
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), pt))
            continue;
        if (!pt->container_port && ynode_is_null(ynode_get(v->items[i], "containerPort")))
            wreq(w, v->items[i], p, "containerPort", NULL);
        if (!pt->protocol)
            pt->protocol = tk_xstrdup("TCP");
    }
}

static void f_mount_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_mount *m = obj;
    want_str(w, v, path, &m->name);
}

/* Why an absolute mountPath cannot be mounted (NULL when it can): ".." anywhere (Kubernetes'
 * rule), or a place the runtime owns: "/", /dev, /sys, and /proc or anything below it (runc
 * refuses mounts there). "//proc/./" is /proc. */
static const char *mount_path_problem(const char *s)
{
    static const struct {
        const char *path;
        bool below;
        const char *why;
    } reserved[] = {
        {"", false, "would hide the container's root file system"},
        {"/proc", true, "is /proc or below it, where nothing may be mounted"},
        {"/dev", false, "would hide the container's /dev"},
        {"/sys", false, "would hide the container's /sys"},
    };
    _cleanup_free_ char *clean = tk_xcalloc(strlen(s) + 2, 1);
    size_t n = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, "/");
        size_t l = strcspn(p, "/");
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return "must not contain '..' components";
        if (l && !(l == 1 && p[0] == '.')) {
            clean[n++] = '/';
            memcpy(clean + n, p, l);
            n += l;
        }
        p += l;
    }
    for (size_t i = 0; i < TK_ARRAY_SIZE(reserved); i++) {
        size_t l = strlen(reserved[i].path);
        if (!strncmp(clean, reserved[i].path, l) &&
            (clean[l] == '\0' || (reserved[i].below && clean[l] == '/')))
            return reserved[i].why;
    }
    return NULL;
}

static void f_mount_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_mount *m = obj;
    if (!want_checked(w, v, path, &m->mount_path, is_abs_path, "an absolute path"))
        return;
    const char *why = mount_path_problem(m->mount_path);
    if (why)
        werr(w, v, path, "'%s' %s", m->mount_path, why);
}

static void f_mount_ro(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_mount *m = obj;
    want_bool(w, v, path, &m->read_only);
}

static void f_mount_sub(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_mount *m = obj;
    want_checked(w, v, path, &m->sub_path, is_sub_path, "a relative path without '..' components");
}

static void f_mount_rro(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"Disabled", "IfPossible", "Enabled"};
    struct spec_mount *m = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        m->recursive_read_only = (enum spec_rro)i;
}

/* What one volumeMounts item needs beyond its fields. */
static void check_mount(struct walk *w, const struct ynode *item, const char *path,
                        const struct spec_mount *m)
{
    if (!m->name && ynode_is_null(ynode_get(item, "name")))
        wreq(w, item, path, "name", NULL);
    if (!m->mount_path && ynode_is_null(ynode_get(item, "mountPath")))
        wreq(w, item, path, "mountPath", NULL);
    if (m->recursive_read_only != SPEC_RRO_DISABLED && !m->read_only) {
        _cleanup_free_ char *p = path_key(path, "recursiveReadOnly");
        werr(w, ynode_get(item, "recursiveReadOnly"), p, "may only be %s when readOnly is true",
             spec_rro_to_string(m->recursive_read_only));
    }
}

struct mount_dups {
    struct walk *w;
    const struct ynode *list;
    const char *path;
};

static void report_mount_dup(void *ctx, size_t i, size_t first)
{
    struct mount_dups *d = ctx;
    _cleanup_free_ char *p = path_idx(d->path, i);
    _cleanup_free_ char *pp = path_key(p, "mountPath");
    _cleanup_free_ char *fp = path_idx(d->path, first);
    werr(d->w, ynode_get(d->list->items[i], "mountPath"), pp, "'%s' is already mounted by %s",
         ynode_get(d->list->items[i], "mountPath")->value, fp);
}

static void f_mounts(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"name", f_mount_name},
                                          {"mountPath", f_mount_path},
                                          {"readOnly", f_mount_ro},
                                          {"subPath", f_mount_sub},
                                          {"recursiveReadOnly", f_mount_rro}};
    struct spec_container *c = obj;
    if (!want_seq(w, v, path))
        return;
    if (v->n > SPEC_MAX_VOLUME_MOUNTS)
        werr(w, v->items[SPEC_MAX_VOLUME_MOUNTS], path, "at most %d volumeMounts are allowed",
             SPEC_MAX_VOLUME_MOUNTS);
    c->mounts = tk_xcalloc(v->n, sizeof(*c->mounts));
    c->n_mounts = v->n;
    _cleanup_free_ const char **paths = tk_xcalloc(v->n, sizeof(*paths));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_mount *m = &c->mounts[i];
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), m))
            continue;
        check_mount(w, v->items[i], p, m);
        paths[i] = m->mount_path;
    }
    struct mount_dups d = {w, v, path};
    find_dups(paths, v->n, report_mount_dup, &d);
}

static void f_sec_user(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container_security *s = obj;
    if (want_int(w, v, path, 0, 2147483647, &s->run_as_user.v))
        s->run_as_user.has = true;
}

static void f_sec_group(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container_security *s = obj;
    if (want_int(w, v, path, 0, 2147483647, &s->run_as_group.v))
        s->run_as_group.has = true;
}

#define BOOL_FIELD(fn, member)                                                                     \
    static void fn(struct walk *w, const struct ynode *v, const char *path, void *obj)             \
    {                                                                                              \
        struct spec_container_security *s = obj;                                                   \
        if (want_bool(w, v, path, &s->member.v))                                                   \
            s->member.has = true;                                                                  \
    }
BOOL_FIELD(f_sec_non_root, run_as_non_root)
BOOL_FIELD(f_sec_ro_root, read_only_root_fs)
BOOL_FIELD(f_sec_escalation, allow_privilege_escalation)
BOOL_FIELD(f_sec_privileged, privileged)

static bool is_capability(const char *s)
{
    return spec_capability_canonical(s) != NULL;
}

static bool is_capability_or_all(const char *s)
{
    return !strcmp(s, "ALL") || is_capability(s);
}

static void f_cap_add(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container_security *s = obj;
    for (size_t i = 0; v->type == YN_SEQ && i < v->n; i++)
        if (v->items[i]->type == YN_SCALAR && !strcmp(v->items[i]->value, "ALL")) {
            _cleanup_free_ char *p = path_idx(path, i);
            werr(w, v->items[i], p,
                 "ALL is only allowed in drop (privileged: true gives every capability)");
            return;
        }
    want_str_list(w, v, path, &s->cap_add, &s->n_cap_add, is_capability,
                  "a known Linux capability (such as NET_ADMIN)");
}

static void f_cap_drop(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container_security *s = obj;
    want_str_list(w, v, path, &s->cap_drop, &s->n_cap_drop, is_capability_or_all,
                  "a known Linux capability (such as NET_RAW) or ALL");
}

static void f_caps(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"add", f_cap_add}, {"drop", f_cap_drop}};
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

LSM_FIELD_FNS(f_sec, struct spec_container_security)

static void f_security(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"runAsUser", f_sec_user},
        {"runAsGroup", f_sec_group},
        {"runAsNonRoot", f_sec_non_root},
        {"readOnlyRootFilesystem", f_sec_ro_root},
        {"allowPrivilegeEscalation", f_sec_escalation},
        {"privileged", f_sec_privileged},
        {"capabilities", f_caps},
        LSM_FIELDS(f_sec),
    };
    struct spec_container *c = obj;
    struct spec_container_security *s = &c->sec;
    _cleanup_free_ char *ape = path_key(path, "allowPrivilegeEscalation");
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), s))
        return;
    if (s->privileged.has && s->privileged.v && s->allow_privilege_escalation.has &&
        !s->allow_privilege_escalation.v)
        werr(w, ynode_get(v, "allowPrivilegeEscalation"), ape,
             "cannot be false when privileged is true");
}

/* Kubernetes' default: Always for ":latest" or no tag, IfNotPresent otherwise. */
static enum spec_pull_policy default_pull_policy(const char *image)
{
    if (strchr(image, '@'))
        return SPEC_PULL_IF_NOT_PRESENT;
    const char *last = strrchr(image, '/');
    const char *colon = strchr(last ? last : image, ':');
    if (!colon || !strcmp(colon + 1, "latest"))
        return SPEC_PULL_ALWAYS;
    return SPEC_PULL_IF_NOT_PRESENT;
}

#define PROBE_FIELD(fn, type)                                                                      \
    static void fn(struct walk *w, const struct ynode *v, const char *path, void *obj)             \
    {                                                                                              \
        struct spec_container *c = obj;                                                            \
        c->probes[type] = spec_probe_walk(w, v, path, type);                                       \
    }
PROBE_FIELD(f_liveness, SPEC_LIVENESS)
PROBE_FIELD(f_readiness, SPEC_READINESS)
PROBE_FIELD(f_startup, SPEC_STARTUP)

/* A named port of a probe or hook at key (under path) is one of the container's ports. */
static void resolve_port(struct walk *w, const struct ynode *n, const char *path,
                         struct spec_container *c, struct spec_probe *p, const char *key)
{
    if (!p || !p->port_name)
        return;
    for (size_t i = 0; i < c->n_ports && !p->port; i++)
        if (c->ports[i].name && !strcmp(c->ports[i].name, p->port_name))
            p->port = c->ports[i].container_port;
    if (!p->port) {
        _cleanup_free_ char *pp = path_key(path, key);
        const struct ynode *at = ynode_get(n, key);
        if (!at) /* lifecycle.postStart / preStop */
            at = ynode_get(n, "lifecycle");
        werr(w, at, pp, "port: the container has no port named '%s'", p->port_name);
    }
}

static void resolve_probe_ports(struct walk *w, const struct ynode *n, const char *path,
                                struct spec_container *c)
{
    static const char *const keys[] = {"livenessProbe", "readinessProbe", "startupProbe"};
    for (int t = 0; t < SPEC_N_PROBES; t++)
        resolve_port(w, n, path, c, c->probes[t], keys[t]);
    resolve_port(w, n, path, c, c->post_start, "lifecycle.postStart");
    resolve_port(w, n, path, c, c->pre_stop, "lifecycle.preStop");
}

static void f_post_start(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    c->post_start = spec_hook_walk(w, v, path);
}

static void f_pre_stop(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    c->pre_stop = spec_hook_walk(w, v, path);
}

static void f_lifecycle(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"postStart", f_post_start}, {"preStop", f_pre_stop}, {"stopSignal", field_refused}};
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

/* restartPolicy of a container: only Always, only on an init container (checked by the
 * caller, which knows which list it reads). */
static void f_ctr_restart(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"Always"};
    int i;
    if (want_enum(w, v, path, names, 1, &i))
        ((struct spec_container *)obj)->sidecar = true;
}

static bool is_message_path(const char *s)
{
    return s[0] == '/' && strlen(s) < 4096 && is_sub_path(s + strspn(s, "/"));
}

static void f_term_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_container *c = obj;
    free(c->termination_message_path);
    c->termination_message_path = NULL;
    want_checked(w, v, path, &c->termination_message_path, is_message_path,
                 "an absolute path without '..'");
}

static void f_term_policy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"File", "FallbackToLogsOnError"};
    int i;
    if (want_enum(w, v, path, names, 2, &i))
        ((struct spec_container *)obj)->termination_fallback_logs = i == 1;
}

static void f_stdin(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_container *)obj)->stdin_open);
}

static void f_stdin_once(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_container *)obj)->stdin_once);
}

static void f_tty(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_container *)obj)->tty);
}

static void read_container(struct walk *w, const struct ynode *n, const char *path,
                           struct spec_container *c)
{
    static const struct field fields[] = {
        {"name", f_name},
        {"image", f_image},
        {"imagePullPolicy", f_pull},
        {"command", f_command},
        {"args", f_args},
        {"env", f_env},
        {"envFrom", f_env_from},
        {"workingDir", f_working_dir},
        {"ports", f_ports},
        {"volumeMounts", f_mounts},
        {"securityContext", f_security},
        {"resources", walk_resources},
        {"resizePolicy", walk_resize_policy},
        {"terminationMessagePath", f_term_path},
        {"terminationMessagePolicy", f_term_policy},
        {"livenessProbe", f_liveness},
        {"readinessProbe", f_readiness},
        {"startupProbe", f_startup},
        {"stdin", f_stdin},
        {"stdinOnce", f_stdin_once},
        {"tty", f_tty},
        {"lifecycle", f_lifecycle},
        {"restartPolicy", f_ctr_restart},
    };
    c->pull_policy = (enum spec_pull_policy) - 1;
    c->termination_message_path = tk_xstrdup(SPEC_TERMINATION_MESSAGE_PATH);
    if (!walk_map(w, n, path, fields, TK_ARRAY_SIZE(fields), c))
        return;
    if (!c->name && ynode_is_null(ynode_get(n, "name")))
        wreq(w, n, path, "name", NULL);
    if (!c->image && ynode_is_null(ynode_get(n, "image")))
        wreq(w, n, path, "image", NULL);
    if ((int)c->pull_policy == -1)
        c->pull_policy = c->image ? default_pull_policy(c->image) : SPEC_PULL_ALWAYS;
    resolve_probe_ports(w, n, path, c);
}

/* What only some containers may have: restartPolicy an init container; lifecycle and probes
 * an app container or a sidecar (Kubernetes' rules). */
static void check_kind_fields(struct walk *w, const struct ynode *n, const char *path,
                              const struct spec_container *c, bool init)
{
    static const char *const keys[] = {"lifecycle", "livenessProbe", "readinessProbe",
                                       "startupProbe"};
    if (!init && ynode_get(n, "restartPolicy")) {
        _cleanup_free_ char *pp = path_key(path, "restartPolicy");
        werr(w, ynode_get(n, "restartPolicy"), pp, "may not be set for non-init containers");
    }
    for (size_t k = 0; init && !c->sidecar && k < TK_ARRAY_SIZE(keys); k++)
        if (ynode_get(n, keys[k])) {
            _cleanup_free_ char *pp = path_key(path, keys[k]);
            werr(w, ynode_get(n, keys[k]), pp,
                 "may not be set for init containers without restartPolicy: Always");
        }
}

static void read_list(struct walk *w, const struct ynode *v, const char *path,
                      struct spec_container **out, size_t *n_out, bool init)
{
    *out = tk_xcalloc(v->n ? v->n : 1, sizeof(**out));
    *n_out = v->n;
    _cleanup_free_ const char **names = tk_xcalloc(v->n + 1, sizeof(*names));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        read_container(w, v->items[i], p, &(*out)[i]);
        if (v->items[i]->type == YN_MAP)
            check_kind_fields(w, v->items[i], p, &(*out)[i], init);
        names[i] = (*out)[i].name;
    }
    check_name_dups(w, v, path, "container", names);
}

void walk_containers(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    if (!want_seq(w, v, path))
        return;
    if (v->n == 0) {
        werr(w, v, path, "at least one container is required");
        return;
    }
    read_list(w, v, path, &pod->containers, &pod->n_containers, false);
}

void walk_init_containers(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    if (want_seq(w, v, path) && v->n)
        read_list(w, v, path, &pod->init_containers, &pod->n_init_containers, true);
}

/* An init container's name is not an app container's (each list checks its own). */
static void check_init_names(struct walk *w, const struct ynode *spec, const struct spec_pod *pod)
{
    const struct ynode *list = ynode_get(spec, "initContainers");
    for (size_t i = 0; list && list->type == YN_SEQ && i < pod->n_init_containers; i++) {
        const char *name = pod->init_containers[i].name;
        for (size_t j = 0; name && j < pod->n_containers; j++) {
            if (!pod->containers[j].name || strcmp(name, pod->containers[j].name))
                continue;
            _cleanup_free_ char *p = path_idx("spec.initContainers", i);
            _cleanup_free_ char *pp = path_key(p, "name");
            werr(w, ynode_get(list->items[i], "name"), pp,
                 "container name '%s' is already used by spec.containers[%zu]", name, j);
            break;
        }
    }
}

static int volume_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_mounts(struct walk *w, const struct ynode *cn, const char *cpath,
                         const struct spec_container *c, const char **vols, size_t n_vols)
{
    const struct ynode *list = ynode_get(cn, "volumeMounts");
    for (size_t i = 0; i < c->n_mounts && list && list->type == YN_SEQ; i++) {
        const char *name = c->mounts[i].name;
        if (!name || bsearch(&name, vols, n_vols, sizeof(*vols), volume_cmp))
            continue;
        _cleanup_free_ char *p = path_idx(cpath, i);
        _cleanup_free_ char *pp = path_key(p, "name");
        werr(w, ynode_get(list->items[i], "name"), pp,
             "volume '%s' is not declared in spec.volumes", name);
    }
}

/* hostPort: with hostNetwork the port is the host's already (it must equal containerPort,
 * as in Kubernetes); without it there is no port to forward from. */
static void check_host_ports(struct walk *w, const struct ynode *cn, const char *cpath,
                             const struct spec_container *c, bool host_network)
{
    const struct ynode *list = ynode_get(cn, "ports");
    for (size_t i = 0; i < c->n_ports && list && list->type == YN_SEQ; i++) {
        const struct spec_port *pt = &c->ports[i];
        if (!pt->host_port)
            continue;
        _cleanup_free_ char *p = path_idx(cpath, i);
        _cleanup_free_ char *pp = path_key(p, "hostPort");
        const struct ynode *n = ynode_get(list->items[i], "hostPort");
        if (!host_network)
            werr(w, n, pp,
                 "needs hostNetwork: true, or give the pod an address with spec.network "
                 "(tank/v1)");
        else if (pt->host_port != pt->container_port)
            werr(w, n, pp, "must equal containerPort (%d) with hostNetwork: true",
                 (int)pt->container_port);
    }
}

static void check_one(struct walk *w, const struct ynode *cn, const char *p,
                      const struct spec_container *c, const struct spec_pod *pod, const char **vols,
                      size_t n_vols)
{
    _cleanup_free_ char *mp = path_key(p, "volumeMounts");
    check_mounts(w, cn, mp, c, vols, n_vols);
    _cleanup_free_ char *pp = path_key(p, "ports");
    check_host_ports(w, cn, pp, c, pod->host_network);
    const struct spec_opt_i64 *uid =
        c->sec.run_as_user.has ? &c->sec.run_as_user : &pod->sec.run_as_user;
    if (c->sec.run_as_non_root.has && c->sec.run_as_non_root.v && uid->has && uid->v == 0) {
        const struct ynode *sec = ynode_get(cn, "securityContext");
        _cleanup_free_ char *sp = path_key(p, "securityContext.runAsNonRoot");
        werr(w, ynode_get(sec, "runAsNonRoot"), sp,
             "the container would run as user 0 (root), which runAsNonRoot forbids");
    }
    /* (Kubernetes: a preStop sleep must end within the grace period) */
    if (c->pre_stop && c->pre_stop->kind == SPEC_PROBE_SLEEP &&
        c->pre_stop->sleep_s > pod->termination_grace_seconds) {
        _cleanup_free_ char *sp = path_key(p, "lifecycle.preStop.sleep.seconds");
        const struct ynode *ps = ynode_get(ynode_get(cn, "lifecycle"), "preStop");
        werr(w, ynode_get(ynode_get(ps, "sleep"), "seconds"), sp,
             "must be less than terminationGracePeriodSeconds (%lld)",
             (long long)pod->termination_grace_seconds);
    }
}

void check_container_refs(struct walk *w, const struct ynode *spec, struct spec_pod *pod)
{
    static const char *const lists[] = {"containers", "initContainers"};
    _cleanup_free_ const char **vols = tk_xcalloc(pod->n_volumes + 1, sizeof(*vols));
    size_t n_vols = 0;
    for (size_t i = 0; i < pod->n_volumes; i++)
        if (pod->volumes[i].name)
            vols[n_vols++] = pod->volumes[i].name;
    tk_sort(vols, n_vols, sizeof(*vols), volume_cmp);
    for (int l = 0; l < 2; l++) {
        const struct ynode *list = ynode_get(spec, lists[l]);
        if (!list || list->type != YN_SEQ)
            continue;
        const struct spec_container *cs = l ? pod->init_containers : pod->containers;
        size_t n = l ? pod->n_init_containers : pod->n_containers;
        for (size_t i = 0; i < n && i < list->n; i++) {
            _cleanup_free_ char *p = path_idx(l ? "spec.initContainers" : "spec.containers", i);
            check_one(w, list->items[i], p, &cs[i], pod, vols, n_vols);
        }
    }
    check_init_names(w, spec, pod);
}
