#!/bin/bash
# One agent per configuration: a second `tank agent` sharing the run_dir, the state_dir or
# the socket of a running one exits 1 at once with one line naming the first agent's pid,
# and leaves the first agent, its socket and its pods alone (also after it exited). The
# other commands (pull, images, prune) keep working beside the agent; after a kill -9 the
# next agent takes the stale socket over, and waits for a lock a child of the dead agent
# still holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
STAY=$((300000 + $$))
put stay Always "exec sleep $STAY"
wait_phase 60 stay Running
stay_pid=$(ctr_jq stay main .pid)
sock_ino=$(stat -c %i "$SOCK")

# second CONFIG KEY VALUE: run a second agent, expect exit 1 and the one line for KEY.
second() {
    local t0=$SECONDS rc
    timeout 20 unshare --net -- "$TANK" agent --config "$1" >"$TMP/second.out" 2>"$TMP/second.err"
    rc=$?
    [ "$rc" = 1 ] || fail "second agent ($2): exit $rc, expected 1: $(cat "$TMP/second.err")"
    [ $((SECONDS - t0)) -le 3 ] || fail "second agent ($2) took $((SECONDS - t0))s to give up"
    local want="tank agent: another agent (pid $AGENT_PID) is running with $2 $3"
    [ "$(cat "$TMP/second.err")" = "$want" ] ||
        fail "second agent ($2) said: '$(cat "$TMP/second.err")', expected '$want'"
    [ ! -s "$TMP/second.out" ] || fail "second agent ($2) printed: $(cat "$TMP/second.out")"
}
# untouched: the first agent answers on the same socket, its pod runs as before.
untouched() {
    [ "$(stat -c %i "$SOCK" 2>/dev/null)" = "$sock_ino" ] || fail "$1: the socket was replaced"
    curl -fsS --unix-socket "$SOCK" http://tank/healthz >/dev/null || fail "$1: agent unreachable"
    [ "$(pod_phase stay)" = Running ] || fail "$1: stay is $(pod_phase stay)"
    [ "$(ctr_jq stay main .pid)" = "$stay_pid" ] || fail "$1: stay was restarted"
    [ "$(ctr_jq stay main .restarts)" = 0 ] || fail "$1: stay's restart count changed"
    kill -0 "$AGENT_PID" || fail "$1: the first agent died"
}

# The same configuration file.
second "$CFG" run_dir "$TMP/run"
untouched "same config"
# Only the state_dir shared.
mkdir -p "$TMP/b"
sed -e "s|^run_dir = .*|run_dir = $TMP/b/run|" -e "s|^socket = .*|socket = $TMP/b/sock|" \
    -e "s|^pods_dir = .*|pods_dir = $TMP/b/pods|" "$CFG" >"$TMP/b.ini"
second "$TMP/b.ini" state_dir "$TMP/state"
# Only the socket shared.
sed -e "s|^run_dir = .*|run_dir = $TMP/b/run|" -e "s|^state_dir = .*|state_dir = $TMP/b/state|" \
    -e "s|^pods_dir = .*|pods_dir = $TMP/b/pods|" "$CFG" >"$TMP/c.ini"
second "$TMP/c.ini" socket "$SOCK"
[ ! -e "$TMP/b/pods" ] && [ ! -e "$TMP/b/run/agent" ] || fail "a refused agent created its tree"
sleep 1 # a pass or two of the first agent after the attempts
untouched "after the second agents exited"

# The other commands beside the running agent.
"$TANK" pull --config "$CFG" "$IMAGE" >"$TMP/pull.out" 2>&1 || fail "pull: $(cat "$TMP/pull.out")"
"$TANK" images --config "$CFG" >"$TMP/images.out" 2>&1 || fail "images: $(cat "$TMP/images.out")"
"$TANK" images prune --config "$CFG" >"$TMP/prune.out" 2>&1 || fail "prune: $(cat "$TMP/prune.out")"
"$TANK" validate "$PODS" || fail "validate beside the agent"
untouched "after pull and prune"

# A dead agent's socket and locks are taken over; its pods are adopted, not restarted.
agent_kill9
[ -S "$SOCK" ] || fail "kill -9 left no socket (the takeover is not tested)"
agent_start
[ "$(cat "$TMP/run/agent.lock")" = "$AGENT_PID" ] || fail "lock file: $(cat "$TMP/run/agent.lock")"
sock_ino=$(stat -c %i "$SOCK")
wait_phase 30 stay Running
untouched "after a restart"
second "$CFG" run_dir "$TMP/run"
untouched "second agent against the restarted one"

# A lock still held by a child of a dead agent (a sandbox being made or removed, until the
# kernel has killed it too): the pid in the file is gone, so the next agent waits for the
# lock instead of refusing to start.
agent_kill9
dead=$(sh -c 'echo $$')
printf '%s\n' "$dead" >"$TMP/run/agent.lock"
flock -x "$TMP/run/agent.lock" sleep 2 &
holder=$!
sleep 0.3
agent_start
kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent did not wait for a dead agent's lock: $(tail -n 3 "$TMP/agent.log")"
wait "$holder"
sock_ino=$(stat -c %i "$SOCK")
[ "$(cat "$TMP/run/agent.lock")" = "$AGENT_PID" ] || fail "lock file: $(cat "$TMP/run/agent.lock")"
wait_phase 30 stay Running
untouched "after waiting for the lock"
pass
