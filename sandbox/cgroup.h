#pragma once
/*
 * Cgroups for pods and containers, on cgroup v2 (unified) and v1 (legacy or hybrid) alike.
 *
 * sandbox_cgroups_open() detects the layout once: v2 when the controllers live on a cgroup2
 * mount, else v1 (the memory, cpu, cpuacct, pids, devices and freezer hierarchies that are
 * mounted; a hybrid host's empty cgroup2 is then left alone). It finds the caller's own
 * cgroup in each hierarchy (/proc/self/cgroup) and nests everything under it:
 *
 *     OWN/SUBTREE/POD/CTR        (SUBTREE from the options, e.g. "pods")
 *
 * Nothing is ever written above OWN, and no process is moved except the caller itself
 * (v2, move_self: into OWN/agent when it is alone in OWN, so that OWN may delegate
 * controllers to its children: the no-internal-process rule) and the pids given to
 * sandbox_cgroup_join(), which the caller started.
 *
 * Device policy: a container cgroup created with limits->devices gets runc's default
 * allow-list (c 1:3, 1:5, 1:7, 1:8, 1:9 rwm; c 5:0, 5:1, 5:2 rwm; c 136:* rwm; c *:* m;
 * b *:* m; every other device refused): on v1 through the devices controller, on v2 with a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container cgroup (BPF_F_ALLOW_MULTI).
 *
 * Functions return 0 (or >= 0) on success and -errno on failure with err filled (err may
 * be NULL). Names (pod, ctr) are single path components; ctr NULL means the pod's cgroup.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

enum sandbox_cgroup_version {
    SANDBOX_CGROUP_NONE = 0,
    SANDBOX_CGROUP_V1 = 1,
    SANDBOX_CGROUP_V2 = 2,
};

struct sandbox_cgroup_options {
    const char *subtree; /* one component under the caller's own cgroup; required */
    bool move_self;      /* v2: move the caller into OWN/agent when it is alone in OWN */
    /* Tests: use this cgroup2 directory (or a tree laid out like one) as the caller's own
     * cgroup on v2, without detection; move_self applies to it. NULL = detect. */
    const char *v2_own_dir;
};

struct sandbox_cgroups;

/* Detect the layout and prepare OWN/SUBTREE (created in each hierarchy). -ENOENT when no
 * usable cgroup hierarchy is mounted. *out is freed with sandbox_cgroups_free(). */
int sandbox_cgroups_open(const struct sandbox_cgroup_options *opts, struct sandbox_cgroups **out,
                         struct tk_err *err);
void sandbox_cgroups_free(struct sandbox_cgroups *cg);

enum sandbox_cgroup_version sandbox_cgroups_version(const struct sandbox_cgroups *cg);
/* One line for the log: "cgroup v1 (hybrid): memory cpu cpuacct pids devices freezer under
 * /user.slice/x.scope/pods". Owned by cg. */
const char *sandbox_cgroups_describe(const struct sandbox_cgroups *cg);

/* The directory of POD (ctr NULL) or POD/CTR in the hierarchy that holds controller
 * ("memory", "devices", ...; on v2 any name, even one not enabled). -ENOENT when that
 * controller has no hierarchy, -ENAMETOOLONG when buf is too small. */
int sandbox_cgroup_path(const struct sandbox_cgroups *cg, const char *controller, const char *pod,
                        const char *ctr, char *buf, size_t size);

/* What a cgroup enforces. 0 / false = not set. */
struct sandbox_cgroup_limits {
    int64_t memory_max;   /* bytes (swap bounded to it too, where the kernel has the file) */
    int64_t cpu_quota_us; /* per SANDBOX_CGROUP_CPU_PERIOD_US */
    int64_t cpu_shares;   /* v1 shares (2..262144); v2 gets the weight runc converts to */
    int64_t pids_max;
    bool devices; /* the default device allow-list (a non-privileged container) */
};
#define SANDBOX_CGROUP_CPU_PERIOD_US 100000

/* Create (or reuse) the cgroup of POD or POD/CTR, its pod's first, and write limits into it
 * (NULL = none). A limit whose controller is missing fails with -EOPNOTSUPP and a message
 * like "memory limit requested but no memory controller is available". The device policy
 * needs an empty cgroup on v1 (a fresh one). */
int sandbox_cgroup_create(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                          const struct sandbox_cgroup_limits *limits, struct tk_err *err);

/* Rewrite the limits of the existing cgroup POD or POD/CTR in place (an in-place resize): a
 * memory or cpu limit that is 0 is written as none ("max", -1); the device policy is left as
 * it is. -ENOENT when the cgroup does not exist; the kernel's refusal (a memory limit below
 * what the cgroup uses: -EBUSY) with err naming the file. */
int sandbox_cgroup_update(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                          const struct sandbox_cgroup_limits *limits, struct tk_err *err);

/* The cgroup v2 cpu.weight for v1 cpu shares, as runc converts it (0 for 0). */
int64_t sandbox_cgroup_shares_to_weight(int64_t shares);

/* Move pid (a process the caller started) into POD/CTR in every hierarchy. */
int sandbox_cgroup_join(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                        pid_t pid, struct tk_err *err);

/* SIGKILL every process in POD (ctr NULL: and all its containers) or POD/CTR: cgroup.kill
 * where the kernel has it, else freeze, kill, thaw (v1 freezer), else kill what
 * cgroup.procs lists until it is empty. Returns the number of processes signalled. */
int sandbox_cgroup_kill(const struct sandbox_cgroups *cg, const char *pod, const char *ctr);

/* Kill (as above) and remove the cgroup of POD/CTR, or of POD with all its containers, in
 * every hierarchy. A missing cgroup is success; -EBUSY when a process would not go. */
int sandbox_cgroup_remove(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                          struct tk_err *err);

/* Names of the pods (pod NULL) or of POD's containers that have a cgroup: a heap array of
 * heap strings (free each, then the array). Returns the count. */
int sandbox_cgroup_list(const struct sandbox_cgroups *cg, const char *pod, char ***names);

/* Processes in POD/CTR (or POD and its containers when ctr is NULL); -ENOENT when the
 * cgroup does not exist. */
int sandbox_cgroup_count_procs(const struct sandbox_cgroups *cg, const char *pod, const char *ctr);

/* Remove every pod's cgroup (killing what runs in them) and OWN/SUBTREE itself. For tests
 * and an uninstall; an agent keeps its subtree. */
int sandbox_cgroups_remove_all(const struct sandbox_cgroups *cg, struct tk_err *err);

/* Whether controller ("memory", "cpu", "pids", ...) can be used for limits. */
bool sandbox_cgroups_has(const struct sandbox_cgroups *cg, const char *controller);

/* How many processes of POD/CTR the OOM killer killed (memory.events "oom_kill" on v2,
 * memory.oom_control "oom_kill" on v1); -errno when unknown. */
int64_t sandbox_cgroup_oom_kills(const struct sandbox_cgroups *cg, const char *pod,
                                 const char *ctr);

/* CPU time used by POD/CTR (ctr NULL: the pod) since its cgroup was made, in ns
 * (cpuacct.usage on v1, cpu.stat usage_usec on v2), and its memory working set in bytes:
 * usage minus inactive file pages, as cAdvisor and the kubelet report it (memory_bytes NULL:
 * the CPU time only). -ENOENT when the cgroup or the controller is missing (the other value
 * is then UINT64_MAX). */
int sandbox_cgroup_usage(const struct sandbox_cgroups *cg, const char *pod, const char *ctr,
                         uint64_t *cpu_ns, uint64_t *memory_bytes);

/* The directories of the cgroups process `of` is in, in every hierarchy with a controller of
 * ours (and the cgroup2 one) that is mounted and shows its cgroup, appended to dirs each with
 * its NUL (tank exec and exec probes join their container's so). */
struct tk_buf;
int sandbox_cgroup_dirs_like(pid_t of, struct tk_buf *dirs, struct tk_err *err);
