/* sandbox/podsandbox.h: MAC derivation, CIDR handling, config checks, hostPath types, pod layout,
 * namespaces (hostname, loopback), and cleanup leaving nothing. Namespace cases are
 * checked fixtures that run as root only (added to the suite when euid is 0). */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "sandbox/netlink.h"
#include "base/netaddr.h"
#include "sandbox/podsandbox.h"
#include "t/testlib.h"

/* base: made in the runner's process (unchecked fixture) so that its teardown still runs
 * after a failed, forked case; tmp: one directory under it per case. */
static char base[64];
static char tmp[96];
static char run_dir[128], state_dir[128];

static void base_setup(void)
{
    snprintf(base, sizeof(base), "/tmp/tank-pod.XXXXXX");
    if (!mkdtemp(base))
        abort();
}

/* Destroy every pod under dir (its run/ and state/), whatever a case left. */
static void destroy_pods_under(const char *dir)
{
    char r[160], st[160];
    snprintf(r, sizeof(r), "%s/run", dir);
    snprintf(st, sizeof(st), "%s/state", dir);
    char **names = NULL;
    if (sandbox_pod_list(r, st, &names, NULL) < 0)
        return;
    for (char **p = names; *p; p++)
        sandbox_pod_destroy(r, st, *p, NULL);
    sandbox_pod_list_free(names);
}

static void base_teardown(void)
{
    DIR *d = opendir(base);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char dir[160];
        if (de->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
        destroy_pods_under(dir);
    }
    if (d)
        closedir(d);
    tk_rm_rf(base);
}

static void tmp_setup(void)
{
    snprintf(tmp, sizeof(tmp), "%s/case.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(run_dir, sizeof(run_dir), "%s/run", tmp);
    snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
}

static void tmp_teardown(void)
{
    destroy_pods_under(tmp);
    tk_rm_rf(tmp);
}

/* Lines of /proc/self/mountinfo that mention tmp. */
static int mounts_under_tmp(void)
{
    char *info = NULL;
    ck_assert_int_ge(tk_read_file("/proc/self/mountinfo", 1 << 22, &info, NULL), 0);
    int n = 0;
    for (char *p = info; (p = strstr(p, tmp)); p++)
        n++;
    free(info);
    return n;
}

/* ---- MAC derivation ------------------------------------------------------------------ */

static const char *const mac_names[][2] = {
    {"web", "eth0"}, {"web", "eth1"}, {"db", "eth0"}, {"a", "b"}, {"ab", ""}, {"x", "net1"},
};

START_TEST(test_mac_stable_and_local)
{
    unsigned char a[6], b[6];
    sandbox_derive_mac(mac_names[_i][0], mac_names[_i][1], a);
    sandbox_derive_mac(mac_names[_i][0], mac_names[_i][1], b);
    ck_assert_mem_eq(a, b, 6);
    ck_assert_msg((a[0] & 0x03) == 0x02, "%02x: not locally administered unicast", a[0]);
    for (int j = 0; j < _i; j++) {
        unsigned char o[6];
        sandbox_derive_mac(mac_names[j][0], mac_names[j][1], o);
        ck_assert_msg(memcmp(a, o, 6) != 0, "%s/%s and %s/%s share a mac", mac_names[_i][0],
                      mac_names[_i][1], mac_names[j][0], mac_names[j][1]);
    }
    char s[18], back[6];
    sandbox_format_mac(a, s, sizeof(s));
    ck_assert_int_eq(strlen(s), 17);
    ck_assert_int_eq(tk_parse_mac(s, (unsigned char *)back), 0);
    ck_assert_mem_eq(a, back, 6);
}
END_TEST

START_TEST(test_mode_strings)
{
    for (int m = SANDBOX_MACVLAN_BRIDGE; m <= SANDBOX_MACVLAN_PASSTHRU; m++) {
        enum sandbox_macvlan_mode back;
        const char *s = sandbox_macvlan_mode_to_string((enum sandbox_macvlan_mode)m);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(sandbox_macvlan_mode_from_string(s, &back), 0);
        ck_assert_int_eq(back, m);
    }
    enum sandbox_macvlan_mode x;
    ck_assert_int_eq(sandbox_macvlan_mode_from_string("source", &x), -EINVAL);
    ck_assert_ptr_null(sandbox_macvlan_mode_to_string((enum sandbox_macvlan_mode)17));
}
END_TEST

START_TEST(test_paths)
{
    char out[64];
    ck_assert_int_eq(sandbox_pod_path(out, sizeof(out), "/run/tank", "web", "ns/net"), 0);
    ck_assert_str_eq(out, "/run/tank/pods/web/ns/net");
    ck_assert_int_eq(sandbox_pod_path(out, sizeof(out), "/run/tank", "web", NULL), 0);
    ck_assert_str_eq(out, "/run/tank/pods/web");
    ck_assert_int_eq(sandbox_pod_volume_path(out, sizeof(out), "/var/lib/tank", "web", "data"), 0);
    ck_assert_str_eq(out, "/var/lib/tank/pods/web/volumes/data");
    ck_assert_int_eq(sandbox_pod_path(out, 10, "/run/tank", "web", NULL), -ENAMETOOLONG);
}
END_TEST

/* ---- config checks (before anything is touched) ------------------------------------- */

static const char *const a4[] = {"192.0.2.10/24"};
static const char *const a6[] = {"2001:db8::10/64"};
static const char *const bad_addr[] = {"192.0.2.10"};
static const char *const gw4[] = {"192.0.2.1"};
static const char *const gw44[] = {"192.0.2.1", "192.0.2.2"};
static const char *const bad_ns[] = {"dns.example"};
static const char *const bad_search[] = {"a b"};

static const struct {
    const char *what;
    struct sandbox_iface ifc; /* used when name set */
    const char *pod, *hostname;
    bool host_network;
    const char *const *ns;
    const char *const *search;
    const char *want;
} bad_configs[] = {
    {"bad pod name", {0}, "Web_1", NULL, false, NULL, NULL, "pod name 'Web_1' is not"},
    {"bad hostname", {0}, "web", "a.b", false, NULL, NULL, "hostname 'a.b' is not"},
    {"iface lo",
     {.name = "lo", .parent = "up0"},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "interface name 'lo' is not valid"},
    {"iface name too long",
     {.name = "eth0123456789012", .parent = "up0"},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "interface name 'eth0123456789012' is not valid"},
    {"no parent",
     {.name = "eth0"},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "interface 'eth0': uplink name '' is not valid"},
    {"multicast mac",
     {.name = "eth0", .parent = "up0", .mac = "03:00:00:00:00:01"},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "mac '03:00:00:00:00:01' is not a unicast address"},
    {"bad address",
     {.name = "eth0", .parent = "up0", .addresses = bad_addr, .n_addresses = 1},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "address '192.0.2.10' is not a CIDR"},
    {"gateway without address family",
     {.name = "eth0",
      .parent = "up0",
      .addresses = a6,
      .n_addresses = 1,
      .gateways = gw4,
      .n_gateways = 1},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "gateway '192.0.2.1' needs an IPv4 address"},
    {"two IPv4 gateways",
     {.name = "eth0",
      .parent = "up0",
      .addresses = a4,
      .n_addresses = 1,
      .gateways = gw44,
      .n_gateways = 2},
     "web",
     NULL,
     false,
     NULL,
     NULL,
     "two IPv4 gateways"},
    {"hostNetwork with interfaces",
     {.name = "eth0", .parent = "up0"},
     "web",
     NULL,
     true,
     NULL,
     NULL,
     "hostNetwork pod cannot have interfaces"},
    {"nameserver not an IP",
     {0},
     "web",
     NULL,
     false,
     bad_ns,
     NULL,
     "nameserver 'dns.example' is not an IP address"},
    {"search with a blank",
     {0},
     "web",
     NULL,
     false,
     NULL,
     bad_search,
     "search domain 'a b' is not valid"},
};

START_TEST(test_bad_config)
{
    struct sandbox_pod_config c = {.run_dir = run_dir,
                                   .state_dir = state_dir,
                                   .name = bad_configs[_i].pod,
                                   .hostname = bad_configs[_i].hostname,
                                   .host_network = bad_configs[_i].host_network,
                                   .nameservers = bad_configs[_i].ns,
                                   .n_nameservers = bad_configs[_i].ns ? 1 : 0,
                                   .searches = bad_configs[_i].search,
                                   .n_searches = bad_configs[_i].search ? 1 : 0};
    if (bad_configs[_i].ifc.name || bad_configs[_i].ifc.parent || bad_configs[_i].ifc.n_addresses) {
        c.ifaces = &bad_configs[_i].ifc;
        c.n_ifaces = 1;
    }
    struct tk_err err = {0};
    ck_assert_int_eq(sandbox_pod_create(&c, &err), -EINVAL);
    ck_assert_msg(strstr(err.msg, bad_configs[_i].want), "%s: got '%s'", bad_configs[_i].what,
                  err.msg);
    ck_assert_msg(strncmp(err.msg, "create pod '", 12) == 0, "no context: '%s'", err.msg);
    struct stat st;
    ck_assert_msg(stat(run_dir, &st) < 0 && errno == ENOENT, "%s: run dir was touched",
                  bad_configs[_i].what);
}
END_TEST

/* ---- hostPath types ------------------------------------------------------------------- */

START_TEST(test_host_path)
{
    char dir[160], file[160], sub[200];
    snprintf(dir, sizeof(dir), "%s/dir", tmp);
    snprintf(file, sizeof(file), "%s/file", tmp);
    struct tk_err err = {0};
    /* DirectoryOrCreate makes it (parents too); Directory then accepts it. */
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    ck_assert_int_eq(
        sandbox_host_path_prepare("data", sub, SANDBOX_HOSTPATH_DIRECTORY_OR_CREATE, &err), 0);
    struct stat st;
    ck_assert_int_eq(stat(sub, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(sandbox_host_path_prepare("data", sub, SANDBOX_HOSTPATH_DIRECTORY, &err), 0);
    /* FileOrCreate makes an empty file; File accepts it; Directory refuses it. */
    ck_assert_int_eq(sandbox_host_path_prepare("conf", file, SANDBOX_HOSTPATH_FILE_OR_CREATE, &err),
                     0);
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(sandbox_host_path_prepare("conf", file, SANDBOX_HOSTPATH_FILE, &err), 0);
    ck_assert_int_lt(sandbox_host_path_prepare("conf", file, SANDBOX_HOSTPATH_DIRECTORY, &err), 0);
    char want[300];
    snprintf(want, sizeof(want), "volume 'conf': hostPath '%s' is not a directory", file);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_lt(sandbox_host_path_prepare("d", dir, SANDBOX_HOSTPATH_SOCKET, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "is not a socket"));
    ck_assert_int_lt(
        sandbox_host_path_prepare("d", "/dev/null", SANDBOX_HOSTPATH_BLOCK_DEVICE, &err), 0);
    ck_assert_int_eq(
        sandbox_host_path_prepare("d", "/dev/null", SANDBOX_HOSTPATH_CHAR_DEVICE, &err), 0);
    /* Missing paths: an error for the checking types, fine when unchecked. */
    snprintf(sub, sizeof(sub), "%s/missing", tmp);
    ck_assert_int_eq(sandbox_host_path_prepare("m", sub, SANDBOX_HOSTPATH_FILE, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err.msg, "does not exist"));
    ck_assert_int_eq(sandbox_host_path_prepare("m", sub, SANDBOX_HOSTPATH_UNSET, &err), 0);
    ck_assert_int_lt(sandbox_host_path_prepare("m", "rel/x", SANDBOX_HOSTPATH_UNSET, &err), 0);
}
END_TEST

START_TEST(test_list)
{
    char p[256];
    const char *made[] = {"run/pods/web",     "run/pods/db",      "state/pods/db",
                          "state/pods/cache", "run/pods/Not_Pod", "run/pods/.tmp"};
    for (size_t i = 0; i < sizeof(made) / sizeof(*made); i++) {
        snprintf(p, sizeof(p), "%s/%s", tmp, made[i]);
        ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
    }
    char **names = NULL;
    struct tk_err err = {0};
    ck_assert_int_eq(sandbox_pod_list(run_dir, state_dir, &names, &err), 3);
    ck_assert_str_eq(names[0], "cache");
    ck_assert_str_eq(names[1], "db");
    ck_assert_str_eq(names[2], "web");
    ck_assert_ptr_null(names[3]);
    sandbox_pod_list_free(names);
    for (size_t i = 0; i < sizeof(made) / sizeof(*made); i++) {
        snprintf(p, sizeof(p), "%s/%s", tmp, made[i]);
        rmdir(p);
    }
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/none", tmp);
    ck_assert_int_eq(sandbox_pod_list(missing, missing, &names, &err), 0);
    ck_assert_ptr_null(names[0]);
    sandbox_pod_list_free(names);
}
END_TEST

/* ---- namespaces (root) ---------------------------------------------------------------- */

static void pod_file(char *out, size_t size, const char *pod, const char *rel)
{
    ck_assert_int_eq(sandbox_pod_path(out, size, run_dir, pod, rel), 0);
}

static bool is_nsfs(const char *path)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && sf.f_type == 0x6e736673;
}

/* In a child: enter ns file path (type nstype) and report on it via the exit code. */
static int probe(const char *path, int nstype, int (*fn)(void))
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, nstype) < 0)
            _exit(100);
        _exit(fn());
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int hostname_is_webhost(void)
{
    char h[65] = "";
    gethostname(h, sizeof(h) - 1);
    return strcmp(h, "webhost") == 0 ? 0 : 1;
}

static int lo_is_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return 2;
    return (ifr.ifr_flags & IFF_UP) ? 0 : 1;
}

static int only_lo(void)
{
    struct if_nameindex *ni = if_nameindex();
    int n = 0;
    for (struct if_nameindex *p = ni; p && p->if_index; p++)
        n++;
    if_freenameindex(ni);
    return n == 1 ? 0 : 1;
}

/* Mount flags (ST_*) of the mount at path, with ck asserts that it is one of type fstype. */
static unsigned long mount_flags(const char *path, long fstype)
{
    struct statfs sf;
    struct statvfs sv;
    ck_assert_int_eq(statfs(path, &sf), 0);
    ck_assert_int_eq(sf.f_type, fstype);
    ck_assert_int_eq(statvfs(path, &sv), 0);
    return sv.f_flag;
}

static void etc_file(char *out, size_t size, const char *pod, const char *file)
{
    ck_assert_int_eq(sandbox_pod_etc_path(out, size, run_dir, pod, file), 0);
}

/* The /etc files of pod "web" as test_pod_lifecycle configured it: on a tmpfs of 1 MiB,
 * nosuid,nodev,noexec, in directories only root enters. */
static void check_etc_files(void)
{
    char p[256];
    char *text = NULL;
    struct stat st;
    pod_file(p, sizeof(p), "web", NULL);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    pod_file(p, sizeof(p), "web", "etc");
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    unsigned long need = ST_NOSUID | ST_NODEV | ST_NOEXEC;
    ck_assert_int_eq(mount_flags(p, 0x01021994) & need, need);
    struct statfs sf;
    ck_assert_int_eq(statfs(p, &sf), 0);
    ck_assert_int_eq((long long)sf.f_blocks * sf.f_bsize, 1 << 20);
    etc_file(p, sizeof(p), "web", "hostname");
    ck_assert_ptr_nonnull(strstr(p, "/pods/web/etc/hostname"));
    ck_assert_int_ge(tk_read_file(p, 4096, &text, NULL), 0);
    ck_assert_str_eq(text, "webhost\n");
    free(text);
    etc_file(p, sizeof(p), "web", "resolv.conf");
    ck_assert_int_ge(tk_read_file(p, 4096, &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "nameserver 192.0.2.53\nnameserver 2001:db8::53\n"
                                       "search example.test\noptions ndots:2\n"));
    free(text);
    etc_file(p, sizeof(p), "web", "hosts");
    ck_assert_int_ge(tk_read_file(p, 4096, &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "127.0.0.1\tlocalhost\n"));
    ck_assert_ptr_nonnull(strstr(text, "::1\tlocalhost"));
    ck_assert_ptr_nonnull(strstr(text, "127.0.1.1\twebhost\n"));
    free(text);
}

START_TEST(test_pod_lifecycle)
{
    static const char *const ns[] = {"192.0.2.53", "2001:db8::53"};
    static const char *const search[] = {"example.test"};
    static const char *const opts[] = {"ndots:2"};
    struct sandbox_volume vols[] = {
        {.name = "cache"},
        {.name = "mem", .medium_memory = true, .size_limit = 1 << 20},
    };
    struct sandbox_pod_config c = {.run_dir = run_dir,
                                   .state_dir = state_dir,
                                   .name = "web",
                                   .hostname = "webhost",
                                   .nameservers = ns,
                                   .n_nameservers = 2,
                                   .searches = search,
                                   .n_searches = 1,
                                   .options = opts,
                                   .n_options = 1,
                                   .volumes = vols,
                                   .n_volumes = 2};
    struct tk_err err = {0};
    ck_assert_msg(sandbox_pod_create(&c, &err) == 0, "create: %s", err.msg);
    ck_assert_int_eq(sandbox_pod_check(run_dir, "web", &err), 1);
    ck_assert_int_eq(sandbox_pod_create(&c, &err), -EEXIST);
    ck_assert_str_eq(err.msg, "create pod 'web': already exists");

    check_etc_files();

    char p[256];
    /* The namespaces: bound, hostname set, lo up and alone, not the test's own. */
    const char *kinds[] = {"ns/net", "ns/uts", "ns/ipc"};
    const char *self[] = {"/proc/self/ns/net", "/proc/self/ns/uts", "/proc/self/ns/ipc"};
    for (int i = 0; i < 3; i++) {
        struct stat a, b;
        pod_file(p, sizeof(p), "web", kinds[i]);
        ck_assert_msg(is_nsfs(p), "%s is not a bound namespace", kinds[i]);
        ck_assert_int_eq(stat(p, &a), 0);
        ck_assert_int_eq(stat(self[i], &b), 0);
        ck_assert_msg(a.st_ino != b.st_ino, "%s is the caller's own namespace", kinds[i]);
    }
    pod_file(p, sizeof(p), "web", "ns/uts");
    ck_assert_int_eq(probe(p, CLONE_NEWUTS, hostname_is_webhost), 0);
    pod_file(p, sizeof(p), "web", "ns/net");
    ck_assert_int_eq(probe(p, CLONE_NEWNET, lo_is_up), 0);
    ck_assert_int_eq(probe(p, CLONE_NEWNET, only_lo), 0);

    /* Volumes, in a 0700 directory: a 0777 directory and a sized tmpfs, both nosuid,nodev. */
    struct stat st;
    struct statfs sf;
    unsigned long need = ST_NOSUID | ST_NODEV;
    ck_assert_int_eq(sandbox_pod_volume_path(p, sizeof(p), state_dir, "web", ""), 0);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(sandbox_pod_volume_path(p, sizeof(p), state_dir, "web", "cache"), 0);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0777);
    ck_assert_int_eq(statfs(p, &sf), 0);
    ck_assert_int_eq(mount_flags(p, sf.f_type) & need, need);
    ck_assert_int_eq(sandbox_pod_volume_path(p, sizeof(p), state_dir, "web", "mem"), 0);
    ck_assert_int_eq(mount_flags(p, 0x01021994) & need, need); /* TMPFS_MAGIC */
    ck_assert_int_eq(statfs(p, &sf), 0);
    ck_assert_int_eq((long long)sf.f_blocks * sf.f_bsize, 1 << 20);

    /* Destroy leaves nothing, and is idempotent. */
    ck_assert_msg(sandbox_pod_destroy(run_dir, state_dir, "web", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(mounts_under_tmp(), 0);
    ck_assert_int_eq(sandbox_pod_check(run_dir, "web", &err), 0);
    char **names = NULL;
    ck_assert_int_eq(sandbox_pod_list(run_dir, state_dir, &names, &err), 0);
    sandbox_pod_list_free(names);
    ck_assert_int_eq(sandbox_pod_destroy(run_dir, state_dir, "web", &err), 0);
}
END_TEST

START_TEST(test_host_network_pod)
{
    struct sandbox_pod_config c = {
        .run_dir = run_dir, .state_dir = state_dir, .name = "hostnet", .host_network = true};
    struct tk_err err = {0};
    ck_assert_msg(sandbox_pod_create(&c, &err) == 0, "create: %s", err.msg);
    ck_assert_int_eq(sandbox_pod_check(run_dir, "hostnet", &err), 1);
    char p[256];
    struct stat st;
    pod_file(p, sizeof(p), "hostnet", "ns/net");
    ck_assert_msg(lstat(p, &st) < 0 && errno == ENOENT, "a hostNetwork pod has ns/net");
    pod_file(p, sizeof(p), "hostnet", "ns/uts");
    ck_assert(is_nsfs(p));
    ck_assert_int_eq(sandbox_pod_destroy(run_dir, state_dir, "hostnet", &err), 0);
    ck_assert_int_eq(mounts_under_tmp(), 0);
}
END_TEST

/* A pod made before the /etc tmpfs (its files in the pod directory, mode 0755) is adopted:
 * sound, its directory made 0700, its containers given the files where they are. */
START_TEST(test_legacy_etc_files)
{
    struct sandbox_volume vols[] = {{.name = "disk"}};
    struct sandbox_pod_config c = {
        .run_dir = run_dir, .state_dir = state_dir, .name = "old", .volumes = vols, .n_volumes = 1};
    struct tk_err err = {0};
    ck_assert_msg(sandbox_pod_create(&c, &err) == 0, "create: %s", err.msg);
    char p[256], dir[256];
    pod_file(p, sizeof(p), "old", "etc");
    ck_assert_int_eq(umount2(p, MNT_DETACH), 0);
    ck_assert_int_eq(rmdir(p), 0);
    pod_file(p, sizeof(p), "old", "hosts");
    ck_assert_int_eq(tk_write_file_replace(p, "127.0.0.1 localhost\n", 20, 0644), 0);
    pod_file(dir, sizeof(dir), "old", NULL);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_msg(sandbox_pod_check(run_dir, "old", &err) == 1, "check: %s", err.msg);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    char e[256];
    etc_file(e, sizeof(e), "old", "hosts");
    ck_assert_str_eq(e, p);

    /* Its emptyDir a plain directory in a 0755 directory: adopted as a new pod's, once. */
    ck_assert_int_eq(sandbox_pod_volume_path(p, sizeof(p), state_dir, "old", "disk"), 0);
    ck_assert_int_eq(umount2(p, MNT_DETACH), 0);
    ck_assert_int_eq(sandbox_pod_volume_path(dir, sizeof(dir), state_dir, "old", ""), 0);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(sandbox_pod_adopt_volumes(state_dir, "old", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    struct statfs sf;
    ck_assert_int_eq(statfs(p, &sf), 0);
    unsigned long need = ST_NOSUID | ST_NODEV;
    ck_assert_int_eq(mount_flags(p, sf.f_type) & need, need);
    ck_assert_int_eq(umount2(p, MNT_DETACH), 0);
    ck_assert_int_eq(umount2(p, MNT_DETACH), -1); /* bound once only */
    ck_assert_msg(sandbox_pod_destroy(run_dir, state_dir, "old", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(mounts_under_tmp(), 0);
}
END_TEST

/* A pod damaged or half-built (an agent that died mid-way) is reported and cleaned. */
START_TEST(test_damaged_and_leftover)
{
    struct sandbox_pod_config c = {.run_dir = run_dir, .state_dir = state_dir, .name = "web"};
    struct tk_err err = {0};
    ck_assert_msg(sandbox_pod_create(&c, &err) == 0, "create: %s", err.msg);
    char p[256];
    pod_file(p, sizeof(p), "web", "ns/uts");
    ck_assert_int_eq(umount2(p, MNT_DETACH), 0);
    ck_assert_int_lt(sandbox_pod_check(run_dir, "web", &err), 0);
    ck_assert_str_eq(err.msg, "pod 'web': its uts namespace is gone");
    ck_assert_int_eq(sandbox_pod_destroy(run_dir, state_dir, "web", &err), 0);

    /* Its /etc tmpfs gone: damaged too. */
    ck_assert_msg(sandbox_pod_create(&c, &err) == 0, "create: %s", err.msg);
    pod_file(p, sizeof(p), "web", "etc");
    ck_assert_int_eq(umount2(p, MNT_DETACH), 0);
    ck_assert_int_lt(sandbox_pod_check(run_dir, "web", &err), 0);
    ck_assert_str_eq(err.msg, "pod 'web': its /etc files are not mounted");
    ck_assert_int_eq(sandbox_pod_destroy(run_dir, state_dir, "web", &err), 0);

    /* Leftover: a pod directory with a bound ns dir but no completion marker. */
    pod_file(p, sizeof(p), "half", "ns");
    ck_assert_int_eq(tk_mkdir_p(p, 0755), 0);
    ck_assert_int_eq(mount(p, p, NULL, MS_BIND, NULL), 0);
    ck_assert_int_lt(sandbox_pod_check(run_dir, "half", &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "incomplete"));
    char **names = NULL;
    ck_assert_int_eq(sandbox_pod_list(run_dir, state_dir, &names, &err), 1);
    ck_assert_str_eq(names[0], "half");
    sandbox_pod_list_free(names);
    ck_assert_msg(sandbox_pod_destroy(run_dir, state_dir, "half", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sandbox_pod_check(run_dir, "half", &err), 0);
    ck_assert_int_eq(mounts_under_tmp(), 0);
}
END_TEST

/* Run argv (no shell) and return its exit status. */
static int run(char *const argv[])
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static unsigned char want_mac[6];

static int eth0_has_want_mac(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        return 2;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
        return 3;
    ioctl(fd, SIOCGIFHWADDR, &ifr);
    return memcmp(ifr.ifr_hwaddr.sa_data, want_mac, 6) == 0 ? 0 : 1;
}

static int count_links(void)
{
    struct if_nameindex *ni = if_nameindex();
    int n = 0;
    for (struct if_nameindex *p = ni; p && p->if_index; p++)
        n++;
    if_freenameindex(ni);
    return n;
}

/* This (forked) test process in a fresh network namespace with a veth pair up0/up0p, up0 up:
 * the uplink of the tests that follow. */
static void uplink_in_own_netns(void)
{
    ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
    char *add[] = {"ip", "link", "add", "up0", "type", "veth", "peer", "name", "up0p", NULL};
    char *up[] = {"ip", "link", "set", "up0", "up", NULL};
    ck_assert_int_eq(run(add), 0);
    ck_assert_int_eq(run(up), 0);
}

/* uplink_netns NULL: the macvlan's parent is in the caller's namespace (here the forked
 * test's own fresh one, with a veth pair up0/up0p). */
START_TEST(test_macvlan_in_callers_namespace)
{
    uplink_in_own_netns();
    struct sandbox_iface ifc = {.name = "eth0", .parent = "up0", .addresses = a4, .n_addresses = 1};
    struct sandbox_pod_config c = {
        .run_dir = run_dir, .state_dir = state_dir, .name = "web", .ifaces = &ifc, .n_ifaces = 1};
    struct tk_err err = {0};
    ck_assert_msg(sandbox_pod_create(&c, &err) == 0, "create: %s", err.msg);
    ck_assert_int_eq(count_links(), 3); /* lo, up0, up0p: nothing else on the host side */
    char p[256];
    pod_file(p, sizeof(p), "web", "ns/net");
    sandbox_derive_mac("web", "eth0", want_mac);
    ck_assert_int_eq(probe(p, CLONE_NEWNET, eth0_has_want_mac), 0);
    ck_assert_int_eq(sandbox_pod_check(run_dir, "web", &err), 1);
    ck_assert_msg(sandbox_pod_destroy(run_dir, state_dir, "web", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(count_links(), 3);
    ck_assert_int_eq(mounts_under_tmp(), 0);
}
END_TEST

/* The creation in halves: begin returns while the namespace child still probes the address;
 * the fd tells when it ended, and the advance completes the pod. A creation killed at its
 * deadline (here: given up with kill) leaves a half-built pod that destroy removes. */
START_TEST(test_create_async)
{
    uplink_in_own_netns();
    struct sandbox_iface ifc = {.name = "eth0", .parent = "up0", .addresses = a4, .n_addresses = 1};
    struct sandbox_pod_config c = {.run_dir = run_dir,
                                   .state_dir = state_dir,
                                   .name = "web",
                                   .ifaces = &ifc,
                                   .n_ifaces = 1,
                                   .probe_ms = 1500};
    struct tk_err err = {0};
    struct sandbox_pod_creation *cr = NULL;
    ck_assert_msg(sandbox_pod_create_begin(&c, &cr, &err) == 0, "begin: %s", err.msg);
    ck_assert_int_eq(sandbox_pod_create_advance(cr, &err), 1);    /* still probing */
    ck_assert_int_lt(sandbox_pod_check(run_dir, "web", NULL), 0); /* half-built until then */
    struct pollfd pfd = {.fd = sandbox_pod_creation_fd(cr), .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 20000), 1);
    ck_assert_msg(sandbox_pod_create_advance(cr, &err) == 0, "advance: %s", err.msg);
    sandbox_pod_creation_free(cr, 0);
    ck_assert_int_eq(sandbox_pod_check(run_dir, "web", &err), 1);
    ck_assert_msg(sandbox_pod_destroy(run_dir, state_dir, "web", &err) == 0, "%s", err.msg);

    ck_assert_msg(sandbox_pod_create_begin(&c, &cr, &err) == 0, "begin: %s", err.msg);
    sandbox_pod_creation_free(cr, 1);
    ck_assert_int_lt(sandbox_pod_check(run_dir, "web", NULL), 0);
    ck_assert_msg(sandbox_pod_destroy(run_dir, state_dir, "web", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(count_links(), 3);
    ck_assert_int_eq(mounts_under_tmp(), 0);
}
END_TEST

/* A missing uplink fails the whole create, leaving nothing (no mounts, no pod dir). */
START_TEST(test_missing_uplink_leaves_nothing)
{
    /* A valid config (an IPv6 link-local gateway needs no IPv6 address) up to the uplink. */
    static const char *const gws[] = {"192.0.2.1", "fe80::1"};
    struct sandbox_iface ifc = {.name = "eth0",
                                .parent = "tkmissing0",
                                .addresses = a4,
                                .n_addresses = 1,
                                .gateways = gws,
                                .n_gateways = 2};
    struct sandbox_volume vol = {.name = "mem", .medium_memory = true};
    struct sandbox_pod_config c = {.run_dir = run_dir,
                                   .state_dir = state_dir,
                                   .name = "web",
                                   .ifaces = &ifc,
                                   .n_ifaces = 1,
                                   .volumes = &vol,
                                   .n_volumes = 1};
    struct tk_err err = {0};
    /* The uplink side is this (forked) test process's own fresh network namespace. */
    ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
    ck_assert_int_eq(sandbox_pod_create(&c, &err), -ENODEV);
    ck_assert_str_eq(err.msg, "create pod 'web': interface 'eth0': uplink 'tkmissing0' not found");
    ck_assert_int_eq(mounts_under_tmp(), 0);
    char **names = NULL;
    ck_assert_int_eq(sandbox_pod_list(run_dir, state_dir, &names, &err), 0);
    sandbox_pod_list_free(names);
}
END_TEST

/* Root, and allowed to make namespaces (not so in some containers). */
static bool can_make_namespaces(void)
{
    if (geteuid() != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS) == 0 ? 0 : 1);
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

Suite *pod_suite(void)
{
    Suite *s = suite_create("pod");
    TCase *tc = tcase_create("pure");
    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, test_mac_stable_and_local, 0, sizeof(mac_names) / sizeof(mac_names[0]));
    tcase_add_test(tc, test_mode_strings);
    tcase_add_test(tc, test_paths);
    tcase_add_loop_test(tc, test_bad_config, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
    tcase_add_test(tc, test_host_path);
    tcase_add_test(tc, test_list);
    suite_add_tcase(s, tc);
    if (can_make_namespaces()) {
        TCase *ns = tcase_create("namespaces");
        tcase_add_unchecked_fixture(ns, base_setup, base_teardown);
        tcase_add_checked_fixture(ns, tmp_setup, tmp_teardown);
        tcase_set_timeout(ns, 30);
        tcase_add_test(ns, test_pod_lifecycle);
        tcase_add_test(ns, test_host_network_pod);
        tcase_add_test(ns, test_damaged_and_leftover);
        tcase_add_test(ns, test_legacy_etc_files);
        tcase_add_test(ns, test_missing_uplink_leaves_nothing);
        tcase_add_test(ns, test_macvlan_in_callers_namespace);
        tcase_add_test(ns, test_create_async);
        suite_add_tcase(s, ns);
    } else {
        test_not_run("pod/namespaces", "needs root and the right to make namespaces");
    }
    return s;
}
