#pragma once
/*
 * The connections of one HTTP server (libmicrohttpd run from the agent's loop), so that a
 * loop that could not serve them for a while does not count against them.
 *
 * The server drops a client after its idle timeout, counted from the last byte it moved.
 * When the loop is held (a slow callback, a machine too loaded to schedule the agent), a
 * client may have read all it was sent long ago and wait for the rest; the server, running
 * again, closed such a connection as idle before writing to it, and a large answer (GET
 * /v1/pods) arrived cut off. After such a gap, a connection whose client moved on without the
 * server seeing it (its socket writable while an answer is in flight, readable while a request
 * comes in) starts a new idle period; one whose client did nothing (never reads) does not, so
 * the timeout still ends clients that hold a connection without reading.
 */
#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

/* A server ran this long after its previous run: connections are looked at before it runs. */
#define APICONN_GAP_MS 1000

struct apiconn;

struct apiconns {
    struct apiconn *head;
    unsigned idle_s; /* the server's MHD_OPTION_CONNECTION_TIMEOUT */
    int64_t ran_at;  /* end of the previous run, monotonic ms */
};

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the server's struct apiconns. */
void apiconns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code);
/* The connection has an answer in flight (on) or has finished it (off). */
void apiconn_responding(struct MHD_Connection *conn, bool on);
/* One pass of the server (MHD_run), preceded after a gap of APICONN_GAP_MS or more by a new
 * idle period for each connection whose client made progress the server has not seen.
 * Returns how many were given one. */
unsigned apiconns_run(struct apiconns *cs, struct MHD_Daemon *mhd);
