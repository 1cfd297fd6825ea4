#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds one CMake preset
# (default: release). Used by demo.sh and test.sh; safe to run repeatedly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-release}"
"$root/scripts/install-deps.sh"
cd "$root"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
