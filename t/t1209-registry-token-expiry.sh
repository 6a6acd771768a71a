#!/bin/bash
# Cached tokens are used until they expire: an expired token is not sent (a new one is
# fetched), and a token the registry stops accepting early is replaced after its 401.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"
manifest_lines() { grep '^GET /v2/test/app/manifests/v1 ' "$FAKEREG_DIR/log"; }

# expires_in=2: the second round, 3.5 s later, starts without the stale token
start_fakereg --faults token --token-ttl 2
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" --repeat 2 --delay-ms 3500 \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" || fail "fetch failed: $(cat "$TMP/err")"
[ "$(grep -c '^GET /token' "$FAKEREG_DIR/log")" -ge 2 ] ||
    fail "expected a second token after expiry: $(cat "$FAKEREG_DIR/log")"
manifest_lines | sed -n 3p | grep -q 'auth=- .*status=401' ||
    fail "an expired token was sent: $(manifest_lines)"

# the registry drops tokens after 1 s although it said 300: the stale token's 401 leads to
# a new token, once, and the fetch succeeds
start_fakereg --faults token --token-ttl 300 --token-lifetime 1
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" --repeat 2 --delay-ms 1500 \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" || fail "fetch failed: $(cat "$TMP/err")"
[ "$(grep -c '^GET /token' "$FAKEREG_DIR/log")" -ge 2 ] ||
    fail "expected a second token after the revocation: $(cat "$FAKEREG_DIR/log")"
manifest_lines | sed -n 3p | grep -q 'auth=Bearer .*status=401' ||
    fail "the cached token was not tried: $(manifest_lines)"
manifest_lines | sed -n 4p | grep -q 'auth=Bearer .*status=200' ||
    fail "no success with the new token: $(manifest_lines)"
[ "$(grep -c "^blob " "$TMP/out")" = 2 ] || fail "expected two rounds: $(cat "$TMP/out")"
pass
