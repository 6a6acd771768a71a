#!/bin/bash
# The termination message is read by the container's monitor (host root) after the workload
# exited, from a path the container shaped. A hostile container tries to make it read what is
# not its own, or never end:
# - /dev/termination-log a symbolic link to a host file (absolute, and through "../..") and to
#   the kernel's /proc/kallsyms, or a directory of the path a link to the host's directory of
#   a secret or to /proc: nothing of them reaches the status (the last component is not
#   followed, the others are resolved inside the container's root, RESOLVE_IN_ROOT |
#   RESOLVE_NO_MAGICLINKS; procfs and sysfs files are refused);
# - a FIFO there: the container still ends (opened without blocking, regular files only);
# - a 2 MiB file: the message is its last 4 KiB (a bounded read of the end).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

SECRET=$TMP/host-secret
echo "host-only-secret-$$" >"$SECRET"
chmod 600 "$SECRET"
ctr() { # NAME SCRIPT [terminationMessagePath]
    printf '  - name: %s\n    image: %s\n    imagePullPolicy: IfNotPresent\n' "$1" "$IMAGE"
    printf '    command: ["sh", "-c", "%s"]\n' "$2"
    [ -z "${3:-}" ] || printf '    terminationMessagePath: %s\n' "$3"
}
{
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: hostile}\nspec:\n'
    printf '  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n'
    ctr abs "rm -f /dev/termination-log; ln -s $SECRET /dev/termination-log; exit 1"
    ctr rel "rm -f /dev/termination-log; ln -s ../../../../../../..$SECRET /dev/termination-log; exit 1"
    ctr kallsyms "rm -f /dev/termination-log; ln -s /proc/kallsyms /dev/termination-log; exit 1"
    # a directory on the way is a link: to the host's directory of the secret, to /proc
    ctr dirlink "ln -s $TMP /tmp/s; exit 1" /tmp/s/host-secret
    ctr proclink "ln -s /proc /tmp/p; exit 1" /tmp/p/kallsyms
    ctr fifo "rm -f /dev/termination-log; mkfifo /dev/termination-log; exit 1"
    ctr big "yes a | head -c 2097152 >/dev/termination-log; echo END >>/dev/termination-log; exit 1"
    ctr dir "rm -f /dev/termination-log; mkdir /dev/termination-log; exit 1"
} >"$PODS/.hostile.tmp"
mv "$PODS/.hostile.tmp" "$PODS/hostile.yaml"

# Every container ends (a FIFO must not hold its monitor), the pod fails.
wait_phase 60 hostile Failed ||
    fail "the pod did not end: $(pod_jq hostile '[.containers[] | .name + " " + .state]')"
for c in abs rel kallsyms dirlink proclink fifo dir; do
    m=$(ctr_jq hostile $c .message)
    [ "$m" = null ] || fail "$c: message '$(printf %.200s "$m")'"
done
pods_json | grep -q "host-only-secret" && fail "the host's file reached the status"
m=$(ctr_jq hostile big .message)
[ "${#m}" -le 4096 ] && [ "${#m}" -ge 4000 ] || fail "big: a message of ${#m} bytes"
case $m in *a?a?END) ;; *) fail "big: not the file's end: ...$(printf %s "$m" | tail -c 20)" ;; esac
[ "$(ctr_jq hostile big .exitCode)" = 1 ] || fail "big: $(ctr_jq hostile big .)"
pass
