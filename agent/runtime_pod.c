/* The runtime seam's real implementation: pod sandboxes (their interfaces, volumes, DNS
 * and configMap/secret volumes), set up, taken down and listed. See runtime.h. */
#include "agent/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/runtime-int.h"
#include "agent/volumes.h"
#include "base/buf.h"
#include "base/child.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/cfgvol.h"
#include "sandbox/container.h"
#include "sandbox/podsandbox.h"
#include "base/alloc.h"

/* An IPv4 address is probed on the uplink (RFC 5227 ARP probe) before a pod takes it, so an
 * address already used by another host or pod is a clear error instead of a silent clash. */
#define ADDRESS_PROBE_MS 200

/* A pod's removal that takes longer is killed, and tried again a second later. */
#define POD_DOWN_TIMEOUT_MS 120000

/* ---- pods ---- */

static void strip_prefix(const char *cidr, char **out)
{
    size_t n = strcspn(cidr, "/");
    *out = tk_xstrndup(cidr, n);
}

static enum sandbox_host_path_type hp_type(enum spec_host_path_type t)
{
    switch (t) {
    case SPEC_HOSTPATH_UNSET:
        return SANDBOX_HOSTPATH_UNSET;
    case SPEC_HOSTPATH_DIRECTORY_OR_CREATE:
        return SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE;
    case SPEC_HOSTPATH_DIRECTORY:
        return SANDBOX_HOSTPATH_DIRECTORY;
    case SPEC_HOSTPATH_FILE_OR_CREATE:
        return SANDBOX_HOSTPATH_FILE_OR_CREATE;
    case SPEC_HOSTPATH_FILE:
        return SANDBOX_HOSTPATH_FILE;
    case SPEC_HOSTPATH_SOCKET:
        return SANDBOX_HOSTPATH_SOCKET;
    case SPEC_HOSTPATH_CHAR_DEVICE:
        return SANDBOX_HOSTPATH_CHAR_DEVICE;
    case SPEC_HOSTPATH_BLOCK_DEVICE:
        return SANDBOX_HOSTPATH_BLOCK_DEVICE;
    }
    abort(); /* a value the validator cannot produce */
}

static enum sandbox_macvlan_mode macvlan_mode(enum spec_macvlan_mode m)
{
    switch (m) {
    case SPEC_MACVLAN_BRIDGE:
        return SANDBOX_MACVLAN_BRIDGE;
    case SPEC_MACVLAN_PRIVATE:
        return SANDBOX_MACVLAN_PRIVATE;
    case SPEC_MACVLAN_VEPA:
        return SANDBOX_MACVLAN_VEPA;
    case SPEC_MACVLAN_PASSTHRU:
        return SANDBOX_MACVLAN_PASSTHRU;
    }
    abort(); /* a value the validator cannot produce */
}

static int fill_ifaces(const struct spec_pod *pod, const struct host_facts *hf,
                       struct sandbox_iface *ifs, struct tk_err *err)
{
    for (size_t i = 0; i < pod->network.n_interfaces; i++) {
        const struct spec_interface *s = &pod->network.interfaces[i];
        ifs[i] = (struct sandbox_iface){
            .name = s->name,
            .parent = s->parent ? s->parent : hf->uplink,
            .mode = macvlan_mode(s->mode),
            .mac = s->mac,
            .addresses = (const char *const *)s->addresses,
            .n_addresses = s->n_addresses,
            .gateways = (const char *const *)s->gateways,
            .n_gateways = s->n_gateways,
        };
        if (!ifs[i].parent)
            return tk_err_set(err, -EINVAL,
                              "create pod '%s': interface '%s' names no parent and the "
                              "configuration has no uplink",
                              pod->name, s->name);
    }
    return 0;
}

/* The sandbox's volumes (configMap and secret ones are the agent's: cfgvol_dir). */
static size_t fill_volumes(const struct spec_pod *pod, struct sandbox_volume *vols)
{
    size_t n = 0;
    for (size_t i = 0; i < pod->n_volumes; i++) {
        const struct spec_volume *s = &pod->volumes[i];
        if (SPEC_VOLUME_IS_GENERATED(s->kind) || s->kind == SPEC_VOLUME_PVC)
            continue; /* the agent's: cfgvol_dir, state_dir/volumes (volumes.h) */
        vols[n++] = (struct sandbox_volume){
            .name = s->name,
            .kind = s->kind == SPEC_VOLUME_HOST_PATH ? SANDBOX_VOLUME_HOST_PATH
                                                     : SANDBOX_VOLUME_EMPTY_DIR,
            .medium_memory = s->medium_memory,
            .size_limit = s->size_limit,
            .host_path = s->host_path,
            .host_path_type = hp_type(s->host_path_type),
        };
    }
    return n;
}

#define FS_GROUP(pod) ((pod)->sec.fs_group.has ? (pod)->sec.fs_group.v : -1)

/* The group of a pod's configMap and secret files: fsGroup, in a pod with a user namespace
 * the fsGroup of its id range (-1: none). */
int64_t cfg_group(const char *state_dir, const struct spec_pod *pod)
{
    uint32_t start = 0;
    if (!pod->sec.fs_group.has)
        return -1;
    if (sandbox_userns_get(state_dir, pod->name, &start) == 1)
        return (int64_t)start + pod->sec.fs_group.v;
    return pod->sec.fs_group.v;
}

/* RUN_DIR/cfgvol/POD: the tmpfs of a pod's configMap and secret volumes. */
char *cfgvol_dir(const char *run_dir, const char *pod)
{
    char path[PATH_MAX];
    return sandbox_cfgvol_path(path, sizeof(path), run_dir, pod) < 0 ? NULL : tk_xstrdup(path);
}

int write_cfg_volume(const char *base, const struct spec_volume *v, int64_t group,
                     struct tk_err *err)
{
    _cleanup_free_ struct sandbox_file *f = calloc(v->n_files ? v->n_files : 1, sizeof(*f));
    if (!f)
        return tk_err_sys(err, -ENOMEM, "volume '%s'", v->name);
    for (size_t i = 0; i < v->n_files; i++)
        f[i] = (struct sandbox_file){v->files[i].path, v->files[i].data, v->files[i].len,
                                     v->files[i].mode};
    int r = sandbox_cfgvol_write(base, v->name, f, v->n_files, group, err);
    return r < 0 ? tk_err_wrap(err, "volume '%s'", v->name) : r;
}

int runtime_update_config_volumes(const char *run_dir, const char *state_dir,
                                  const struct spec_pod *pod)
{
    _cleanup_free_ char *base = cfgvol_dir(run_dir, pod->name);
    struct stat st;
    if (!base || stat(base, &st) < 0) /* not started yet: its first container writes them */
        return 0;
    for (size_t i = 0; i < pod->n_volumes; i++) {
        const struct spec_volume *v = &pod->volumes[i];
        struct tk_err err = {0};
        if (!SPEC_VOLUME_IS_GENERATED(v->kind))
            continue;
        int r = write_cfg_volume(base, v, cfg_group(state_dir, pod), &err);
        if (r < 0)
            tk_warn("pod '%s': %s", pod->name, err.msg);
        else if (r > 0)
            tk_info("pod '%s': volume '%s' updated", pod->name, v->name);
    }
    return 0;
}

/* resolv.conf options as written there: "ndots:2", "rotate" (heap strings). */
static void fill_dns_options(const struct spec_pod *pod, char **opts)
{
    for (size_t i = 0; i < pod->dns.n_options; i++) {
        struct tk_buf b = TK_BUF_INIT;
        tk_buf_adds(&b, pod->dns.options[i].key);
        if (pod->dns.options[i].value)
            tk_buf_addf(&b, ":%s", pod->dns.options[i].value);
        opts[i] = tk_buf_detach(&b);
    }
}

/* Does the pod get its own user namespace? hostUsers, else the configured default (never
 * for hostNetwork, hostPID or hostIPC pods, which share the host's namespaces and so its
 * users). */
bool pod_userns(const struct tank_config *cfg, const struct spec_pod *pod)
{
    if (pod->host_users.has)
        return !pod->host_users.v;
    return !cfg->default_host_users && !pod->host_network && !pod->host_pid && !pod->host_ipc;
}

/* The pod's static addresses, without their prefix lengths. */
static void pod_ips(const struct spec_pod *pod, struct runtime_pod_info *info)
{
    for (size_t i = 0; i < pod->network.n_interfaces; i++)
        for (size_t j = 0;
             j < pod->network.interfaces[i].n_addresses && info->n_ips < TK_ARRAY_SIZE(info->ips);
             j++)
            strip_prefix(pod->network.interfaces[i].addresses[j], &info->ips[info->n_ips++]);
}

/* A sandbox of the pod from before: taken when sound (true), destroyed when damaged. */
static bool pod_adopt(const struct tank_config *cfg, const struct spec_pod *pod)
{
    int r = sandbox_pod_check(cfg->run_dir, pod->name, NULL);
    if (r == 1) {
        struct tk_err e = {0};
        if (sandbox_pod_adopt_volumes(cfg->state_dir, pod->name, &e) < 0)
            tk_warn("%s", e.msg);
        return true;
    }
    if (r < 0)
        sandbox_pod_destroy(cfg->run_dir, cfg->state_dir, pod->name, NULL);
    return false;
}

/* The named volumes the pod's claims name, made when missing. */
static int claims_ensure(const struct tank_config *cfg, const struct spec_pod *pod,
                         struct tk_err *err)
{
    for (size_t i = 0; i < pod->n_volumes; i++) {
        int r = pod->volumes[i].kind == SPEC_VOLUME_PVC
                    ? volumes_ensure(cfg->state_dir, pod->volumes[i].ref_name, err)
                    : 0;
        if (r < 0)
            return r;
    }
    return 0;
}

int host_pod_up(void *impl, const struct spec_pod *pod, struct runtime_pod_info *info,
                struct runtime_underway *work, struct tk_err *err)
{
    struct host_rt *h = impl;
    const struct tank_config *cfg = h->cfg;
    pod_ips(pod, info);
    if (pod_adopt(cfg, pod))
        return 0;
    int r;
    _cleanup_(host_facts_free) struct host_facts hf;
    host_facts_get(cfg, &hf);
    size_t ni = pod->network.n_interfaces, nv = pod->n_volumes, no = pod->dns.n_options;
    _cleanup_free_ struct sandbox_iface *ifs = calloc(ni ? ni : 1, sizeof(*ifs));
    _cleanup_free_ struct sandbox_volume *vols = calloc(nv ? nv : 1, sizeof(*vols));
    _cleanup_free_ char **opts = calloc(no ? no : 1, sizeof(*opts));
    if (!ifs || !vols || !opts)
        return tk_err_sys(err, -ENOMEM, "create pod '%s'", pod->name);
    r = fill_ifaces(pod, &hf, ifs, err);
    if (r < 0)
        return r;
    nv = fill_volumes(pod, vols);
    if ((r = claims_ensure(cfg, pod, err)) < 0)
        return r;
    fill_dns_options(pod, opts);
    struct sandbox_pod_config pc = {
        .run_dir = cfg->run_dir,
        .state_dir = cfg->state_dir,
        .name = pod->name,
        .hostname = pod->hostname,
        .host_network = pod->host_network,
        .host_ipc = pod->host_ipc,
        .share_pid = pod->share_pid,
        .ifaces = ifs,
        .n_ifaces = ni,
        .nameservers = pod->dns.set ? (const char *const *)pod->dns.nameservers : hf.dns,
        .n_nameservers = pod->dns.set ? pod->dns.n_nameservers : hf.n_dns,
        .searches = pod->dns.set ? (const char *const *)pod->dns.searches : hf.dns_search,
        .n_searches = pod->dns.set ? pod->dns.n_searches : hf.n_dns_search,
        .options = pod->dns.set ? (const char *const *)opts : hf.dns_options,
        .n_options = pod->dns.set ? no : hf.n_dns_options,
        .volumes = vols,
        .n_volumes = nv,
        .probe_ms = ni ? ADDRESS_PROBE_MS : 0,
        .userns = pod_userns(cfg, pod),
        .userns_ranges = cfg->userns_ranges,
        .n_userns_ranges = cfg->n_userns_ranges,
        .has_fs_group = pod->sec.fs_group.has,
        .fs_group = (uint32_t)pod->sec.fs_group.v,
        .fs_group_on_root_mismatch = pod->sec.fs_group_on_root_mismatch,
    };
    struct sandbox_pod_creation *c = NULL;
    r = sandbox_pod_create_begin(&pc, &c, err);
    for (size_t i = 0; i < no; i++)
        free(opts[i]);
    if (r < 0)
        return r;
    work->fd = sandbox_pod_creation_fd(c);
    work->deadline_ms = sandbox_pod_creation_deadline_ms(c);
    work->priv = c;
    return 1;
}

int host_pod_up_advance(void *impl, struct runtime_underway *work, struct tk_err *err)
{
    int r = sandbox_pod_create_advance(work->priv, err);
    if (r == 1)
        return 1;
    sandbox_pod_creation_free(work->priv, 0);
    work->priv = NULL;
    work->fd = -1;
    return r;
}

void host_pod_up_cancel(void *impl, struct runtime_underway *work, bool kill_it)
{
    sandbox_pod_creation_free(work->priv, kill_it);
    work->priv = NULL;
    work->fd = -1;
}

/* Stop and clean every container state left under the pod (orphans after a crash). */
static void remove_containers(struct host_rt *h, const char *pod)
{
    _cleanup_free_ char *dir = ctr_path(h->cfg->run_dir, pod, NULL);
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sd = ctr_state_dir(h, pod, de->d_name);
        _cleanup_free_ char *rw = ctr_rw_dir(h, pod, de->d_name);
        sandbox_container_stop(sd, SIGKILL, 0, NULL);
        sandbox_container_cleanup(sd, rw, 1, NULL);
    }
    _cleanup_free_ char *rwdir = ctr_path(h->cfg->state_dir, pod, NULL);
    tk_rm_rf(rwdir);
}

int host_pod_check(void *impl, const char *pod, struct tk_err *err)
{
    struct host_rt *h = impl;
    return sandbox_pod_check(h->cfg->run_dir, pod, err);
}

struct down_args {
    struct host_rt *h;
    const char *pod;
};

/* In the remover child: everything of the pod, in the order it was made backwards. */
static int pod_down_child(void *arg, int fd, void *out, struct tk_err *err)
{
    const struct down_args *a = arg;
    setpriority(PRIO_PROCESS, 0, 10); /* the agent's loop first (many pods may go at once) */
    remove_containers(a->h, a->pod);
    if (a->h->cg && sandbox_cgroup_remove(a->h->cg, a->pod, NULL, err) < 0)
        return tk_err_wrap(err, "remove pod '%s'", a->pod);
    int r = sandbox_pod_destroy(a->h->cfg->run_dir, a->h->cfg->state_dir, a->pod, err);
    _cleanup_free_ char *cfgvol = cfgvol_dir(a->h->cfg->run_dir, a->pod);
    if (r == 0 && cfgvol)
        r = sandbox_cfgvol_remove(cfgvol, err);
    if (r == 0) {
        _cleanup_buf_ struct tk_buf logs = TK_BUF_INIT;
        tk_buf_addf(&logs, "%s/%s", a->h->cfg->log_dir, a->pod);
        tk_rm_rf(logs.s);
    }
    return r;
}

/* The removal runs in a child, so the agent's loop goes on meanwhile (it takes 0.1 s for a
 * typical pod, more for a big writable layer). The child dies with the agent: the next agent
 * finds what is left and removes it again (every step may be done twice). */
int host_pod_down(void *impl, const char *pod, struct runtime_underway *work, struct tk_err *err)
{
    struct down_args a = {impl, pod};
    struct tk_child *c = tk_xcalloc(1, sizeof(*c));
    int r = tk_child_begin(c, pod_down_child, &a, 0, TK_CHILD_PDEATHSIG, err);
    if (r < 0) {
        free(c);
        return tk_err_wrap(err, "remove pod '%s'", pod);
    }
    work->fd = c->fd;
    work->deadline_ms = tk_now_monotonic_ms() + POD_DOWN_TIMEOUT_MS;
    work->priv = c;
    return 1;
}

int host_pod_down_advance(void *impl, struct runtime_underway *work, struct tk_err *err)
{
    struct tk_child *c = work->priv;
    int r =
        tk_child_end_by(c, work->deadline_ms, POD_DOWN_TIMEOUT_MS / 1000, "the pod remover", err);
    if (r == 1)
        return 1;
    free(c);
    work->priv = NULL;
    work->fd = -1;
    return r;
}

void host_pod_down_cancel(void *impl, struct runtime_underway *work)
{
    struct tk_child *c = work->priv;
    if (c && c->fd >= 0)
        close(c->fd); /* (only as the agent ends: the child dies with it) */
    free(c);
    work->priv = NULL;
    work->fd = -1;
}

int host_pod_list(void *impl, char ***names, size_t *n)
{
    struct host_rt *h = impl;
    char **v = NULL;
    *names = NULL;
    *n = 0;
    int r = sandbox_pod_list(h->cfg->run_dir, h->cfg->state_dir, &v, NULL);
    if (r < 0)
        return r;
    size_t count = (size_t)r;
    *names = calloc(count ? count : 1, sizeof(char *));
    if (!*names) {
        sandbox_pod_list_free(v);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        (*names)[i] = tk_xstrdup(v[i]);
    *n = count;
    sandbox_pod_list_free(v);
    return 0;
}
