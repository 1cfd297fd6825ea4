#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install, build, run `bpusim demo` on the
# built-in default model. Extra arguments go to `bpusim demo`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" release
cd "$root"
exec ./build/release/tools/bpusim demo --report build/demo.html "$@"
