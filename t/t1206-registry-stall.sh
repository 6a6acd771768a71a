#!/bin/bash
# A registry that stops sending mid-blob, or never answers at all, cannot hang a fetch:
# the low-speed limit aborts the transfer, which is retried or ends in a clear error.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

# stalls once after 64 KiB, then serves the blob
start_fakereg --faults stall --count 1
layer=$(fakereg_info layer)
size=$(fakereg_info layer_size)
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --low-speed-secs 2 --backoff-ms 20 --out "$TMP/o" \
    --blob "$layer:$size" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 124 ] && fail "the fetch hung"
[ $rc = 0 ] || fail "fetch after a stall failed: $(cat "$TMP/err")"
grep -qx "blob $layer $size resets=1" "$TMP/out" || fail "expected one reset: $(cat "$TMP/out")"
[ "sha256:$(sha256sum <"$TMP/o/${layer#sha256:}" | cut -d' ' -f1)" = "$layer" ] ||
    fail "the layer file holds stale partial data"
grep -q "Operation too slow" "$TMP/err" || fail "the stall was not reported: $(cat "$TMP/err")"

# stalls every time
start_fakereg --faults stall --count 100
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --low-speed-secs 2 --retries 1 --backoff-ms 20 \
    --out "$TMP/o" --blob "$layer:$size" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 124 ] && fail "the fetch hung"
[ $rc = 1 ] || fail "expected failure, got exit $rc"
grep -q "^regfetch: blob $layer: Operation too slow.*, gave up after 2 attempts$" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
[ -z "$(ls "$TMP/o")" ] || fail "partial file left behind"

# accepts connections, never answers
start_fakereg --faults hang
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --low-speed-secs 2 --retries 1 --backoff-ms 20 \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 124 ] && fail "the fetch hung"
[ $rc = 1 ] || fail "expected failure, got exit $rc"
grep -q "^regfetch: manifest $FAKEREG/test/app:v1: Operation too slow.*, gave up after 2 attempts$" \
    "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
pass
