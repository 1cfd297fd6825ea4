#!/usr/bin/python3
"""Single layers through bpusim against PyTorch: small quantized modules (QuantStub, an
optional conv, the layer, DeQuantStub) exported with bpuexport; `bpusim golden` and `bpusim
run` (compile -> SystemC) must equal PyTorch's qnnpack output element by element.
- Upsampling (docs/pytorch-recipes.md 2.21): bilinear with align_corners both ways, by scale
  factor (2, 1.7, 0.5) and by size; nearest by size; channels-last inputs (conv outputs; 8, 13
  and 21 channels: the NHWC kernel's vector body and scalar tail) and contiguous ones (a
  QuantStub output with 3 channels: the NCHW kernel; 1 channel: the NHWC kernel).
- Average pooling with ceil_mode=True (2.22, ATen's kernel, a divisor per window): kernels,
  strides and padding with count_include_pad both ways, on conv outputs of odd sizes.
- x.mean((2, 3), keepdim=True/False) (ReduceMean: PyTorch's quantized mean equals the global
  average pool, 2.8), on conv outputs and on the model input.
- Broadcasting add / add_relu (2.20, ATen's kernel, vector/scalar by memory position) of a
  per-channel operand (a global pool of the tensor) in either order, channels-last (conv
  output: 8, 70, 130 channels) and contiguous (model input), planes above and below 64.
- A DeQuantStub / QuantStub pair keeps a conv output's channels-last format (a ceil-mode pool
  after it, with constructed ties).
- Signed int8 activations (Horizon's symmetric qint8 qconfig, 2.23; torch 1.13 exports their
  outputs labelled uint8, which bpusim reads back as int8): conv (per-channel weights, relu,
  strided, grouped, dilated), linear (per-tensor weights), add / add_relu / mul / cat of two
  tensors, max / average (ceil_mode, count_include_pad both ways) / global average pooling of
  channels-last and contiguous tensors, relu, hardtanh, flatten, nearest upsampling.
Run: /usr/bin/python3 tests/py/test_single_layers.py BPUSIM_EXE [SUBSTRING of the cases]
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
import bpumodels  # noqa: E402

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
CEIL_POOLS = [
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=True),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=2, stride=2),
    dict(kernel_size=2, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), count_include_pad=True),
    dict(kernel_size=5, stride=3, padding=2, count_include_pad=False),
]


class Layer(nn.Module):
    def __init__(self, channels, conv, layer):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, channels, 3, padding=1) if conv else None
        self.dequant = tq.DeQuantStub()
        self.layer = layer

    def forward(self, x):
        x = self.quant(x)
        if self.conv is not None:
            x = self.conv(x)
        return self.dequant(self.layer(x))


class GateAdd(nn.Module):
    """x + gap(x) (or gap(x) + x), add or add_relu, via FloatFunctional. With `ties` the
    output scale is set to twice the input's after conversion: every odd sum is then an
    exact tie, which ATen's vector body (fused multiply-add) and scalar tail round apart."""

    def __init__(self, gate_first, relu, ties):
        super().__init__()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.ff = nn.quantized.FloatFunctional()
        self.gate_first, self.relu, self.ties = gate_first, relu, ties

    def after_convert(self, in_scale):
        if self.ties:
            self.ff.scale = 2.0 * in_scale

    def forward(self, x):
        g = self.gap(x)
        a, b = (g, x) if self.gate_first else (x, g)
        return self.ff.add_relu(a, b) if self.relu else self.ff.add(a, b)


class Pair(nn.Module):
    """op(x, conv(x)) through FloatFunctional: add, add_relu, mul or cat of two int8 tensors."""

    def __init__(self, channels, op):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)
        self.ff = nn.quantized.FloatFunctional()
        self.op = op

    def forward(self, x):
        y = self.conv(x)
        return self.ff.cat([x, y], 1) if self.op == "cat" else getattr(self.ff, self.op)(x, y)


class PerTensorLinear(nn.Module):
    """Flatten, then a linear layer with per-tensor weights (XNNPACK refuses per-channel
    qint8 weights for linear)."""

    def __init__(self, features):
        super().__init__()
        self.fc = nn.Linear(features, 5)
        self.fc.qconfig = tq.QConfig(activation=bpumodels.int8_symmetric_qconfig().activation,
                                     weight=tq.default_weight_fake_quant)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))


class Requantized(nn.Module):
    """DeQuantStub -> a quint8 QuantStub -> a ceil-mode 2x2 average pool: PyTorch keeps a conv
    output's channels-last format through the pair, and the pool's kernel follows it. After
    conversion the QuantStub takes the input's scale and the odd zero point 129, so every
    window average ending in .5 is a tie that the NCHW and NHWC kernels round apart."""

    def __init__(self):
        super().__init__()
        self.dq = tq.DeQuantStub()
        self.q = tq.QuantStub()
        self.q.qconfig = tq.get_default_qconfig("qnnpack")
        self.pool = nn.AvgPool2d(2, 2, ceil_mode=True)

    def after_convert(self, in_scale):
        self.q.scale = torch.tensor(in_scale)
        self.q.zero_point = torch.tensor(129)

    def forward(self, x):
        return self.pool(self.q(self.dq(x)))


class SpatialMean(nn.Module):
    def __init__(self, keepdim):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x):
        return x.mean((2, 3), keepdim=self.keepdim)


def int8_cases():
    """Layers on qint8 activations: (description, channels, conv, layer, input H x W)."""
    for channels, conv in ((8, True), (3, False)):
        size = (7, 9)
        yield "int8 conv per-channel", channels, conv, nn.Conv2d(channels, 6, 3, padding=1), size
        yield ("int8 conv relu strided", channels, conv,
               nn.Sequential(nn.Conv2d(channels, 5, 3, stride=2, padding=1), nn.ReLU()), size)
        yield "int8 conv dilated", channels, conv, nn.Conv2d(channels, 4, 3, dilation=2), size
        yield "int8 max_pool2d", channels, conv, nn.MaxPool2d(3, 2, padding=1), size
        yield "int8 relu", channels, conv, nn.ReLU(), size
        yield "int8 hardtanh", channels, conv, nn.Hardtanh(-1.0, 1.5), size
        yield "int8 global avg pool", channels, conv, nn.AdaptiveAvgPool2d(1), size
        yield "int8 adaptive avg pool 1 + flatten", channels, conv, \
            nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1)), size
        yield "int8 nearest upsample", channels, conv, nn.Upsample(scale_factor=2), size
        yield "int8 linear", channels, conv, PerTensorLinear(channels * 7 * 9), size
        for op in ("add", "add_relu", "mul", "cat"):
            yield f"int8 {op}", channels, conv, Pair(channels, op), size
    yield "int8 conv grouped", 8, True, nn.Conv2d(8, 8, 3, padding=1, groups=4), (6, 6)
    yield "int8 conv depthwise", 8, True, nn.Conv2d(8, 8, 3, padding=1, groups=8), (6, 6)
    for kwargs in CEIL_POOLS[:4]:
        for ceil_mode in (False, True):
            yield (f"int8 avg_pool2d ceil_mode={ceil_mode} {kwargs}", 8, True,
                   nn.AvgPool2d(ceil_mode=ceil_mode, **kwargs), (9, 11))
    yield "int8 avg_pool2d of the input", 3, False, nn.AvgPool2d(2, 2), (8, 8)
    yield "int8 -> DeQuantStub/QuantStub (quint8) -> ceil pool", 8, True, Requantized(), (9, 11)


def cases():
    """(description, channels, conv, layer, input H x W)"""
    for channels, conv in INPUTS:
        for kwargs in INTERPOLATIONS:
            yield (f"interpolate {kwargs}", channels, conv,
                   lambda x, kw=kwargs: F.interpolate(x, **kw), (6, 7))
    for channels in (8, 13):
        yield "DeQuantStub/QuantStub -> ceil pool", channels, True, Requantized(), (9, 11)
    for channels in (5, 16):
        for kwargs in CEIL_POOLS:
            for size in ((9, 11), (7, 7)):
                yield (f"avg_pool2d ceil_mode {kwargs}", channels, True,
                       nn.AvgPool2d(ceil_mode=True, **kwargs), size)
    for channels, conv in ((13, True), (3, False)):
        for keepdim in (True, False):
            yield (f"mean keepdim={keepdim}", channels, conv, SpatialMean(keepdim), (5, 7))
    for channels, conv, size in ((8, True, (6, 7)), (70, True, (3, 5)), (130, True, (2, 3)),
                                 (3, False, (9, 10)), (2, False, (4, 5))):
        for gate_first in (False, True):
            for relu, ties in ((False, False), (True, False), (False, True), (True, True)):
                yield (f"add gate_first={gate_first} relu={relu} ties={ties}", channels, conv,
                       GateAdd(gate_first, relu, ties), size)


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"


def main():
    bpusim = sys.argv[1]
    torch.backends.quantized.engine = "qnnpack"
    torch.manual_seed(0)
    failures, compared = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        all_cases = [(c, False) for c in cases()] + [(c, True) for c in int8_cases()]
        only = sys.argv[2] if len(sys.argv) > 2 else ""  # a substring of the descriptions
        for (what, channels, conv, layer, size), int8 in all_cases:
                if only not in what:
                    continue
                m = Layer(channels, conv, layer)
                m.qconfig = (bpumodels.int8_symmetric_qconfig() if int8
                             else tq.get_default_qconfig("qnnpack"))
                tq.prepare(m, inplace=True)
                x = torch.randn(2, 3 if conv else channels, *size) * 3
                m(x)
                tq.convert(m, inplace=True)
                if hasattr(m.layer, "after_convert"):
                    m.layer.after_convert(float(m.conv.scale if conv else m.quant.scale))
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
                        failures.append(f"{cmd} C={channels} conv={conv} {what}: {differ}")
    for f in failures:
        print("FAIL", f)
    print(f"{compared - len(failures)} of {compared} outputs equal PyTorch's element by element")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
