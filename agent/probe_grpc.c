/* A gRPC health check over HTTP/2 cleartext: the request's bytes and the answer's parsing.
 * See probe_grpc.h. */
#include "agent/probe_grpc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define H2_DATA 0
#define H2_HEADERS 1
#define H2_RST_STREAM 3
#define H2_SETTINGS 4
#define H2_PING 6
#define H2_GOAWAY 7
#define H2_CONTINUATION 9
#define H2_END_STREAM 0x1
#define H2_ACK 0x1
#define H2_PADDED 0x8
#define H2_PRIORITY 0x20
#define RX_MAX (64 * 1024) /* a health answer is a few bytes */

static void frame_head(struct tk_buf *b, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t h[9] = {(uint8_t)(len >> 16),
                    (uint8_t)(len >> 8),
                    (uint8_t)len,
                    type,
                    flags,
                    (uint8_t)(stream >> 24),
                    (uint8_t)(stream >> 16),
                    (uint8_t)(stream >> 8),
                    (uint8_t)stream};
    tk_buf_add(b, h, sizeof(h));
}

/* HPACK integer with an N-bit prefix whose high bits are FIRST (RFC 7541 5.1). */
static void hpack_int(struct tk_buf *b, uint8_t first, int n, size_t v)
{
    size_t max = (1u << n) - 1;
    if (v < max) {
        tk_buf_addc(b, (char)(first | v));
        return;
    }
    tk_buf_addc(b, (char)(first | max));
    for (v -= max; v >= 128; v >>= 7)
        tk_buf_addc(b, (char)(0x80 | (v & 0x7f)));
    tk_buf_addc(b, (char)v);
}

static void hpack_str(struct tk_buf *b, const char *s)
{
    hpack_int(b, 0, 7, strlen(s));
    tk_buf_adds(b, s);
}

/* Literal without indexing: NAME_IDX of the static table, or a new name when 0. */
static void hpack_field(struct tk_buf *b, size_t name_idx, const char *name, const char *value)
{
    hpack_int(b, 0, 4, name_idx);
    if (!name_idx)
        hpack_str(b, name);
    hpack_str(b, value);
}

void probe_grpc_request(struct tk_buf *out, const char *authority, const char *service)
{
    struct tk_buf h = TK_BUF_INIT, pb = TK_BUF_INIT;
    tk_buf_adds(out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    frame_head(out, 0, H2_SETTINGS, 0, 0);
    tk_buf_addc(&h, (char)0x83); /* :method POST */
    tk_buf_addc(&h, (char)0x86); /* :scheme http */
    hpack_field(&h, 4, NULL, "/grpc.health.v1.Health/Check");
    hpack_field(&h, 1, NULL, authority);
    hpack_field(&h, 31, NULL, "application/grpc");
    hpack_field(&h, 0, "te", "trailers");
    hpack_field(&h, 58, NULL, "kube-probe/1.29");
    frame_head(out, h.len, H2_HEADERS, 0x4 /* END_HEADERS */, 1);
    tk_buf_add(out, h.s, h.len);
    /* HealthCheckRequest { string service = 1; } */
    size_t sl = strlen(service);
    if (sl) {
        tk_buf_addc(&pb, 0x0a);
        size_t v = sl;
        for (; v >= 128; v >>= 7)
            tk_buf_addc(&pb, (char)(0x80 | (v & 0x7f)));
        tk_buf_addc(&pb, (char)v);
        tk_buf_add(&pb, service, sl);
    }
    frame_head(out, 5 + pb.len, H2_DATA, H2_END_STREAM, 1);
    uint8_t prefix[5] = {0, (uint8_t)(pb.len >> 24), (uint8_t)(pb.len >> 16),
                         (uint8_t)(pb.len >> 8), (uint8_t)pb.len};
    tk_buf_add(out, prefix, sizeof(prefix));
    if (pb.len)
        tk_buf_add(out, pb.s, pb.len);
    tk_buf_free(&h);
    tk_buf_free(&pb);
}

/* ---- the answer ---- */

/* HPACK integer (N-bit prefix) at *P; false when it does not fit before END. */
static bool get_int(const uint8_t **p, const uint8_t *end, int n, size_t *v)
{
    size_t max = (1u << n) - 1;
    if (*p >= end)
        return false;
    *v = *(*p)++ & max;
    if (*v < max)
        return true;
    for (int shift = 0; *p < end && shift < 28; shift += 7) {
        uint8_t c = *(*p)++;
        *v += (size_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return true;
    }
    return false;
}

/* An HPACK string at *P: its bytes (NULL when Huffman-coded, which is skipped). */
static bool get_str(const uint8_t **p, const uint8_t *end, const uint8_t **s, size_t *len)
{
    if (*p >= end)
        return false;
    bool huff = **p & 0x80;
    if (!get_int(p, end, 7, len) || *len > (size_t)(end - *p))
        return false;
    *s = huff ? NULL : *p;
    *p += *len;
    return true;
}

static void header(struct probe_grpc_rx *rx, const uint8_t *n, size_t nl, const uint8_t *v,
                   size_t vl)
{
    if (!n || !v)
        return;
    if (nl == 11 && !memcmp(n, "grpc-status", 11)) {
        int code = 0;
        for (size_t i = 0; i < vl && i < 4 && v[i] >= '0' && v[i] <= '9'; i++)
            code = code * 10 + (v[i] - '0');
        rx->grpc_status = code;
    } else if (nl == 12 && !memcmp(n, "grpc-message", 12)) {
        snprintf(rx->grpc_msg, sizeof(rx->grpc_msg), "%.*s", (int)vl, (const char *)v);
    }
}

/* A header block: the literals with literal names are looked at, the rest skipped. */
static void header_block(struct probe_grpc_rx *rx, const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        uint8_t c = *p;
        size_t idx, nl = 0, vl = 0;
        const uint8_t *n = NULL, *v = NULL;
        int prefix = (c & 0x80) ? 7 : (c & 0x40) ? 6 : (c & 0x20) ? 5 : 4;
        if (!get_int(&p, end, prefix, &idx))
            return;
        if (c & 0x80 || (c & 0xe0) == 0x20) /* indexed field, table size update */
            continue;
        if (!idx && !get_str(&p, end, &n, &nl))
            return;
        if (!get_str(&p, end, &v, &vl))
            return;
        header(rx, n, nl, v, vl);
    }
}

static int done(struct probe_grpc_rx *rx, char *msg, size_t size)
{
    static const char *const codes[] = {
        "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
        "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
        "DataLoss", "Unauthenticated"};
    static const char *const states[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
    if (rx->grpc_status > 0) {
        int s = rx->grpc_status;
        snprintf(msg, size, "rpc error: code = %s desc = %s",
                 s < (int)(sizeof(codes) / sizeof(*codes)) ? codes[s] : "Unknown", rx->grpc_msg);
        return -1;
    }
    const uint8_t *m = (const uint8_t *)rx->msg.s;
    if (rx->msg.len < 5) {
        snprintf(msg, size, "rpc error: the server ended the call without an answer");
        return -1;
    }
    /* HealthCheckResponse { ServingStatus status = 1; }: absent = 0 (UNKNOWN) */
    uint64_t st = 0;
    const uint8_t *p = m + 5, *end = m + rx->msg.len;
    if (p < end && *p++ == 0x08) /* field 1, varint */
        for (int shift = 0; p < end && shift < 64; shift += 7) {
            st |= (uint64_t)(*p & 0x7f) << shift;
            if (!(*p++ & 0x80))
                break;
        }
    if (st == 1)
        return 1;
    snprintf(msg, size, "service unhealthy (responded with \"%s\")",
             st < 4 ? states[st] : "UNKNOWN");
    return -1;
}

/* One frame of TYPE on STREAM; 1 when stream 1 ended, -1 when the connection did. */
static int frame(struct probe_grpc_rx *rx, const uint8_t *f, size_t len, struct tk_buf *reply,
                 char *msg, size_t size)
{
    uint8_t type = f[3], flags = f[4];
    uint32_t stream =
        ((uint32_t)(f[5] & 0x7f) << 24) | ((uint32_t)f[6] << 16) | ((uint32_t)f[7] << 8) | f[8];
    const uint8_t *p = f + 9, *end = f + 9 + len;
    if ((type == H2_DATA || type == H2_HEADERS) && (flags & H2_PADDED)) {
        if (p >= end || *p > end - p - 1)
            return snprintf(msg, size, "rpc error: bad padding"), -1;
        end -= *p++;
    }
    if (type == H2_HEADERS && (flags & H2_PRIORITY))
        p = end - p >= 5 ? p + 5 : end;
    switch (type) {
    case H2_SETTINGS:
        if (!(flags & H2_ACK))
            frame_head(reply, 0, H2_SETTINGS, H2_ACK, 0);
        return 0;
    case H2_PING:
        if (!(flags & H2_ACK) && len == 8) {
            frame_head(reply, 8, H2_PING, H2_ACK, 0);
            tk_buf_add(reply, f + 9, 8);
        }
        return 0;
    case H2_GOAWAY:
    case H2_RST_STREAM:
        if (type == H2_RST_STREAM && stream != 1)
            return 0;
        snprintf(msg, size, "rpc error: the server %s",
                 type == H2_GOAWAY ? "closed the connection (GOAWAY)" : "reset the stream");
        return -1;
    case H2_DATA:
        if (stream == 1 && rx->msg.len + (size_t)(end - p) <= RX_MAX)
            tk_buf_add(&rx->msg, p, (size_t)(end - p));
        break;
    case H2_HEADERS:
    case H2_CONTINUATION:
        if (stream == 1)
            header_block(rx, p, end);
        break;
    default:
        return 0;
    }
    return stream == 1 && type != H2_CONTINUATION && (flags & H2_END_STREAM) ? 1 : 0;
}

int probe_grpc_feed(struct probe_grpc_rx *rx, const uint8_t *in, size_t len, struct tk_buf *reply,
                    char *msg, size_t size)
{
    while (len - rx->off >= 9) {
        const uint8_t *f = in + rx->off;
        size_t flen = ((size_t)f[0] << 16) | ((size_t)f[1] << 8) | f[2];
        if (flen > RX_MAX)
            return snprintf(msg, size, "rpc error: frame too large"), -1;
        if (len - rx->off < 9 + flen)
            return 0;
        rx->off += 9 + flen;
        int r = frame(rx, f, flen, reply, msg, size);
        if (r < 0)
            return -1;
        if (r > 0)
            return done(rx, msg, size);
    }
    return 0;
}

void probe_grpc_rx_reset(struct probe_grpc_rx *rx)
{
    tk_buf_free(&rx->msg);
    *rx = (struct probe_grpc_rx){.msg = TK_BUF_INIT, .grpc_status = -1};
}
