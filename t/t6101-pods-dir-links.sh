#!/bin/bash
# A pods directory holding links to /sys and /proc, a link to a file outside it and a FIFO
# named like a manifest: the tree walk skips each with a warning naming it (tank validate
# prints "FILE: warning: ...", the agent logs it), finishes at once, and the agent keeps
# answering. A git-sync style tree (pods_dir itself a link, a "current" link inside) is
# still read through its links. Before, the walk followed /sys for ever.
. "$(dirname "$0")/lib.sh"
need_cmds curl jq mkfifo

repo=$TMP/repo
mkdir -p "$repo/.worktrees/rev1/team-a" "$TMP/state" "$TMP/run" "$TMP/log"
ln -s repo "$TMP/pods"
ln -s .worktrees/rev1 "$repo/current"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: []}\n' \
    >"$repo/.worktrees/rev1/team-a/broken.yaml"
ln -s /sys "$repo/sys"
ln -s /proc "$repo/proc"
echo "not: a manifest" >"$TMP/outside.yaml"
ln -s "$TMP/outside.yaml" "$repo/outside.yaml"
mkfifo "$repo/x.yaml"
pods=$TMP/pods

# validate: finishes quickly, warnings on stdout, the exit status from the errors only.
t0=$SECONDS
out=$(timeout 30 "$TANK" validate "$pods"); rc=$?
[ "$rc" != 124 ] || fail "tank validate did not finish within 30 s"
echo "# tank validate took $((SECONDS - t0)) s"
[ $((SECONDS - t0)) -le 5 ] || fail "tank validate took $((SECONDS - t0)) s"
[ "$rc" = 1 ] || fail "exit $rc, expected 1 (broken.yaml): $out"
want="$pods/outside.yaml: warning: symbolic link to '$TMP/outside.yaml' leads outside '$repo': skipped
$pods/proc: warning: symbolic link to '/proc' leads outside '$repo': skipped
$pods/sys: warning: symbolic link to '/sys' leads outside '$repo': skipped
$pods/x.yaml: warning: not a regular file (a FIFO, socket or device): skipped
$pods/current/team-a/broken.yaml:4:20: spec.containers: at least one container is required"
[ "$out" = "$want" ] || fail "unexpected output:
$out
--- expected:
$want"
mv "$repo/.worktrees/rev1/team-a/broken.yaml" "$TMP/broken.yaml"
out=$(timeout 30 "$TANK" validate "$pods"); rc=$?
[ "$rc" = 0 ] || fail "warnings only: exit $rc: $out"
[ "$(grep -c ': warning: ' <<<"$out")" = 4 ] || fail "warnings only: $out"
mv "$TMP/broken.yaml" "$repo/.worktrees/rev1/team-a/broken.yaml"

# The agent on that tree: it answers within 1 s, the error comes through the "current"
# link, the skipped entries are in its log.
sock=$TMP/tank.sock
cat >"$TMP/tank.ini" <<EOC
[agent]
pods_dir = $pods
state_dir = $TMP/state
run_dir = $TMP/run
log_dir = $TMP/log
socket = $sock
EOC
"$TANK" agent --config "$TMP/tank.ini" 2>"$TMP/agent.log" &
agent=$!
at_exit "kill -9 $agent 2>/dev/null; wait $agent 2>/dev/null" # no pods: nothing to stop
wait_for 20 curl -fsS --unix-socket "$sock" http://tank/healthz
for i in 1 2 3; do
    t0=$(date +%s%N)
    json=$(timeout 20 "$TANK" status --config "$TMP/tank.ini" -o json) ||
        fail "tank status did not answer"
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "# tank status answered in $ms ms"
    [ "$ms" -lt 1000 ] || fail "tank status took $ms ms"
    # A change in the tree makes the agent walk it again meanwhile.
    touch "$repo/.worktrees/rev1/team-a/new-$i.yaml"
    sleep 0.5
done
jq -e --arg f "$pods/current/team-a/broken.yaml" 'any(.errors[]; .file == $f)' <<<"$json" \
    >/dev/null || fail "broken.yaml not read through the links: $json"
for f in sys proc x.yaml outside.yaml; do
    grep -q "warn.*$pods/$f: " "$TMP/agent.log" || fail "no warning for $f: $(cat "$TMP/agent.log")"
done
kill -0 "$agent" || fail "the agent died"
pass
