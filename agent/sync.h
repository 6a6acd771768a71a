#pragma once
/*
 * The built-in git sync ([sync] repo in tank.ini), publishing exactly as git-sync v4 does, so
 * that pods_dir = ROOT/LINK/... reads the same whoever publishes: ROOT is a git repository,
 * each commit is checked out once in the worktree ROOT/.worktrees/COMMIT, and a revision is
 * published by renaming a new symbolic link ROOT/.LINK.tmp -> .worktrees/COMMIT over ROOT/LINK
 * (the store sees the swap at once, agent/manifests.h).
 *
 * A pass runs git as child processes, one at a time, each in its own process group with the
 * configured deadline (killed past it), so the agent's loop never waits on git:
 *   git init (first pass) -> git fetch [--depth N] REPO REF -> git rev-parse FETCH_HEAD
 *   -> git worktree add (a commit not checked out yet) -> publish the link
 *   -> git worktree remove for each other worktree that no revision uses (in_use)
 *   -> git gc --auto
 * (the last two a few seconds after a new revision is published, once its pods have
 * started: at most 5s, at most half the period; a pass asked for meanwhile goes first).
 * Passes run every period. A failed pass (remote unreachable, authentication, a bad ref, a
 * commit gone after a force-push) keeps the published revision, is logged, kept as the
 * status' error and retried with back-off: 2s, doubling, at most 5 minutes.
 */
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct loop;
struct sync;
struct tank_config;

/* Whether the revision COMMIT is still read by someone (a pod's spec came from it). */
typedef bool (*sync_in_use_fn)(const char *commit, void *data);
/* The end of a pass requested with sync_now(): the published commit (NULL when none), and
 * the error of the pass (NULL when it succeeded). */
typedef void (*sync_done_fn)(const char *revision, const char *error, void *data);

struct sync_status {
    const char *repo;
    const char *ref;         /* NULL: the remote's HEAD */
    const char *revision;    /* the published commit, NULL before the first */
    int64_t last_sync_ns;    /* realtime of the last successful pass, 0 = none yet */
    int64_t last_attempt_ns; /* realtime of the start of the last pass, 0 = none yet */
    const char *error;       /* the last pass's error, NULL when it succeeded */
    uint64_t failures;       /* failed passes since the agent started */
};

/* Start syncing cfg's [sync] repo (cfg must outlive the sync); the first pass starts at
 * once. A revision published before (ROOT/LINK) is the current one until then. Returns NULL
 * with err set on failure (ROOT cannot be created). */
struct sync *sync_new(struct loop *loop, const struct tank_config *cfg, sync_in_use_fn in_use,
                      void *in_use_data, struct tk_err *err);
/* Stop: git is killed, requests waiting are told "the agent is stopping". NULL is a no-op. */
void sync_free(struct sync *s);

/* Sync now: fn is called once a pass that started after this call has ended (published or
 * failed). A pass running already is followed by one more. -errno (ENOMEM). */
int sync_now(struct sync *s, sync_done_fn fn, void *data);

/* The state, valid until the loop runs again. */
void sync_get_status(const struct sync *s, struct sync_status *out);
