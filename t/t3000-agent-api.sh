#!/bin/bash
# The agent's status API and CLI without running any pod: the socket (0600), /healthz,
# the JSON shape of /v1/pods with a manifest error, the revision of a symlinked pods
# directory, `tank status` (table, json, unknown pod), `tank apply`, a clean SIGTERM.
. "$(dirname "$0")/lib.sh"
need_cmds curl jq

mkdir -p "$TMP/rev-1111111" "$TMP/state" "$TMP/run" "$TMP/log"
ln -s rev-1111111 "$TMP/pods"
sock=$TMP/tank.sock
cat >"$TMP/tank.ini" <<EOC
[agent]
pods_dir = $TMP/pods
state_dir = $TMP/state
run_dir = $TMP/run
log_dir = $TMP/log
socket = $sock
EOC
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec:\n  containers:\n  - name: c\n    image: busybox\n    volumeDevices: []\n' \
    >"$TMP/rev-1111111/broken.yaml"

# systemd's notify socket: the agent says READY=1 once it serves.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
open(sys.argv[2], "wb").write(s.recv(4096))
' "$TMP/notify" "$TMP/notified" &
listener=$!
at_exit "kill $listener 2>/dev/null; wait $listener 2>/dev/null"
wait_for 10 test -S "$TMP/notify"
NOTIFY_SOCKET=$TMP/notify "$TANK" agent --config "$TMP/tank.ini" 2>"$TMP/agent.log" &
agent=$!
at_exit "kill $agent 2>/dev/null; wait $agent 2>/dev/null"
wait_for 20 test -S "$sock"
wait_for 20 curl -fsS --unix-socket "$sock" http://tank/healthz

wait_for 10 test -s "$TMP/notified"
grep -q "^READY=1$" "$TMP/notified" || fail "notify: $(cat "$TMP/notified")"
[ "$(stat -c %a "$sock")" = 600 ] || fail "socket mode is $(stat -c %a "$sock"), want 600"
[ "$(curl -fsS --unix-socket "$sock" http://tank/healthz)" = ok ] || fail "healthz"

json=$(curl -fsS --unix-socket "$sock" http://tank/v1/pods) || fail "GET /v1/pods"
[ "$(jq -r '.revision' <<<"$json")" = rev-1111111 ] || fail "revision: $json"
[ "$(jq -c 'keys' <<<"$json")" = '["errors","pods","revision","sync","workloads"]' ] || fail "top-level keys: $json"
[ "$(jq -c '.sync' <<<"$json")" = null ] || fail "sync without [sync]: $json"
out=$(curl -sS -w ' %{http_code}' -X POST --unix-socket "$sock" http://tank/v1/sync)
[ "$out" = '{"error":"no [sync] repo is configured"} 409' ] || fail "POST /v1/sync without [sync]: $out"
[ "$(jq '.pods | length' <<<"$json")" = 0 ] || fail "an invalid manifest gave a pod: $json"
[ "$(jq -c '.errors[0] | keys' <<<"$json")" = '["column","file","line","message"]' ] ||
    fail "error keys: $json"
jq -e '.errors[0].file | endswith("broken.yaml")' <<<"$json" >/dev/null || fail "error file: $json"
jq -e '.errors[0].line == 9 and (.errors[0].message | contains("volumeDevices"))' \
    <<<"$json" >/dev/null || fail "error position/message: $json"

# The CLI: json is the API's document; the table lists the errors under it.
[ "$("$TANK" status --config "$TMP/tank.ini" -o json | jq -c .)" = "$(jq -c . <<<"$json")" ] ||
    fail "tank status -o json differs from the API"
table=$("$TANK" status --config "$TMP/tank.ini") || fail "tank status exited $?"
# the manifests' errors first, then the table
[ "$(head -n1 <<<"$table")" = ERRORS ] || fail "errors not first: $table"
grep -q '^NAME *READY *STATUS *RESTARTS *AGE *IP$' <<<"$table" || fail "header: $table"
grep -q "broken.yaml:9:.*volumeDevices" <<<"$table" || fail "no error in the table: $table"
grep -q "revision: rev-1111111" <<<"$table" || fail "no revision in the table: $table"
err=$("$TANK" status --config "$TMP/tank.ini" nosuchpod 2>&1) && fail "unknown pod exited 0"
grep -q "pod 'nosuchpod' not found" <<<"$err" || fail "unclear: $err"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://tank/v1/pods/nosuchpod)
[ "$code" = 404 ] || fail "GET /v1/pods/nosuchpod gave $code"
curl -fsS --unix-socket "$sock" http://tank/v1/events | jq -e '.events | type == "array"' \
    >/dev/null || fail "GET /v1/events"

# A git-sync-style swap: the revision follows, the error goes away with the file.
mkdir "$TMP/rev-2222222"
ln -s rev-2222222 "$TMP/pods.tmp" && mv -T "$TMP/pods.tmp" "$TMP/pods"
wait_for 20 sh -c "curl -fsS --unix-socket '$sock' http://tank/v1/pods | jq -e '.revision == \"rev-2222222\" and (.errors | length) == 0'"

# apply: an invalid file is refused with its position and nothing is placed.
mkdir "$TMP/elsewhere"
sed "s|^pods_dir = .*|pods_dir = $TMP/elsewhere|" "$TMP/tank.ini" >"$TMP/apply.ini"
out=$("$TANK" apply --config "$TMP/apply.ini" "$TMP/rev-1111111/broken.yaml" 2>&1) &&
    fail "apply of an invalid manifest exited 0"
grep -q "broken.yaml:9:" <<<"$out" || fail "apply error unclear: $out"
[ -z "$(ls -A "$TMP/elsewhere")" ] || fail "apply placed an invalid file"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n  - name: c\n    image: busybox\n' >"$TMP/ok.yaml"
"$TANK" apply --config "$TMP/apply.ini" "$TMP/ok.yaml" >/dev/null || fail "apply exited $?"
cmp -s "$TMP/ok.yaml" "$TMP/elsewhere/ok.yaml" || fail "apply did not place the file"

# SIGTERM: a clean exit, the socket removed.
kill -TERM $agent
wait $agent
rc=$?
[ $rc = 0 ] || fail "agent exited $rc on SIGTERM: $(tail -n 5 "$TMP/agent.log")"
[ ! -e "$sock" ] || fail "socket left behind"
grep -q "stopping the agent" "$TMP/agent.log" || fail "no log line for the stop"
pass
