#!/bin/bash
# tank validate on a git-sync style tree: a "current" link into a hidden .worktrees
# directory, a .git directory, symlink loops, files that are not manifests. Each manifest
# is read once, through the visible link, and loops do not hang.
. "$(dirname "$0")/lib.sh"

root=$TMP/repo
mkdir -p "$root/.worktrees/rev1/team-a" "$root/.git/objects"
cp "$TANK_SRC/examples/pods/sleeper.yaml" "$root/.worktrees/rev1/team-a/"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: []}\n' \
    >"$root/.worktrees/rev1/team-a/broken.yaml"
printf 'garbage: [\n' >"$root/.git/objects/pack.yaml"
echo "# docs" >"$root/.worktrees/rev1/README.md"
ln -s .worktrees/rev1 "$root/current"
ln -s .. "$root/.worktrees/rev1/team-a/loop"   # a loop back up the tree
ln -s missing-target.yaml "$root/.worktrees/rev1/dangling.yaml"

out=$(timeout 20 "$TANK" validate "$root"); rc=$?
[ "$rc" = 1 ] || fail "exit $rc, expected 1: $out"
want="$root/current/dangling.yaml: cannot read: No such file or directory
$root/current/team-a/broken.yaml:4:20: spec.containers: at least one container is required"
[ "$out" = "$want" ] || fail "unexpected output:
$out
--- expected:
$want"

rm "$root/.worktrees/rev1/team-a/broken.yaml" "$root/.worktrees/rev1/dangling.yaml"
out=$(timeout 20 "$TANK" validate "$root") || fail "valid tree exited $?: $out"
[ -z "$out" ] || fail "valid tree printed: $out"

# The same pod name in two files: an error on the later path only.
mkdir -p "$root/.worktrees/rev1/team-b"
cp "$TANK_SRC/examples/pods/sleeper.yaml" "$root/.worktrees/rev1/team-b/copy.yaml"
out=$(timeout 20 "$TANK" validate "$root"); rc=$?
[ "$rc" = 1 ] || fail "duplicate: exit $rc"
[ "$out" = "$root/current/team-b/copy.yaml:6:9: metadata.name: pod name 'sleeper' is already defined in $root/current/team-a/sleeper.yaml:6" ] ||
    fail "duplicate: $out"
pass
