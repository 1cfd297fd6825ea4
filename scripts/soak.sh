#!/usr/bin/env bash
# Soak test of bpusim on random QAT models (issue 14, part 4): runs N cases of
# tests/py/test_random_models.py from SEED (default: the seconds since the epoch, printed so the
# run can be repeated), each a random model under two random hardware configurations in both
# requantizer modes, compared bit for bit (SystemC == golden; golden == PyTorch in fp32).
#
#   scripts/soak.sh N [SEED]          e.g.  nice -n 10 scripts/soak.sh 5000 100000
#
# Environment: BPUSIM (default build/release/tools/bpusim), SOAK_DIR (default
# /tmp/bpusim-soak-SEED), SOAK_SECONDS (start no new case after that long; N is then an upper
# bound). The binary is copied into SOAK_DIR first, so that a rebuild during
# the run cannot change (or remove) the program under test. Writes SOAK_DIR/soak.log (every
# case), SOAK_DIR/failures/seed-S/ for every failing case (model.onnx, x.npy, PyTorch's
# outputs, case.json, replay.sh with the command lines) and prints the summary: cases run,
# passed, refused by reason, skipped (PyTorch could not build the drawn model) and failed by
# kind with their seeds. A failure worth keeping becomes a committed regression case:
# tests/data/random_regressions/seed-S.json (see its README.md). Exit status: that of the test
# script (0 = no failure).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 || $# -gt 2 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/soak.sh N [SEED]" >&2
  exit 2
fi
count="$1"
seed="${2:-$(date +%s)}"
bpusim="${BPUSIM:-$root/build/release/tools/bpusim}"
dir="${SOAK_DIR:-/tmp/bpusim-soak-$seed}"
mkdir -p "$dir/failures"
cp "$bpusim" "$dir/bpusim"
head="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "soak: $count cases from seed $seed; $bpusim (copied to $dir/bpusim, HEAD $head); log $dir/soak.log"
status=0
/usr/bin/python3 "$root/tests/py/test_random_models.py" "$dir/bpusim" --seed "$seed" \
  --count "$count" --keep "$dir/failures" --no-regressions --quiet \
  --time-limit "${SOAK_SECONDS:-0}" > "$dir/soak.log" 2>&1 \
  || status=$?
sed -n '/^summary:/,$p' "$dir/soak.log"
kept="$(find "$dir/failures" -mindepth 1 -maxdepth 1 | wc -l)"
echo "failing cases' files: $dir/failures ($kept cases)"
echo "replay one: /usr/bin/python3 $root/tests/py/test_random_models.py $bpusim" \
  "--seed S --count 1 --no-regressions"
exit "$status"
