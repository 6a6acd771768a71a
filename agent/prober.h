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

struct ctr;
struct probe;

/* The container runs (again): start its probes. */
void probe_ctr_running(struct ctr *c);
/* The container exited or its pod stops: cancel its probes (children killed). */
void probe_ctr_stopped(struct ctr *c);
/* Process-wide setup (the agent's own network namespace); -errno. */
int probe_init(void);
