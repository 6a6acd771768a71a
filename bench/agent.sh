#!/bin/bash
# Agent benchmark (prints figures and ratios; asserts nothing):
#  (a) latency from writing a manifest to the workload running (its pid in the status API),
#      image cached, against `podman kube play` of the same manifest when podman is here;
#  (b) N sleeper pods (default 200): time to converge, agent RSS, monitor RSS each, agent
#      CPU while idle;
#  (c) the N deleted at once: time until all are gone, and the agent's answers meanwhile.
# LIMITS=1 gives every pod requests and limits (cgroup limits written at each start);
# RUN_TMPFS=1 puts run_dir on a tmpfs (bench/lib.sh).
# Usage: [LIMITS=1] bench/agent.sh [N]   (root; everything under a temp dir, removed afterwards)
set -u
cd "$(dirname "$0")/.."
N=${1:-200}
ROUNDS=${ROUNDS:-10}
[ "$(id -u)" = 0 ] || { echo "bench/agent.sh: needs root" >&2; exit 1; }
TANK=$PWD/tank
[ -x "$TANK" ] || { echo "bench/agent.sh: build ./tank first" >&2; exit 1; }
. bench/lib.sh
bench_setup
HUGETLB_MOUNTED=
unmount_hugetlb() {
    [ -n "$HUGETLB_MOUNTED" ] && umount /sys/fs/cgroup/hugetlb 2>/dev/null &&
        rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
}
BENCH_CLEANUP=unmount_hugetlb
# LIMITS=1: every pod with requests and limits (a memory and a cpu limit in its cgroups).
LIMITS_YAML=
[ "${LIMITS:-0}" = 1 ] &&
    LIMITS_YAML='    resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {cpu: 100m, memory: 32Mi}}'
manifest() { pod_manifest "$1" ctr=sleeper grace=1 argv='["sleep", "100000"]' ctr_yaml="$LIMITS_YAML"; } # NAME
bench_agent_start

# (a) latency: write the manifest, poll the API (1 ms) until the pod has a running pid.
lat=()
for i in $(seq "$ROUNDS"); do
    start=$(now_ms)
    manifest "lat$i" >"$T/pods/.lat$i.tmp" && mv "$T/pods/.lat$i.tmp" "$T/pods/lat$i.yaml"
    until api "/v1/pods/lat$i" 2>/dev/null | jq -e '.containers[0].pid != null' >/dev/null; do
        sleep 0.001
        [ $(( $(now_ms) - start )) -lt 30000 ] || { echo "lat$i never ran"; break; }
    done
    lat+=($(( $(now_ms) - start )))
    rm "$T/pods/lat$i.yaml"
done
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
tank_med=$(sed -n "$(( (ROUNDS + 1) / 2 ))p" <<<"$sorted")
echo "manifest -> running (tank): median ${tank_med} ms over $ROUNDS runs (all: ${lat[*]})"
if command -v podman >/dev/null && command -v skopeo >/dev/null; then
    # podman on its own temporary storage, with the same image copied in (no network).
    # Two adjustments podman needs here (see PEERS.md): limits root may set without
    # CAP_SYS_RESOURCE, and a v1 hugetlb hierarchy for crun on this hybrid cgroup layout.
    n=$(ulimit -Hn); [ "$n" = unlimited ] || [ "$n" -gt 20000 ] && n=20000
    u=$(ulimit -Hu); [ "$u" = unlimited ] || [ "$u" -gt 32768 ] && u=32768
    printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$n" "$n" "$u" "$u" >"$T/containers.conf"
    if ! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/self/mountinfo; then
        mkdir -p /sys/fs/cgroup/hugetlb &&
            mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && HUGETLB_MOUNTED=1
    fi
    export CONTAINERS_CONF=$T/containers.conf
    P="podman --root $T/podman/root --runroot $T/podman/run --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
    skopeo copy -q "oci:$PWD/build/oci/busybox:latest" \
        "containers-storage:[overlay@$T/podman/root+$T/podman/run]localhost/tank-bench-busybox:latest" >/dev/null
    manifest podlat | sed "s|$IMAGE|localhost/tank-bench-busybox:latest|; s|IfNotPresent|Never|" >"$T/podman.yaml"
    plat=()
    for i in $(seq "$ROUNDS"); do
        start=$(now_ms)
        # kube play returns once the pod's containers were started.
        if ! $P kube play --network none "$T/podman.yaml" >"$T/podman.out" 2>&1 ||
            grep -q "^Error\|failed to start" "$T/podman.out"; then
            echo "podman kube play: cannot run here: $(grep -m1 -o 'crun: .*\|Error: .*' "$T/podman.out")"
            plat=()
            break
        fi
        plat+=($(( $(now_ms) - start )))
        $P kube down "$T/podman.yaml" >/dev/null 2>&1
    done
    if [ ${#plat[@]} -gt 0 ]; then
        p_med=$(printf '%s\n' "${plat[@]}" | sort -n | sed -n "$(( (${#plat[@]} + 1) / 2 ))p")
        echo "podman kube play: median ${p_med} ms (all: ${plat[*]}); ratio tank/podman = $(awk "BEGIN{printf \"%.3f\", $tank_med/$p_med}")"
    fi
    $P system reset -f >/dev/null 2>&1
else
    echo "podman kube play: podman or skopeo is not installed, no comparison"
fi
for _ in $(seq 300); do [ "$(api /v1/pods | jq '.pods | length')" = 0 ] && break; sleep 0.1; done

# (b) N sleepers at once.
start=$(now_ms)
for i in $(seq "$N"); do manifest "s$i" >"$T/pods/s$i.yaml"; done
until [ "$(api /v1/pods | jq '[.pods[] | select(.phase == "Running")] | length')" = "$N" ]; do
    sleep 0.1
    [ $(( $(now_ms) - start )) -lt 600000 ] || { echo "did not converge in 600 s"; break; }
done
echo "$N sleeper pods: converged in $(( $(now_ms) - start )) ms"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
echo "restarts: $(api /v1/pods | jq "[.pods[].containers[].restarts] | add")"
echo "agent RSS: $(rss "$AGENT") KiB"
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
echo "agent PSS: $(pss "$AGENT") KiB"
mon_total=0 mon_pss=0 mon_n=0
for f in "$T"/run/pods/*/containers/*/state; do
    m=$(grep -o 'monitor_pid=[0-9]*' "$f" | grep -o '[0-9]*$')
    [ -n "$m" ] && [ -e "/proc/$m/status" ] || continue
    mon_total=$((mon_total + $(rss "$m"))); mon_pss=$((mon_pss + $(pss "$m"))); mon_n=$((mon_n + 1))
done
[ $mon_n -gt 0 ] && echo "monitor RSS: $((mon_total / mon_n)) KiB each, PSS $((mon_pss / mon_n)) KiB each (mean of $mon_n)"
sleep 2 # the last starts settled
ticks() { awk '{print $14 + $15}' "/proc/$AGENT/stat"; }
t0=$(ticks); sleep 10; t1=$(ticks)
echo "agent CPU while idle with $N pods: $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) )) ms over 10 s"
# What reading every pod's usage costs the loop: GET /v1/pods and /metrics (median of 5),
# and the agent's own CPU time per answer (its schedstat; less swayed by load from elsewhere).
cpu_ns() { cut -d' ' -f1 "/proc/$AGENT/schedstat"; }
for path in /v1/pods /metrics; do
    ts=()
    c0=$(cpu_ns)
    for _ in 1 2 3 4 5; do
        s0=$(date +%s%N); api "$path" >/dev/null; ts+=($(( ($(date +%s%N) - s0) / 1000 )))
    done
    c1=$(cpu_ns)
    echo "GET $path with $N pods: median $(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p) us, agent CPU $(( (c1 - c0) / 5000 )) us each"
done

# (c) all N deleted at once: time until every pod is gone, and the loop's answers meanwhile
# (GET /healthz latency, curl's own start included; a removal on the loop stalls them all).
hz=()
start=$(now_ms)
rm -f "$T"/pods/s*.yaml
while :; do
    s0=$(date +%s%N); api /healthz >/dev/null; hz+=($(( ($(date +%s%N) - s0) / 1000 )))
    [ $(( ${#hz[@]} % 10 )) = 0 ] && [ "$(api /v1/pods | jq '.pods | length')" = 0 ] && break
    [ $(( $(now_ms) - start )) -lt 300000 ] || { echo "pods not gone in 300 s"; break; }
done
gone=$(( $(now_ms) - start ))
sorted=$(printf '%s\n' "${hz[@]}" | sort -n)
q() { sed -n "$(( (${#hz[@]} * $1 + 99) / 100 ))p" <<<"$sorted"; }
echo "$N pods deleted: all gone in $gone ms; GET /healthz meanwhile (${#hz[@]} calls): median $(q 50) us, p99 $(q 99) us, max $(tail -n 1 <<<"$sorted") us"
