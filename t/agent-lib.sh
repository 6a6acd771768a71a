# Helpers for the agent's end-to-end tests (t30xx), sourced after lib.sh.
# agent_setup: a temp configuration under $TMP (fast backoff), the busybox OCI image.
# agent_start / agent_kill9 / agent_stop: the agent inside the test's own network namespace.
# pods_json, pod_jq NAME FILTER: the status API through `tank status -o json`.

need_root
command -v jq >/dev/null || skip "jq is not installed"
command -v unshare >/dev/null || skip "unshare is not installed"

CFG=$TMP/tank.ini
PODS=$TMP/pods
SOCK=$TMP/tank.sock
AGENT_PID=
# The pods' cgroups of this test's agent (below the test's own cgroup): a name of its own,
# as other checkouts may run agents at the same time.
AGENT_CGROUP=tank-test-$$

# agent_cgroups: the directories of AGENT_CGROUP in every cgroup hierarchy.
agent_cgroups() {
    find /sys/fs/cgroup -maxdepth 8 -type d -name "$AGENT_CGROUP" 2>/dev/null
}

# agent_pod_cgroups: the pods' cgroups left in any hierarchy (none once every pod is gone).
agent_pod_cgroups() {
    local cg
    for cg in $(agent_cgroups); do
        find "$cg" -mindepth 1 -maxdepth 1 -type d
    done
}

agent_setup() {
    mkdir -p "$PODS" "$TMP/state" "$TMP/run" "$TMP/log"
    cat >"$CFG" <<EOC
[agent]
pods_dir = $PODS
secrets_dir = $TMP/secrets
state_dir = $TMP/state
run_dir = $TMP/run
log_dir = $TMP/log
socket = $SOCK
resync_seconds = 30
[restart]
backoff_initial = ${BACKOFF_INITIAL:-200ms}
backoff_max = ${BACKOFF_MAX:-2s}
backoff_reset = 10m
[resources]
cgroup = $AGENT_CGROUP
EOC
    # Whatever happens, nothing of the test stays: pods stopped by their manifests going,
    # then processes, mounts and the directory.
    at_exit agent_cleanup
    if [ -f "$TANK_SRC/build/oci/busybox/index.json" ]; then
        IMAGE_DIR=$TANK_SRC/build/oci/busybox
    else
        "$TANK_SRC/t/mkimage-busybox.sh" "$TMP/oci" latest >"$TMP/mkimage.log" 2>&1 ||
            skip "cannot build the busybox image: $(tail -n 1 "$TMP/mkimage.log")"
        IMAGE_DIR=$TMP/oci
    fi
    IMAGE="oci:$IMAGE_DIR:latest"
}

# agent_allocatable_memory MIB: [resources] reserved_memory leaves MIB MiB of the host's memory
# allocatable to pods (after agent_setup, before agent_start).
agent_allocatable_memory() {
    local total
    total=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
    [ "$total" -gt 0 ] || skip "no MemTotal in /proc/meminfo"
    printf 'reserved_memory = %s\n' $((total - $1 * 1048576)) >>"$CFG"
}

agent_start() {
    if [ -n "${AGENT_NETNS:-}" ]; then # a namespace of the test's own (with its uplink)
        nsenter --net="$AGENT_NETNS" -- "$TANK" agent --config "$CFG" 2>>"$TMP/agent.log" &
    else
        unshare --net -- "$TANK" agent --config "$CFG" 2>>"$TMP/agent.log" &
    fi
    AGENT_PID=$!
    wait_for 20 curl -fsS --unix-socket "$SOCK" http://tank/healthz
}

agent_kill9() {
    kill -9 "$AGENT_PID" 2>/dev/null
    wait "$AGENT_PID" 2>/dev/null
    AGENT_PID=
}

agent_stop() {
    [ -n "$AGENT_PID" ] || return 0
    kill -TERM "$AGENT_PID" 2>/dev/null
    wait "$AGENT_PID" 2>/dev/null
    AGENT_PID=
}

# Stop every pod through the agent, then make sure no process, mount or link remains.
agent_cleanup() {
    if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
        rm -f "$PODS"/*.yaml 2>/dev/null
        local i
        for i in $(seq 100); do
            [ "$(pods_json 2>/dev/null | jq '.pods | length' 2>/dev/null)" = 0 ] && break
            sleep 0.1
        done
        agent_stop
    fi
    # Leftovers (a failed test): monitors and workloads whose state lives under $TMP.
    local f pid
    for f in "$TMP"/run/pods/*/containers/*/state; do
        [ -f "$f" ] || continue
        for pid in $(grep -o '[0-9]\+' "$f" 2>/dev/null); do
            [ "$pid" -gt 1 ] && grep -qs "$TMP" "/proc/$pid/cmdline" /proc/$pid/environ 2>/dev/null &&
                kill -9 "$pid" 2>/dev/null
        done
    done
    grep " $TMP/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    # The cgroups the agent made (a failed test can leave some): processes in them are the
    # test's own containers.
    local cg d
    for cg in $(agent_cgroups); do
        for d in $(find "$cg" -depth -type d); do
            for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        done
        for i in $(seq 50); do
            find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$cg" ] || break
            sleep 0.1
        done
    done
}

pods_json() { "$TANK" status --config "$CFG" -o json; }
# pod_jq NAME FILTER: FILTER applied to pod NAME's object ("null" when absent).
pod_jq() { pods_json | jq -r --arg n "$1" ".pods[] | select(.name == \$n) | $2"; }
pod_phase() { pod_jq "$1" .phase; }
ctr_jq() { pod_jq "$1" ".containers[] | select(.name == \"$2\") | $3"; }
# wait_pod SECONDS NAME PHASE
wait_phase() { wait_for "$1" sh -c "[ \"\$(\"$TANK\" status --config '$CFG' -o json | jq -r '.pods[] | select(.name == \"$2\") | .phase')\" = '$3' ]"; }
wait_gone() { wait_for "$1" sh -c "[ -z \"\$(\"$TANK\" status --config '$CFG' -o json | jq -r '.pods[] | select(.name == \"$2\") | .name')\" ]"; }
wait_jq() { wait_for "$1" sh -c "\"$TANK\" status --config '$CFG' -o json | jq -e '$2' >/dev/null"; }

. "$TANK_SRC/t/pod-yaml.sh"
# pod_yaml NAME POLICY COMMAND [GRACE]: a one-container manifest running COMMAND (sh -c).
pod_yaml() { pod_manifest "$1" policy="$2" cmd="$3" grace="${4:-2}"; }

# put NAME POLICY COMMAND: write the manifest atomically into the pods directory.
put() {
    pod_yaml "$@" >"$PODS/.$1.tmp" && mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}

# The agent runs containers; skip (not fail) where the sandbox cannot.
skip_unless_containers_run() {
    local name=probe
    put $name Never "exit 0"
    local i st
    for i in $(seq 150); do
        st=$(ctr_jq $name main '.state + " " + (.reason // "")' 2>/dev/null)
        case $st in
        terminated*) rm -f "$PODS/$name.yaml"; wait_gone 30 $name; return 0 ;;
        *CreateContainerError*)
            local msg
            msg=$(pod_jq $name .message)
            rm -f "$PODS/$name.yaml"
            wait_gone 30 $name
            # Only a sandbox that is not there yet, or a machine that forbids namespaces,
            # is a reason to skip; any other start error is a failure.
            case $msg in
            *"not implemented"* | *"Operation not permitted"*) skip "containers cannot run here: $msg" ;;
            *) fail "the probe container failed to start: $msg" ;;
            esac ;;
        esac
        sleep 0.1
    done
    fail "probe pod never ran: $(pods_json)"
}
