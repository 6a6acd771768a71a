#pragma once
/*
 * Node selection: which valid pods of the desired state are for this host, decided as the
 * Kubernetes scheduler decides a pod's node, before the reconciler sees them (the reconciler
 * keeps seeing only pods to run). A host has its name (uname's nodename) and labels: [host]
 * labels plus the built-in kubernetes.io/hostname (the name), kubernetes.io/os (linux) and
 * kubernetes.io/arch (amd64, arm64, ...; also as beta.kubernetes.io/os and /arch).
 *
 * A pod is for this host when spec.nodeName (if set) is its name, every spec.nodeSelector
 * label has the value given, and (if given) one of the required nodeAffinity terms holds:
 * each of the term's requirements (In, NotIn, Exists, DoesNotExist, Gt, Lt on a label;
 * In, NotIn on metadata.name). A pod that is not for this host is neither started nor an
 * error: it is listed apart, with the reason.
 */
#include <stdbool.h>
#include <stddef.h>

struct spec_pod;
struct store_state;
struct tank_config;

/* A valid pod that is not for this host. */
struct nodesel_skipped {
    char *name;
    char *file;
    char *reason; /* "spec.nodeSelector: disktype=ssd, this host has disktype=hdd" */
};

/* The configuration whose [host] labels apply (kept: a reload's new labels apply at the next
 * read). Without it, only the built-in labels. */
void nodesel_init(const struct tank_config *cfg);

/* Whether pod is for the host named host; when not, why (a sentence) in why. */
bool nodesel_matches(const struct spec_pod *pod, const char *host, char *why, size_t size);

/* Move the pods of st->set that are not for host out of it into st->skipped. -ENOMEM. */
int nodesel_filter(struct store_state *st, const char *host);
/* Free a list of skipped pods. */
void nodesel_free(struct nodesel_skipped *v, size_t n);
