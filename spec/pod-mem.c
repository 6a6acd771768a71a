/* Freeing and deep-copying pods. */
#include "spec/spec.h"
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void free_kv(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void free_lsm(struct spec_lsm *l)
{
    free(l->seccomp.localhost);
    free(l->apparmor.localhost);
    free(l->selinux.user);
    free(l->selinux.role);
    free(l->selinux.type);
    free(l->selinux.level);
}

static void free_container(struct spec_container *c)
{
    for (int t = 0; t < SPEC_N_PROBES; t++)
        spec_probe_free(c->probes[t]);
    spec_probe_free(c->post_start);
    spec_probe_free(c->pre_stop);
    free(c->termination_message_path);
    free(c->name);
    free(c->image);
    free_strv(c->command, c->n_command);
    free_strv(c->args, c->n_args);
    for (size_t i = 0; c->env && i < c->n_env; i++) {
        free(c->env[i].name);
        free(c->env[i].value);
        free(c->env[i].ref_name);
        free(c->env[i].ref_key);
    }
    free(c->env);
    for (size_t i = 0; c->env_from && i < c->n_env_from; i++) {
        free(c->env_from[i].name);
        free(c->env_from[i].prefix);
    }
    free(c->env_from);
    free(c->config_error);
    free(c->working_dir);
    for (size_t i = 0; c->ports && i < c->n_ports; i++) {
        free(c->ports[i].name);
        free(c->ports[i].protocol);
    }
    free(c->ports);
    for (size_t i = 0; c->mounts && i < c->n_mounts; i++) {
        free(c->mounts[i].name);
        free(c->mounts[i].mount_path);
        free(c->mounts[i].sub_path);
    }
    free(c->mounts);
    free_strv(c->sec.cap_add, c->sec.n_cap_add);
    free_strv(c->sec.cap_drop, c->sec.n_cap_drop);
    free_lsm(&c->sec.lsm);
}

static void free_cfg_volume(struct spec_volume *v)
{
    for (size_t i = 0; v->sources && i < v->n_sources; i++)
        free_cfg_volume(&v->sources[i]);
    free(v->sources);
    free(v->ref_name);
    for (size_t i = 0; v->items && i < v->n_items; i++) {
        free(v->items[i].key);
        free(v->items[i].path);
        free(v->items[i].container);
    }
    free(v->items);
    for (size_t i = 0; v->files && i < v->n_files; i++) {
        free(v->files[i].path);
        if (v->files[i].data)
            explicit_bzero(v->files[i].data, v->files[i].len);
        free(v->files[i].data);
    }
    free(v->files);
}

void spec_pod_free(struct spec_pod *pod)
{
    if (!pod)
        return;
    free(pod->api_version);
    free(pod->name);
    free(pod->owner_kind);
    free(pod->owner_name);
    free_kv(pod->labels, pod->n_labels);
    free_kv(pod->annotations, pod->n_annotations);
    for (size_t i = 0; pod->containers && i < pod->n_containers; i++)
        free_container(&pod->containers[i]);
    free(pod->containers);
    for (size_t i = 0; pod->init_containers && i < pod->n_init_containers; i++)
        free_container(&pod->init_containers[i]);
    free(pod->init_containers);
    for (size_t i = 0; pod->volumes && i < pod->n_volumes; i++) {
        free(pod->volumes[i].name);
        free(pod->volumes[i].host_path);
        free_cfg_volume(&pod->volumes[i]);
    }
    free(pod->volumes);
    free(pod->hostname);
    free(pod->namespace);
    free_strv(pod->pull_secrets, pod->n_pull_secrets);
    free_strv(pod->pull_auth, pod->n_pull_auth);
    free(pod->pull_secrets_skipped);
    spec_node_free(&pod->node);
    free_strv(pod->dns.nameservers, pod->dns.n_nameservers);
    free_strv(pod->dns.searches, pod->dns.n_searches);
    free_kv(pod->dns.options, pod->dns.n_options);
    free(pod->sec.supplemental_groups);
    free_lsm(&pod->sec.lsm);
    for (size_t i = 0; pod->network.interfaces && i < pod->network.n_interfaces; i++) {
        struct spec_interface *f = &pod->network.interfaces[i];
        free(f->name);
        free(f->parent);
        free(f->mac);
        free_strv(f->addresses, f->n_addresses);
        free_strv(f->gateways, f->n_gateways);
    }
    free(pod->network.interfaces);
    free(pod->file);
    free(pod->source);
    free(pod);
}

/* Copying: every helper sets *ok = false on allocation failure and keeps going; the
 * half-built copy is then freed as a whole. */

static char *dstr(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static void *dmem(const void *src, size_t n, size_t size, bool *ok)
{
    if (!src)
        return NULL;
    void *d = calloc(n ? n : 1, size);
    if (!d) {
        *ok = false;
        return NULL;
    }
    if (n)
        memcpy(d, src, n * size);
    return d;
}

static char **dstrv(char *const *v, size_t n, bool *ok)
{
    char **d = dmem(v, n, sizeof(*d), ok);
    for (size_t i = 0; d && i < n; i++)
        d[i] = dstr(v[i], ok);
    return d;
}

static struct spec_kv *dkv(const struct spec_kv *v, size_t n, bool *ok)
{
    struct spec_kv *d = dmem(v, n, sizeof(*d), ok);
    for (size_t i = 0; d && i < n; i++) {
        d[i].key = dstr(v[i].key, ok);
        d[i].value = dstr(v[i].value, ok);
    }
    return d;
}

static void dup_lsm(struct spec_lsm *d, const struct spec_lsm *s, bool *ok)
{
    d->seccomp.localhost = dstr(s->seccomp.localhost, ok);
    d->apparmor.localhost = dstr(s->apparmor.localhost, ok);
    d->selinux.user = dstr(s->selinux.user, ok);
    d->selinux.role = dstr(s->selinux.role, ok);
    d->selinux.type = dstr(s->selinux.type, ok);
    d->selinux.level = dstr(s->selinux.level, ok);
}

static void dup_container(struct spec_container *d, const struct spec_container *s, bool *ok)
{
    d->name = dstr(s->name, ok);
    d->image = dstr(s->image, ok);
    d->command = dstrv(s->command, s->n_command, ok);
    d->args = dstrv(s->args, s->n_args, ok);
    d->env = dmem(s->env, s->n_env, sizeof(*d->env), ok);
    for (size_t i = 0; d->env && i < s->n_env; i++) {
        d->env[i].name = dstr(s->env[i].name, ok);
        d->env[i].value = dstr(s->env[i].value, ok);
        d->env[i].ref_name = dstr(s->env[i].ref_name, ok);
        d->env[i].ref_key = dstr(s->env[i].ref_key, ok);
    }
    d->env_from = dmem(s->env_from, s->n_env_from, sizeof(*d->env_from), ok);
    for (size_t i = 0; d->env_from && i < s->n_env_from; i++) {
        d->env_from[i].name = dstr(s->env_from[i].name, ok);
        d->env_from[i].prefix = dstr(s->env_from[i].prefix, ok);
    }
    d->config_error = dstr(s->config_error, ok);
    d->working_dir = dstr(s->working_dir, ok);
    d->ports = dmem(s->ports, s->n_ports, sizeof(*d->ports), ok);
    for (size_t i = 0; d->ports && i < s->n_ports; i++) {
        d->ports[i].name = dstr(s->ports[i].name, ok);
        d->ports[i].protocol = dstr(s->ports[i].protocol, ok);
    }
    d->mounts = dmem(s->mounts, s->n_mounts, sizeof(*d->mounts), ok);
    for (size_t i = 0; d->mounts && i < s->n_mounts; i++) {
        d->mounts[i].name = dstr(s->mounts[i].name, ok);
        d->mounts[i].mount_path = dstr(s->mounts[i].mount_path, ok);
        d->mounts[i].sub_path = dstr(s->mounts[i].sub_path, ok);
    }
    d->sec.cap_add = dstrv(s->sec.cap_add, s->sec.n_cap_add, ok);
    d->sec.cap_drop = dstrv(s->sec.cap_drop, s->sec.n_cap_drop, ok);
    dup_lsm(&d->sec.lsm, &s->sec.lsm, ok);
    for (int t = 0; t < SPEC_N_PROBES; t++)
        if (s->probes[t] && !(d->probes[t] = spec_probe_dup(s->probes[t])))
            *ok = false;
    if (s->post_start && !(d->post_start = spec_probe_dup(s->post_start)))
        *ok = false;
    if (s->pre_stop && !(d->pre_stop = spec_probe_dup(s->pre_stop)))
        *ok = false;
    d->termination_message_path = dstr(s->termination_message_path, ok);
}

static void dup_network(struct spec_netns *d, const struct spec_netns *s, bool *ok)
{
    d->interfaces = dmem(s->interfaces, s->n_interfaces, sizeof(*d->interfaces), ok);
    for (size_t i = 0; d->interfaces && i < s->n_interfaces; i++) {
        struct spec_interface *f = &d->interfaces[i];
        const struct spec_interface *g = &s->interfaces[i];
        f->name = dstr(g->name, ok);
        f->parent = dstr(g->parent, ok);
        f->mac = dstr(g->mac, ok);
        f->addresses = dstrv(g->addresses, g->n_addresses, ok);
        f->gateways = dstrv(g->gateways, g->n_gateways, ok);
    }
}

static void dup_cfg_volume(struct spec_volume *d, const struct spec_volume *s, bool *ok)
{
    d->sources = dmem(s->sources, s->n_sources, sizeof(*d->sources), ok);
    for (size_t i = 0; d->sources && i < s->n_sources; i++)
        dup_cfg_volume(&d->sources[i], &s->sources[i], ok);
    d->ref_name = dstr(s->ref_name, ok);
    d->items = dmem(s->items, s->n_items, sizeof(*d->items), ok);
    for (size_t i = 0; d->items && i < s->n_items; i++) {
        d->items[i].key = dstr(s->items[i].key, ok);
        d->items[i].path = dstr(s->items[i].path, ok);
        d->items[i].container = dstr(s->items[i].container, ok);
    }
    d->files = dmem(s->files, s->n_files, sizeof(*d->files), ok);
    for (size_t i = 0; d->files && i < s->n_files; i++) {
        d->files[i].path = dstr(s->files[i].path, ok);
        d->files[i].data = dmem(s->files[i].data, s->files[i].len + 1, 1, ok);
    }
}

struct spec_pod *spec_pod_dup(const struct spec_pod *s)
{
    bool ok = true;
    struct spec_pod *d = dmem(s, 1, sizeof(*s), &ok);
    if (!d)
        return NULL;
    d->api_version = dstr(s->api_version, &ok);
    d->name = dstr(s->name, &ok);
    d->owner_kind = dstr(s->owner_kind, &ok);
    d->owner_name = dstr(s->owner_name, &ok);
    d->labels = dkv(s->labels, s->n_labels, &ok);
    d->annotations = dkv(s->annotations, s->n_annotations, &ok);
    d->containers = dmem(s->containers, s->n_containers, sizeof(*d->containers), &ok);
    for (size_t i = 0; d->containers && i < s->n_containers; i++)
        dup_container(&d->containers[i], &s->containers[i], &ok);
    d->init_containers =
        dmem(s->init_containers, s->n_init_containers, sizeof(*d->init_containers), &ok);
    for (size_t i = 0; d->init_containers && i < s->n_init_containers; i++)
        dup_container(&d->init_containers[i], &s->init_containers[i], &ok);
    d->volumes = dmem(s->volumes, s->n_volumes, sizeof(*d->volumes), &ok);
    for (size_t i = 0; d->volumes && i < s->n_volumes; i++) {
        d->volumes[i].name = dstr(s->volumes[i].name, &ok);
        d->volumes[i].host_path = dstr(s->volumes[i].host_path, &ok);
        dup_cfg_volume(&d->volumes[i], &s->volumes[i], &ok);
    }
    d->hostname = dstr(s->hostname, &ok);
    d->namespace = dstr(s->namespace, &ok);
    d->pull_secrets = dstrv(s->pull_secrets, s->n_pull_secrets, &ok);
    d->pull_auth = dstrv(s->pull_auth, s->n_pull_auth, &ok);
    if (s->pull_secrets_skipped && !(d->pull_secrets_skipped = strdup(s->pull_secrets_skipped)))
        ok = false;
    ok &= spec_node_dup(&d->node, &s->node);
    d->dns.nameservers = dstrv(s->dns.nameservers, s->dns.n_nameservers, &ok);
    d->dns.searches = dstrv(s->dns.searches, s->dns.n_searches, &ok);
    d->dns.options = dkv(s->dns.options, s->dns.n_options, &ok);
    d->sec.supplemental_groups = dmem(s->sec.supplemental_groups, s->sec.n_supplemental_groups,
                                      sizeof(*d->sec.supplemental_groups), &ok);
    dup_lsm(&d->sec.lsm, &s->sec.lsm, &ok);
    dup_network(&d->network, &s->network, &ok);
    d->file = dstr(s->file, &ok);
    d->source = s->source ? dstr(s->source, &ok) : NULL;
    if (!ok) {
        spec_pod_free(d);
        return NULL;
    }
    return d;
}

size_t spec_pod_n_all(const struct spec_pod *pod)
{
    return pod->n_containers + pod->n_init_containers;
}

struct spec_container *spec_pod_ctr(const struct spec_pod *pod, size_t idx)
{
    if (idx < pod->n_containers)
        return &pod->containers[idx];
    idx -= pod->n_containers;
    return idx < pod->n_init_containers ? &pod->init_containers[idx] : NULL;
}
