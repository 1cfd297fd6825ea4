#!/usr/bin/env bash
# Regenerates the regression traces (traces/<model>/<config>-<mode>.json: every committed
# model on every core configuration in both requant modes, on the SystemC model and the RTL
# core, which must agree) and shows what changed: per changed trace its total cycles and each
# layer whose cycles changed (against the file it replaced), then `git diff --stat traces/`.
# Builds update_traces (release preset) first if needed. Arguments go to update_traces:
#   scripts/update-traces.sh               # every trace
#   scripts/update-traces.sh digits tiny-  # only traces whose path contains one of these
#   scripts/update-traces.sh --check       # write nothing; exit 1 when a trace differs
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ -f build/release/build.ninja ]] || cmake --preset release >/dev/null
if ! log="$(cmake --build --preset release --target update_traces 2>&1)"; then
  echo "$log" >&2
  exit 2
fi
status=0
build/release/tools/traces/update_traces --root "$root" "$@" || status=$?
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "git diff --stat -- traces/:"
  git --no-pager diff --stat -- traces/
  git ls-files --others --exclude-standard -- traces/ | sed 's/^/ new: /'
fi
exit "$status"
