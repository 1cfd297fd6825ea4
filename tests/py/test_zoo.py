#!/usr/bin/python3
"""Edge networks from torchvision's quantizable zoo through bpusim: exports each (random
weights, tools/py/export_zoo.py) and requires `bpusim golden` to equal PyTorch's qnnpack
output bit for bit and `bpusim verify` (the SystemC model against the golden reference, layer
by layer) to pass. Run: /usr/bin/python3 tests/py/test_zoo.py BPUSIM_EXE
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.environ.get("BPUSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NETWORKS = [("mobilenet_v3_large", 64)]


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def main():
    bpusim = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in NETWORKS:
            d = os.path.join(tmp, name)
            run(sys.executable, os.path.join(ROOT, "tools", "py", "export_zoo.py"), name,
                "--size", str(size), "--out", d)
            model, x = os.path.join(d, "model.onnx"), f"x={os.path.join(d, 'input_x.npy')}"
            run(bpusim, "golden", model, "--input", x, "--output-dir", os.path.join(d, "golden"))
            got = np.load(os.path.join(d, "golden", "y.npy"))
            want = np.load(os.path.join(d, "torch_y.npy"))
            differ = int(np.sum(got != want))
            assert differ == 0, f"{name}: golden differs from PyTorch on {differ} elements"
            out = run(bpusim, "verify", model, "--input", x)
            assert "verify: OK" in out, out
            print(f"ok {name} {size}x{size}: golden == PyTorch; {out.strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
