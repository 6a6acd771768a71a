#!/bin/bash
# `tank logs` over CRI-format files as the container monitor writes them: partial lines
# joined, both streams, the rotated file first, --tail, --timestamps, the container name
# optional for a one-container pod; -f following across a rotation while the container
# instance runs and ending by itself when it has exited (its monitor, as the state dir under
# run_dir records it, is played by a sleep of the test's), without what a later instance
# wrote; -f on a container that does not run prints the log and exits.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/log/web"
cat >"$TMP/tank.ini" <<EOC
[agent]
log_dir = $TMP/log
run_dir = $TMP/run
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

# -c CTR, --since, --all-containers with [CTR] prefixes, -p (the previous instance's
# LOG.prev, rotated ones first), rotated files oldest first
[ "$(logs -c main web)" = "$want" ] || fail "-c: $(logs -c main web)"
[ "$(logs --container=main web)" = "$want" ] || fail "--container="
[ "$(logs --since=1h web)" = "" ] || fail "--since 1h printed old lines: $(logs --since=1h web)"
now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
echo "$now stdout F fresh" >>"$L"
[ "$(logs --since 1m web)" = "fresh" ] || fail "--since 1m: $(logs --since 1m web)"
expect_exit 2 logs --since=soon web
printf '2026-01-02T03:04:01.000000000Z stdout F side one\n' >"$TMP/log/web/side.log"
printf '2026-01-02T03:04:00.000000000Z stdout F side zero\n' >"$TMP/log/web/side.log.1"
[ "$(logs --all-containers --tail 1 web)" = $'[main] fresh\n[side] side one' ] ||
    fail "--all-containers --tail 1: $(logs --all-containers --tail 1 web)"
[ "$(logs --all-containers --timestamps web | tail -n 2)" = $'[side] 2026-01-02T03:04:00.000000000Z side zero\n[side] 2026-01-02T03:04:01.000000000Z side one' ] ||
    fail "--all-containers --timestamps: $(logs --all-containers --timestamps web)"
expect_exit 2 logs --all-containers web main
err=$(logs -p web side 2>&1) && fail "-p without a previous instance"
[ "$err" = "tank logs: no previous instance of container 'side' of pod 'web'" ] || fail "-p: $err"
printf '2026-01-01T00:00:00.000000000Z stdout F before\n' >"$TMP/log/web/side.log.prev.1"
printf '2026-01-01T00:00:01.000000000Z stdout F previous\n' >"$TMP/log/web/side.log.prev"
[ "$(logs -p -c side web)" = $'before\nprevious' ] || fail "-p: $(logs -p -c side web)"
[ "$(logs --previous --all-containers web)" = $'[side] before\n[side] previous' ] ||
    fail "-p --all-containers: $(logs --previous --all-containers web)"
rm "$TMP/log/web/side.log"* 
head -n -1 "$L" >"$L.tmp" && mv "$L.tmp" "$L"
printf '2026-01-02T03:04:04.000000000Z stdout F oldest\n' >"$L.2"
[ "$(logs web | head -n 2)" = $'oldest\nline one' ] || fail "LOG.2 first: $(logs web)"
rm "$L.2"

# -f on a container that does not run (no state at all, then a monitor that is gone): the
# log, and exit.
[ "$(timeout 20 "$TANK" logs --config "$TMP/tank.ini" -f web)" = "$want" ] || fail "-f, no state"
expect_exit 1 timeout 20 "$TANK" logs --config "$TMP/tank.ini" -f web other

# A running instance: STATE_DIR/state names its monitor by pid and start time.
RUN=$TMP/run/pods/web/containers/main
mkdir -p "$RUN"
pids=()
at_exit 'kill ${pids[@]} 2>/dev/null'
# new_instance: a fake monitor (a sleep) recorded as the running instance; sets MON.
new_instance() {
    sleep 1000 &
    MON=$!
    pids+=("$MON")
    local start
    start=$(awk '{print $22}' "/proc/$MON/stat")
    printf 'pid=%s\npid_start=%s\nmonitor_pid=%s\nmonitor_start=%s\nstarted_at=%s\nstop_signal=15\n' \
        "$MON" "$start" "$MON" "$start" "$(date +%s%N)" >"$RUN/state.tmp"
    mv "$RUN/state.tmp" "$RUN/state"
}
new_instance
old=$MON

# -f: new lines appear, also after a rotation (the monitor renames LOG to LOG.1).
( "$TANK" logs --config "$TMP/tank.ini" -f --tail 0 web main >"$TMP/out" 2>&1; echo $? >"$TMP/rc" ) &
f=$!
at_exit "pkill -P $f 2>/dev/null; wait $f 2>/dev/null"
wait_for 10 sh -c "grep -qs inotify /proc/\$(pgrep -P $f)/fdinfo/*" # following
echo "2026-01-02T03:04:08.000000000Z stdout F followed one" >>"$L"
wait_for 10 grep -qx "followed one" "$TMP/out"
mv "$L" "$L.1"
echo "2026-01-02T03:04:09.000000000Z stdout F after rotation" >"$L.tmp" && mv "$L.tmp" "$L"
wait_for 10 grep -qx "after rotation" "$TMP/out"
echo "2026-01-02T03:04:10.000000000Z stderr F still following" >>"$L"
wait_for 10 grep -qx "still following" "$TMP/out"
[ "$(cat "$TMP/out")" = $'followed one\nafter rotation\nstill following' ] || fail "-f output: $(cat "$TMP/out")"
[ ! -e "$TMP/rc" ] || fail "-f ended while the container runs: $(cat "$TMP/out")"

# The instance writes its last line and ends; by the time the follower looks again (it is
# stopped meanwhile) the agent has restarted the container and the new instance has written
# a line: -f prints the old instance's last line, not the new one's, and exits 0 by itself.
echo "2026-01-02T03:04:11.000000000Z stdout F last words" >>"$L"
follower=$(pgrep -P $f)
kill -STOP "$follower"
at_exit "kill -CONT $follower 2>/dev/null"
kill "$old"
wait "$old" 2>/dev/null
new_instance
echo "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) stdout F from the next instance" >>"$L"
kill -CONT "$follower"
wait_for 20 test -s "$TMP/rc"
[ "$(cat "$TMP/rc")" = 0 ] || fail "-f exited $(cat "$TMP/rc"): $(cat "$TMP/out")"
[ "$(cat "$TMP/out")" = $'followed one\nafter rotation\nstill following\nlast words' ] ||
    fail "-f output at the end: $(cat "$TMP/out")"

# Once the last monitor is gone, -f prints all and exits at once.
kill "$MON"
wait "$MON" 2>/dev/null
[ "$(timeout 20 "$TANK" logs --config "$TMP/tank.ini" -f --tail 2 web)" = $'last words\nfrom the next instance' ] ||
    fail "-f on an ended container: $(timeout 20 "$TANK" logs --config "$TMP/tank.ini" -f --tail 2 web)"
pass
