#!/bin/sh
# run-fuzzer.sh FUZZER WORK_DIR SEED_DIR [libFuzzer options...]
# Runs one libFuzzer target from the seed corpus; new inputs go to WORK_DIR/corpus, findings to
# WORK_DIR/crash-* (leak-, timeout-, oom-). Prints the run's figures; on a finding, how to replay it and
# how to keep it as a regression input.
set -u
fuzzer=$1 work=$2 seeds=$3
shift 3
mkdir -p "$work/corpus"
rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
"$fuzzer" -print_final_stats=1 -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds" > "$work/log" 2>&1
status=$?
# The progress lines are noise here; the start, the findings and the final figures are not.
grep -v -e '^#[0-9]' -e '^INFO: ' "$work/log"
grep -e '^#[0-9].*DONE' "$work/log"
if [ "$status" -ne 0 ]; then
    echo "FAILED: $fuzzer exited $status; full log in $work/log"
    for found in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -e "$found" ] || continue
        echo "replay:  $fuzzer $found"
        echo "keep it: after the fix, copy it into $seeds/ (every build replays it there)"
    done
    exit 1
fi
