#!/bin/bash
# fuzz/run.sh SECONDS TARGET...  — replay the regression inputs of each target, then fuzz it
# for SECONDS (libFuzzer -max_total_time) from a seed corpus built now (fuzz/seeds.py) plus
# the corpus kept in build/fuzz/work/TARGET/corpus by earlier runs. Prints one summary
# line per target; exits non-zero when any target crashed, leaked, timed out or failed to
# replay a regression input. Crash inputs are copied to build/fuzz/artifacts/; keep one
# as t/fixtures/fuzz/TARGET/crash-NAME once it is fixed.
# Extra libFuzzer flags for a target: fuzz/NAME.options (one line).
# Environment: FUZZ_TIMEOUT (per input, default 25 s), FUZZ_RSS_MB (default 2048).
set -u
cd "$(dirname "$0")/.."
secs=${1:?usage: fuzz/run.sh SECONDS TARGET...}
shift
status=0
mkdir -p build/fuzz/artifacts
for t in "$@"; do
    bin=$PWD/build/fuzz/fuzz_$t
    work=$PWD/build/fuzz/work/$t
    [ -x "$bin" ] || { echo "fuzz $t: $bin is missing (make build/fuzz/fuzz_$t)"; status=1; continue; }
    rm -rf "$work/seeds" "$work/run" "$work/layer"
    mkdir -p "$work/corpus" "$work/seeds" "$work/run" "$work/layer"
    if ! python3 fuzz/seeds.py "$t" "$work/seeds" "$work/dict" >"$work/seeds.log" 2>&1; then
        echo "fuzz $t: building seeds failed:"; sed 's/^/    | /' "$work/seeds.log"; status=1; continue
    fi
    export FUZZ_LAYER_DIR=$work/layer
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    # regression inputs: each must run clean
    regs=("$PWD"/t/fixtures/fuzz/$t/*)
    if [ -e "${regs[0]}" ]; then
        if ! (cd "$work/run" && "$bin" "${regs[@]}") >"$work/replay.log" 2>&1; then
            echo "fuzz $t: FAIL replaying t/fixtures/fuzz/$t:"; tail -n 40 "$work/replay.log" | sed 's/^/    | /'
            status=1
            continue
        fi
    fi
    dict=()
    [ -s "$work/dict" ] && dict=(-dict="$work/dict")
    # per-target libFuzzer flags (e.g. -max_len) in fuzz/NAME.options
    [ -f "fuzz/$t.options" ] && read -r -a topts <"fuzz/$t.options" && dict+=("${topts[@]}")
    (cd "$work/run" && "$bin" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-25}" \
        -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -print_final_stats=1 "${dict[@]}" \
        "$work/corpus" "$work/seeds") >"$work/fuzz.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
    cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -n 1)
    ncorp=$(find "$work/corpus" -type f | wc -l)
    if [ "$rc" -ne 0 ]; then
        echo "fuzz $t: FAIL (exit $rc) after ${runs:-?} inputs:"
        grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x|Test unit written|==[0-9]+==' \
            "$work/fuzz.log" | head -n 40 | sed 's/^/    | /'
        # artifacts land in the run dir, or inside the layer chroot for fuzz_layer
        find "$work/run" "$work/layer" -maxdepth 2 -type f \
            \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
            -exec cp {} build/fuzz/artifacts/ \; -exec echo "    input kept: build/fuzz/artifacts/" {} \;
        status=1
    else
        echo "fuzz $t: ok, ${runs:-?} inputs in ${secs}s (${eps:-?}/s), ${cov:-cov: ?}, corpus $ncorp"
    fi
done
exit $status
