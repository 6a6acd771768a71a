#!/bin/bash
# SIGKILL of the agent at random points of pulls and pod starts, KILL_LOOPS times (default
# 4; docs/RELIABILITY.md runs 50). Each round adds a pod whose image is new (so the agent
# must pull it) and changes another pod (so it must replace it), kills the agent 0-1.5 s
# later and starts a new one. After every restart: the pods converge (each Running, one
# process each, none restarted twice), every stored image unpacks, and at the end, once
# the manifests are gone, nothing is left: no process, mount, pod directory or temp dir.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds python3
agent_setup
agent_start
skip_unless_containers_run
rm -f "$PODS/probe.yaml"
wait_gone 30 probe
LOOPS=${KILL_LOOPS:-4}
T=$TANK_SRC/t
U=$((300000 + $$ % 100000)) # sleep lengths unique to this run

# the busybox layer as a tar, to build one new image per round on top of it
blob=$(python3 -c 'import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]
print(json.load(open(d+"/blobs/sha256/"+i))["layers"][0]["digest"][7:])' "$IMAGE_DIR")
gzip -dc "$IMAGE_DIR/blobs/sha256/$blob" >"$TMP/base.tar" || fail "base layer"

# pod_with NAME IMAGE SECONDS: a pod running sleep SECONDS from IMAGE
pod_with() {
    pod_yaml "$1" Always "exec sleep $3" | sed "s|image: .*|image: $2|" >"$PODS/.$1.tmp" &&
        mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
count() { pgrep -xc -f "sleep $1" || true; }

pod_with keep "$IMAGE" $U
wait_phase 60 keep Running
keep_pid=$(ctr_jq keep main .pid)
for i in $(seq "$LOOPS"); do
    printf 'round %s\n' "$i" >"$TMP/round"
    tar -C "$TMP" -cf "$TMP/r$i.tar" round
    "$T/mklayout.py" "$TMP/img" "r$i" --cmd '["sh"]' "$TMP/base.tar" "$TMP/r$i.tar" >/dev/null ||
        fail "mklayout round $i"
    pod_with "new$i" "oci:$TMP/img:r$i" $((U + i))            # a pull, then a start
    pod_with edit "$IMAGE" $((U + 1000 + i))                     # a replacement
    sleep "0.$((RANDOM % 15))"
    agent_kill9
    agent_start
    wait_phase 90 "new$i" Running
    wait_phase 60 edit Running
    wait_for 30 sh -c "[ \"\$(pgrep -xc -f 'sleep $((U + 1000 + i))')\" = 1 ]"
    for j in $(seq "$i"); do
        [ "$(count $((U + j)))" = 1 ] || fail "round $i: new$j runs $(count $((U + j))) times"
    done
    [ "$(count $((U + 1000 + i - 1)))" = 0 ] || fail "round $i: the old edit still runs"
    [ "$(ctr_jq keep main .pid)" = "$keep_pid" ] || fail "round $i: keep was restarted"
    [ "$(count $U)" = 1 ] || fail "round $i: keep runs $(count $U) times"
    "$TANK" --config "$CFG" unpack "oci:$TMP/img:r$i" "$TMP/u" >/dev/null 2>&1 ||
        fail "round $i: the stored image does not unpack"
    [ "$(cat "$TMP/u/round")" = "round $i" ] || fail "round $i: wrong image content"
    rm -rf "$TMP/u"
    echo "round $i: converged"
done
fds_before=$(ls /proc/"$AGENT_PID"/fd | wc -l)

# everything goes: then nothing of the pods remains
rm -f "$PODS"/*.yaml
for i in $(seq "$LOOPS"); do wait_gone 60 "new$i"; done
wait_gone 60 keep
wait_gone 60 edit
fds_after=$(ls /proc/"$AGENT_PID"/fd | wc -l)
echo "agent fds with $((LOOPS + 2)) pods: $fds_before, with none: $fds_after"
[ "$fds_after" -le "$fds_before" ] || fail "agent fds grew: $fds_before -> $fds_after"
left=$(pgrep -af "sleep $U|sleep $((U + 1))[0-9]*" | grep -v pgrep)
[ -z "$left" ] || fail "processes left: $left"
mnts=$(grep -c " $TMP/" /proc/self/mountinfo)
[ "$mnts" = 0 ] || fail "mounts left: $(grep " $TMP/" /proc/self/mountinfo)"
[ -z "$(ls -A "$TMP/run/pods" 2>/dev/null)" ] || fail "pod run dirs left: $(ls "$TMP/run/pods")"
[ -z "$(ls -A "$TMP/state/images/tmp" 2>/dev/null)" ] || fail "image temp dirs left: $(ls "$TMP/state/images/tmp")"
[ -z "$(agent_pod_cgroups)" ] || fail "cgroups left: $(agent_pod_cgroups)"
kill -0 "$AGENT_PID" || fail "the agent died"
pass
