#!/bin/bash
# docker.io references go to the configured mirrors first, in order; a mirror that is
# down is skipped. (No test here ever reaches docker.io itself.)
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

start_fakereg --faults token
dead=$(free_port) || fail "no free port"
timeout 60 "$REGFETCH" --mirror "http://127.0.0.1:$dead" --mirror "$FAKEREG" \
    --insecure "$FAKEREG" --out "$TMP/o" test/app:v1 >"$TMP/out" 2>"$TMP/err" ||
    fail "fetch through a mirror failed: $(cat "$TMP/err")"
layer=$(fakereg_info layer)
grep -qx "blob $layer $(fakereg_info layer_size) resets=0" "$TMP/out" ||
    fail "layer not fetched: $(cat "$TMP/out")"
grep -q "mirror 'http://127.0.0.1:$dead': .*trying the next source" "$TMP/err" ||
    fail "the dead mirror was not reported: $(cat "$TMP/err")"
grep -q "^GET /v2/test/app/manifests/v1 host=$FAKEREG auth=Bearer .*status=200" \
    "$FAKEREG_DIR/log" || fail "the mirror was not asked: $(cat "$FAKEREG_DIR/log")"
pass
