#!/bin/bash
# Manifests as kubectl writes them: the output of `kubectl run --dry-run=client -o yaml`
# (t/fixtures/spec/warn/kubectl-run.yaml) validates with warnings only (exit 0; 1 with
# --strict) and runs under the agent, which logs each warning once (not at every resync);
# metadata.namespace is kept and shown, and dnsPolicy: ClusterFirst gives the host's DNS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"

fixture=$TANK_SRC/t/fixtures/spec/warn/kubectl-run.yaml
out=$("$TANK" validate "$fixture") || fail "kubectl run output refused ($?): $out"
[ "$(printf '%s\n' "$out" | grep -c ': warning: ')" = 2 ] || fail "expected two warnings: $out"
printf '%s\n' "$out" | grep -qx "$fixture:4:3: warning: metadata.creationTimestamp: ignored on a single host (written by a Kubernetes API server)" ||
    fail "no creationTimestamp warning: $out"
printf '%s\n' "$out" | grep -v ': warning: ' && fail "lines other than warnings: $out"
expect_exit 1 "$TANK" validate --strict "$fixture"
expect_exit 1 "$TANK" validate "$fixture" --strict
"$TANK" validate --strict "$TANK_SRC/examples/pods" >/dev/null || fail "--strict refuses the examples"

agent_setup
cat >>"$CFG" <<EOC
[host]
dns = 192.0.2.53
EOC
agent_start
skip_unless_containers_run

# The fixture as kubectl printed it, but for the image (no registry here) and a namespace.
grep -v '^#' "$fixture" | sed -e "s|image: busybox\$|image: $IMAGE|" \
    -e 's|^  name: sleeper$|  name: sleeper\n  namespace: shop|' >"$TMP/sleeper.yaml"
"$TANK" validate "$TMP/sleeper.yaml" | grep -q 'warning: status:' || fail "copy lost its boilerplate"
mv "$TMP/sleeper.yaml" "$PODS/sleeper.yaml"
wait_jq 60 '.pods[] | select(.name == "sleeper") | .phase == "Running" and .containers[0].state == "running"'
[ "$(pod_jq sleeper .namespace)" = shop ] || fail "namespace: $(pod_jq sleeper .namespace)"
"$TANK" status --config "$CFG" sleeper | grep -Eq '^Namespace: +shop$' ||
    fail "detail view: $("$TANK" status --config "$CFG" sleeper)"
pid=$(ctr_jq sleeper sleeper .pid)
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qx 'sleep 3600 ' || fail "args: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
grep -q '^nameserver 192.0.2.53$' "/proc/$pid/root/etc/resolv.conf" ||
    fail "dnsPolicy ClusterFirst: $(cat "/proc/$pid/root/etc/resolv.conf")"
[ "$(pods_json | jq '.errors | length')" = 0 ] || fail "errors: $(pods_json)"

# Each warning once, whatever the resyncs (status asks do not re-read; a rescan does).
curl -fsS --unix-socket "$SOCK" http://tank/healthz >/dev/null
touch "$PODS" && sleep 1
kill -HUP "$AGENT_PID" 2>/dev/null
sleep 1
n=$(grep -c 'sleeper.yaml:[0-9]*:[0-9]*: warning: status: ignored on a single host' "$TMP/agent.log")
[ "$n" = 1 ] || fail "status warning logged $n times: $(cat "$TMP/agent.log")"
pass
