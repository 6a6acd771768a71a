#!/bin/bash
# Confinement of a default container, attacked from inside it (t/ctrctl on the busybox image,
# with t/sysprobe.c built static): a non-root user has no capability but the bounding set
# (Docker's rule); Docker's default seccomp profile decides ~60 syscalls as Docker does,
# also without no_new_privs and with capability-conditional rules; an unconfined container
# makes the same calls unfiltered; and no container possesses the keys of its starter's
# session keyring, the host's user keyring included, even unconfined.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds umoci cc
CTRCTL=$TANK_SRC/t/ctrctl
[ -x "$CTRCTL" ] || fail "t/ctrctl is not built (make t/ctrctl)"
"$TANK_SRC/t/mkimage-busybox.sh" "$TMP/oci" latest >/dev/null 2>&1 || fail "mkimage-busybox.sh"
umoci unpack --image "$TMP/oci:latest" "$TMP/bundle" >/dev/null || fail "umoci unpack"
ROOTFS=$TMP/bundle/rootfs
at_exit 'grep " $TMP/" /proc/self/mountinfo | awk "{print \$5}" | sort -r | xargs -r -n1 umount -l'
cc -static -pthread -O1 -o "$ROOTFS/sysprobe" "$TANK_SRC/t/sysprobe.c" 2>"$TMP/cc.log" ||
    fail "build sysprobe: $(cat "$TMP/cc.log")"
mkdir -m 0700 "$ROOTFS/secret" && echo s >"$ROOTFS/secret/f"

# run [CTRCTL OPTIONS] -- ARGV: the container's output (the CRI log without its prefixes).
run() {
    rm -f "$TMP/log"
    "$CTRCTL" run --state "$TMP/state" --layer "$ROOTFS" --rw "$TMP/rw" --log "$TMP/log" "$@" \
        >"$TMP/out" || fail "ctrctl $*: $(cat "$TMP/out")"
    sed -E 's/^[^ ]+ (stdout|stderr) F //' "$TMP/log"
}
caps() { grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' | awk '{printf "%s %s ", $1, $2}'; }
DEFAULT=00000000a80425fb

# ---- hole 4: a non-root user keeps only the bounding set ----
out=$(run --user 1000:1000 -- sh -c 'cat /proc/self/status')
got=$(echo "$out" | caps)
want="CapInh: 0000000000000000 CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: $DEFAULT CapAmb: 0000000000000000 "
[ "$got" = "$want" ] || fail "uid 1000 capabilities: $got"
out=$(run --user 1000:1000 -- sh -c 'ls /secret && echo LISTED; echo x >>/etc/passwd && echo WROTE;
    mknod /tmp/disk b 7 0 && echo MKNOD; true')
echo "$out" | grep -qE 'LISTED|WROTE|MKNOD' && fail "uid 1000 used a capability: $out"
echo "$out" | grep -q "can't open '/secret': Permission denied" || fail "ls /secret: $out"
# capabilities.add does not give a non-root user more than its bounding set
out=$(run --user 1000:1000 --cap-add NET_ADMIN -- cat /proc/self/status | caps)
want="CapInh: 0000000000000000 CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 00000000a80435fb CapAmb: 0000000000000000 "
[ "$out" = "$want" ] || fail "uid 1000 with NET_ADMIN added: $out"
# root keeps Docker's default set (inheritable empty, as runc since CVE-2022-24769)
out=$(run -- cat /proc/self/status | caps)
want="CapInh: 0000000000000000 CapPrm: $DEFAULT CapEff: $DEFAULT CapBnd: $DEFAULT CapAmb: 0000000000000000 "
[ "$out" = "$want" ] || fail "root capabilities: $out"
out=$(run -- sh -c 'ls /secret; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status')
echo "$out" | grep -qx f || fail "root could not list /secret: $out"
echo "$out" | grep -qx 'Seccomp:.2' || fail "no seccomp filter: $out"

# ---- hole 5: the syscall table. Expected: what Docker's default profile decides for a root
# container with Docker's default capabilities (EPERM = refused by the profile; the kernel's
# own answer otherwise, given the probe's arguments). ----
declare -A WANT=(
    [getpid]=OK [uname]=OK [getrandom]=OK [fork]=OK [setuid]=OK [capget]=OK [prctl]=OK
    [thread]=OK             # pthread_create: clone3 answers ENOSYS, glibc falls back to clone
    [clone_newuser]=EPERM   # clone's namespace flags are refused without CAP_SYS_ADMIN
    [clone3]=ENOSYS         # its flags cannot be checked: ENOSYS, so that libc uses clone
    [socket_inet]=OK [socket_unix]=OK
    [socket_vsock]=EPERM    # every family but AF_VSOCK
    [personality_query]=OK [personality_linux]=OK
    [personality_rie]=EPERM # READ_IMPLIES_EXEC is not among the allowed values
    [mkdir]=OK [memfd_create]=OK [eventfd]=OK [epoll]=OK [timerfd]=OK [inotify]=OK
    [chroot]=OK             # CAP_SYS_CHROOT is in the default set
    [mknod_fifo]=OK [chown]=OK [sched_getaffinity]=OK
    [fchmodat2]=OK          # kernel 6.6, in the current profile and known to Debian's libseccomp
    [mseal]=ENOSYS          # kernel 6.10, newer than the profile's newest: ENOSYS, not EPERM
    [process_vm_readv]=OK   # allowed from kernel 4.8 on
    [arch_prctl]=OK [modify_ldt]=OK
    [iopl]=EPERM            # only with CAP_SYS_RAWIO
    [keyctl]=EPERM [add_key]=EPERM [request_key]=EPERM
    [unshare_user]=EPERM [unshare_user_ns_net]=EPERM [unshare_ns_net]=EPERM
    [perf_event_open]=EPERM # only with CAP_SYS_ADMIN or CAP_PERFMON
    [userfaultfd]=EPERM
    [io_uring_setup]=EPERM  # out of the allow-list since moby v25
    [bpf]=EPERM [mount]=EPERM [umount2]=EPERM [setns]=EPERM [syslog]=EPERM [acct]=EPERM
    [kexec_load]=EPERM [open_by_handle_at]=EPERM [pivot_root]=EPERM [swapon]=EPERM
    [init_module]=EPERM [reboot]=EPERM [clock_settime]=EPERM
    [kcmp]=EPERM            # only with CAP_SYS_PTRACE
    [fsopen]=EPERM [setdomainname]=EPERM
    [set_mempolicy]=EPERM   # only with CAP_SYS_NICE
)
# check_table WHAT [NAME=RESULT...]: the probe's table equals WANT with these overrides
# (RESULT '!X': anything but X; '*': anything).
check_table() {
    local what=$1 n=0 name res want; shift
    declare -A over=()
    for kv; do over[${kv%%=*}]=${kv#*=}; done
    while read -r name res; do
        [ -n "${WANT[$name]+x}" ] || fail "$what: unexpected probe '$name'"
        want=${over[$name]:-${WANT[$name]}}
        case $want in
        '*') ;;
        '!'*) [ "$res" != "${want#!}" ] || fail "$what: $name gave $res" ;;
        *) [ "$res" = "$want" ] || fail "$what: $name gave $res, Docker's profile: $want" ;;
        esac
        n=$((n + 1))
    done <"$TMP/table"
    [ "$n" = "${#WANT[@]}" ] || fail "$what: $n probes ran, ${#WANT[@]} expected"
}
run -- /sysprobe table >"$TMP/table"
check_table "default profile"
# without no_new_privs (allowPrivilegeEscalation: true) the filter is loaded before the drop
run --escalate -- /sysprobe table >"$TMP/table"
check_table "allowPrivilegeEscalation"
# capability-conditional rules: CAP_SYS_ADMIN opens namespaces, mounts, clone3, perf
run --cap-add SYS_ADMIN -- /sysprobe table >"$TMP/table"
check_table "CAP_SYS_ADMIN" clone_newuser=OK clone3=OK unshare_user_ns_net=OK unshare_ns_net=OK \
    perf_event_open=OK mount='!EPERM' umount2='!EPERM' setns='!EPERM' syslog='*' \
    setdomainname=OK unshare_user=OK bpf='!EPERM' fsopen='!EPERM'
# unconfined: the attacks above are the kernel's to answer (none is EPERM here), except the
# keyring calls (keyctl, add_key, request_key stay EPERM: see the keyrings below)
run --unconfined -- /sysprobe table >"$TMP/table"
check_table "unconfined" clone_newuser=OK clone3=OK socket_vsock='!EPERM' personality_rie=OK \
    mseal='!ENOSYS' iopl='!EPERM' unshare_user=OK \
    unshare_user_ns_net=OK perf_event_open='!EPERM' userfaultfd=OK io_uring_setup='!EPERM' \
    bpf='!EPERM' umount2='!EPERM' setns='!EPERM' kexec_load='!EPERM' open_by_handle_at='!EPERM' \
    init_module='!EPERM' clock_settime='!EPERM' kcmp=OK set_mempolicy=OK syslog='*' acct='*' \
    mount='*' pivot_root='*' swapon='*' reboot='*' fsopen='*' setdomainname='*'

# ---- the keyrings: keys of the starter's session (linking the host's user keyring, as a
# login session does) are readable on the host, never from a container, even unconfined and
# after linking root's user keyring into its session (uid 0 without a user namespace is the
# host's root: a session keyring of its own is not enough, the keyring calls are refused) ----
probe=$ROOTFS/sysprobe
# shellcheck disable=SC2016
out=$("$probe" hostkeys sh -c '"$0" keyread "$KEY_U" "$KEY_S"' "$probe") || fail "host: $out"
[ "$(echo "$out" | awk '{print $3, $4}' | tr '\n' ' ')" = "OK secret-u OK secret-s " ] ||
    fail "the host cannot read its own keys (the test proves nothing): $out"
for mode in default --unconfined; do
    opts=()
    [ "$mode" = default ] || opts=("$mode")
    rm -f "$TMP/log"
    # shellcheck disable=SC2016
    "$probe" hostkeys bash -c '"$0" run --state "$1/state" --layer "$2" --rw "$1/rw" --log "$1/log" \
        "${@:3}" -- /sysprobe keyread "$KEY_U" "$KEY_S" >"$1/out"' \
        "$CTRCTL" "$TMP" "$ROOTFS" "${opts[@]}" || fail "$mode: $(cat "$TMP/out")"
    out=$(sed -E 's/^[^ ]+ (stdout|stderr) F //' "$TMP/log" | awk '{print $3}' | tr '\n' ' ')
    [ "$out" = "EPERM EPERM " ] || fail "$mode container read the host's keys: $out"
done

grep -q " $TMP/" /proc/self/mountinfo && fail "mounts left: $(grep " $TMP/" /proc/self/mountinfo)"
pass
