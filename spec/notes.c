/* Kubernetes fields Tank accepts and ignores (with a warning) or refuses (with what to do
 * instead): one table, so the messages and the README stay in step. */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cleanup.h"

#define IGNORED "ignored on a single host"
#define SERVER IGNORED " (written by a Kubernetes API server)"
#define NO_SCHEDULER IGNORED " (one host, no scheduler)"
#define NO_API IGNORED " (no Kubernetes API to give a token for)"
#define PREFERRED IGNORED " (a host runs the pods for it; only required terms select)"
#define POD_AFFINITY IGNORED " (each host decides alone; pod (anti-)affinity is not checked)"

static const struct {
    const char *path;
    const char *text;
} notes[] = {
    {"status", IGNORED " (status is Tank's to report: tank status)"},
    {"metadata.ownerReferences", IGNORED " (no controller owns a pod read from a file)"},
    {"metadata.generateName", "give the pod a fixed metadata.name"},
    {"spec.schedulerName", IGNORED},
    {"spec.revisionHistoryLimit", IGNORED " (Tank keeps no old ReplicaSets)"},
    {"spec.podFailurePolicy", "use backoffLimit (and restartPolicy OnFailure or Never)"},
    {"spec.suspend", "remove the Job's manifest to stop it"},
    {"spec.selector.matchExpressions", "use matchLabels"},
    {"spec.selector", "Tank selects a Job's pods by its job-name label"},
    {"spec.completionMode", "Indexed Jobs are not supported (NonIndexed is the default)"},
    {"spec.manualSelector", "Tank selects a Job's pods by its job-name label"},
    {"spec.backoffLimitPerIndex", "Indexed Jobs are not supported"},
    {"spec.maxFailedIndexes", "Indexed Jobs are not supported"},
    {"spec.podReplacementPolicy", IGNORED " (a pod is replaced once it has ended)"},
    {"spec.priority", NO_SCHEDULER},
    {"spec.priorityClassName", NO_SCHEDULER},
    {"spec.preemptionPolicy", NO_SCHEDULER},
    {"spec.tolerations", NO_SCHEDULER},
    {"spec.schedulingGates", NO_SCHEDULER},
    {"spec.topologySpreadConstraints", NO_SCHEDULER},
    {"spec.readinessGates", IGNORED " (no Service routes to the pod)"},
    {"spec.serviceAccountName", NO_API},
    {"spec.serviceAccount", NO_API},
    {"spec.automountServiceAccountToken", NO_API},
    {"spec.enableServiceLinks", IGNORED " (no Services)"},
    {"spec.runtimeClassName", IGNORED " (Tank has one runtime)"},
    {"spec.os", IGNORED " (Linux is the only one)"},
    {"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution", PREFERRED},
    {"spec.affinity.podAffinity", POD_AFFINITY},
    {"spec.affinity.podAntiAffinity", POD_AFFINITY},
    {"spec.volumes[].nfs", "mount it on the host and use a hostPath volume"},
    {"spec.volumes[].ephemeral", "use an emptyDir volume (with sizeLimit)"},
    {"spec.containers[].ports[].hostIP",
     "with hostNetwork: true a port listens where the process binds it; without it, give the "
     "pod an address with spec.network (tank/v1)"},
};

/* The metadata a Kubernetes API server writes: accepted in the metadata of every kind and
 * ignored (SERVER says why). */
static const char *const server_metadata[] = {"creationTimestamp", "uid", "resourceVersion",
                                              "generation", "managedFields"};

#define METADATA_MAX_FIELDS 16

bool walk_metadata(struct walk *w, const struct ynode *v, const char *path,
                   const struct field *fields, size_t n_fields, void *obj)
{
    struct field all[METADATA_MAX_FIELDS + TK_ARRAY_SIZE(server_metadata)];
    if (n_fields > METADATA_MAX_FIELDS)
        abort(); /* a table of ours: raise METADATA_MAX_FIELDS */
    memcpy(all, fields, n_fields * sizeof(*fields));
    for (size_t i = 0; i < TK_ARRAY_SIZE(server_metadata); i++)
        all[n_fields + i] = (struct field){server_metadata[i], field_ignored};
    return walk_map(w, v, path, all, n_fields + TK_ARRAY_SIZE(server_metadata), obj);
}

static const char *server_note(const char *path)
{
    for (size_t i = 0; i < TK_ARRAY_SIZE(server_metadata); i++)
        if (!strncmp(path, "metadata.", 9) && !strcmp(path + 9, server_metadata[i]))
            return SERVER;
    return NULL;
}

const char *spec_field_note(const char *path)
{
    struct tk_buf b = TK_BUF_INIT;
    /* "a[12].b" -> "a[].b" */
    for (const char *p = path; *p; p++) {
        tk_buf_addc(&b, *p);
        if (*p == '[')
            p += strspn(p + 1, "0123456789");
    }
    const char *key = tk_buf_str(&b), *text = server_note(key);
    for (size_t i = 0; i < TK_ARRAY_SIZE(notes) && !text; i++)
        if (!strcmp(notes[i].path, key))
            text = notes[i].text;
    tk_buf_free(&b);
    return text;
}

void field_ignored(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    const char *text = spec_field_note(path);
    (void)obj;
    wwarn(w, v, path, "%s", text ? text : IGNORED);
}

void field_refused(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    const char *text = spec_field_note(path);
    (void)obj;
    if (text)
        werr(w, v, path, "not supported: %s", text);
    else
        werr(w, v, path, "not supported");
}
