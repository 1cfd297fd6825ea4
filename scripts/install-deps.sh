#!/usr/bin/env bash
# Installs every Debian 12 package bpusim needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and apt is only touched when
# something is missing. Nothing is downloaded from anywhere but Debian's archive.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config clang-format git
  # fuzzing: clang and its libFuzzer / sanitizer runtimes (the `fuzz` preset)
  clang libclang-rt-14-dev
  # C++ libraries
  libsystemc-dev verilator libboost-dev libboost-program-options-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata zlib1g-dev
  # Python side: PyTorch export, external reference, data set
  python3 python3-numpy python3-torch python3-torchvision python3-onnx python3-sklearn
  # the Python module (python/: pybind11) and its tests; matplotlib for the example's plot
  python3-dev pybind11-dev python3-pytest python3-matplotlib
  # a one-node Slurm cluster for the sweep's cluster engine (scripts/slurm-local.sh)
  slurm-wlm munge
  # HTML report check in a real browser; waveform viewer (fst2vcd checks RTL traces)
  chromium gtkwave
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
