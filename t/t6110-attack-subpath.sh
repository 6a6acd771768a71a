#!/bin/bash
# Attacks on volume mounts from inside real containers run by the agent
# (CVE-2017-1002101 / CVE-2021-25741 in the kubelet): a subPath through a symlink the
# container planted must never mount or create anything on the host, and is a
# CreateContainerError naming the subPath.
#  a) "ln -s / /data/escape", restart with subPath escape: the host's / is not mounted;
#  b) "mk -> HOSTDIR", subPath mk/new: no directory appears on the host;
#  c) a loop swapping a directory and a link to / (renameat2 RENAME_EXCHANGE) while another
#     container of the pod restarts with that subPath: never a host mount, and at least one
#     start saw the link (where a path-following runtime mounts the host's /);
#  d) recursiveReadOnly: Enabled makes a tmpfs inside a read-only hostPath read-only too;
#     Disabled leaves it writable, as before;
#  e) a mountPath through a link the container made in a volume stays inside its rootfs.
. "$(dirname "$0")/lib.sh"
need_cmds cc curl
BACKOFF_INITIAL=50ms BACKOFF_MAX=100ms
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

mkdir -p "$TMP/tools" "$TMP/hostdir" "$TMP/hostdest" "$TMP/ro"
echo sentinel >"$TMP/sentinel"
cat >"$TMP/swap.c" <<'EOC'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
/* swap A B: exchange the two names atomically, forever. */
int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    for (;;) {
        renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
        usleep(200);
    }
}
EOC
cc -static -O2 -o "$TMP/tools/swap" "$TMP/swap.c" 2>"$TMP/cc.log" ||
    skip "cannot build a static helper: $(tail -n 1 "$TMP/cc.log")"
mount -t tmpfs tank-rro "$TMP/ro" || fail "mount a tmpfs"
at_exit "umount -l '$TMP/ro/sub' 2>/dev/null; umount -l '$TMP/ro'"
mkdir "$TMP/ro/sub"
mount -t tmpfs tank-rro-sub "$TMP/ro/sub" || fail "mount a tmpfs inside the hostPath"

# put_ctrs NAME RESTART CONTAINERS-YAML VOLUMES-YAML: a pod of several containers with volumes
# (pod-yaml.sh's put_pod writes one-container pods), validated, then placed atomically
put_ctrs() {
    cat >"$PODS/.$1.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 1
  containers:
$3
  volumes:
$4
EOC
    "$TANK" validate "$PODS/.$1.tmp" || fail "pod $1 does not validate"
    mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
ctr() { # NAME COMMAND MOUNTS-YAML
    printf '  - name: %s\n    image: %s\n    imagePullPolicy: IfNotPresent\n' "$1" "$IMAGE"
    printf '    env: [{name: T, value: "%s"}]\n' "$TMP"
    printf '    command: ["sh", "-c", "%s"]\n    volumeMounts: %s\n' "$2" "$3"
}
EMPTY='  - {name: data, emptyDir: {}}'

# a) and b): the first run finds directories, replaces them with links and fails; the
# restart must fail with CreateContainerError, not mount what the links name.
put_ctrs esc OnFailure "$(ctr main \
    'if [ -L /data/escape ]; then touch /host$T/escaped-a; sleep 600; fi; mv /data/escape /data/old; ln -s / /data/escape; exit 1' \
    '[{name: data, mountPath: /data}, {name: data, mountPath: /host, subPath: escape}]')" "$EMPTY"
put_ctrs mk OnFailure "$(ctr main \
    'if [ -L /data/mk ]; then sleep 600; fi; mv /data/mk /data/old; ln -s $T/hostdir /data/mk; exit 1' \
    '[{name: data, mountPath: /data}, {name: data, mountPath: /x, subPath: mk/new}]')" "$EMPTY"

# waits for pod $1 to show CreateContainerError with a message containing $2; fails at once
# when file $3 shows up on the host
wait_refused() {
    local i msg
    for i in $(seq 300); do
        [ -e "$3" ] && fail "pod $1: the container reached the host ($3 exists)"
        if [ "$(ctr_jq "$1" main .reason)" = CreateContainerError ]; then
            msg=$(pod_jq "$1" .message)
            case $msg in *"$2"*) return 0 ;; esac
            fail "pod $1: unexpected message: $msg"
        fi
        sleep 0.1
    done
    fail "pod $1 never showed CreateContainerError: $(pod_jq "$1" .)"
}
wait_refused esc "subPath 'escape' leads outside the volume" "$TMP/escaped-a"
"$TANK" status --config "$CFG" | grep -Eq '^esc +0/1 +CreateContainerError ' ||
    fail "table: $("$TANK" status --config "$CFG")"
wait_refused mk "subPath 'mk/new' leads outside the volume" "$TMP/hostdir/new"
[ -e "$TMP/escaped-a" ] && fail "the host's / was mounted into pod esc"
[ -e "$TMP/hostdir/new" ] && fail "subPath mk/new created a directory on the host"
rm -f "$PODS/esc.yaml" "$PODS/mk.yaml"

# c) the race. The victim exits at once so that the agent restarts it again and again.
put_ctrs race Always "$(ctr swapper 'cd /data && mkdir -p d && ln -sfn / l && exec /tools/swap d l' \
    '[{name: data, mountPath: /data}, {name: tools, mountPath: /tools, readOnly: true}]')
$(ctr victim 'if [ -e /host$T/sentinel ]; then touch /host$T/escaped-c; fi; exit 0' \
    '[{name: data, mountPath: /host, subPath: d}]')" "$EMPTY
  - {name: tools, hostPath: {path: $TMP/tools}}"
events() { curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=race"; }
starts=0 refused=0
for i in $(seq 600); do
    [ -e "$TMP/escaped-c" ] && fail "race: the host's / was mounted into the victim"
    ev=$(events) || fail "events: $ev"
    starts=$(jq '[.events[] | select(.container == "victim" and .reason == "Started")] | length' <<<"$ev")
    refused=$(jq '[.events[] | select(.container == "victim" and .reason == "Failed" and (.message | contains("subPath '"'d'"' leads outside the volume")))] | length' <<<"$ev")
    [ $((starts + refused)) -ge 30 ] && [ "$refused" -ge 1 ] && [ "$starts" -ge 1 ] && break
    sleep 0.1
done
other=$(jq -r '[.events[] | select(.container == "victim" and .reason == "Failed" and (.message | contains("leads outside") | not))][0].message // empty' <<<"$ev")
[ -z "$other" ] || echo "note: a start failed otherwise: $other"
[ -e "$TMP/escaped-c" ] && fail "race: the host's / was mounted into the victim"
[ "$refused" -ge 1 ] || fail "race: no start saw the link in $starts starts ($(events))"
[ "$starts" -ge 1 ] || fail "race: the victim never started with the directory ($(events))"
echo "race: $starts starts with the directory, $refused refused with the link"
rm -f "$PODS/race.yaml"

# d) recursiveReadOnly.
ro_ctr() { # NAME RRO
    ctr "$1" "touch /h/sub/f-$1 2>/dev/null && echo sub-writable || echo sub-refused; touch /h/top-$1 2>/dev/null && echo top-writable || echo top-refused" \
        "[{name: h, mountPath: /h, readOnly: true, recursiveReadOnly: $2}]"
}
put_ctrs rro Never "$(ro_ctr en Enabled)
$(ro_ctr dis Disabled)" "  - {name: h, hostPath: {path: $TMP/ro}}"
wait_jq 60 '.pods[] | select(.name == "rro") | [.containers[] | select(.state == "terminated")] | length == 2'
out_en=$("$TANK" logs --config "$CFG" rro en | tr '\n' ' ')
out_dis=$("$TANK" logs --config "$CFG" rro dis | tr '\n' ' ')
[ "$out_en" = "sub-refused top-refused " ] || fail "recursiveReadOnly Enabled: $out_en"
[ "$out_dis" = "sub-writable top-refused " ] || fail "recursiveReadOnly Disabled: $out_dis"
[ -e "$TMP/ro/sub/f-en" ] && fail "recursiveReadOnly Enabled: the container wrote into the sub-mount"
[ -e "$TMP/ro/sub/f-dis" ] || fail "recursiveReadOnly Disabled: the sub-mount was not writable"
rm -f "$PODS/rro.yaml"

# e) the second mount's destination goes through a link the first run planted in the volume.
put_ctrs dest OnFailure "$(ctr main \
    'if [ -L /data/link ]; then echo second-run; exec sleep 600; fi; mv /data/link /data/old; ln -s $T/hostdest /data/link; exit 1' \
    '[{name: data, mountPath: /data}, {name: data, mountPath: /data/link/x, subPath: sub}]')" "$EMPTY"
wait_for 60 sh -c "'$TANK' logs --config '$CFG' dest main | grep -qx second-run"
[ -e "$TMP/hostdest/x" ] && fail "a mount destination was created on the host"
[ "$(ctr_jq dest main .state)" = running ] || fail "dest: $(pod_jq dest .)"
rm -f "$PODS/dest.yaml"
for p in esc mk race rro dest; do wait_gone 60 $p; done
pass
