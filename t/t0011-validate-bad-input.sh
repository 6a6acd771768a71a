#!/bin/bash
# tank validate on hostile input: not YAML, empty, wrong kind, 100 MB, 10,000 levels of
# nesting, billion laughs. Each gets one clear error line and exit 1, within a timeout and
# (where /usr/bin/time can tell) without large memory use.
. "$(dirname "$0")/lib.sh"

# check NAME PATTERN: validate $TMP/NAME, expect exit 1 and a line matching PATTERN.
check() {
    local f=$TMP/$1 pattern=$2 out rc rss
    out=$(timeout 20 "$TANK" validate "$f" 2>"$TMP/stderr"); rc=$?
    [ "$rc" = 124 ] && fail "$1: no answer within 20s"
    [ "$rc" = 1 ] || fail "$1: exit $rc, expected 1 (stderr: $(head -c 300 "$TMP/stderr"))"
    [ "$(wc -l <<<"$out")" = 1 ] || fail "$1: expected one error line, got: $(head -c 600 <<<"$out")"
    grep -qE "^$f:$pattern\$" <<<"$out" || fail "$1: unclear error: $out"
    if [ -x /usr/bin/time ]; then
        rss=$(/usr/bin/time -f %M timeout 20 "$TANK" validate "$f" 2>&1 >/dev/null | tail -n 1)
        [ "$rss" -lt 200000 ] || fail "$1: used ${rss} KiB of memory"
    fi
}

printf '\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe\xfd' >"$TMP/binary.yaml"
check binary.yaml '1:[0-9]+: not valid YAML: .*'

printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: [\n' >"$TMP/truncated.yaml"
check truncated.yaml '[0-9]+:[0-9]+: not valid YAML: .*'

: >"$TMP/empty.yaml"
check empty.yaml '1:1: no Pod in file'

printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec: {replicas: 3}\n' \
    >"$TMP/deployment.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a/b: c}\n' \
    >"$TMP/configmap.yaml"
out=$(timeout 20 "$TANK" validate "$TMP/deployment.yaml"); rc=$?
[ "$rc" = 1 ] || fail "deployment: exit $rc"
[ "$out" = "$TMP/deployment.yaml:1:13: apiVersion: 'apps/v1' is not supported (v1 or tank/v1)
$TMP/deployment.yaml:2:7: kind: 'StatefulSet' is not supported: Tank reads kind Pod, Deployment, DaemonSet, Job, CronJob, ConfigMap, Secret and PersistentVolumeClaim" ] ||
    fail "deployment: unclear errors: $out"
check configmap.yaml "4:8: data.a/b: 'a/b' is not a valid key \\(letters, digits, '-', '_' and '.', at most 253, not '.' or starting with '..'\\)"

# 100 MB: refused by its size before any parsing.
yes 'a: b' | head -c $((100 * 1024 * 1024)) >"$TMP/huge.yaml"
check huge.yaml ' file too large \([0-9]+ bytes; a manifest may have at most [0-9]+ bytes\)'
rm -f "$TMP/huge.yaml"

# 10,000 levels, as flow sequences, flow mappings and block sequences.
python3 -c 'print("[" * 10000 + "]" * 10000)' >"$TMP/deep-flow.yaml"
check deep-flow.yaml '1:65: nesting is deeper than 64 levels; refusing to parse'
python3 -c 'print("{a: " * 10000 + "x" + "}" * 10000)' >"$TMP/deep-map.yaml"
check deep-map.yaml '1:[0-9]+: nesting is deeper than 64 levels; refusing to parse'
python3 -c 'print("- " * 10000 + "x")' >"$TMP/deep-block.yaml"
check deep-block.yaml '1:[0-9]+: nesting is deeper than 64 levels; refusing to parse'

# Billion laughs: nine levels of ten aliases each would expand to 10^9 nodes.
{
    echo 'lol0: &lol0 "lol"'
    for i in 1 2 3 4 5 6 7 8 9; do
        p=$((i - 1))
        printf 'lol%d: &lol%d [' "$i" "$i"
        for _ in 1 2 3 4 5 6 7 8 9; do printf '*lol%d, ' "$p"; done
        printf '*lol%d]\n' "$p"
    done
} >"$TMP/lol.yaml"
check lol.yaml "2:14: YAML aliases \(\*lol0\) are not supported: write the value out in full"

# All of them at once, as a directory: one line per file (two for the deployment).
out=$(timeout 60 "$TANK" validate "$TMP"); rc=$?
[ "$rc" = 1 ] || fail "directory: exit $rc"
[ "$(wc -l <<<"$out")" = 10 ] || fail "directory: expected 10 lines, got: $out"
pass
