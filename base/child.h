#pragma once
/*
 * "Fork a child, run a step there, send its error back": for work that must not change the
 * caller's namespaces, credentials or working directory (a pod's namespaces, a chroot), or
 * that is untrusted or slow (an extraction, a registry fetch). The child is a fork without
 * exec, so the caller must have no threads.
 *
 *   tk_child_begin()  forks; the child runs fn(arg, fd, out, err) and sends back its record
 *                     (a struct tk_err, then out_size bytes of out) over a close-on-exec
 *                     pipe (or a socket pair with TK_CHILD_SOCKET, for a child that also
 *                     talks before its record), then exits (0 on success, 1 on failure).
 *                     c->fd is the caller's end: readable once the record (or the child's
 *                     end) is there, for an event loop to wait on.
 *   tk_child_end()    reads the record (blocking), reaps the child, closes c->fd: the
 *                     child's own error, else -EIO "WHAT failed (exit status N / signal N)"
 *                     when it died without a whole record or exited non-zero; out filled on
 *                     success.
 *   tk_child_end_by() for a caller's loop: 1 while the record has not come and deadline_ms
 *                     (monotonic) has not passed; else tk_child_end() (no out), the child
 *                     killed first when late: then -ETIMEDOUT "WHAT did not finish in
 *                     LIMIT_S s".
 *   tk_child_run()    both, for a step the caller waits for.
 *   tk_child_wait()   only reaps (a child whose channel the caller reads itself); returns the
 *                     wait status, or -errno.
 *   tk_child_kill()   SIGKILL, reap, close: a child given up (its deadline passed).
 *
 * fn gets the child's end of the channel (fd) for children that talk more; it must not
 * return when it has already written its own record (it _exits instead). out is a zeroed
 * buffer of out_size bytes in the child. All functions return 0 or -errno with err filled
 * (err may be NULL).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

#define TK_CHILD_SOCKET (1u << 0)    /* a socket pair (both ways) instead of a pipe */
#define TK_CHILD_PDEATHSIG (1u << 1) /* the child is killed when the caller dies */

struct tk_child {
    pid_t pid; /* 0 when none */
    int fd;    /* the caller's end of the channel; -1 when none */
};

typedef int (*tk_child_fn)(void *arg, int fd, void *out, struct tk_err *err);

int tk_child_begin(struct tk_child *c, tk_child_fn fn, void *arg, size_t out_size, unsigned flags,
                   struct tk_err *err);
int tk_child_end(struct tk_child *c, void *out, size_t out_size, const char *what,
                 struct tk_err *err);
int tk_child_end_by(struct tk_child *c, int64_t deadline_ms, int limit_s, const char *what,
                    struct tk_err *err);
int tk_child_run(tk_child_fn fn, void *arg, void *out, size_t out_size, unsigned flags,
                 const char *what, struct tk_err *err);
int tk_child_wait(struct tk_child *c);
void tk_child_kill(struct tk_child *c);
