#!/bin/bash
# 5xx, 429 (with Retry-After) and refused connections are retried with backoff and then
# succeed, or end in a clear error after the last attempt; 4xx answers are not retried.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

# 500 twice on every path, then success
start_fakereg --faults token,flaky --count 2
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --out "$TMP/o" \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" ||
    fail "fetch through 500s failed: $(cat "$TMP/err")"
layer=$(fakereg_info layer)
grep -q "^blob $layer $(fakereg_info layer_size) resets=0$" "$TMP/out" ||
    fail "layer not fetched: $(cat "$TMP/out")"
[ "$(grep -c "GET /v2/test/app/manifests/v1 .*status=500" "$FAKEREG_DIR/log")" = 2 ] ||
    fail "expected two 500s on the manifest: $(cat "$FAKEREG_DIR/log")"
[ "$(grep -c "GET /v2/test/app/blobs/$layer .*status=200" "$FAKEREG_DIR/log")" = 1 ] ||
    fail "expected one successful layer GET"
grep -q "HTTP 500: UNKNOWN: internal error, retrying in" "$TMP/err" ||
    fail "retries not reported: $(cat "$TMP/err")"
[ "$(grep -c '^GET /token' "$FAKEREG_DIR/log")" = 1 ] || fail "token not reused across retries"

# 500 more often than the client retries: a clear error naming the attempts
start_fakereg --faults flaky --count 10
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --retries 2 --backoff-ms 20 --out "$TMP/o" \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" && fail "fetch succeeded through 10 500s"
grep -qx "regfetch: manifest $FAKEREG/test/app:v1: HTTP 500: UNKNOWN: internal error, gave up after 3 attempts" \
    "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
[ "$(grep -c 'status=500' "$FAKEREG_DIR/log")" = 3 ] || fail "expected exactly 3 attempts"

# 429 with Retry-After: 1 is honoured (the backoff alone would be 20 ms)
start_fakereg --faults ratelimit --count 1
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --out "$TMP/o" \
    --blob "$(fakereg_info config)" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" ||
    fail "fetch through 429 failed: $(cat "$TMP/err")"
grep -q "HTTP 429: TOOMANYREQUESTS: slow down, retrying in 1000ms" "$TMP/err" ||
    fail "Retry-After not honoured: $(cat "$TMP/err")"

# nothing listens: connection refused, retried, then a clear error
port=$(free_port) || fail "no free port"
timeout 60 "$REGFETCH" --insecure "127.0.0.1:$port" --retries 2 --backoff-ms 20 \
    "127.0.0.1:$port/test/app:v1" >"$TMP/out" 2>"$TMP/err" && fail "fetch from nowhere succeeded"
grep -q "^regfetch: manifest 127.0.0.1:$port/test/app:v1: .*onnect.*, gave up after 3 attempts$" \
    "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
pass
