#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install, build, run every ctest test
# (all labels: unit, onnx, models, sim, rtl, lint, torch, browser, bench), then rebuild under
# AddressSanitizer + UndefinedBehaviorSanitizer and run the unit tests again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/build.sh" release
ctest --preset release -j2
"$root/scripts/build.sh" asan
ctest --preset asan -j2
