#!/bin/bash
# One folder for a whole fleet: spec.nodeName, spec.nodeSelector and required nodeAffinity
# terms (In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields metadata.name) against [host]
# labels and the built-in kubernetes.io/hostname, os and arch labels. A pod for another host
# is not started and not an error: "scheduled": false with the reason, listed under NOT FOR
# THIS HOST in tank status. Preferred terms and pod (anti-)affinity are accepted with a
# warning. New [host] labels (SIGHUP) move pods in and out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
H=$(uname -n)
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
sed -i "s|^\[agent\]|[host]\nlabels = disk=ssd, zone=eu-1, rank=5\n[agent]|" "$CFG"
p() { put_pod "$1" cmd="exec sleep 1044$2" pod_yaml="$3"; }
aff() { printf '  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n%s' "$1"; }
p here-name 01 "  nodeName: $H"
p there-name 02 "  nodeName: other-host"
p sel-ok 03 "  nodeSelector: {disk: ssd, kubernetes.io/os: linux, kubernetes.io/arch: $ARCH}"
p sel-no 04 "  nodeSelector: {disk: hdd}"
p aff-ok 05 "$(aff "        - matchExpressions:
          - {key: zone, operator: In, values: [eu-1, eu-2]}
          - {key: rank, operator: Gt, values: ['3']}
          - {key: gpu, operator: DoesNotExist}
          - {key: disk, operator: NotIn, values: [hdd]}")"
p aff-or 06 "$(aff "        - matchExpressions:
          - {key: zone, operator: In, values: [us-1]}
        - matchFields:
          - {key: metadata.name, operator: In, values: [$H]}")"
p aff-no 07 "$(aff "        - matchExpressions:
          - {key: rank, operator: Lt, values: ['3']}
        - matchExpressions:
          - {key: kubernetes.io/hostname, operator: Exists}
          - {key: zone, operator: NotIn, values: [eu-1]}")"
p pref 08 "  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: kubernetes.io/hostname, operator: In, values: [$H]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 1, preference: {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - {labelSelector: {matchLabels: {app: x}}, topologyKey: kubernetes.io/hostname}"

out=$("$TANK" validate --config "$CFG" "$PODS" 2>&1) || fail "tank validate: $out"
grep -q "pref.yaml:.*preferredDuringSchedulingIgnoredDuringExecution: ignored" <<<"$out" ||
    fail "no warning for preferred terms: $out"
grep -q "pref.yaml:.*podAntiAffinity: ignored" <<<"$out" || fail "no warning for pod anti-affinity: $out"

agent_start
skip_unless_containers_run
want_run='["aff-ok","aff-or","here-name","pref","sel-ok"]'
want_skip='["aff-no","sel-no","there-name"]'
wait_jq 60 "[.pods[] | select(.phase == \"Running\") | .name] | sort == $want_run" ||
    fail "running: $(pods_json | jq -c '[.pods[] | [.name, .phase]]')"
json=$(pods_json)
[ "$(jq -c '[.pods[] | select(.scheduled == false) | .name] | sort' <<<"$json")" = "$want_skip" ] ||
    fail "not scheduled: $(jq -c '[.pods[] | [.name, .scheduled]]' <<<"$json")"
[ "$(jq -c '[.pods[] | select(.scheduled == true) | .name] | sort' <<<"$json")" = "$want_run" ] ||
    fail "scheduled: $json"
[ "$(jq '.errors | length' <<<"$json")" = 0 ] || fail "a pod for another host is an error: $json"
reason() { jq -r --arg n "$1" '.pods[] | select(.name == $n) | .message' <<<"$json"; }
[ "$(reason there-name)" = "spec.nodeName is 'other-host', this host is '$H'" ] || fail "there-name: $(reason there-name)"
[ "$(reason sel-no)" = "spec.nodeSelector: disk=hdd, this host has disk=ssd" ] || fail "sel-no: $(reason sel-no)"
[ "$(reason aff-no)" = "spec.affinity.nodeAffinity: no required term matches this host (rank Lt [3], this host has rank=5)" ] ||
    fail "aff-no: $(reason aff-no)"
jq -e '.pods[] | select(.scheduled == false) | .containers == [] and .phase == null' <<<"$json" >/dev/null ||
    fail "a skipped pod has containers or a phase: $json"
pgrep -f "exec sleep 10440[247]" >/dev/null && fail "a pod for another host runs: $(pgrep -af "sleep 10440[247]")"
st=$("$TANK" status --config "$CFG")
sed -n '/^NOT FOR THIS HOST$/,/^$/p' <<<"$st" | grep -q "^sel-no .*spec.nodeSelector: disk=hdd" ||
    fail "no 'not for this host' section in tank status: $st"
sed -n '1,/^NOT FOR THIS HOST$/p' <<<"$st" | grep -q "^sel-no" && fail "sel-no is in the table: $st"
[ "$("$TANK" status --config "$CFG" -o json there-name | jq -c '[.scheduled, .reason]')" = '[false,"NotForThisHost"]' ] ||
    fail "GET /v1/pods/there-name: $("$TANK" status --config "$CFG" -o json there-name)"

# New labels (SIGHUP): disk=hdd moves sel-no in and sel-ok, aff-ok out.
sed -i "s|^labels = .*|labels = disk=hdd, zone=eu-1, rank=5|" "$CFG"
kill -HUP "$AGENT_PID"
wait_jq 30 '[.pods[] | select(.phase == "Running") | .name] | sort == ["aff-or","here-name","pref","sel-no"]' ||
    fail "after new labels: $(pods_json | jq -c '[.pods[] | [.name, .phase, .scheduled]]')"
pods_json | jq -e '[.pods[] | select(.scheduled == false) | .name] | sort == ["aff-no","aff-ok","sel-ok","there-name"]' >/dev/null ||
    fail "skipped after new labels: $(pods_json | jq -c '[.pods[] | [.name, .scheduled]]')"

# Invalid selections are errors naming the field.
mkdir -p "$TMP/bad"
put_bad() { pod_manifest "$1" cmd="true" pod_yaml="$2" >"$TMP/bad/$1.yaml"; }
put_bad gt "$(aff "        - matchExpressions:
          - {key: rank, operator: Gt, values: [five]}")"
put_bad field "$(aff "        - matchFields:
          - {key: metadata.labels, operator: In, values: [x]}")"
put_bad exists "$(aff "        - matchExpressions:
          - {key: gpu, operator: Exists, values: [x]}")"
put_bad op "$(aff "        - matchExpressions:
          - {key: gpu, operator: Has}")"
out=$("$TANK" validate --config "$CFG" "$TMP/bad" 2>&1) && fail "invalid selections validated: $out"
for want in "gt.yaml:.*values: must be one integer when operator is Gt" \
    "field.yaml:.*key: 'metadata.labels' is not supported (metadata.name is the only node field)" \
    "exists.yaml:.*values: must be empty when operator is Exists" \
    "op.yaml:.*operator: "; do
    grep -q "$want" <<<"$out" || fail "no error '$want': $out"
done
pass
