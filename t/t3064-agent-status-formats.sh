#!/bin/bash
# `tank status`: columns as wide as the longest name, the manifests' errors first and exit 0
# with them, -o wide / yaml / name, and -w redrawing on the agent's events (a long poll on
# GET /v1/events?after=N, no polling: nothing is redrawn while nothing happens).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
st() { "$TANK" status --config "$CFG" "$@"; }

("$TANK" status --config "$CFG" -w >"$TMP/watch" 2>&1; echo $? >"$TMP/watch.rc") &
w=$!
at_exit "pkill -P $w 2>/dev/null; wait $w 2>/dev/null"
wait_for 20 grep -q "no pods" "$TMP/watch"

long=a-pod-with-a-rather-long-name-for-the-columns
put "$long" Always "exec sleep 100$$"
put short Always "exec sleep 101$$"
wait_phase 60 "$long" Running
wait_phase 60 short Running
wait_for 20 sh -c "grep -q '^short .*Running' '$TMP/watch'"
# nothing happens: nothing is redrawn (the API answers "no change" every few seconds)
n=$(grep -c '^NAME' "$TMP/watch")
sleep 7
[ "$(grep -c '^NAME' "$TMP/watch")" = "$n" ] || fail "-w redrew without an event"
put_pod short policy=Always cmd="exec sleep 102$$" >/dev/null
wait_for 30 sh -c "[ \$(grep -c '^NAME' '$TMP/watch') -gt $n ]"
[ ! -e "$TMP/watch.rc" ] || fail "-w ended: $(cat "$TMP/watch")"
wait_for 60 sh -c "'$TANK' status --config '$CFG' | grep -q '^short .*1/1 .*Running'"

st >"$TMP/table" || fail "status exited $?"
head -n 1 "$TMP/table" | grep -q "^NAME  *READY  *STATUS  *RESTARTS  *AGE  *IP$" ||
    fail "header: $(head -n 1 "$TMP/table")"
col=$(head -n 1 "$TMP/table" | awk '{print index($0, "READY")}')
[ "$col" = $((${#long} + 4)) ] || fail "READY at column $col, not after the longest name: $(cat "$TMP/table")"
grep "^short " "$TMP/table" | awk -v c="$col" '{ if (substr($0, c, 3) != "1/1") exit 1 }' ||
    fail "rows not aligned with the header: $(cat "$TMP/table")"

[ "$(st -o name)" = "pod/$long
pod/short" ] || fail "-o name: $(st -o name)"
st -o wide | head -n 1 | grep -q "^NAME .*IPS  *IMAGE  *REVISION  *QOS$" || fail "-o wide: $(st -o wide)"
st -o wide | grep "^short " | grep -q "oci:" || fail "-o wide has no image: $(st -o wide)"
st -o yaml >"$TMP/yaml" || fail "-o yaml exited $?"
if python3 -c 'import yaml' 2>/dev/null; then
    # the same document apart from what changes between two reads (usage)
    python3 -c '
import json, sys, yaml
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ("usage",)}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
a = yaml.safe_load(open(sys.argv[1])); b = json.loads(sys.stdin.read())
sys.exit(strip(a) != strip(b))' \
        "$TMP/yaml" < <(st -o json) || fail "-o yaml is not -o json: $(cat "$TMP/yaml")"
fi
expect_exit 2 st -o xml

# an invalid manifest: listed first, exit 0
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n' >"$PODS/bad.yaml"
wait_for 20 sh -c "'$TANK' status --config '$CFG' | grep -q bad.yaml"
st >"$TMP/table" || fail "status with an invalid manifest exited $?"
[ "$(head -n 1 "$TMP/table")" = ERRORS ] || fail "errors not first: $(cat "$TMP/table")"
pass
