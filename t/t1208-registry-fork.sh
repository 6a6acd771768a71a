#!/bin/bash
# A client made before fork() works in the child (with its own connections) and keeps
# working in the parent afterwards.
. "$(dirname "$0")/lib.sh"
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
mkdir "$TMP/o"

start_fakereg --faults token
timeout 60 "$REGFETCH" --insecure "$FAKEREG" --out "$TMP/o" --fork --repeat 2 \
    "$FAKEREG/test/app:v1" >"$TMP/out" 2>"$TMP/err" || fail "forked fetch failed: $(cat "$TMP/err")"
[ "$(grep -c "^blob $(fakereg_info layer) " "$TMP/out")" = 4 ] ||
    fail "expected 4 layer fetches (2 children, 2 parent rounds): $(cat "$TMP/out")"
# round 1: the child gets a token before the parent has one, then the parent gets its
# own; round 2: the child inherits the parent's token. The parent keeps its connection.
[ "$(grep -c "^GET /token" "$FAKEREG_DIR/log")" = 2 ] ||
    fail "expected two token requests: $(cat "$FAKEREG_DIR/log")"
pass
