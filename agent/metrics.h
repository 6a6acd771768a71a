#pragma once
/*
 * The agent's metrics in the Prometheus text format (version 0.0.4), served as GET /metrics:
 *   tank_build_info{version}, tank_revision_info{revision}, tank_sync_last_success_timestamp_
 *   seconds, tank_sync_failures_total, tank_pods{phase}, tank_container_restarts_total{pod,
 *   container}, tank_container_state{pod,container,state}, tank_container_ready{pod,container},
 *   tank_container_cpu_usage_seconds_total and tank_container_memory_working_set_bytes{pod,
 *   container} (when known), tank_image_pull_duration_seconds and
 *   tank_reconcile_duration_seconds (histograms), tank_manifest_errors.
 * Observations are process-wide (one agent per process).
 */
#include <stdint.h>

struct reconciler;
struct sync;

/* An event of a pod (reconcile's): "Pulling" then "Pulled" time an image pull. */
void metrics_on_event(const char *pod, const char *ctr, const char *reason);
/* Around a reconcile pass: the start (monotonic ns), then its end. */
int64_t metrics_reconcile_begin(void);
void metrics_reconcile_end(int64_t begin);

/* The exposition (a heap string; NULL when out of memory). sync may be NULL. */
char *metrics_render(const struct reconciler *r, const struct sync *sync);
