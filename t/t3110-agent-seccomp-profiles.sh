#!/bin/bash
# securityContext.seccompProfile, appArmorProfile and seLinuxOptions through the agent: a
# Localhost profile (under [security] seccomp_dir) denying mkdir makes busybox mkdir fail
# with EPERM; RuntimeDefault (also unset) and Unconfined, at pod level with a container
# override; a bad profile is an error of `tank validate` and of the agent naming the file and
# the entry; appArmorProfile Localhost on a host without AppArmor is a start error; `tank
# status POD` shows what is in effect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
SC=$TMP/seccomp
mkdir -p "$SC/team"
printf '[security]\nseccomp_dir = %s\n' "$SC" >>"$CFG"
cat >"$SC/team/deny-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
EOF
cat >"$SC/bad.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO",
 "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["write"], "action": "SCMP_ACT_FOO"}]}
EOF
agent_start
skip_unless_containers_run

show='grep -E ^Seccomp: /proc/self/status; mkdir /tmp/d && echo MADE; sleep 600'
lp='{type: Localhost, localhostProfile: team/deny-mkdir.json}'
put_pod local cmd="$show" ctr_yaml="    securityContext: {seccompProfile: $lp}"
put_pod unconf cmd="$show" pod_yaml="  securityContext: {seccompProfile: {type: Unconfined}}"
put_pod over cmd="$show" pod_yaml="  securityContext: {seccompProfile: {type: Unconfined}}" \
    ctr_yaml="    securityContext: {seccompProfile: {type: RuntimeDefault}}"
put_pod dflt cmd="$show"
put_pod aa cmd="true" ctr_yaml="    securityContext: {appArmorProfile: {type: Localhost, localhostProfile: tank-test}}"
put_pod bad cmd="true" ctr_yaml="    securityContext: {seccompProfile: {type: Localhost, localhostProfile: bad.json}}"
put_pod missing cmd="true" pod_yaml="  securityContext: {seccompProfile: {type: Localhost, localhostProfile: none.json}}"

logs() { "$TANK" logs --config "$CFG" "$1" 2>&1; }
for p in local unconf over dflt; do
    for _ in $(seq 300); do logs $p | grep -q Seccomp && break; sleep 0.1; done
    logs $p | grep -q Seccomp || fail "$p: $(pods_json | jq -c ".pods[] | select(.name == \"$p\")")"
done
sleep 0.3
logs local | grep -qx "mkdir: can't create directory '/tmp/d': Operation not permitted" ||
    fail "Localhost profile: mkdir not refused with EPERM: $(logs local)"
logs local | grep -qx 'Seccomp:.2' || fail "local: $(logs local)"
# Unconfined: only the keyring calls are filtered (Seccomp: 2), mkdir works
logs unconf | grep -qx MADE || fail "unconf: $(logs unconf)"
logs over | grep -qx 'Seccomp:.2' || fail "the container's RuntimeDefault did not override: $(logs over)"
logs dflt | grep -qx 'Seccomp:.2' || fail "no filter by default: $(logs dflt)"
logs dflt | grep -qx MADE || fail "RuntimeDefault refused mkdir: $(logs dflt)"

# The bad profiles are manifest errors naming the file, the field and the entry.
errs=$(pods_json | jq -r '.errors[] | "\(.file):\(.line):\(.column): \(.message)"')
echo "$errs" | grep -qxF "$PODS/bad.yaml:12:75: spec.containers[0].securityContext.seccompProfile.localhostProfile: seccomp profile 'bad.json': syscalls[1].action: unknown action 'SCMP_ACT_FOO'" ||
    fail "agent errors: $errs"
echo "$errs" | grep -q "^$PODS/missing.yaml:.*spec.securityContext.seccompProfile.localhostProfile: seccomp profile 'none.json': read $SC/none.json: No such file or directory" ||
    fail "agent errors: $errs"
[ "$(pod_jq bad .name)" = "" ] || fail "the pod with a bad profile runs"
out=$("$TANK" validate --config "$CFG" "$PODS/bad.yaml" "$PODS/local.yaml")
[ $? = 1 ] || fail "validate accepted a bad profile"
[ "$out" = "$PODS/bad.yaml:12:75: spec.containers[0].securityContext.seccompProfile.localhostProfile: seccomp profile 'bad.json': syscalls[1].action: unknown action 'SCMP_ACT_FOO'" ] ||
    fail "validate: $out"
"$TANK" validate --config "$CFG" "$PODS/local.yaml" || fail "validate refused a good profile"

# AppArmor Localhost is a start error where AppArmor is not enabled, never unconfined.
if [ -e /sys/kernel/security/apparmor ]; then
    echo "AppArmor is enabled here: the Localhost start error is not checked"
else
    wait_jq 30 '.pods[] | select(.name == "aa") | .containers[0].reason == "CreateContainerError"'
    pod_jq aa .message | grep -q "appArmorProfile Localhost 'tank-test': AppArmor is not enabled" ||
        fail "aa: $(pod_jq aa .message)"
    "$TANK" status --config "$CFG" local | grep -qx "    Security:    seccomp=Localhost:team/deny-mkdir.json apparmor=RuntimeDefault (no-op: not enabled on this host)" ||
        fail "status: $("$TANK" status --config "$CFG" local)"
fi
rm -f "$PODS"/*.yaml
for p in local unconf over dflt aa; do wait_gone 30 $p; done
pass
