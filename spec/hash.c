/* The canonical spec hash: sha256 over a length-prefixed serialisation of the parsed pod
 * with defaults applied, so it depends on what the pod runs, not on how it is written.
 * Covered: the name, the namespace and everything under spec. Not covered: apiVersion, labels,
 * annotations, the file and line (changing those does not replace a running pod). */
#include "spec/spec-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/cleanup.h"

static void put_str(struct tk_buf *b, const char *s)
{
    if (!s) {
        tk_buf_addc(b, 'n');
        return;
    }
    tk_buf_addf(b, "s%zu:", strlen(s));
    tk_buf_adds(b, s);
}

static void put_int(struct tk_buf *b, int64_t v)
{
    tk_buf_addf(b, "i%lld;", (long long)v);
}

static void put_opt_int(struct tk_buf *b, const struct spec_opt_i64 *o)
{
    if (o->has)
        put_int(b, o->v);
    else
        tk_buf_addc(b, 'n');
}

/* Only when set: the hash of a pod without resources stays what it was. */
static void put_resources(struct tk_buf *b, const struct spec_resources *r, bool with)
{
    if (with && (r->cpu_request || r->cpu_limit || r->mem_request || r->mem_limit)) {
        tk_buf_adds(b, "res");
        put_int(b, r->cpu_request), put_int(b, r->cpu_limit);
        put_int(b, r->mem_request), put_int(b, r->mem_limit);
    }
}

static void put_opt_bool(struct tk_buf *b, const struct spec_opt_bool *o)
{
    tk_buf_addc(b, o->has ? (o->v ? 'T' : 'F') : 'n');
}

static void put_list(struct tk_buf *b, char *const *v, size_t n)
{
    put_int(b, (int64_t)n);
    for (size_t i = 0; i < n; i++)
        put_str(b, v[i]);
}

/* Capabilities as names without "CAP_", upper case. */
static void put_caps(struct tk_buf *b, char *const *v, size_t n)
{
    put_int(b, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        const char *c = spec_capability_canonical(v[i]);
        put_str(b, c ? c : v[i]);
    }
}

/* Addresses in their canonical text form (inet_ntop), prefix kept. */
static void put_addr(struct tk_buf *b, const char *s, bool cidr)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN];
    int family, prefix = -1;
    if (cidr) {
        if (tk_parse_cidr(s, &family, a, &prefix) < 0) {
            put_str(b, s);
            return;
        }
    } else if (inet_pton(AF_INET, s, a) == 1) {
        family = AF_INET;
    } else if (inet_pton(AF_INET6, s, a) == 1) {
        family = AF_INET6;
    } else {
        put_str(b, s);
        return;
    }
    inet_ntop(family, a, text, sizeof(text));
    put_str(b, text);
    put_int(b, prefix);
}

/* Only when set ('L' and its fields), so that the hashes of pods without them stay. */
static void put_lsm(struct tk_buf *b, const struct spec_lsm *l)
{
    if (!l->seccomp.type && !l->apparmor.type && !l->selinux.set)
        return;
    tk_buf_addc(b, 'L');
    put_int(b, l->seccomp.type);
    put_str(b, l->seccomp.localhost);
    put_int(b, l->apparmor.type);
    put_str(b, l->apparmor.localhost);
    put_int(b, l->selinux.set);
    put_str(b, l->selinux.user);
    put_str(b, l->selinux.role);
    put_str(b, l->selinux.type);
    put_str(b, l->selinux.level);
}

/* Hooks, sidecar and termination message: only when not the defaults (the hashes of
 * containers without them stay). */
static void put_lifecycle(struct tk_buf *b, const struct spec_container *c)
{
    const struct spec_probe *hooks[] = {c->post_start, c->pre_stop};
    for (int i = 0; i < 2; i++) {
        if (!hooks[i])
            continue;
        _cleanup_free_ char *d = spec_probe_describe(hooks[i]);
        tk_buf_adds(b, i ? "preStop" : "postStart");
        put_str(b, d);
        put_list(b, hooks[i]->command, hooks[i]->n_command);
    }
    if (c->sidecar)
        tk_buf_adds(b, "sidecar");
    if (c->termination_message_path &&
        strcmp(c->termination_message_path, SPEC_TERMINATION_MESSAGE_PATH)) {
        tk_buf_adds(b, "tmp");
        put_str(b, c->termination_message_path);
    }
    if (c->termination_fallback_logs)
        tk_buf_adds(b, "tmpFallback");
}

static void put_probes(struct tk_buf *b, const struct spec_container *c)
{
    for (int t = 0; t < SPEC_N_PROBES; t++) { /* (a container without probes hashes as before) */
        if (!c->probes[t])
            continue;
        _cleanup_free_ char *d = spec_probe_describe(c->probes[t]);
        put_int(b, t);
        put_str(b, d);
        put_list(b, c->probes[t]->command, c->probes[t]->n_command);
    }
}

static void put_env(struct tk_buf *b, const struct spec_container *c)
{
    put_int(b, (int64_t)c->n_env);
    for (size_t i = 0; i < c->n_env; i++) {
        put_str(b, c->env[i].name);
        put_str(b, c->env[i].value ? c->env[i].value : "");
        if (c->env[i].from != SPEC_ENV_VALUE) { /* (plain values hash as before) */
            put_int(b, c->env[i].from);
            put_str(b, c->env[i].ref_name);
            put_str(b, c->env[i].ref_key);
            put_int(b, c->env[i].optional);
            if (c->env[i].from == SPEC_ENV_RESOURCE)
                put_int(b, c->env[i].divisor);
        }
    }
    if (c->n_env_from || c->config_error) {
        tk_buf_adds(b, "ef");
        put_int(b, (int64_t)c->n_env_from);
        for (size_t i = 0; i < c->n_env_from; i++) {
            put_int(b, c->env_from[i].secret);
            put_str(b, c->env_from[i].name);
            put_str(b, c->env_from[i].prefix);
            put_int(b, c->env_from[i].optional);
        }
        put_str(b, c->config_error);
    }
}

static void put_ports_mounts(struct tk_buf *b, const struct spec_container *c)
{
    put_int(b, (int64_t)c->n_ports);
    for (size_t i = 0; i < c->n_ports; i++) {
        put_str(b, c->ports[i].name);
        put_int(b, c->ports[i].container_port);
        put_str(b, c->ports[i].protocol ? c->ports[i].protocol : "TCP");
    }
    put_int(b, (int64_t)c->n_mounts);
    for (size_t i = 0; i < c->n_mounts; i++) {
        put_str(b, c->mounts[i].name);
        put_str(b, c->mounts[i].mount_path);
        put_str(b, c->mounts[i].sub_path);
        /* (0 or 1 as before recursiveReadOnly existed: their hashes stay) */
        put_int(b, c->mounts[i].read_only | (int64_t)c->mounts[i].recursive_read_only << 1);
    }
}

/* Everything of a container, in an order that never changes (a new field is added so that
 * containers without it hash as before: a new Tank must not restart every pod). */
static void put_container(struct tk_buf *b, const struct spec_container *c, bool res)
{
    put_probes(b, c);
    if (c->stdin_open || c->stdin_once || c->tty) /* (hashes without them stay) */
        tk_buf_addf(b, "stdio%d%d%d;", c->stdin_open, c->stdin_once, c->tty);
    put_str(b, c->name);
    put_str(b, c->image);
    put_int(b, c->pull_policy);
    put_list(b, c->command, c->n_command);
    put_list(b, c->args, c->n_args);
    put_env(b, c);
    put_str(b, c->working_dir);
    put_ports_mounts(b, c);
    put_opt_int(b, &c->sec.run_as_user);
    put_opt_int(b, &c->sec.run_as_group);
    put_opt_bool(b, &c->sec.run_as_non_root);
    put_opt_bool(b, &c->sec.read_only_root_fs);
    put_opt_bool(b, &c->sec.allow_privilege_escalation);
    put_opt_bool(b, &c->sec.privileged);
    put_caps(b, c->sec.cap_add, c->sec.n_cap_add);
    put_caps(b, c->sec.cap_drop, c->sec.n_cap_drop);
    put_resources(b, &c->res, res);
    put_lifecycle(b, c);
    if (c->resize_restart) { /* (only when set: hashes without it stay) */
        tk_buf_adds(b, "rsz");
        put_int(b, c->resize_restart);
    }
    put_lsm(b, &c->sec.lsm);
}

static void put_volume(struct tk_buf *b, const struct spec_volume *v)
{
    put_str(b, v->name);
    put_int(b, v->kind);
    if (v->kind == SPEC_VOLUME_HOST_PATH) {
        put_str(b, v->host_path);
        put_int(b, v->host_path_type);
    } else if (v->kind == SPEC_VOLUME_PVC) {
        put_str(b, v->ref_name);
        put_int(b, v->pvc_read_only);
    } else if (SPEC_VOLUME_IS_GENERATED(v->kind)) {
        /* what is shown, not its content: the files are updated in place */
        put_str(b, v->ref_name);
        put_int(b, (int64_t)v->n_items);
        for (size_t i = 0; i < v->n_items; i++) {
            put_str(b, v->items[i].key);
            put_str(b, v->items[i].path);
            put_int(b, v->items[i].mode);
            if (v->items[i].resource) {
                put_str(b, v->items[i].container);
                put_int(b, v->items[i].divisor);
            }
        }
        put_int(b, v->default_mode);
        put_int(b, v->optional);
        put_int(b, (int64_t)v->n_sources);
        for (size_t i = 0; i < v->n_sources; i++)
            put_volume(b, &v->sources[i]);
    } else {
        put_int(b, v->medium_memory);
        put_int(b, (int64_t)v->size_limit);
    }
}

static void put_interface(struct tk_buf *b, const struct spec_interface *f)
{
    put_str(b, f->name);
    put_str(b, f->parent);
    put_int(b, f->mode);
    put_str(b, f->mac);
    put_int(b, (int64_t)f->n_addresses);
    for (size_t i = 0; i < f->n_addresses; i++)
        put_addr(b, f->addresses[i], true);
    put_int(b, (int64_t)f->n_gateways);
    for (size_t i = 0; i < f->n_gateways; i++)
        put_addr(b, f->gateways[i], false);
}

static void serialise(struct tk_buf *b, const struct spec_pod *p, bool res)
{
    tk_buf_adds(b, "tank-pod-1;");
    put_str(b, p->name);
    /* (only when not "default": the hashes of pods without a namespace stay) */
    if (p->namespace && strcmp(p->namespace, "default")) {
        tk_buf_adds(b, "ns");
        put_str(b, p->namespace);
    }
    put_int(b, (int64_t)p->n_containers);
    for (size_t i = 0; i < p->n_containers; i++)
        put_container(b, &p->containers[i], res);
    if (p->n_init_containers) { /* (only then: the hashes of pods without any stay) */
        tk_buf_adds(b, "init");
        put_int(b, (int64_t)p->n_init_containers);
        for (size_t i = 0; i < p->n_init_containers; i++)
            put_container(b, &p->init_containers[i], res);
    }
    put_int(b, (int64_t)p->n_volumes);
    for (size_t i = 0; i < p->n_volumes; i++)
        put_volume(b, &p->volumes[i]);
    put_int(b, p->restart_policy);
    put_int(b, p->termination_grace_seconds);
    put_str(b, p->hostname ? p->hostname : p->name);
    put_int(b, p->host_network);
    put_int(b, p->dns.set);
    put_int(b, (int64_t)p->dns.n_nameservers);
    for (size_t i = 0; i < p->dns.n_nameservers; i++)
        put_addr(b, p->dns.nameservers[i], false);
    put_list(b, p->dns.searches, p->dns.n_searches);
    put_int(b, (int64_t)p->dns.n_options);
    for (size_t i = 0; i < p->dns.n_options; i++) {
        put_str(b, p->dns.options[i].key);
        put_str(b, p->dns.options[i].value);
    }
    put_resources(b, &p->res, res);
    put_opt_int(b, &p->sec.run_as_user);
    put_opt_int(b, &p->sec.run_as_group);
    put_int(b, (int64_t)p->sec.n_supplemental_groups);
    for (size_t i = 0; i < p->sec.n_supplemental_groups; i++)
        put_int(b, p->sec.supplemental_groups[i]);
    if (p->sec.fs_group.has) { /* (hashes without it stay) */
        tk_buf_adds(b, "fsg");
        put_int(b, p->sec.fs_group.v);
    }
    if (p->sec.fs_group_on_root_mismatch) /* (the default Always: hashes without it stay) */
        tk_buf_adds(b, "fsgOnRootMismatch;");
    put_lsm(b, &p->sec.lsm);
    put_int(b, (int64_t)p->network.n_interfaces);
    for (size_t i = 0; i < p->network.n_interfaces; i++)
        put_interface(b, &p->network.interfaces[i]);
    if (p->share_pid || p->host_pid || p->host_ipc) /* (hashes without them stay) */
        tk_buf_addf(b, "pidipc%d%d%d;", p->share_pid, p->host_pid, p->host_ipc);
    if (p->host_users.has) /* only then: the hash of pods without it stays as it was */
        put_str(b, p->host_users.v ? "hostUsers=true" : "hostUsers=false");
}

int spec_pod_rehash(struct spec_pod *pod)
{
    return spec_pod_hash(pod);
}

static int digest(const struct spec_pod *pod, bool res, char *out)
{
    struct tk_buf b = TK_BUF_INIT;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    serialise(&b, pod, res);
    int ok = EVP_Digest(b.s, b.len, md, &len, EVP_sha256(), NULL);
    tk_buf_free(&b);
    if (!ok || len != 32)
        return -EIO;
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int spec_pod_hash(struct spec_pod *pod)
{
    int r = digest(pod, true, pod->hash);
    return r < 0 ? r : digest(pod, false, pod->hash_nores);
}
