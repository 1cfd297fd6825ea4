#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install, build, run every ctest test
# (all labels: unit, onnx, models, sim, rtl, lint, torch, random, browser, bench, python,
# slurm — the slurm tests start a one-node cluster with scripts/slurm-local.sh and stop it),
# then rebuild under AddressSanitizer + UndefinedBehaviorSanitizer and run the unit, sim and
# rtl labels again (not torch; the verilated cores of the default and tiny configurations),
# then build the libFuzzer targets (clang) and run each for a bounded number of executions
# from its corpus (label fuzz).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/build.sh" release
ctest --preset release -j2
"$root/scripts/build.sh" asan
ctest --preset asan -j2
"$root/scripts/build.sh" fuzz
ctest --preset fuzz
