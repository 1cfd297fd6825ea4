#!/usr/bin/env bash
# The ResNet-18 benchmark in one command (README, "Benchmark"):
#   bench/run.sh [--quick] [--runs N] [--rtl-runs N] [--size S] [--out DIR] [--bin EXE]
# 1. bench/resnet18.py quantizes torchvision's ResNet-18 (qnnpack), exports it to DIR and times
#    PyTorch's qnnpack and onednn inference;
# 2. bpusim_bench_resnet18 compiles it, times the SystemC model and the golden reference, checks
#    bit-exactness, runs it on the RTL core (--rtl-runs, default 1: ~30 s at 224x224; 0 skips
#    it), compares that run with SystemC's (outputs, total/layer/instruction cycles) and prints
#    the table; the figures go to DIR/results.json.
# --quick: one run of everything, no warm-up (the ctest `bench` test: behaviour, not speed).
# --size: the input's height and width (default 224, the benchmark's).
# --bin: use this executable instead of building the release preset (scripts/build.sh).
# Exit status: the executable's (0 only when the model's outputs are bit-exact with golden and
# the RTL run, if any, equals the SystemC run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=7 warmup=2 rtl_runs=1 size=224 out="$root/build/release/bench/resnet18" bin=""
while (($#)); do
  case "$1" in
    --quick) runs=1 warmup=0 ;;
    --runs) runs="$2"; shift ;;
    --rtl-runs) rtl_runs="$2"; shift ;;
    --size) size="$2"; shift ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--runs N] [--rtl-runs N] [--size S] [--out DIR] [--bin EXE]" >&2
       exit 2 ;;
  esac
  shift
done
if [[ -z "$bin" ]]; then
  [[ -f "$root/build/release/build.ninja" ]] || "$root/scripts/build.sh" release
  log="$(cmake --build "$root/build/release" --target bpusim_bench_resnet18 2>&1)" || {
    echo "$log" >&2
    exit 4
  }
  bin="$root/build/release/bench/bpusim_bench_resnet18"
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 -W ignore "$root/bench/resnet18.py" --out "$out" --runs "$runs" --warmup "$warmup" \
  --size "$size"
"$bin" --model-dir "$out" --runs "$runs" --warmup "$((warmup > 0))" --rtl-runs "$rtl_runs" \
  --json "$out/results.json"
echo "figures: $out/results.json"
