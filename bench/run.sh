#!/usr/bin/env bash
# The ResNet-18 benchmark in one command (README, "Benchmark"):
#   bench/run.sh [--quick] [--runs N] [--out DIR] [--bin EXE]
# 1. bench/resnet18.py quantizes torchvision's ResNet-18 (qnnpack), exports it to DIR and times
#    PyTorch's qnnpack and onednn inference;
# 2. bpusim_bench_resnet18 compiles it, times the SystemC model and the golden reference, checks
#    bit-exactness and prints the table; the figures go to DIR/results.json.
# --quick: one run of everything, no warm-up (the ctest `bench` test: behaviour, not speed).
# --bin: use this executable instead of building the release preset (scripts/build.sh).
# Exit status: the executable's (0 only when the model's outputs are bit-exact with golden).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=7 warmup=2 out="$root/build/release/bench/resnet18" bin=""
while (($#)); do
  case "$1" in
    --quick) runs=1 warmup=0 ;;
    --runs) runs="$2"; shift ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--runs N] [--out DIR] [--bin EXE]" >&2; exit 2 ;;
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
/usr/bin/python3 -W ignore "$root/bench/resnet18.py" --out "$out" --runs "$runs" --warmup "$warmup"
"$bin" --model-dir "$out" --runs "$runs" --warmup "$((warmup > 0))" --json "$out/results.json"
echo "figures: $out/results.json"
