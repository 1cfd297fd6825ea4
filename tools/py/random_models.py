#!/usr/bin/python3
"""Random seed-style QAT models for differential testing of bpusim (issue 14, part 4).

`make_case(seed)` draws, deterministically from the seed alone, a model written by the rules
of docs/guide.md section 2 (QuantStub in, fused conv+bn(+relu), FloatFunctional add /
add_relu / mul / cat with the add's first operand from the conv it fuses into, per-module
qconfigs, `qconfig = None` float islands between a DeQuantStub and a QuantStub, int32-output
layers with out_qconfig, argmax heads, Horizon-style qint8 activations), calibrates its
observers on a few random batches, converts it with engine qnnpack (bpumodels.convert), runs
PyTorch on a random input and draws hardware configurations (`--set` keys of
docs/hardware.md within their ranges). tests/py/test_random_models.py feeds each case to
`bpusim compile` / `run` / `golden` and compares the outputs bit for bit.

Why the generator is shaped the way it is:
- the model is a list of op records (`spec["ops"]`, plain JSON) interpreted by RandomNet, so
  a case prints as text (describe()) and a regression file can tell whether the generator
  still produces the model it was filed for (spec_digest());
- every draw comes from one numpy Generator seeded with the seed, and the weights from torch's
  generator seeded with it inside fork_rng, so nothing depends on the process's history;
- patterns PyTorch 1.13 cannot run or export (docs/pytorch-recipes.md 2.9, 2.21, 2.23: a
  quantized clamp of a channels-last tensor, upsampling a (N, C, 1, 1) tensor, qint8 add /
  mul of 1-channel tensors, qint8 ops whose recipe is not characterised) and the ones bpusim
  documents as refused (a ceil-mode average pool of a tensor PyTorch holds contiguous, a
  leaky ReLU of a contiguous tensor) are not drawn; what bpusim still refuses is counted by
  the test, not hidden;
- some ops get an output scale that puts many results exactly on a rounding tie
  (set_tie_scales), where recipes that differ only in rounding tell themselves apart;
- per-module qconfigs are set after fuse_modules_qat (which drops them), and a run checks
  every tensor's dtype against the spec, so a model never silently differs from its text.

Command line (writes one case's files for replaying it by hand):
    /usr/bin/python3 tools/py/random_models.py SEED -o DIR
"""

import argparse
import copy
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.ao.quantization as tq
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpuexport  # noqa: E402
import bpumodels  # noqa: E402

# Bump when a change of the generator makes a seed draw another model; regression files
# record the version they were found with (test_random_models.py warns on a difference).
GENERATOR_VERSION = 1

U8, I8 = "u8", "i8"  # activation domains: quint8 (default qconfig), qint8 (symmetric)
DTYPES = {U8: torch.quint8, I8: torch.qint8, "i32": torch.qint32}
NHWC, NCHW, FLAT = "nhwc", "nchw", "2d"  # PyTorch's memory format (docs/pytorch-recipes.md 6)
MAX_MACS = 1_500_000  # per conv and image: keeps PyTorch and the simulation fast
MAX_FLAT = 2048  # features of a flatten -> linear head


# ----------------------------------------------------------------------------------------------
# shapes
# ----------------------------------------------------------------------------------------------
def conv_out(n, k, s, p, d):
    """Conv2d's output size along one axis."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(n, k, s, p, ceil):
    """PyTorch's pooling_output_shape: with ceil_mode a last window that would start in the
    right padding (at or beyond n + p) is dropped."""
    o = (n + 2 * p - k + ((s - 1) if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


class T:
    """What the generator knows of one tensor of the model: its shape (c features for a 2-D
    tensor), activation domain (u8, i8; i32 for an int32-output layer, i64 for argmax) and
    PyTorch memory format (which decides cat's path and what bpusim refuses)."""

    def __init__(self, tid, c, h, w, dom, fmt):
        self.tid, self.c, self.h, self.w = tid, c, h, w
        self.dom, self.fmt = dom, fmt

    @property
    def flat(self):
        return self.fmt == FLAT

    def same_shape(self, other):
        return (self.flat == other.flat and self.c == other.c and self.h == other.h
                and self.w == other.w and self.dom == other.dom)

    def elements(self):
        return self.c if self.flat else self.c * self.h * self.w


# ----------------------------------------------------------------------------------------------
# the spec: a random list of ops
# ----------------------------------------------------------------------------------------------
class SpecBuilder:
    """Draws ops one at a time on the current tensor, keeping every tensor made so far for
    skip connections (add, mul, cat with an earlier tensor of a compatible shape)."""

    def __init__(self, rng):
        self.rng = rng
        self.ops, self.tensors, self.outputs = [], [], []
        self.int8 = rng.random() < 0.3  # the model may use qint8 activations somewhere

    # -- helpers ---------------------------------------------------------------------------
    def chance(self, p):
        return bool(self.rng.random() < p)

    def pick(self, seq, p=None):
        return seq[int(self.rng.choice(len(seq), p=p))]

    def randint(self, lo, hi):
        """Uniform in [lo, hi] (both included)."""
        return int(self.rng.integers(lo, hi + 1))

    def width(self):
        """An output channel count: mostly small, often odd, sometimes above a 32-wide
        MAC array (up to 70)."""
        r = self.rng.random()
        return self.randint(1, 16) if r < 0.6 else self.randint(17, 40) if r < 0.85 \
            else self.randint(41, 70)

    def new_tensor(self, c, h, w, dom, fmt):
        t = T(len(self.tensors), c, h, w, dom, fmt)
        self.tensors.append(t)
        return t

    def emit(self, kind, inputs, out, **params):
        """Appends an op record. Ops whose output scale can be set to make exact rounding
        ties (tie=True, see set_tie_scales) draw whether they do."""
        if kind in ("add", "cat", "mul", "island") or (
                kind == "conv" and params.get("w") == "pt" and not params.get("int32")):
            params["tie"] = self.chance(0.2)
        op = dict(op=kind, name=f"l{len(self.ops)}_{kind}", inputs=[t.tid for t in inputs],
                  out=out.tid if out is not None else None, **params)
        self.ops.append(op)
        return op

    def weights(self, dom, linear=False):
        """Per-tensor or per-channel weights; qint8 linear layers take per-tensor only
        (XNNPACK refuses per-channel, docs/pytorch-recipes.md 2.23)."""
        if dom == I8 and linear:
            return "pt"
        return self.pick(["pt", "pc"])

    # -- layers ----------------------------------------------------------------------------
    def pair(self, draw, square=0.8):
        """[h, w] values of one attribute: equal mostly, drawn apart (non-square kernels,
        strides, padding) otherwise."""
        a = draw()
        return [a, a] if self.chance(square) else [a, draw()]

    def conv_geometry(self, t, cout, same=False):
        """Conv attributes {k, stride, pad: [h, w], dil, groups} and the output [h, w]: at
        least 1x1 and at most MAX_MACS MACs; `same` keeps the spatial size (stride 1, padding
        d*(k-1)/2). A 1x1 input takes a 1x1 kernel (a per-channel gate stays (N, C, 1, 1))."""
        for _ in range(20):
            k = [1, 1] if t.h == t.w == 1 else \
                self.pair(lambda: self.pick([1, 3, 5], p=[0.3, 0.55, 0.15]))
            d = 2 if max(k) > 1 and self.chance(0.15) else 1
            s = [1, 1] if same else self.pair(lambda: self.pick([1, 2], p=[0.7, 0.3]))
            p = [d * (kk - 1) // 2 if same else self.randint(0, d * (kk - 1) // 2 + (kk > 1))
                 for kk in k]
            hw = [conv_out(n, kk, ss, pp, d) for n, kk, ss, pp in zip((t.h, t.w), k, s, p)]
            if min(hw) < 1:
                continue
            g = self.groups(t.c, cout)
            if cout * (t.c // g) * k[0] * k[1] * hw[0] * hw[1] <= MAX_MACS:
                return dict(k=k, stride=s, pad=p, dil=d, groups=g), hw
        return dict(k=[1, 1], stride=[1, 1], pad=[0, 0], dil=1, groups=1), [t.h, t.w]

    def groups(self, cin, cout):
        """1 mostly; depthwise when cin == cout; else a common divisor."""
        r = self.rng.random()
        if r < 0.2 and cin == cout and cin > 1:
            return cin
        if r < 0.35:
            divisors = [g for g in range(2, min(cin, cout) + 1) if cin % g == 0 and cout % g == 0]
            if divisors:
                return self.pick(divisors)
        return 1

    def conv(self, t, cout=None, same=False, relu=None, bn=None):
        """Conv2d [+ BatchNorm2d] [+ ReLU], fused with fuse_modules_qat; output channels-last."""
        cout = self.width() if cout is None else cout
        geo, (h, w) = self.conv_geometry(t, cout, same)
        relu = self.chance(0.5) if relu is None else relu
        bn = self.chance(0.6) if bn is None else bn
        out = self.new_tensor(cout, h, w, t.dom, NHWC)
        self.emit("conv", [t], out, cin=t.c, cout=cout, **geo, bn=bn, relu=relu,
                  bias=not bn or self.chance(0.3), w=self.weights(t.dom))
        return out

    def residual(self, t):
        """conv(t) [+bn] then add / add_relu with a same-shape tensor, the conv FIRST
        (fuses, rule 4) — sometimes second, or with an earlier tensor, to exercise the
        unfused QAdd too."""
        c = self.conv(t, cout=t.c, same=True, relu=False)
        others = [o for o in self.tensors[:-1] if o.same_shape(c) and not o.flat]
        other = self.pick(others) if others and self.chance(0.4) else t
        if not other.same_shape(c):
            other = t
        if t.dom == I8 and c.c < 2:  # torch 1.13's XNNPACK add corrupts its heap (2.23)
            return c
        a, b = (c, other) if self.chance(0.85) else (other, c)
        return self.binary("add", a, b, relu=self.chance(0.4), post_relu=self.chance(0.2))

    def binary(self, kind, a, b, relu=False, post_relu=False):
        out = self.new_tensor(a.c, a.h, a.w, a.dom, a.fmt)
        self.emit(kind, [a, b], out, relu=relu)
        if post_relu:
            out = self.relu(out)
        return out

    def mul(self, t):
        """Elementwise product of two full-size tensors (a conv output and t or another conv)."""
        a = self.conv(t, same=True, relu=self.chance(0.5))
        b = t if a.c == t.c and self.chance(0.5) else self.conv(t, cout=a.c, same=True)
        if t.dom == I8 and a.c < 2:
            return a
        return self.binary("mul", a, b)

    def cat(self, t):
        """FloatFunctional.cat of 2-3 tensors of t's spatial size: t, conv outputs, earlier
        tensors; along channels mostly (channels-last fast path when every input is
        channels-last), sometimes along H or W (the generic path)."""
        dim = 1 if self.chance(0.85) else self.pick([2, 3])
        parts = [t]
        for _ in range(self.randint(1, 2)):
            same = [o for o in self.tensors if not o.flat and o.dom == t.dom and o.h == t.h
                    and o.w == t.w and (dim == 1 or o.c == t.c) and o is not t]
            if same and self.chance(0.3):
                parts.append(self.pick(same))
            else:
                parts.append(self.conv(t, cout=None if dim == 1 else t.c, same=True))
        if self.chance(0.5):
            parts.reverse()
        c = sum(p.c for p in parts) if dim == 1 else t.c
        h = sum(p.h for p in parts) if dim == 2 else t.h
        w = sum(p.w for p in parts) if dim == 3 else t.w
        fast = dim == 1 and all(p.fmt == NHWC or p.c == 1 or p.h == p.w == 1 for p in parts)
        out = self.new_tensor(c, h, w, t.dom, NHWC if fast else NCHW)
        self.emit("cat", parts, out, dim=dim)
        return out

    def pool(self, t):
        """MaxPool2d or AvgPool2d (padding <= k/2, ceil_mode, count_include_pad); a ceil-mode
        average pool only of a channels-last quint8 tensor or a qint8 one (refused otherwise,
        docs/compiler.md)."""
        kind = self.pick(["maxpool", "avgpool"])
        # QNNPACK refuses a 1x1 max pool ("1x1 pooling is meaningless") and a 1x1 average
        # pool of quint8 ("failed to create QNNPACK Average Pooling operator")
        kmin = 1 if kind == "avgpool" and t.dom == I8 else 2
        for _ in range(10):
            k = self.pair(lambda: self.randint(kmin, 3 if kind == "maxpool" else 4))
            s = self.pair(lambda: self.randint(1, 3))
            p = [self.randint(0, kk // 2) for kk in k]
            ceil = self.chance(0.35)
            if kind == "avgpool" and ceil and t.dom == U8 and t.fmt != NHWC:
                ceil = False
            h, w = (pool_out(n, kk, ss, pp, ceil) for n, kk, ss, pp in zip((t.h, t.w), k, s, p))
            if h >= 1 and w >= 1 and k[0] * k[1] > 1:
                out = self.new_tensor(t.c, h, w, t.dom, t.fmt)
                self.emit(kind, [t], out, k=k, stride=s, pad=p, ceil=ceil,
                          include_pad=self.chance(0.5))
                return out
        return t

    def relu(self, t):
        out = self.new_tensor(t.c, t.h, t.w, t.dom, t.fmt)
        self.emit("relu", [t], out)
        return out

    def island(self, t, dom=None, fop=None):
        """DeQuantStub -> a float op with qconfig None (ReLU6, Hardtanh, ReLU, or nothing)
        -> QuantStub of a (possibly other) activation domain: the host runs the region."""
        dom = dom or (self.pick([U8, I8]) if self.int8 else U8)
        if fop is None:
            fop = self.pick(["relu6", "hardtanh", "relu", "none"])
        lo, hi = sorted(self.rng.uniform(-2, 4, size=2).round(2).tolist())
        # the float op and the QuantStub keep a 4-D input's memory format (docs/compiler.md)
        out = self.new_tensor(t.c, t.h, t.w, dom, t.fmt)
        self.emit("island", [t], out, fop=fop, lo=lo, hi=max(hi, lo + 0.25), dom=dom)
        return out

    def upsample(self, t):
        """nn.Upsample(mode='nearest') by an integer factor (not of a (N, C, 1, 1) tensor)."""
        f = self.pick([2, 3]) if max(t.h, t.w) <= 10 else 2
        out = self.new_tensor(t.c, t.h * f, t.w * f, t.dom, t.fmt)
        self.emit("upsample", [t], out, factor=f)
        return out

    def table(self, t):
        """A table activation (quint8 only): hardswish, sigmoid, tanh, hardsigmoid, and a
        leaky ReLU of a channels-last tensor."""
        kinds = ["hardswish", "sigmoid", "tanh", "hardsigmoid"]
        if t.fmt == NHWC:
            kinds.append("leaky_relu")
        out = self.new_tensor(t.c, t.h, t.w, t.dom, t.fmt)
        self.emit("table", [t], out, fn=self.pick(kinds),
                  slope=float(self.pick([0.01, 0.1, 0.2])))
        return out

    def gate(self, t):
        """A per-channel (N, C, 1, 1) operand of t (quint8): x + gap(x) (ATen's broadcasting
        add, either order) or a squeeze-excite product gate * x."""
        g = self.new_tensor(t.c, 1, 1, t.dom, t.fmt)
        self.emit("gap", [t], g, size=1)
        if self.chance(0.5):
            g = self.conv(g, cout=t.c, relu=self.chance(0.5))
            g2 = self.new_tensor(t.c, 1, 1, t.dom, NHWC)
            self.emit("table", [g], g2, fn="hardsigmoid", slope=0.0)
            g = g2
        kind = self.pick(["add", "mul"])
        a, b = (g, t) if self.chance(0.5) else (t, g)
        # add: the full-size operand's format; mul: the first operand's if full-size, else NCHW
        fmt = t.fmt if kind == "add" or a is t else NCHW
        out = self.new_tensor(t.c, t.h, t.w, t.dom, fmt)
        self.emit(kind, [a, b], out, relu=kind == "add" and self.chance(0.3))
        return out

    # -- body and head ---------------------------------------------------------------------
    def body_step(self, t):
        """One random block on t; the choices depend on what t's domain allows."""
        choices = {"conv": 0.30, "residual": 0.14, "mul": 0.05, "cat": 0.10, "pool": 0.14,
                   "relu": 0.04, "island": 0.07}
        if t.dom == U8:
            choices.update(upsample=0.03 if t.h * t.w > 1 else 0.0, table=0.05, gate=0.04)
        kinds = list(choices)
        w = np.array([choices[k] for k in kinds])
        return getattr(self, self.pick(kinds, p=w / w.sum()))(t)

    def head(self, t):
        """The model's output: a DeQuantStub of the feature map, a global pool / flatten +
        linear classifier (optionally with a hidden linear+relu), an int32-output conv or
        linear (out_qconfig, quint8 input), x.mean((2, 3)), or an argmax head."""
        kind = self.pick(["dequant", "classifier", "int32_conv", "argmax4d", "mean"],
                         p=[0.15, 0.55, 0.15, 0.07, 0.08])
        if kind == "mean" and t.dom != U8:
            kind = "classifier"
        if kind == "int32_conv":
            if t.dom != U8:
                t = self.island(t, dom=U8, fop="none")
            t = self.int32_conv(t)
            return self.output(t)
        if kind == "argmax4d":
            return self.argmax(t)
        if kind == "mean":
            out = self.new_tensor(t.c, 1, 1, t.dom, FLAT)
            keep = self.chance(0.5)
            if keep:
                out.fmt, out.h, out.w = t.fmt, 1, 1
            self.emit("mean", [t], out, keepdim=keep)
            return self.output(out)
        if kind == "classifier":
            t = self.classifier(t)
            if self.chance(0.25):
                return self.argmax(t)
        return self.output(t)

    def classifier(self, t):
        """[global or adaptive average pool] -> flatten -> [linear -> relu] -> linear, the
        last one sometimes int32-output (quint8 input only)."""
        if t.c * t.h * t.w > MAX_FLAT or self.chance(0.6):
            # an adaptive pool exports as AveragePool: its kernel must fit POOL's 4-bit field
            n = self.pick([n for n in (1, 2, 3) if n == 1 or (
                t.h % n == 0 and t.w % n == 0 and t.h // n <= 15 and t.w // n <= 15)])
            if t.c * n * n > MAX_FLAT:
                n = 1
            g = self.new_tensor(t.c, n, n, t.dom, t.fmt)
            self.emit("gap", [t], g, size=n)
            t = g
        f = self.new_tensor(t.c * t.h * t.w, None, None, t.dom, FLAT)
        self.emit("flatten", [t], f)
        t = f
        if self.chance(0.3):
            t = self.linear(t, self.width(), relu=True)
        int32 = self.chance(0.3)
        if int32 and t.dom != U8:
            t = self.island(t, dom=U8, fop="none")
        return self.linear(t, self.randint(1, 20), int32=int32)

    def linear(self, t, n, relu=False, int32=False):
        out = self.new_tensor(n, None, None, t.dom, FLAT)
        self.emit("linear", [t], out, cin=t.c, cout=n, relu=relu, int32=int32,
                  w="pt" if int32 else self.weights(t.dom, linear=True), bias=self.chance(0.8))
        if int32:
            out.dom = "i32"
        return out

    def int32_conv(self, t):
        cout = self.randint(1, 20)
        geo, (h, w) = self.conv_geometry(t, cout)
        out = self.new_tensor(cout, h, w, "i32", NHWC)
        self.emit("conv", [t], out, cin=t.c, cout=cout, **geo, bn=False, relu=False,
                  bias=self.chance(0.8), w="pt", int32=True)
        return out

    def argmax(self, t):
        out = self.new_tensor(1, None, None, "i64", FLAT)
        self.emit("argmax", [t], out)
        self.outputs.append(out.tid)
        return out

    def output(self, t):
        self.emit("dequant", [t], None)
        self.outputs.append(t.tid)
        return t


def random_spec(rng):
    """The model: input shape and domain, 1-8 body blocks, a head, sometimes a second output
    (an intermediate tensor, so its producer has another reader)."""
    b = SpecBuilder(rng)
    c = b.randint(1, 5) if b.chance(0.85) else b.randint(6, 40)
    h, w = b.randint(4, 20), b.randint(4, 20)
    dom = I8 if b.int8 and b.chance(0.7) else U8
    t = b.new_tensor(c, h, w, dom, NCHW)
    aux = None
    depth = b.randint(1, 8)
    for i in range(depth):
        t = b.body_step(t)
        if aux is None and i < depth - 1 and b.chance(0.08):
            aux = t
    if aux is not None and aux.dom in (U8, I8):
        b.output(aux)
    b.head(t)
    return dict(version=GENERATOR_VERSION, batch=b.randint(1, 2), in_shape=[c, h, w],
                in_dom=dom, ops=b.ops, outputs=b.outputs,
                input=dict(kind=b.pick(["normal", "uniform", "positive"]),
                           scale=float(np.round(rng.uniform(0.3, 3.0), 3)),
                           shift=float(np.round(rng.uniform(-0.5, 0.5), 3)),
                           overshoot=float(b.pick([1.0, 1.0, 1.5]))))


# ----------------------------------------------------------------------------------------------
# hardware configurations
# ----------------------------------------------------------------------------------------------
HW_CHOICES = {
    "mac.rows": [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32, 33, 64, 128],
    "mac.cols": [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32, 33, 64, 128],
    "vector.lanes": [1, 2, 3, 4, 7, 8, 16, 31, 32, 64],
    "requant.pipeline_depth": [1, 2, 3, 4, 6, 8, 16],
    "ddr.bytes_per_cycle": [1, 3, 4, 8, 16, 32, 64, 128],
    "ddr.latency_cycles": [0, 1, 5, 64, 200],
    "ddr.burst_bytes": [1, 2, 8, 16, 32, 64, 128, 256],
    "sram.feature.bytes": [512, 1024, 2048, 4096, 8192, 16384, 65536, 262144],
    "sram.weight.bytes": [512, 1024, 2048, 4096, 8192, 16384, 65536, 262144],
    "sram.accumulator.bytes": [512, 1024, 2048, 4096, 8192, 16384, 65536, 131072],
    "sram.output.bytes": [512, 1024, 2048, 4096, 8192, 16384, 65536, 131072],
    "sram.param.bytes": [4096, 8192, 16384, 32768],
    "sram.feature.banks": [1, 2, 3, 4, 8, 16],
    "sram.weight.banks": [1, 2, 3, 4, 8, 16],
    "sram.accumulator.banks": [1, 2, 3, 4, 8, 16],
    "sram.output.banks": [1, 2, 3, 4, 8, 16],
    "sram.ports": [1, 2],
    "queue.depth": [1, 2, 4, 8, 16, 64],
    # 1 and 2 are refused for nearly every model (the schedule keeps 3-4 tokens in flight),
    # 3 for some: documented (docs/hardware.md), so 3 stays and 1, 2 are not drawn
    "queue.token_depth": [3, 4, 4, 8, 16, 64],
}


def random_hw(rng):
    """2-6 keys of docs/hardware.md, each within its range (the parameter SRAM always holds
    one 64-byte record per MAC row, a cross-key rule). requant.mode is not drawn: the test
    runs every configuration in both modes."""
    keys = list(HW_CHOICES)
    n = int(rng.integers(2, 7))
    chosen = sorted(rng.choice(len(keys), size=n, replace=False).tolist())
    hw = {keys[i]: int(rng.choice(HW_CHOICES[keys[i]])) for i in chosen}
    rows = hw.get("mac.rows", 32)
    if hw.get("sram.param.bytes", 32768) < 64 * rows:
        hw["sram.param.bytes"] = 64 * rows
    return hw


# ----------------------------------------------------------------------------------------------
# the PyTorch model
# ----------------------------------------------------------------------------------------------
def _int8_act():
    return bpumodels.int8_symmetric_qconfig().activation


def qconfig_for(dom, weights="pt"):
    """The QConfig of a module whose output is in `dom`, with per-tensor ("pt") or
    per-channel ("pc") symmetric qint8 weights, or out_qconfig ("i32")."""
    if dom == "i32":
        return bpumodels.out_qconfig()
    if dom == U8:
        return bpumodels.per_channel_qconfig() if weights == "pc" else bpumodels.default_qconfig()
    if weights == "pc":
        return bpumodels.int8_symmetric_qconfig()
    return tq.QConfig(activation=_int8_act(), weight=tq.default_fused_wt_fake_quant)


FLOAT_OPS = {
    "relu6": lambda op: nn.ReLU6(),
    "hardtanh": lambda op: nn.Hardtanh(op["lo"], op["hi"]),
    "relu": lambda op: nn.ReLU(),
    "none": lambda op: nn.Identity(),
}
TABLES = {
    "hardswish": lambda op: nn.Hardswish(),
    "sigmoid": lambda op: nn.Sigmoid(),
    "tanh": lambda op: nn.Tanh(),
    "hardsigmoid": lambda op: nn.Hardsigmoid(),
    "leaky_relu": lambda op: nn.LeakyReLU(op["slope"]),
}


def _window(op):
    """(kernel_size, stride, padding) of a conv or pool op as the tuples nn modules take."""
    return tuple(op["k"]), tuple(op["stride"]), tuple(op["pad"])


class RandomNet(nn.Module):
    """Interprets a spec: one set of modules per op (named after the op, so that
    fuse_modules_qat and per-module qconfigs can address them), and a forward that walks the
    op list over a table of tensors (0 = the QuantStub output)."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.quant = tq.QuantStub()
        self.dom = {0: spec["in_dom"]}
        self.qconfigs = {}  # module name -> QConfig (or None), set by set_qconfigs()
        for op in spec["ops"]:
            getattr(self, "_make_" + op["op"])(op)
            if op["out"] is not None:
                self.dom[op["out"]] = self._out_dom(op)

    def _out_dom(self, op):
        if op.get("int32"):
            return "i32"
        if op["op"] == "island":
            return op["dom"]
        return self.dom[op["inputs"][0]]

    def _add(self, op, suffix, module, qconfig="inherit"):
        name = op["name"] + suffix
        setattr(self, name, module)
        if qconfig != "inherit":
            self.qconfigs[name] = qconfig
        return name

    def set_qconfigs(self):
        """The model's qconfig (the input's domain) and every module's own. Called after
        fuse_modules_qat, which drops the qconfig of the modules it fuses: a fused conv
        would otherwise take the model's (another domain, other weights) silently."""
        self.qconfig = qconfig_for(self.spec["in_dom"])
        for name, qconfig in self.qconfigs.items():
            getattr(self, name).qconfig = qconfig

    # -- module makers (one per op kind) ---------------------------------------------------
    def _make_conv(self, op):
        dom = self._out_dom(op)
        conv = nn.Conv2d(op["cin"], op["cout"], *_window(op), op["dil"], op["groups"],
                         bias=op["bias"])
        self._add(op, "", conv, qconfig_for(dom, op["w"]))
        if op["bn"]:
            bn = nn.BatchNorm2d(op["cout"])
            with torch.no_grad():
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.normal_(0, 0.2)
                bn.running_mean.normal_(0, 0.2)
                bn.running_var.uniform_(0.5, 2.0)
            self._add(op, "_bn", bn)
        if op["relu"]:
            self._add(op, "_relu", nn.ReLU())

    def _make_linear(self, op):
        dom = self._out_dom(op)
        self._add(op, "", nn.Linear(op["cin"], op["cout"], bias=op["bias"]),
                  qconfig_for(dom, op["w"]))
        if op["relu"]:
            self._add(op, "_relu", nn.ReLU(), qconfig_for(dom))

    def _make_ff(self, op):
        self._add(op, "", nn.quantized.FloatFunctional(), qconfig_for(self._out_dom(op)))

    _make_add = _make_mul = _make_cat = _make_ff

    def _make_maxpool(self, op):
        self._add(op, "", nn.MaxPool2d(*_window(op), ceil_mode=op["ceil"]),
                  qconfig_for(self._out_dom(op)))

    def _make_avgpool(self, op):
        self._add(op, "", nn.AvgPool2d(*_window(op), ceil_mode=op["ceil"],
                                       count_include_pad=op["include_pad"]),
                  qconfig_for(self._out_dom(op)))

    def _make_gap(self, op):
        self._add(op, "", nn.AdaptiveAvgPool2d(op["size"]), qconfig_for(self._out_dom(op)))

    def _make_relu(self, op):
        self._add(op, "", nn.ReLU(), qconfig_for(self._out_dom(op)))

    def _make_upsample(self, op):
        self._add(op, "", nn.Upsample(scale_factor=op["factor"], mode="nearest"),
                  qconfig_for(self._out_dom(op)))

    def _make_table(self, op):
        self._add(op, "", TABLES[op["fn"]](op), qconfig_for(U8))

    def _make_island(self, op):
        self._add(op, "_dq", tq.DeQuantStub(), qconfig_for(self.dom[op["inputs"][0]]))
        self._add(op, "_f", FLOAT_OPS[op["fop"]](op), None)
        self._add(op, "_q", tq.QuantStub(), qconfig_for(op["dom"]))

    def _make_flatten(self, op):
        self._add(op, "", nn.Flatten(1), qconfig_for(self._out_dom(op)))

    def _make_mean(self, op):
        pass

    def _make_argmax(self, op):
        self._add(op, "", bpumodels.Argmax(dim=1), None)

    def _make_dequant(self, op):
        self._add(op, "", tq.DeQuantStub())

    # -- forward ---------------------------------------------------------------------------
    def _record(self, tid, y):
        """Remembers the (scale, zero point) of each quantized tensor of an untraced run
        (set_tie_scales reads them)."""
        if not torch.jit.is_tracing() and isinstance(y, torch.Tensor) and y.is_quantized:
            self.qparams[tid] = (float(y.q_scale()), int(y.q_zero_point()))
            if y.dtype != DTYPES[self.dom[tid]]:
                raise TypeError(f"generator self-check: t{tid} is {y.dtype}, the spec says "
                                f"{self.dom[tid]}")

    def forward(self, x):
        v = {0: self.quant(x)}
        self.qparams = {}
        self._record(0, v[0])
        outs = {}
        for op in self.spec["ops"]:
            args = [v[i] for i in op["inputs"]]
            m = getattr(self, op["name"], None)
            kind = op["op"]
            if kind == "conv":
                y = m(args[0])
                if op["bn"]:
                    y = getattr(self, op["name"] + "_bn")(y)
                if op["relu"]:
                    y = getattr(self, op["name"] + "_relu")(y)
            elif kind == "linear":
                y = m(args[0])
                if op["relu"]:
                    y = getattr(self, op["name"] + "_relu")(y)
            elif kind == "add":
                y = (m.add_relu if op["relu"] else m.add)(args[0], args[1])
            elif kind == "mul":
                y = m.mul(args[0], args[1])
            elif kind == "cat":
                y = m.cat(args, dim=op["dim"])
            elif kind == "island":
                y = getattr(self, op["name"] + "_dq")(args[0])
                y = getattr(self, op["name"] + "_f")(y)
                y = getattr(self, op["name"] + "_q")(y)
            elif kind == "mean":
                y = args[0].mean((2, 3), keepdim=op["keepdim"])
            elif kind == "argmax":
                outs[op["out"]] = m(args[0])
                continue
            elif kind == "dequant":
                outs[op["inputs"][0]] = m(args[0])
                continue
            else:
                y = m(args[0])
            v[op["out"]] = y
            self._record(op["out"], y)
        result = tuple(outs[t] for t in self.spec["outputs"])
        return result[0] if len(result) == 1 else result

    def fusion_groups(self):
        """The conv [+bn] [+relu] groups for fuse_modules_qat (rule 5)."""
        groups = []
        for op in self.spec["ops"]:
            if op["op"] == "conv" and (op["bn"] or op["relu"]):
                groups.append([op["name"]] + [op["name"] + s for s, on in
                                              (("_bn", op["bn"]), ("_relu", op["relu"])) if on])
        return groups


def output_names(spec):
    return ["y"] + [f"y{i + 2}" for i in range(len(spec["outputs"]) - 1)]


def random_input(spec, gen, batch, overshoot=1.0):
    """A float32 batch of the spec's input distribution (normal, uniform in [-a, a] or
    positive), scaled by `overshoot` to leave the calibrated range now and then."""
    shape = (batch, *spec["in_shape"])
    p = spec["input"]
    if p["kind"] == "normal":
        x = torch.randn(shape, generator=gen)
    elif p["kind"] == "uniform":
        x = torch.rand(shape, generator=gen) * 2 - 1
    else:
        x = torch.rand(shape, generator=gen)
    return (x * p["scale"] * overshoot + p["shift"]).float()


def build_quantized(spec, seed, calib_batches=3):
    """RandomNet(spec) with seeded weights: fuse, then per-module qconfigs, prepare_qat,
    calibrate the observers in eval mode (BatchNorm uses its running statistics, as after
    conversion), convert (bpumodels.convert: out_qconfig layers become int32-output).
    Returns (converted model, test input)."""
    torch.backends.quantized.engine = bpumodels.ENGINE
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RandomNet(spec).train()
        if model.fusion_groups():
            tq.fuse_modules_qat(model, model.fusion_groups(), inplace=True)
        model.set_qconfigs()
        tq.prepare_qat(model, inplace=True)
        model.eval()
        gen = torch.Generator().manual_seed(seed ^ 0x5EED)
        with torch.no_grad():
            for _ in range(calib_batches):
                model(random_input(spec, gen, 4))
        qmodel = bpumodels.convert(model)
        x = random_input(spec, gen, spec["batch"], spec["input"]["overshoot"])
        set_tie_scales(qmodel, spec, x)
    return qmodel, x


def _set_scale(module, scale):
    if isinstance(module.scale, torch.Tensor):  # nnq.Quantize keeps it as a buffer
        module.scale = torch.tensor([scale], dtype=module.scale.dtype)
    else:
        module.scale = scale


def set_tie_scales(qmodel, spec, x):
    """For every op drawn with tie=True, sets its output scale so that many results land
    exactly on a rounding tie (the cases docs/pytorch-recipes.md probes by hand): twice the
    first input's scale for add / cat / a QuantStub after a float island, 2 * sa * sb for
    mul, 2 * sx * sw for a per-tensor conv (the requantization scale is then 1/2). The
    input scales are read from a run of a deep copy, so that the model PyTorch later runs
    (and exports) never ran with the old scales (a quantized op may cache its parameters)."""
    for op in spec["ops"]:
        if not op.get("tie"):
            continue
        probe = copy.deepcopy(qmodel)
        with torch.no_grad():
            probe(x)
        qp = probe.qparams
        if op["inputs"][0] not in qp:
            continue
        sx = np.float32(qp[op["inputs"][0]][0])
        if op["op"] == "conv":
            m = getattr(qmodel, op["name"])
            scale = sx * np.float32(m.weight().q_scale()) * np.float32(2)
        elif op["op"] == "mul":
            m = getattr(qmodel, op["name"])
            scale = sx * np.float32(qp[op["inputs"][1]][0]) * np.float32(2)
        else:
            m = getattr(qmodel, op["name"] + ("_q" if op["op"] == "island" else ""))
            scale = sx * np.float32(2)
        _set_scale(m, float(scale))


# ----------------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------------
class Case:
    """One generated case: spec (model), hardware configurations, converted model, input,
    and PyTorch's outputs {name: ndarray}."""

    def __init__(self, seed, spec, hw, model, x, outputs):
        self.seed, self.spec, self.hw = seed, spec, hw
        self.model, self.x, self.outputs = model, x, outputs

    def describe(self):
        return describe(self.spec)

    def save(self, d):
        """Writes model.onnx (bpuexport: opset 13, no constant folding), x.npy,
        torch_<output>.npy and case.json (seed, spec, hardware) into directory d."""
        os.makedirs(d, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bpuexport.export(self.model, self.x, os.path.join(d, "model.onnx"),
                             output_names=output_names(self.spec))
        np.save(os.path.join(d, "x.npy"), self.x.numpy())
        for name, y in self.outputs.items():
            np.save(os.path.join(d, f"torch_{name}.npy"), y)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(dict(seed=self.seed, generator=GENERATOR_VERSION,
                           digest=spec_digest(self.spec), description=self.describe(),
                           hw=self.hw, spec=self.spec), f, indent=1)


def make_case(seed, n_hw=2):
    """The case of `seed`: spec, `n_hw` hardware configurations, the converted model, its
    input and PyTorch's outputs. Deterministic in the seed. PyTorch may refuse a drawn
    model (e.g. an add whose scale ratio QNNPACK rejects): the exception propagates."""
    rng = np.random.default_rng([seed, GENERATOR_VERSION])
    spec = random_spec(rng)
    hw = [random_hw(rng) for _ in range(n_hw)]
    torch.set_num_threads(1)  # ATen's position-dependent kernels assume one thread
    model, x = build_quantized(spec, seed)
    with torch.no_grad():
        y = model(x)
    ys = y if isinstance(y, tuple) else (y,)
    outputs = {n: t.numpy().copy() for n, t in zip(output_names(spec), ys)}
    return Case(seed, spec, hw, model, x, outputs)


def spec_digest(spec):
    """A short hash of the spec: a regression file records it to notice generator drift."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def describe(spec):
    """One line per op: what the model is, for failure reports."""
    c, h, w = spec["in_shape"]
    lines = [f"input [{spec['batch']}, {c}, {h}, {w}] {spec['in_dom']} ({spec['input']['kind']})"]
    skip = {"op", "name", "inputs", "out"}
    for op in spec["ops"]:
        params = " ".join(f"{k}={v}" for k, v in op.items() if k not in skip)
        lines.append(f"  t{op['out']} = {op['op']}({', '.join(f't{i}' for i in op['inputs'])})"
                     f" {params}".rstrip())
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("seed", type=int)
    ap.add_argument("-o", "--output-dir", required=True)
    args = ap.parse_args()
    case = make_case(args.seed)
    case.save(args.output_dir)
    print(case.describe())
    for i, hw in enumerate(case.hw):
        print(f"hw{i}: " + " ".join(f"--set {k}={v}" for k, v in hw.items()))
    print(f"wrote {args.output_dir}/model.onnx, x.npy, torch_*.npy, case.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
