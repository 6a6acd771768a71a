#!/bin/bash
# git-sync publishes a revision as a new worktree directory and an atomic rename of a
# symlink over the old one: the agent converges to the new tree as one revision and shows
# the revision (the directory's name) in its status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
rmdir "$PODS"
mkdir -p "$TMP/git/.worktrees/aaaa111" "$TMP/git/.worktrees/bbbb222"
ln -s .worktrees/aaaa111 "$TMP/git/current"
sed -i "s|^pods_dir = .*|pods_dir = $TMP/git/current|" "$CFG"
PODS=$TMP/git/.worktrees/aaaa111
put keep Always "exec sleep 100341"
put old Always "exec sleep 100342"
agent_start
PODS=$TMP/git/current
skip_unless_containers_run
wait_phase 60 keep Running
wait_phase 60 old Running
[ "$(pods_json | jq -r .revision)" = aaaa111 ] || fail "revision: $(pods_json | jq .revision)"
keep_pid=$(ctr_jq keep main .pid)
old_pid=$(ctr_jq old main .pid)

# The new revision: keep unchanged, old removed, new added.
PODS=$TMP/git/.worktrees/bbbb222
put keep Always "exec sleep 100341"
put new Always "exec sleep 100343"
ln -s .worktrees/bbbb222 "$TMP/git/current.new"
mv -T "$TMP/git/current.new" "$TMP/git/current"
PODS=$TMP/git/current
wait_jq 60 '.revision == "bbbb222" and ([.pods[].name] | sort) == ["keep", "new"] and ([.pods[] | select(.phase == "Running")] | length) == 2'
[ "$(ctr_jq keep main .pid)" = "$keep_pid" ] || fail "an unchanged pod was restarted by the swap"
kill -0 "$old_pid" 2>/dev/null && fail "the removed pod's workload still runs"
"$TANK" status --config "$CFG" | grep -q "revision: bbbb222" || fail "table shows no revision"
rm -rf "$TMP/git/.worktrees/aaaa111"
pass
