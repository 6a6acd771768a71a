#!/bin/bash
# `make bench`: run every benchmark script in bench/ (each prints its figures and ratios and
# asserts nothing). BENCH="pull" narrows the set to bench/pull.sh.
cd "$(dirname "$0")/.."
rc=0
for b in bench/${BENCH:-*}.sh; do
    [ "$b" = bench/run.sh ] && continue
    echo "== $b"
    "$b" || rc=1
done
exit $rc
