#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/, built by the `fuzz` preset) from their seed corpora.
#   scripts/fuzz.sh [--build-dir DIR] [--runs N | --time SECONDS] [--seed S] [TARGET...]
# Targets: npy hw_config assembler onnx_compile bpu_program (default: all).
# --runs N   N executions per target (ctest's `fuzz` label runs a bounded number this way)
# --time S   S seconds per target (default 600): the long run
# --seed S   libFuzzer's random seed (default 1, so a run can be replayed)
# Without --build-dir the `fuzz` preset is built first (scripts/build.sh fuzz). New inputs
# go to DIR/fuzz-corpus/<target>/, never into the source tree; a crash, leak, timeout or
# sanitizer report is written to DIR/fuzz-findings/<target>/ and makes the script exit 1.
# Prints each target's executions and the total. To keep a finding as a regression input,
# fix it and copy the file into fuzz/corpus/<target>/ (ctest then replays it on every run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="" runs="" seconds=600 seed=1 targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --time) seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(npy hw_config assembler onnx_compile bpu_program)
if [[ -z "$build" ]]; then
  "$root/scripts/build.sh" fuzz
  build="$root/build/fuzz"
fi
limit=(-max_total_time="$seconds")
[[ -n "$runs" ]] && limit=(-runs="$runs")
total=0 status=0
for t in "${targets[@]}"; do
  exe="$build/fuzz/fuzz_$t"
  seeds="$root/fuzz/corpus/$t"
  [[ -x "$exe" ]] || { echo "fuzz.sh: $exe is not built (cmake --build --preset fuzz)" >&2; exit 2; }
  [[ -d "$seeds" ]] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
  work="$build/fuzz-corpus/$t" findings="$build/fuzz-findings/$t"
  mkdir -p "$work" "$findings"
  log="$build/fuzz-$t.log"
  if ASAN_OPTIONS=detect_leaks=1 "$exe" "${limit[@]}" -seed="$seed" -timeout=30 \
      -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$findings/" \
      "$work" "$seeds" >"$log" 2>&1; then
    result=ok
  else
    result="FINDING (see $log and $findings/)"
    status=1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  echo "fuzz_$t: ${execs:-0} executions, $(find "$work" -type f | wc -l) new corpus inputs: $result"
  total=$((total + ${execs:-0}))
done
echo "total: $total executions"
exit "$status"
