#pragma once
/*
 * Probes of a running container (liveness, readiness, startup), as the kubelet runs them:
 * each on its own timer (initialDelaySeconds, then every periodSeconds), each run with a
 * deadline (timeoutSeconds) and never blocking the loop: an exec probe is a child
 * (sandbox_container_exec: the container's user, capabilities, cgroup and confinement);
 * httpGet and tcpSocket are non-blocking sockets made inside the pod's network namespace.
 *
 *   probe      result streak                       effect
 *   startup    successThreshold (1) successes      started; liveness and readiness count
 *              failureThreshold failures           the container is killed (its grace)
 *   liveness   failureThreshold failures           the container is killed (probe grace,
 *                                                  else the pod's); the policy decides
 *   readiness  successThreshold successes          ready
 *              failureThreshold failures           not ready
 * Every failed run is an event "Unhealthy: Liveness probe failed: ...".
 * Without a startup probe a container is started once running; without a readiness probe
 * it is ready once started.
 */
#include <stdbool.h>
#include <stdint.h>

struct ctr;
struct probe;

/* The container runs (again): start its probes. */
void probe_ctr_running(struct ctr *c);
/* The container exited or its pod stops: cancel its probes (children killed). */
void probe_ctr_stopped(struct ctr *c);
/* Lifecycle hooks (lifecycle.postStart, lifecycle.preStop of the container's spec), run as a
 * probe's handler is (exec: a child in the container; httpGet: a non-blocking request from the
 * pod's network namespace) or, for sleep, as a timer; never blocking the loop. */
enum probe_hook { PROBE_HOOK_NONE, PROBE_HOOK_POST_START, PROBE_HOOK_PRE_STOP };
/* Run hook which of c (its spec must have it): done(c, ok, why) once it ended, failed or
 * deadline_ms (0: none) passed; c->hook holds the run until then. A hook under way is
 * cancelled first. */
void probe_hook_start(struct ctr *c, enum probe_hook which, int64_t deadline_ms,
                      void (*done)(struct ctr *c, bool ok, const char *msg));
/* End the hook under way, if any, without done (its child killed). */
void probe_hook_cancel(struct ctr *c);
/* Process-wide setup (the agent's own network namespace); -errno. */
int probe_init(void);
