#!/usr/bin/env bash
# The model benchmark in one command (README, "Benchmark"):
#   bench/run.sh [--quick] [--models LIST] [--runs N] [--threads LIST] [--size S]
#                [--rtl-runs N] [--rtl-models LIST] [--sweep-jobs LIST] [--no-sweep]
#                [--out DIR] [--bin EXE] [--bpusim EXE]
# For each model of --models (default resnet18,resnet50,mobilenet_v2), in DIR/<model>:
# 1. bench/export_model.py quantizes torchvision's quantizable network (random weights, seed
#    18, qnnpack), exports it and times PyTorch's qnnpack and onednn inference at each thread
#    count of --threads (default 1,2);
# 2. bpusim_bench_resnet18 compiles it, times the SystemC model and the golden reference (one
#    thread each), checks bit-exactness with golden and golden's agreement with PyTorch, runs
#    it on the RTL core (--rtl-runs times, default 1, only for the models of --rtl-models,
#    default resnet18: ~30 s per run at 224x224; ResNet-50 has ~2x its cycles and would take
#    about twice that, MobileNetV2 ~0.5x; 0 skips it), compares that run with SystemC's
#    (outputs, total/layer/instruction cycles) and prints the model's table; the figures go
#    to DIR/<model>/results.json.
# Every model runs even when an earlier one failed. Then `bpusim sweep` on ResNet-18's
# exported model (8 configurations: mac.rows, mac.cols, ddr.bytes_per_cycle in {16, 32}) once
# per --jobs value of --sweep-jobs (default 1,2) gives configurations per minute (DIR/sweep/).
# Last, bench/summary.py prints one row per model and the sweep's throughput, with the load
# average before and after.
# --quick: one run of everything, no warm-up (the ctest `bench` test: behaviour, not speed).
# --size: the input's height and width (default 224, the benchmark's).
# --out: the directory of the models' directories (default build/release/bench).
# --bin, --bpusim: use these executables (bpusim_bench_resnet18 and the bpusim CLI) instead of
# building them in the release preset (scripts/build.sh); with --bin alone, the bpusim next
# to it in the same build tree (tools/bpusim).
# Exit status: 0 only when every model's outputs are bit-exact with golden, golden agrees with
# PyTorch as the docs allow, every RTL run equals its SystemC run and every sweep ran every
# configuration; otherwise the largest exit status of a failing step (the C++ half: 1
# mismatch, 2 user error, 3 modeled fault; bpusim sweep: 2, 3 or 4; export_model.py: 1 or 2),
# each listed at the end. 2 for bad options, 4 when the release build fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=7 warmup=2 rtl_runs=1 size=224 out="$root/build/release/bench" bin="" bpusim=""
models="resnet18,resnet50,mobilenet_v2" rtl_models="resnet18" threads="1,2" sweep_jobs="1,2"
usage="usage: $0 [--quick] [--models LIST] [--runs N] [--threads LIST] [--size S] [--rtl-runs N]
       [--rtl-models LIST] [--sweep-jobs LIST] [--no-sweep] [--out DIR] [--bin EXE] [--bpusim EXE]"
while (($#)); do
  case "$1" in
    --quick) runs=1 warmup=0 ;;
    --models) models="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --size) size="$2"; shift ;;
    --rtl-runs) rtl_runs="$2"; shift ;;
    --rtl-models) rtl_models="$2"; shift ;;
    --sweep-jobs) sweep_jobs="$2"; shift ;;
    --no-sweep) sweep_jobs="" ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    --bpusim) bpusim="$2"; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -ra model_list <<<"$models"
IFS=, read -ra jobs_list <<<"$sweep_jobs"
for m in "${model_list[@]}"; do
  case "$m" in
    resnet18 | resnet50 | mobilenet_v2) ;;
    *) echo "$0: unknown model '$m' (resnet18, resnet50, mobilenet_v2)" >&2; exit 2 ;;
  esac
done
if [[ -z "$bin" ]]; then
  [[ -f "$root/build/release/build.ninja" ]] || "$root/scripts/build.sh" release
  log="$(cmake --build "$root/build/release" --target bpusim_bench_resnet18 bpusim 2>&1)" || {
    echo "$log" >&2
    exit 4
  }
  bin="$root/build/release/bench/bpusim_bench_resnet18"
fi
if [[ -z "$bpusim" ]]; then
  bpusim="$(dirname "$bin")/../tools/bpusim"  # bench/ and tools/ of the same build tree
fi
if ((${#jobs_list[@]})) && [[ ! -x "$bpusim" ]]; then
  echo "$0: no bpusim CLI at $bpusim for the sweep (--bpusim EXE, or --no-sweep)" >&2
  exit 2
fi

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, load average $load_before"
status=0 failures=() statuses=() sweep_model=""
fail() {  # step, exit status: remember it, keep going
  failures+=("$1: exit $2")
  if (($2 > status)); then status=$2; fi
}
for m in "${model_list[@]}"; do
  dir="$out/$m"
  echo
  echo "== $m =="
  rm -f "$dir/results.json"  # a failing run must not leave an earlier run's figures
  model_rtl_runs=0
  [[ ",$rtl_models," == *",$m,"* ]] && model_rtl_runs="$rtl_runs"
  rc=0
  /usr/bin/python3 -W ignore "$root/bench/export_model.py" --model "$m" --out "$dir" \
    --runs "$runs" --warmup "$warmup" --size "$size" --threads "$threads" || rc=$?
  if ((rc == 0)); then
    [[ "$m" == resnet18 ]] && sweep_model="$dir/model.onnx"  # this run's, not a stale one
    "$bin" --model-dir "$dir" --runs "$runs" --warmup "$((warmup > 0))" \
      --rtl-runs "$model_rtl_runs" --json "$dir/results.json" || rc=$?
    ((rc == 0)) || fail "$m: bpusim_bench_resnet18" "$rc"
  else
    fail "$m: export_model.py" "$rc"
  fi
  statuses+=("$m=$rc")
done

# The sweep: the same 8 configurations at each --jobs value; its own wall time, start to end
# (each configuration is a child process: compile, then one SystemC run on random inputs).
sweep_args=()
if ((${#jobs_list[@]})); then
  if [[ -n "$sweep_model" ]]; then
    mkdir -p "$out/sweep"
    for j in "${jobs_list[@]}"; do
      echo
      echo "== bpusim sweep, ResNet-18, --jobs $j =="
      rm -f "$out/sweep/jobs$j.json"
      t0=$EPOCHREALTIME rc=0
      "$bpusim" sweep "$sweep_model" --set mac.rows=16,32 --set mac.cols=16,32 \
        --set ddr.bytes_per_cycle=16,32 --jobs "$j" --json "$out/sweep/jobs$j.json" || rc=$?
      t1=$EPOCHREALTIME
      ((rc == 0)) || fail "bpusim sweep --jobs $j" "$rc"
      sweep_args+=(--sweep "$j:$(awk "BEGIN { print $t1 - $t0 }"):$rc")
    done
  else
    echo "sweep: skipped (ResNet-18 is not among --models, or its export failed)"
  fi
fi

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo
rc=0
/usr/bin/python3 "$root/bench/summary.py" --out "$out" --models "$models" \
  --status "${statuses[@]}" "${sweep_args[@]}" --load "$load_before" "$load_after" || rc=$?
((rc == 0)) || fail "summary.py" "$rc"
for f in "${failures[@]}"; do echo "FAILED: $f" >&2; done
echo "figures: $out/<model>/results.json${sweep_args[*]:+, $out/sweep/}"
exit "$status"
