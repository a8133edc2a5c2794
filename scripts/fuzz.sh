#!/usr/bin/env bash
# Builds the libFuzzer harnesses in fuzz/ with clang (AddressSanitizer +
# UndefinedBehaviorSanitizer, in their own build directory) and runs each
# for a set time, starting from its checked-in seed corpus fuzz/corpus/NAME.
#
#   scripts/fuzz.sh [-t SECONDS] [NAME...]    (default: 60 s, every harness)
#
# New inputs the fuzzer finds go to a scratch directory, so the checked-in
# corpus changes only by hand. A crash leaves its input in
# $FUZZ_BUILD/artifacts/ and makes the script fail: fix the bug, then add
# the input to fuzz/corpus/NAME/ as a regression file.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=60
names=()
while [ $# -gt 0 ]; do
  case $1 in
    -t) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do n=${f#fuzz/fuzz_}; names+=("${n%.c}"); done
fi

build=${FUZZ_BUILD:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null || exit 1
fi
targets=()
for n in "${names[@]}"; do targets+=("fuzz/fuzz_$n"); done
ninja -C "$build" "${targets[@]}" >/dev/null || ninja -C "$build" "${targets[@]}" || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
scratch=$(mktemp -d /tmp/kinship-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/artifacts"

failed=0
for n in "${names[@]}"; do
  seeds=fuzz/corpus/$n
  [ -d "$seeds" ] || { echo "fuzz $n: no seed corpus in $seeds" >&2; failed=1; continue; }
  mkdir -p "$scratch/$n"
  log=$scratch/$n.log
  "$build/fuzz/fuzz_$n" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$root/$build/artifacts/$n-" \
    "$scratch/$n" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $n: ok (${runs:-?} runs in ${seconds}s, $(ls "$seeds" | wc -l) seeds)"
  else
    failed=1
    echo "fuzz $n: FAILED (exit $rc); the input is in $build/artifacts/:" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|runtime error|==[0-9]+==' "$log" | head -n 30 >&2
    tail -n 40 "$log" >&2
  fi
done
exit "$failed"
