#!/bin/bash
# Authentication failures end in a clear "unauthorized: …" or "denied: …" error, fast.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"

# expect_error ERRTEXT REGFETCH_ARGS...: regfetch must exit 1 saying ERRTEXT.
expect_error() {
    local want=$1; shift
    timeout 60 "$REGFETCH" --out "$TMP/o" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ "$rc" = 1 ] || fail "regfetch $* exited $rc, expected 1: $(cat "$TMP/err")"
    grep -qF -- "$want" "$TMP/err" || fail "expected '$want', got: $(cat "$TMP/err")"
    [ -z "$(ls "$TMP/o")" ] || fail "files left behind: $(ls "$TMP/o")"
}
mkdir "$TMP/o"
auth_file() { # HOST USER:PASS
    printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$1" "$(printf '%s' "$2" | base64)" \
        >"$TMP/auth.json"
}

# wrong password at the token server
start_fakereg --faults token --user alice --password right
auth_file "$FAKEREG" alice:wrong
expect_error "unauthorized: bad credentials for '$FAKEREG': UNAUTHORIZED: bad credentials" \
    --insecure "$FAKEREG" --auth-file "$TMP/auth.json" "$FAKEREG/test/app:v1"
# no credentials where the token server wants them
expect_error "unauthorized: '$FAKEREG' refused an anonymous token" \
    --insecure "$FAKEREG" "$FAKEREG/test/app:v1"
[ "$(grep -c '^GET /token' "$FAKEREG_DIR/log")" = 2 ] ||
    fail "expected exactly one token attempt per run: $(cat "$FAKEREG_DIR/log")"

# basic auth: wrong password, and none at all
start_fakereg --faults basic --user bob --password pw
auth_file "$FAKEREG" bob:nope
expect_error "unauthorized: access to 'test/app' on '$FAKEREG' denied with the given credentials" \
    --insecure "$FAKEREG" --auth-file "$TMP/auth.json" "$FAKEREG/test/app:v1"
expect_error "unauthorized: '$FAKEREG' requires credentials (none in the auth file)" \
    --insecure "$FAKEREG" "$FAKEREG/test/app:v1"

# 403
start_fakereg --faults forbidden
expect_error "denied: access to 'test/app' on '$FAKEREG' is forbidden: DENIED: requested access" \
    --insecure "$FAKEREG" "$FAKEREG/test/app:v1"

# a malformed auth file, and a missing one, are reported as such
start_fakereg --faults token
printf '{"auths": {"%s": {"auth": "not base64!"}}}' "$FAKEREG" >"$TMP/bad.json"
expect_error "read credentials for '$FAKEREG': auth file entry '$FAKEREG': \"auth\" is not base64" \
    --insecure "$FAKEREG" --auth-file "$TMP/bad.json" "$FAKEREG/test/app:v1"
expect_error "read auth file '$TMP/missing.json': No such file or directory" \
    --insecure "$FAKEREG" --auth-file "$TMP/missing.json" "$FAKEREG/test/app:v1"

# without --insecure the client speaks HTTPS to the plain-HTTP registry and says what to do
start_fakereg
expect_error "registry $FAKEREG speaks plain HTTP; add it to [registry] insecure in /etc/tank/tank.ini" --retries 1 --backoff-ms 10 "$FAKEREG/test/app:v1"
grep -q "^GET " "$FAKEREG_DIR/log" && fail "plain HTTP used for a registry not named insecure"
# HTTPS is verified: a self-signed registry fails at once (not retried), clearly
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
        >/dev/null 2>&1 || fail "openssl could not make a certificate"
    start_fakereg --tls "$TMP/cert.pem" "$TMP/key.pem"
    expect_error "manifest $FAKEREG/test/app:v1: SSL certificate problem: self-signed certificate" \
        --backoff-ms 10 "$FAKEREG/test/app:v1"
    grep -q "retrying" "$TMP/err" && fail "a certificate failure was retried: $(cat "$TMP/err")"
fi
pass
