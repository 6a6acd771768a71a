#!/bin/bash
# The built-in git sync ([sync]) against real repositories: a bare repo on the local file
# system, then the same repo through `git daemon` on 127.0.0.1 (inside the agent's network
# namespace). First clone, new commits (tank sync returns once published, with the commit),
# git-sync v4's layout (ROOT/.worktrees/COMMIT, ROOT/current a link), old worktrees removed,
# git gc --auto run,
# a force-push, a bad ref, an unreachable remote (the last revision keeps running, the error
# in the status, retried with back-off), a revision without this host's folder (pods keep
# running, error shown), concurrent `tank sync` calls, %H in pods_dir.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
command -v git >/dev/null || skip "git is not installed"
agent_setup
H=$(uname -n)
ORIGIN=$TMP/origin.git
WORK=$TMP/work
ROOT=$TMP/repo
git init -q --bare -b main "$ORIGIN"
git init -q -b main "$WORK"
g() { git -C "$WORK" -c user.name=t -c user.email=t@example.com "$@"; }
# pod NAME COMMAND: a manifest in this host's folder of the work tree.
pod() { mkdir -p "$WORK/hosts/$H"; pod_yaml "$1" Always "$2" >"$WORK/hosts/$H/$1.yaml"; }
# commit MSG: commit everything, push, print the commit.
commit() { g add -A && g commit -q -m "$1" && g push -q ${FORCE:+--force} "$ORIGIN" main && g rev-parse HEAD; }
sync_conf() {
    sed -i '/^\[sync\]/,$d' "$CFG"
    printf '[sync]\nrepo = %s\nref = main\nperiod = 600s\nroot = %s\ntimeout = 10s\n' "$1" "$ROOT" >>"$CFG"
}
sed -i "s|^pods_dir = .*|pods_dir = $ROOT/current/hosts/%H|" "$CFG"
sync_conf "$ORIGIN"
sync_jq() { pods_json | jq -r ".sync | $1"; }

# ROOT made beforehand, so that each fetch keeps a pack and two packs are one too many for
# git gc --auto: the agent's gc shows as the packs merged into one.
git init -q "$ROOT" && git -C "$ROOT" config fetch.unpackLimit 1 && git -C "$ROOT" config gc.autoPackLimit 1
packs() { ls "$ROOT"/.git/objects/pack/*.pack 2>/dev/null | wc -l; }
# First clone: the agent's first pass publishes the commit, the pod runs.
pod a "exec sleep 104301"
mkdir -p "$WORK/hosts/other-host" && pod_yaml z Always "exec sleep 104309" >"$WORK/hosts/other-host/z.yaml"
c1=$(commit one)
agent_start
wait_for 20 sh -c "[ \"\$(readlink '$ROOT/current')\" = .worktrees/$c1 ]" ||
    fail "the first clone was not published: $(readlink "$ROOT/current"); $(tail -n 5 "$TMP/agent.log")"
[ -f "$ROOT/.worktrees/$c1/hosts/$H/a.yaml" ] || fail "no worktree of $c1"
PODS=$ROOT/current/hosts/$H
skip_unless_containers_run
wait_phase 60 a Running
[ "$(sync_jq .revision)" = "$c1" ] || fail "sync revision: $(pods_json | jq -c .sync)"
[ "$(pods_json | jq -r .revision)" = "$c1" ] || fail "store revision: $(pods_json | jq .revision)"
[ "$(pods_json | jq -c '.sync | [.repo, .ref, .error, (.lastSync != null), (.lastAttempt != null)]')" = "[\"$ORIGIN\",\"main\",null,true,true]" ] ||
    fail "sync status: $(pods_json | jq -c .sync)"
pods_json | jq -e '[.pods[].name] == ["a"]' >/dev/null || fail "z is not this host's: $(pods_json | jq -c '[.pods[].name]')"
"$TANK" status --config "$CFG" | head -n 1 | grep -q "^Sync: $ORIGIN (main) at $c1, last sync " ||
    fail "no sync line in tank status: $("$TANK" status --config "$CFG" | head -n 2)"
a_pid=$(ctr_jq a main .pid)
m=$(curl -fsS --unix-socket "$SOCK" http://tank/metrics)
grep -qxF "tank_revision_info{revision=\"$c1\"} 1" <<<"$m" && grep -qx "tank_sync_failures_total 0" <<<"$m" &&
    grep -q "^tank_sync_last_success_timestamp_seconds [1-9]" <<<"$m" || fail "sync metrics: $m"
if command -v promtool >/dev/null; then # the sync's families too (t3045 checks the rest)
    out=$(promtool check metrics <<<"$m" 2>&1) || fail "promtool check metrics: $out"
fi

# A new commit: tank sync returns once it is published, with the commit.
pod b "exec sleep 104302"
c2=$(commit two)
out=$("$TANK" sync --config "$CFG") || fail "tank sync: $out"
[ "$out" = "synced $c2" ] || fail "tank sync printed '$out', not the commit $c2"
[ "$(readlink "$ROOT/current")" = ".worktrees/$c2" ] || fail "not published when tank sync returned"
wait_jq 10 '([.pods[] | select(.phase == "Running")] | length) == 2'
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "an unchanged pod was restarted"
# The old worktree goes once nothing reads it (after the next pass has published).
"$TANK" sync --config "$CFG" >/dev/null || fail "tank sync (no change) failed"
wait_for 10 test ! -e "$ROOT/.worktrees/$c1" ||
    fail "the unused worktree of $c1 was kept: $(ls "$ROOT/.worktrees")"
[ -e "$ROOT/.worktrees/$c2" ] || fail "the published worktree is gone"
# git gc --auto ran: the packs of the two fetches are one.
wait_for 10 sh -c "[ \$(ls '$ROOT'/.git/objects/pack/ | grep -c '\.pack\$') = 1 ]" ||
    fail "git gc --auto did not run: $(packs) packs"

# A force-push replacing the history: the new commit is published, b goes.
g reset -q --hard "$c1"
pod a "exec sleep 104301"
echo x >"$WORK/README"
c3=$(FORCE=1 commit forced)
out=$("$TANK" sync --config "$CFG") || fail "tank sync after a force-push: $out"
[ "$out" = "synced $c3" ] || fail "after the force-push: '$out', not $c3"
wait_jq 10 '[.pods[].name] == ["a"]'

# Concurrent tank sync calls: every one returns the new commit.
pod c "exec sleep 104303"
c4=$(commit four)
pids=
for i in 1 2 3 4 5; do "$TANK" sync --config "$CFG" >"$TMP/sync.$i" 2>&1 & pids="$pids $!"; done
wait_ok=0
for p in $pids; do wait "$p" || wait_ok=1; done
[ $wait_ok = 0 ] || fail "a concurrent tank sync failed: $(cat "$TMP"/sync.*)"
for i in 1 2 3 4 5; do [ "$(cat "$TMP/sync.$i")" = "synced $c4" ] || fail "concurrent sync $i: $(cat "$TMP/sync.$i")"; done
wait_jq 10 '([.pods[] | select(.phase == "Running")] | length) == 2'
a_pid=$(ctr_jq a main .pid)

# A bad ref (the branch deleted): the error shows, the revision and its pods stay.
git -C "$ORIGIN" update-ref -d refs/heads/main
out=$("$TANK" sync --config "$CFG" 2>&1) && fail "tank sync succeeded with the branch gone: $out"
case $out in *"main"*) ;; *) fail "tank sync's error does not name the ref: $out" ;; esac
[ "$(sync_jq .revision)" = "$c4" ] || fail "the revision changed: $(pods_json | jq -c .sync)"
sync_jq .error | grep -q "couldn't find remote ref" || fail "no error in the status: $(pods_json | jq -c .sync)"
"$TANK" status --config "$CFG" | head -n 1 | grep -q "failed at .*couldn't find remote ref" ||
    fail "no error in tank status: $("$TANK" status --config "$CFG" | head -n 1)"
grep -q "sync: .*retrying in 2s" "$TMP/agent.log" || fail "no retry logged: $(grep sync: "$TMP/agent.log" | tail -n 3)"
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "a failed sync restarted a pod"
curl -fsS --unix-socket "$SOCK" http://tank/metrics | grep -q "^tank_sync_failures_total [1-9]" ||
    fail "the failure is not counted"
git -C "$ORIGIN" update-ref refs/heads/main "$c4"
# Retried with back-off (2s, then 4s): back without anyone asking.
wait_jq 15 '.sync.error == null' || fail "the sync did not recover by itself: $(pods_json | jq -c .sync)"

# A revision without this host's folder: published, pods keep running, the error shows.
g rm -q -r "hosts/$H"
c5=$(commit gone)
out=$("$TANK" sync --config "$CFG") || fail "tank sync: $out"
[ "$out" = "synced $c5" ] || fail "'$out', not $c5"
wait_jq 10 '.errors | map(.message) | any(test("does not exist"))'
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "pods stopped when this host's folder went"
g revert --no-edit HEAD >/dev/null && c6=$(g rev-parse HEAD) && g push -q "$ORIGIN" main
"$TANK" sync --config "$CFG" >/dev/null || fail "tank sync (folder back) failed"
wait_jq 10 '(.errors | length) == 0 and ([.pods[] | select(.phase == "Running")] | length) == 2'
agent_stop

# The network path: the same repo through git daemon on 127.0.0.1 in the agent's namespace.
NS=tank-t3043-$$
ip netns add $NS || skip "cannot create a network namespace"
at_exit "ip netns del $NS"
ip -n $NS link set lo up
AGENT_NETNS=/run/netns/$NS
PORT=$(free_port)
daemon() {
    ip netns exec $NS git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --export-all \
        --base-path="$TMP" "$TMP" 2>>"$TMP/daemon.log" &
    DAEMON=$!
    wait_for 10 ip netns exec $NS git ls-remote "git://127.0.0.1:$PORT/origin.git" >/dev/null
}
at_exit 'kill $DAEMON 2>/dev/null'
daemon
sync_conf "git://127.0.0.1:$PORT/origin.git"
agent_start
# The revision published before is adopted; the pods are running still.
[ "$(sync_jq .revision)" = "$c6" ] || fail "the published revision was not adopted: $(pods_json | jq -c .sync)"
wait_jq 20 '.sync.lastSync != null and .sync.error == null'
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "the agent's restart restarted a pod"
pod d "exec sleep 104304"
c7=$(commit seven)
out=$("$TANK" sync --config "$CFG") || fail "tank sync over git://: $out"
[ "$out" = "synced $c7" ] || fail "over git://: '$out', not $c7"
wait_jq 10 '([.pods[] | select(.phase == "Running")] | length) == 3'
# The remote unreachable: the error shows, pods keep running; back when the daemon is.
kill $DAEMON && wait $DAEMON 2>/dev/null
out=$("$TANK" sync --config "$CFG" 2>&1) && fail "tank sync succeeded without the daemon: $out"
sync_jq .error | grep -qi "unable to connect\|connection refused" || fail "no connection error: $(pods_json | jq -c .sync)"
[ "$(sync_jq .revision)" = "$c7" ] || fail "the revision changed: $(pods_json | jq -c .sync)"
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "an unreachable remote restarted a pod"
daemon
wait_jq 15 '.sync.error == null' || fail "no recovery after the remote came back: $(pods_json | jq -c .sync)"
pass
