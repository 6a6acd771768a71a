#!/bin/bash
# `tank diff FILE` compares with what the agent runs, as kubectl diff compares with the live
# object: the manifest document the running pod was started from (GET
# /v1/pods/NAME/manifest), not the pods directory's file. A pod whose file turned invalid
# keeps running its last valid spec, and diff shows that spec; a pod the agent does not run
# is all new; without an agent, pods_dir is compared instead, with a note on stderr.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
diff_() { "$TANK" diff --config "$CFG" "$@"; }

pod_yaml web Always "exec sleep 100661" >"$TMP/v1.yaml"
cp "$TMP/v1.yaml" "$PODS/.web.tmp" && mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_phase 60 web Running || fail "web not running"
# The API serves the document as written.
curl -fsS --unix-socket "$SOCK" http://tank/v1/pods/web/manifest >"$TMP/live" || fail "GET manifest"
cmp -s "$TMP/live" "$TMP/v1.yaml" || fail "manifest: $(cat "$TMP/live")"
diff_ "$TMP/v1.yaml" >"$TMP/out" 2>"$TMP/err" || fail "diff of the running spec: $(cat "$TMP/out" "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "output for an unchanged pod: $(cat "$TMP/out")"

# The file in pods_dir turns invalid (and changes the command): the pod keeps running v1,
# so a diff of v1 shows nothing although pods_dir holds something else.
{ pod_yaml web Always "exec sleep 100662"; echo "  noSuchField: 1"; } >"$PODS/.web.tmp"
mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_jq 30 '.errors | length == 1' || fail "the invalid file is not reported"
[ "$(pod_phase web)" = Running ] || fail "web stopped"
diff_ "$TMP/v1.yaml" >"$TMP/out" 2>"$TMP/err" || fail "diff against the running spec: $(cat "$TMP/out" "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "compared with pods_dir, not the running spec: $(cat "$TMP/out")"
pod_yaml web Always "exec sleep 100663" >"$TMP/v3.yaml"
diff_ "$TMP/v3.yaml" >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] || fail "diff of a changed pod did not exit 1: $(cat "$TMP/out" "$TMP/err")"
grep -qx -- "--- pod/web $PODS/web.yaml (running)" "$TMP/out" || fail "header: $(cat "$TMP/out")"
grep -qx -- "+++ pod/web $TMP/v3.yaml" "$TMP/out" || fail "header: $(cat "$TMP/out")"
grep -qx -- '-    command: \["sh", "-c", "exec sleep 100661"\]' "$TMP/out" || fail "diff: $(cat "$TMP/out")"
grep -qx -- '+    command: \["sh", "-c", "exec sleep 100663"\]' "$TMP/out" || fail "diff: $(cat "$TMP/out")"
grep -q "100662\|noSuchField" "$TMP/out" && fail "the pods_dir file was compared: $(cat "$TMP/out")"

# A pod the agent does not run: all new.
pod_yaml other Always "exec sleep 100664" >"$TMP/other.yaml"
diff_ "$TMP/other.yaml" >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] || fail "diff of a new pod did not exit 1"
grep -qx -- "--- pod/other (not running)" "$TMP/out" || fail "new pod header: $(cat "$TMP/out")"
[ "$(grep -v '^---' "$TMP/out" | grep -c '^-')" = 0 ] && grep -qx "+kind: Pod" "$TMP/out" ||
    fail "new pod: $(cat "$TMP/out")"
curl -sS --unix-socket "$SOCK" http://tank/v1/pods/other/manifest | jq -e '.error == "pod '"'other'"': not found"' >/dev/null ||
    fail "404: $(curl -sS --unix-socket "$SOCK" http://tank/v1/pods/other/manifest)"

# No agent: the pods directory, with a note (the agent is started again to clean up).
pod_yaml web Always "exec sleep 100662" >"$TMP/v2.yaml"
cp "$TMP/v2.yaml" "$PODS/.web.tmp" && mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_jq 30 '.errors | length == 0' || fail "the valid file is not read"
agent_stop
diff_ "$TMP/v3.yaml" >"$TMP/out" 2>"$TMP/err"
[ $? = 1 ] || fail "agentless diff exit: $(cat "$TMP/out" "$TMP/err")"
grep -q "no agent is listening on $SOCK" "$TMP/err" || fail "stderr: $(cat "$TMP/err")"
grep -qx "tank diff: comparing with the pods directory instead" "$TMP/err" || fail "stderr: $(cat "$TMP/err")"
grep -qx -- "--- pod/web $PODS/web.yaml" "$TMP/out" || fail "agentless header: $(cat "$TMP/out")"
grep -qx -- '-    command: \["sh", "-c", "exec sleep 100662"\]' "$TMP/out" || fail "agentless diff: $(cat "$TMP/out")"
agent_start
pass
