/* The host seam: the host's network facts (uplink, DNS), see config.h. */
#include "agent/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"

enum { OWN_DNS, OWN_SEARCH, OWN_OPTIONS };

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static bool is_loopback(const char *addr)
{
    struct in6_addr a6;
    struct in_addr a4;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return false;
}

static void own_clear(struct host_facts *hf, int which)
{
    for (size_t i = 0; i < hf->n_own[which]; i++)
        free(hf->own[which][i]);
    hf->n_own[which] = 0;
}

static void own_add(struct host_facts *hf, int which, const char *s)
{
    if (hf->n_own[which] >= CONFIG_MAX_LIST)
        return;
    char *d = strdup(s);
    if (d)
        hf->own[which][hf->n_own[which]++] = d;
}

/* "search a b" / "options x y": the words after the keyword, replacing earlier ones (the
 * last line wins, as in the resolver). */
static void own_words(struct host_facts *hf, int which, char *rest)
{
    own_clear(hf, which);
    for (char *save = NULL, *w = strtok_r(rest, " \t\n", &save); w;
         w = strtok_r(NULL, " \t\n", &save))
        own_add(hf, which, w);
}

int host_facts_read_resolv(const char *path, struct host_facts *hf)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    for (int i = 0; i < 3; i++)
        own_clear(hf, i);
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        char *save = NULL, *key = strtok_r(line, " \t\n", &save);
        if (!key || key[0] == '#' || key[0] == ';')
            continue;
        if (!strcmp(key, "nameserver")) {
            char *addr = strtok_r(NULL, " \t\n", &save);
            if (addr && !is_loopback(addr))
                own_add(hf, OWN_DNS, addr);
        } else if (!strcmp(key, "search") || !strcmp(key, "domain")) {
            own_words(hf, OWN_SEARCH, save);
        } else if (!strcmp(key, "options")) {
            own_words(hf, OWN_OPTIONS, save);
        }
    }
    fclose(f);
    return (int)hf->n_own[OWN_DNS];
}

int host_default_route_iface(const char *routes, char *name, size_t size)
{
    FILE *f = fopen(routes, "re");
    if (!f)
        return -errno;
    char line[512], ifname[IFNAMSIZ + 1];
    unsigned long dest, metric, best = (unsigned long)-1;
    unsigned flags;
    int found = -ENOENT;
    while (fgets(line, sizeof(line), f)) {
        /* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex) */
        if (sscanf(line, "%16s %lx %*x %x %*d %*d %lu", ifname, &dest, &flags, &metric) != 4)
            continue;
        if (dest != 0 || !(flags & 0x1) || metric >= best) /* RTF_UP */
            continue;
        best = metric;
        snprintf(name, size, "%s", ifname);
        found = 0;
    }
    fclose(f);
    return found;
}

/* [host] dns empty: the host's resolv.conf, or systemd-resolved's upstream list. */
static void host_dns(struct host_facts *hf)
{
    static bool warned;
    const char *main_path = env_or("TANK_HOST_RESOLV_CONF", "/etc/resolv.conf");
    const char *resolved = env_or("TANK_HOST_RESOLVED_CONF", "/run/systemd/resolve/resolv.conf");
    if (host_facts_read_resolv(main_path, hf) > 0)
        return;
    if (host_facts_read_resolv(resolved, hf) > 0)
        return;
    for (int i = 0; i < 3; i++)
        own_clear(hf, i);
    if (!warned)
        tk_warn("host: no usable nameserver in '%s' (loopback ones are unreachable from a pod) "
                "nor in '%s': pods get none; set [host] dns",
                main_path, resolved);
    warned = true;
}

static const char *host_uplink(void)
{
    static char chosen[IFNAMSIZ + 1];
    static bool done;
    if (done)
        return chosen[0] ? chosen : NULL;
    done = true;
    const char *routes = env_or("TANK_HOST_ROUTES", "/proc/net/route");
    if (host_default_route_iface(routes, chosen, sizeof(chosen)) == 0)
        tk_info("host: uplink '%s' (the interface of the default route; [host] uplink is "
                "empty)",
                chosen);
    else
        tk_warn("host: no default route in '%s' and [host] uplink is empty: interfaces "
                "without a parent cannot be created",
                routes);
    return chosen[0] ? chosen : NULL;
}

void host_facts_get(const struct tank_config *cfg, struct host_facts *out)
{
    memset(out, 0, sizeof(*out));
    out->uplink = cfg->uplink && *cfg->uplink ? cfg->uplink : host_uplink();
    if (cfg->n_dns) {
        out->dns = (const char *const *)cfg->dns;
        out->n_dns = cfg->n_dns;
        out->dns_search = (const char *const *)cfg->dns_search;
        out->n_dns_search = cfg->n_dns_search;
        return;
    }
    host_dns(out);
    out->dns = (const char *const *)out->own[OWN_DNS];
    out->n_dns = out->n_own[OWN_DNS];
    out->dns_search = cfg->n_dns_search ? (const char *const *)cfg->dns_search
                                        : (const char *const *)out->own[OWN_SEARCH];
    out->n_dns_search = cfg->n_dns_search ? cfg->n_dns_search : out->n_own[OWN_SEARCH];
    out->dns_options = (const char *const *)out->own[OWN_OPTIONS];
    out->n_dns_options = out->n_own[OWN_OPTIONS];
}

void host_facts_free(struct host_facts *hf)
{
    for (int i = 0; i < 3; i++)
        own_clear(hf, i);
}

/* One family's addresses of ifname into b. */
static void iface_family(const struct ifaddrs *list, const char *ifname, int family,
                         struct tk_buf *b)
{
    for (const struct ifaddrs *a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != family || strcmp(a->ifa_name, ifname))
            continue;
        char text[INET6_ADDRSTRLEN];
        const void *bin = &((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr;
        if (family == AF_INET6) {
            const struct in6_addr *a6 =
                &((const struct sockaddr_in6 *)(const void *)a->ifa_addr)->sin6_addr;
            if (IN6_IS_ADDR_LINKLOCAL(a6))
                continue;
            bin = a6;
        }
        if (inet_ntop(family, bin, text, sizeof(text)))
            tk_buf_addf(b, "%s%s", b->len ? "," : "", text);
    }
}

char *host_iface_ips(const char *ifname)
{
    struct ifaddrs *list = NULL;
    struct tk_buf b = TK_BUF_INIT;
    if (ifname && *ifname && getifaddrs(&list) == 0) {
        iface_family(list, ifname, AF_INET, &b);
        iface_family(list, ifname, AF_INET6, &b);
        freeifaddrs(list);
    }
    char *out = tk_buf_detach(&b);
    return out ? out : strdup("");
}
