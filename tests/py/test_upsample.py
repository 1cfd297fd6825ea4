#!/usr/bin/python3
"""Upsampling through bpusim against PyTorch (docs/pytorch-recipes.md 2.21): small quantized
modules (QuantStub, an optional conv, F.interpolate, DeQuantStub) exported with bpuexport;
`bpusim golden` and `bpusim run` (compile -> SystemC) must equal PyTorch's qnnpack output
element by element. Cases: bilinear with align_corners both ways, by scale factor (2, 1.7,
0.5) and by size; nearest by size; channels-last inputs (conv outputs; 8, 13 and 21 channels:
the NHWC kernel's vector body and scalar tail) and contiguous ones (a QuantStub output with 3
channels: the NCHW kernel; 1 channel: the NHWC kernel).
Run: /usr/bin/python3 tests/py/test_upsample.py BPUSIM_EXE
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.environ.get("BPUSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import bpuexport  # noqa: E402

INTERPOLATIONS = [
    dict(scale_factor=2, mode="bilinear", align_corners=False),
    dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear", align_corners=False),
    dict(scale_factor=0.5, mode="bilinear", align_corners=False),
    dict(size=(13, 9), mode="bilinear", align_corners=False),
    dict(size=(5, 17), mode="bilinear", align_corners=True),
    dict(size=(6, 11), mode="nearest"),
]
# (channels of the upsampled tensor, whether a conv makes it channels-last)
INPUTS = [(13, True), (8, True), (21, True), (3, False), (1, False)]


class Interpolate(nn.Module):
    def __init__(self, channels, conv, kwargs):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, channels, 3, padding=1) if conv else None
        self.dequant = tq.DeQuantStub()
        self.kwargs = kwargs

    def forward(self, x):
        x = self.quant(x)
        if self.conv is not None:
            x = self.conv(x)
        return self.dequant(F.interpolate(x, **self.kwargs))


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"


def main():
    bpusim = sys.argv[1]
    torch.backends.quantized.engine = "qnnpack"
    torch.manual_seed(0)
    failures, compared = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for channels, conv in INPUTS:
            for kwargs in INTERPOLATIONS:
                m = Interpolate(channels, conv, kwargs)
                m.qconfig = tq.get_default_qconfig("qnnpack")
                tq.prepare(m, inplace=True)
                x = torch.randn(2, 3 if conv else channels, 6, 7) * 3
                m(x)
                tq.convert(m, inplace=True)
                want = m(x).numpy()
                model, xs = os.path.join(tmp, "m.onnx"), os.path.join(tmp, "x.npy")
                bpuexport.export(m, x, model, output_names=["y"])
                np.save(xs, x.numpy())
                run(bpusim, "compile", model, "-o", os.path.join(tmp, "m.bpu"))
                for cmd, target in (("golden", model), ("run", os.path.join(tmp, "m.bpu"))):
                    out = os.path.join(tmp, cmd)
                    run(bpusim, cmd, target, "--input", f"x={xs}", "--output-dir", out)
                    got = np.load(os.path.join(out, "y.npy"))
                    compared += 1
                    if got.shape != want.shape or np.any(got != want):
                        differ = "shape" if got.shape != want.shape else int(np.sum(got != want))
                        failures.append(f"{cmd} C={channels} conv={conv} {kwargs}: {differ}")
    for f in failures:
        print("FAIL", f)
    print(f"{compared - len(failures)} of {compared} outputs equal PyTorch's element by element")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
