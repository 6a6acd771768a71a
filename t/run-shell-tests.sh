#!/bin/bash
# Run the integration/end-to-end scripts t/tNNNN-*.sh (git-style numbering) against ./tank.
# Each script exits 0 (pass), 77 (skip, with a reason on stdout) or anything else (fail).
# TANK_TESTS="t1*" narrows the set.
set -u
cd "$(dirname "$0")/.."
export TANK_SRC="$PWD"
export TANK="$PWD/tank"
pass=0 fail=0 skip=0
failed=()
for t in t/${TANK_TESTS:-t[0-9]*}.sh; do
    [ -f "$t" ] || continue
    start=$(date +%s)
    log=$(mktemp)
    timeout --kill-after=10 "${TANK_TEST_TIMEOUT:-600}" bash "$t" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
    0) pass=$((pass + 1)); echo "ok   $t (${secs}s)" ;;
    77) skip=$((skip + 1)); echo "skip $t: $(tail -n 1 "$log")" ;;
    *) fail=$((fail + 1)); failed+=("$t"); echo "FAIL $t (exit $rc, ${secs}s)"; sed 's/^/    | /' "$log" | tail -n 60 ;;
    esac
    rm -f "$log"
done
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
