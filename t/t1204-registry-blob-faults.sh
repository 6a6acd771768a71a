#!/bin/bash
# A truncated blob is fetched again from the start (the sink is reset first, so no partial
# data is kept); a blob with the wrong content ends in "digest mismatch" and nothing stays.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

start_fakereg --faults token,truncate --count 1
layer=$(fakereg_info layer)
size=$(fakereg_info layer_size)
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --out "$TMP/o" \
    --blob "$layer:$size" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" ||
    fail "fetch after a truncation failed: $(cat "$TMP/err")"
grep -qx "blob $layer $size resets=1" "$TMP/out" || fail "expected one reset: $(cat "$TMP/out")"
[ "$(stat -c %s "$TMP/o/${layer#sha256:}")" = "$size" ] || fail "the layer file has the wrong size"
[ "sha256:$(sha256sum <"$TMP/o/${layer#sha256:}" | cut -d' ' -f1)" = "$layer" ] ||
    fail "the layer file holds stale partial data"
grep -q "bytes remaining to read, retrying in 20ms" "$TMP/err" || fail "the retry was not reported: $(cat "$TMP/err")"

# the same truncation without the size known in advance
rm -f "$TMP/o"/*
start_fakereg --faults truncate --count 1
layer=$(fakereg_info layer)
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --out "$TMP/o" \
    --blob "$layer" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" ||
    fail "fetch after a truncation (no size) failed: $(cat "$TMP/err")"
grep -qx "blob $layer $size resets=1" "$TMP/out" || fail "expected one reset: $(cat "$TMP/out")"

# a body shorter than announced by the manifest (the server's Content-Length agrees with
# the short body): retried as truncated
rm -f "$TMP/o"/*
start_fakereg --faults short --count 1
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --out "$TMP/o" \
    --blob "$layer:$size" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" ||
    fail "fetch after a short body failed: $(cat "$TMP/err")"
grep -qx "blob $layer $size resets=1" "$TMP/out" || fail "expected one reset: $(cat "$TMP/out")"
grep -q "blob $layer: truncated at $((size / 2)) of $size bytes, retrying in" "$TMP/err" ||
    fail "the short body was not reported: $(cat "$TMP/err")"

# a sink that cannot be reset: no retry after partial data, a clear error
rm -f "$TMP/o"/*
start_fakereg --faults truncate --count 1
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --no-reset --out "$TMP/o" \
    --blob "$layer:$size" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" &&
    fail "fetch without reset succeeded"
grep -q "^regfetch: blob $layer: .*(cannot retry after partial data)$" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
[ -z "$(ls "$TMP/o")" ] || fail "partial file left behind"

# always truncated: give up
start_fakereg --faults truncate --count 100
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --retries 2 --backoff-ms 20 --out "$TMP/o" \
    --blob "$layer:$size" "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" &&
    fail "an always-truncated blob was fetched"
grep -q "^regfetch: blob $layer: .*, gave up after 3 attempts$" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
[ -z "$(ls "$TMP/o")" ] || fail "partial file left behind"

# wrong content: digest mismatch, not retried
start_fakereg --faults wrongdigest
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --backoff-ms 20 --out "$TMP/o" \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" && fail "a corrupted blob was accepted"
grep -q "^regfetch: blob $layer: digest mismatch (got sha256:[0-9a-f]\{64\})$" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
[ "$(grep -c "GET /v2/test/app/blobs/$layer" "$FAKEREG_DIR/log")" = 1 ] ||
    fail "a digest mismatch was retried"
[ -z "$(ls "$TMP/o")" ] || fail "corrupted file left behind"

# a blob larger than the manifest says is cut off at the announced size
start_fakereg
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" --blob "$layer:1000" \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" && fail "an oversized blob was accepted"
grep -qx "regfetch: blob $layer: larger than the expected 1000 bytes" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
pass
