#!/bin/bash
# tank validate: the examples are valid; a directory of broken manifests gives one
# FILE:LINE:COL line per error on stdout and exit 1; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

out=$("$TANK" validate "$TANK_SRC/examples/pods") || fail "examples/pods invalid ($?): $out"
[ -z "$out" ] || fail "valid manifests printed: $out"
"$TANK" validate "$TANK_SRC"/examples/pods/*.yaml >/dev/null || fail "example files invalid"

"$TANK" validate --help | grep -q "usage: tank validate" || fail "no usage in --help"
expect_exit 2 "$TANK" validate
expect_exit 2 "$TANK" validate --bogus "$TANK_SRC/examples/pods"

bad=$TMP/bad
mkdir -p "$bad/sub" "$bad/.git"
cat >"$bad/a-web.yaml" <<'EOM'
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: busybox:1.36
      volumeDevices: []
EOM
cat >"$bad/b-two.yaml" <<'EOM'
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  restartPolicy: Sometimes
  containers:
    - name: App
      image: busybox:1.36
---
apiVersion: v1
kind: Pod
metadata:
  name: fine
spec:
  containers: [{name: app, image: busybox:1.36}]
EOM
cat >"$bad/sub/c-dup.yml" <<'EOM'
apiVersion: v1
kind: Pod
metadata:
  name: fine
spec:
  containers: [{name: app, image: busybox:1.36}]
EOM
printf 'kind: Pod\napiVersion: v1\nmetadata: {name: x}\nspec: {containers: [ {name: a}\n' \
    >"$bad/d-broken.yaml"
printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {}}\n' \
    >"$bad/e.json"
printf 'this is not a manifest\n' >"$bad/notes.txt"
printf 'garbage: [\n' >"$bad/.git/hidden.yaml"

out=$("$TANK" validate "$bad" 2>"$TMP/err"); rc=$?
[ "$rc" = 1 ] || fail "broken manifests exited $rc, expected 1"
[ ! -s "$TMP/err" ] || fail "errors went to stderr: $(cat "$TMP/err")"
want="$bad/a-web.yaml:9:7: spec.containers[0].volumeDevices: not supported
$bad/b-two.yaml:6:18: spec.restartPolicy: 'Sometimes' is not one of Always, OnFailure or Never
$bad/b-two.yaml:8:13: spec.containers[0].name: 'App' is not a valid container name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)
$bad/d-broken.yaml:5:1: not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 4)
$bad/e.json:1:72: spec.containers: at least one container is required
$bad/sub/c-dup.yml:4:9: metadata.name: pod name 'fine' is already defined in $bad/b-two.yaml:14"
[ "$out" = "$want" ] || fail "unexpected output:
$out
--- expected:
$want"

# A single file and a missing path: the findings on stdout, the path that cannot be read
# on stderr (an error of the command, not a finding about a manifest).
out=$("$TANK" validate "$bad/a-web.yaml" "$TMP/missing.yaml" 2>"$TMP/err"); rc=$?
[ "$rc" = 1 ] || fail "exit $rc"
grep -q "^$bad/a-web.yaml:" <<<"$out" || fail "no finding for a-web.yaml: $out"
grep -q missing <<<"$out" && fail "the missing path is reported on stdout: $out"
[ "$(cat "$TMP/err")" = "tank validate: cannot read '$TMP/missing.yaml': No such file or directory" ] ||
    fail "missing path, stderr: $(cat "$TMP/err")"
# A missing path alone: exit 1, nothing on stdout.
out=$("$TANK" validate "$TMP/missing.yaml" 2>/dev/null); rc=$?
[ "$rc" = 1 ] && [ -z "$out" ] || fail "missing path alone: exit $rc, stdout '$out'"
pass
