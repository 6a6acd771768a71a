/* Pod sandboxes: namespaces kept by bind mounts, /etc files, lifecycle. See podsandbox.h. */
#include "sandbox/podsandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sort.h"
#include "base/buf.h"
#include "base/child.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/netaddr.h"
#include "sandbox/netlink.h"
#include "sandbox/podcfg.h"
#include "sandbox/podinit.h"
#include "sandbox/podvol.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define POD_PATH_MAX 4096
#define POD_MARKER "created" /* written last: the pod is complete */
/* Room for the three files and what a container writes into them; inodes for them and the
 * temporary file of a rewrite. */
#define POD_ETC_OPTS "mode=0700,size=1m,nr_inodes=16"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* ---- the pod's /etc files ---------------------------------------------------------- */

static int write_pod_file(const char *dir, const char *file, const struct tk_buf *b,
                          struct tk_err *err)
{
    char path[POD_PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
        return tk_err_set(err, -ENAMETOOLONG, "write '%s': path too long", file);
    const char *s = tk_buf_str(b);
    int r = tk_write_file_replace(path, s, strlen(s), 0644);
    return r < 0 ? tk_err_sys(err, r, "write '%s'", path) : 0;
}

/* The pod's own address for /etc/hosts: the first interface's first address. */
static void hosts_address(const struct sandbox_pod_config *cfg, char *out, size_t size)
{
    snprintf(out, size, "127.0.1.1");
    if (cfg->n_ifaces == 0 || cfg->ifaces[0].n_addresses == 0)
        return;
    const char *a = cfg->ifaces[0].addresses[0];
    size_t n = strcspn(a, "/");
    if (n < size)
        snprintf(out, size, "%.*s", (int)n, a);
}

/* POD/etc: a small tmpfs that only root can enter, where nothing is a device or runs: the
 * files are the container's to write (as in Kubernetes), never a set-id program for a host
 * user, and a container that fills them fills 1 MiB of its own, not run_dir. */
static int mount_etc(const char *pod_dir, char *etc, size_t size, struct tk_err *err)
{
    if ((size_t)snprintf(etc, size, "%s/" SANDBOX_POD_ETC, pod_dir) >= size)
        return tk_err_set(err, -ENAMETOOLONG, "create '%s/" SANDBOX_POD_ETC "': path too long",
                          pod_dir);
    if (mkdir(etc, 0700) < 0)
        return tk_err_sys(err, -errno, "create '%s'", etc);
    if (mount("tmpfs", etc, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, POD_ETC_OPTS) < 0)
        return tk_err_sys(err, -errno, "mount a tmpfs on '%s'", etc);
    return 0;
}

static int write_etc_files(const struct sandbox_pod_config *cfg, const char *pod_dir,
                           struct tk_err *err)
{
    char dir[POD_PATH_MAX];
    int r = mount_etc(pod_dir, dir, sizeof(dir), err);
    if (r < 0)
        return r;
    const char *host = cfg->hostname ? cfg->hostname : cfg->name;
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s\n", host);
    r = write_pod_file(dir, "hostname", &b, err);
    if (r < 0)
        return r;

    char addr[64];
    hosts_address(cfg, addr, sizeof(addr));
    tk_buf_reset(&b);
    tk_buf_addf(&b,
                "# written by tank for pod %s\n"
                "127.0.0.1\tlocalhost\n"
                "::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
                "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
                "%s\t%s\n",
                cfg->name, addr, host);
    if ((r = write_pod_file(dir, "hosts", &b, err)) < 0)
        return r;

    tk_buf_reset(&b);
    tk_buf_addf(&b, "# written by tank for pod %s\n", cfg->name);
    for (size_t i = 0; i < cfg->n_nameservers; i++)
        tk_buf_addf(&b, "nameserver %s\n", cfg->nameservers[i]);
    if (cfg->n_searches) {
        tk_buf_adds(&b, "search");
        for (size_t i = 0; i < cfg->n_searches; i++)
            tk_buf_addf(&b, " %s", cfg->searches[i]);
        tk_buf_addc(&b, '\n');
    }
    if (cfg->n_options) {
        tk_buf_adds(&b, "options");
        for (size_t i = 0; i < cfg->n_options; i++)
            tk_buf_addf(&b, " %s", cfg->options[i]);
        tk_buf_addc(&b, '\n');
    }
    return write_pod_file(dir, "resolv.conf", &b, err);
}

/* ---- namespaces ------------------------------------------------------------------- */

static const char *const ns_names[] = {"uts", "ipc", "net"};
/* The namespaces a userns pod keeps: the user namespace first, which owns the others. */
static const char *const userns_names[] = {"user", "uts", "ipc", "net"};

/* Detach every mount stacked on path; "not mounted" and "absent" are success. */
static int unmount_all(const char *path)
{
    for (int i = 0; i < 64; i++)
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            return errno == EINVAL || errno == ENOENT ? 0 : -errno;
    return -EBUSY;
}

/* POD/ns as a private bind mount of itself, with an empty file per namespace. */
static int prepare_ns_dir(const char *pod_dir, bool host_network, bool userns, struct tk_err *err)
{
    char ns[POD_PATH_MAX], file[POD_PATH_MAX];
    snprintf(ns, sizeof(ns), "%s/ns", pod_dir);
    if (mkdir(ns, 0755) < 0)
        return tk_err_sys(err, -errno, "create '%s'", ns);
    if (mount(ns, ns, NULL, MS_BIND, NULL) < 0 || mount(NULL, ns, NULL, MS_PRIVATE, NULL) < 0)
        return tk_err_sys(err, -errno, "make '%s' a private mount", ns);
    for (size_t i = 0; i < TK_ARRAY_SIZE(userns_names); i++) {
        if ((host_network && strcmp(userns_names[i], "net") == 0) ||
            (!userns && strcmp(userns_names[i], "user") == 0))
            continue;
        snprintf(file, sizeof(file), "%s/%s", ns, userns_names[i]);
        int fd = open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd < 0)
            return tk_err_sys(err, -errno, "create '%s'", file);
        close(fd);
    }
    return 0;
}

/* In the helper child: the namespaces of a userns pod, made by a holder process (a user
 * namespace must be created by the process that is to be in it; its maps are written from
 * outside), bound into POD/ns; then the helper joins the uts, ipc and net ones. The helper
 * stays in the host's user namespace, whose root may configure namespaces the pod's owns. */
static int userns_namespaces(uint32_t start, int flags, const char *pod_dir, struct tk_err *err)
{
    pid_t holder;
    int release;
    int r = sandbox_userns_holder(start, flags, &holder, &release, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < TK_ARRAY_SIZE(userns_names) && r == 0; i++) {
        char src[64], dst[POD_PATH_MAX];
        snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)holder, userns_names[i]);
        snprintf(dst, sizeof(dst), "%s/ns/%s", pod_dir, userns_names[i]);
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
            r = tk_err_sys(err, -errno, "bind %s namespace onto '%s'", userns_names[i], dst);
    }
    for (size_t i = 1; i < TK_ARRAY_SIZE(userns_names) && r == 0; i++) {
        char path[POD_PATH_MAX];
        snprintf(path, sizeof(path), "%s/ns/%s", pod_dir, userns_names[i]);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, 0) < 0)
            r = tk_err_sys(err, -errno, "join the pod's %s namespace", userns_names[i]);
    }
    sandbox_userns_holder_end(holder, release);
    return r;
}

/* In the helper child: new namespaces, bound into POD/ns, then configured. */
static int ns_child_run(const struct sandbox_pod_config *cfg, uint32_t userns_start,
                        const char *pod_dir, struct tk_err *err)
{
    _cleanup_close_ int host_fd = -1;
    _cleanup_close_ int pod_fd = -1;
    if (cfg->n_ifaces) {
        const char *up = cfg->uplink_netns ? cfg->uplink_netns : "/proc/self/ns/net";
        if ((host_fd = open(up, O_RDONLY | O_CLOEXEC)) < 0)
            return tk_err_sys(err, -errno, "open uplink network namespace '%s'", up);
    }
    /* hostIPC: the helper keeps the host's IPC namespace, bound as the pod's below. */
    int flags =
        CLONE_NEWUTS | (cfg->host_ipc ? 0 : CLONE_NEWIPC) | (cfg->host_network ? 0 : CLONE_NEWNET);
    if (userns_start) {
        int r = userns_namespaces(userns_start, flags, pod_dir, err);
        if (r < 0)
            return r;
    } else if (unshare(flags) < 0) {
        return tk_err_sys(err, -errno, "create namespaces");
    }
    const char *host = cfg->hostname ? cfg->hostname : cfg->name;
    if (sethostname(host, strlen(host)) < 0)
        return tk_err_sys(err, -errno, "set hostname '%s'", host);
    for (size_t i = 0; !userns_start && i < TK_ARRAY_SIZE(ns_names); i++) {
        if (cfg->host_network && strcmp(ns_names[i], "net") == 0)
            continue;
        char src[64], dst[POD_PATH_MAX];
        snprintf(src, sizeof(src), "/proc/self/ns/%s", ns_names[i]);
        snprintf(dst, sizeof(dst), "%s/ns/%s", pod_dir, ns_names[i]);
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
            return tk_err_sys(err, -errno, "bind %s namespace onto '%s'", ns_names[i], dst);
    }
    if (cfg->host_network)
        return 0;
    int r = podnet_lo_up(err);
    if (r < 0)
        return r;
    if ((pod_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
        return tk_err_sys(err, -errno, "open the pod network namespace");
    return podnet_setup(host_fd, pod_fd, cfg->name, cfg->ifaces, cfg->n_ifaces, cfg->probe_ms, err);
}

struct create_args {
    const struct sandbox_pod_config *cfg;
    const char *pod_dir;
    uint32_t userns_start; /* 0 = no user namespace */
};

static int create_child(void *arg, int fd, void *out, struct tk_err *err)
{
    const struct create_args *a = arg;
    int r = ns_child_run(a->cfg, a->userns_start, a->pod_dir, err);
    if (r == 0 && a->cfg->share_pid)
        r = podinit_start(a->pod_dir, err);
    return r;
}

/* A pod creation under way: its namespace child, and what the end of it needs. */
struct sandbox_pod_creation {
    struct tk_child child; /* the namespace child (pid 0 once reaped) */
    int64_t deadline_ms;
    char name[POD_PATH_MAX], run_dir[POD_PATH_MAX], state_dir[POD_PATH_MAX], dir[POD_PATH_MAX];
    struct tk_buf marker; /* written last: the pod is complete */
};

void sandbox_pod_creation_free(struct sandbox_pod_creation *c, int kill_it)
{
    if (!c)
        return;
    if (c->child.pid > 0 && kill_it)
        tk_child_kill(&c->child);
    else if (c->child.fd >= 0)
        close(c->child.fd);
    tk_buf_free(&c->marker);
    free(c);
}

int sandbox_pod_creation_fd(const struct sandbox_pod_creation *c)
{
    return c->child.fd;
}

int64_t sandbox_pod_creation_deadline_ms(const struct sandbox_pod_creation *c)
{
    return c->deadline_ms;
}

/* Everything but the namespaces, then their child started. */
static int create_begin(const struct sandbox_pod_config *cfg, struct sandbox_pod_creation *c,
                        struct tk_err *err)
{
    uint32_t start = 0;
    int r = write_etc_files(cfg, c->dir, err);
    if (r < 0)
        return r;
    if (cfg->userns && (r = sandbox_userns_alloc(cfg->state_dir, cfg->name, cfg->userns_ranges,
                                                 cfg->n_userns_ranges, &start, err)) < 0)
        return r;
    if ((r = podvol_setup(cfg, cfg->userns ? (uid_t)start : (uid_t)-1, err)) < 0)
        return r;
    if ((r = prepare_ns_dir(c->dir, cfg->host_network, cfg->userns, err)) < 0)
        return r;
    if (cfg->userns)
        tk_buf_addf(&c->marker, "userns=%" PRIu32 "\n", start);
    if (cfg->share_pid)
        tk_buf_adds(&c->marker, "share_pid=1\n");
    tk_buf_addf(&c->marker, "host_network=%d\nifaces=", cfg->host_network ? 1 : 0);
    for (size_t i = 0; i < cfg->n_ifaces; i++)
        tk_buf_addf(&c->marker, "%s%s", i ? " " : "", cfg->ifaces[i].name);
    tk_buf_addc(&c->marker, '\n');
    struct create_args a = {cfg, c->dir, start};
    return tk_child_begin(&c->child, create_child, &a, 0, 0, err);
}

/* The creation's record, or NULL with err set (the pod's run directory not made yet). */
static struct sandbox_pod_creation *creation_new(const struct sandbox_pod_config *cfg,
                                                 struct tk_err *err)
{
    struct sandbox_pod_creation *c = calloc(1, sizeof(*c));
    if (!c) {
        tk_err_sys(err, -ENOMEM, "create pod '%s'", cfg->name);
        return NULL;
    }
    c->child.fd = -1;
    c->marker = (struct tk_buf)TK_BUF_INIT;
    if (sandbox_pod_path(c->dir, sizeof(c->dir) - 64, cfg->run_dir, cfg->name, NULL) < 0) {
        free(c);
        tk_err_set(err, -ENAMETOOLONG, "create pod '%s': run directory path too long", cfg->name);
        return NULL;
    }
    snprintf(c->name, sizeof(c->name), "%s", cfg->name);
    snprintf(c->run_dir, sizeof(c->run_dir), "%s", cfg->run_dir);
    snprintf(c->state_dir, sizeof(c->state_dir), "%s", cfg->state_dir);
    return c;
}

int sandbox_pod_create_begin(const struct sandbox_pod_config *cfg,
                             struct sandbox_pod_creation **out, struct tk_err *err)
{
    *out = NULL;
    int r = podcfg_check(cfg, err);
    if (r < 0)
        return tk_err_wrap(err, "create pod '%s'", cfg->name ? cfg->name : "");
    char pods[POD_PATH_MAX];
    if (sandbox_pod_path(pods, sizeof(pods), cfg->run_dir, "", NULL) < 0)
        return tk_err_set(err, -ENAMETOOLONG, "create pod '%s': run directory path too long",
                          cfg->name);
    struct sandbox_pod_creation *c = creation_new(cfg, err);
    if (!c)
        return err && err->code ? err->code : -ENOMEM;
    if ((r = tk_mkdir_p(pods, 0700)) < 0) {
        sandbox_pod_creation_free(c, 1);
        return tk_err_sys(err, r, "create pod '%s': create '%s'", cfg->name, pods);
    }
    if (mkdir(c->dir, 0700) < 0) {
        r = -errno;
        sandbox_pod_creation_free(c, 1);
        if (r == -EEXIST)
            return tk_err_set(err, -EEXIST, "create pod '%s': already exists", cfg->name);
        return tk_err_sys(err, r, "create pod '%s': create the pod directory", cfg->name);
    }
    r = create_begin(cfg, c, err);
    if (r < 0) {
        tk_err_wrap(err, "create pod '%s'", cfg->name);
        sandbox_pod_destroy(cfg->run_dir, cfg->state_dir, cfg->name, NULL);
        sandbox_pod_creation_free(c, 1);
        return r;
    }
    c->deadline_ms = tk_now_monotonic_ms() + SANDBOX_POD_CREATE_TIMEOUT_MS;
    *out = c;
    return 0;
}

int sandbox_pod_create_advance(struct sandbox_pod_creation *c, struct tk_err *err)
{
    if (c->child.pid <= 0)
        return tk_err_set(err, -EINVAL, "create pod '%s': already over", c->name);
    int r = tk_child_end_by(&c->child, c->deadline_ms, SANDBOX_POD_CREATE_TIMEOUT_MS / 1000,
                            "the namespace helper", err);
    if (r == 1)
        return 1;
    if (r == 0)
        r = write_pod_file(c->dir, POD_MARKER, &c->marker, err);
    if (r < 0) {
        tk_err_wrap(err, "create pod '%s'", c->name);
        sandbox_pod_destroy(c->run_dir, c->state_dir, c->name, NULL);
    }
    return r;
}

int sandbox_pod_create(const struct sandbox_pod_config *cfg, struct tk_err *err)
{
    struct sandbox_pod_creation *c;
    int r = sandbox_pod_create_begin(cfg, &c, err);
    if (r < 0)
        return r;
    while ((r = sandbox_pod_create_advance(c, err)) == 1) {
        int64_t left = c->deadline_ms - tk_now_monotonic_ms();
        struct pollfd p = {.fd = c->child.fd, .events = POLLIN};
        poll(&p, 1, left < 0 ? 0 : (int)left);
    }
    sandbox_pod_creation_free(c, 0);
    return r;
}

/* ---- removal and checks ------------------------------------------------------------ */

static bool is_nsfs(const char *path)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

static int delete_links_child(void *arg, int chan, void *out, struct tk_err *err)
{
    _cleanup_close_ int fd = open(arg, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
        return tk_err_sys(err, -errno, "enter '%s'", (const char *)arg);
    int r = podnet_delete_links(err);
    return r < 0 ? r : 0;
}

int sandbox_pod_destroy(const char *run_dir, const char *state_dir, const char *name,
                        struct tk_err *err)
{
    char dir[POD_PATH_MAX], ns[POD_PATH_MAX], file[POD_PATH_MAX];
    if (!tk_is_dns_label(name))
        return tk_err_set(err, -EINVAL, "destroy pod '%s': not a valid pod name", name);
    if (sandbox_pod_path(dir, sizeof(dir) - 64, run_dir, name, NULL) < 0)
        return tk_err_set(err, -ENAMETOOLONG, "destroy pod '%s': path too long", name);
    snprintf(ns, sizeof(ns), "%s/ns", dir);
    int first = 0;
    struct tk_err e = {0};
    snprintf(file, sizeof(file), "%s/net", ns);
    if (is_nsfs(file) &&
        tk_child_run(delete_links_child, file, NULL, 0, 0, "the link remover", &e) < 0)
        first = tk_err_wrap(&e, "delete interfaces");
    podinit_kill(dir); /* shareProcessNamespace: its init, and what is left in it */
    snprintf(file, sizeof(file), "%s/pid", ns);
    int r = unmount_all(file);
    if (r < 0 && !first)
        first = tk_err_sys(&e, r, "unmount '%s'", file);
    for (size_t i = 0; i < TK_ARRAY_SIZE(userns_names); i++) {
        snprintf(file, sizeof(file), "%s/%s", ns, userns_names[i]);
        r = unmount_all(file);
        if (r < 0 && !first)
            first = tk_err_sys(&e, r, "unmount '%s'", file);
    }
    r = unmount_all(ns);
    if (r < 0 && !first)
        first = tk_err_sys(&e, r, "unmount '%s'", ns);
    snprintf(file, sizeof(file), "%s/" SANDBOX_POD_ETC, dir);
    if ((r = unmount_all(file)) < 0 && !first)
        first = tk_err_sys(&e, r, "unmount '%s'", file);
    if ((r = tk_rm_rf(dir)) < 0 && !first)
        first = tk_err_sys(&e, r, "remove '%s'", dir);
    if (state_dir && (r = podvol_teardown(state_dir, name, &e)) < 0 && !first)
        first = r;
    /* The id range goes only once no emptyDir holds files of it. */
    if (state_dir && r == 0 && (r = sandbox_userns_release(state_dir, name)) < 0 && !first)
        first = tk_err_sys(&e, r, "release the user namespace range");
    if (first < 0) {
        tk_err_set(err, first, "%s", e.msg);
        return tk_err_wrap(err, "destroy pod '%s'", name);
    }
    return 0;
}

struct ifaces_args {
    const char *netns;
    const char *pod;
    char *names; /* "eth0 net1" */
};

/* In a child: every interface named is present and up in the pod's netns. */
static int ifaces_present_child(void *arg, int chan, void *out, struct tk_err *err)
{
    const struct ifaces_args *a = arg;
    _cleanup_close_ int fd = open(a->netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
        return tk_err_sys(err, -errno, "pod '%s': enter its network namespace", a->pod);
    _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return tk_err_sys(err, -errno, "pod '%s': open a socket", a->pod);
    for (char *p = a->names; *p;) {
        size_t n = strcspn(p, " \n");
        struct ifreq ifr = {0};
        if (n == 0 || n >= sizeof(ifr.ifr_name))
            break;
        memcpy(ifr.ifr_name, p, n);
        if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
            return tk_err_set(err, -ENODEV, "pod '%s': interface '%s' is gone", a->pod,
                              ifr.ifr_name);
        if (!(ifr.ifr_flags & IFF_UP))
            return tk_err_set(err, -ENETDOWN, "pod '%s': interface '%s' is down", a->pod,
                              ifr.ifr_name);
        p += n;
        p += *p == ' ';
    }
    return 0;
}

/* The interfaces the completion marker lists, checked in the pod's netns. */
static int check_ifaces_present(const char *dir, const char *name, char *marker, struct tk_err *err)
{
    char *line = strstr(marker, "\nifaces=");
    if (!line)
        return 0;
    line += strlen("\nifaces=");
    line[strcspn(line, "\n")] = '\0';
    if (!*line)
        return 0;
    char netns[POD_PATH_MAX];
    snprintf(netns, sizeof(netns), "%s/ns/net", dir);
    struct ifaces_args a = {netns, name, line};
    return tk_child_run(ifaces_present_child, &a, NULL, 0, 0, "the interface check", err);
}

/* POD/etc is the pod's tmpfs. A pod made before that tmpfs existed keeps its files in POD/
 * (its containers have them bound): it stays sound, but its directory becomes 0700, so no
 * other host user reaches what its containers wrote there. */
static int check_etc(const char *dir, const char *name, struct tk_err *err)
{
    char etc[POD_PATH_MAX];
    snprintf(etc, sizeof(etc), "%s/" SANDBOX_POD_ETC, dir);
    struct statfs sf;
    if (statfs(etc, &sf) == 0)
        return sf.f_type == TMPFS_MAGIC
                   ? 0
                   : tk_err_set(err, -EIO, "pod '%s': its /etc files are not mounted", name);
    if (errno != ENOENT)
        return tk_err_sys(err, -errno, "check pod '%s': '%s'", name, etc);
    if (chmod(dir, 0700) < 0)
        return tk_err_sys(err, -errno, "check pod '%s': chmod '%s'", name, dir);
    return 0;
}

int sandbox_pod_check(const char *run_dir, const char *name, struct tk_err *err)
{
    char dir[POD_PATH_MAX], file[POD_PATH_MAX];
    if (!tk_is_dns_label(name) || sandbox_pod_path(dir, sizeof(dir) - 64, run_dir, name, NULL) < 0)
        return tk_err_set(err, -EINVAL, "check pod '%s': not a valid pod name", name);
    struct stat st;
    if (lstat(dir, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return tk_err_sys(err, -errno, "check pod '%s'", name);
    }
    snprintf(file, sizeof(file), "%s/%s", dir, POD_MARKER);
    _cleanup_free_ char *marker = NULL;
    if (tk_read_file(file, 4096, &marker, NULL) < 0)
        return tk_err_set(err, -EIO, "pod '%s' is incomplete: its creation did not finish", name);
    bool host_network = strstr(marker, "host_network=1") != NULL;
    bool userns = strstr(marker, "userns=") != NULL;
    for (size_t i = 0; i < TK_ARRAY_SIZE(userns_names); i++) {
        const char *ns = userns_names[i];
        if ((host_network && strcmp(ns, "net") == 0) || (!userns && strcmp(ns, "user") == 0))
            continue;
        snprintf(file, sizeof(file), "%s/ns/%s", dir, ns);
        if (!is_nsfs(file))
            return tk_err_set(err, -EIO, "pod '%s': its %s namespace is gone", name, ns);
    }
    snprintf(file, sizeof(file), "%s/ns/pid", dir);
    if (strstr(marker, "share_pid=1") && (!is_nsfs(file) || !podinit_alive(dir)))
        return tk_err_set(err, -EIO, "pod '%s': its shared PID namespace's init is gone", name);
    int r = check_etc(dir, name, err);
    if (r < 0)
        return r;
    r = host_network ? 0 : check_ifaces_present(dir, name, marker, err);
    return r < 0 ? r : 1;
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the entries of dir/pods to *v (count *n, capacity *cap). */
static int list_dir(const char *base, char ***v, size_t *n, size_t *cap, struct tk_err *err)
{
    char dir[POD_PATH_MAX];
    if (sandbox_pod_path(dir, sizeof(dir), base, NULL, NULL) < 0) /* RUN_DIR or STATE_DIR */
        return tk_err_set(err, -ENAMETOOLONG, "list pods: path too long");
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : tk_err_sys(err, -errno, "list pods in '%s'", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) || !tk_is_dns_label(de->d_name))
            continue;
        if (*n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            char **nv = realloc(*v, nc * sizeof(*nv));
            if (!nv)
                return tk_err_set(err, -ENOMEM, "list pods: out of memory");
            *v = nv;
            *cap = nc;
        }
        if (!((*v)[*n] = strdup(de->d_name)))
            return tk_err_set(err, -ENOMEM, "list pods: out of memory");
        (*v)[++*n] = NULL;
    }
    return 0;
}

int sandbox_pod_list(const char *run_dir, const char *state_dir, char ***names, struct tk_err *err)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int r = list_dir(run_dir, &v, &n, &cap, err);
    if (r >= 0 && state_dir)
        r = list_dir(state_dir, &v, &n, &cap, err);
    if (r >= 0 && !v && !(v = calloc(1, sizeof(*v))))
        r = tk_err_set(err, -ENOMEM, "list pods: out of memory");
    if (r < 0) {
        if (v)
            v[n] = NULL;
        sandbox_pod_list_free(v);
        return r;
    }
    tk_sort(v, n, sizeof(*v), cmp_str);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(v[out - 1], v[i]) == 0)
            free(v[i]);
        else
            v[out++] = v[i];
    }
    v[out] = NULL;
    *names = v;
    return (int)out;
}

void sandbox_pod_list_free(char **names)
{
    if (!names)
        return;
    for (char **p = names; *p; p++)
        free(*p);
    free(names);
}
