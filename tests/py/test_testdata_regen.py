#!/usr/bin/python3
"""The committed test data must be what tools/py/make_testdata.py produces: regenerates a
few small models into a temporary directory and compares every file byte for byte.
A failure after a torch/numpy/sklearn upgrade means: regenerate the data (command in the
script's docstring) and commit it. Run: /usr/bin/python3 tests/py/test_testdata_regen.py
"""

import filecmp
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("BPUSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MODELS = ["example_net", "mlp"]


def main():
    committed = os.path.join(ROOT, "tests", "data", "models")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "py", "make_testdata.py"),
                        "--out", tmp, "--models", ",".join(MODELS)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for m in MODELS:
            new = sorted(os.listdir(os.path.join(tmp, m)))
            old = sorted(os.listdir(os.path.join(committed, m)))
            assert new == old, f"{m}: files {new} != committed {old}"
            for f in new:
                a, b = os.path.join(tmp, m, f), os.path.join(committed, m, f)
                assert filecmp.cmp(a, b, shallow=False), f"{m}/{f} differs from a fresh run"
            print(f"ok {m}: {len(new)} files identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
