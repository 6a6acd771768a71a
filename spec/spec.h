#pragma once
/*
 * Desired-state types and the manifest parser/validator.
 *
 * A manifest file holds one or more YAML (or JSON) documents, each a Kubernetes core/v1
 * Pod (`apiVersion: v1`) or a Tank pod (`apiVersion: tank/v1`, which may also carry
 * spec.network). Fields Tank does not implement are errors naming their path.
 *
 * Ownership: every struct here is owned by its parent; spec_pod_free() frees a pod and
 * everything under it. Strings are heap NUL-terminated; optional strings are NULL when
 * absent. Arrays come with a count.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Hard limits applied while parsing (bad input gets an error, never unbounded work). */
#define SPEC_MAX_FILE_SIZE (4u << 20) /* bytes per manifest file */
#define SPEC_MAX_DEPTH 64             /* YAML nesting */
#define SPEC_MAX_NODES 100000         /* nodes per document (aliases are refused) */
#define SPEC_MAX_VOLUME_MOUNTS 64     /* per container (the sandbox's SANDBOX_MAX_MOUNTS) */

enum spec_restart_policy { SPEC_RESTART_ALWAYS, SPEC_RESTART_ON_FAILURE, SPEC_RESTART_NEVER };
enum spec_pull_policy { SPEC_PULL_IF_NOT_PRESENT, SPEC_PULL_ALWAYS, SPEC_PULL_NEVER };
enum spec_macvlan_mode {
    SPEC_MACVLAN_BRIDGE,
    SPEC_MACVLAN_PRIVATE,
    SPEC_MACVLAN_VEPA,
    SPEC_MACVLAN_PASSTHRU
};
enum spec_volume_kind {
    SPEC_VOLUME_HOST_PATH,
    SPEC_VOLUME_EMPTY_DIR,
    SPEC_VOLUME_CONFIGMAP,    /* ref_name's data as files, read-only */
    SPEC_VOLUME_SECRET,       /* the same, on a tmpfs */
    SPEC_VOLUME_DOWNWARD_API, /* the pod's fields as files: items[].key is the fieldPath */
    SPEC_VOLUME_PROJECTED,    /* sources[]: configMap, secret and downwardAPI volumes in one */
    SPEC_VOLUME_PVC,          /* persistentVolumeClaim: ref_name the claim, pvc_read_only */
};
/* A volume whose files the agent writes (configMap, secret, downwardAPI). */
#define SPEC_VOLUME_IS_GENERATED(k)                                                                \
    ((k) == SPEC_VOLUME_CONFIGMAP || (k) == SPEC_VOLUME_SECRET ||                                  \
     (k) == SPEC_VOLUME_DOWNWARD_API || (k) == SPEC_VOLUME_PROJECTED)
/* volumeMounts[].recursiveReadOnly (IfPossible and Enabled only with readOnly: true) */
enum spec_rro { SPEC_RRO_DISABLED, SPEC_RRO_IF_POSSIBLE, SPEC_RRO_ENABLED };
/* hostPath.type */
enum spec_host_path_type {
    SPEC_HOSTPATH_UNSET, /* "" : no check */
    SPEC_HOSTPATH_DIRECTORY_OR_CREATE,
    SPEC_HOSTPATH_DIRECTORY,
    SPEC_HOSTPATH_FILE_OR_CREATE,
    SPEC_HOSTPATH_FILE,
    SPEC_HOSTPATH_SOCKET,
    SPEC_HOSTPATH_CHAR_DEVICE,
    SPEC_HOSTPATH_BLOCK_DEVICE,
};

const char *spec_rro_to_string(enum spec_rro r);

struct spec_kv {
    char *key;
    char *value;
};

/* env[].valueFrom: where a value comes from (SPEC_ENV_VALUE: the value as written). */
enum spec_env_source {
    SPEC_ENV_VALUE,
    SPEC_ENV_CONFIGMAP, /* configMapKeyRef: ref_name, ref_key */
    SPEC_ENV_SECRET,    /* secretKeyRef: ref_name, ref_key */
    SPEC_ENV_FIELD,     /* fieldRef: ref_key = fieldPath (metadata.name, ...) */
    SPEC_ENV_RESOURCE,  /* resourceFieldRef: ref_key = resource (limits.cpu, requests.memory,
                         * ...), ref_name = containerName (NULL: this container), divisor */
};

struct spec_env {
    char *name;
    char *value; /* "" when absent; for a valueFrom, filled by the agent's resolution */
    enum spec_env_source from;
    char *ref_name;
    char *ref_key;
    bool optional;
    int64_t divisor; /* resourceFieldRef: thousandths of the unit (cpu: 1 = 1m; memory: 1000 =
                      * 1 byte); 0 = not given (1) */
};

/* envFrom[]: every key of a ConfigMap or Secret, as prefix + key. */
struct spec_env_from {
    bool secret; /* secretRef, else configMapRef */
    char *name;
    char *prefix; /* NULL when absent */
    bool optional;
};

struct spec_port {
    char *name; /* may be NULL */
    int32_t container_port;
    char *protocol;    /* "TCP" default */
    int32_t host_port; /* 0 = unset; only with hostNetwork, equal to container_port */
};

/* A probe (livenessProbe, readinessProbe, startupProbe), Kubernetes' fields and defaults. */
enum spec_probe_kind {
    SPEC_PROBE_EXEC = 1,
    SPEC_PROBE_HTTP,
    SPEC_PROBE_TCP,
    SPEC_PROBE_GRPC,
    SPEC_PROBE_SLEEP, /* lifecycle hooks only: sleep.seconds (sleep_s) */
};
enum spec_probe_type { SPEC_LIVENESS, SPEC_READINESS, SPEC_STARTUP, SPEC_N_PROBES };
struct spec_http_header {
    char *name, *value;
};
struct spec_probe {
    enum spec_probe_kind kind;
    char **command; /* exec */
    size_t n_command;
    int32_t port;    /* httpGet, tcpSocket, grpc: resolved from port_name when named */
    char *port_name; /* the container port's name when given so, else NULL */
    char *host;      /* NULL = the pod's first IP, else 127.0.0.1 */
    char *path;      /* httpGet: default "/" */
    bool https;      /* httpGet scheme HTTPS (no certificate check, as the kubelet) */
    struct spec_http_header *headers;
    size_t n_headers;
    char *service;             /* grpc: NULL = "" (the server as a whole) */
    int32_t initial_delay_s;   /* 0 */
    int32_t period_s;          /* 10 */
    int32_t timeout_s;         /* 1 */
    int32_t success_threshold; /* 1 (must be 1 for liveness and startup) */
    int32_t failure_threshold; /* 3 */
    int64_t grace_s;           /* terminationGracePeriodSeconds; -1 = the pod's */
    int32_t sleep_s;           /* SPEC_PROBE_SLEEP: sleep.seconds */
};
/* A lifecycle hook (lifecycle.postStart, lifecycle.preStop) is a struct spec_probe with only
 * its handler set: exec, httpGet or sleep (the timing fields keep their defaults). */
/* "liveness", "readiness", "startup". */
const char *spec_probe_type_name(enum spec_probe_type t);
/* One line describing the probe as kubectl describe does ("http-get http://:8080/healthz
 * delay=0s timeout=1s period=10s #success=1 #failure=3"), heap string. */
char *spec_probe_describe(const struct spec_probe *p);

struct spec_mount {
    char *name;       /* volume name */
    char *mount_path; /* absolute, without ".."; not /, /dev, /sys, nor /proc or below it */
    char *sub_path;   /* relative, without ".."; may be NULL */
    bool read_only;
    enum spec_rro recursive_read_only; /* default Disabled */
};

/* Optional integer: has == false means unset. */
struct spec_opt_i64 {
    bool has;
    int64_t v;
};
struct spec_opt_bool {
    bool has;
    bool v;
};

/* seccompProfile / appArmorProfile of a pod or container securityContext. */
enum spec_profile_type {
    SPEC_PROFILE_UNSET = 0,
    SPEC_PROFILE_RUNTIME_DEFAULT,
    SPEC_PROFILE_UNCONFINED,
    SPEC_PROFILE_LOCALHOST,
};
struct spec_profile {
    enum spec_profile_type type;
    char *localhost;  /* localhostProfile: set exactly when type is Localhost; for seccomp a
                       * relative path without "..", for AppArmor a profile name */
    int line, column; /* where localhostProfile is written (0 when absent) */
};
/* seLinuxOptions: strings of [A-Za-z0-9_.-] (level also ':' and ','); NULL when absent. */
struct spec_selinux {
    bool set;
    char *user, *role, *type, *level;
};
/* The confinement fields the pod and container securityContext share; a container's fields
 * override the pod's (each of the three as a whole). */
struct spec_lsm {
    struct spec_profile seccomp;
    struct spec_profile apparmor;
    struct spec_selinux selinux;
};
/* "RuntimeDefault", "Unconfined", "Localhost" ("" for UNSET). */
const char *spec_profile_type_to_string(enum spec_profile_type t);

struct spec_container_security {
    struct spec_opt_i64 run_as_user;
    struct spec_opt_i64 run_as_group;
    struct spec_opt_bool run_as_non_root;
    struct spec_opt_bool read_only_root_fs;
    struct spec_opt_bool allow_privilege_escalation;
    struct spec_opt_bool privileged;
    char **cap_add; /* capability names as written ("NET_ADMIN" or "CAP_NET_ADMIN") */
    size_t n_cap_add;
    char **cap_drop; /* may contain "ALL" */
    size_t n_cap_drop;
    struct spec_lsm lsm;
};

/* A container's resources.requests / resources.limits for cpu and memory (Kubernetes
 * quantities), after Kubernetes' defaulting: a limit without a request sets the request.
 * 0 / "" = not set. The strings are the canonical quantities ("500m", "128Mi"). */
struct spec_resources {
    int64_t cpu_request, cpu_limit; /* millicores */
    int64_t mem_request, mem_limit; /* bytes */
    char cpu_request_s[32], cpu_limit_s[32], mem_request_s[32], mem_limit_s[32];
};

/* Parse a Kubernetes quantity ("100m", "0.5", "1", "128Mi", "1G", "1e3", "512Ki") into
 * thousandths of its unit (rounded up), with the canonical form of the value written into
 * canon (size >= 32; "0.5" is "500m", "1e3" is "1k", "1.5Gi" is "1536Mi"). -EINVAL when it is
 * not a quantity, -ERANGE when it is negative or too large. */
int spec_quantity_parse(const char *s, int64_t *milli, char *canon, size_t size);
/* The canonical form of milli thousandths: with binary suffixes (Ki, Mi, ...) where they
 * divide it, else decimal ones ("500m", "2", "1k"). */
void spec_quantity_format(int64_t milli, bool binary, char *out, size_t size);

struct spec_container {
    char *name;
    char *image;
    enum spec_pull_policy pull_policy; /* default: Always for ":latest"/no tag, else IfNotPresent */
    char **command; /* NULL when absent (n_command 0); present-but-empty has n 0 and non-NULL */
    size_t n_command;
    char **args;
    size_t n_args;
    struct spec_env *env;
    size_t n_env;
    struct spec_env_from *env_from;
    size_t n_env_from;
    /* Set by the agent's resolution when a ConfigMap, Secret or key the container needs is
     * missing (the container waits with CreateContainerConfigError); NULL otherwise. */
    char *config_error;
    char *working_dir;
    struct spec_port *ports;
    size_t n_ports;
    struct spec_mount *mounts;
    size_t n_mounts;
    struct spec_container_security sec;
    struct spec_resources res;
    /* resizePolicy: the resources (SPEC_RESIZE_CPU, SPEC_RESIZE_MEMORY) whose change restarts
     * the container (RestartContainer); the others are resized in place (NotRequired, the
     * default). */
    unsigned resize_restart;
    struct spec_probe *probes[SPEC_N_PROBES]; /* NULL = none */
    /* stdin (its stdin is an open pipe no one writes to, instead of /dev/null), stdinOnce
     * (accepted: nothing attaches), tty (a pseudo-terminal of its own on fds 0-2, its
     * output logged as stdout); all false by default. */
    bool stdin_open, stdin_once, tty;
    struct spec_probe *post_start, *pre_stop; /* lifecycle hooks, NULL = none */
    /* An init container with restartPolicy: Always (a native sidecar): started in its turn,
     * not waited for to exit, restarted on exit, stopped after the app containers. */
    bool sidecar;
    /* terminationMessagePath (SPEC_TERMINATION_MESSAGE_PATH by default: absolute, without
     * "..") and terminationMessagePolicy FallbackToLogsOnError (else File). */
    char *termination_message_path;
    bool termination_fallback_logs;
};
#define SPEC_TERMINATION_MESSAGE_PATH "/dev/termination-log"
#define SPEC_RESIZE_CPU 1u
#define SPEC_RESIZE_MEMORY 2u

/* configMap/secret volume items[]: key to a relative path, with its mode (-1 = default).
 * downwardAPI items: key is the fieldPath, or with resource set the resourceFieldRef's
 * resource (limits.cpu, ...) of the container named container, with divisor as in
 * struct spec_env. */
struct spec_key_path {
    char *key;
    char *path;
    int32_t mode;
    bool resource;
    char *container;
    int64_t divisor;
};

/* One file of a configMap/secret volume: path relative to the volume, its bytes, mode. */
struct spec_file {
    char *path;
    unsigned char *data;
    size_t len;
    uint32_t mode;
};

struct spec_volume {
    char *name;
    enum spec_volume_kind kind;
    /* hostPath */
    char *host_path;
    enum spec_host_path_type host_path_type;
    /* emptyDir */
    bool medium_memory;
    uint64_t size_limit; /* bytes, 0 = unset */
    /* configMap (name) / secret (secretName) */
    char *ref_name;
    struct spec_key_path *items; /* NULL: every key, as a file named like it */
    size_t n_items;
    int32_t default_mode; /* file mode, 0644 when not given */
    bool pvc_read_only;   /* persistentVolumeClaim.readOnly: every mount of it read-only */
    bool optional;
    /* Filled by the agent's resolution (not covered by the hash: the files are updated in
     * place): the files to show, NULL/0 when the object is missing. */
    struct spec_file *files;
    size_t n_files;
    /* projected: its sources (kind configMap, secret or downwardAPI; name NULL) */
    struct spec_volume *sources;
    size_t n_sources;
};

struct spec_interface {
    char *name;   /* inside the pod, e.g. "eth0" */
    char *parent; /* macvlan parent, NULL = the host seam's uplink */
    enum spec_macvlan_mode mode;
    char *mac;        /* "aa:bb:cc:dd:ee:ff" normalised lowercase, NULL = derived */
    char **addresses; /* CIDRs as written ("192.0.2.10/24", "2001:db8::10/64") */
    size_t n_addresses;
    char **gateways; /* 0..2 entries (one per family); "gateway" may be a string or a list */
    size_t n_gateways;
};

struct spec_netns {
    struct spec_interface *interfaces;
    size_t n_interfaces;
};

struct spec_pod_security {
    struct spec_opt_i64 run_as_user;
    struct spec_opt_i64 run_as_group;
    int64_t *supplemental_groups;
    size_t n_supplemental_groups;
    struct spec_lsm lsm;
    /* fsGroup: a supplementary group of every container, and the group of the configMap and
     * secret volumes' files (readable by it). fsGroupChangePolicy is accepted (Always,
     * OnRootMismatch): those volumes are written by Tank, so both mean the same; for an
     * emptyDir that already holds files, OnRootMismatch leaves them when its top directory
     * is right already. */
    struct spec_opt_i64 fs_group;
    bool fs_group_on_root_mismatch;
};

struct spec_dns {
    bool set; /* dnsConfig present */
    char **nameservers;
    size_t n_nameservers;
    char **searches;
    size_t n_searches;
    struct spec_kv *options; /* value NULL when the option has none */
    size_t n_options;
};

/* spec.dnsPolicy: every policy but None uses the host seam's DNS (one host has no cluster
 * DNS); None requires dnsConfig. A pod's dnsConfig replaces the host's servers. */
enum spec_dns_policy {
    SPEC_DNS_CLUSTER_FIRST, /* the default, as in Kubernetes */
    SPEC_DNS_CLUSTER_FIRST_WITH_HOST_NET,
    SPEC_DNS_DEFAULT,
    SPEC_DNS_NONE,
};
const char *spec_dns_policy_to_string(enum spec_dns_policy p);

/* The operators of a node selector requirement (Kubernetes' NodeSelectorOperator). */
enum spec_node_op {
    SPEC_NODE_IN,
    SPEC_NODE_NOT_IN,
    SPEC_NODE_EXISTS,
    SPEC_NODE_DOES_NOT_EXIST,
    SPEC_NODE_GT,
    SPEC_NODE_LT
};
const char *spec_node_op_to_string(enum spec_node_op op);

/* One matchExpressions (a label) or matchFields (metadata.name, field) entry. */
struct spec_node_req {
    char *key;
    enum spec_node_op op;
    char **values; /* In/NotIn: one or more; Gt/Lt: one integer; Exists/DoesNotExist: none */
    size_t n_values;
    bool field;
};

/* A nodeSelectorTerms entry: every requirement must hold (a term without any matches no
 * host, as in Kubernetes). */
struct spec_node_term {
    struct spec_node_req *reqs;
    size_t n_reqs;
};

/* spec.nodeName, spec.nodeSelector and affinity.nodeAffinity.requiredDuringScheduling...
 * nodeSelectorTerms (any term). All empty: every host. preferred terms and pod (anti-)
 * affinity are accepted with a warning and not kept. */
struct spec_node {
    char *name;
    struct spec_kv *selector;
    size_t n_selector;
    struct spec_node_term *terms;
    size_t n_terms;
    bool has_affinity; /* required terms were given (n_terms >= 1) */
};

struct spec_pod {
    char *api_version; /* "v1" or "tank/v1" */
    char *name;
    char *namespace; /* metadata.namespace, "default" when absent (a DNS label) */
    struct spec_kv *labels;
    size_t n_labels;
    struct spec_kv *annotations;
    size_t n_annotations;

    struct spec_container *containers;
    size_t n_containers;
    /* spec.initContainers, in order (sidecar set for restartPolicy: Always); names are
     * unique across both lists. */
    struct spec_container *init_containers;
    size_t n_init_containers;
    struct spec_volume *volumes;
    size_t n_volumes;
    enum spec_restart_policy restart_policy;
    int64_t termination_grace_seconds; /* default 30 */
    char *hostname;                    /* NULL = pod name */
    bool host_network;
    /* Process and IPC namespaces: shareProcessNamespace (one PID namespace for all the pod's
     * containers), hostPID, hostIPC (the host's namespaces). hostPID and
     * shareProcessNamespace exclude each other; hostUsers: false excludes the host ones. */
    bool share_pid, host_pid, host_ipc;
    /* hostUsers (Kubernetes 1.30+): false = the pod's own user namespace; unset = the
     * agent's [security] default_host_users. false is refused with hostNetwork. */
    struct spec_opt_bool host_users;
    struct spec_dns dns;
    enum spec_dns_policy dns_policy;
    struct spec_pod_security sec;
    struct spec_resources res; /* spec.resources (pod-level, Kubernetes 1.32+); 0 = unset */
    struct spec_netns network; /* tank/v1 only; empty = loopback only */
    /* spec.imagePullSecrets[].name; the agent's resolution fills pull_auth with their
     * ".dockerconfigjson" texts (Secrets of type kubernetes.io/dockerconfigjson, in order;
     * a missing one is skipped, as the kubelet does, and named in pull_secrets_skipped).
     * Not covered by the hash. */
    char **pull_secrets;
    size_t n_pull_secrets;
    char **pull_auth;
    size_t n_pull_auth;
    /* The resolution's account of the ones skipped ("regcred (not found), x (of type
     * Opaque, not kubernetes.io/dockerconfigjson)"), NULL when none: an event at each pull
     * and part of a failed pull's message. */
    char *pull_secrets_skipped;
    struct spec_node node; /* which hosts the pod is for (the agent's node selection) */

    /* Where it came from. */
    char *file;    /* manifest path */
    int line;      /* line of the document start */
    char *source;  /* the document's text as written (spec_doc_text), NULL when the pod was
                    * not read from a file (the controllers' pods); not part of the hash */
    int name_line; /* where metadata.name is written (for "already defined in") */
    int name_column;
    /* Canonical hash (sha256 hex, 64 chars + NUL) of what the pod runs: metadata.name and
     * everything under spec, defaults applied (so `restartPolicy: Always` written out or
     * left out, CAP_X or X, 2001:DB8::1 or 2001:db8::1 hash the same). Independent of key
     * order, formatting, comments, YAML or JSON, and the file it came from. apiVersion,
     * labels and annotations are not covered: changing them does not replace a pod. */
    char hash[65];
    /* The same hash without the resources of the pod and of its containers: two pods with the
     * same one differ at most in requests and limits (an in-place resize may apply). */
    char hash_nores[65];
    /* The workload that made this pod (agent/controllers.h): "Deployment" / "Job" and its
     * name, NULL for a pod written as a Pod. Not covered by the hash. */
    char *owner_kind;
    char *owner_name;
    /* Set by the agent's controllers for a pod it keeps but whose spec it does not know (an
     * old revision's pod adopted after an agent restart): hash is the one the pod runs, the
     * rest is the current template's. The reconciler keeps such a pod as it runs and never
     * gives it this spec nor starts it. Not covered by the hash. */
    bool placeholder;
};

/* A ConfigMap or Secret: named data for pods (env, envFrom, volumes). Values are bytes
 * (Secret data decoded from base64; stringData merged over data). */
enum spec_object_kind { SPEC_CONFIGMAP, SPEC_SECRET, SPEC_PVC };
#define SPEC_MAX_OBJECT_SIZE (1u << 20) /* bytes of data per ConfigMap or Secret */

struct spec_data {
    char *key;
    unsigned char *value; /* NUL-terminated copy of len bytes */
    size_t len;
};

struct spec_object {
    enum spec_object_kind kind;
    char *name;
    char *namespace; /* "default" when absent */
    char *type;      /* Secret type ("Opaque" default); NULL for a ConfigMap */
    bool immutable;
    /* PersistentVolumeClaim: a named volume, state_dir/volumes/NAME (spec/pvc.c) */
    uint64_t storage;       /* resources.requests.storage in bytes (not enforced) */
    char *storage_class;    /* storageClassName as written, NULL when absent */
    struct spec_data *data; /* sorted by key */
    size_t n_data;
    char *file;
    int line;
    int name_line;
    int name_column;
};

const char *spec_object_kind_to_string(enum spec_object_kind k);
void spec_object_free(struct spec_object *o);
struct spec_object *spec_object_dup(const struct spec_object *o);
/* The value of key in o, NULL when absent. */
const struct spec_data *spec_object_get(const struct spec_object *o, const char *key);

/*
 * Workloads (apps/v1 Deployment and DaemonSet, batch/v1 Job): a pod template and how many
 * pods of it to run. The agent's controllers turn them into pods (agent/controllers.h). The
 * template is a pod named like the workload, validated as a pod is (errors name
 * "spec.template.spec..."), its hash covering what its pods run.
 */
enum spec_workload_kind { SPEC_DEPLOYMENT, SPEC_JOB, SPEC_DAEMONSET, SPEC_CRONJOB };

/* A CronJob's own fields (batch/v1): its jobTemplate is a Job named like the CronJob. */
enum spec_concurrency { SPEC_CONCURRENCY_ALLOW, SPEC_CONCURRENCY_FORBID, SPEC_CONCURRENCY_REPLACE };
struct spec_cron {
    char *schedule;  /* as written (base/cron.h) */
    char *time_zone; /* an IANA zone of the system's zoneinfo; NULL: the host's local time */
    enum spec_concurrency concurrency;
    struct spec_opt_i64 starting_deadline_s;
    bool suspend;
    int32_t successful_history; /* 3 */
    int32_t failed_history;     /* 1 */
    struct spec_workload *job;  /* spec.jobTemplate as a Job */
};
void spec_cron_free(struct spec_cron *c);
struct spec_cron *spec_cron_dup(const struct spec_cron *c);
const char *spec_workload_kind_to_string(enum spec_workload_kind k);

struct spec_workload {
    enum spec_workload_kind kind;
    char *name;
    char *namespace;
    struct spec_pod *tmpl; /* spec.template as a pod named like the workload */
    /* Deployment */
    int32_t replicas;         /* 1 */
    struct spec_kv *selector; /* spec.selector.matchLabels (sorted by key) */
    size_t n_selector;
    bool recreate;     /* strategy.type Recreate (else RollingUpdate) */
    int32_t max_surge; /* resolved against replicas, as Kubernetes rounds */
    int32_t max_unavailable;
    int32_t min_ready_s;         /* 0 */
    int32_t progress_deadline_s; /* 600 */
    bool paused;
    /* DaemonSet: updateStrategy OnDelete (else RollingUpdate, max_surge and max_unavailable
     * resolved against its one pod, both rounded up as Kubernetes does for a DaemonSet);
     * min_ready_s as for a Deployment. */
    bool on_delete;
    /* Job */
    int32_t completions;   /* 1 */
    int32_t parallelism;   /* 1 */
    int32_t backoff_limit; /* 6 */
    struct spec_opt_i64 active_deadline_s;
    struct spec_opt_i64 ttl_after_finished_s;
    char *owner_cronjob; /* a Job a CronJob made: its CronJob's name (else NULL) */
    /* CronJob: tmpl is its jobTemplate's pod template */
    struct spec_cron *cron;
    char *file;
    int line;
    int name_line;
    int name_column;
};
void spec_workload_free(struct spec_workload *wl);
struct spec_workload *spec_workload_dup(const struct spec_workload *wl);
/* Kubernetes' rounding of an intOrString percentage against total: maxSurge rounds up,
 * maxUnavailable down. pct is 0..100. */
int32_t spec_percent_of(int32_t pct, int32_t total, bool round_up);

/* One validation or parse error, located in a file. */
struct spec_error {
    char *file;
    int line; /* 1-based; 0 when unknown */
    int column;
    char *message; /* "spec.containers[0].livenessProbe: not supported" */
};

/* The result of parsing a set of manifests. */
struct spec_set {
    struct spec_pod **pods; /* valid pods, in path order then document order */
    size_t n_pods;
    struct spec_error *errors;
    size_t n_errors;
    /* Warnings: what was skipped while loading a tree (a symbolic link leaving it, a FIFO
     * named like a manifest; line 0, file = the skipped path), and fields accepted but
     * meaningless on one host ("spec.schedulerName: ignored on a single host"). Warnings
     * never make a pod invalid; `tank validate --strict` counts them as errors. */
    struct spec_error *warnings;
    size_t n_warnings;
    /* ConfigMaps and Secrets, in path order then document order; (kind, namespace, name)
     * is unique (a name claimed twice is an error on the later file). */
    struct spec_object **objects;
    size_t n_objects;
    /* Deployments and Jobs, in path order then document order; (kind, namespace, name)
     * unique as for objects. */
    struct spec_workload **workloads;
    size_t n_workloads;
};

/* Find a ConfigMap or Secret; NULL when absent. */
struct spec_object *spec_set_find_object(const struct spec_set *set, enum spec_object_kind kind,
                                         const char *namespace, const char *name);

/* Recompute pod->hash after the agent filled resolved values in (env values read from
 * ConfigMaps, Secrets and the pod's fields, config_error): the hash then covers what the
 * pod reads. Returns 0 or -ENOMEM/-EIO. */
int spec_pod_rehash(struct spec_pod *pod);

/* Parse one manifest file: valid pods are appended to set->pods, problems to
 * set->errors (a document with any error yields no pod; empty documents are skipped; a
 * file without any document is the error "no Pod in file"). A file larger than
 * SPEC_MAX_FILE_SIZE is refused before reading. Errors of one file are sorted by position.
 * Returns the number of errors added (>= 0); a negative value only on allocation failure.
 * Duplicate names are not checked here (see spec_load_tree).
 *
 * YAML is read as Kubernetes reads it (YAML 1.1 scalars: `value: 8080` is an integer, not a
 * string). Aliases (*name) and custom tags are errors. Files named *.json get escaped
 * UTF-16 surrogate pairs ("\ud83d\ude00") rewritten before libyaml sees them. */
int spec_parse_file(struct spec_set *set, const char *path);

/* Same from a buffer; file is the name used in errors and recorded in pods. */
int spec_parse_buffer(struct spec_set *set, const char *file, const char *data, size_t len);

/* The document of data (len bytes) that holds line: the text from a "---" line at column 0
 * (or data's start) to the next one, without its "---" line. *doc points into data. */
void spec_doc_text(const char *data, size_t len, int line, const char **doc, size_t *doc_len);

/* Load every *.yaml, *.yml, *.json under path (a file or a directory tree, hidden entries
 * such as .git and .worktrees skipped) in path order (strcmp of the whole path). path itself
 * may be or pass through a symbolic link (a git-sync "current" link): it is resolved first,
 * and links below it are followed only while they stay inside that resolved root; a link
 * leaving it (to /sys, /proc, /etc...) and anything named like a manifest that is not a
 * regular file (a FIFO, a device, a socket) are skipped with a warning naming them. A file
 * reached twice through symlinks is read once, under its first path; symlink loops are not
 * followed; the walk stops at SPEC_TREE_MAX_DEPTH directories deep and after
 * SPEC_TREE_MAX_ENTRIES entries (an error on the root), so it always ends quickly. A pod
 * name claimed twice is an error on the later file ("metadata.name: pod name 'web' is
 * already defined in FILE:LINE"); the first keeps its pod. An unreadable path is an error
 * without position (line 0). Returns the number of errors added, or -ENOMEM. */
#define SPEC_TREE_MAX_DEPTH 32
#define SPEC_TREE_MAX_ENTRIES 100000
int spec_load_tree(struct spec_set *set, const char *path);

/* Find a pod by name; NULL when absent. */
struct spec_pod *spec_set_find(const struct spec_set *set, const char *name);

/* Format "FILE:LINE:COL: message" into out, made printable (tk_escape). */
void spec_error_format(const struct spec_error *e, char *out, size_t size);
/* Format a warning: "FILE:LINE:COL: warning: message". */
void spec_warning_format(const struct spec_error *e, char *out, size_t size);

void spec_set_init(struct spec_set *set);
void spec_set_free(struct spec_set *set);
/* Append an error (a warning) about FILE:LINE:COL to the set's errors (warnings); line and
 * col 0 when unknown. Allocation failure aborts (base/alloc.h). */
void spec_set_add_error(struct spec_set *set, const char *file, int line, int col, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));
void spec_set_add_warning(struct spec_set *set, const char *file, int line, int col,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Remove pod i from the set and hand it to the caller. */
struct spec_pod *spec_set_take(struct spec_set *set, size_t i);
void spec_pod_free(struct spec_pod *pod);

/* Deep copy (NULL on allocation failure). */
struct spec_pod *spec_pod_dup(const struct spec_pod *pod);

/* Every container of a pod by one index: the app containers first (0 .. n_containers - 1,
 * their indexes as in spec.containers), then the init containers (n_containers + i for
 * spec.initContainers[i]). NULL past the end. */
size_t spec_pod_n_all(const struct spec_pod *pod);
struct spec_container *spec_pod_ctr(const struct spec_pod *pod, size_t idx);
static inline bool spec_pod_is_init(const struct spec_pod *pod, size_t idx)
{
    return idx >= pod->n_containers;
}

/* Validation helpers shared with other parts. */
bool tk_is_dns_label(const char *s);
/* Kubernetes environment variable name: [A-Za-z_][A-Za-z0-9_.-]*. */
bool spec_is_env_name(const char *s);
/* Parse a CIDR ("192.0.2.10/24"): family AF_INET/AF_INET6, address bytes (16), prefix. */
int tk_parse_cidr(const char *s, int *family, unsigned char addr[16], int *prefix);
/* Parse a MAC "aa:bb:cc:dd:ee:ff" into 6 bytes. */
int tk_parse_mac(const char *s, unsigned char mac[6]);

/* Kubernetes' QoS class of a pod from its containers' resources: Guaranteed (every
 * container has cpu and memory limits equal to its requests), BestEffort (no container has
 * any), else Burstable. */
const char *spec_pod_qos_class(const struct spec_pod *pod);
