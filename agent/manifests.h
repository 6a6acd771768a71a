#pragma once
/*
 * The store seam: desired state as "the valid pods keyed by name, plus the errors of the
 * manifests that are not valid", read from the pods directory (a tree of *.yaml, *.yml,
 * *.json; hidden entries skipped) and watched with inotify.
 *
 * - Any component of the way from / to the directory may be a symbolic link (git-sync
 *   publishes a revision by renaming a new link over the old one, at pods_dir itself or
 *   any level above it): each link's parent is watched for its name, re-armed after each
 *   swap, so a swap is read at once. The name of the directory the last link of the
 *   configured path resolves to is the store's revision.
 * - The first event after a quiet time is read at once; events during a read or within
 *   the debounce time after it are coalesced into one more read. A queue overflow marks
 *   everything dirty (full rescan).
 * - A manifest that turns invalid keeps the pods it held before (their last valid spec,
 *   with the revision it was read from) while its errors are reported, so a typo never
 *   stops a running pod. A pods directory that disappears (a dangling link, the folder gone
 *   from the new revision) keeps every pod of the last read and is reported as an error;
 *   an existing but empty directory means no pods.
 */
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "agent/admit.h"
#include "agent/controllers.h"
#include "spec/spec.h"

struct loop;
struct nodesel_skipped;
struct store;

struct store_state {
    char *revision;       /* the last link's resolved directory name (see above), or NULL */
    struct spec_set set;  /* valid pods (carried-over ones included) and errors */
    char **pod_revisions; /* NULL, or per set.pods[i]: the revision its spec was read from */
    bool missing;         /* pods_dir is not there: set holds the pods of the last read */
    struct nodesel_skipped *skipped; /* valid pods not for this host (agent/nodesel.h) */
    size_t n_skipped;
    int64_t wake_ms; /* when the controllers decide again (their clock), 0: not before a change */
};

/* The host as pods see it through the downward API. */
struct store_host {
    struct admit_host alloc; /* allocatable: resourceFieldRef of a container without limits */
    const char *uplink;      /* status.hostIP(s): this interface's addresses (NULL = none),
                              * read at each read of the store */
};

/* Called (from the loop) after a debounced change was read into a new state. */
typedef void (*store_change_fn)(void *data);

/* Open the store on pods_dir (absolute) and read it once. debounce_ms is the quiet time
 * that ends a burst. A missing pods_dir is not an error (no pods; it is picked up when it appears).
 * With seccomp_dir, a pod whose Localhost seccomp profile is missing or invalid there is an
 * error of its manifest (agent/confine.h). Returns NULL with err set on failure (inotify
 * unavailable). secrets_dir (NULL = none) holds Secrets and ConfigMaps only, read and
 * watched beside pods_dir (see conf/tank.ini). host (NULL = none) is what the downward API
 * shows of the host (agent/resolve.h). */
struct store *store_new(struct loop *loop, const char *pods_dir, const char *secrets_dir,
                        const char *seccomp_dir, const struct store_host *host, int64_t debounce_ms,
                        store_change_fn fn, void *data, struct tk_err *err);
void store_free(struct store *store);

/* The current desired state, owned by the store: valid until the next refresh. */
const struct store_state *store_state(const struct store *store);

/* Re-read the directory now (the periodic resync). Returns 1 when the state differs from
 * the previous one (pods, hashes, errors or revision), 0 when not, -errno on failure. */
int store_refresh(struct store *store);

/* Where the controllers learn what the pods of a workload became (agent/controllers.h);
 * used from the next refresh on. */
void store_set_observer(struct store *store, controllers_observe_fn fn, void *data);
/* The Deployment and DaemonSet controllers' view of the pods and their events (data is the
 * observer's), and where they keep their rollouts (borrowed); from the next refresh on. */
void store_set_apps(struct store *store,
                    size_t (*list)(void *data, const char *prefix,
                                   struct controllers_podinfo **out),
                    void (*event)(void *data, const char *object, const char *reason,
                                  const char *message),
                    struct controllers_rollouts *rollouts);

/* Where the controllers keep Jobs' and CronJobs' records (controllers.h); from the next
 * refresh on. 0 or -ENOMEM. */
int store_set_state_dir(struct store *store, const char *state_dir);

/* Number of reads done (for tests: a burst must give one). */
uint64_t store_reads(const struct store *store);
