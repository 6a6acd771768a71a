#!/bin/bash
# Blob redirects are followed; the registry's token goes to the registry only, never to
# the redirect's host (localhost is another host than 127.0.0.1).
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

start_fakereg --faults token,redirect
layer=$(fakereg_info layer)
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" "$FAKEREG/test/app:v1" \
    >"$TMP/out" 2>"$TMP/err" || fail "fetch with redirects failed: $(cat "$TMP/err")"
grep -qx "blob $layer $(fakereg_info layer_size) resets=0" "$TMP/out" ||
    fail "layer not fetched: $(cat "$TMP/out")"
[ "sha256:$(sha256sum <"$TMP/o/${layer#sha256:}" | cut -d' ' -f1)" = "$layer" ] ||
    fail "the layer file does not hash to its digest"
port=${FAKEREG#*:}
grep -q "^GET /v2/test/app/blobs/$layer host=$FAKEREG auth=Bearer .*status=307" \
    "$FAKEREG_DIR/log" || fail "the registry did not see the token: $(cat "$FAKEREG_DIR/log")"
grep -q "^GET /storage/${layer#sha256:}?sig=secret host=localhost:$port auth=- .*status=200" \
    "$FAKEREG_DIR/log" || fail "redirect not followed as expected: $(cat "$FAKEREG_DIR/log")"
if grep "^GET /storage/" "$FAKEREG_DIR/log" | grep -qv "auth=-"; then
    fail "Authorization leaked to another host: $(cat "$FAKEREG_DIR/log")"
fi
pass
