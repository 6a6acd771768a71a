#!/bin/bash
# Pod start benchmark, `bench/start.sh manifest` (prints figures and ratios; asserts nothing;
# not run by make check): from the start of the action to the first instruction of the
# workload, `sh -c 'echo x >/bench/go'`, where /bench/go is a FIFO of the host's that the
# bench reads (bind-mounted into the container). The same busybox image, ROUNDS rounds
# (default 9, at least 7), one of each in turn so that load from elsewhere weighs on all
# alike, after one warm-up round each; medians:
#   tank    a manifest (restartPolicy Never, image present) renamed into the pods_dir of a
#           running agent (inotify -> read -> pass -> pod sandbox -> container)
#   tank limited  the same with requests and limits of cpu and memory (memory and cpu limits
#           written into the pod's and the container's cgroups): what the limits cost
#   crun    crun run of an equivalent bundle (umoci unpack; same command and bind mount;
#           crun's default namespaces, a network namespace included, as a pod has)
#   podman  podman kube play --network none of the same manifest (image in its store)
# Goal: tank <= 1.0x crun; tank limited within a few ms of tank.
# Usage: [PEERS=0] bench/start.sh manifest   (root; everything under a temp dir, removed
#        afterwards; PEERS=0: tank and tank limited only, no crun or podman)
set -u
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-9}
[ "$ROUNDS" -ge 7 ] || ROUNDS=7
[ "$(id -u)" = 0 ] || { echo "bench/start.sh manifest: needs root" >&2; exit 1; }
make -s tank >/dev/null || exit 1
[ -f build/oci/busybox/index.json ] || make -s demo-image >/dev/null || exit 1
TANK=$PWD/tank
. bench/lib.sh
bench_setup
HUGETLB_MOUNTED= P=
peers_cleanup() {
    [ -n "$P" ] && $P system reset -f >/dev/null 2>&1
    [ -n "$HUGETLB_MOUNTED" ] && umount /sys/fs/cgroup/hugetlb 2>/dev/null &&
        rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
}
BENCH_CLEANUP=peers_cleanup
now_us() { echo "${EPOCHREALTIME/./}"; } # no fork
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }
ms() { awk -v n="$1" 'BEGIN {printf "%.1f", n / 1000}'; }

# The FIFO, held open read-write here so that neither side ever blocks in open().
mkdir -p "$T/bench"
mkfifo "$T/bench/go"
exec 3<>"$T/bench/go"
# wait_go: the workload's line, or give up after 30 s.
wait_go() { read -r -t 30 -u 3 _; }
CMD='echo x >/bench/go'

LIMITS=${LIMITS:-'    resources: {requests: {cpu: 50m, memory: 16Mi}, limits: {cpu: 500m, memory: 64Mi}}'}
manifest() { # NAME IMAGE PULL [RESOURCES]
    pod_manifest "$1" image="$2" pull="$3" policy=Never grace=1 cmd="$CMD" \
        ctr_yaml="    volumeMounts:
    - {name: bench, mountPath: /bench}${4:+
$4}" \
        pod_yaml="  volumes:
  - name: bench
    hostPath: {path: $T/bench, type: Directory}"
}

# tank: the agent in a network namespace of its own, the image pulled beforehand.
bench_agent_start || { echo "tank pull failed" >&2; exit 1; }
tank_round() { # I OUTFILE [RESOURCES]
    manifest "m$1" "$IMAGE" IfNotPresent "${3:-}" >"$T/pods/.m$1.tmp"
    local t0 t1
    t0=$(now_us)
    mv "$T/pods/.m$1.tmp" "$T/pods/m$1.yaml"
    wait_go || { echo "tank: the workload never ran: $(api /v1/pods/m$1)" >&2; exit 1; }
    t1=$(now_us)
    echo $((t1 - t0)) >>"$2"
    rm "$T/pods/m$1.yaml"
    for _ in $(seq 300); do api "/v1/pods/m$1" >/dev/null 2>&1 || break; sleep 0.02; done
    sleep 0.2 # the agent quiet again, as a manifest landing on an idle host finds it
}

# crun needs a v1 hugetlb hierarchy on this hybrid layout (see PEERS.md); podman runs crun.
[ "${PEERS:-1}" = 0 ] || if command -v crun >/dev/null || command -v podman >/dev/null; then
    if ! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/self/mountinfo; then
        mkdir -p /sys/fs/cgroup/hugetlb &&
            mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && HUGETLB_MOUNTED=1
    fi
fi
HAVE_CRUN=
if [ "${PEERS:-1}" != 0 ] && command -v crun >/dev/null && umoci unpack --image build/oci/busybox:latest "$T/bundle" >/dev/null; then
    jq --arg src "$T/bench" --arg cmd "$CMD" '.process.args = ["sh", "-c", $cmd] |
        .process.terminal = false |
        .mounts += [{"destination": "/bench", "type": "bind", "source": $src,
                     "options": ["rbind", "rw"]}]' \
        "$T/bundle/config.json" >"$T/config.json" && mv "$T/config.json" "$T/bundle/config.json"
    HAVE_CRUN=1
fi
crun_round() { # I OUTFILE
    local t0 t1 pid
    t0=$(now_us)
    crun --root "$T/crun" run -b "$T/bundle" "tank-bench-$$-$1" >/dev/null 2>"$T/crun.err" &
    pid=$!
    wait_go || { echo "crun: the workload never ran: $(cat "$T/crun.err")" >&2; HAVE_CRUN=; }
    t1=$(now_us)
    wait "$pid"
    [ -n "$HAVE_CRUN" ] && echo $((t1 - t0)) >>"$2"
}

HAVE_PODMAN=
if [ "${PEERS:-1}" != 0 ] && command -v podman >/dev/null && command -v skopeo >/dev/null; then
    n=$(ulimit -Hn); [ "$n" = unlimited ] || [ "$n" -gt 20000 ] && n=20000
    u=$(ulimit -Hu); [ "$u" = unlimited ] || [ "$u" -gt 32768 ] && u=32768
    printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$n" "$n" "$u" "$u" >"$T/containers.conf"
    export CONTAINERS_CONF=$T/containers.conf
    P="podman --root $T/podman/root --runroot $T/podman/run --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
    if skopeo copy -q "oci:$PWD/build/oci/busybox:latest" \
        "containers-storage:[overlay@$T/podman/root+$T/podman/run]localhost/tank-bench-busybox:latest" >/dev/null; then
        HAVE_PODMAN=1
    fi
fi
podman_round() { # I OUTFILE
    manifest "p$1" localhost/tank-bench-busybox:latest Never >"$T/podman.yaml"
    local t0 t1 pid
    t0=$(now_us)
    $P kube play --network none "$T/podman.yaml" >"$T/podman.out" 2>&1 &
    pid=$!
    wait_go || { echo "podman: the workload never ran: $(tail -n 2 "$T/podman.out")" >&2; HAVE_PODMAN=; }
    t1=$(now_us)
    wait "$pid"
    [ -n "$HAVE_PODMAN" ] && echo $((t1 - t0)) >>"$2"
    $P kube down "$T/podman.yaml" >/dev/null 2>&1
}

# One warm-up round each (podman builds its pause image on the first play), then ROUNDS.
tank_round 0 /dev/null
tank_round l0 /dev/null "$LIMITS"
[ -n "$HAVE_CRUN" ] && crun_round 0 /dev/null
[ -n "$HAVE_PODMAN" ] && podman_round 0 /dev/null
: >"$T/tank.us"; : >"$T/limited.us"; : >"$T/crun.us"; : >"$T/podman.us"
for i in $(seq "$ROUNDS"); do
    tank_round "$i" "$T/tank.us"
    tank_round "l$i" "$T/limited.us" "$LIMITS"
    [ -n "$HAVE_CRUN" ] && crun_round "$i" "$T/crun.us"
    [ -n "$HAVE_PODMAN" ] && podman_round "$i" "$T/podman.us"
done
TK=$(median <"$T/tank.us") TL=$(median <"$T/limited.us") CR=$(median <"$T/crun.us") PD=$(median <"$T/podman.us")

echo "pod start, until the workload's first instruction: $ROUNDS rounds each, medians (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-52s %8s ms  (all: %s)\n' "tank: manifest renamed into pods_dir (agent running)" "$(ms "$TK")" "$(tr '\n' ' ' <"$T/tank.us")"
printf '  %-52s %8s ms  (all: %s)\n' "tank limited: the same with cpu/memory limits" "$(ms "$TL")" "$(tr '\n' ' ' <"$T/limited.us")"
# (each limited round follows an unlimited one: the median of the pairs' differences is less
# swayed by load from elsewhere than the difference of the medians)
PD=$(paste "$T/limited.us" "$T/tank.us" | awk '{print $1 - $2}' | median)
awk -v a="$TL" -v b="$TK" -v d="$PD" 'BEGIN {printf "  limited - unlimited = %+.1f ms (%.2fx), median of the rounds'"'"' differences %+.1f ms (goal: a few ms)\n", (a - b) / 1000, a / b, d / 1000}'
[ -s "$T/crun.us" ] && printf '  %-52s %8s ms  (all: %s)\n' "crun run" "$(ms "$CR")" "$(tr '\n' ' ' <"$T/crun.us")"
[ -s "$T/podman.us" ] && printf '  %-52s %8s ms  (all: %s)\n' "podman kube play --network none" "$(ms "$PD")" "$(tr '\n' ' ' <"$T/podman.us")"
[ -s "$T/crun.us" ] && awk -v a="$TK" -v b="$CR" 'BEGIN {printf "  tank / crun   = %.2fx (goal <= 1.0)\n", a / b}'
[ -s "$T/podman.us" ] && awk -v a="$TK" -v b="$PD" 'BEGIN {printf "  tank / podman = %.2fx\n", a / b}'
exit 0
