#pragma once
/*
 * The resolution step between the store and the reconciler: what a pod reads from other
 * objects of the store (ConfigMaps, Secrets) and from its own fields (the downward API) is
 * filled into the pod's inputs here, so the reconciler and the pod workers keep seeing
 * plain pods.
 *
 * For each container of each pod in set: the environment is built as Kubernetes builds it
 * (envFrom first, in order, prefix + key, keys that are not valid names skipped; then env in
 * order, each value with $(VAR) expanded against the variables before it, valueFrom read
 * from the object or field), command and args are expanded against the whole environment,
 * and c->env becomes that final list. A ConfigMap, Secret or key that is missing and not
 * optional sets c->config_error ("configmap \"cfg\" not found", "couldn't find key k in
 * Secret default/s"): the container waits with CreateContainerConfigError. The pod's hash is
 * recomputed, so it covers what the pod read: a change of a value it reads replaces it.
 *
 * Secret values are copied only into c->env (memory); no message carries a value.
 */
#include <stdint.h>

#include "spec/spec.h"

/* The host as the downward API shows it. */
struct resolve_node {
    const char *name;     /* spec.nodeName: the host's name */
    const char *host_ips; /* status.hostIPs, comma-separated (the first: status.hostIP); the
                           * uplink's addresses, "" when none */
    /* allocatable (agent/admit.h): resourceFieldRef's limits.cpu / limits.memory of a
     * container without that limit, as the kubelet shows a node's allocatable */
    int64_t cpu_milli;
    int64_t memory;
};

/* Returns 0 or -ENOMEM. */
int resolve_pods(struct spec_set *set, const struct resolve_node *node);

/* What pod (a workload's template, before resolution) reads from the ConfigMaps and Secrets of
 * set, as a sha256 digest in hex (out holds 65 bytes): for env valueFrom and envFrom the
 * referenced names, keys and values (or that they are missing); for configMap/secret volumes
 * that are not optional only whether the object and the items' keys are there (their content
 * is updated in place). Never the pod's own fields (metadata.name, status.podIP). A change of
 * what it reads is a new template revision (controllers.h). With key (RESOLVE_KEY_LEN bytes,
 * the host's: store_set_state_dir) the digest is an HMAC-SHA256 under it, so that the
 * pod-template-hash in pod names, shown to whoever sees status or metrics, cannot be used to
 * guess a Secret's value offline from a public repository; NULL: a plain sha256. Returns 1,
 * 0 when the pod reads nothing (out the digest of nothing), or -EIO. */
#define RESOLVE_KEY_LEN 32
int resolve_reads_digest(const struct spec_set *set, const struct spec_pod *pod,
                         const unsigned char *key, char out[65]);

/* Kubernetes' $(VAR) expansion of s: "$$" is "$", "$(NAME)" the value of NAME when
 * lookup knows it and as written when not, any other "$" as written. A new heap string
 * (NULL on allocation failure). */
char *resolve_expand(const char *s, const char *(*lookup)(void *ctx, const char *name), void *ctx);
