#!/bin/bash
# Events survive an agent restart: kept as JSON lines under state_dir (0600), served by
# GET /v1/events?since= and printed by `tank events [-f] [POD]`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
put web Always "exec sleep 104601"
agent_start
skip_unless_containers_run
wait_phase 60 web Running
wait_for 10 sh -c "'$TANK' events --config '$CFG' web | grep -q '  web/main  Started  '" ||
    fail "no Started event: $("$TANK" events --config "$CFG")"
[ "$(stat -c %a "$TMP/state/events.jsonl")" = 600 ] || fail "events file mode $(stat -c %a "$TMP/state/events.jsonl")"
agent_stop
agent_start
out=$("$TANK" events --config "$CFG" web) || fail "tank events failed: $out"
grep -q "  web/main  Started  " <<<"$out" || fail "the events did not survive the restart: $out"
grep -q "  probe" <<<"$("$TANK" events --config "$CFG" web)" && fail "tank events web shows other pods"
grep -q "  probe" <<<"$("$TANK" events --config "$CFG")" || fail "tank events lacks the probe pod"
first=$(jq -r '.events[0].time' <<<"$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?since=")")
[ "$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?since=2999-01-01T00:00:00Z" | jq '.events | length')" = 0 ] ||
    fail "since in the future gave events"
[ "$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?since=$first" | jq -r '.events[0].time')" = "$first" ] ||
    fail "since is not inclusive"
curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://tank/v1/events?since=soon" | grep -qx 400 ||
    fail "a bad since was accepted"
# -f follows: a new pod's events come as they happen.
"$TANK" events --config "$CFG" -f >"$TMP/follow" 2>&1 &
FOLLOW=$!
at_exit "kill $FOLLOW 2>/dev/null"
sleep 0.5
put two Always "exec sleep 104602"
wait_for 20 grep -q "  two/main  Started  " "$TMP/follow" || fail "tank events -f: $(cat "$TMP/follow")"
[ "$(grep -c "  web/main  Started  " "$TMP/follow")" = "$(grep -c "  web/main  Started  " <<<"$out")" ] ||
    fail "tank events -f repeated events: $(cat "$TMP/follow")"
kill $FOLLOW
pass
