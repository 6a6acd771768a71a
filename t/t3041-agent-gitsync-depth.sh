#!/bin/bash
# git-sync's link anywhere on the way to pods_dir (pods_dir = repo/current/SUB, SUB at depth
# 0, 1 and 3 below the link): each swap (a new link renamed over the old one) converges at
# once, well under the resync period, and `revision` is the worktree's name. A pod whose
# manifest turns invalid keeps running the spec of the revision it came from, and says so;
# a revision without the pods directory keeps every pod running and is an error; an empty
# pods directory stops every pod. An agent started while the pods directory is gone stops
# nothing it adopts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
sed -i "s|^resync_seconds = .*|resync_seconds = 600|" "$CFG"
REPO=$TMP/repo
mkdir -p "$REPO/.worktrees"

# worktree REV SUB: an empty pods directory in a new worktree; PODS points at it.
worktree() { PODS=$REPO/.worktrees/$1${2:+/$2}; mkdir -p "$PODS"; }
# swap REV: as git-sync does, a new link beside the old one renamed over it.
swap() {
    ln -s ".worktrees/$1" "$REPO/.current.tmp" && mv -T "$REPO/.current.tmp" "$REPO/current"
    SWAPPED=$SECONDS
}
# converged SECONDS JQ: the status matches JQ within SECONDS of the swap.
converged() {
    wait_jq "$1" "$2"
    [ $((SECONDS - SWAPPED)) -le "$1" ] || fail "converged after $((SECONDS - SWAPPED))s"
}
# A manifest that does not validate.
put_invalid() { printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {containers: []}\n' "$1" >"$PODS/$1.yaml"; }

first=1
for sub in "" hosts "fleet/eu/hosts"; do
    depth=$(awk -F/ '{print NF}' <<<"$sub")
    rm -rf "$REPO/current" "$REPO/.worktrees"/*
    sed -i "s|^pods_dir = .*|pods_dir = $REPO/current${sub:+/$sub}|" "$CFG"
    worktree "a$depth" "$sub"
    put keep Always "exec sleep 100441"
    put old Always "exec sleep 100442"
    swap "a$depth"
    agent_start
    [ -n "$first" ] && skip_unless_containers_run && first=
    PODS=$REPO/current${sub:+/$sub}
    wait_phase 60 keep Running
    wait_phase 60 old Running
    [ "$(pods_json | jq -r .revision)" = "a$depth" ] || fail "depth $depth: revision $(pods_json | jq .revision)"
    [ "$(pod_jq keep .revision)" = "a$depth" ] || fail "depth $depth: keep's revision $(pod_jq keep .revision)"
    keep_pid=$(ctr_jq keep main .pid)
    old_pid=$(ctr_jq old main .pid)

    # The next revision: keep unchanged, old gone, new added; one read, one revision.
    lines=$(grep -c "pods directory changed" "$TMP/agent.log")
    worktree "b$depth" "$sub"
    put keep Always "exec sleep 100441"
    put new Always "exec sleep 100443"
    swap "b$depth"
    converged 10 ".revision == \"b$depth\" and ([.pods[].name] | sort) == [\"keep\", \"new\"] and ([.pods[] | select(.phase == \"Running\")] | length) == 2"
    [ "$(ctr_jq keep main .pid)" = "$keep_pid" ] || fail "depth $depth: an unchanged pod was restarted"
    kill -0 "$old_pid" 2>/dev/null && fail "depth $depth: the removed pod still runs"
    [ $(($(grep -c "pods directory changed" "$TMP/agent.log") - lines)) = 1 ] ||
        fail "depth $depth: the swap was not read as one revision: $(grep "pods directory changed" "$TMP/agent.log" | tail -n 3)"
    rm -rf "$REPO/.worktrees/a$depth"
    new_pid=$(ctr_jq new main .pid)

    # keep's manifest invalid in the next revision: it runs on b's spec and says so.
    worktree "c$depth" "$sub"
    put_invalid keep
    put new Always "exec sleep 100443"
    swap "c$depth"
    converged 10 ".revision == \"c$depth\" and (.errors | length) == 1"
    [ "$(pod_jq keep .revision)" = "b$depth" ] || fail "depth $depth: keep's revision $(pod_jq keep .revision)"
    [ "$(pod_jq new .revision)" = "c$depth" ] || fail "depth $depth: new's revision $(pod_jq new .revision)"
    [ "$(ctr_jq keep main .pid)" = "$keep_pid" ] || fail "depth $depth: the invalid manifest restarted keep"
    "$TANK" status --config "$CFG" keep | grep -q "^Revision: *b$depth (not the current revision c$depth" ||
        fail "depth $depth: no note in tank status keep: $("$TANK" status --config "$CFG" keep)"

    # A revision without the pods directory (a dangling link at depth 0): pods keep running.
    if [ -n "$sub" ]; then worktree "d$depth" ""; swap "d$depth"; else swap "d$depth"; fi
    converged 10 '.errors | map(.message) | any(test("does not exist"))'
    "$TANK" status --config "$CFG" | grep -q "does not exist" || fail "depth $depth: no error in tank status"
    sleep 0.5 # a pass or two
    [ "$(ctr_jq keep main .pid)" = "$keep_pid" ] && [ "$(ctr_jq new main .pid)" = "$new_pid" ] ||
        fail "depth $depth: pods were touched while the pods directory is gone: $(pods_json)"
    kill -0 "$keep_pid" && kill -0 "$new_pid" || fail "depth $depth: a pod stopped"

    # An existing but empty pods directory stops every pod.
    worktree "e$depth" "$sub"
    swap "e$depth"
    converged 30 ".revision == \"e$depth\" and (.pods | length) == 0 and (.errors | length) == 0"
    kill -0 "$keep_pid" 2>/dev/null && fail "depth $depth: keep still runs in an empty revision"
    agent_stop
done

# An agent that starts while the pods directory is gone adopts the running pods and stops
# none; once a revision has it again, they go on (same workload, no restart).
worktree f3 "$sub"
put keep Always "exec sleep 100441"
swap f3
agent_start
PODS=$REPO/current/$sub
wait_phase 60 keep Running
keep_pid=$(ctr_jq keep main .pid)
agent_kill9
worktree g3 ""
swap g3
agent_start
wait_jq 10 '.errors | map(.message) | any(test("does not exist"))'
sleep 1 # a pass or two
[ "$(pod_phase keep)" != Terminating ] && [ "$(ctr_jq keep main .state)" = running ] &&
    [ "$(ctr_jq keep main .pid)" = "$keep_pid" ] &&
    kill -0 "$keep_pid" || fail "an agent started without the pods directory stopped a pod: $(pods_json)"
worktree h3 "$sub"
put keep Always "exec sleep 100441"
swap h3
converged 10 '.revision == "h3" and (.errors | length) == 0 and ([.pods[] | select(.name == "keep" and .phase == "Running")] | length) == 1'
[ "$(ctr_jq keep main .pid)" = "$keep_pid" ] || fail "keep was restarted once the revision had it again"
pass
