#!/bin/bash
# tank exec: a command run in a container by tank exec is the container's workload's equal
# and never more: the same CapEff/CapPrm/CapBnd, NoNewPrivs, Seccomp mode, uid/gid/groups
# (in a hostUsers: false pod, ids of the pod's range on the host), PID namespace, cgroups,
# environment and working directory; stdin only with -i; the exit status is the command's
# (127 not found, 126 not runnable, 1 for a stopped container); it works while the agent is
# stopped; a tank exec killed by its terminal going away leaves no process; `tank exec -t`
# in tmux gets a prompt, runs id and ends with the shell.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
BASE=3100000000
cat >>"$CFG" <<EOC
[security]
userns_ranges = $BASE:65536
EOC
agent_start
skip_unless_containers_run

# Pod "ex": a root container with caps dropped and one more added, a non-root one with
# supplementary groups; pod "us": a root container in a user namespace.
cat >"$PODS/.ex.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: ex}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {supplementalGroups: [4242]}
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    workingDir: /tmp
    env: [{name: FOO, value: "bar baz"}]
    securityContext:
      capabilities: {drop: [CHOWN, NET_RAW, DAC_OVERRIDE], add: [NET_ADMIN]}
  - name: user
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    securityContext: {runAsUser: 1234, runAsGroup: 2345, allowPrivilegeEscalation: false}
EOC
mv "$PODS/.ex.tmp" "$PODS/ex.yaml"
cat >"$PODS/.us.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: us}
spec:
  terminationGracePeriodSeconds: 1
  hostUsers: false
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
EOC
mv "$PODS/.us.tmp" "$PODS/us.yaml"
for p in ex:main ex:user us:main; do
    wait_jq 60 ".pods[] | select(.name == \"${p%%:*}\") | .containers[] | select(.name == \"${p#*:}\") | .state == \"running\"" ||
        fail "$p is not running: $(pod_jq "${p%%:*}" .)"
done

wpid() { sed -n 's/^pid=//p' "$TMP/run/pods/$1/containers/$2/state"; }
# fields FILE: the privilege lines of a /proc/PID/status
fields() { grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "$1"; }

# A command started by tank exec, seen from the host: the process in the container's PID
# namespace running "sleep 777" (started below).
exec_pid() { # POD CTR
    local w ns p
    w=$(wpid "$1" "$2")
    ns=$(readlink "/proc/$w/ns/pid")
    for p in $(pgrep -f '^sleep 777$'); do
        [ "$(readlink "/proc/$p/ns/pid")" = "$ns" ] && { echo "$p"; return 0; }
    done
    return 1
}

check_equal() { # POD CTR: the exec'd process equals the workload
    local pod=$1 ctr=$2 w e
    "$TANK" exec --config "$CFG" "$pod" -c "$ctr" -- sleep 777 &
    local tx=$!
    wait_for 10 exec_pid "$pod" "$ctr" || fail "$pod/$ctr: no exec'd process found"
    w=$(wpid "$pod" "$ctr")
    e=$(exec_pid "$pod" "$ctr")
    fields "/proc/$w/status" >"$TMP/w.status"
    fields "/proc/$e/status" >"$TMP/e.status"
    diff "$TMP/w.status" "$TMP/e.status" >"$TMP/diff" ||
        fail "$pod/$ctr: exec'd process differs from the workload: $(cat "$TMP/diff")"
    local ns
    for ns in mnt pid net uts ipc user cgroup; do
        [ "$(readlink "/proc/$w/ns/$ns")" = "$(readlink "/proc/$e/ns/$ns")" ] ||
            fail "$pod/$ctr: exec'd process not in the workload's $ns namespace"
    done
    cmp -s "/proc/$w/cgroup" "/proc/$e/cgroup" ||
        fail "$pod/$ctr: cgroups differ: $(cat "/proc/$w/cgroup") vs $(cat "/proc/$e/cgroup")"
    [ "$(stat -Lc %d:%i "/proc/$w/root/")" = "$(stat -Lc %d:%i "/proc/$e/root/")" ] ||
        fail "$pod/$ctr: exec'd process has another root than the workload"
    # What waits for it is small (the embedded helper, not a copy of its caller): under 2 MiB.
    local helper rss
    helper=$(awk '/^PPid:/ {print $2}' "/proc/$e/status")
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$helper/status")
    [ -n "$rss" ] && [ "$rss" -lt 2048 ] ||
        fail "$pod/$ctr: the exec helper (pid $helper) holds ${rss:-?} kB: $(tr '\0' ' ' <"/proc/$helper/cmdline")"
    # The terminal going away (SIGHUP to tank exec) ends the command too.
    kill -HUP "$tx"
    wait "$tx"
    [ $? = 129 ] || fail "$pod/$ctr: tank exec killed by SIGHUP did not exit 129"
    wait_for 5 sh -c "! kill -0 $e 2>/dev/null" || fail "$pod/$ctr: exec'd process left behind"
    E_STATUS=$(cat "$TMP/e.status")
}
check_equal ex main
grep -q '^Seccomp:[[:space:]]*2' "$TMP/e.status" || fail "ex/main: no seccomp filter: $E_STATUS"
check_equal ex user
grep -q '^Uid:[[:space:]]*1234' "$TMP/e.status" || fail "ex/user: not uid 1234: $E_STATUS"
grep -q '^NoNewPrivs:[[:space:]]*1' "$TMP/e.status" || fail "ex/user: no no_new_privs: $E_STATUS"
grep -q '^Groups:.*4242' "$TMP/e.status" || fail "ex/user: supplementary group missing: $E_STATUS"
check_equal us main
uid=$(awk '/^Uid:/ {print $2}' "$TMP/e.status")
[ "$uid" -ge $BASE ] && [ "$uid" -lt $((BASE + 65536)) ] ||
    fail "us/main: exec'd root is host uid $uid, outside the pod's range"

# The attack: root in a container without CAP_CHOWN / CAP_DAC_OVERRIDE cannot get them back
# through exec (a missing drop would let it chown and read root-only files).
out=$("$TANK" exec --config "$CFG" ex -- sh -c 'touch /tmp/f; chown 1:1 /tmp/f && echo CHOWNED; echo x >/tmp/ro; chmod 000 /tmp/ro; chown 5:5 /tmp/ro; cat /tmp/ro 2>/dev/null && echo READ; echo done' 2>&1)
case $out in *CHOWNED* | *READ*) fail "exec gained capabilities the container lacks: $out" ;; esac
case $out in *done*) ;; *) fail "exec attack command did not run: $out" ;; esac

# Environment, working directory, the first container by default, arguments kept apart.
out=$("$TANK" exec --config "$CFG" ex -- sh -c 'echo "$FOO|$(pwd)|$0"' 'a b')
[ "$out" = "bar baz|/tmp|a b" ] || fail "environment / cwd / args: '$out'"

# stdin only with -i.
[ "$(echo hello | "$TANK" exec --config "$CFG" -i ex -- cat)" = hello ] || fail "-i: stdin not passed"
[ -z "$(echo hello | "$TANK" exec --config "$CFG" ex -- cat)" ] || fail "stdin passed without -i"
# Output and errors on their own streams.
"$TANK" exec --config "$CFG" ex -- sh -c 'echo out; echo err >&2' >"$TMP/o" 2>"$TMP/e"
[ "$(cat "$TMP/o")/$(cat "$TMP/e")" = "out/err" ] || fail "stdout/stderr: $(cat "$TMP/o") / $(cat "$TMP/e")"

# Exit statuses.
"$TANK" exec --config "$CFG" ex -- sh -c 'exit 7'; [ $? = 7 ] || fail "exit 7 not passed on"
"$TANK" exec --config "$CFG" ex -- sh -c 'kill -9 $$'; [ $? = 137 ] || fail "death by SIGKILL not 137"
"$TANK" exec --config "$CFG" ex -- nosuch 2>"$TMP/e"; rc=$?
[ $rc = 127 ] || fail "missing command: exit $rc, not 127"
grep -q "nosuch" "$TMP/e" || fail "missing command: no message: $(cat "$TMP/e")"
"$TANK" exec --config "$CFG" ex -- /etc/passwd 2>"$TMP/e"; rc=$?
[ $rc = 126 ] || fail "non-executable command: exit $rc, not 126"
"$TANK" exec --config "$CFG" nopod -- true 2>"$TMP/e"; rc=$?
[ $rc = 1 ] || fail "missing pod: exit $rc, not 1"
"$TANK" exec --config "$CFG" ex 2>"$TMP/e"; [ $? = 2 ] || fail "no command: not a usage error"

# A terminal in tmux: a prompt, id, Ctrl-C reaching the command, nothing left once the
# window goes.
if command -v tmux >/dev/null; then
    TS=tank-exec-$$
    at_exit tmux kill-session -t "$TS"
    tmux new-session -d -s "$TS" -x 100 -y 30 "'$TANK' exec --config '$CFG' -it ex -- sh"
    wait_for 10 sh -c "tmux capture-pane -p -t '$TS' | grep -q '#$'" ||
        fail "tank exec -t: no prompt: $(tmux capture-pane -p -t "$TS")"
    tmux send-keys -t "$TS" 'stty size; id; tty' Enter
    wait_for 10 sh -c "tmux capture-pane -p -t '$TS' | grep -q 'uid=0(root)'" ||
        fail "tank exec -t: id did not run: $(tmux capture-pane -p -t "$TS")"
    tmux capture-pane -p -t "$TS" | grep -q '^30 100' || fail "tank exec -t: window size not passed: $(tmux capture-pane -p -t "$TS")"
    tmux capture-pane -p -t "$TS" | grep -q '^/dev/pts/' || fail "tank exec -t: not a terminal: $(tmux capture-pane -p -t "$TS")"
    tmux send-keys -t "$TS" 'sleep 777' Enter
    wait_for 10 exec_pid ex main || fail "tank exec -t: sleep did not start"
    tmux send-keys -t "$TS" C-c
    wait_for 10 sh -c "! pgrep -f '^sleep 777$' >/dev/null" || fail "tank exec -t: Ctrl-C did not reach the command"
    tmux send-keys -t "$TS" 'sleep 777 & sleep 778' Enter
    wait_for 10 exec_pid ex main || fail "tank exec -t: background sleep did not start"
    tmux kill-session -t "$TS"
    wait_for 10 sh -c "! pgrep -f '^sleep 77[78]$' >/dev/null" ||
        fail "tank exec -t: processes left behind once the terminal went: $(pgrep -af '^sleep 77')"
else
    echo "skipped: tank exec -t in tmux (tmux is not installed)" >&2
fi

# It works while the agent is stopped (containers keep running).
agent_kill9
[ "$("$TANK" exec --config "$CFG" ex -c user -- id -u)" = 1234 ] || fail "exec with the agent stopped"
agent_start
pass
