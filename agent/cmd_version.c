/* `tank version`: the version, the commit, the libraries and the kernel features in use. */
#include "agent/cli.h"

#include <archive.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <microhttpd.h>
#include <netlink/version.h>
#include <openssl/crypto.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yaml.h>
#include <zlib.h>
#include <zstd.h>

#ifndef TANK_VERSION
#define TANK_VERSION "0.0.0-dev"
#endif
#ifndef TANK_COMMIT
#define TANK_COMMIT "unknown"
#endif

static const char version_usage[] =
    "usage: tank version\n"
    "\n"
    "Print Tank's version and git commit, the versions of the libraries it runs with, and\n"
    "the kernel features it uses on this host (overlayfs, the cgroup layout, openat2,\n"
    "pidfd).\n"
    "\n"
    "Example: tank version\n";

static bool fs_supported(const char *name)
{
    FILE *f = fopen("/proc/filesystems", "re");
    char line[128];
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f)) {
        char *tab = strrchr(line, '\t');
        const char *fs = tab ? tab + 1 : line;
        found = !strncmp(fs, name, strlen(name)) && fs[strlen(name)] == '\n';
    }
    if (f)
        fclose(f);
    return found;
}

static const char *cgroup_layout(void)
{
    struct statfs s;
    if (statfs("/sys/fs/cgroup", &s) < 0)
        return "none";
    if (s.f_type == CGROUP2_SUPER_MAGIC)
        return "v2 (unified)";
    if (statfs("/sys/fs/cgroup/unified", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC)
        return "v1 (hybrid)";
    return "v1 (legacy)";
}

/* A system call the kernel knows: it fails with anything but ENOSYS on bad arguments. */
static bool has_syscall(long nr)
{
    long r = syscall(nr, -1, NULL, 0, 0);
    return !(r < 0 && errno == ENOSYS);
}

int cmd_version(const struct cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, version_usage))
        return 0;
    if (argc > 1) {
        fprintf(stderr, "tank version: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    const struct scmp_version *sv = seccomp_version();
    struct utsname u;
    printf("tank %s\n", TANK_VERSION);
    printf("commit: %s\n", TANK_COMMIT);
    printf("libraries: libcurl %s, %s, libyaml %s, jansson %s, %s, zlib %s, zstd %s, "
           "libmicrohttpd %s, libnl %s, libseccomp %u.%u.%u\n",
           curl_version_info(CURLVERSION_NOW)->version, archive_version_string(),
           yaml_get_version_string(), JANSSON_VERSION, OpenSSL_version(OPENSSL_VERSION),
           zlibVersion(), ZSTD_versionString(), MHD_get_version(), LIBNL_VERSION,
           sv ? sv->major : 0, sv ? sv->minor : 0, sv ? sv->micro : 0);
    printf("kernel: %s\n", uname(&u) == 0 ? u.release : "?");
    printf("features: overlayfs %s, cgroup %s, openat2 %s, pidfd %s\n",
           fs_supported("overlay") ? "yes" : "no (layers copied)", cgroup_layout(),
           has_syscall(SYS_openat2) ? "yes" : "no", has_syscall(SYS_pidfd_open) ? "yes" : "no");
    return 0;
}
