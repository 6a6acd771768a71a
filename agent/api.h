#pragma once
/*
 * The status API: HTTP/1.1 with JSON bodies on a unix socket (mode 0600), served inside
 * the agent's loop (single-threaded: the server's epoll fd is one more fd of the loop).
 *
 *   GET /healthz          "ok"
 *   GET /v1/pods          {"revision","pods":[POD...],"errors":[{"file","line","column",
 *                         "message"}]}
 *   GET /v1/pods/NAME     POD, or 404 {"error": "..."}
 *   GET /v1/pods/NAME/manifest
 *                         the manifest document the pod runs, as it was written (text/yaml;
 *                         `tank diff` compares a file with it), or 404 {"error": "..."}
 *   DELETE /v1/pods/NAME  stop a pod a Deployment or DaemonSet owns (its owner makes it
 *                         again): 200 {"name","status":"deleted"}, 404, or 409 for a Pod or
 *                         a Job's pod (deleted through its manifest)
 *   GET /v1/events        {"events":[{"time","pod","container","reason","message"}]}
 *                         (?pod=NAME narrows to one pod)
 *   POST /v1/sync         a git sync pass now (agent/sync.h); answers once it has ended:
 *                         200 {"revision": COMMIT, "error": null} (published), 502 with the
 *                         error and the revision still running, 409 without [sync]
 *
 * GET /v1/pods also has "workloads": [{"kind","name","namespace","replicas","ready","updated",
 * "available","conditions":[{"type","status","reason","message"}],"pods":[NAME...]}] (a Job
 * adds "succeeded","failed","active","startTime","completionTime"; a Deployment or DaemonSet
 * "strategy","templateHash", a Deployment "paused"); each POD of one has "owner":{"kind","name"}.
 * GET /v1/pods also has "sync": {"repo","ref","revision","lastSync","lastAttempt","error"},
 * null without [sync].
 *
 * POD = {"name","scheduled":
 * true,"phase","reason","message","manifest","revision","ips":[],"restarts","startedAt",
 *        "containers":[{"name","image","imageDigest","state","reason","exitCode","restarts",
 *        "pid","startedAt"}]}; absent values are null; times are RFC 3339 (UTC). A valid pod
 *        that is not for this host (agent/nodesel.h) is {"name","scheduled": false,"phase": null,
 *        "reason": "NotForThisHost","message": why,"manifest","containers": []}.
 *
 * Limits: a connection idle for 10 s is closed; up to half the fd limit (64..4096) are served
 * at once and more wait in the backlog until a place frees; headers are bounded (16 KiB).
 */
#include "base/err.h"

struct loop;
struct reconciler;
struct api;
struct sync;

/* Listen on socket_path (a stale socket there is replaced; its directory is created).
 * NULL with err set on failure. */
/* Tell the API an event was recorded or a pod changed (reconcile_set_event_hook's fn; data =
 * the api): the watchers waiting in GET /v1/events?after=N are answered ("next" unchanged
 * when no event came: a watcher then reads the pods again). */
void api_events_changed(void *data);

struct api *api_new(struct loop *loop, const char *socket_path, struct reconciler *r,
                    struct tk_err *err);
/* Serve GET /metrics (only) on TCP at addr ("127.0.0.1:9100", "[::1]:9100"), bound to that
 * address only. -errno with err set. */
int api_listen_metrics(struct api *api, const char *addr, struct tk_err *err);
/* Serve the git sync's status and POST /v1/sync (sync outlives the api, or is unset first). */
void api_set_sync(struct api *api, struct sync *sync);
/* Stop serving and remove the socket. NULL is a no-op. */
void api_free(struct api *api);

/* The JSON documents themselves (heap strings), also for tests. */
char *api_pods_json(const struct reconciler *r);
/* NULL when there is no such pod. */
char *api_pod_json(const struct reconciler *r, const char *name);
char *api_events_json(const struct reconciler *r, const char *pod);
/* The text of the manifest document pod name runs; NULL with *why set ("pod 'x' not found",
 * ...: a static or name-free string) when there is none. */
char *api_pod_manifest(const struct reconciler *r, const char *name, const char **why);
