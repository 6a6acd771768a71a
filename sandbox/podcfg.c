/* Pod sandboxes: the names and values a pod's configuration may hold (macvlan modes, MACs),
 * and the check of a whole configuration before anything is touched. See podsandbox.h. */
#include "sandbox/podcfg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/netaddr.h"

#define POD_MAX_NAMESERVERS 3 /* glibc MAXNS */
#define POD_MAX_SEARCHES 32

static const char *const macvlan_modes[] = {
    [SANDBOX_MACVLAN_BRIDGE] = "bridge",
    [SANDBOX_MACVLAN_PRIVATE] = "private",
    [SANDBOX_MACVLAN_VEPA] = "vepa",
    [SANDBOX_MACVLAN_PASSTHRU] = "passthru",
};

const char *sandbox_macvlan_mode_to_string(enum sandbox_macvlan_mode m)
{
    if ((unsigned)m >= TK_ARRAY_SIZE(macvlan_modes))
        return NULL;
    return macvlan_modes[m];
}

int sandbox_macvlan_mode_from_string(const char *s, enum sandbox_macvlan_mode *out)
{
    for (size_t i = 0; s && i < TK_ARRAY_SIZE(macvlan_modes); i++) {
        if (strcmp(s, macvlan_modes[i]) == 0) {
            *out = (enum sandbox_macvlan_mode)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* FNV-1a, 64 bits: small, stable across builds and hosts. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void sandbox_derive_mac(const char *pod, const char *iface, unsigned char mac[6])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv1a(h, "tank-mac:");
    h = fnv1a(h, pod);
    h = fnv1a(h, "/");
    h = fnv1a(h, iface);
    for (int i = 0; i < 6; i++)
        mac[i] = (unsigned char)(h >> (8 * i));
    mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

void sandbox_format_mac(const unsigned char mac[6], char *out, size_t size)
{
    snprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

/* ---- checking a config before anything is touched --------------------------------- */

/* A word of resolv.conf: printable, no blanks (which would split or add lines). */
static bool is_word(const char *s)
{
    if (!s || !*s || strlen(s) > 253)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

static int check_iface_addrs(const struct sandbox_iface *f, struct tk_err *err)
{
    bool has[2] = {false, false}, gw[2] = {false, false};
    for (size_t j = 0; j < f->n_addresses; j++) {
        int family, prefix;
        unsigned char a[16];
        if (tk_parse_cidr(f->addresses[j], &family, a, &prefix) < 0)
            return tk_err_set(err, -EINVAL, "interface '%s': address '%s' is not a CIDR", f->name,
                              f->addresses[j] ? f->addresses[j] : "");
        has[family == AF_INET6] = true;
    }
    if (f->n_gateways > 2)
        return tk_err_set(err, -EINVAL, "interface '%s': more than 2 gateways", f->name);
    for (size_t j = 0; j < f->n_gateways; j++) {
        int family;
        unsigned char a[16];
        if (tk_parse_ip(f->gateways[j], &family, a) < 0)
            return tk_err_set(err, -EINVAL, "interface '%s': gateway '%s' is not an IP address",
                              f->name, f->gateways[j] ? f->gateways[j] : "");
        int v6 = family == AF_INET6;
        if (gw[v6])
            return tk_err_set(err, -EINVAL, "interface '%s': two IPv%d gateways", f->name,
                              v6 ? 6 : 4);
        bool link_local = v6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80; /* fe80::/10 */
        if (!has[v6] && !link_local)
            return tk_err_set(err, -EINVAL, "interface '%s': gateway '%s' needs an IPv%d address",
                              f->name, f->gateways[j], v6 ? 6 : 4);
        gw[v6] = true;
    }
    return 0;
}

static int check_ifaces(const struct sandbox_pod_config *cfg, struct tk_err *err)
{
    if (cfg->host_network && cfg->n_ifaces)
        return tk_err_set(err, -EINVAL, "a hostNetwork pod cannot have interfaces");
    for (size_t i = 0; i < cfg->n_ifaces; i++) {
        const struct sandbox_iface *f = &cfg->ifaces[i];
        if (!tk_is_ifname(f->name) || strcmp(f->name, "lo") == 0)
            return tk_err_set(err, -EINVAL, "interface name '%s' is not valid",
                              f->name ? f->name : "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->ifaces[j].name, f->name) == 0)
                return tk_err_set(err, -EINVAL, "interface '%s' is given twice", f->name);
        if (!tk_is_ifname(f->parent))
            return tk_err_set(err, -EINVAL, "interface '%s': uplink name '%s' is not valid",
                              f->name, f->parent ? f->parent : "");
        if (!sandbox_macvlan_mode_to_string(f->mode))
            return tk_err_set(err, -EINVAL, "interface '%s': unknown macvlan mode", f->name);
        unsigned char mac[6];
        if (f->mac && (tk_parse_mac(f->mac, mac) < 0 || (mac[0] & 1)))
            return tk_err_set(err, -EINVAL, "interface '%s': mac '%s' is not a unicast address",
                              f->name, f->mac);
        int r = check_iface_addrs(f, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int check_dns_volumes(const struct sandbox_pod_config *cfg, struct tk_err *err)
{
    if (cfg->n_nameservers > POD_MAX_NAMESERVERS)
        return tk_err_set(err, -EINVAL, "more than %d nameservers", POD_MAX_NAMESERVERS);
    for (size_t i = 0; i < cfg->n_nameservers; i++) {
        int family;
        unsigned char a[16];
        if (tk_parse_ip(cfg->nameservers[i], &family, a) < 0)
            return tk_err_set(err, -EINVAL, "nameserver '%s' is not an IP address",
                              cfg->nameservers[i] ? cfg->nameservers[i] : "");
    }
    if (cfg->n_searches > POD_MAX_SEARCHES)
        return tk_err_set(err, -EINVAL, "more than %d search domains", POD_MAX_SEARCHES);
    for (size_t i = 0; i < cfg->n_searches; i++)
        if (!is_word(cfg->searches[i]))
            return tk_err_set(err, -EINVAL, "search domain '%s' is not valid",
                              cfg->searches[i] ? cfg->searches[i] : "");
    for (size_t i = 0; i < cfg->n_options; i++)
        if (!is_word(cfg->options[i]))
            return tk_err_set(err, -EINVAL, "dns option '%s' is not valid",
                              cfg->options[i] ? cfg->options[i] : "");
    for (size_t i = 0; i < cfg->n_volumes; i++) {
        const struct sandbox_volume *v = &cfg->volumes[i];
        if (!tk_is_dns_label(v->name))
            return tk_err_set(err, -EINVAL, "volume name '%s' is not valid",
                              v->name ? v->name : "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->volumes[j].name, v->name) == 0)
                return tk_err_set(err, -EINVAL, "volume '%s' is given twice", v->name);
        if (v->kind == SANDBOX_VOLUME_HOST_PATH && (!v->host_path || v->host_path[0] != '/'))
            return tk_err_set(err, -EINVAL, "volume '%s': hostPath '%s' is not absolute", v->name,
                              v->host_path ? v->host_path : "");
    }
    return 0;
}

int podcfg_check(const struct sandbox_pod_config *cfg, struct tk_err *err)
{
    if (!cfg->run_dir || cfg->run_dir[0] != '/' || !cfg->state_dir || cfg->state_dir[0] != '/')
        return tk_err_set(err, -EINVAL, "run and state directories must be absolute paths");
    if (!tk_is_dns_label(cfg->name))
        return tk_err_set(err, -EINVAL, "pod name '%s' is not a DNS-1123 label",
                          cfg->name ? cfg->name : "");
    if (cfg->userns && cfg->host_network)
        return tk_err_set(err, -EINVAL, "a hostNetwork pod cannot have its own user namespace");
    if (cfg->hostname && !tk_is_dns_label(cfg->hostname))
        return tk_err_set(err, -EINVAL, "hostname '%s' is not a DNS-1123 label", cfg->hostname);
    int r = check_ifaces(cfg, err);
    return r < 0 ? r : check_dns_volumes(cfg, err);
}
