/* Capabilities and the user switch of the workload child (no libcap: capset directly). */
#include "sandbox/ctr_internal.h"

#include "base/capability.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Docker's / containerd's default set. */
static const int default_caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

int sandbox_cap_from_name(const char *name)
{
    if (!strcasecmp(name, "ALL"))
        return SANDBOX_CAP_ALL;
    return tk_cap_from_name(name);
}

const char *sandbox_cap_name(int cap)
{
    static char buf[40];
    const char *name = tk_cap_name(cap);
    if (!name)
        return NULL;
    snprintf(buf, sizeof(buf), "CAP_%s", name);
    return buf;
}

int sandbox_cap_last(void)
{
    static int last = -1;
    if (last >= 0)
        return last;
    last = CAP_LAST_CAP;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f) {
        int v;
        if (fscanf(f, "%d", &v) == 1 && v > 0 && v < 64)
            last = v;
        fclose(f);
    }
    return last;
}

/* Every capability this kernel knows that we hold ourselves (a privileged container gets
 * what the host process has: root without CAP_SYS_RESOURCE cannot grant it). */
static uint64_t all_caps(void)
{
    int last = sandbox_cap_last();
    uint64_t all = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) == 0)
        all &= (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
    return all;
}

/* Parse names into a mask; *has_all when "ALL" is among them. */
static int caps_parse(const char *const *names, size_t n, const char *what, uint64_t *mask,
                      int *has_all, struct sandbox_fail *f)
{
    *mask = 0;
    *has_all = 0;
    for (size_t i = 0; i < n; i++) {
        int c = sandbox_cap_from_name(names[i]);
        if (c == SANDBOX_CAP_ALL)
            *has_all = 1;
        else if (c < 0 || c > sandbox_cap_last())
            return sandbox_fail(f, SANDBOX_STAGE_CAPS, 0, "%s capability '%s': unknown", what,
                                names[i]);
        else
            *mask |= 1ULL << c;
    }
    return 0;
}

/* containerd's order: "ALL" in add = every cap, "ALL" in drop = none, then the named adds,
 * then the named drops (so add ALL + drop CHOWN = everything but CHOWN). */
int sandbox_caps_compute(const struct sandbox_container_config *cfg, uint64_t *set,
                         struct sandbox_fail *f)
{
    uint64_t add, drop, caps = 0;
    int add_all, drop_all;
    int r = caps_parse(cfg->cap_add, cfg->n_cap_add, "add", &add, &add_all, f);
    if (r < 0)
        return r;
    r = caps_parse(cfg->cap_drop, cfg->n_cap_drop, "drop", &drop, &drop_all, f);
    if (r < 0)
        return r;
    if (cfg->privileged) {
        *set = all_caps();
        return 0;
    }
    for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
        caps |= 1ULL << default_caps[i];
    if (add_all)
        caps = all_caps();
    if (drop_all)
        caps = 0;
    caps |= add;
    caps &= ~drop;
    *set = caps;
    return 0;
}

static int capset_all(uint64_t eff, uint64_t perm, uint64_t inh)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)eff;
    data[1].effective = (uint32_t)(eff >> 32);
    data[0].permitted = (uint32_t)perm;
    data[1].permitted = (uint32_t)(perm >> 32);
    data[0].inheritable = (uint32_t)inh;
    data[1].inheritable = (uint32_t)(inh >> 32);
    return (int)syscall(SYS_capset, &hdr, data);
}

static int drop_bounding(uint64_t set, struct sandbox_fail *f)
{
    for (int c = 0; c <= sandbox_cap_last(); c++) {
        if (set & (1ULL << c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return sandbox_fail(f, SANDBOX_STAGE_CAPS, errno, "drop %s from the bounding set",
                                sandbox_cap_name(c));
    }
    return 0;
}

static int switch_user(const struct sandbox_container_config *cfg, struct sandbox_fail *f)
{
    if (setgroups(cfg->n_groups, cfg->groups) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_USER, errno, "setgroups");
    if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_USER, errno, "setgid %u", (unsigned)cfg->gid);
    if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_USER, errno, "setuid %u", (unsigned)cfg->uid);
    return 0;
}

/* Docker's and containerd's rule: root keeps the set in its bounding, permitted and effective
 * sets; any other user gets empty effective, permitted, inheritable and ambient sets and only
 * the bounding set (so a setuid-root binary, where no_new_privs allows it, can still gain
 * them). The inheritable set is empty for root too (runc since CVE-2022-24769). */
int sandbox_user_caps_apply(const struct sandbox_container_config *cfg, uint64_t set,
                            struct sandbox_fail *f)
{
    /* The bounding set needs CAP_SETPCAP, which we still have in full. */
    int r = drop_bounding(set, f);
    if (r < 0)
        return r;
    /* Without keepcaps, leaving uid 0 clears the permitted, effective and ambient sets. */
    r = switch_user(cfg, f);
    if (r < 0)
        return r;
    uint64_t keep = cfg->uid == 0 ? set : 0;
    if (capset_all(keep, keep, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_CAPS, errno, "capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return sandbox_fail(f, SANDBOX_STAGE_CAPS, errno, "clear the ambient set");
    if (cfg->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_CAPS, errno, "set no_new_privs");
    return 0;
}
