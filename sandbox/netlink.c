/* A pod's network configuration through libnl-route-3. See netlink.h. */
#include "sandbox/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/route.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/netaddr.h"

/* ---- netlink sockets with the kernel's errno kept -------------------------------------- */

struct nlsk {
    struct nl_sock *sk;
    int kernel_errno; /* errno of the last NLMSG_ERROR, 0 if none */
};

static int on_nl_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
    ((struct nlsk *)arg)->kernel_errno = -e->error;
    return NL_STOP;
}

static void nlsk_close(struct nlsk *s)
{
    if (s->sk)
        nl_socket_free(s->sk);
    s->sk = NULL;
}

/* A route netlink socket in the calling thread's current network namespace. */
static int nlsk_open(struct nlsk *s, struct tk_err *err)
{
    s->kernel_errno = 0;
    s->sk = nl_socket_alloc();
    if (!s->sk)
        return tk_err_set(err, -ENOMEM, "open netlink socket: out of memory");
    int r = nl_connect(s->sk, NETLINK_ROUTE);
    if (r < 0) {
        nlsk_close(s);
        return tk_err_set(err, -EIO, "open netlink socket: %s", nl_geterror(r));
    }
    nl_socket_modify_err_cb(s->sk, NL_CB_CUSTOM, on_nl_error, s);
    return 0;
}

/* The negative errno for a libnl return value r < 0 (the kernel's own when it sent one). */
static int nlsk_errno(struct nlsk *s, int r)
{
    if (s->kernel_errno > 0)
        return -s->kernel_errno;
    switch (-r) {
    case NLE_EXIST:
        return -EEXIST;
    case NLE_NODEV:
    case NLE_OBJ_NOTFOUND:
        return -ENODEV;
    case NLE_NOMEM:
        return -ENOMEM;
    case NLE_PERM:
    case NLE_NOACCESS:
        return -EPERM;
    case NLE_BUSY:
        return -EBUSY;
    case NLE_OPNOTSUPP:
        return -EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:
        return -EAFNOSUPPORT;
    default:
        return -EINVAL;
    }
}

#define NL_CALL(s, call) ((s)->kernel_errno = 0, (call))

static int nl_ifindex(struct nlsk *s, const char *name, int *ifindex)
{
    struct rtnl_link *link = NULL;
    int r = NL_CALL(s, rtnl_link_get_kernel(s->sk, 0, name, &link));
    if (r < 0)
        return nlsk_errno(s, r);
    *ifindex = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return 0;
}

static int nl_set_up(struct nlsk *s, const char *name, struct tk_err *err)
{
    struct rtnl_link *orig = NULL, *chg = NULL;
    int r = NL_CALL(s, rtnl_link_get_kernel(s->sk, 0, name, &orig));
    if (r < 0)
        return tk_err_sys(err, nlsk_errno(s, r), "find '%s'", name);
    chg = rtnl_link_alloc();
    if (!chg) {
        rtnl_link_put(orig);
        return tk_err_set(err, -ENOMEM, "bring '%s' up: out of memory", name);
    }
    rtnl_link_set_flags(chg, IFF_UP);
    r = NL_CALL(s, rtnl_link_change(s->sk, orig, chg, 0));
    rtnl_link_put(orig);
    rtnl_link_put(chg);
    if (r < 0)
        return tk_err_sys(err, nlsk_errno(s, r), "bring '%s' up", name);
    return 0;
}

int podnet_lo_up(struct tk_err *err)
{
    struct nlsk s = {0};
    int r = nlsk_open(&s, err);
    if (r < 0)
        return r;
    r = nl_set_up(&s, "lo", err);
    nlsk_close(&s);
    return r;
}

/* ---- interface creation ------------------------------------------------------------- */

static const int macvlan_kernel_modes[] = {
    [SANDBOX_MACVLAN_BRIDGE] = MACVLAN_MODE_BRIDGE,
    [SANDBOX_MACVLAN_PRIVATE] = MACVLAN_MODE_PRIVATE,
    [SANDBOX_MACVLAN_VEPA] = MACVLAN_MODE_VEPA,
    [SANDBOX_MACVLAN_PASSTHRU] = MACVLAN_MODE_PASSTHRU,
};

/* Create the macvlan through host (the parent's namespace) directly inside pod_ns_fd. */
static int macvlan_create(struct nlsk *host, int pod_ns_fd, const struct sandbox_iface *ifc,
                          const unsigned char mac[6], struct tk_err *err)
{
    int parent = 0;
    int r = nl_ifindex(host, ifc->parent, &parent);
    if (r == -ENODEV)
        return tk_err_set(err, r, "uplink '%s' not found", ifc->parent);
    if (r < 0)
        return tk_err_sys(err, r, "find uplink '%s'", ifc->parent);
    if ((unsigned)ifc->mode >= TK_ARRAY_SIZE(macvlan_kernel_modes))
        return tk_err_set(err, -EINVAL, "unknown macvlan mode %d", ifc->mode);

    struct rtnl_link *link = rtnl_link_macvlan_alloc();
    struct nl_addr *lladdr = nl_addr_build(AF_LLC, mac, 6);
    if (!link || !lladdr) {
        rtnl_link_put(link);
        nl_addr_put(lladdr);
        return tk_err_set(err, -ENOMEM, "create macvlan: out of memory");
    }
    rtnl_link_set_name(link, ifc->name);
    rtnl_link_set_link(link, parent);
    rtnl_link_set_addr(link, lladdr);
    rtnl_link_set_ns_fd(link, pod_ns_fd);
    rtnl_link_macvlan_set_mode(link, (uint32_t)macvlan_kernel_modes[ifc->mode]);
    r = NL_CALL(host, rtnl_link_add(host->sk, link, NLM_F_CREATE | NLM_F_EXCL));
    rtnl_link_put(link);
    nl_addr_put(lladdr);
    if (r >= 0)
        return 0;
    r = nlsk_errno(host, r);
    if (r == -EEXIST)
        return tk_err_set(err, r, "create macvlan on '%s': name '%s' already in use in the pod",
                          ifc->parent, ifc->name);
    if (ifc->mode == SANDBOX_MACVLAN_PASSTHRU && (r == -EINVAL || r == -EBUSY))
        return tk_err_sys(err, r,
                          "create macvlan on '%s' (mode passthru needs an uplink no other "
                          "macvlan uses)",
                          ifc->parent);
    if (r == -EADDRINUSE || r == -EBUSY)
        return tk_err_sys(err, r, "create macvlan on '%s' (mode %s)", ifc->parent,
                          sandbox_macvlan_mode_to_string(ifc->mode));
    return tk_err_sys(err, r, "create macvlan on '%s'", ifc->parent);
}

static int addr_add(struct nlsk *s, int ifindex, const char *cidr, struct tk_err *err)
{
    struct nl_addr *local = NULL;
    if (nl_addr_parse(cidr, AF_UNSPEC, &local) < 0)
        return tk_err_set(err, -EINVAL, "address '%s' is not a CIDR", cidr);
    struct rtnl_addr *a = rtnl_addr_alloc();
    if (!a) {
        nl_addr_put(local);
        return tk_err_set(err, -ENOMEM, "add address '%s': out of memory", cidr);
    }
    int family = nl_addr_get_family(local);
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_family(a, family);
    int r = rtnl_addr_set_local(a, local);
    if (family == AF_INET6)
        rtnl_addr_set_flags(a, IFA_F_NODAD); /* usable at once; no DAD wait */
    if (r >= 0)
        r = NL_CALL(s, rtnl_addr_add(s->sk, a, NLM_F_EXCL));
    rtnl_addr_put(a);
    nl_addr_put(local);
    if (r >= 0)
        return 0;
    r = nlsk_errno(s, r);
    if (r == -EEXIST)
        return tk_err_set(err, r, "add address '%s': address already assigned", cidr);
    return tk_err_sys(err, r, "add address '%s'", cidr);
}

static int default_route_add(struct nlsk *s, int ifindex, const char *gateway, struct tk_err *err)
{
    int family;
    unsigned char bin[16];
    if (tk_parse_ip(gateway, &family, bin) < 0)
        return tk_err_set(err, -EINVAL, "gateway '%s' is not an IP address", gateway);
    static const unsigned char zero[16];
    struct nl_addr *dst = nl_addr_build(family, zero, family == AF_INET ? 4 : 16);
    struct nl_addr *gw = nl_addr_build(family, bin, family == AF_INET ? 4 : 16);
    struct rtnl_route *route = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    if (!dst || !gw || !route || !nh) {
        nl_addr_put(dst);
        nl_addr_put(gw);
        rtnl_route_put(route);
        rtnl_route_nh_free(nh);
        return tk_err_set(err, -ENOMEM, "add default route: out of memory");
    }
    nl_addr_set_prefixlen(dst, 0);
    rtnl_route_set_family(route, (uint8_t)family);
    rtnl_route_set_dst(route, dst);
    rtnl_route_set_table(route, RT_TABLE_MAIN);
    rtnl_route_set_protocol(route, RTPROT_STATIC);
    rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(route, RTN_UNICAST);
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_nh_set_gateway(nh, gw);
    rtnl_route_add_nexthop(route, nh); /* the route owns nh now */
    int r = NL_CALL(s, rtnl_route_add(s->sk, route, NLM_F_EXCL));
    rtnl_route_put(route);
    nl_addr_put(dst);
    nl_addr_put(gw);
    if (r < 0)
        return tk_err_sys(err, nlsk_errno(s, r), "add default route via '%s'", gateway);
    return 0;
}

/* ---- announcements ----------------------------------------------------------------- */

/* Send a broadcast ARP request from (mac, spa) for tpa on fd. */
static int send_arp(int fd, int ifindex, const unsigned char mac[6], const unsigned char spa[4],
                    const unsigned char tpa[4], struct tk_err *err)
{
    struct ether_arp arp = {0};
    arp.arp_hrd = htons(ARPHRD_ETHER);
    arp.arp_pro = htons(ETH_P_IP);
    arp.arp_hln = 6;
    arp.arp_pln = 4;
    arp.arp_op = htons(ARPOP_REQUEST);
    memcpy(arp.arp_sha, mac, 6);
    memcpy(arp.arp_spa, spa, 4);
    memcpy(arp.arp_tpa, tpa, 4);
    struct sockaddr_ll to = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ARP),
        .sll_ifindex = ifindex,
        .sll_halen = 6,
        .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    };
    if (sendto(fd, &arp, sizeof(arp), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        return tk_err_sys(err, -errno, "send arp request");
    return 0;
}

/* A gratuitous ARP: a broadcast ARP request for our own address (sender = target). */
static int announce_arp(int ifindex, const unsigned char mac[6], const unsigned char ip[4],
                        struct tk_err *err)
{
    _cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (fd < 0)
        return tk_err_sys(err, -errno, "gratuitous arp: open packet socket");
    return send_arp(fd, ifindex, mac, ip, ip, err);
}

/* An unsolicited neighbour advertisement to all nodes (RFC 4861 7.2.6), override set. */
static int announce_na(int ifindex, const unsigned char mac[6], const unsigned char ip[16],
                       struct tk_err *err)
{
    _cleanup_close_ int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0)
        return tk_err_sys(err, -errno, "neighbour advertisement: open icmpv6 socket");
    int hops = 255;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0)
        return tk_err_sys(err, -errno, "neighbour advertisement: set socket options");
    struct {
        struct nd_neighbor_advert na;
        struct nd_opt_hdr opt;
        unsigned char lladdr[6];
    } __attribute__((packed)) pkt = {0};
    pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
    pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
    memcpy(&pkt.na.nd_na_target, ip, 16);
    pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
    pkt.opt.nd_opt_len = 1; /* units of 8 bytes */
    memcpy(pkt.lladdr, mac, 6);
    struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } control = {0};
    struct iovec iov = {.iov_base = &pkt, .iov_len = sizeof(pkt)};
    struct msghdr msg = {.msg_name = &to,
                         .msg_namelen = sizeof(to),
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = IPPROTO_IPV6;
    cm->cmsg_type = IPV6_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
    struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)ifindex};
    memcpy(&pi.ipi6_addr, ip, 16); /* sent from the address itself (NODAD: valid at once) */
    memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    if (sendmsg(fd, &msg, 0) < 0)
        return tk_err_sys(err, -errno, "neighbour advertisement: send");
    return 0;
}

/* RFC 5227 probe: an ARP request for ip from 0.0.0.0; any ARP packet from another MAC that
 * claims ip within ms milliseconds is a conflict. */
static int probe_arp(int ifindex, const unsigned char mac[6], const unsigned char ip[4],
                     unsigned int ms, struct tk_err *err)
{
    _cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (fd < 0)
        return tk_err_sys(err, -errno, "arp probe: open packet socket");
    struct sockaddr_ll me = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = ifindex};
    if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
        return tk_err_sys(err, -errno, "arp probe: bind packet socket");
    static const unsigned char none[4];
    int r = send_arp(fd, ifindex, mac, none, ip, err);
    if (r < 0)
        return r;
    int64_t deadline = tk_now_monotonic_ms() + ms;
    for (;;) {
        int64_t left = deadline - tk_now_monotonic_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return tk_err_sys(err, -errno, "arp probe: poll");
        if (n <= 0)
            continue;
        struct ether_arp arp;
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t got = recvfrom(fd, &arp, sizeof(arp), 0, (struct sockaddr *)&from, &fl);
        if (got < (ssize_t)sizeof(arp) || from.sll_pkttype == PACKET_OUTGOING)
            continue;
        if (memcmp(arp.arp_spa, ip, 4) == 0 && memcmp(arp.arp_sha, mac, 6) != 0) {
            char ipstr[INET_ADDRSTRLEN], macstr[18];
            inet_ntop(AF_INET, ip, ipstr, sizeof(ipstr));
            sandbox_format_mac(arp.arp_sha, macstr, sizeof(macstr));
            return tk_err_set(err, -EADDRINUSE, "address '%s' is already in use by %s", ipstr,
                              macstr);
        }
    }
}

/* Announce every address of the interface; a failure is reported, not fatal to callers
 * that choose to ignore it. */
static int announce(int ifindex, const struct sandbox_iface *ifc, const unsigned char mac[6],
                    struct tk_err *err)
{
    for (size_t i = 0; i < ifc->n_addresses; i++) {
        int family, prefix;
        unsigned char ip[16];
        if (tk_parse_cidr(ifc->addresses[i], &family, ip, &prefix) < 0)
            continue;
        int r = family == AF_INET ? announce_arp(ifindex, mac, ip, err)
                                  : announce_na(ifindex, mac, ip, err);
        if (r < 0)
            return tk_err_wrap(err, "announce '%s'", ifc->addresses[i]);
    }
    return 0;
}

/* Addresses, up, routes and announcements of one interface already in the pod. */
static int iface_configure(struct nlsk *pod, const struct sandbox_iface *ifc,
                           const unsigned char mac[6], unsigned int probe_ms, struct tk_err *err)
{
    int ifindex = 0;
    int r = nl_ifindex(pod, ifc->name, &ifindex);
    if (r < 0)
        return tk_err_sys(err, r, "find '%s' in the pod", ifc->name);
    r = nl_set_up(pod, ifc->name, err);
    if (r == -EADDRINUSE) {
        char m[18];
        sandbox_format_mac(mac, m, sizeof(m));
        return tk_err_set(err, r, "bring '%s' up: mac '%s' already in use on uplink '%s'",
                          ifc->name, m, ifc->parent);
    }
    if (r < 0)
        return r;
    for (size_t i = 0; i < ifc->n_addresses; i++) {
        int family, prefix;
        unsigned char ip[16];
        if (probe_ms && tk_parse_cidr(ifc->addresses[i], &family, ip, &prefix) == 0 &&
            family == AF_INET && (r = probe_arp(ifindex, mac, ip, probe_ms, err)) < 0)
            return r;
        if ((r = addr_add(pod, ifindex, ifc->addresses[i], err)) < 0)
            return r;
    }
    for (size_t i = 0; i < ifc->n_gateways; i++)
        if ((r = default_route_add(pod, ifindex, ifc->gateways[i], err)) < 0)
            return r;
    return announce(ifindex, ifc, mac, err);
}

static int link_delete(struct nlsk *s, const char *name)
{
    struct rtnl_link *link = rtnl_link_alloc();
    if (!link)
        return -ENOMEM;
    rtnl_link_set_name(link, name);
    int r = NL_CALL(s, rtnl_link_delete(s->sk, link));
    rtnl_link_put(link);
    return r < 0 ? nlsk_errno(s, r) : 0;
}

/* Open one socket in each namespace: host_ns_fd first, then back in pod_ns_fd. */
static int open_sockets(struct nlsk *host, struct nlsk *pod, int host_ns_fd, int pod_ns_fd,
                        struct tk_err *err)
{
    if (setns(host_ns_fd, CLONE_NEWNET) < 0)
        return tk_err_sys(err, -errno, "enter the uplink network namespace");
    int r = nlsk_open(host, err);
    if (setns(pod_ns_fd, CLONE_NEWNET) < 0) {
        nlsk_close(host);
        return tk_err_sys(err, -errno, "enter the pod network namespace");
    }
    if (r < 0)
        return r;
    if ((r = nlsk_open(pod, err)) < 0)
        nlsk_close(host);
    return r;
}

int podnet_setup(int host_ns_fd, int pod_ns_fd, const char *pod_name,
                 const struct sandbox_iface *ifaces, size_t n, unsigned int probe_ms,
                 struct tk_err *err)
{
    if (n == 0)
        return 0;
    struct nlsk host = {0}, pod = {0};
    int r = open_sockets(&host, &pod, host_ns_fd, pod_ns_fd, err);
    if (r < 0)
        return r;
    size_t created = 0;
    for (; created < n; created++) {
        const struct sandbox_iface *ifc = &ifaces[created];
        unsigned char mac[6];
        if (!ifc->mac)
            sandbox_derive_mac(pod_name, ifc->name, mac);
        else if (tk_parse_mac(ifc->mac, mac) < 0) {
            r = tk_err_set(err, -EINVAL, "interface '%s': mac '%s' is not valid", ifc->name,
                           ifc->mac);
            break;
        }
        if ((r = macvlan_create(&host, pod_ns_fd, ifc, mac, err)) < 0) {
            tk_err_wrap(err, "interface '%s'", ifc->name);
            break;
        }
        if ((r = iface_configure(&pod, ifc, mac, probe_ms, err)) < 0) {
            tk_err_wrap(err, "interface '%s'", ifc->name);
            created++;
            break;
        }
    }
    if (r < 0)
        for (size_t i = 0; i < created; i++)
            link_delete(&pod, ifaces[i].name);
    nlsk_close(&host);
    nlsk_close(&pod);
    return r < 0 ? r : 0;
}

int podnet_delete_links(struct tk_err *err)
{
    struct nlsk s = {0};
    int r = nlsk_open(&s, err);
    if (r < 0)
        return r;
    struct nl_cache *cache = NULL;
    r = NL_CALL(&s, rtnl_link_alloc_cache(s.sk, AF_UNSPEC, &cache));
    if (r < 0) {
        r = tk_err_sys(err, nlsk_errno(&s, r), "list links");
        nlsk_close(&s);
        return r;
    }
    int deleted = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *link = (struct rtnl_link *)o;
        if (rtnl_link_get_flags(link) & IFF_LOOPBACK)
            continue;
        const char *name = rtnl_link_get_name(link);
        int d = NL_CALL(&s, rtnl_link_delete(s.sk, link));
        /* A device that cannot be deleted (a physical one moved in) goes back to the
         * initial namespace when the pod's namespace dies. */
        if (d < 0 && nlsk_errno(&s, d) != -ENODEV && nlsk_errno(&s, d) != -EOPNOTSUPP) {
            r = tk_err_sys(err, nlsk_errno(&s, d), "delete link '%s'", name ? name : "?");
            break;
        }
        deleted++;
    }
    nl_cache_free(cache);
    nlsk_close(&s);
    return r < 0 ? r : deleted;
}
