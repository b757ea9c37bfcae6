#!/bin/sh
# The documented longer fuzzing run: every libFuzzer target for SECONDS each (default 600), one after the
# other, from the seed corpus, in a build configured with -DCHU_FUZZ=ON (clang):
#   CXX=clang++ cmake -S . -B build-fuzz -DCHU_FUZZ=ON && cmake --build build-fuzz -j2
#   tests/fuzz/run-long.sh build-fuzz [SECONDS]
# Prints each target's executions; exits 1 on any finding (its file and how to replay it are printed).
# New inputs that reach new code stay in BUILD/tests/fuzz/found/TARGET/corpus: merge the useful ones into
# tests/fuzz/corpus/TARGET with the fuzzer's -merge=1 when they are worth keeping in the tree.
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-600}
here=$(cd "$(dirname "$0")" && pwd)
failed=0
for target in wire journal topology plan config node; do
    fuzzer="$build/tests/fuzz/chu-fuzz-$target"
    if [ ! -x "$fuzzer" ]; then
        echo "$fuzzer is missing: configure the build with -DCHU_FUZZ=ON (clang)"
        exit 2
    fi
    dict=
    [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
    echo "==== $target: $seconds s"
    "$here/run-fuzzer.sh" "$fuzzer" "$build/tests/fuzz/found/$target" "$here/corpus/$target" \
        -max_total_time="$seconds" $dict || failed=1
done
exit "$failed"
