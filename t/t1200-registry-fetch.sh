#!/bin/bash
# The registry client fetches a manifest, its config and its layer from a registry with
# anonymous bearer tokens and with credentials from an auth file; the token is fetched
# once and reused, one connection is kept alive, and every byte lands verified.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"

check_files() {
    local layer size
    layer=$(fakereg_info layer)
    size=$(fakereg_info layer_size)
    grep -q "^manifest $(fakereg_info manifest) application/vnd.oci.image.manifest.v1+json " \
        "$1" || fail "manifest line missing: $(cat "$1")"
    grep -q "^config $(fakereg_info config) $(fakereg_info config_size)$" "$1" ||
        fail "config line missing: $(cat "$1")"
    grep -q "^blob $layer $size resets=0$" "$1" || fail "blob line missing: $(cat "$1")"
    [ "sha256:$(sha256sum <"$2/${layer#sha256:}" | cut -d' ' -f1)" = "$layer" ] ||
        fail "the layer file does not hash to $layer"
}

# 1. no authentication at all
start_fakereg
mkdir "$TMP/o1"
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o1" "$FAKEREG/test/app:v1" \
    >"$TMP/out1" 2>"$TMP/err1" || fail "plain fetch failed: $(cat "$TMP/err1")"
check_files "$TMP/out1" "$TMP/o1"
grep -q 'auth=[^-]' "$FAKEREG_DIR/log" && fail "credentials sent to an open registry"

# 2. anonymous bearer token, two rounds with one client: one token, one connection
start_fakereg --faults token
mkdir "$TMP/o2"
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o2" --repeat 2 \
    "$FAKEREG/test/app:v1" >"$TMP/out2" 2>"$TMP/err2" ||
    fail "token fetch failed: $(cat "$TMP/err2")"
check_files "$TMP/out2" "$TMP/o2"
[ "$(grep -c '^GET /token' "$FAKEREG_DIR/log")" = 1 ] ||
    fail "expected one token request: $(cat "$FAKEREG_DIR/log")"
grep -q '^GET /token.*scope=repository%3Atest%2Fapp%3Apull' "$FAKEREG_DIR/log" ||
    fail "token request without the pull scope"
grep -q '^GET /token.* auth=-' "$FAKEREG_DIR/log" || fail "anonymous token request sent credentials"
[ "$(grep -c ' status=200$' "$FAKEREG_DIR/log")" = 7 ] ||
    fail "expected 7 successful requests: $(cat "$FAKEREG_DIR/log")"
[ "$(grep '^GET /v2/' "$FAKEREG_DIR/log" | grep ' status=200' | grep -vc 'auth=Bearer')" = 0 ] ||
    fail "a request went without the token"
peers=$(sed -n 's/.* peer=\([0-9]*\) .*/\1/p' "$FAKEREG_DIR/log" | sort -u | wc -l)
[ "$peers" = 1 ] || fail "expected one kept-alive connection, saw $peers"

# 3. bearer token with credentials from a Docker-style auth file
start_fakereg --faults token --user alice --password 's3cret:x'
printf '{"auths": {"http://%s/v2/": {"auth": "%s"}}}\n' "$FAKEREG" \
    "$(printf 'alice:s3cret:x' | base64)" >"$TMP/auth.json"
mkdir "$TMP/o3"
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --auth-file "$TMP/auth.json" --out "$TMP/o3" \
    "$FAKEREG/test/app:v1" >"$TMP/out3" 2>"$TMP/err3" ||
    fail "credentialed fetch failed: $(cat "$TMP/err3")"
check_files "$TMP/out3" "$TMP/o3"
grep -q '^GET /token.* auth=Basic .*status=200' "$FAKEREG_DIR/log" ||
    fail "token not requested with the credentials: $(cat "$FAKEREG_DIR/log")"

# 4. basic auth
start_fakereg --faults basic --user bob --password pw
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$FAKEREG" "$(printf 'bob:pw' | base64)" \
    >"$TMP/auth4.json"
mkdir "$TMP/o4"
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --auth-file "$TMP/auth4.json" --out "$TMP/o4" \
    "$FAKEREG/test/app:v1" >"$TMP/out4" 2>"$TMP/err4" ||
    fail "basic-auth fetch failed: $(cat "$TMP/err4")"
check_files "$TMP/out4" "$TMP/o4"

# 5. by digest: the manifest must hash to it
start_fakereg
mkdir "$TMP/o5"
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o5" \
    "$FAKEREG/test/app@$(fakereg_info manifest)" >"$TMP/out5" 2>"$TMP/err5" ||
    fail "fetch by digest failed: $(cat "$TMP/err5")"
check_files "$TMP/out5" "$TMP/o5"
grep -q "GET /v2/test/app/manifests/$(fakereg_info manifest) " "$FAKEREG_DIR/log" ||
    fail "manifest not requested by digest"
pass
