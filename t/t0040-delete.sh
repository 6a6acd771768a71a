#!/bin/bash
# `tank delete POD...` edits pods_dir only (no agent needed): a file holding only the pod
# is removed; a pod in a multi-document file has its document cut out atomically, the rest
# of the file byte for byte; a pods_dir published by git-sync is refused with the reason.
. "$(dirname "$0")/lib.sh"
. "$TANK_SRC/t/pod-yaml.sh"
IMAGE=busybox
PODS=$TMP/pods
mkdir -p "$PODS"
printf '[agent]\npods_dir = %s\nstate_dir = %s/state\n' "$PODS" "$TMP" >"$TMP/tank.ini"
pod_manifest alone cmd="sleep 1" >"$PODS/alone.yaml"
{
    echo "# three pods and a ConfigMap"
    pod_manifest first cmd="sleep 1"
    echo "---"
    pod_manifest middle cmd="sleep 2"
    echo "--- # the last pod"
    pod_manifest last cmd="sleep 3"
    printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: v\n'
} >"$PODS/multi.yaml"
cp "$PODS/multi.yaml" "$TMP/multi.orig"

[ "$(tank delete alone)" = "pod 'alone' deleted ($PODS/alone.yaml removed)" ] || fail "delete alone"
[ ! -e "$PODS/alone.yaml" ] || fail "alone.yaml still there"

[ "$(tank delete middle)" = "pod 'middle' deleted (from $PODS/multi.yaml)" ] || fail "delete middle"
{
    echo "# three pods and a ConfigMap"
    pod_manifest first cmd="sleep 1"
    echo "--- # the last pod"
    pod_manifest last cmd="sleep 3"
    printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: v\n'
} >"$TMP/want"
cmp "$PODS/multi.yaml" "$TMP/want" || fail "not byte for byte: $(diff "$TMP/want" "$PODS/multi.yaml")"
[ "$(stat -c %a "$PODS/multi.yaml")" = 600 ] || fail "mode $(stat -c %a "$PODS/multi.yaml")"

tank delete first last >/dev/null || fail "delete first last"
printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: v\n' >"$TMP/want"
cmp "$PODS/multi.yaml" "$TMP/want" || fail "the ConfigMap was not kept: $(cat "$PODS/multi.yaml")"
"$TANK" validate "$PODS/multi.yaml" >/dev/null || fail "what remains is not valid"

tank delete nosuch >"$TMP/out" 2>"$TMP/err" && fail "a missing pod was deleted"
[ "$(cat "$TMP/err")" = "tank delete: pod 'nosuch' not found in '$PODS'" ] || fail "$(cat "$TMP/err")"
expect_exit 2 tank delete
[ "$(tank delete --help | head -n 1)" = "usage: tank delete POD..." ] || fail "--help"

# pods_dir as git-sync publishes it: a link into a revision directory under .worktrees
mkdir -p "$TMP/sync/.worktrees/abc123"
pod_manifest synced cmd="sleep 1" >"$TMP/sync/.worktrees/abc123/synced.yaml"
ln -s .worktrees/abc123 "$TMP/sync/current"
printf '[agent]\npods_dir = %s\nstate_dir = %s/state\n' "$TMP/sync/current" "$TMP" >"$TMP/tank.ini"
tank delete synced >"$TMP/out" 2>"$TMP/err" && fail "deleted from a synced pods_dir"
[ "$(cat "$TMP/err")" = "tank delete: pods_dir is published by git: remove the pod from the repository" ] ||
    fail "unexpected: $(cat "$TMP/err")"
[ -e "$TMP/sync/.worktrees/abc123/synced.yaml" ] || fail "the synced file was removed"
# the built-in sync: [sync] repo set
printf '[agent]\npods_dir = %s\nstate_dir = %s/state\n[sync]\nrepo = %s/repo.git\n' "$PODS" "$TMP" \
    "$TMP" >"$TMP/tank.ini"
pod_manifest again cmd="sleep 1" >"$PODS/again.yaml"
tank delete again >"$TMP/out" 2>"$TMP/err" && fail "deleted with [sync] repo set"
[ "$(cat "$TMP/err")" = "tank delete: pods_dir is published by git: remove the pod from the repository" ] ||
    fail "unexpected: $(cat "$TMP/err")"
pass
