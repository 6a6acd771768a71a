#!/bin/bash
# `tank pull` takes its registry settings from the config: credentials from auth_file for a
# token-protected registry, plain HTTP for the insecure one; it pulls through 500s and a
# redirect to another host, and reports bad credentials clearly.
. "$(dirname "$0")/lib.sh"
need_root
mkdir -p "$TMP/root/etc"
echo "hello from the layer" >"$TMP/root/etc/greeting"
tar -C "$TMP/root" -czf "$TMP/layer.tgz" etc || fail "tar failed"

start_fakereg --faults token,flaky,redirect --count 1 --user alice --password pw \
    --layer-tgz "$TMP/layer.tgz"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$FAKEREG" "$(printf alice:pw | base64)" \
    >"$TMP/auth.json"
store_config "[registry]" "insecure = $FAKEREG" "auth_file = $TMP/auth.json"
tank() { timeout 120 "$TANK" --config "$TMP/tank.ini" "$@"; }

tank pull "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" ||
    fail "pull failed: $(cat "$TMP/err")"
tank images >"$TMP/images" || fail "images failed"
grep -q "^$FAKEREG/test/app:v1 " "$TMP/images" || fail "not listed: $(cat "$TMP/images")"
tank unpack "$FAKEREG/test/app:v1" "$TMP/rootfs" || fail "unpack failed"
[ "$(cat "$TMP/rootfs/etc/greeting")" = "hello from the layer" ] || fail "wrong content"
grep -q '^GET /token.* auth=Basic .*status=200' "$FAKEREG_DIR/log" ||
    fail "credentials not used: $(cat "$FAKEREG_DIR/log")"
grep -q 'status=500' "$FAKEREG_DIR/log" || fail "the fault script did not run"
grep -q "^GET /storage/.* host=localhost:${FAKEREG#*:} auth=- .*status=200" "$FAKEREG_DIR/log" ||
    fail "the layer did not come through the redirect: $(cat "$FAKEREG_DIR/log")"

# wrong password: a one-line, clear failure
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$FAKEREG" "$(printf alice:nope | base64)" \
    >"$TMP/auth.json"
tank pull "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" && fail "pull with a bad password worked"
grep -q "unauthorized: bad credentials for '$FAKEREG'" "$TMP/err" ||
    fail "unexpected error: $(cat "$TMP/err")"
pass
