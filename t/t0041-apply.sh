#!/bin/bash
# `tank apply FILE|DIR|-` (no agent needed): everything validated first; each pod written as
# pods_dir/NAME.yaml (one per file, its document only), a pod that already lives in another
# file updated there in place (the rest of that file kept), unchanged ones said so;
# --dry-run writes nothing; a synced pods_dir is refused. `tank diff FILE` shows a unified
# diff against what pods_dir holds, exit 1 when they differ.
. "$(dirname "$0")/lib.sh"
. "$TANK_SRC/t/pod-yaml.sh"
IMAGE=busybox
PODS=$TMP/pods
printf '[agent]\npods_dir = %s\nstate_dir = %s/state\n' "$PODS" "$TMP" >"$TMP/tank.ini"
{
    pod_manifest one cmd="sleep 1"
    echo "---"
    pod_manifest two cmd="sleep 2"
    printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  k: v\n'
} >"$TMP/both.yaml"

tank apply --dry-run "$TMP/both.yaml" >"$TMP/out" || fail "dry run failed"
[ "$(cat "$TMP/out")" = "pod/one created (dry run): $PODS/one.yaml
pod/two created (dry run): $PODS/two.yaml
configmap/cfg created (dry run): $PODS/cfg.configmap.yaml" ] || fail "dry run: $(cat "$TMP/out")"
[ ! -e "$PODS" ] || fail "--dry-run wrote: $(ls -A "$PODS")"

tank apply "$TMP/both.yaml" >"$TMP/out" || fail "apply failed"
[ "$(cat "$TMP/out")" = "pod/one created: $PODS/one.yaml
pod/two created: $PODS/two.yaml
configmap/cfg created: $PODS/cfg.configmap.yaml" ] || fail "apply: $(cat "$TMP/out")"
cmp -s "$PODS/one.yaml" <(pod_manifest one cmd="sleep 1") || fail "one.yaml: $(cat "$PODS/one.yaml")"
cmp -s "$PODS/two.yaml" <(pod_manifest two cmd="sleep 2") || fail "two.yaml: $(cat "$PODS/two.yaml")"
[ "$(stat -c %a "$PODS/two.yaml")" = 600 ] || fail "mode"
[ "$(tank apply "$TMP/both.yaml" | head -n 1)" = "pod/one unchanged: $PODS/one.yaml" ] || fail "unchanged"

# a pod that lives in another file (several pods in one) is updated there, in place
rm "$PODS"/*.yaml
{ echo "# hand-written"; pod_manifest one cmd="sleep 1"; echo "---"; pod_manifest two cmd="sleep 2"; } >"$PODS/all.yaml"
pod_manifest two cmd="sleep 22" >"$TMP/two.yaml"
[ "$(pod_manifest two cmd="sleep 22" | tank apply -)" = "pod/two configured: $PODS/all.yaml (in place)" ] ||
    fail "in place: $(pod_manifest two cmd="sleep 22" | tank apply - 2>&1)"
cmp -s "$PODS/all.yaml" <({ echo "# hand-written"; pod_manifest one cmd="sleep 1"; echo "---"; pod_manifest two cmd="sleep 22"; }) ||
    fail "all.yaml: $(cat "$PODS/all.yaml")"
[ ! -e "$PODS/two.yaml" ] || fail "a clashing two.yaml was created"

# diff: the file against pods_dir
pod_manifest one cmd="sleep 11" >"$TMP/one.yaml"
tank diff "$TMP/one.yaml" >"$TMP/diff"
[ $? = 1 ] || fail "diff of a changed pod did not exit 1"
grep -qx -- "-    command: \[\"sh\", \"-c\", \"sleep 1\"\]" "$TMP/diff" || fail "diff: $(cat "$TMP/diff")"
grep -qx -- "+    command: \[\"sh\", \"-c\", \"sleep 11\"\]" "$TMP/diff" || fail "diff: $(cat "$TMP/diff")"
grep -q "^--- pod/one $PODS/all.yaml" "$TMP/diff" || fail "diff header: $(cat "$TMP/diff")"
tank diff "$TMP/two.yaml" >"$TMP/diff" || fail "diff of an unchanged pod: $(cat "$TMP/diff")"
[ ! -s "$TMP/diff" ] || fail "diff printed for an unchanged pod: $(cat "$TMP/diff")"

# diff of a Secret: keys shown, values masked as kubectl diff masks them (none of the
# values, base64 or decoded, nor a comment beside one, is printed)
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  user: YWRtaW4=  # admin\n  pass: c2VjcmV0MQ==\n' \
    >"$TMP/creds.yaml"
tank apply "$TMP/creds.yaml" >/dev/null || fail "apply the Secret"
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  user: YWRtaW4=\n  pass: c2VjcmV0Mg==\nstringData:\n  token: tok-3\n' \
    >"$TMP/creds2.yaml"
tank diff "$TMP/creds2.yaml" >"$TMP/diff" 2>/dev/null
[ $? = 1 ] || fail "diff of a changed Secret did not exit 1"
for want in "   user: ***" "-  pass: *** (before)" "+  pass: *** (after)" "+  token: *** (after)"; do
    grep -qxF -- "$want" "$TMP/diff" || fail "Secret diff lacks '$want': $(cat "$TMP/diff")"
done
grep -E "YWRtaW4|c2VjcmV0|admin|secret1|secret2|tok-3" "$TMP/diff" && fail "a Secret value in the diff"
tank diff "$TMP/creds.yaml" >"$TMP/diff" 2>/dev/null || fail "diff of an unchanged Secret: $(cat "$TMP/diff")"

# a directory; an invalid manifest anywhere writes nothing
mkdir "$TMP/dir"
pod_manifest three cmd="sleep 3" >"$TMP/dir/three.yaml"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n' >"$TMP/bad.yaml"
tank apply "$TMP/dir" "$TMP/bad.yaml" >"$TMP/out" 2>"$TMP/err" && fail "applied with an invalid file"
grep -q "^$TMP/bad.yaml:" "$TMP/err" || fail "error: $(cat "$TMP/err")"
[ ! -e "$PODS/three.yaml" ] || fail "three.yaml written although another file is invalid"
[ "$(tank apply "$TMP/dir")" = "pod/three created: $PODS/three.yaml" ] || fail "dir"

# workloads and claims: each into its own file, then unchanged
F=$TANK_SRC/t/fixtures/spec/valid
tank apply "$F/k8s-job-pi.yaml" "$F/k8s-cronjob.yaml" "$F/k8s-pvc.yaml" >"$TMP/out" 2>&1 || fail "apply: $(cat "$TMP/out")"
grep -qx "job/pi created: $PODS/pi.job.yaml" "$TMP/out" &&
    grep -qx "cronjob/hello created: $PODS/hello.cronjob.yaml" "$TMP/out" &&
    grep -qx "persistentvolumeclaim/task-pv-claim created: $PODS/task-pv-claim.persistentvolumeclaim.yaml" "$TMP/out" ||
    fail "apply of a Job, a CronJob and a claim: $(cat "$TMP/out")"
[ "$(tank apply "$F/k8s-job-pi.yaml")" = "job/pi unchanged: $PODS/pi.job.yaml" ] || fail "job applied twice"
"$TANK" validate "$PODS" >/dev/null || fail "applied workloads do not validate"

# synced pods_dir: refused
printf '[agent]\npods_dir = %s\nstate_dir = %s/state\n[sync]\nrepo = %s/repo.git\n' "$PODS" "$TMP" \
    "$TMP" >"$TMP/tank.ini"
tank apply "$TMP/one.yaml" >"$TMP/out" 2>"$TMP/err" && fail "applied into a synced pods_dir"
[ "$(cat "$TMP/err")" = "tank apply: pods_dir is published by git: remove the pod from the repository" ] ||
    fail "unexpected: $(cat "$TMP/err")"
pass
