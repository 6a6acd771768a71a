#!/bin/bash
# Missing manifests and blobs end in "image not found: REF" / "blob not found: DIGEST".
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

start_fakereg --faults token
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" "$FAKEREG/test/app:v2" \
    >"$TMP/out" 2>"$TMP/err" && fail "a missing tag was fetched"
grep -qx "regfetch: image not found: $FAKEREG/test/app:v2: MANIFEST_UNKNOWN: manifest unknown" \
    "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"

timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" "$FAKEREG/other/repo" \
    >"$TMP/out" 2>"$TMP/err" && fail "a missing repository was fetched"
grep -qx "regfetch: image not found: $FAKEREG/other/repo:latest: MANIFEST_UNKNOWN: manifest unknown" \
    "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"

missing=sha256:$(printf nothing | sha256sum | cut -d' ' -f1)
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" --blob "$missing" \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" && fail "a missing blob was fetched"
grep -qx "regfetch: blob not found: $missing in $FAKEREG/test/app: BLOB_UNKNOWN: blob unknown to registry" \
    "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
[ -z "$(ls "$TMP/o")" ] || fail "files left behind"
# 404s are final: one request each after the token, no retries
[ "$(grep -c 'status=404' "$FAKEREG_DIR/log")" = 3 ] ||
    fail "404 retried: $(cat "$FAKEREG_DIR/log")"

# a digest reference whose manifest is missing
start_fakereg --faults notfound
timeout 60 "$REGFETCH" --insecure "$FAKEREG" "$FAKEREG/test/app@$missing" \
    >"$TMP/out" 2>"$TMP/err" && fail "a missing digest was fetched"
grep -q "^regfetch: image not found: $FAKEREG/test/app@$missing" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
pass
