#!/bin/bash
# `make clean` refuses while the demo's pods run (a process or a mount under build/demo),
# saying to run `make demo-stop`; otherwise it cleans. Run on a scratch directory.
. "$(dirname "$0")/lib.sh"
need_cmds make
mkdir -p "$TMP/w/build/demo/run"
touch "$TMP/w/tank" "$TMP/w/build/x"
mk() { make -s -f "$TANK_SRC/Makefile" -C "$TMP/w" clean; }
(exec -a "$TMP/w/build/demo/run/pods/demo-sleeper" sleep 60) &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
out=$(mk 2>&1) && fail "make clean ran while a demo pod runs"
grep -qx "make clean: the demo's pods still run (build/demo): run 'make demo-stop' first" <<<"$out" ||
    fail "unexpected: $out"
[ -e "$TMP/w/build/x" ] && [ -e "$TMP/w/tank" ] || fail "something was removed"
kill $pid
wait $pid 2>/dev/null
mk >/dev/null 2>&1 || fail "make clean failed with no demo running"
[ ! -e "$TMP/w/build" ] && [ ! -e "$TMP/w/tank" ] || fail "make clean did not clean"
pass
