#!/usr/bin/env bash
# Build the fuzzing harnesses and run them (make fuzz; make test's suite fuzz).
#
#   t/fuzz/run.sh [-t SECONDS] [TARGET...]      (targets: route args json sqlstate sms phone writer)
#
# For each target: replay its committed seed corpus (t/fuzz/corpus/TARGET) and the corpus grown
# by earlier runs (build/fuzz/corpus/TARGET), then fuzz for SECONDS (default $FUZZ_SECONDS, else
# 60; 0 = replay only), adding what finds new coverage to build/fuzz/corpus/TARGET. A crash, a
# sanitizer report, a failed property, a leak or a hang fails the run; the input that did it is
# kept in build/fuzz/crashes/TARGET/ and its path printed, with the command that replays it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/t/fuzz
OUT=$ROOT/build/fuzz
ALL_TARGETS=(route args json sqlstate sms phone writer)

seconds=${FUZZ_SECONDS:-60}
while getopts 't:' opt; do
    case $opt in
        t) seconds=$OPTARG ;;
        *) echo "usage: $0 [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2; }

for t in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

# the module's ngx_auto_config.h comes from its configured nginx build (make configures it)
if [[ ! -f $ROOT/build/nginx/ngx_auto_config.h ]]; then
    echo "fuzz: build/nginx is not configured: run 'make module' (or 'make fuzz') first" >&2
    exit 1
fi

echo "fuzz: building the harnesses (build/fuzz/bin)"
mkdir -p "$OUT"
make -s -C "$HERE" ROOT="$ROOT" -j"$(nproc)" "${targets[@]/#/$OUT/bin/fuzz_}" >"$OUT/build.log" 2>&1 || {
    cat "$OUT/build.log" >&2; echo "fuzz: the harnesses did not build" >&2; exit 1; }

# libFuzzer's options for every run; the route target gets its dictionary
common=(-timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1)
failed=()

run_target() {
    local t=$1 bin=$OUT/bin/fuzz_$1 seeds=$HERE/corpus/$1 corpus=$OUT/corpus/$1
    local crashes=$OUT/crashes/$1 log=$OUT/log/$1.log opts=("${common[@]}")
    mkdir -p "$corpus" "$crashes" "$OUT/log"
    [[ -f $HERE/$t.dict ]] && opts+=(-dict="$HERE/$t.dict")
    opts+=(-artifact_prefix="$crashes/")

    local before
    before=$(find "$corpus" -type f | wc -l)

    # 1. the corpus, replayed: a regression shows here first
    if ! "$bin" "${opts[@]}" -runs=0 "$seeds" "$corpus" >"$log" 2>&1; then
        report_crash "$t" "$log" "replaying the corpus"
        return 1
    fi
    local replayed
    replayed=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')

    ((seconds > 0)) || { echo "fuzz $t: corpus replayed (${replayed:-0} inputs), no crash"; return 0; }

    # 2. fuzzing: new inputs go to the first directory only
    if ! "$bin" "${opts[@]}" -max_total_time="$seconds" "$corpus" "$seeds" >"$log" 2>&1; then
        report_crash "$t" "$log" "fuzzing"
        return 1
    fi

    local done_line runs rate after
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
    rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")
    after=$(find "$corpus" -type f | wc -l)
    printf 'fuzz %-8s %3ss: %s runs (%s/s), %s, corpus %s (+%s); %s replayed first; no crash\n' \
        "$t" "$seconds" "${runs:-?}" "${rate:-?}" \
        "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$done_line" || echo 'cov: ?')" \
        "$after" "$((after - before))" "${replayed:-0}"
}

report_crash() {
    local t=$1 log=$2 what=$3 unit
    unit=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
    echo "fuzz $t: FAILED while $what; the report:" >&2
    grep -E 'ERROR|SUMMARY|runtime error|fuzz:|^ *#[0-9]+ 0x' "$log" | head -n 25 | sed 's/^/    /' >&2
    if [[ -n $unit ]]; then
        echo "fuzz $t: reproducer: ${unit#"$ROOT"/}" >&2
        echo "fuzz $t: replay it:  build/fuzz/bin/fuzz_$t ${unit#"$ROOT"/}" >&2
    fi
    echo "fuzz $t: full log: ${log#"$ROOT"/}" >&2
}

for t in "${targets[@]}"; do
    run_target "$t" || failed+=("$t")
done

if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
