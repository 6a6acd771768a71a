#!/bin/bash
# Container start benchmark (prints figures and ratios; asserts nothing; not run by make check).
# Same busybox image, same run, ROUNDS each (default 20), medians:
#   tank    t/ctrctl run: sandbox_container_start() with the image's layer as the overlayfs
#           lower dir (a cached rootfs), until /bin/true exited; plus start_us, the time from
#           spawn until the workload exec'd (the close-on-exec pipe closing)
#   crun    crun run of an equivalent bundle (umoci unpack; args /bin/true, no terminal, no
#           network namespace: tank joins the pod's, it does not make one per container)
#   podman  podman run --rm --network none of the same image (pulled into a temp store first)
# Also the RSS of one running container's monitor. Target: tank within 1.5x of crun, >= 5x
# faster than podman.
# Usage: bench/start.sh   (root; everything under a temp dir, removed afterwards)
#        bench/start.sh manifest: a pod from its manifest landing in pods_dir of a running
#        agent to its workload's first instruction, against crun run and podman kube play
#        (bench/start-manifest.sh)
set -u
[ "${1:-}" = manifest ] && exec "$(dirname "$0")/start-manifest.sh"
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-20}
[ "$(id -u)" = 0 ] || { echo "bench/start.sh: needs root" >&2; exit 1; }
make -s tank t/ctrctl >/dev/null || exit 1
[ -f build/oci/busybox/index.json ] || make -s demo-image >/dev/null || exit 1
T=$(mktemp -d /tmp/tank-bench-start.XXXXXX)
HUGETLB_MOUNTED=
cleanup() {
    [ -n "$HUGETLB_MOUNTED" ] && umount /sys/fs/cgroup/hugetlb 2>/dev/null &&
        rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
    grep " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
        xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print 0}'; }
ms() { awk -v n="$1" 'BEGIN {printf "%.2f", n / 1e6}'; }

umoci unpack --image build/oci/busybox:latest "$T/bundle" >/dev/null || exit 1
jq '.process.args = ["/bin/true"] | .process.terminal = false |
    .linux.namespaces |= map(select(.type != "network"))' \
    "$T/bundle/config.json" >"$T/config.json" && mv "$T/config.json" "$T/bundle/config.json"
ROOTFS=$T/bundle/rootfs
# State dirs live under run_dir, a tmpfs (/run) on a real host.
mkdir -p "$T/run" && mount -t tmpfs -o size=64m tmpfs "$T/run" || exit 1

# One round of each, interleaved, so that load from elsewhere weighs on all three alike.
: >"$T/tank.ns"; : >"$T/tank.start"
tank_round() {
    local t0 t1 out
    t0=$(now_ns)
    out=$(t/ctrctl run --state "$T/run/tank" --layer "$ROOTFS" --rw "$T/tank/rw" -- /bin/true)
    t1=$(now_ns)
    case "$out" in *"exit 0"*) ;; *) echo "tank run failed: $out" >&2; exit 1 ;; esac
    echo $((t1 - t0)) >>"$T/tank.ns"
    echo "$out" | awk '/^start_us/ {print $2 * 1000}' >>"$T/tank.start"
}

# the monitor of a running container
t/ctrctl run --state "$T/run/mon" --layer "$ROOTFS" --rw "$T/mon/rw" -- sleep 3 >"$T/mon.out" &
CTL=$!
MON_RSS=?
for _ in $(seq 50); do
    mon=$(awk '/^pid/ {print $4}' "$T/mon.out")
    if [ -n "$mon" ] && readlink "/proc/$mon/exe" 2>/dev/null | grep -q memfd:tank-monitor; then
        MON_RSS=$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$mon/status"); break
    fi
    sleep 0.1
done
wait "$CTL"

# crun needs a v1 hugetlb hierarchy on this hybrid layout (see PEERS.md)
CRUN= HAVE_CRUN=
if command -v crun >/dev/null; then
    if ! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/self/mountinfo; then
        mkdir -p /sys/fs/cgroup/hugetlb &&
            mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && HUGETLB_MOUNTED=1
    fi
    : >"$T/crun.ns"
    HAVE_CRUN=1
fi

# podman, with its storage and configuration in the temp dir
PODMAN= HAVE_PODMAN=
if command -v podman >/dev/null; then
    cat >"$T/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOC
    cat >"$T/storage.conf" <<EOC
[storage]
driver = "overlay"
graphroot = "$T/podman/root"
runroot = "$T/podman/run"
EOC
    export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
    P="podman --root $T/podman/root --runroot $T/podman/run --tmpdir $T/podman/tmp"
    mkdir -p "$T/podman/tmp"
    if $P pull -q "oci:$PWD/build/oci/busybox:latest" >"$T/podman.id" 2>"$T/podman.err"; then
        IMG=$(tail -1 "$T/podman.id")
        : >"$T/podman.ns"
        HAVE_PODMAN=1
    else
        echo "podman pull failed: $(tail -1 "$T/podman.err")" >&2
    fi
fi

crun_round() {
    local t0 t1
    t0=$(now_ns)
    crun --root "$T/crun" run -b "$T/bundle" "tank-bench-$$-$1" >/dev/null 2>"$T/crun.err" ||
        { echo "crun run failed: $(cat "$T/crun.err")" >&2; HAVE_CRUN=; return; }
    t1=$(now_ns)
    echo $((t1 - t0)) >>"$T/crun.ns"
}
podman_round() {
    local t0 t1
    t0=$(now_ns)
    $P run --rm --network none "$IMG" /bin/true >/dev/null 2>"$T/podman.err" ||
        { echo "podman run failed: $(tail -1 "$T/podman.err")" >&2; HAVE_PODMAN=; return; }
    t1=$(now_ns)
    echo $((t1 - t0)) >>"$T/podman.ns"
}
for i in $(seq "$ROUNDS"); do
    tank_round
    [ -n "$HAVE_CRUN" ] && crun_round "$i"
    [ -n "$HAVE_PODMAN" ] && podman_round
done
TANK=$(median <"$T/tank.ns")
TANK_START=$(median <"$T/tank.start")
[ -s "$T/crun.ns" ] && CRUN=$(median <"$T/crun.ns")
[ -s "$T/podman.ns" ] && PODMAN=$(median <"$T/podman.ns")

echo "container start, $ROUNDS rounds each, medians (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-44s %8s ms\n' "tank: spawn until exec (start_us)" "$(ms "$TANK_START")"
printf '  %-44s %8s ms\n' "tank: t/ctrctl run /bin/true, whole" "$(ms "$TANK")"
[ -n "$CRUN" ] && printf '  %-44s %8s ms\n' "crun run /bin/true, whole" "$(ms "$CRUN")"
[ -n "$PODMAN" ] && printf '  %-44s %8s ms\n' "podman run --rm --network none, whole" \
    "$(ms "$PODMAN")"
echo "  monitor RSS of a running container: $MON_RSS"
[ -n "$CRUN" ] && awk -v a="$TANK" -v b="$CRUN" \
    'BEGIN {printf "  tank / crun   = %.2fx (target <= 1.5)\n", a / b}'
[ -n "$PODMAN" ] && awk -v a="$PODMAN" -v b="$TANK" \
    'BEGIN {printf "  podman / tank = %.1fx (target >= 5)\n", a / b}'
exit 0
