#pragma once
/* What the controllers' parts (controllers.c, jobs.c, cronjobs.c, apps.c) share. */
#include "agent/controllers.h"

/* n characters of CONTROLLERS_ALPHABET from the hex digest hex, mixed with salt; out
 * holds n + 1 bytes. */
void controllers_alphabet(const char *hex, unsigned salt, char *out, size_t n);

/* An error of wl's file at its name (the workload makes no pods). */
void controllers_error(struct spec_set *set, const struct spec_workload *wl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One pod of wl named name, with labels (key, value, ..., NULL) set on the template's;
 * appended to set. 0 (also after an error of wl's file) or -ENOMEM. */
int controllers_add_pod(struct spec_set *set, const struct spec_workload *wl, const char *name,
                        const char *const *labels);

/* A pod of wl kept as it runs (a Deployment's old pod): its spec keep's (NULL: the
 * template's with labels set), its hash hash, placeholder set (controllers.h). */
int controllers_add_kept(struct spec_set *set, const struct spec_workload *wl, const char *name,
                         const char *const *labels, const struct spec_pod *keep, const char *hash);

/* A Deployment or DaemonSet into its pods (apps.c). */
int apps_expand(struct spec_set *set, const struct spec_workload *wl, struct controllers_ctx *ctx);
/* Around one expansion of every workload: the rollouts not seen at the end are forgotten. */
void controllers_apps_begin(struct controllers_ctx *ctx);
void controllers_apps_end(struct controllers_ctx *ctx);

/* A Job into its pods (jobs.c). */
int jobs_expand(struct spec_set *set, const struct spec_workload *wl, struct controllers_ctx *ctx);

/* A CronJob into the Jobs it started, appended to set->workloads (cronjobs.c). */
int cronjobs_expand(struct spec_set *set, const struct spec_workload *cj,
                    struct controllers_ctx *ctx);

/* The earliest of *wake and at (controllers' clock ms; 0 = none). */
static inline void controllers_wake_at(struct controllers_ctx *ctx, int64_t at)
{
    if (at > 0 && (!ctx->wake_ms || at < ctx->wake_ms))
        ctx->wake_ms = at;
}
