#pragma once
/*
 * Tank's configuration (tank.ini) and the host seam.
 *
 * config_load() fills every field with its default first, then applies the file; an
 * unknown section or key, or a bad value, is an error "FILE:LINE: message".
 * Durations are in milliseconds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "sandbox/userns.h"

#define CONFIG_DEFAULT_PATH "/etc/tank/tank.ini"
#define CONFIG_MAX_LIST 16

struct tank_config {
    char *path; /* the file loaded, NULL when defaults only */

    /* [host] */
    char *uplink;               /* NULL = none (pods with interfaces need parent:) */
    char *dns[CONFIG_MAX_LIST]; /* nameservers */
    size_t n_dns;
    char *dns_search[CONFIG_MAX_LIST];
    size_t n_dns_search;
    char *host_labels[CONFIG_MAX_LIST]; /* "key=value": this host's labels (agent/nodesel.h) */
    size_t n_host_labels;

    /* [agent] */
    char *pods_dir;       /* /etc/tank/pods */
    char *secrets_dir;    /* /etc/tank/secrets: Secrets and ConfigMaps kept on the host */
    char *state_dir;      /* /var/lib/tank */
    char *run_dir;        /* /run/tank */
    char *log_dir;        /* /var/log/tank */
    char *socket;         /* /run/tank/tank.sock */
    char *metrics_listen; /* NULL = off; "ADDR:PORT": GET /metrics on TCP there */
    int64_t resync_ms;    /* resync_seconds, default 60s */
    char *group;          /* NULL = none: what Tank writes is root's only */
    gid_t gid;            /* the group's id, (gid_t)-1 without one */

    /* [registry] */
    char *insecure[CONFIG_MAX_LIST]; /* registry hosts ("127.0.0.1:5000") spoken to over HTTP */
    size_t n_insecure;
    char *mirror[CONFIG_MAX_LIST]; /* mirrors for docker.io ("https://mirror.example") */
    size_t n_mirror;
    char *auth_file;         /* Docker-style auth file, NULL = none */
    uint64_t max_layer_size; /* bytes, uncompressed; default 8Gi */

    /* [images] automatic image garbage collection (agent/imagegc.c) */
    int image_gc_high_percent;   /* 85; 0 = off: collect when state_dir's fs is this full */
    int image_gc_low_percent;    /* 80: collect until it is below this */
    int64_t image_gc_min_age_ms; /* 2m: images pulled or used more recently stay; 0 = none */

    /* [security] user namespaces (hostUsers: false) */
    struct sandbox_id_range userns_ranges[SANDBOX_USERNS_MAX_RANGES]; /* host ids for pods */
    size_t n_userns_ranges; /* set from userns_ranges=, else /etc/subuid+subgid of user
                             * "tank", else SANDBOX_USERNS_DEFAULT_START/COUNT */
    int default_host_users; /* 1 (default); 0 = pods without hostUsers get a user namespace */

    /* [restart] */
    int64_t backoff_initial_ms; /* 10s */
    int64_t backoff_max_ms;     /* 300s */
    int64_t backoff_reset_ms;   /* 10m: running this long resets the backoff */

    /* [resources] */
    char *cgroup;               /* "pods": pod cgroups live in OWN/cgroup (one name) */
    int64_t pod_pids_limit;     /* 4096: processes (threads) per pod; 0 = off */
    int64_t reserved_memory;    /* 100Mi: bytes of the host's memory pods cannot request */
    int64_t reserved_cpu_milli; /* 0: millicores of the host's CPUs pods cannot request */

    /* [security] */
    char *seccomp_dir; /* /etc/tank/seccomp: where Localhost seccomp profiles are */

    /* [logs] container log rotation, as the kubelet's containerLogMaxSize/MaxFiles */
    uint64_t log_max_size; /* 10Mi: the live file is rotated at this size */
    int64_t log_max_files; /* 2: files kept per container, the live one included */

    /* [sync] the built-in git sync (agent/sync.h); off without repo */
    char *sync_repo;         /* any URL or path git accepts, NULL = off */
    char *sync_ref;          /* branch, tag or commit; NULL = the remote's HEAD */
    int64_t sync_period_ms;  /* 30s */
    char *sync_root;         /* /var/lib/tank/repo */
    char *sync_link;         /* "current": ROOT/LINK, a name without '/' */
    int64_t sync_depth;      /* 1; 0 = the whole history */
    char *sync_ssh_key;      /* NULL = git's own configuration */
    char *sync_known_hosts;  /* NULL = ssh's own */
    int64_t sync_timeout_ms; /* 2m: per git command */
};

/* Modes of what Tank creates in its directories (pods_dir, state_dir, run_dir, log_dir):
 * directories 0700 and files 0600, or 0750 and 0640 with [agent] group (given that group). */
mode_t config_dir_mode(const struct tank_config *cfg);
mode_t config_file_mode(const struct tank_config *cfg);
/* Create dir and its missing parents with config_dir_mode (umask aside) and the group;
 * with inherit, the directory is also set-group-ID (so what is created in it, such as log
 * files, gets the group). A directory that exists already is left as it is. -errno. */
int config_make_dir(const struct tank_config *cfg, const char *dir, bool inherit);
/* Give an open file the group (no-op without one). -errno. */
int config_chown_fd(const struct tank_config *cfg, int fd);

/* Defaults only (no file). */
void config_defaults(struct tank_config *cfg);

/* Load path over the defaults. "%H" in pods_dir becomes the host name (uname's nodename) and
 * "%%" a '%'; another '%' is an error. On error returns < 0 with err set ("FILE:LINE: ..."). */
int config_load(struct tank_config *cfg, const char *path, struct tk_err *err);

void config_free(struct tank_config *cfg);

struct tk_buf;
/* SIGHUP: load cfg->path again. The keys that take effect live (sections [registry],
 * [images], [restart], [host], [logs], [sync]: read where they are used) get their new
 * values in cfg, their names ("[restart] backoff_max") listed in applied; the others keep
 * their values, listed in restart (they need the agent restarted). On error (the file
 * unreadable or invalid) cfg is unchanged and err set. */
int config_reload(struct tank_config *cfg, struct tk_buf *applied, struct tk_buf *restart,
                  struct tk_err *err);

/* The config path to use: explicit (may be NULL) > $TANK_CONFIG > CONFIG_DEFAULT_PATH. */
const char *config_default_path(const char *explicit_path);

/*
 * Host seam: the host's network facts as Tank sees them (agent/hostfacts.c). An explicit
 * [host] uplink / dns wins; left empty, they come from the host itself, as Docker and
 * podman do:
 *   dns: the nameservers of /etc/resolv.conf without the loopback ones (127.x, ::1: a
 *        stub such as systemd-resolved's 127.0.0.53, which a pod's network namespace
 *        cannot reach); when only loopback ones are there, the upstream list
 *        systemd-resolved keeps in /run/systemd/resolve/resolv.conf. search and options
 *        come from the same file. Nothing usable: no nameserver, with a warning (once).
 *   uplink: the interface of the IPv4 default route (/proc/net/route, lowest metric),
 *        chosen once and logged.
 * For tests only, the environment may point these reads elsewhere: TANK_HOST_RESOLV_CONF,
 * TANK_HOST_RESOLVED_CONF, TANK_HOST_ROUTES (a file in /proc/net/route's format).
 */
struct host_facts {
    const char *uplink;     /* NULL when none */
    const char *const *dns; /* nameservers */
    size_t n_dns;
    const char *const *dns_search; /* search domains */
    size_t n_dns_search;
    const char *const *dns_options; /* resolv.conf options ("ndots:2"); host's only */
    size_t n_dns_options;
    /* private: what was read from the host */
    char *own[3][CONFIG_MAX_LIST];
    size_t n_own[3];
};

/* Fill out (free it with host_facts_free). */
void host_facts_get(const struct tank_config *cfg, struct host_facts *out);
void host_facts_free(struct host_facts *hf);

/* What the host's resolv.conf at path says (nameservers without loopback ones, search,
 * options) into hf's own lists; the number of nameservers kept, or -errno. */
int host_facts_read_resolv(const char *path, struct host_facts *hf);

/* The addresses of interface ifname (IPv4 ones first, then global IPv6 ones; link-local ones
 * left out), comma-separated, as a new string: the downward API's status.hostIPs (the
 * first is status.hostIP). "" when it has none or does not exist; NULL on allocation
 * failure. */
char *host_iface_ips(const char *ifname);

/* The interface of the IPv4 default route in routes (/proc/net/route's format), into name
 * (IFNAMSIZ); -ENOENT when there is none. */
int host_default_route_iface(const char *routes, char *name, size_t size);
