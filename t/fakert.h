#pragma once
/* The fake runtime and "world" (one agent over it) of the agent's unit suites (t/fakert.c). */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/config.h"
#include "agent/loop.h"
#include "agent/podworker.h"
#include "agent/reconcile.h"
#include "agent/runtime.h"
#include "base/buf.h"

struct fake_ctr {
    char key[128]; /* "pod/ctr" */
    bool running, exited;
    int efd; /* written when it exits */
    int exit_code, signal;
    pid_t pid;
    bool ignore_term;
};

/* A start under way (images "slowstart..." and "hangstart..."): done when efd is written. */
struct fake_start {
    char pod[64], ctr[64], image[128];
    int efd;
};

struct fake {
    struct tk_buf log;             /* "op arg;" for every call that changes something */
    struct fake_start *starts[16]; /* under way */
    size_t n_starts;
    char *pods[64];
    size_t n_pods;
    struct fake_ctr ctrs[64];
    size_t n_ctrs;
    char *pulled[16];
    size_t n_pulled;
    pid_t next_pid;
    char *damaged; /* the pod whose sandbox pod_check finds damaged (until its next pod_up) */
    /* pod_down: the removals under way; with down_hold they end only by fake_finish_down()
     * (else at once); the next down_fail of them fail */
    struct fake_down *downs[16];
    size_t n_downs;
    bool down_hold;
    int down_fail;
};

/* One agent over the fake runtime. */
struct world {
    char *dir;
    struct tank_config cfg;
    struct loop *loop;
    struct fake fake;
    struct runtime rt;
    struct reconciler *rec;
};

struct want {
    struct world *w;
    const char *pod;
    const char *ctr; /* NULL = the pod */
    const char *phase_or_state;
    const char *reason;
    unsigned restarts;
};

extern const struct runtime_ops fake_ops;

/* Manifests ("a=img,b=img": a container per name=image) written atomically into dir. */

void write_text(const char *dir, const char *name, const char *text);
void remove_file(const char *dir, const char *name);
char *manifest(const char *name, const char *policy, const char *ctrs);
void put_pod(const char *dir, const char *name, const char *policy, const char *ctrs);
/* Run the loop until pred holds (5 s at most); pump_for: for ms. */
bool pump_until(struct loop *l, bool (*pred)(void *), void *arg);
void pump_for(struct loop *l, int64_t ms);
/* The fake's containers: find one, end it (code, signal), let a start under way finish. */
struct fake_ctr *fake_find(struct fake *f, const char *pod, const char *ctr);
void fake_exit(struct fake *f, const char *pod, const char *ctr, int code, int sig);
void fake_finish_start(struct fake *f, const char *pod, const char *ctr);
/* Let the removal under way of pod end (down_hold). */
void fake_finish_down(struct fake *f, const char *pod);
/* One agent: world_init makes it (world_start again after a reconcile_free: a restart). */
void world_start(struct world *w);
void world_init(struct world *w);
void world_free(struct world *w);
void world_status(struct world *w, const char *pod, struct pod_status *ps);
bool holds(void *arg); /* a struct want holds (WAIT_POD, WAIT_CTR) */
/* The fake's log from a mark on. */
size_t log_mark(struct world *w);
const char *log_since(struct world *w, size_t mark);

#define WAIT_POD(w, pod, phase)                                                                    \
    do {                                                                                           \
        struct want _x = {(w), (pod), NULL, (phase), NULL, 0};                                     \
        ck_assert_msg(pump_until((w)->loop, holds, &_x), "pod %s never reached %s (log: %s)",      \
                      (pod), (phase) ? (phase) : "gone", tk_buf_str(&(w)->fake.log));              \
    } while (0)
#define WAIT_CTR(w, pod, ctr, state, reason, restarts)                                             \
    do {                                                                                           \
        struct want _x = {(w), (pod), (ctr), (state), (reason), (restarts)};                       \
        ck_assert_msg(pump_until((w)->loop, holds, &_x), "%s/%s never reached %s %s (log: %s)",    \
                      (pod), (ctr), (state), (reason) ? (reason) : "",                             \
                      tk_buf_str(&(w)->fake.log));                                                 \
    } while (0)
