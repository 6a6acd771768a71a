# What the agent benchmarks (bench/agent.sh, bench/probes.sh, bench/start-manifest.sh) share:
# sourced from the repository's top directory with TANK set.
#   bench_setup        T (a temp dir with pods/, state/, run/, log/; run/ a tmpfs with
#                      RUN_TMPFS=1), SOCK, IMAGE (the demo busybox image), $T/tank.ini
#                      over them; an EXIT trap that removes the pods (waiting until the
#                      agent has stopped them), the agent, mounts left under $T and $T.
#                      BENCH_CLEANUP, when set, runs first.
#   bench_agent_start  the agent in a network namespace of its own (AGENT its pid), ready
#                      and with the image pulled
#   now_ms, api PATH   the time in ms; a GET of the agent's API
# and pod_manifest/put_pod (t/pod-yaml.sh).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
api() { curl -fsS --unix-socket "$SOCK" "http://tank$1"; }

bench_cleanup() {
    [ -z "${BENCH_CLEANUP:-}" ] || $BENCH_CLEANUP
    if [ -n "$AGENT" ]; then
        rm -f "$T"/pods/*.yaml
        for _ in $(seq 900); do
            [ "$(api /v1/pods 2>/dev/null | jq '.pods | length')" = 0 ] && break
            sleep 0.1
        done
        kill "$AGENT" 2>/dev/null
        wait "$AGENT" 2>/dev/null
    fi
    grep " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$T"
}

bench_setup() {
    [ -f build/oci/busybox/index.json ] || make -s demo-image >/dev/null
    IMAGE="oci:$PWD/build/oci/busybox:latest"
    T=$(mktemp -d /tmp/tank-bench.XXXXXX)
    SOCK=$T/tank.sock
    AGENT=
    trap bench_cleanup EXIT
    mkdir -p "$T/pods" "$T/state" "$T/run" "$T/log"
    # RUN_TMPFS=1: run_dir on a tmpfs, as /run/tank is on most hosts (records, container
    # state); the rest stays on $T's file system.
    [ "${RUN_TMPFS:-0}" = 1 ] && mount -t tmpfs -o mode=0700 tank-bench-run "$T/run"
    printf '[agent]\npods_dir = %s/pods\nstate_dir = %s/state\nrun_dir = %s/run\nlog_dir = %s/log\nsocket = %s\n' \
        "$T" "$T" "$T" "$T" "$SOCK" >"$T/tank.ini"
}

bench_agent_start() {
    unshare --net -- "$TANK" agent --config "$T/tank.ini" 2>"$T/agent.log" &
    AGENT=$!
    for _ in $(seq 200); do api /healthz >/dev/null 2>&1 && break; sleep 0.05; done
    "$TANK" pull --config "$T/tank.ini" "$IMAGE" >/dev/null 2>&1
}

. t/pod-yaml.sh
