#!/bin/bash
# Bash completion (completion/tank.bash) against a running agent: commands, options, pod
# names (also while a manifest has errors, which `tank status` prints first) and a pod's
# container names for logs -c, exec -c and logs POD CTR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
cat >"$PODS/.two.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata: {name: two, labels: {name: not-a-container}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - {name: app, image: $IMAGE, command: [sleep, "100681"]}
    - {name: side-car, image: $IMAGE, command: [sleep, "100682"]}
EOM
mv "$PODS/.two.tmp" "$PODS/two.yaml"
put one Always "exec sleep 100683"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\n' >"$PODS/broken.yaml"
wait_phase 60 two Running || fail "two not running"
wait_phase 60 one Running || fail "one not running"

# complete WORDS...: what _tank offers for the last word (as bash would call it).
complete_() {
    bash -c '
        tank() { "$TANK" "$@"; }
        . "$1/completion/tank.bash"
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _tank
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$TANK_SRC" "$@"
}
export TANK
[ "$(complete_ tank t)" = "top " ] || fail "commands: $(complete_ tank t)"
[ "$(complete_ tank --config "$CFG" delete "")" = "--help one two " ] ||
    fail "pods: $(complete_ tank --config "$CFG" delete "")"
[ "$(complete_ tank --config "$CFG" top t)" = "two " ] || fail "top: $(complete_ tank --config "$CFG" top t)"
[ "$(complete_ tank --config "$CFG" logs two -c "")" = "app side-car " ] ||
    fail "logs -c: $(complete_ tank --config "$CFG" logs two -c "")"
[ "$(complete_ tank --config "$CFG" exec two -c s)" = "side-car " ] ||
    fail "exec -c: $(complete_ tank --config "$CFG" exec two -c s)"
complete_ tank --config "$CFG" logs two "" | grep -q "^--all-containers .*app side-car " ||
    fail "logs POD CTR: $(complete_ tank --config "$CFG" logs two "")"
[ "$(complete_ tank --config "$CFG" status -o "")" = "json name table wide yaml " ] || fail "-o"
# No agent: nothing, quietly.
[ "$(complete_ tank --config /nonexistent.ini delete "")" = "--help " ] || fail "no agent"
pass
