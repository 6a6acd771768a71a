#!/bin/bash
# `tank pull` progress: without a terminal one line per layer when it completes ("ID  done
# SIZE  RATE/s", "ID  exists" the second time) and the digest line last; on a terminal the
# layer lines are redrawn in place (cursor up, clear line); --quiet prints the digest only.
. "$(dirname "$0")/lib.sh"
need_cmds script
mkdir -p "$TMP/root/etc"
echo "hello" >"$TMP/root/etc/greeting"
tar -C "$TMP/root" -czf "$TMP/layer.tgz" etc || fail "tar failed"
start_fakereg --layer-tgz "$TMP/layer.tgz"
store_config "[registry]" "insecure = $FAKEREG"
REF=$FAKEREG/test/app:v1

tank pull "$REF" >"$TMP/out" 2>"$TMP/err" || fail "pull failed: $(cat "$TMP/err")"
grep -Eq "^[0-9a-f]{12}  done  [0-9.]+ (B|KiB|MiB)  [0-9.]+ (B|KiB|MiB|GiB)/s$" "$TMP/err" ||
    fail "no per-layer line: $(cat "$TMP/err")"
[ "$(grep -c '  done  ' "$TMP/err")" = "$(grep -Eo '[0-9]+ layers' "$TMP/out" | cut -d' ' -f1)" ] ||
    fail "not one line per layer: $(cat "$TMP/err" "$TMP/out")"
grep -q $'\033' "$TMP/err" && fail "escape sequences without a terminal"
digest=$(grep -Eo 'sha256:[0-9a-f]{64}' "$TMP/out" | head -n 1)
grep -Eq "^$REF: sha256:[0-9a-f]{64} \([0-9]+ layers: [0-9]+ extracted, 0 present\)$" "$TMP/out" ||
    fail "last line: $(cat "$TMP/out")"

tank pull "$REF" >"$TMP/out" 2>"$TMP/err" || fail "second pull failed"
grep -Eq "^[0-9a-f]{12}  exists$" "$TMP/err" || fail "present layers: $(cat "$TMP/err")"

[ "$(tank pull --quiet "$REF" 2>"$TMP/err")" = "$digest" ] || fail "--quiet: not the digest alone"
[ ! -s "$TMP/err" ] || fail "--quiet printed progress: $(cat "$TMP/err")"
[ "$(tank pull -q "$REF" 2>/dev/null)" = "$digest" ] || fail "-q"
expect_exit 2 tank pull --bogus "$REF"

# a terminal: redrawn in place
rm -rf "$TMP/state"
script -qec "'$TANK' --config '$TMP/tank.ini' pull '$REF'" /dev/null >"$TMP/tty" 2>&1 ||
    fail "pull on a terminal failed: $(cat "$TMP/tty")"
grep -q $'\033\[[0-9]*A\r\033\[2K[0-9a-f]\{12\}  done' "$TMP/tty" ||
    fail "no in-place redraw: $(od -c "$TMP/tty" | head -n 20)"
pass
