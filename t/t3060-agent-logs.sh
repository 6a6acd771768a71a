#!/bin/bash
# `tank logs` over CRI-format files as the container monitor writes them: partial lines
# joined, both streams, the rotated file first, --tail, --timestamps, the container name
# optional for a one-container pod, and -f following across a rotation.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/log/web"
cat >"$TMP/tank.ini" <<EOC
[agent]
log_dir = $TMP/log
EOC
L=$TMP/log/web/main.log
cat >"$L.1" <<'EOC'
2026-01-02T03:04:05.000000001Z stdout F line one
2026-01-02T03:04:05.000000002Z stderr F line two (stderr)
EOC
cat >"$L" <<'EOC'
2026-01-02T03:04:06.000000001Z stdout P a long li
2026-01-02T03:04:06.000000002Z stdout P ne split in
2026-01-02T03:04:06.000000003Z stdout F  three parts
2026-01-02T03:04:07.000000000Z stdout F last line
EOC
logs() { "$TANK" logs --config "$TMP/tank.ini" "$@"; }
want=$'line one\nline two (stderr)\na long line split in three parts\nlast line'
[ "$(logs web main)" = "$want" ] || fail "logs: $(logs web main)"
[ "$(logs web)" = "$want" ] || fail "the only container is the default"
[ "$(logs --tail 2 web)" = $'a long line split in three parts\nlast line' ] || fail "--tail 2: $(logs --tail 2 web)"
[ "$(logs --tail=0 web)" = "" ] || fail "--tail=0"
[ "$(logs --timestamps --tail 1 web)" = "2026-01-02T03:04:07.000000000Z last line" ] ||
    fail "--timestamps: $(logs --timestamps --tail 1 web)"
[ "$(logs --timestamps web | sed -n 3p)" = "2026-01-02T03:04:06.000000001Z a long line split in three parts" ] ||
    fail "a joined line carries the time of its first part"
expect_exit 1 logs nosuchpod
expect_exit 2 logs
touch "$TMP/log/web/side.log"
err=$(logs web 2>&1) && fail "two containers: CTR must be named"
grep -q "name one: " <<<"$err" || fail "unclear: $err"
rm "$TMP/log/web/side.log"

# -f: new lines appear, also after a rotation (the monitor renames LOG to LOG.1).
"$TANK" logs --config "$TMP/tank.ini" -f --tail 0 web main >"$TMP/out" 2>&1 &
f=$!
at_exit "kill $f 2>/dev/null; wait $f 2>/dev/null"
wait_for 10 sh -c "grep -qs inotify /proc/$f/fdinfo/*" # following
echo "2026-01-02T03:04:08.000000000Z stdout F followed one" >>"$L"
wait_for 10 grep -qx "followed one" "$TMP/out"
mv "$L" "$L.1"
echo "2026-01-02T03:04:09.000000000Z stdout F after rotation" >"$L.tmp" && mv "$L.tmp" "$L"
wait_for 10 grep -qx "after rotation" "$TMP/out"
echo "2026-01-02T03:04:10.000000000Z stderr F still following" >>"$L"
wait_for 10 grep -qx "still following" "$TMP/out"
[ "$(cat "$TMP/out")" = $'followed one\nafter rotation\nstill following' ] || fail "-f output: $(cat "$TMP/out")"
pass
