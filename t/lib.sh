# Shared helpers for t/tNNNN-*.sh. Source it first. Gives $TANK, $TMP (removed on exit),
# fail/pass/skip, expect_exit, and cleanup hooks that run even when a test fails.
set -u
TANK_SRC=${TANK_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TANK=${TANK:-$TANK_SRC/tank}
TMP=$(mktemp -d /tmp/tank-test.XXXXXX)
_cleanups=()
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
    local i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" || true; done
    rm -rf "$TMP"
}
trap _run_cleanups EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS"; exit 0; }
skip() { echo "SKIP: $*"; exit 77; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
# need_cmds CMD...: skip unless every command is installed.
need_cmds() {
    local c
    for c; do command -v "$c" >/dev/null || skip "$c is not installed"; done
}
# store_config [LINE...]: $TMP/tank.ini with the image store under $TMP/state, then the
# given lines ("[registry]" "insecure = $REGISTRY"); tank runs $TANK with it.
store_config() {
    { printf '[agent]\nstate_dir = %s\n' "$TMP/state" && printf '%s\n' "$@"; } >"$TMP/tank.ini"
}
tank() { "$TANK" --config "$TMP/tank.ini" "$@"; }
# expect_exit CODE CMD...: run CMD, fail unless it exits CODE.
expect_exit() {
    local want=$1; shift
    "$@" >/dev/null 2>&1
    local got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}
# wait_for SECONDS CMD...: poll CMD until it succeeds, fail after SECONDS.
# expect_invalid WHAT PATTERN...: `tank validate` refuses the manifest on stdin (WHAT: what it
# holds, for the failure message) and its output matches each grep PATTERN.
expect_invalid() {
    local what=$1 want
    shift
    mkdir -p "$TMP/m"
    cat >"$TMP/m/bad.yaml"
    "$TANK" validate "$TMP/m/bad.yaml" >"$TMP/v.out" 2>&1 && fail "$what accepted"
    for want in "$@"; do
        grep -q -- "$want" "$TMP/v.out" || fail "$what: no '$want' in: $(cat "$TMP/v.out")"
    done
}

wait_for() {
    local secs=$1; shift
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for: $*"
        sleep 0.1
    done
}

# free_port: print a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# start_registry: run Debian's docker-registry on 127.0.0.1 on a free port with storage in
# $TMP, stopped when the test exits. Sets REGISTRY=127.0.0.1:PORT.
start_registry() {
    command -v docker-registry >/dev/null || skip "docker-registry is not installed"
    local port dir
    port=$(free_port) || fail "no free port"
    dir=$TMP/registry
    mkdir -p "$dir/data"
    cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOC
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    local pid=$!
    at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    REGISTRY=127.0.0.1:$port
    wait_for 60 curl -fsS "http://$REGISTRY/v2/"
}

# start_fakereg [FAKEREG_ARGS...]: run the scripted registry t/fakereg.py on 127.0.0.1 (a
# port the kernel picks), stopped when the test exits. Sets FAKEREG=127.0.0.1:PORT and
# FAKEREG_DIR (holding info.json with the served digests, and log with one line per request).
_fakereg_n=0
start_fakereg() {
    command -v python3 >/dev/null || skip "python3 is not installed"
    _fakereg_n=$((_fakereg_n + 1))
    FAKEREG_DIR=$TMP/fakereg.$_fakereg_n
    mkdir -p "$FAKEREG_DIR"
    python3 "$TANK_SRC/t/fakereg.py" --port-file "$FAKEREG_DIR/port" \
        --info "$FAKEREG_DIR/info.json" --log "$FAKEREG_DIR/log" "$@" \
        >"$FAKEREG_DIR/out" 2>&1 &
    local pid=$!
    at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    wait_for 20 test -s "$FAKEREG_DIR/port"
    FAKEREG=127.0.0.1:$(cat "$FAKEREG_DIR/port")
    touch "$FAKEREG_DIR/log"
}
# fakereg_info KEY: a value from the running fakereg's info.json.
fakereg_info() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
        "$FAKEREG_DIR/info.json" "$1"
}
