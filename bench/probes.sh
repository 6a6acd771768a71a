#!/bin/bash
# Probe benchmark (prints figures; asserts nothing): N pods (default 200) each with a probe
# every second (KIND=exec: `true` through tank exec's path; KIND=http: an httpGet against
# busybox httpd in the pod), then `tank status` latency (p50, p99 and max of 100 calls) and
# the agent's CPU time over 10 s (its own, and with the exec probes' children reaped by it).
# Usage: [KIND=exec|http] bench/probes.sh [N]   (root; everything under a temp dir)
set -u
cd "$(dirname "$0")/.."
N=${1:-200}
KIND=${KIND:-exec}
[ "$(id -u)" = 0 ] || { echo "bench/probes.sh: needs root" >&2; exit 1; }
TANK=$PWD/tank
[ -x "$TANK" ] || { echo "bench/probes.sh: build ./tank first" >&2; exit 1; }
. bench/lib.sh
bench_setup
if [ "$KIND" = http ]; then
    PROBE='    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}'
    ARGV='["sh", "-c", "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p 8080 -h /www"]'
else
    PROBE='    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}'
    ARGV='["sleep", "100000"]'
fi
bench_agent_start
start=$(now_ms)
for i in $(seq "$N"); do pod_manifest "p$i" grace=1 argv="$ARGV" ctr_yaml="$PROBE" >"$T/pods/p$i.yaml"; done
until [ "$(api /v1/pods | jq '[.pods[].containers[] | select(.ready)] | length')" = "$N" ]; do
    sleep 0.2
    [ $(( $(now_ms) - start )) -lt 120000 ] || { echo "not all ready in 120 s"; break; }
done
echo "$N pods with a 1 s $KIND readiness probe: all ready in $(( $(now_ms) - start )) ms"
lat=()
for _ in $(seq 100); do
    s=$(date +%s%N)
    "$TANK" status --config "$T/tank.ini" >/dev/null
    lat+=($(( ($(date +%s%N) - s) / 1000000 )))
    sleep 0.1
done
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
echo "tank status: p50 $(sed -n 50p <<<"$sorted") ms, p99 $(sed -n 99p <<<"$sorted") ms, max $(tail -n 1 <<<"$sorted") ms (100 calls)"
ticks() { awk '{print $14 + $15, $16 + $17}' "/proc/$AGENT/stat"; }
read -r a0 c0 < <(ticks); sleep 10; read -r a1 c1 < <(ticks)
hz=$(getconf CLK_TCK)
echo "agent CPU over 10 s: $(( (a1 - a0) * 1000 / hz )) ms itself, $(( (c1 - c0) * 1000 / hz )) ms in reaped probe children"
echo "Unhealthy events: $(api /v1/events | jq '[.events[] | select(.reason == "Unhealthy")] | length')"
