/* agent/probe_grpc: the gRPC health check's HTTP/2 bytes, against canned answers. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probe_grpc.h"
#include "base/buf.h"

/* ---- the gRPC health check's bytes (agent/probe_grpc.c) ---- */

static void h2_frame(struct tk_buf *b, uint8_t type, uint8_t flags, uint32_t stream,
                     const char *payload, size_t len)
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
    tk_buf_add(b, payload, len);
}

/* A server's answer: SETTINGS, the response headers (:status 200, indexed), the DATA of a
 * HealthCheckResponse with STATUS (-1: none), the trailers (literal grpc-status / message). */
static void grpc_answer(struct tk_buf *b, int status, const char *grpc_status, const char *msg)
{
    h2_frame(b, 4, 0, 0, "", 0);
    h2_frame(b, 1, 0x4, 1, "\x88", 1);
    if (status >= 0) {
        char d[7] = {0, 0, 0, 0, 2, 0x08, (char)status};
        h2_frame(b, 0, 0, 1, d, sizeof(d));
    }
    struct tk_buf t = TK_BUF_INIT;
    tk_buf_adds(&t, "\x40\x0bgrpc-status");
    tk_buf_addc(&t, (char)strlen(grpc_status));
    tk_buf_adds(&t, grpc_status);
    if (msg) {
        tk_buf_adds(&t, "\x40\x0cgrpc-message");
        tk_buf_addc(&t, (char)strlen(msg));
        tk_buf_adds(&t, msg);
    }
    h2_frame(b, 1, 0x5, 1, t.s, t.len);
    tk_buf_free(&t);
}

static const struct {
    int status;
    const char *grpc_status, *msg;
    int want;
    const char *want_msg;
} grpc_cases[] = {
    {1, "0", NULL, 1, ""},
    {2, "0", NULL, -1, "service unhealthy (responded with \"NOT_SERVING\")"},
    {0, "0", NULL, -1, "service unhealthy (responded with \"UNKNOWN\")"},
    {-1, "5", "unknown service", -1, "rpc error: code = NotFound desc = unknown service"},
    {-1, "12", "", -1, "rpc error: code = Unimplemented desc = "},
};

START_TEST(test_probe_grpc)
{
    struct tk_buf req = TK_BUF_INIT, in = TK_BUF_INIT, reply = TK_BUF_INIT;
    probe_grpc_request(&req, "127.0.0.1:50051", "app");
    ck_assert(req.len > 24 && !memcmp(req.s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24));
    ck_assert(memmem(req.s, req.len, "/grpc.health.v1.Health/Check", 28));
    ck_assert(!memcmp(req.s + req.len - 10,
                      "\0\0\0\0\x05\x0a\x03"
                      "app",
                      10));
    grpc_answer(&in, grpc_cases[_i].status, grpc_cases[_i].grpc_status, grpc_cases[_i].msg);
    struct probe_grpc_rx rx = {.grpc_status = -1};
    char msg[256] = "";
    /* Byte by byte: frames split anywhere wait for the rest. */
    int r = 0;
    for (size_t n = 1; n <= in.len && r == 0; n++)
        r = probe_grpc_feed(&rx, (const uint8_t *)in.s, n, &reply, msg, sizeof(msg));
    ck_assert_int_eq(r, grpc_cases[_i].want);
    if (r < 0)
        ck_assert_str_eq(msg, grpc_cases[_i].want_msg);
    ck_assert_int_eq(reply.len, 9); /* the SETTINGS acknowledgement */
    ck_assert_int_eq(reply.s[3], 4);
    ck_assert_int_eq(reply.s[4], 1);
    probe_grpc_rx_reset(&rx);
    tk_buf_free(&req);
    tk_buf_free(&in);
    tk_buf_free(&reply);
}
END_TEST

Suite *probe_suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_probe_grpc, 0, (int)(sizeof(grpc_cases) / sizeof(grpc_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}
