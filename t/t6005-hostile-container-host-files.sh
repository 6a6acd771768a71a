#!/bin/bash
# What a default container (root, CAP_MKNOD held) writes is never a device or a set-id
# program for anyone, through the agent:
# - a device node made in an emptyDir (disk and Memory), /dev, /dev/shm or the rootfs never
#   opens (every file system it can write is nodev);
# - a set-id root program written into /etc/hosts, an emptyDir or the rootfs cannot be run
#   by an ordinary host user: the host paths are not traversable by them, and where they
#   were, the mounts are nosuid (and the pod's files noexec);
# - /etc/resolv.conf takes at most 1 MiB (ENOSPC), in a tmpfs of the pod's: run_dir does
#   not grow;
# - the pod's files are still the container's to write.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds setpriv cc du
agent_setup
# The whole path down to run_dir and state_dir is open to other users, as /run and /var/lib
# are: only what Tank makes may stop them.
chmod 755 "$TMP"
agent_start
skip_unless_containers_run

# A set-id probe: prints its effective uid (small: the pod's tmpfs is 1 MiB).
mkdir -p "$TMP/t"
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("euid=%%d\\n", (int)geteuid()); return 0; }\n' >"$TMP/euid.c"
cc -static -Os -s -o "$TMP/t/euid" "$TMP/euid.c" || skip "cannot build a static program"

script='for d in /dev /dev/shm /disk /mem /; do
    for t in "c 1 3" "b 7 0"; do
        rm -f $d/tank-dev
        if ! e=$(mknod $d/tank-dev $t 2>&1); then echo "mknod $d $t: $e"; continue; fi
        if (: <>$d/tank-dev) 2>/dev/null; then echo "mknod $d $t: opened"
        else echo "mknod $d $t: $( (: <>$d/tank-dev) 2>&1)"; fi
        rm -f $d/tank-dev
    done
done
cat /t/euid >/etc/hosts && chmod 4755 /etc/hosts && echo planted /etc/hosts
for d in /disk /mem /; do cp /t/euid $d/suid && chmod 4755 $d/suid && echo planted $d; done
echo "exec hosts: $( (/etc/hosts) 2>&1)"
echo "hosts mount: $(grep " /etc/hosts " /proc/self/mountinfo | cut -d" " -f6)"
echo "resolv: $(dd if=/dev/zero of=/etc/resolv.conf bs=1048576 count=20 2>&1 | tr "\\n" " ")"
echo "hostname: $(echo renamed >/etc/hostname && cat /etc/hostname)"
echo ready
exec sleep 3600'
cat >"$PODS/attack.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: attack
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", $(jq -Rs . <<<"$script")]
    volumeMounts:
    - {name: disk, mountPath: /disk}
    - {name: mem, mountPath: /mem}
    - {name: t, mountPath: /t, readOnly: true}
  volumes:
  - {name: disk, emptyDir: {}}
  - {name: mem, emptyDir: {medium: Memory}}
  - {name: t, hostPath: {path: $TMP/t, type: Directory}}
EOC
du0=$(du -skx "$TMP/run" | cut -f1)
logs() { "$TANK" logs --config "$CFG" attack main; }
wait_for 60 sh -c "\"$TANK\" logs --config '$CFG' attack main 2>/dev/null | grep -qx ready"
out=$(logs)
echo "$out"

# Device nodes: made (CAP_MKNOD), never opened.
[ "$(grep -c '^mknod ' <<<"$out")" = 10 ] || fail "mknod lines: $out"
bad=$(grep '^mknod ' <<<"$out" | grep -vE ': (.*Permission denied|.*Operation not permitted)$')
[ -z "$bad" ] || fail "a device node made in the container opened: $bad"
grep -qE "^mknod /disk c 1 3: .*can't (open|create)" <<<"$out" || fail "mknod did not run: $out"

# The pod's files: writable, noexec in the container, at most 1 MiB.
for d in /etc/hosts /disk /mem /; do grep -qx "planted $d" <<<"$out" || fail "not planted in $d: $out"; done
grep -q '^exec hosts: .*Permission denied' <<<"$out" || fail "/etc/hosts runs in the container: $out"
for f in nosuid nodev noexec; do
    grep '^hosts mount: ' <<<"$out" | grep -q "$f" || fail "/etc/hosts is not $f: $out"
done
grep -q '^resolv: .*No space left on device' <<<"$out" || fail "20 MiB into resolv.conf: $out"
grep -qx 'hostname: renamed' <<<"$out" || fail "/etc/hostname is not writable: $out"
du1=$(du -skx "$TMP/run" | cut -f1)
[ $((du1 - du0)) -lt 1024 ] || fail "run_dir grew by $((du1 - du0)) KiB"
resolv=$(ls "$TMP"/run/pods/attack/etc/resolv.conf "$TMP"/run/pods/attack/resolv.conf 2>/dev/null | head -n 1)
[ -n "$resolv" ] || fail "the pod's resolv.conf is not on the host"
[ "$(stat -c %s "$resolv")" -le 1048576 ] || fail "resolv.conf is $(stat -c %s "$resolv") bytes"

# The planted programs, as an ordinary host user: never euid 0.
# (through sh: setpriv itself still holds its capabilities when it calls execve)
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- /bin/sh -c 'exec "$0"' "$1" 2>&1; }
planted=$(ls "$TMP"/run/pods/attack/etc/hosts "$TMP"/run/pods/attack/hosts 2>/dev/null | head -n 1)
[ -n "$planted" ] || fail "the pod's hosts file is not on the host"
planted="$planted $TMP/state/pods/attack/volumes/disk/suid $TMP/state/pods/attack/volumes/mem/suid"
planted="$planted $(ls -d "$TMP"/state/pods/attack/containers/main/upper/suid)"
for f in $planted; do
    [ -u "$f" ] || fail "$f is not set-uid on the host"
    r=$(as_nobody "$f")
    echo "nobody runs $f: $r"
    case $r in *euid=0*) fail "a host user ran $f as root" ;; esac
    case $r in *"Permission denied"*) ;; *) fail "a host user reached $f: $r" ;; esac
done
# Were the directories open, the mounts would still refuse: nosuid for the emptyDirs (the
# program runs, as the user who ran it), noexec for the pod's files.
opened="$TMP/run/pods $TMP/run/pods/attack $TMP/state/pods $TMP/state/pods/attack
$TMP/state/pods/attack/volumes"
[ -d "$TMP/run/pods/attack/etc" ] && opened="$opened $TMP/run/pods/attack/etc"
chmod 711 $opened
for f in $planted; do
    case $f in */upper/*) continue ;; esac
    r=$(as_nobody "$f")
    echo "nobody runs $f through opened directories: $r"
    case $f:$r in
    *:*euid=0*) fail "a host user ran $f as root (directories opened)" ;;
    */suid:euid=65534 | */hosts:*"Permission denied"*) ;;
    *) fail "running $f through opened directories: $r" ;;
    esac
done
chmod 700 $opened

rm -f "$PODS/attack.yaml"
wait_gone 60 attack
[ -e "$TMP/run/pods/attack" ] && fail "the pod's run directory is left: $(ls -la "$TMP/run/pods/attack")"
grep " $TMP/" /proc/self/mountinfo | grep -q "/pods/attack" &&
    fail "mounts left: $(grep " $TMP/" /proc/self/mountinfo)"
pass
