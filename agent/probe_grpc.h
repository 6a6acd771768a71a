#pragma once
/*
 * The bytes of a gRPC health check (grpc.health.v1.Health/Check) over HTTP/2 cleartext with
 * prior knowledge, as the kubelet's grpc probe sends it: one stream, one request, one answer.
 * No I/O here: the caller (agent/probe.c) moves the bytes over its non-blocking socket.
 *
 * HPACK: the request is written without Huffman coding and without indexing; the answer's
 * trailers are read for grpc-status / grpc-message where written as plain literals (gRPC
 * servers do), else the call's outcome comes from the response message alone.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* What was learned from the server so far. */
struct probe_grpc_rx {
    size_t off;         /* bytes of the input already parsed */
    struct tk_buf msg;  /* the response's DATA payload (gRPC length-prefixed message) */
    int grpc_status;    /* -1 until seen */
    char grpc_msg[128]; /* grpc-message, "" if none */
};

/* Append to OUT the connection preface, SETTINGS, the HEADERS (authority AUTHORITY) and
 * DATA frames of the call for SERVICE ("" = the server as a whole). */
void probe_grpc_request(struct tk_buf *out, const char *authority, const char *service);

/* Parse the frames complete in IN[0..LEN) from RX->off on; frames the protocol says to answer
 * (SETTINGS, PING) get their acknowledgement appended to REPLY. Returns 0 while the call is
 * not over, 1 when the server answered SERVING, -1 otherwise with MSG set (the kubelet's
 * words: `service unhealthy (responded with "NOT_SERVING")`, `rpc error: code = NotFound
 * desc = ...`). */
int probe_grpc_feed(struct probe_grpc_rx *rx, const uint8_t *in, size_t len, struct tk_buf *reply,
                    char *msg, size_t size);

/* Release RX's buffers and reset it for another call. */
void probe_grpc_rx_reset(struct probe_grpc_rx *rx);
