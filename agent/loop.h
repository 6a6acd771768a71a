#pragma once
/*
 * The agent's event loop: one epoll set of file descriptors plus timers, single-threaded
 * (redis ae.c is the model). A timer callback returns the delay of its next run in
 * milliseconds, or LOOP_TIMER_DONE to be removed. Signals arrive through a signalfd.
 *
 * Callbacks may add and remove fds and timers (their own included) at any time; an fd
 * removed during a batch of events gets no further callback from that batch.
 * The loop never closes an fd it is given: the owner closes it after loop_del_fd().
 */
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define LOOP_TIMER_DONE (-1)

struct loop;

typedef void (*loop_fd_fn)(struct loop *loop, int fd, uint32_t events, void *data);
/* Returns the next delay in ms (>= 0) or LOOP_TIMER_DONE. */
typedef int64_t (*loop_timer_fn)(struct loop *loop, uint64_t id, void *data);
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *data);

/* Create a loop; returns NULL with errno set on failure. */
struct loop *loop_new(void);
/* Free the loop and its registrations (fds are not closed). NULL is a no-op. */
void loop_free(struct loop *loop);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...). One registration per fd. -errno on failure. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *data);
/* Stop watching fd (unknown fds are ignored). */
void loop_del_fd(struct loop *loop, int fd);

/* Run fn after delay_ms. Returns the timer id (> 0); 0 only on allocation failure. */
uint64_t loop_add_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn fn, void *data);
/* Cancel a timer; unknown ids (and 0) are ignored. */
void loop_del_timer(struct loop *loop, uint64_t id);

/* Block the signals in set and deliver them to fn through a signalfd owned by the loop.
 * One handler per loop. -errno on failure. */
int loop_set_signals(struct loop *loop, const sigset_t *set, loop_signal_fn fn, void *data);

/* Reap the child pid when it exits and pass its wait status to fn (through a pidfd, so
 * no SIGCHLD handling is needed and other children are left alone). -errno on failure. */
typedef void (*loop_child_fn)(struct loop *loop, pid_t pid, int status, void *data);
int loop_watch_child(struct loop *loop, pid_t pid, loop_child_fn fn, void *data);

/* Start "tank ARGV[1]..." (this very binary, /proc/self/exe) as a child to watch: stdin
 * /dev/null, stdout and stderr onto out_fd (-1: the caller's stderr), no signal blocked and
 * every disposition default (the loop blocks its signals for its signalfd). Returns 0 with
 * *pid set, or -errno. */
int loop_spawn_self(char *const argv[], int out_fd, pid_t *pid);

/* Wait at most timeout_ms (-1: until something happens) and dispatch what is due.
 * Returns the number of callbacks run, or -errno. */
int loop_run_once(struct loop *loop, int timeout_ms);
/* Dispatch until loop_stop(). Returns 0, or -errno when epoll fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* The loop's monotonic clock in ms (cached per iteration). */
int64_t loop_now_ms(struct loop *loop);
