#!/bin/bash
# What Tank writes is root's only: `tank apply` writes a manifest (an env password in it) 0600
# into a pods directory it creates 0700; the agent creates state_dir, run_dir, log_dir and a
# pod's log directory 0700, so another host user reads neither manifests nor logs. With
# [agent] group, the same are 0640 / 0750 and the group's (log files inherit it), and a
# member of the group reads them. Before, manifests were 0644 in a 0755 directory.
. "$(dirname "$0")/lib.sh"
. "$TANK_SRC/t/agent-lib.sh"
need_cmds setpriv getent
getent group nogroup >/dev/null || skip "no group 'nogroup'"

agent_setup
rmdir "$PODS" "$TMP/state" "$TMP/run" "$TMP/log" # Tank creates them
chmod 0755 "$TMP"                                  # mktemp's 0700 would hide everything
# Another host user, outside the group; and one in group nogroup.
nobody() { setpriv --reuid=4242 --regid=4242 --clear-groups -- "$@"; }
nogroup_member() { setpriv --reuid=4243 --regid=4243 --groups=65534 -- "$@"; }

pod_manifest secret cmd="echo the-log-line; sleep 600" \
    ctr_yaml='    env: [{name: PASSWORD, value: hunter2}]' >"$TMP/secret.yaml"

# mode_of PATH: octal mode (with set-id bits) and group, e.g. "700 root".
mode_of() { stat -c '%a %G' "$1"; }
expect_mode() { [ "$(mode_of "$1")" = "$2" ] || fail "$1 is $(mode_of "$1"), want $2"; }
# expect_private BITS PATH...: none of BITS is set on any PATH.
expect_private() {
    local bits=$1 f
    shift
    for f; do
        [ -e "$f" ] || fail "$f is missing"
        [ $((0$(stat -c %a "$f") & 0$bits)) = 0 ] || fail "$f is $(mode_of "$f"): too open"
    done
}

"$TANK" apply --config "$CFG" "$TMP/secret.yaml" >/dev/null || fail "apply"
expect_mode "$PODS" "700 root"
expect_mode "$PODS/secret.yaml" "600 root"
nobody cat "$PODS/secret.yaml" >/dev/null 2>&1 && fail "another user read the manifest"

agent_start
wait_phase 60 secret Running
wait_for 20 grep -q the-log-line "$TMP/log/secret/main.log"
expect_mode "$TMP/state" "700 root"
expect_mode "$TMP/run" "700 root"
expect_mode "$TMP/log" "700 root"
expect_mode "$TMP/log/secret" "700 root"
expect_mode "$TMP/log/secret/main.log" "600 root"
expect_private 077 "$TMP/run/pods" "$TMP/state"/* "$TMP/run"/*
nobody cat "$TMP/log/secret/main.log" >/dev/null 2>&1 && fail "another user read the log"
nobody ls "$TMP/state" >/dev/null 2>&1 && fail "another user listed state_dir"
agent_cleanup
AGENT_PID=

# With a group: 0750 / 0640, the group's; a member reads the manifest and the log, others not.
rm -rf "$PODS" "$TMP/state" "$TMP/run" "$TMP/log"
sed -i '/^\[agent\]$/a group = nogroup' "$CFG"
"$TANK" apply --config "$CFG" "$TMP/secret.yaml" >/dev/null || fail "apply with a group"
expect_mode "$PODS" "750 nogroup"
expect_mode "$PODS/secret.yaml" "640 nogroup"
nogroup_member cat "$PODS/secret.yaml" >/dev/null || fail "the group cannot read the manifest"
nobody cat "$PODS/secret.yaml" >/dev/null 2>&1 && fail "a user outside the group read it"
agent_start
wait_phase 60 secret Running
wait_for 20 grep -q the-log-line "$TMP/log/secret/main.log"
expect_mode "$TMP/state" "750 nogroup"
expect_mode "$TMP/run" "750 nogroup"
expect_mode "$TMP/log" "2750 nogroup"
expect_mode "$TMP/log/secret" "2750 nogroup"
expect_mode "$TMP/log/secret/main.log" "640 nogroup"
nogroup_member cat "$TMP/log/secret/main.log" | grep -q the-log-line ||
    fail "the group cannot read the log"
nobody cat "$TMP/log/secret/main.log" >/dev/null 2>&1 && fail "a user outside the group read the log"
pass
