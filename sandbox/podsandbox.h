#pragma once
/*
 * Pod sandboxes: the namespaces a pod's containers share, the pod's network interfaces,
 * its /etc files and its pod-level volumes.
 *
 * Layout (a contract with the container code, which knows it only through these paths):
 *
 *   RUN_DIR/pods/POD/ns/net      the pod's network namespace (bind mount of an nsfs file,
 *                                as `ip netns add` keeps one); absent for hostNetwork pods
 *   RUN_DIR/pods/POD/ns/uts      the pod's UTS namespace (hostname set)
 *   RUN_DIR/pods/POD/ns/ipc      the pod's IPC namespace (the host's with hostIPC)
 *   RUN_DIR/pods/POD/ns/pid      with shareProcessNamespace only: the pod's PID namespace,
 *                                whose pid 1 is a small init of the sandbox's (RUN_DIR/pods/
 *                                POD/pidinit records it); destroy kills it
 *   RUN_DIR/pods/POD/ns/user     with userns only: the pod's user namespace, which owns
 *                                the uts, ipc and net namespaces (see sandbox/userns.h)
 *   RUN_DIR/pods/POD/            mode 0700: no other host user reaches anything below
 *   RUN_DIR/pods/POD/etc/resolv.conf, hosts, hostname
 *                                bound by containers onto /etc/resolv.conf, /etc/hosts,
 *                                /etc/hostname (writable there); etc is a tmpfs of 1 MiB,
 *                                mode 0700, nosuid,nodev,noexec. A pod made before it has the
 *                                files in POD/ itself (see sandbox_pod_etc_path())
 *   STATE_DIR/pods/POD/volumes/  mode 0700
 *   STATE_DIR/pods/POD/volumes/NAME
 *                                an emptyDir: a directory (mode 0777) bound onto itself
 *                                nosuid,nodev, or a tmpfs mounted there (nosuid,nodev) for
 *                                medium Memory; binds of it into containers keep those flags
 *
 * The RUN_DIR/pods/POD/ns directory is a bind mount of itself made private: the namespace
 * bind mounts inside it do not propagate into other mount namespaces, where they would keep
 * the namespaces alive after destroy. A mount namespace created while the pod exists holds
 * copies until it drops them (a container does when it pivots and detaches the old root).
 *
 * sandbox_pod_create() builds all of it; sandbox_pod_destroy() removes all of it, also after
 * an agent crash (it works from the paths alone). Strings in the structs below are borrowed:
 * the API never keeps a pointer after returning.
 *
 * The pod's namespaces are made by a short-lived helper child (fork, unshare, bind mounts of
 * /proc/self/ns/{net,uts,ipc}), so the caller's own namespaces never change. Needs root
 * (CAP_SYS_ADMIN, CAP_NET_ADMIN).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "sandbox/layout.h"
#include "sandbox/userns.h"

#define SANDBOX_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

enum sandbox_macvlan_mode {
    SANDBOX_MACVLAN_BRIDGE,
    SANDBOX_MACVLAN_PRIVATE,
    SANDBOX_MACVLAN_VEPA,
    SANDBOX_MACVLAN_PASSTHRU,
};

/* "bridge", "private", "vepa", "passthru"; NULL for an unknown value. */
const char *sandbox_macvlan_mode_to_string(enum sandbox_macvlan_mode m);
/* Returns 0 and sets *out, or -EINVAL for an unknown name. */
int sandbox_macvlan_mode_from_string(const char *s, enum sandbox_macvlan_mode *out);

/* One macvlan interface of a pod. */
struct sandbox_iface {
    const char *name;   /* inside the pod ("eth0"), at most SANDBOX_IFNAME_MAX chars, not "lo" */
    const char *parent; /* the uplink, in the host-side namespace (required) */
    enum sandbox_macvlan_mode mode;
    const char *mac;              /* "aa:bb:cc:dd:ee:ff" or NULL = sandbox_derive_mac(pod, name) */
    const char *const *addresses; /* CIDRs: "192.0.2.10/24", "2001:db8::10/64" */
    size_t n_addresses;
    const char *const *gateways; /* 0..2 addresses, at most one per family: the default route */
    size_t n_gateways;
};

enum sandbox_volume_kind { SANDBOX_VOLUME_EMPTY_DIR, SANDBOX_VOLUME_HOST_PATH };

/* hostPath types (Kubernetes' hostPath.type). */
enum sandbox_host_path_type {
    SANDBOX_HOSTPATH_UNSET, /* "": no check */
    SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE,
    SANDBOX_HOSTPATH_DIRECTORY,
    SANDBOX_HOSTPATH_FILE_OR_CREATE,
    SANDBOX_HOSTPATH_FILE,
    SANDBOX_HOSTPATH_SOCKET,
    SANDBOX_HOSTPATH_CHAR_DEVICE,
    SANDBOX_HOSTPATH_BLOCK_DEVICE,
};

/* One pod-level volume. */
struct sandbox_volume {
    const char *name; /* DNS-1123 label, unique in the pod */
    enum sandbox_volume_kind kind;
    /* emptyDir */
    bool medium_memory;  /* tmpfs instead of a directory */
    uint64_t size_limit; /* bytes; the tmpfs size for medium Memory (0 = tmpfs default) */
    /* hostPath */
    const char *host_path; /* absolute */
    enum sandbox_host_path_type host_path_type;
};

struct sandbox_pod_config {
    const char *run_dir;   /* RUN_DIR (e.g. /run/tank) */
    const char *state_dir; /* STATE_DIR (e.g. /var/lib/tank) */
    const char *name;      /* the pod name, a DNS-1123 label */
    const char *hostname;  /* NULL = name */
    bool host_network;     /* no pod netns: ifaces must be empty */
    bool host_ipc;         /* hostIPC: ns/ipc is the host's IPC namespace (not with userns) */
    bool share_pid;        /* shareProcessNamespace: ns/pid, held by the pod's init (podinit.h) */
    /* The namespace holding the uplinks (the "host side") as a path such as
     * /run/netns/X or /proc/PID/ns/net; NULL = the caller's network namespace. */
    const char *uplink_netns;
    const struct sandbox_iface *ifaces;
    size_t n_ifaces;
    /* resolv.conf */
    const char *const *nameservers;
    size_t n_nameservers;
    const char *const *searches;
    size_t n_searches;
    const char *const *options; /* as written in resolv.conf: "ndots:2", "rotate" */
    size_t n_options;
    const struct sandbox_volume *volumes;
    size_t n_volumes;
    /* Address conflict detection: before an IPv4 address is added, an ARP probe for it
     * (RFC 5227) is sent on the interface and answers are awaited this many milliseconds;
     * an answer from another MAC fails the create with -EADDRINUSE ("interface 'eth0':
     * address '192.0.2.10' is already in use by aa:bb:cc:dd:ee:ff"). 0 = no probe. */
    unsigned int probe_ms;
    /* User namespace (hostUsers: false): a range of 65,536 host ids is allocated from
     * userns_ranges and recorded (sandbox_userns_alloc()); the pod's uts, ipc and net
     * namespaces are made owned by a user namespace mapping ids 0..65535 to that range
     * (kept as RUN_DIR/pods/POD/ns/user), and its emptyDirs belong to the range's first id
     * (root inside). Not with host_network. The range is released by destroy. */
    bool userns;
    const struct sandbox_id_range *userns_ranges;
    size_t n_userns_ranges;
    /* fsGroup: each emptyDir is made that group's, mode 02777 (set-group-id, so what is
     * created in it is the group's too), and what it already holds group-owned and
     * group-readable and writable (directories set-group-id), as the kubelet does; with
     * on_root_mismatch only when the top directory is not so already. With userns, the
     * group is fs_group inside the pod's range (0..65535). */
    bool has_fs_group;
    uint32_t fs_group;
    bool fs_group_on_root_mismatch;
};

/*
 * Create the pod: check the config, write the pod directory and its files, prepare the
 * volumes (emptyDirs created, hostPaths checked/created per type), create the namespaces
 * (hostname set, loopback up) and the interfaces: each macvlan is created on its parent by
 * a request that places it directly into the pod's namespace with its final name and MAC
 * (so it never appears on the host side), then it is brought up, gets its addresses (IPv6
 * without DAD), its default routes, and is announced (gratuitous ARP, unsolicited NA).
 *
 * Returns 0, or < 0 with err set, the pod named first: "create pod 'web': interface 'eth0':
 * uplink 'eth9' not found", "... add address '192.0.2.10/24': address already assigned",
 * "... bring 'eth0' up: mac '02:..' already in use on uplink 'up0'". On failure everything
 * created so far is removed again. -EEXIST when the pod already exists (RUN_DIR/pods/POD
 * present): destroy it first, or adopt it.
 */
int sandbox_pod_create(const struct sandbox_pod_config *cfg, struct tk_err *err);

/*
 * The same creation in halves, for an event loop that must not wait for the namespace child
 * (its address probes take probe_ms per IPv4 address):
 *   sandbox_pod_create_begin()   everything up to that child, which it leaves running;
 *                                *creation is under way (or < 0 as from sandbox_pod_create,
 *                                nothing left behind);
 *   sandbox_pod_creation_fd()    readable once the child has ended;
 *   sandbox_pod_create_advance()    never blocks: 1 while under way, 0 once the pod is complete,
 *                                < 0 when it failed (err as from sandbox_pod_create; what was
 *                                made is removed). Call it also at
 *                                sandbox_pod_creation_deadline_ms(): past it
 *                                (SANDBOX_POD_CREATE_TIMEOUT_MS after begin) the child is
 *                                killed and the creation fails with -ETIMEDOUT;
 *   sandbox_pod_creation_free()  once over, or to give up: with kill_it the child is killed
 *                                and reaped; without, it is left to end, and the pod stays
 *                                half-built (sandbox_pod_check() says so; destroy it).
 */
#define SANDBOX_POD_CREATE_TIMEOUT_MS 60000
struct sandbox_pod_creation;
int sandbox_pod_create_begin(const struct sandbox_pod_config *cfg,
                             struct sandbox_pod_creation **creation, struct tk_err *err);
int sandbox_pod_creation_fd(const struct sandbox_pod_creation *creation);
int64_t sandbox_pod_creation_deadline_ms(const struct sandbox_pod_creation *creation);
int sandbox_pod_create_advance(struct sandbox_pod_creation *creation, struct tk_err *err);
void sandbox_pod_creation_free(struct sandbox_pod_creation *creation, int kill_it);

/*
 * Remove everything of pod name: its interfaces, the namespace bind mounts, the pod
 * directory, the emptyDir volumes (tmpfs unmounted) and STATE_DIR/pods/POD/volumes;
 * STATE_DIR/pods/POD itself is removed when it is then empty (the container code may keep
 * its own state there). Idempotent: an absent or half-built pod is fine. Processes still
 * in the pod's namespaces keep them alive, though no longer reachable by path.
 * Returns 0, or < 0 with err set when something could not be removed.
 */
int sandbox_pod_destroy(const char *run_dir, const char *state_dir, const char *name,
                        struct tk_err *err);

/*
 * Is pod name present and sound? Returns 1 when RUN_DIR/pods/POD was completely created,
 * its uts and ipc (and, unless it is a hostNetwork pod, net) namespace files are bound, its
 * etc tmpfs is mounted (a pod made before there was one is sound: its directory is made
 * 0700 here) and its interfaces are still there and up (a macvlan dies with its uplink); 0
 * when there is no such pod; < 0 with err set when it is present but damaged or half-built
 * ("pod 'web': interface 'eth0' is gone"): destroy and re-create it. Forks a short-lived
 * child when the pod has interfaces.
 */
int sandbox_pod_check(const char *run_dir, const char *name, struct tk_err *err);

/*
 * For a pod adopted from an older Tank, whose emptyDirs were plain directories: make
 * STATE_DIR/pods/POD/volumes 0700 and bind each emptyDir directory that is not nosuid,nodev
 * yet onto itself nosuid,nodev, as sandbox_pod_create() makes them (containers started from
 * then on get those flags; running ones keep their binds). Idempotent; a pod without
 * volumes is fine. Returns 0, or < 0 with err set.
 */
int sandbox_pod_adopt_volumes(const char *state_dir, const char *name, struct tk_err *err);

/*
 * The pods present on this host: names of the directories under RUN_DIR/pods and
 * STATE_DIR/pods (either may be absent) that are valid pod names, sorted, without
 * duplicates; half-built and damaged pods included (see sandbox_pod_check()). *names is a new
 * NULL-terminated array the caller frees with sandbox_pod_list_free(). Returns the count,
 * or < 0 with err set.
 */
int sandbox_pod_list(const char *run_dir, const char *state_dir, char ***names, struct tk_err *err);
void sandbox_pod_list_free(char **names);

/*
 * Check a hostPath against its type, creating it for DirectoryOrCreate (mode 0755, parents
 * too) and FileOrCreate (mode 0644, empty; the parent must exist as in Kubernetes).
 * Returns 0, or < 0 with err set: "volume 'data': hostPath '/srv/x' is not a directory".
 */
int sandbox_host_path_prepare(const char *volume, const char *path,
                              enum sandbox_host_path_type type, struct tk_err *err);

/*
 * The stable MAC of interface iface of pod pod when the manifest gives none: a locally
 * administered unicast address derived from a hash of both names, the same on every run.
 */
void sandbox_derive_mac(const char *pod, const char *iface, unsigned char mac[6]);

/* Format 6 bytes as "aa:bb:cc:dd:ee:ff" (out: at least 18 bytes). */
void sandbox_format_mac(const unsigned char mac[6], char *out, size_t size);
