#pragma once
/*
 * Internal to sandbox/: the PID namespace of a pod with shareProcessNamespace, held by a
 * small init process of the sandbox's (no pause image: a fork that only reaps), so the pod's
 * containers come and go in it while it stays.
 *
 *   RUN_DIR/pods/POD/ns/pid     bind mount of the namespace (the containers' monitors join it
 *                               with setns before forking their workloads)
 *   RUN_DIR/pods/POD/pidinit    "pid=N\nstart=T\n": the init (as the host sees it) and its
 *                               start time, so a reused pid is never taken for it
 * The init is pid 1 of the namespace: it reaps what its parents left, nothing else; killing
 * it ends every process in the namespace. It runs in its own session, outlives the agent, and
 * is found again from pidinit after an agent restart.
 */
#include <stdbool.h>

#include "base/err.h"

/* In the sandbox's helper child (after its namespaces are made): a new PID namespace with
 * the init as its pid 1, bound onto POD_DIR/ns/pid, recorded in POD_DIR/pidinit. */
int podinit_start(const char *pod_dir, struct tk_err *err);

/* Is POD_DIR's init alive (and its namespace bound)? */
bool podinit_alive(const char *pod_dir);

/* SIGKILL POD_DIR's init (and so everything in its namespace) if it runs; waits up to a
 * second for it to be gone. No pidinit file: nothing to do. */
void podinit_kill(const char *pod_dir);
