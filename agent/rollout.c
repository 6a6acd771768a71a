/* A Deployment's rollout arithmetic (see rollout.h). */
#include "agent/rollout.h"

#define NS_PER_S 1000000000ll

bool rollout_available(const struct rollout_pod *p, int32_t min_ready_s, int64_t now_ns)
{
    return p->ready && !p->stopping && now_ns - p->ready_ns >= (int64_t)min_ready_s * NS_PER_S;
}

enum pick { PICK_NEW, PICK_OLD_UNAVAILABLE, PICK_OLD };

struct plan {
    const struct rollout_params *par;
    struct rollout_pod *pods;
    size_t n;
    int64_t now;
};

static bool picks(const struct plan *pl, const struct rollout_pod *p, enum pick what)
{
    if (!p->keep)
        return false;
    if (what == PICK_NEW)
        return p->is_new;
    if (p->is_new)
        return false;
    return what == PICK_OLD || !rollout_available(p, pl->par->min_ready_s, pl->now);
}

/* Stop up to count kept pods that what picks, highest index first; how many were. */
static int32_t drop(struct plan *pl, enum pick what, int32_t count)
{
    int32_t done = 0;
    for (; done < count; done++) {
        struct rollout_pod *top = NULL;
        for (size_t i = 0; i < pl->n; i++)
            if (picks(pl, &pl->pods[i], what) &&
                (!top || pl->pods[i].index > top->index ||
                 (what == PICK_OLD && pl->pods[i].index == top->index &&
                  !rollout_available(&pl->pods[i], pl->par->min_ready_s, pl->now))))
                top = &pl->pods[i];
        if (!top)
            break;
        top->keep = false;
    }
    return done;
}

static int32_t count(const struct plan *pl, bool is_new, bool available_only)
{
    int32_t c = 0;
    for (size_t i = 0; i < pl->n; i++) {
        const struct rollout_pod *p = &pl->pods[i];
        c += p->keep && p->is_new == is_new &&
             (!available_only || rollout_available(p, pl->par->min_ready_s, pl->now));
    }
    return c;
}

/* The old pods go within maxUnavailable (reconcileOldReplicaSets). */
static void scale_down_old(struct plan *pl, int32_t n_new)
{
    const struct rollout_params *par = pl->par;
    int32_t min_available = par->replicas - par->max_unavailable;
    int32_t new_unavailable = n_new - count(pl, true, true);
    int32_t max_down = n_new + count(pl, false, false) - min_available - new_unavailable;
    if (max_down <= 0)
        return;
    /* unhealthy old pods first (cleanupUnhealthyReplicas) */
    drop(pl, PICK_OLD_UNAVAILABLE, max_down);
    int32_t available = count(pl, true, true) + count(pl, false, true);
    if (available > min_available)
        drop(pl, PICK_OLD, available - min_available);
}

static void step(struct plan *pl, struct rollout_result *out)
{
    const struct rollout_params *par = pl->par;
    int32_t n_new = count(pl, true, false), n_old = count(pl, false, false), stopping = 0;
    int32_t stopping_old = 0;
    for (size_t i = 0; i < pl->n; i++) {
        stopping += pl->pods[i].stopping;
        stopping_old += pl->pods[i].stopping && !pl->pods[i].is_new;
    }
    if (n_new > par->replicas)
        n_new -= drop(pl, PICK_NEW, n_new - par->replicas);
    if (!n_old && !stopping_old) { /* nothing to roll: scale */
        out->create = par->replicas - n_new;
        return;
    }
    if (par->paused)
        return;
    if (par->recreate) {
        drop(pl, PICK_OLD, n_old);
        return;
    }
    int32_t all = n_new + n_old + stopping, max_total = par->replicas + par->max_surge;
    if (n_new < par->replicas && all < max_total) {
        int32_t up = max_total - all;
        out->create = up < par->replicas - n_new ? up : par->replicas - n_new;
        return;
    }
    scale_down_old(pl, n_new);
}

void rollout_plan(const struct rollout_params *par, struct rollout_pod *pods, size_t n,
                  int64_t now_ns, struct rollout_result *out)
{
    struct plan pl = {par, pods, n, now_ns};
    *out = (struct rollout_result){0};
    for (size_t i = 0; i < n; i++)
        pods[i].keep = !pods[i].stopping;
    step(&pl, out);
    if (out->create < 0)
        out->create = 0;
    for (size_t i = 0; i < n; i++) {
        const struct rollout_pod *p = &pods[i];
        bool avail = rollout_available(p, par->min_ready_s, now_ns);
        out->old += !p->is_new;
        if (p->stopping)
            continue;
        out->updated += p->is_new && p->keep;
        out->ready += p->ready;
        out->available += avail;
        out->new_available += avail && p->is_new;
        int64_t due = p->ready_ns + (int64_t)par->min_ready_s * NS_PER_S;
        if (p->ready && !avail && (!out->wake_ns || due < out->wake_ns))
            out->wake_ns = due;
    }
    out->updated += out->create;
    out->complete = !out->old && out->updated == par->replicas &&
                    out->new_available == par->replicas && !out->create;
}
