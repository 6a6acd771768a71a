#!/bin/bash
# A registry that answers the TLS handshake in plain HTTP, while it is not in [registry]
# insecure: `tank pull` fails at once (no retries) with the one line that says what to do.
. "$(dirname "$0")/lib.sh"
start_fakereg
store_config "[registry]"
start=$(date +%s)
timeout 60 "$TANK" --config "$TMP/tank.ini" pull "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" &&
    fail "a plain-HTTP registry was pulled from over https"
want="registry $FAKEREG speaks plain HTTP; add it to [registry] insecure in $TMP/tank.ini"
grep -qxF "tank pull: pull '$FAKEREG/test/app:v1': $want" "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "more than one line: $(cat "$TMP/err")"
# never retried: retries would back off 0.5+1+2+4s and say "gave up after 5 attempts"
[ $(($(date +%s) - start)) -lt 4 ] || fail "took $(($(date +%s) - start))s: retried?"
pass
