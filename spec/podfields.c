/* One document to one pod: apiVersion and kind, metadata, and spec (volumes, DNS, pod
 * security context, Tank's network extension); containers are in container.c. */
#include "spec/spec-int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/parse.h"

/* ---- metadata ---------------------------------------------------------------------- */

static void f_meta_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    want_checked(w, v, path, &pod->name, tk_is_dns_label, "a valid pod name " DNS1123_RULE);
}

struct kv_dups {
    struct walk *w;
    const struct ynode *map;
    const char *path;
};

static void report_kv_dup(void *ctx, size_t i, size_t first)
{
    struct kv_dups *d = ctx;
    const struct ynode *k = d->map->items[2 * i];
    _cleanup_free_ char *p = path_key(d->path, k->value);
    werr(d->w, k, p, "duplicate key (first at line %d)", d->map->items[2 * first]->line);
}

/* labels / annotations: a mapping of string to string. */
static void read_kv(struct walk *w, const struct ynode *v, const char *path, struct spec_kv **out,
                    size_t *count, bool labels)
{
    if (v->type != YN_MAP) {
        werr(w, v, path, "expected a mapping, got %s", ynode_kind_name(v));
        return;
    }
    struct spec_kv *kv = tk_xcalloc(v->n, sizeof(*kv));
    _cleanup_free_ const char **keys = tk_xcalloc(v->n, sizeof(*keys));
    size_t m = 0;
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *k = v->items[2 * i], *val = v->items[2 * i + 1];
        if (k->type != YN_SCALAR) {
            werr(w, k, path, "mapping keys must be strings, got %s", ynode_kind_name(k));
            continue;
        }
        keys[i] = k->value;
        _cleanup_free_ char *p = path_key(path, k->value);
        if (!spec_is_label_key(k->value)) {
            werr(w, k, p,
                 "'%.100s' is not a valid %s key (an optional DNS prefix and '/', then at most "
                 "63 letters, digits, '-', '_' and '.')",
                 k->value, labels ? "label" : "annotation");
            continue;
        }
        char *s = NULL;
        if (!want_str(w, val, p, &s))
            continue;
        if (labels && !spec_is_label_value(s)) {
            werr(w, val, p,
                 "'%.100s' is not a valid label value (at most 63 letters, digits, '-', '_' "
                 "and '.')",
                 s);
            free(s);
            continue;
        }
        kv[m].key = tk_xstrdup(k->value);
        kv[m++].value = s;
    }
    struct kv_dups d = {w, v, path};
    find_dups(keys, v->n, report_kv_dup, &d);
    *out = kv;
    *count = m;
}

static void f_labels(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    read_kv(w, v, path, &pod->labels, &pod->n_labels, true);
}

static void f_node_selector(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    read_kv(w, v, path, &pod->node.selector, &pod->node.n_selector, true);
}

void walk_kv(struct walk *w, const struct ynode *v, const char *path, struct spec_kv **out,
             size_t *count)
{
    read_kv(w, v, path, out, count, true);
}

static void f_annotations(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    read_kv(w, v, path, &pod->annotations, &pod->n_annotations, false);
}

static void f_meta_namespace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    want_checked(w, v, path, &pod->namespace, tk_is_dns_label,
                 "a valid namespace name " DNS1123_RULE);
}

static void f_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_meta_name},
        {"namespace", f_meta_namespace},
        {"labels", f_labels},
        {"annotations", f_annotations},
        {"ownerReferences", field_ignored},
        {"generateName", field_refused},
    };
    struct spec_pod *pod = obj;
    if (!walk_metadata(w, v, path, fields, TK_ARRAY_SIZE(fields), pod))
        return;
    if (ynode_is_null(ynode_get(v, "name")))
        werr(w, v, "metadata.name", "required");
}

/* ---- volumes ----------------------------------------------------------------------- */

static bool is_abs_path(const char *s)
{
    return s[0] == '/';
}

static void f_vol_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_volume *vol = obj;
    want_checked(w, v, path, &vol->name, tk_is_dns_label, "a valid volume name " DNS1123_RULE);
}

static void f_hp_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_volume *vol = obj;
    want_checked(w, v, path, &vol->host_path, is_abs_path, "an absolute path");
}

static void f_hp_type(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {
        "",       "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
        "Socket", "CharDevice",        "BlockDevice"};
    struct spec_volume *vol = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        vol->host_path_type = (enum spec_host_path_type)i;
}

static void f_host_path(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"path", f_hp_path}, {"type", f_hp_type}};
    struct spec_volume *vol = obj;
    if (!walk_first_source(w))
        return;
    vol->kind = SPEC_VOLUME_HOST_PATH;
    if (!walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), vol))
        return;
    if (ynode_is_null(ynode_get(v, "path")))
        wreq(w, v, path, "path", NULL);
}

static void f_pvc_claim(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_checked(w, v, path, &((struct spec_volume *)obj)->ref_name, tk_is_dns_label,
                 "the name of a PersistentVolumeClaim " DNS1123_RULE);
}

static void f_pvc_ro(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_volume *)obj)->pvc_read_only);
}

/* persistentVolumeClaim: the named volume state_dir/volumes/CLAIM (kind PersistentVolumeClaim) */
static void f_pvc_volume(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"claimName", f_pvc_claim}, {"readOnly", f_pvc_ro}};
    struct spec_volume *vol = obj;
    if (!walk_first_source(w))
        return;
    vol->kind = SPEC_VOLUME_PVC;
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), vol) &&
        ynode_is_null(ynode_get(v, "claimName")))
        wreq(w, v, path, "claimName", "the name of a PersistentVolumeClaim");
}

static void f_ed_medium(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"", "Memory"};
    struct spec_volume *vol = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        vol->medium_memory = i == 1;
}

static void f_ed_size(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_volume *vol = obj;
    if (v->type != YN_SCALAR || (v->kind != YS_STR && v->kind != YS_INT)) {
        werr(w, v, path, "expected a quantity such as 64Mi or 1G, got %s", ynode_kind_name(v));
        return;
    }
    if (tk_parse_quantity(v->value, &vol->size_limit) < 0)
        werr(w, v, path, "'%.60s' is not a quantity (such as 64Mi or 1G)", v->value);
}

static void f_empty_dir(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"medium", f_ed_medium}, {"sizeLimit", f_ed_size}};
    struct spec_volume *vol = obj;
    if (!walk_first_source(w))
        return;
    vol->kind = SPEC_VOLUME_EMPTY_DIR;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), vol);
}

static void f_volumes(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", f_vol_name},
        {"hostPath", f_host_path},
        {"emptyDir", f_empty_dir},
        {"persistentVolumeClaim", f_pvc_volume},
        {"nfs", field_refused},
        {"ephemeral", field_refused},
        {"configMap", f_configmap_volume},
        {"secret", f_secret_volume},
        {"downwardAPI", f_downward_volume},
        {"projected", f_projected_volume},
    };
    struct spec_pod *pod = obj;
    if (!want_seq(w, v, path))
        return;
    pod->volumes = tk_xcalloc(v->n, sizeof(*pod->volumes));
    pod->n_volumes = v->n;
    _cleanup_free_ const char **names = tk_xcalloc(v->n, sizeof(*names));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_volume *vol = &pod->volumes[i];
        /* A volume without a source is an emptyDir, as in Kubernetes. */
        vol->kind = SPEC_VOLUME_EMPTY_DIR;
        w->sources = 0;
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), vol))
            continue;
        if (ynode_is_null(ynode_get(v->items[i], "name")))
            wreq(w, v->items[i], p, "name", NULL);
        if (w->sources > 1)
            werr(w, v->items[i], p,
                 "give only one of hostPath, emptyDir, persistentVolumeClaim, configMap, secret, "
                 "downwardAPI and projected");
        names[i] = vol->name;
    }
    check_name_dups(w, v, path, "volume", names);
}

/* ---- dnsConfig ----------------------------------------------------------------------- */

static bool is_ip(const char *s)
{
    unsigned char a[16];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static bool is_search_domain(const char *s)
{
    size_t len = strlen(s);
    char buf[254];
    if (len == 0 || len > 253)
        return false;
    memcpy(buf, s, len + 1);
    if (buf[len - 1] == '.')
        buf[len - 1] = '\0';
    return spec_is_dns1123_subdomain(buf);
}

static void f_dns_ns(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_dns *d = obj;
    if (want_str_list(w, v, path, &d->nameservers, &d->n_nameservers, is_ip, "an IP address") &&
        d->n_nameservers > 3)
        werr(w, v->items[3], path, "at most 3 nameservers are allowed");
}

static void f_dns_search(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_dns *d = obj;
    if (want_str_list(w, v, path, &d->searches, &d->n_searches, is_search_domain,
                      "a valid DNS domain") &&
        d->n_searches > 32)
        werr(w, v->items[32], path, "at most 32 search domains are allowed");
}

/* An option is written "name" or "name:value" on resolv.conf's one "options" line: a space,
 * a newline or another control character would end it or start another line. */
static bool is_dns_option_word(const char *s, bool name)
{
    if (name && !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || (name && *s == ':'))
            return false;
    return true;
}

static bool is_dns_option_name(const char *s)
{
    return is_dns_option_word(s, true);
}

static bool is_dns_option_value(const char *s)
{
    return is_dns_option_word(s, false);
}

static void f_opt_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_kv *kv = obj;
    want_checked(w, v, path, &kv->key, is_dns_option_name,
                 "a resolv.conf option name (printable, without spaces or ':')");
}

static void f_opt_value(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_kv *kv = obj;
    want_checked(w, v, path, &kv->value, is_dns_option_value,
                 "a resolv.conf option value (printable, without spaces)");
}

static void f_dns_options(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"name", f_opt_name}, {"value", f_opt_value}};
    struct spec_dns *d = obj;
    if (!want_seq(w, v, path))
        return;
    d->options = tk_xcalloc(v->n, sizeof(*d->options));
    d->n_options = v->n;
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        if (!walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), &d->options[i]))
            continue;
        const struct spec_kv *o = &d->options[i];
        if (!o->key && ynode_is_null(ynode_get(v->items[i], "name")))
            wreq(w, v->items[i], p, "name", NULL);
        if (o->key && strlen(o->key) + (o->value ? 1 + strlen(o->value) : 0) > 253)
            werr(w, v->items[i], p, "an option is at most 253 characters (name:value)");
    }
}

static void f_dns(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"nameservers", f_dns_ns}, {"searches", f_dns_search}, {"options", f_dns_options}};
    struct spec_pod *pod = obj;
    pod->dns.set = true;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &pod->dns);
}

/* ---- spec.securityContext -------------------------------------------------------------- */

static void f_psec_user(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod_security *s = obj;
    if (want_int(w, v, path, 0, 2147483647, &s->run_as_user.v))
        s->run_as_user.has = true;
}

static void f_psec_group(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod_security *s = obj;
    if (want_int(w, v, path, 0, 2147483647, &s->run_as_group.v))
        s->run_as_group.has = true;
}

static void f_psec_groups(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod_security *s = obj;
    if (!want_seq(w, v, path))
        return;
    s->supplemental_groups = tk_xcalloc(v->n, sizeof(*s->supplemental_groups));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        int64_t g;
        if (want_int(w, v->items[i], p, 0, 2147483647, &g))
            s->supplemental_groups[s->n_supplemental_groups++] = g;
    }
}

LSM_FIELD_FNS(f_psec, struct spec_pod_security)

static void f_psec_fs_group(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod_security *s = obj;
    if (want_int(w, v, path, 0, 2147483647, &s->fs_group.v))
        s->fs_group.has = true;
}

static void f_psec_fs_policy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"Always", "OnRootMismatch"};
    struct spec_pod_security *s = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        s->fs_group_on_root_mismatch = i == 1;
}

static void f_pod_security(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"runAsUser", f_psec_user},
                                          {"runAsGroup", f_psec_group},
                                          {"supplementalGroups", f_psec_groups},
                                          {"fsGroup", f_psec_fs_group},
                                          {"fsGroupChangePolicy", f_psec_fs_policy},
                                          LSM_FIELDS(f_psec)};
    struct spec_pod *pod = obj;
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &pod->sec);
}

/* ---- spec.network (tank/v1) ---------------------------------------------------------- */

static void f_if_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_interface *ifc = obj;
    if (!want_checked(w, v, path, &ifc->name, tk_is_ifname,
                      "a valid interface name (1 to 15 characters, no '/', ':' or spaces)"))
        return;
    if (!strcmp(ifc->name, "lo")) {
        werr(w, v, path, "'lo' is the pod's loopback interface; choose another name");
        free(ifc->name);
        ifc->name = NULL;
    }
}

static void f_mv_parent(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_interface *ifc = obj;
    want_checked(w, v, path, &ifc->parent, tk_is_ifname,
                 "a valid interface name (1 to 15 characters, no '/', ':' or spaces)");
}

static void f_mv_mode(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"bridge", "private", "vepa", "passthru"};
    struct spec_interface *ifc = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        ifc->mode = (enum spec_macvlan_mode)i;
}

static void f_macvlan(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"parent", f_mv_parent}, {"mode", f_mv_mode}};
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

static void f_if_mac(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_interface *ifc = obj;
    _cleanup_free_ char *s = NULL;
    unsigned char mac[6];
    if (!want_str(w, v, path, &s))
        return;
    if (tk_parse_mac(s, mac) < 0) {
        werr(w, v, path, "'%.40s' is not a MAC address (six hex pairs such as 02:42:c0:00:02:0a)",
             s);
        return;
    }
    if (mac[0] & 1) {
        werr(w, v, path, "'%s' is a multicast MAC address; use a unicast one", s);
        return;
    }
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
        werr(w, v, path, "'%s' is not a usable MAC address", s);
        return;
    }
    for (char *p = s; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    ifc->mac = TAKE_PTR(s);
}

static bool is_cidr(const char *s)
{
    int family, prefix;
    unsigned char a[16];
    return tk_parse_cidr(s, &family, a, &prefix) == 0;
}

static void f_if_addresses(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_interface *ifc = obj;
    want_str_list(w, v, path, &ifc->addresses, &ifc->n_addresses, is_cidr,
                  "an address with a prefix length (such as 192.0.2.10/24 or 2001:db8::10/64)");
}

static int ip_family(const char *s)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, s, a) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, a) == 1)
        return AF_INET6;
    return 0;
}

static void f_if_gateway(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_interface *ifc = obj;
    if (v->type == YN_SCALAR) {
        char *s = NULL;
        if (!want_checked(w, v, path, &s, is_ip, "an IP address"))
            return;
        ifc->gateways = tk_xcalloc(1, sizeof(*ifc->gateways));
        ifc->gateways[0] = s;
        ifc->n_gateways = 1;
        return;
    }
    if (!want_str_list(w, v, path, &ifc->gateways, &ifc->n_gateways, is_ip, "an IP address"))
        return;
    for (size_t i = 1; i < ifc->n_gateways; i++)
        for (size_t j = 0; j < i && j < 2; j++)
            if (ip_family(ifc->gateways[i]) == ip_family(ifc->gateways[j])) {
                _cleanup_free_ char *p = path_idx(path, i);
                werr(w, v->items[i], p, "only one gateway per address family is allowed");
                return;
            }
}

/* Each gateway needs an address of its family on the interface. */
static void check_gateways(struct walk *w, const struct ynode *n, const char *path,
                           const struct spec_interface *ifc)
{
    const struct ynode *gw = ynode_get(n, "gateway"), *addrs = ynode_get(n, "addresses");
    /* Only when both lists were read whole: a bad entry is reported already. */
    if ((addrs && addrs->type == YN_SEQ && addrs->n != ifc->n_addresses) ||
        (gw && gw->type == YN_SEQ && gw->n != ifc->n_gateways))
        return;
    for (size_t i = 0; i < ifc->n_gateways; i++) {
        int fam = ip_family(ifc->gateways[i]);
        bool found = false;
        for (size_t j = 0; j < ifc->n_addresses && !found; j++) {
            int f, prefix;
            unsigned char a[16];
            found = tk_parse_cidr(ifc->addresses[j], &f, a, &prefix) == 0 && f == fam;
        }
        if (found)
            continue;
        _cleanup_free_ char *p = path_key(path, "gateway");
        werr(w, gw->type == YN_SEQ ? gw->items[i] : gw, p,
             "gateway %s is %s but the interface has no %s address", ifc->gateways[i],
             fam == AF_INET ? "IPv4" : "IPv6", fam == AF_INET ? "IPv4" : "IPv6");
    }
}

static void f_interfaces(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"name", f_if_name},
                                          {"macvlan", f_macvlan},
                                          {"mac", f_if_mac},
                                          {"addresses", f_if_addresses},
                                          {"gateway", f_if_gateway}};
    struct spec_netns *net = obj;
    if (!want_seq(w, v, path))
        return;
    net->interfaces = tk_xcalloc(v->n, sizeof(*net->interfaces));
    net->n_interfaces = v->n;
    _cleanup_free_ const char **names = tk_xcalloc(v->n, sizeof(*names));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        struct spec_interface *ifc = &net->interfaces[i];
        const struct ynode *n = v->items[i];
        if (!walk_map(w, n, p, fields, TK_ARRAY_SIZE(fields), ifc))
            continue;
        if (ynode_is_null(ynode_get(n, "name")))
            wreq(w, n, p, "name", NULL);
        if (!ynode_get(n, "macvlan"))
            wreq(w, n, p, "macvlan", "the interface type; 'macvlan: {}' for the defaults");
        check_gateways(w, n, p, ifc);
        names[i] = ifc->name;
    }
    check_name_dups(w, v, path, "interface", names);
}

static void f_network(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"interfaces", f_interfaces}};
    struct spec_pod *pod = obj;
    if (!w->tank) {
        werr(w, v, path, "only in apiVersion tank/v1");
        return;
    }
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &pod->network);
}

/* ---- spec ---------------------------------------------------------------------------- */

static void f_restart(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"Always", "OnFailure", "Never"};
    struct spec_pod *pod = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        pod->restart_policy = (enum spec_restart_policy)i;
}

static void f_grace(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    want_int(w, v, path, 0, INT64_MAX, &pod->termination_grace_seconds);
}

static void f_hostname(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    want_checked(w, v, path, &pod->hostname, tk_is_dns_label, "a valid hostname " DNS1123_RULE);
}

static void f_host_network(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    want_bool(w, v, path, &pod->host_network);
}

static void f_share_pid(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_pod *)obj)->share_pid);
}

static void f_host_pid(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_pod *)obj)->host_pid);
}

static void f_host_ipc(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    want_bool(w, v, path, &((struct spec_pod *)obj)->host_ipc);
}

/* Kubernetes' rules between the namespace fields. */
static void check_host_namespaces(struct walk *w, const struct ynode *v, const struct spec_pod *pod)
{
    static const char *const names[] = {"hostNetwork", "hostPID", "hostIPC"};
    const bool on[] = {pod->host_network, pod->host_pid, pod->host_ipc};
    if (pod->host_pid && pod->share_pid)
        werr(w, ynode_get(v, "shareProcessNamespace"), "spec.shareProcessNamespace",
             "cannot be used together with hostPID: true");
    for (size_t i = 0; i < TK_ARRAY_SIZE(names); i++)
        if (on[i] && pod->host_users.has && !pod->host_users.v)
            werr(w, ynode_get(v, "hostUsers"), "spec.hostUsers",
                 "false cannot be used together with %s: true", names[i]);
}

static void f_host_users(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    pod->host_users.has = want_bool(w, v, path, &pod->host_users.v);
}

static void f_dns_policy(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const char *const names[] = {"ClusterFirst", "ClusterFirstWithHostNet", "Default",
                                        "None"};
    struct spec_pod *pod = obj;
    int i;
    if (want_enum(w, v, path, names, TK_ARRAY_SIZE(names), &i))
        pod->dns_policy = (enum spec_dns_policy)i;
}

/* spec.os is ignored, but a pod for another OS cannot run here. */
static void check_os(struct walk *w, const struct ynode *os)
{
    const struct ynode *name = ynode_get(os, "name");
    if (os && !ynode_is_null(os) && os->type != YN_MAP)
        werr(w, os, "spec.os", "expected a mapping, got %s", ynode_kind_name(os));
    else if (name && (name->type != YN_SCALAR || strcmp(name->value, "linux")))
        werr(w, name, "spec.os.name", "Tank runs Linux containers only (linux)");
}

static void f_ps_name(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    char **name = obj;
    want_checked(w, v, path, name, spec_is_dns1123_subdomain,
                 "a valid Secret name (a DNS subdomain)");
}

static void f_pull_secrets(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {{"name", f_ps_name}};
    struct spec_pod *pod = obj;
    if (!want_seq(w, v, path))
        return;
    pod->pull_secrets = tk_xcalloc(v->n, sizeof(*pod->pull_secrets));
    for (size_t i = 0; i < v->n; i++) {
        _cleanup_free_ char *p = path_idx(path, i);
        char *name = NULL;
        if (walk_map(w, v->items[i], p, fields, TK_ARRAY_SIZE(fields), &name) && !name &&
            ynode_is_null(ynode_get(v->items[i], "name")))
            wreq(w, v->items[i], p, "name", NULL);
        if (name)
            pod->pull_secrets[pod->n_pull_secrets++] = name;
    }
}

static const struct field spec_fields[] = {
    {"containers", walk_containers},
    {"initContainers", walk_init_containers},
    {"restartPolicy", f_restart},
    {"terminationGracePeriodSeconds", f_grace},
    {"hostname", f_hostname},
    {"hostNetwork", f_host_network},
    {"hostUsers", f_host_users},
    {"dnsPolicy", f_dns_policy},
    {"dnsConfig", f_dns},
    {"securityContext", f_pod_security},
    {"resources", walk_pod_resources},
    {"volumes", f_volumes},
    {"network", f_network},
    {"schedulerName", field_ignored},
    {"priority", field_ignored},
    {"priorityClassName", field_ignored},
    {"preemptionPolicy", field_ignored},
    {"tolerations", field_ignored},
    {"schedulingGates", field_ignored},
    {"topologySpreadConstraints", field_ignored},
    {"readinessGates", field_ignored},
    {"serviceAccountName", field_ignored},
    {"serviceAccount", field_ignored},
    {"automountServiceAccountToken", field_ignored},
    {"enableServiceLinks", field_ignored},
    {"runtimeClassName", field_ignored},
    {"os", field_ignored},
    {"nodeName", f_node_name},
    {"nodeSelector", f_node_selector},
    {"affinity", f_affinity},
    {"imagePullSecrets", f_pull_secrets},
    {"hostPID", f_host_pid},
    {"hostIPC", f_host_ipc},
    {"shareProcessNamespace", f_share_pid},
};

static void f_spec(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_pod *pod = obj;
    if (!walk_map(w, v, path, spec_fields, TK_ARRAY_SIZE(spec_fields), pod))
        return;
    if (ynode_is_null(ynode_get(v, "containers")))
        werr(w, v, "spec.containers", "at least one container is required");
    check_os(w, ynode_get(v, "os"));
    if (pod->dns_policy == SPEC_DNS_NONE && !pod->dns.set)
        werr(w, ynode_get(v, "dnsPolicy"), "spec.dnsPolicy",
             "None requires spec.dnsConfig (the pod's nameservers, searches and options)");
    const struct ynode *net = ynode_get(v, "network");
    if (pod->host_network && w->tank && !ynode_is_null(net))
        werr(w, net, "spec.network", "cannot be used together with hostNetwork: true");
    check_host_namespaces(w, v, pod);
    check_container_refs(w, v, pod);
    check_resource_refs(w, v, pod);
    check_pod_resources(w, v, pod);
}

/* ---- the document -------------------------------------------------------------------- */

/* apiVersion and kind decide how (and whether) to read the rest. */
static bool check_type(struct walk *w, const struct ynode *root, struct spec_pod *pod)
{
    const struct ynode *av = ynode_get(root, "apiVersion"), *kind = ynode_get(root, "kind");
    _cleanup_free_ char *k = NULL;
    bool ok = true;
    if (ynode_is_null(av)) {
        werr(w, root, "apiVersion", "required (v1 or tank/v1)");
        ok = false;
    } else if (want_str(w, av, "apiVersion", &pod->api_version)) {
        if (strcmp(pod->api_version, "v1") && strcmp(pod->api_version, "tank/v1")) {
            werr(w, av, "apiVersion", "'%.100s' is not supported (v1 or tank/v1)",
                 pod->api_version);
            ok = false;
        }
        w->tank = !strcmp(pod->api_version, "tank/v1");
    } else {
        ok = false;
    }
    if (ynode_is_null(kind)) {
        werr(w, root, "kind",
             "required (Pod, Deployment, DaemonSet, Job, CronJob, ConfigMap, Secret or "
             "PersistentVolumeClaim)");
        ok = false;
    } else if (want_str(w, kind, "kind", &k)) {
        if (strcmp(k, "Pod")) {
            werr(w, kind, "kind",
                 "'%.100s' is not supported: Tank reads kind Pod, Deployment, DaemonSet, Job, "
                 "CronJob, ConfigMap, Secret and PersistentVolumeClaim",
                 k);
            ok = false;
        }
    } else {
        ok = false;
    }
    return ok;
}

struct spec_pod *spec_pod_from_tree(struct spec_errs *e, const struct ynode *root)
{
    static const struct field fields[] = {{"apiVersion", NULL},
                                          {"kind", NULL},
                                          {"metadata", f_metadata},
                                          {"spec", f_spec},
                                          {"status", field_ignored}};
    struct walk w = {.e = e};
    struct spec_pod *pod = tk_xcalloc(1, sizeof(*pod));
    size_t before = e->doc_errors;

    pod->termination_grace_seconds = 30;
    pod->line = root->line;
    if (root->type != YN_MAP) {
        werr(&w, root, "",
             "expected a Pod manifest (a mapping with apiVersion, kind, metadata "
             "and spec), got %s",
             ynode_kind_name(root));
        goto fail;
    }
    if (!check_type(&w, root, pod))
        goto fail;
    walk_map(&w, root, "", fields, TK_ARRAY_SIZE(fields), pod);
    walk_require_top(&w, root, "");
    if (e->doc_errors != before || e->oom)
        goto fail;
    doc_identity(root, &pod->namespace, &pod->name_line, &pod->name_column);
    return pod;
fail:
    spec_pod_free(pod);
    return NULL;
}

/* A workload's spec.template: its metadata holds labels and annotations (a name there is
 * ignored, as Kubernetes names the pods itself). */
static void f_tmpl_metadata(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    static const struct field fields[] = {
        {"name", NULL},
        {"labels", f_labels},
        {"annotations", f_annotations},
        {"creationTimestamp", field_ignored},
    };
    walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), obj);
}

struct spec_pod *spec_pod_from_template(struct spec_errs *e, const struct ynode *tmpl,
                                        const char *prefix, const char *name, bool tank)
{
    static const struct field fields[] = {{"metadata", f_tmpl_metadata}, {"spec", f_spec}};
    struct walk w = {.e = e, .prefix = prefix, .tank = tank};
    struct spec_pod *pod = tk_xcalloc(1, sizeof(*pod));
    size_t before = e->doc_errors;

    pod->termination_grace_seconds = 30;
    pod->line = tmpl->line;
    pod->api_version = tk_xstrdup(tank ? "tank/v1" : "v1");
    pod->name = tk_xstrdup(name);
    walk_map(&w, tmpl, "", fields, TK_ARRAY_SIZE(fields), pod);
    if (ynode_is_null(ynode_get(tmpl, "spec")))
        werr(&w, tmpl, "spec", "required");
    if (e->doc_errors != before || e->oom) {
        spec_pod_free(pod);
        return NULL;
    }
    pod->namespace = tk_xstrdup("default");
    return pod;
}
