#!/bin/bash
# A simulated fleet (prints figures; asserts nothing): N hosts on this machine (default 20),
# each a network namespace with its own UTS namespace (host name fleet-I), tank.ini, state,
# run and log dirs, all syncing one bare repo served by `git daemon` in a hub namespace
# (192.0.2.1, a bridge; host I is 192.0.2.(10+I)). The repo has a folder per host
# (pods_dir = .../hosts/%H) holding the host's own pod and a shared pod with a nodeSelector
# (role=odd: only odd hosts run it; [host] labels give each its role).
#  (a) one commit pushed, the hosts sync on their period: per host, publish -> converged
#      (every pod of the new revision running, the old ones gone), median / p90 / max, and
#      push -> converged on the last host;
#  (b) one more commit, then POST /v1/sync (tank sync) to every host at once (a webhook):
#      push -> all converged, and per host publish -> converged.
# The times come from what each host records (the publish link's mtime, the agents' events:
# bench/fleetwatch.py), so that nothing polls the agents while they converge. The pods are
# services that end on SIGTERM (SLOW_STOP=1: a bare sleep, which as PID 1 ignores it, so each
# old pod holds its stop for its whole 1s grace period).
# Usage: [PERIOD=10s] [SLOW_STOP=1] [TRACE=1 [TRACE_DIR=DIR]] [TANK=BINARY] bench/fleet.sh [N]
# (root; namespaces, processes and files it made are removed afterwards; nothing touches the
# root namespace's network). TRACE=1 runs the agents with -v and each log line stamped with
# its time, kept in TRACE_DIR/hI.log with the per-host times (w1, w2, w3).
set -u
cd "$(dirname "$0")/.."
N=${1:-20}
PERIOD=${PERIOD:-10s}
[ "$(id -u)" = 0 ] || { echo "bench/fleet.sh: needs root" >&2; exit 1; }
TANK=${TANK:-$PWD/tank}
[ -x "$TANK" ] || { echo "bench/fleet.sh: build ./tank first" >&2; exit 1; }
for c in git jq ip unshare curl; do
    command -v $c >/dev/null || { echo "bench/fleet.sh: needs $c" >&2; exit 1; }
done
[ -f build/oci/busybox/index.json ] || make -s demo-image >/dev/null
IMAGE="oci:$PWD/build/oci/busybox:latest"
. t/pod-yaml.sh
T=$(mktemp -d /tmp/tank-fleet.XXXXXX)
HUB=tank-fleet-$$-hub
CG=tank-fleet-$$
AGENTS=()
DAEMON=
ACCT= # a cpuacct cgroup below this shell's own holding all of the fleet: the CPU it used
now() { date +%s.%N; }
ns() { echo "tank-fleet-$$-$1"; }
cfg() { echo "$T/h$1/tank.ini"; }

cleanup() {
    set +e
    [ -n "$ACCT" ] && echo $$ >"$(dirname "$ACCT")/cgroup.procs"
    if [ ${#AGENTS[@]} -gt 0 ]; then # every pod stopped through its agent: empty folders
        # (a folder removed would keep its pods running, as a host's folder gone should)
        rm -f "$T"/work/hosts/*/*.yaml
        for i in $(seq "$N"); do mkdir -p "$T/work/hosts/fleet-$i" && touch "$T/work/hosts/fleet-$i/.keep"; done
        commit empty >/dev/null
        pids=()
        for i in $(seq "$N"); do "$TANK" sync --config "$(cfg $i)" >/dev/null 2>&1 & pids+=($!); done
        wait "${pids[@]}"
        for i in $(seq "$N"); do
            for _ in $(seq 300); do
                [ "$("$TANK" status --config "$(cfg $i)" -o json 2>/dev/null |
                    jq '[.pods[] | select(.scheduled != false)] | length')" = 0 ] && break
                sleep 0.1
            done
        done
        for pid in "${AGENTS[@]}"; do kill "$pid" 2>/dev/null; done
        wait "${AGENTS[@]}" 2>/dev/null
    fi
    [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
    for cg in $(find /sys/fs/cgroup -maxdepth 8 -type d -name "$CG*" 2>/dev/null); do
        for d in $(find "$cg" -depth -type d); do
            for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        done
        sleep 0.2
        find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    grep " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    for i in $(seq "$N"); do ip netns del "$(ns $i)" 2>/dev/null; done
    ip netns del "$HUB" 2>/dev/null
    [ -n "$ACCT" ] && rmdir "$ACCT"
    if [ -n "${TRACE_DIR:-}" ]; then
        mkdir -p "$TRACE_DIR"
        for i in $(seq "$N"); do cp "$T/h$i/agent.log" "$TRACE_DIR/h$i.log"; done
        cp "$T"/w[0-9] "$TRACE_DIR/" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM

g() { git -C "$T/work" -c user.name=bench -c user.email=bench@example.com "$@"; }
commit() { g add -A && g commit -q -m "$1" && g push -q "$T/origin.git" main && g rev-parse HEAD; }
# workload ID: a service that ends on SIGTERM, as servers do (a bare sleep, PID 1 of its
# namespace, would ignore it and hold each stop for the whole grace period; SLOW_STOP=1).
workload() {
    if [ -n "${SLOW_STOP:-}" ]; then echo "exec sleep $1"; else echo "trap 'exit 0' TERM; sleep $1 & wait"; fi
}
# write_rev GEN: each host's own pod and the shared nodeSelector pod, generation GEN.
write_rev() {
    local i d
    for i in $(seq "$N"); do
        d=$T/work/hosts/fleet-$i
        mkdir -p "$d"
        pod_manifest "own-$1" cmd="$(workload 1$1$i)" grace=1 >"$d/own.yaml"
        pod_manifest "shared-$1" cmd="$(workload 2$1$i)" grace=1 \
            pod_yaml="  nodeSelector: {role: odd}" >"$d/shared.yaml"
    done
}

# stamp: the agent's log lines with the time they were written (TRACE=1: debug lines too,
# the log kept in TRACE_DIR/hI.log).
stamp() {
    if [ -n "${TRACE:-}" ]; then perl -MTime::HiRes=time -ne '$|=1; printf "%.6f %s", time, $_'; else cat; fi
}
# cpu: the CPU time (ns) the fleet has used so far (agents, git, pods, git daemon, the
# bench's own tank sync calls and watcher), or nothing without cgroup v1's cpuacct.
own=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' /proc/self/cgroup)
if [ -n "$own" ] && [ -d "/sys/fs/cgroup/cpuacct$own" ] &&
    mkdir "/sys/fs/cgroup/cpuacct${own%/}/tank-fleetacct-$$" 2>/dev/null; then
    ACCT=/sys/fs/cgroup/cpuacct${own%/}/tank-fleetacct-$$
    echo $$ >"$ACCT/cgroup.procs"
fi
cpu() { [ -n "$ACCT" ] && cat "$ACCT/cpuacct.usage"; }
# cpu_pods: of it, the pods' (their cgroups, [resources] cgroup of each host, hierarchical:
# what pods since removed used stays counted).
cpu_pods() { [ -n "$ACCT" ] && cat "$ACCT"/"$CG"-*/cpuacct.usage 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# cpu_procs: "AGENTS CHILDREN DAEMON" in ns: the agents' own CPU, their reaped children's
# (git, helpers), the git daemon's reaped children's (upload-pack), from /proc/PID/stat.
cpu_procs() {
    {
        for pid in "${AGENTS[@]}"; do echo "a $(cut -d' ' -f14-17 "/proc/$pid/stat")"; done
        # git daemon runs git-daemon as its child, which reaps the upload-packs
        echo "d $(cut -d' ' -f14-17 "/proc/$(pgrep -P "$DAEMON" git-daemon || echo "$DAEMON")/stat")"
    } 2>/dev/null | awk -v t="$(getconf CLK_TCK)" '
        $1 == "a" {a += $2 + $3; c += $4 + $5} $1 == "d" {d += $4 + $5}
        END {printf "%.0f %.0f %.0f\n", a / t * 1e9, c / t * 1e9, d / t * 1e9}'
}
# cpu_used NAME "CPU PODS PROCS" "CPU PODS PROCS": the CPU used from the first reading to the
# second, the least wall time it needs on this machine's CPUs, and its parts.
cpu_used() {
    [ -n "$ACCT" ] || return 0
    awk -v name="$1" -v s0="$2" -v s1="$3" -v n="$(nproc)" 'BEGIN {
        split(s0, u, " "); split(s1, v, " "); a = u[1]; b = v[1]; pa = u[2]; pb = v[2]
        x[1] = u[3]; x[2] = u[4]; x[3] = u[5]; y[1] = v[3]; y[2] = v[4]; y[3] = v[5]
        ag = (y[1] - x[1]) / 1e9; ch = (y[2] - x[2]) / 1e9; dm = (y[3] - x[3]) / 1e9; po = (pb - pa) / 1e9
        all = (b - a) / 1e9
        printf "%-44s %.2fs of CPU (at least %.2fs on %d CPUs)\n", name, all, all / n, n
        printf "    agents %.2fs, their git and helpers %.2fs, git daemon %.2fs, pods %.2fs, the rest (container monitors and starts, tank sync, the watcher) %.2fs\n",
            ag, ch, dm, po, all - ag - ch - dm - po }'
}

# The hub: a bridge and git daemon on 192.0.2.1; each host a veth into it.
ip netns add "$HUB" || exit 1
ip -n "$HUB" link set lo up
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" addr add 192.0.2.1/24 dev br0
ip -n "$HUB" link set br0 up
git init -q --bare -b main "$T/origin.git"
git init -q -b main "$T/work"
write_rev 1
c1=$(commit one)
ip netns exec "$HUB" git daemon --reuseaddr --listen=192.0.2.1 --export-all \
    --base-path="$T" "$T" 2>"$T/daemon.log" &
DAEMON=$!
for i in $(seq "$N"); do
    n=$(ns $i)
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip -n "$HUB" link add "v$i" type veth peer name eth0 netns "$n"
    ip -n "$HUB" link set "v$i" master br0 up
    ip -n "$n" addr add "192.0.2.$((10 + i))/24" dev eth0
    ip -n "$n" link set eth0 up
    mkdir -p "$T/h$i"/{state,run,log}
    cat >"$(cfg $i)" <<EOC
[host]
labels = role=$([ $((i % 2)) = 1 ] && echo odd || echo even)
[agent]
pods_dir = $T/h$i/repo/current/hosts/%H
state_dir = $T/h$i/state
run_dir = $T/h$i/run
log_dir = $T/h$i/log
socket = $T/h$i/tank.sock
[resources]
cgroup = $CG-$i
[sync]
repo = git://192.0.2.1/origin.git
ref = main
period = $PERIOD
root = $T/h$i/repo
EOC
    nsenter --net="/run/netns/$n" -- unshare --uts sh -c "hostname fleet-$i && exec '$TANK' agent ${TRACE:+-v} --config '$(cfg $i)'" \
        2> >(stamp >"$T/h$i/agent.log") &
    AGENTS+=($!)
done

# converged I REV GEN: host I runs exactly the pods of generation GEN, all Running.
converged() {
    local want
    want=$([ $(($1 % 2)) = 1 ] && echo "[\"own-$3\",\"shared-$3\"]" || echo "[\"own-$3\"]")
    "$TANK" status --config "$(cfg $1)" -o json 2>/dev/null | jq -e --arg rev "$2" \
        "(.revision == \$rev) and ([.pods[] | select(.scheduled != false) | .name] | sort) == $want and
         all(.pods[] | select(.scheduled != false); .phase == \"Running\")" >/dev/null
}
# watch REV GEN OUT: once every host runs REV, "I PUBLISHED CONVERGED" per host in OUT (from
# what the hosts record, bench/fleetwatch.py: nothing polls the agents meanwhile), then each
# host's status checked once.
watch() {
    python3 bench/fleetwatch.py "$T" "$N" "$1" "$2" >"$3" || exit 1
    CPU_END="$(cpu) $(cpu_pods) $(cpu_procs)" # before the checks, which cost CPU too
    for i in $(seq "$N"); do converged $i "$1" "$2" || { echo "host $i: not converged to $1" >&2; exit 1; }; done
}
stats() { # name, then values on stdin: median p90 max
    sort -n | awk -v name="$1" '{v[NR]=$1} END {
        if (!NR) { print name ": no data"; exit }
        m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.9 + 0.999)]; if (p == "") p = v[NR]
        printf "%-44s median %.2fs  p90 %.2fs  max %.2fs  (%d hosts)\n", name, m, p, v[NR], NR }'
}

echo "fleet: $N hosts, sync period $PERIOD, git daemon on 192.0.2.1 (tmp $T)"
start=$(now)
watch "$c1" 1 "$T/w1"
echo "first start (clone, pull, run):  all $N converged after $(awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}')s"

# (a) a commit, hosts on their period
write_rev 2
pushed=$(now)
c2=$(commit two)
watch "$c2" 2 "$T/w2"
awk '{print $3 - $2}' "$T/w2" | stats "(a) period: publish -> converged"
awk -v p="$pushed" '{print $2 - p}' "$T/w2" | stats "(a) period: push -> published"
awk -v p="$pushed" '{print $3 - p}' "$T/w2" | stats "(a) period: push -> converged"

# (b) a commit, then POST /v1/sync to every host at once (the webhook path)
write_rev 3
c3=$(commit three)
pushed=$(now)
cpu0="$(cpu) $(cpu_pods) $(cpu_procs)"
S=()
for i in $(seq "$N"); do "$TANK" sync --config "$(cfg $i)" >/dev/null & S+=($!); done
watch "$c3" 3 "$T/w3"
wait "${S[@]}"
awk '{print $3 - $2}' "$T/w3" | stats "(b) webhook: publish -> converged"
awk -v p="$pushed" '{print $2 - p}' "$T/w3" | stats "(b) webhook: push -> published"
awk -v p="$pushed" '{print $3 - p}' "$T/w3" | stats "(b) webhook: push -> converged"
cpu_used "(b) webhook: the fleet used" "$cpu0" "$CPU_END"
