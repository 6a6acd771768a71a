#pragma once
/*
 * Internal to sandbox/: a pod's network configuration. libnl-route-3 stays inside
 * netlink.c; nothing here exposes its types.
 */
#include <stddef.h>

#include "base/err.h"
#include "sandbox/podsandbox.h"

/* Bring lo up in the calling thread's network namespace. */
int podnet_lo_up(struct tk_err *err);

/*
 * Create the pod's interfaces. The calling thread must be in the pod's network namespace,
 * pod_ns_fd an fd of it; host_ns_fd is an fd of the namespace holding the parents. Each
 * macvlan is created by a request sent in host_ns_fd's namespace that places it directly
 * into the pod's namespace with its final name and MAC (so no link ever appears on the host
 * side), is brought up, gets its addresses (IPv4 ones probed first for probe_ms when not 0,
 * see sandbox_pod_config), its default routes, and is announced.
 * Meant for a disposable child: it switches the calling thread's network namespace back and
 * forth and ends in the pod's. On failure the links it created are deleted again.
 */
int podnet_setup(int host_ns_fd, int pod_ns_fd, const char *pod, const struct sandbox_iface *ifaces,
                 size_t n, unsigned int probe_ms, struct tk_err *err);

/* Delete every link but lo in the calling thread's network namespace. Returns the number
 * deleted, or < 0 with err set. */
int podnet_delete_links(struct tk_err *err);
