#!/usr/bin/env bash
# Runs the schedule-quality properties of issue 15 (tests/compiler/test_schedule_quality.cc,
# disabled tests included, if any) outside ctest and lists every
# violation: for each committed model (and ResNet-18 at 64x64 when its export exists in the
# build tree), the rows x cols x DDR-bandwidth grid and every resource raised alone from the
# default and from the least capable configuration. Builds compiler_quality_test first.
#   scripts/schedule-properties.sh            # all models
#   scripts/schedule-properties.sh unet       # gtest filter on the model name
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ -f build/release/build.ninja ]] || cmake --preset release >/dev/null
cmake --build --preset release --target compiler_quality_test >/dev/null
resnet="$root/build/release/bench/resnet18_rtl_64"
filter="*${1:-}*"
BPUSIM_SOURCE_DIR="$root" BPUSIM_RESNET18_DIR="$([[ -f $resnet/model.onnx ]] && echo "$resnet")" \
  build/release/tests/compiler/compiler_quality_test --gtest_also_run_disabled_tests \
  --gtest_filter="$filter"
