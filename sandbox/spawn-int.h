#pragma once
/* Internal to the container start: the sync channel between the caller (start.c) and the
 * monitor (spawn.c), a SOCK_SEQPACKET pair (see the protocol in spawn.c). */
#include <sys/types.h>

#include "sandbox/ctr_internal.h"

enum { MSG_PID = 1, MSG_GO, MSG_ABORT, MSG_OK, MSG_FAIL };

struct sync_msg {
    int type;
    pid_t pid;
    struct sandbox_fail fail;
};

/* Send one message: 0, or -EPIPE when the other side is gone. */
int spawn_send_msg(int fd, const struct sync_msg *m);
/* Receive one message: 1, 0 on EOF, -ETIMEDOUT after timeout_ms (< 0 = forever), -errno. */
int spawn_recv_msg(int fd, struct sync_msg *m, int timeout_ms);

/* The monitor, in the caller's fresh child: joins the pod's namespaces, forks the workload,
 * reports on sync, re-execs memfd, and never returns. */
_Noreturn void spawn_monitor_main(const struct sandbox_container_config *cfg, int sync, int memfd);

/* tty (sandbox/spawntty.c). In the workload, after the pivot: a pseudo-terminal of the
 * container's /dev/ptmx, its slave owned by the workload's user, made the controlling
 * terminal of a new session and dup'ed onto fds 0-2; the master is sent over SOCK. */
int spawn_tty_child(const struct sandbox_container_config *cfg, int sock, struct sandbox_fail *f);
/* In the monitor: the master the workload sent over SOCK (close-on-exec), or -errno. */
int spawn_tty_recv(int sock);
