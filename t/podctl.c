/* Test-only driver of the pod sandbox API (sandbox/podsandbox.h) for the shell tests.
 *
 *   podctl create RUN STATE NAME [--hostname H] [--host-network] [--uplink-netns PATH]
 *                 [--iface NAME:PARENT[:MODE[:MAC]] [--addr CIDR]... [--gw IP]...]...
 *                 [--ns IP]... [--search D]... [--option O]...
 *                 [--probe-ms MS] [--empty-dir NAME] [--memory-dir NAME[:BYTES]] [--host-path
 * NAME:PATH:TYPE] podctl destroy RUN STATE NAME podctl check RUN NAME        prints "present",
 * "absent" or the damage (exit 1) podctl list RUN STATE        one name per line podctl mac POD
 * IFACE         the derived MAC Exit 0 on success, 1 with the error message on stderr, 2 on usage
 * errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/podsandbox.h"

#define MAXN 16

static struct sandbox_iface ifaces[MAXN];
static const char *addrs[MAXN][MAXN], *gws[MAXN][2];
static struct sandbox_volume vols[MAXN];
static const char *nss[MAXN], *searches[MAXN], *options[MAXN];

static _Noreturn void usage(const char *why)
{
    fprintf(stderr, "podctl: %s\n", why);
    exit(2);
}

static const char *host_path_types[] = {
    "",       "DirectoryOrCreate", "Directory",   "FileOrCreate", "File",
    "Socket", "CharDevice",        "BlockDevice",
};

static void add_host_path(struct sandbox_volume *v, char *arg)
{
    char *path = strchr(arg, ':');
    char *type = path ? strchr(path + 1, ':') : NULL;
    if (!type)
        usage("--host-path NAME:PATH:TYPE");
    *path++ = '\0';
    *type++ = '\0';
    v->name = arg;
    v->kind = SANDBOX_VOLUME_HOST_PATH;
    v->host_path = path;
    for (size_t i = 0; i < sizeof(host_path_types) / sizeof(*host_path_types); i++)
        if (strcmp(type, host_path_types[i]) == 0)
            v->host_path_type = (enum sandbox_host_path_type)i;
}

static void add_iface(struct sandbox_iface *f, char *arg)
{
    char *parts[4] = {arg, NULL, NULL, NULL};
    for (int i = 1; i < 4 && parts[i - 1]; i++) {
        char *c = strchr(parts[i - 1], ':');
        /* the MAC contains ':' itself: the fourth part is the rest */
        if (c) {
            *c = '\0';
            parts[i] = c + 1;
            if (i == 3)
                break;
        }
    }
    if (!parts[1])
        usage("--iface NAME:PARENT[:MODE[:MAC]]");
    f->name = parts[0];
    f->parent = parts[1];
    if (parts[2] && *parts[2] && sandbox_macvlan_mode_from_string(parts[2], &f->mode) < 0)
        usage("unknown macvlan mode");
    f->mac = parts[3];
}

static int create(int argc, char **argv)
{
    struct sandbox_pod_config c = {.run_dir = argv[2], .state_dir = argv[3], .name = argv[4]};
    c.ifaces = ifaces;
    c.volumes = vols;
    c.nameservers = nss;
    c.searches = searches;
    c.options = options;
    for (int i = 5; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--host-network") == 0) {
            c.host_network = true;
            continue;
        }
        if (i + 1 >= argc || c.n_ifaces >= MAXN || c.n_volumes >= MAXN)
            usage("bad arguments");
        char *v = argv[++i];
        struct sandbox_iface *last = c.n_ifaces ? &ifaces[c.n_ifaces - 1] : NULL;
        if (strcmp(o, "--hostname") == 0)
            c.hostname = v;
        else if (strcmp(o, "--probe-ms") == 0) {
            char *end;
            errno = 0;
            unsigned long ms = strtoul(v, &end, 10);
            if (errno || *end || ms > 10000)
                usage("--probe-ms MS");
            c.probe_ms = (unsigned int)ms;
        } else if (strcmp(o, "--uplink-netns") == 0)
            c.uplink_netns = v;
        else if (strcmp(o, "--iface") == 0) {
            add_iface(&ifaces[c.n_ifaces], v);
            ifaces[c.n_ifaces].addresses = addrs[c.n_ifaces];
            ifaces[c.n_ifaces].gateways = gws[c.n_ifaces];
            c.n_ifaces++;
        } else if (strcmp(o, "--addr") == 0 && last && last->n_addresses < MAXN)
            addrs[last - ifaces][last->n_addresses++] = v;
        else if (strcmp(o, "--gw") == 0 && last && last->n_gateways < 2)
            gws[last - ifaces][last->n_gateways++] = v;
        else if (strcmp(o, "--ns") == 0 && c.n_nameservers < MAXN)
            nss[c.n_nameservers++] = v;
        else if (strcmp(o, "--search") == 0 && c.n_searches < MAXN)
            searches[c.n_searches++] = v;
        else if (strcmp(o, "--option") == 0 && c.n_options < MAXN)
            options[c.n_options++] = v;
        else if (strcmp(o, "--empty-dir") == 0)
            vols[c.n_volumes++] = (struct sandbox_volume){.name = v};
        else if (strcmp(o, "--memory-dir") == 0) {
            struct sandbox_volume *m = &vols[c.n_volumes++];
            *m = (struct sandbox_volume){.name = v, .medium_memory = true};
            char *size = strchr(v, ':');
            if (size) {
                *size++ = '\0';
                char *end;
                errno = 0;
                m->size_limit = strtoull(size, &end, 10);
                if (errno || *end)
                    usage("--memory-dir NAME[:BYTES]");
            }
        } else if (strcmp(o, "--host-path") == 0)
            add_host_path(&vols[c.n_volumes++], v);
        else
            usage("unknown option");
    }
    struct tk_err err = {0};
    if (sandbox_pod_create(&c, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct tk_err err = {0};
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "create") == 0 && argc >= 5)
        return create(argc, argv);
    if (strcmp(cmd, "destroy") == 0 && argc == 5) {
        if (sandbox_pod_destroy(argv[2], argv[3], argv[4], &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (strcmp(cmd, "check") == 0 && argc == 4) {
        int r = sandbox_pod_check(argv[2], argv[3], &err);
        if (r < 0) {
            printf("%s\n", err.msg);
            return 1;
        }
        printf("%s\n", r ? "present" : "absent");
        return 0;
    }
    if (strcmp(cmd, "list") == 0 && argc == 4) {
        char **names = NULL;
        int n = sandbox_pod_list(argv[2], argv[3], &names, &err);
        if (n < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        for (int i = 0; i < n; i++)
            printf("%s\n", names[i]);
        sandbox_pod_list_free(names);
        return 0;
    }
    if (strcmp(cmd, "mac") == 0 && argc == 4) {
        unsigned char mac[6];
        char s[18];
        sandbox_derive_mac(argv[2], argv[3], mac);
        sandbox_format_mac(mac, s, sizeof(s));
        printf("%s\n", s);
        return 0;
    }
    usage("usage: podctl create|destroy|check|list|mac ...");
}
