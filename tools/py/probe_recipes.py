#!/usr/bin/python3
"""Probes: each integer recipe of tools/py/bpurecipes.py against torch's own quantized ops.

Run with Debian's interpreter (torch 1.13, qnnpack engine):
    /usr/bin/python3 tools/py/probe_recipes.py [--seed N] [--quick] [-k NAME]
Every probe draws random tensors and random quantization parameters (fixed seed), runs the
torch op and the NumPy recipe, and asserts bit-exact equality of the integer outputs (float32
bit patterns for dequantize). Exit status 0 = all equal, 1 = a mismatch (the first differing
element is printed). Where two plausible formulas exist (x/s vs x*(1/s), ties to even vs
away, fma vs mul+add, ...) the probe also counts how often the wrong one differs, to show
the data actually discriminates between them.
docs/pytorch-recipes.md cites these probes; ctest runs this file (label "torch").
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpurecipes as R  # noqa: E402

torch.backends.quantized.engine = "qnnpack"
F32 = np.float32


class Mismatch(AssertionError):
    pass


def expect_equal(name, got, want):
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape:
        raise Mismatch(f"{name}: shape {got.shape} != recipe {want.shape}")
    if got.dtype.kind == "f" or want.dtype.kind == "f":
        same = got.astype(np.float32).view(np.uint32) == want.astype(np.float32).view(np.uint32)
    else:
        same = got.astype(np.int64) == want.astype(np.int64)
    if not same.all():
        idx = tuple(int(i) for i in np.argwhere(~same)[0])
        raise Mismatch(
            f"{name}: {int((~same).sum())} of {same.size} elements differ; first at {idx}: "
            f"torch {got[idx]!r} recipe {want[idx]!r}"
        )


def require_discriminates(name, ndiff):
    """The alternative formula must differ somewhere, or the probe proves nothing about it."""
    if ndiff == 0:
        raise Mismatch(f"{name}: the data does not discriminate the alternative formula")
    return ndiff


def count_diff(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype.kind == "f":
        a, b = a.astype(np.float32).view(np.uint32), b.astype(np.float32).view(np.uint32)
        return int((a != b).sum())
    return int((a.astype(np.int64) != b.astype(np.int64)).sum())


# ----------------------------------------------------------------------------------------------
# torch helpers
# ----------------------------------------------------------------------------------------------
def q_u8(ints, scale, zp):
    return torch._make_per_tensor_quantized_tensor(
        torch.from_numpy(np.asarray(ints, dtype=np.uint8)), float(scale), int(zp)
    )


def q_weight(ints, scales, zps):
    w = torch.from_numpy(np.asarray(ints, dtype=np.int8))
    if np.ndim(scales) == 0:
        return torch._make_per_tensor_quantized_tensor(w, float(scales), int(zps))
    return torch._make_per_channel_quantized_tensor(
        w,
        torch.tensor(np.asarray(scales, dtype=np.float64)),
        torch.tensor(np.asarray(zps, dtype=np.int64)),
        0,
    )


def ints(q):
    return q.int_repr().numpy().astype(np.int64)


def rand_scale(rng, lo, hi):
    """A float32 scale, log-uniform in [lo, hi] (what observers produce: any float32)."""
    return F32(np.exp(rng.uniform(np.log(lo), np.log(hi))))


# ----------------------------------------------------------------------------------------------
# probes
# ----------------------------------------------------------------------------------------------
def probe_quantize(rng, n):
    """QuantStub / quantize_per_tensor: nearbyint(x * (1.0f/scale)) + zp, clamp."""
    alt_div = alt_away = 0
    total = 0
    for _ in range(n):
        s = rand_scale(rng, 1e-3, 1.0)
        zp = int(rng.integers(0, 256))
        x = (rng.standard_normal(4096) * 60 * s).astype(np.float32)
        # exact ties and near-ties: (k + 0.5) * s rounded to float32, and its neighbours
        k = rng.integers(-150, 150, 1024)
        t = ((k + 0.5) * np.float64(s)).astype(np.float32)
        x = np.concatenate([x, t, np.nextafter(t, F32(np.inf)), np.nextafter(t, F32(-np.inf))])
        got = ints(torch.quantize_per_tensor(torch.from_numpy(x), float(s), zp, torch.quint8))
        want = R.quantize(x, s, zp)
        expect_equal("quantize_per_tensor", got, want)
        div = np.clip(np.rint(x / s) + zp, 0, 255)
        away = np.clip(np.floor(np.abs(x * (F32(1) / s)) + 0.5) * np.sign(x) + zp, 0, 255)
        alt_div += count_diff(got, div)
        alt_away += count_diff(got, away)
        total += x.size
    return f"{total} values; x/s would differ on {alt_div}, ties-away on {alt_away}"


def probe_dequantize(rng, n):
    """DeQuantStub / .dequantize(): (float)(q - zp) * scale."""
    total = 0
    for _ in range(n):
        s = rand_scale(rng, 1e-4, 1.0)
        zp = int(rng.integers(0, 256))
        q = rng.integers(0, 256, 4099)
        got = q_u8(q, s, zp).dequantize().numpy()
        expect_equal("dequantize", got, R.dequantize(q, s, zp))
        total += q.size
    # qint32 (the int32 pass-through output): values beyond 2^24 round when converted
    q = rng.integers(-(2**31), 2**31 - 1, 4096)
    s = rand_scale(rng, 1e-7, 1e-3)
    qt = torch._make_per_tensor_quantized_tensor(torch.from_numpy(q.astype(np.int32)), float(s), 0)
    expect_equal("dequantize qint32", qt.dequantize().numpy(), R.dequantize(q, s, 0))
    return f"{total + q.size} values"


def conv_case(rng, cin, cout, k, stride, pad, dil, groups, per_channel, relu, hw=(9, 11),
              w_zp_nonzero=False, n=2, bias=True):
    sx = rand_scale(rng, 0.005, 0.1)
    zx = int(rng.integers(0, 256))
    kh, kw = k
    x = rng.integers(0, 256, (n, cin, *hw))
    w = rng.integers(-128, 128, (cout, cin // groups, kh, kw))
    if per_channel:
        sw = np.array([rand_scale(rng, 0.001, 0.02) for _ in range(cout)], dtype=np.float32)
        zw = np.zeros(cout, dtype=np.int64)
    else:
        sw = rand_scale(rng, 0.001, 0.02)
        zw = int(rng.integers(-5, 6)) if w_zp_nonzero else 0
    kk = (cin // groups) * kh * kw
    acc_std = np.sqrt(kk) * 74.0 * 74.0
    sw_max = float(np.max(sw))
    sy = F32(sx * sw_max * acc_std / rng.uniform(15, 60))
    zy = int(rng.integers(0, 256))
    b = (rng.standard_normal(cout) * acc_std * sx * sw_max).astype(np.float32) if bias else None
    xq = q_u8(x, sx, zx)
    wq = q_weight(w, sw, zw)
    packed = torch.ops.quantized.conv2d_prepack(
        wq, None if b is None else torch.from_numpy(b), list(stride), list(pad), list(dil), groups
    )
    op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
    got = ints(op(xq, packed, float(sy), zy))
    bq = R.quantize_bias(b, sx, sw) if b is not None else np.zeros(cout, dtype=np.int64)
    bq = np.broadcast_to(bq, (cout,))
    acc = R.conv2d_acc(x, zx, w, zw, bq, stride, pad, dil, groups)
    scale = np.broadcast_to(R.requant_scale(sx, sw, sy), (cout,))
    lo, hi = R.relu_limits(zy) if relu else (0, 255)
    want = R.requantize_fp32(acc, scale, zy, lo, hi)
    # the exporter's truncated bias, to show how often it would matter
    bt = np.trunc(f32a(b) / (f32a(sw) * F32(sx))) if b is not None else np.zeros(cout)
    alt2 = R.requantize_fp32(R.conv2d_acc(x, zx, w, zw, np.broadcast_to(bt, (cout,)), stride, pad,
                                          dil, groups), scale, zy, lo, hi)
    return got, want, count_diff(got, alt2)


def f32a(x):
    return np.asarray(x, dtype=np.float32)


CONV_SHAPES = [
    # cin, cout, kernel, stride, pad, dilation, groups
    (3, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    (8, 16, (3, 3), (2, 2), (1, 1), (1, 1), 1),
    (16, 8, (1, 1), (1, 1), (0, 0), (1, 1), 1),
    (8, 12, (1, 1), (2, 2), (0, 0), (1, 1), 1),  # strided 1x1 projection
    (16, 16, (3, 3), (1, 1), (1, 1), (1, 1), 16),  # depthwise 3x3 (q8dwconv up)
    (24, 24, (3, 3), (2, 2), (1, 1), (1, 1), 24),  # depthwise stride 2
    (8, 8, (5, 5), (1, 1), (2, 2), (1, 1), 8),  # depthwise 5x5 (q8dwconv mp)
    (1, 4, (3, 3), (1, 1), (0, 0), (1, 1), 1),
    (6, 6, (3, 3), (1, 1), (1, 1), (1, 1), 2),  # grouped
    (4, 6, (3, 3), (1, 1), (2, 2), (2, 2), 1),  # dilated
    (40, 70, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # channel counts off every vector width
    (3, 5, (7, 5), (3, 2), (3, 1), (1, 1), 1),
]


def probe_conv(rng, n):
    """quantized::conv2d[_relu] under qnnpack, per-tensor and per-channel weights."""
    cases = 0
    elems = 0
    d2 = 0
    for rep in range(n):
        for shape in CONV_SHAPES:
            for per_channel in (False, True):
                for relu in (False, True):
                    got, want, a2 = conv_case(
                        rng, *shape, per_channel=per_channel, relu=relu,
                        w_zp_nonzero=(rep % 2 == 1), bias=(rep % 3 != 2))
                    expect_equal(f"conv2d {shape} pc={per_channel} relu={relu}", got, want)
                    cases += 1
                    elems += got.size
                    d2 += a2
    return f"{cases} convs, {elems} outputs; a truncated bias would differ on {d2}"


def probe_bias_rounding(rng, n):
    """Bias quantization seen directly: zero weights, s_y = s_x*s_w (powers of two, so the
    requant scale is exactly 1): the output is bias_q + zp. Ties go to even."""
    total = away = trunc = 0
    for _ in range(n):
        sx = F32(2.0 ** -int(rng.integers(3, 8)))
        sw = F32(2.0 ** -int(rng.integers(5, 9)))
        sb = np.float64(sx) * np.float64(sw)
        kq = rng.integers(-100, 100, 16)
        frac = rng.choice([0.5, 0.25, 0.75, 0.4999, 0.5001], 16)
        b = ((kq + frac) * sb).astype(np.float32)
        zy = 128
        x = rng.integers(0, 256, (1, 2, 3, 3))
        w = np.zeros((16, 2, 1, 1), dtype=np.int64)
        packed = torch.ops.quantized.conv2d_prepack(q_weight(w, sw, 0), torch.from_numpy(b),
                                                    [1, 1], [0, 0], [1, 1], 1)
        got = ints(torch.ops.quantized.conv2d(q_u8(x, sx, 7), packed, float(sx * sw), zy))
        want_bias = R.quantize_bias(b, sx, sw)
        expect_equal("bias rounding", got[0, :, 0, 0] - zy, want_bias)
        total += 16
        t = b.astype(np.float64) / sb
        away += count_diff(got[0, :, 0, 0] - zy, np.floor(np.abs(t) + 0.5) * np.sign(t))
        trunc += count_diff(got[0, :, 0, 0] - zy, np.trunc(t))
    require_discriminates("bias ties-away", away)
    require_discriminates("bias trunc", trunc)
    return (f"{total} biases incl. exact ties: ties-away would differ on {away}, "
            f"truncation (ONNX Cast) on {trunc}")


def probe_conv_overflow(rng, n):
    """Out-of-range requantization saturates: float(acc)*scale far beyond 2^31 gives 255
    (positive) or 0 (negative); no INT32_MIN wrap-around."""
    x = np.full((1, 4, 3, 3), 255)
    w = np.full((2, 4, 3, 3), 127)
    w[1] = -128
    sx, sw = F32(1.0), F32(1.0)
    packed = torch.ops.quantized.conv2d_prepack(q_weight(w, sw, 0), None, [1, 1], [0, 0], [1, 1],
                                                1)
    for sy in (F32(1e-3), F32(1e-6), F32(2.0**-20)):
        got = ints(torch.ops.quantized.conv2d(q_u8(x, sx, 0), packed, float(sy), 100))
        acc = R.conv2d_acc(x, 0, w, 0, np.zeros(2), (1, 1), (0, 0), (1, 1), 1)
        want = R.requantize_fp32(acc, R.requant_scale(sx, np.array([sw, sw]), sy), 100)
        expect_equal(f"conv overflow sy={sy}", got, want)
    return "acc*scale beyond +-2^31 saturates to 255 / 0"


def probe_bias_overflow(rng, n):
    """A bias quotient beyond int32 saturates (quantize_bias), and QNNPACK's conv and
    depthwise kernels add INT32_MIN for a saturated INT32_MAX (qnnpack_conv_bias); its gemm
    kernel (1x1 conv, stride 1, no padding; linear) adds it as is. Small random inputs and
    weights on top of biases 2^31 and 1e13 times their scale, both signs."""
    # bias / (sx*sw) = bias * 2^30 (beyond int32), requantization scale 2^-28: +-2^31 -> +-8
    sx, sw, sy = F32(2.0**-20), F32(2.0**-10), F32(2.0**-2)
    geometries = [  # (cin, cout, kernel, stride, padding, groups)
        (3, 2, (1, 1), 1, 0, 1), (3, 2, (1, 1), 1, 1, 1), (3, 2, (1, 1), 2, 0, 1),
        (3, 2, (3, 3), 1, 1, 1), (2, 2, (5, 1), 1, 0, 1), (4, 4, (3, 3), 1, 1, 4),
        (4, 4, (5, 5), 1, 2, 4), (4, 2, (2, 2), 1, 0, 2)]
    bias = np.array([2.0, 1e4], dtype=np.float32)
    for cin, cout, k, stride, pad, groups in geometries:
        for sign in (1, -1):
            b = (sign * bias[:cout] if cout == 2 else sign * np.resize(bias, cout)).astype(np.float32)
            x = rng.integers(0, 256, (1, cin, 6, 6))
            w = rng.integers(-3, 4, (cout, cin // groups) + k)
            packed = torch.ops.quantized.conv2d_prepack(
                q_weight(w, sw, 0), torch.from_numpy(b), [stride] * 2, [pad] * 2, [1, 1], groups)
            got = ints(torch.ops.quantized.conv2d(q_u8(x, sx, 128), packed, float(sy), 128))
            bq = R.quantize_bias(b, sx, np.full(cout, sw))
            if not (k == (1, 1) and stride == 1 and pad == 0):
                bq = R.qnnpack_conv_bias(bq)
            acc = R.conv2d_acc(x, 128, w, 0, bq, (stride,) * 2, (pad,) * 2, (1, 1), groups)
            want = R.requantize_fp32(acc, R.requant_scale(sx, np.full(cout, sw), sy), 128)
            expect_equal(f"conv bias overflow k={k} s={stride} p={pad} g={groups} sign={sign}",
                         got, want)
    for sign in (1, -1):
        x = rng.integers(0, 256, (3, 5))
        w = rng.integers(-3, 4, (2, 5))
        b = (sign * bias).astype(np.float32)
        packed = torch.ops.quantized.linear_prepack(q_weight(w, sw, 0), torch.from_numpy(b))
        got = ints(torch.ops.quantized.linear(q_u8(x, sx, 128), packed, float(sy), 128))
        acc = R.linear_acc(x, 128, w, 0, R.quantize_bias(b, sx, np.full(2, sw)))
        want = R.requantize_fp32(acc, R.requant_scale(sx, np.full(2, sw), sy), 128)
        expect_equal(f"linear bias overflow sign={sign}", got, want)
    return "bias beyond int32 saturates; QNNPACK conv/depthwise see INT32_MIN for INT32_MAX"


def probe_requant_scale_order(rng, n):
    """The float32 requantization scale is (s_w * s_x) * (1/s_y): find scales where the other
    orders give a different float, then an accumulator (set through the bias, weights 0)
    whose output tells them apart."""
    alts = {
        "s_x*s_w/s_y": lambda sx, sw, sy: F32(F32(sx * sw) / sy),
        "s_x*(s_w/s_y)": lambda sx, sw, sy: F32(sx * F32(sw / sy)),
        "double then float": lambda sx, sw, sy: F32(
            np.float64(sx) * np.float64(sw) / np.float64(sy)),
    }
    found = {k: 0 for k in alts}
    tried = 0
    while tried < 400 * n and min(found.values()) < 2:
        tried += 1
        sx, sw = rand_scale(rng, 0.005, 0.1), rand_scale(rng, 0.001, 0.02)
        sy = F32(sx * sw * rng.uniform(50, 400))
        ours = R.requant_scale(sx, sw, sy)
        for name, fn in alts.items():
            other = fn(sx, sw, sy)
            if other == ours or found[name] >= 2:
                continue
            # an accumulator whose two products straddle a rounding boundary
            for acc in rng.integers(-30000, 30000, 2000):
                if np.rint(F32(acc) * ours) != np.rint(F32(acc) * other):
                    break
            else:
                continue
            b = F32(np.float64(acc) * np.float64(F32(sx * sw)))
            if R.quantize_bias(np.array([b]), sx, sw)[0] != acc:
                continue
            zy = int(128 - np.rint(F32(acc) * ours))
            if not 0 <= zy <= 255:
                continue
            w = np.zeros((1, 1, 1, 1), dtype=np.int64)
            packed = torch.ops.quantized.conv2d_prepack(q_weight(w, sw, 0), torch.tensor([b]),
                                                        [1, 1], [0, 0], [1, 1], 1)
            got = ints(torch.ops.quantized.conv2d(q_u8(np.zeros((1, 1, 1, 1)), sx, 0), packed,
                                                  float(sy), zy))
            want = R.requantize_fp32(np.array([[[[acc]]]]), np.array([ours]), zy)
            expect_equal(f"requant scale order vs {name}", got, want)
            found[name] += 1
    for name, k in found.items():
        require_discriminates(f"requant scale order vs {name}", k)
    return "distinguished from " + ", ".join(f"{k} ({v} cases)" for k, v in found.items())


def probe_linear(rng, n):
    """quantized::linear[_relu] under qnnpack (q8gemm, same epilogue as conv)."""
    cases = 0
    for _ in range(n):
        for (m, k, nout) in [(1, 16, 10), (4, 64, 10), (3, 37, 13), (2, 200, 33)]:
            for per_channel in (False, True):
                for relu in (False, True):
                    sx = rand_scale(rng, 0.005, 0.1)
                    zx = int(rng.integers(0, 256))
                    x = rng.integers(0, 256, (m, k))
                    w = rng.integers(-128, 128, (nout, k))
                    if per_channel:
                        sw = np.array([rand_scale(rng, 0.001, 0.02) for _ in range(nout)],
                                      dtype=np.float32)
                        zw = np.zeros(nout, np.int64)
                    else:
                        sw, zw = rand_scale(rng, 0.001, 0.02), 0
                    acc_std = np.sqrt(k) * 74 * 74
                    sy = F32(sx * np.max(sw) * acc_std / rng.uniform(15, 60))
                    zy = int(rng.integers(0, 256))
                    b = (rng.standard_normal(nout) * acc_std * sx * np.max(sw)).astype(np.float32)
                    packed = torch.ops.quantized.linear_prepack(q_weight(w, sw, zw),
                                                                torch.from_numpy(b))
                    op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
                    got = ints(op(q_u8(x, sx, zx), packed, float(sy), zy))
                    acc = R.linear_acc(x, zx, w, 0, R.quantize_bias(b, sx, sw))
                    lo, hi = R.relu_limits(zy) if relu else (0, 255)
                    scale = np.broadcast_to(R.requant_scale(sx, sw, sy), (nout,))
                    want = R.requantize_fp32(acc, scale, zy, lo, hi)
                    expect_equal(f"linear {m}x{k}x{nout} pc={per_channel} relu={relu}", got, want)
                    cases += 1
    return f"{cases} linears"


def probe_add(rng, n):
    """quantized::add / add_relu (QNNPACK fixed point)."""
    total = 0
    alt_even = 0
    alt_float = 0
    for i in range(n):
        shape = [(1, 3, 5, 7), (2, 16, 4, 4), (1, 33, 3, 3), (5,)][i % 4]
        sa = rand_scale(rng, 0.005, 0.2)
        sb = F32(sa * rng.uniform(0.1, 10)) if i % 5 else sa
        sy = F32(max(sa, sb) * rng.uniform(0.6, 3.0))
        za, zb, zy = (int(v) for v in rng.integers(0, 256, 3))
        a = rng.integers(0, 256, shape)
        b = rng.integers(0, 256, shape)
        relu = i % 2 == 1
        op = torch.ops.quantized.add_relu if relu else torch.ops.quantized.add
        got = ints(op(q_u8(a, sa, za), q_u8(b, sb, zb), float(sy), zy))
        lo = zy if relu else 0
        want = R.add(a, za, b, zb, sa, sb, sy, zy, lo, 255)
        expect_equal(f"add relu={relu}", got, want)
        total += got.size
        # alternatives: ties to even in the shift; float math
        ma, mb, sh = R.add_params(sa, sb, sy)
        acc = -(ma * za + mb * zb) + a * ma + b * mb
        even = np.clip(np.rint(acc / 2.0**sh) + zy, lo, 255)
        flt = np.clip(np.rint((a - za) * (sa / sy) + (b - zb) * (sb / sy)) + zy, lo, 255)
        alt_even += count_diff(got, even)
        alt_float += count_diff(got, flt)
    # exact ties of both signs: a and b at half the output scale give (a - za + b - zb) / 2
    s = F32(0.05)
    a = rng.integers(0, 256, 4096)
    b = rng.integers(0, 256, 4096)
    got = ints(torch.ops.quantized.add(q_u8(a, s, 200), q_u8(b, s, 30), float(s * 2), 128))
    expect_equal("add ties", got, R.add(a, 200, b, 30, s, s, F32(s * 2), 128))
    even = np.clip(np.rint((a - 200 + b - 30) / 2.0) + 128, 0, 255)
    require_discriminates("add ties-to-even", count_diff(got, even))
    alt_even += count_diff(got, even)
    total += a.size
    return (f"{total} sums; ties-to-even shift would differ on {alt_even}, float math on "
            f"{alt_float}")


def probe_add_layouts(rng, n):
    """quantized add of channels-last (conv outputs) and contiguous (QuantStub outputs)
    operands in every combination: the values do not depend on the memory format."""
    cases = 0
    for _ in range(n):
        shape = (2, int(rng.integers(1, 40)), 3, 5)
        sa, sb = rand_scale(rng, 0.005, 0.2), rand_scale(rng, 0.005, 0.2)
        sy = F32(max(sa, sb) * rng.uniform(0.6, 3.0))
        za, zb, zy = (int(v) for v in rng.integers(0, 256, 3))
        a, b = rng.integers(0, 256, shape), rng.integers(0, 256, shape)
        want = R.add(a, za, b, zb, sa, sb, sy, zy)
        for la in (False, True):
            for lb in (False, True):
                qa, qb = q_u8(a, sa, za), q_u8(b, sb, zb)
                if la:
                    qa = qa.contiguous(memory_format=torch.channels_last)
                if lb:
                    qb = qb.contiguous(memory_format=torch.channels_last)
                got = ints(torch.ops.quantized.add(qa, qb, float(sy), zy))
                expect_equal(f"add layouts {la} {lb}", got, want)
                cases += 1
    return f"{cases} adds"


def probe_clamp_channels_last_bug(rng, n):
    """Known torch 1.13 defect: quantized hardtanh/relu6/clamp of a channels-last tensor
    (any quantized conv output) returns the NHWC-ordered bytes relabelled as NCHW, i.e. the
    elements permuted. The recipe, then that permutation, reproduces it; relu is not
    affected. Models must not use ReLU6/Hardtanh/clamp after a conv (bpumodels doesn't)."""
    for _ in range(n):
        sc = rand_scale(rng, 0.005, 0.2)
        zp = int(rng.integers(0, 256))
        x = rng.integers(0, 256, (2, 3, 4, 5))
        xq = q_u8(x, sc, zp).contiguous(memory_format=torch.channels_last)
        got = ints(F.hardtanh(xq, 0.0, 6.0))
        right = R.hardtanh(x, sc, zp, 0.0, 6.0)
        scrambled = R.nhwc_bytes_as_nchw(right)
        expect_equal("hardtanh channels-last (torch 1.13 defect)", got, scrambled)
        require_discriminates("hardtanh channels-last defect", count_diff(got, right))
        expect_equal("relu channels-last", ints(torch.relu(xq)), R.relu(x, zp))
    return "hardtanh on NHWC permutes elements (reproduced); relu is correct"


def probe_add_scale_limits(rng, n):
    """QNNPACK refuses add scale ratios outside [2^-14, 2^8) (PyTorch raises); ratios below
    2^-10 are accepted but need a shift >= 32, which QNNPACK computes with an undefined 32-bit
    shift: torch's bytes are then far from the exact sum, and the recipe refuses them."""
    a = q_u8(np.arange(8), 1.0, 0)
    b = q_u8(np.arange(8), 1e-6, 0)
    try:
        torch.ops.quantized.add(a, b, 1e-3, 0)
    except RuntimeError:
        pass
    else:
        raise Mismatch("add with a 1000x scale ratio did not raise")
    try:
        R.add_params(1.0, 1e-6, 1e-3)
    except ValueError:
        pass
    else:
        raise Mismatch("recipe accepted an out-of-range add scale ratio")
    sa, sy = F32(0.01), F32(0.01 * 2**12)
    x, y = rng.integers(0, 256, 1000), rng.integers(0, 256, 1000)
    got = ints(torch.ops.quantized.add(q_u8(x, sa, 128), q_u8(y, sa, 100), float(sy), 128))
    exact = np.clip(np.rint(((x - 128) + (y - 100)) * 2.0**-12) + 128, 0, 255)
    bad = require_discriminates("add shift >= 32 garbage", count_diff(got, exact))
    try:
        R.add_params(sa, sa, sy)
    except ValueError:
        return (f"ratio 1000 rejected by torch; ratio 2^-12: torch wrong on {bad}/1000, "
                "recipe refuses")
    raise Mismatch("recipe accepted a shift >= 32")


def probe_maxpool(rng, n):
    cases = 0
    for _ in range(n):
        for (k, s, p, d, ceil) in [((2, 2), (2, 2), (0, 0), (1, 1), False),
                                   ((3, 3), (2, 2), (1, 1), (1, 1), False),
                                   ((3, 3), (1, 1), (1, 1), (1, 1), False),
                                   ((3, 2), (2, 1), (1, 0), (1, 1), True),
                                   ((2, 2), (1, 1), (0, 0), (2, 2), False)]:
            x = rng.integers(0, 256, (2, 5, 9, 10))
            zp = int(rng.integers(0, 256))
            got = ints(F.max_pool2d(q_u8(x, 0.1, zp), k, s, p, d, ceil_mode=ceil))
            expect_equal(f"max_pool2d {k} {s} {p}", got, R.max_pool2d(x, k, s, p, d, ceil))
            cases += 1
    return f"{cases} pools"


def probe_avgpool(rng, n):
    """avg_pool2d (qnnpack path): divisor kh*kw always; count_include_pad is ignored."""
    cases = away = inv_k = 0
    differs_from_exclude = 0
    for _ in range(n):
        for (k, s, p) in [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)),
                          ((3, 3), (2, 2), (1, 1)), ((5, 5), (1, 1), (2, 2)),
                          ((4, 4), (4, 4), (0, 0)), ((2, 3), (1, 2), (1, 1))]:
            for cip in (True, False):
                for c in (3, 8, 20):  # below and above QNNPACK's kr=8 channel tile
                    x = rng.integers(0, 256, (2, c, 9, 10))
                    sc = rand_scale(rng, 0.005, 0.2)
                    zp = int(rng.integers(0, 256))
                    xq = q_u8(x, sc, zp)
                    if c == 20:
                        xq = xq.contiguous(memory_format=torch.channels_last)
                    got = ints(F.avg_pool2d(xq, k, s, p, ceil_mode=False, count_include_pad=cip))
                    want = R.avg_pool2d(x, zp, k, s, p, sc)
                    expect_equal(f"avg_pool2d {k} {s} {p} cip={cip} c={c}", got, want)
                    away += count_diff(got, avgpool_half_away(x, zp, k, s, p))
                    inv_k += count_diff(got, R.avg_pool2d(x, zp, k, s, p, 1.0))
                    if not cip and p != (0, 0):
                        ref = F.avg_pool2d(torch.from_numpy((x - zp).astype(np.float64)), k, s, p,
                                           count_include_pad=False).numpy()
                        differs_from_exclude += count_diff(got, np.clip(np.rint(ref) + zp, 0, 255))
                    cases += 1
    require_discriminates("avg_pool2d count_include_pad", differs_from_exclude)
    require_discriminates("avg_pool2d ties-away", away)
    require_discriminates("avg_pool2d scale 1/(kh*kw)", inv_k)
    return (f"{cases} pools; a count_include_pad=False divisor would differ on "
            f"{differs_from_exclude}, ties-away rounding on {away}, scale 1.0f/(kh*kw) "
            f"instead of s/(s*kh*kw) on {inv_k}")


def avgpool_half_away(x, zp, k, s, p):
    """Alternative: exact acc / (kh*kw) rounded half away from zero (QNNPACK's old
    fixed-point avgpool)."""
    xp = np.pad(np.asarray(x, dtype=np.int64) - zp, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    acc = F.avg_pool2d(torch.from_numpy(xp.astype(np.float64)), k, s, divisor_override=1).numpy()
    t = acc / (k[0] * k[1])
    return np.clip(np.floor(np.abs(t) + 0.5) * np.sign(t) + zp, 0, 255)


def probe_adaptive_avgpool(rng, n):
    """adaptive_avg_pool2d: qnnpack avg pool when sizes divide (global pooling included)."""
    cases = 0
    for _ in range(n):
        for (hw, out) in [((7, 7), (1, 1)), ((8, 8), (1, 1)), ((4, 6), (2, 3)), ((1, 5), (1, 1)),
                          ((16, 16), (1, 1)), ((6, 6), (3, 3)), ((3, 4), (3, 4))]:
            for c in (4, 10, 64):
                x = rng.integers(0, 256, (2, c, *hw))
                sc = rand_scale(rng, 0.005, 0.2)
                zp = int(rng.integers(0, 256))
                got = ints(F.adaptive_avg_pool2d(q_u8(x, sc, zp), out))
                want = x if hw == out else R.adaptive_avg_pool2d(x, zp, out, sc)
                expect_equal(f"adaptive_avg_pool2d {hw}->{out} c={c}", got, want)
                cases += 1
    return f"{cases} pools"


def probe_spatial_mean(rng, n):
    """x.mean((2, 3)) of a quint8 tensor keeps its qparams and equals the global average pool
    (2.8's recipe) on every element, both memory formats, keepdim either way."""
    cases = 0
    for _ in range(n):
        for (hw, c) in [((7, 7), 4), ((5, 9), 13), ((1, 1), 8), ((16, 16), 70), ((3, 1), 3)]:
            x = rng.integers(0, 256, (2, c, *hw))
            sc = rand_scale(rng, 0.005, 0.2)
            zp = int(rng.integers(0, 256))
            want = x if hw == (1, 1) else R.adaptive_avg_pool2d(x, zp, (1, 1), sc)
            for channels_last in (False, True):
                xq = q_u8(x, sc, zp)
                if channels_last:
                    xq = xq.contiguous(memory_format=torch.channels_last)
                for keepdim in (True, False):
                    m = xq.mean((2, 3), keepdim=keepdim)
                    expect_equal(f"mean {hw} c={c} cl={channels_last} keepdim={keepdim}",
                                 ints(m).reshape(want.shape), want)
                    expect_equal("mean qparams", np.array([m.q_scale(), m.q_zero_point()]),
                                 np.array([xq.q_scale(), zp]))
                    cases += 1
    return f"{cases} means"


def probe_cat(rng, n):
    """quantized::cat: channels-last fast path (per-pixel AVX2 blocks of 32 channels + scalar
    tail, memcpy for inputs with the output's qparams) and the generic path (NCHW)."""
    cases = 0
    avx_vs_scalar = 0
    for i in range(n):
        cs = [(5, 7), (32, 3), (40, 33), (64, 8), (3, 3, 3)][i % 5]
        scales = [rand_scale(rng, 0.005, 0.2) for _ in cs]
        zps = [int(v) for v in rng.integers(0, 256, len(cs))]
        if i % 3 == 0:  # one input shares the output qparams
            so, zo = scales[0], zps[0]
        else:
            so, zo = rand_scale(rng, 0.005, 0.2), int(rng.integers(0, 256))
        xs = [rng.integers(0, 256, (2, c, 4, 5)) for c in cs]
        for layout in ("channels_last", "contiguous"):
            qs = [q_u8(x, s, z) for x, s, z in zip(xs, scales, zps)]
            if layout == "channels_last":
                qs = [q.contiguous(memory_format=torch.channels_last) for q in qs]
                want = R.cat_channels_last(xs, scales, zps, so, zo)
            else:
                want = R.cat_contiguous(xs, scales, zps, so, zo)
            got = ints(torch.ops.quantized.cat(qs, 1, float(so), zo))
            expect_equal(f"cat {layout} {cs}", got, want)
            if layout == "channels_last":
                avx_vs_scalar += count_diff(got, R.cat_contiguous(xs, scales, zps, so, zo))
            cases += 1
    # near-ties: out_scale = 2 * in_scale makes (q - zp) * s_in / s_out land within an ulp of
    # k + 0.5 for odd q - zp, so the fma and the rounded product can round differently; the
    # channel counts separate "vector for floor(C/8)*8 channels" from "floor(C/32)*32".
    blocks32 = 0
    for i in range(n):
        c = [5, 13, 45, 63, 64][i % 5]
        s_in = rand_scale(rng, 0.005, 0.2)
        z_in = int(rng.integers(1, 256))
        x = rng.integers(0, 256, (4, c, 3, 3))
        qs = [q_u8(x, s_in, z_in).contiguous(memory_format=torch.channels_last)]
        so = F32(2 * s_in)
        got = ints(torch.ops.quantized.cat(qs, 1, float(so), 128))
        expect_equal(f"cat near-ties C={c}", got, R.cat_channels_last([x], [s_in], [z_in], so, 128))
        avx_vs_scalar += count_diff(got, R.cat_contiguous([x], [s_in], [z_in], so, 128))
        c32 = (c // 32) * 32
        alt = np.concatenate([R.requantize_avx2(x[:, :c32], s_in, z_in, so, 128),
                              R.requantize_scalar(x[:, c32:], s_in, z_in, so, 128)], axis=1)
        blocks32 += count_diff(got, alt)
        cases += 1
    require_discriminates("cat vector blocks of 8 vs 32", blocks32)
    # an NCHW tensor with H == W == 1 is also channels-last contiguous: fast path
    degenerate = 0
    for _ in range(n):
        s_in = rand_scale(rng, 0.005, 0.2)
        z_in = int(rng.integers(1, 256))
        x = rng.integers(0, 256, (64, 64, 1, 1))
        so = F32(2 * s_in)
        got = ints(torch.ops.quantized.cat([q_u8(x, s_in, z_in)], 1, float(so), 128))
        expect_equal("cat 1x1 NCHW", got, R.cat_channels_last([x], [s_in], [z_in], so, 128))
        degenerate += count_diff(got, R.cat_contiguous([x], [s_in], [z_in], so, 128))
        cases += 1
    require_discriminates("cat 1x1 NCHW takes the fast path", degenerate)
    require_discriminates("cat fma vs scalar", avx_vs_scalar)
    return (f"{cases} cats; scalar-only requantization would differ on {avx_vs_scalar} "
            f"elements, vector blocks of 32 only on {blocks32}")


def probe_clamps(rng, n):
    """relu (max(x, zp)), relu6 and hardtanh (bounds quantized with quantize_val)."""
    import torch.ao.nn.quantized as nnq

    cases = 0
    for _ in range(n):
        sc = rand_scale(rng, 0.005, 0.2)
        zp = int(rng.integers(0, 256))
        x = rng.integers(0, 256, (2, 5, 6, 7))
        xq = q_u8(x, sc, zp)
        expect_equal("relu", ints(torch.relu(xq)), R.relu(x, zp))
        expect_equal("nn.ReLU", ints(torch.nn.ReLU()(xq)), R.relu(x, zp))
        expect_equal("relu6", ints(nnq.ReLU6()(xq)), R.hardtanh(x, sc, zp, 0.0, 6.0))
        expect_equal("F.relu6", ints(F.relu6(xq)), R.hardtanh(x, sc, zp, 0.0, 6.0))
        lo, hi = sorted(rng.uniform(-3, 3, 2).astype(np.float32))
        expect_equal("hardtanh", ints(F.hardtanh(xq, float(lo), float(hi))),
                     R.hardtanh(x, sc, zp, lo, hi))
        cases += 5
    return f"{cases} clamps"


def probe_argmax(rng, n):
    """argmax of a dequantized quantized tensor == argmax of its integers (first maximum)."""
    for _ in range(n):
        x = rng.integers(0, 6, (7, 10))  # many ties
        sc = rand_scale(rng, 0.005, 0.2)
        xq = q_u8(x, sc, int(rng.integers(0, 256)))
        expect_equal("argmax", torch.argmax(xq.dequantize(), dim=1).numpy(), R.argmax(x, 1))
    return f"{n} tensors with ties: first index wins"


# ----------------------------------------------------------------------------------------------
# unary activations (tables)
# ----------------------------------------------------------------------------------------------
def all_bytes_tensor(rng, s, z, channels_last=False):
    """Every byte 0..255 once, in random order, as a (1, 4, 8, 8) quint8 tensor."""
    perm = rng.permutation(256)
    x = perm.reshape(1, 4, 8, 8)
    q = q_u8(x, s, z)
    if channels_last:
        q = q.contiguous(memory_format=torch.channels_last)
    return x, q


def rand_qparams(rng, n, lo=1e-3, hi=0.5):
    s = np.exp(rng.uniform(np.log(lo), np.log(hi), n)).astype(np.float32)
    return s, rng.integers(0, 256, n)


def discriminating(recipe_tables, alt_tables):
    """Indices of parameter sets where some alternative's table differs from the recipe."""
    diff = np.zeros(recipe_tables.shape[0], dtype=bool)
    for t in alt_tables.values():
        diff |= (t != recipe_tables).any(axis=1)
    return np.nonzero(diff)[0]


def run_lut_cases(rng, name, sets, recipe, alts, torch_fn, fixed_qparams=None):
    """Runs torch_fn on every byte for each parameter set (a list of tuples), compares with
    the recipe table and counts the alternatives' differences. Returns (cases, {alt: n})."""
    counts = {k: 0 for k in alts}
    for i, params in enumerate(sets):
        x, q = all_bytes_tensor(rng, params[0], params[1], channels_last=(i % 2 == 1))
        y = torch_fn(q, *params)
        if fixed_qparams is not None:
            if (F32(y.q_scale()), y.q_zero_point()) != (F32(fixed_qparams[0]), fixed_qparams[1]):
                raise Mismatch(f"{name}: output qparams {y.q_scale()}, {y.q_zero_point()}")
        got = ints(y)
        expect_equal(f"{name} {params}", got, R.apply_lut(x, recipe[i]))
        for k, t in alts.items():
            counts[k] += count_diff(got, R.apply_lut(x, t[i]))
    for k, v in counts.items():
        require_discriminates(f"{name} vs {k}", v)
    return len(sets), counts


def _pick(rng, rows, n_random, total, cap=300):
    rows = list(rows[:cap]) + list(rng.choice(total, n_random, replace=False))
    return sorted(set(int(r) for r in rows))


def probe_sigmoid_tanh_hardsigmoid(rng, n):
    """torch.sigmoid / torch.tanh / F.hardsigmoid on quint8 (nn.Sigmoid, nn.Tanh,
    nn.Hardsigmoid in eager models): QNNPACK lookup tables with fixed output qparams."""
    out = []
    nsets = 1500 * n
    s, z = rand_qparams(rng, nsets)
    s[:8] = [2.0**-k for k in range(1, 9)]  # exact dequantized values
    # near ties: a third of the sets put some input within float rounding of an output
    # half-integer (x = f^-1((k + 0.5) / output scale) for input i = z + m)
    m = rng.integers(1, 120, nsets)
    z_tie = rng.integers(0, 256, nsets)
    k = rng.integers(1, 255, nsets) + 0.5
    near = {"sigmoid": -np.log(256.0 / k - 1.0), "tanh": np.arctanh((k - 128.0) / 128.0),
            "hardsigmoid": 6.0 * k / 256.0 - 3.0}

    def with_ties(op):
        ss, zz = s.copy(), z.copy()
        t = slice(nsets - nsets // 3, nsets)
        mm = np.where(near[op] < 0, -m, m)  # the input i = z + mm lies on the tie's side
        zt = np.where((z_tie + mm < 0) | (z_tie + mm > 255), z_tie - 2 * mm, z_tie) % 256
        sc = (near[op] / mm)[t]
        ok = (sc > 1e-4) & (sc < 1.0)
        ss[t] = np.where(ok, sc, ss[t]).astype(np.float32)
        zz[t] = np.where(ok, zt[t], zz[t])
        return ss, zz

    # sigmoid: float32 with glibc expf vs double math
    s, z = with_ties("sigmoid")
    x = R._lut_x(s, z)
    x64 = x.astype(np.float64)
    rec = R.lut_sigmoid(s, z)
    alts = {"double": np.clip(np.rint(256.0 / (1.0 + np.exp(-x64))), 0, 255).astype(np.int64),
            "quantize(1/(1+exp)) in double then float": R._lut_round(
                F32(256.0) * (1.0 / (1.0 + np.exp(-x64))).astype(np.float32))}
    rows = _pick(rng, discriminating(rec, alts), 20, nsets)
    cases, c = run_lut_cases(rng, "sigmoid", [(s[r], z[r]) for r in rows], rec[rows],
                             {k: v[rows] for k, v in alts.items()},
                             lambda q, a, b: torch.sigmoid(q), R.SIGMOID_QPARAMS)
    out.append(f"sigmoid {cases} tables ({', '.join(f'{k} differs on {v}' for k, v in c.items())})")
    # tanh: double tanh, 128*t + 128 in double, rounded to float, lrintf
    s, z = with_ties("tanh")
    x = R._lut_x(s, z)
    x64 = x.astype(np.float64)
    rec = R.lut_tanh(s, z)
    tf = R._libm_fn("tanhf", "float")(x)
    alts = {"float32 tanhf, 128*t+128 in float": R._lut_round(F32(128) * tf + F32(128)),
            "quantize_val(tanhf)": np.clip(np.rint((tf * F32(128)).astype(np.float64)) + 128, 0,
                                           255).astype(np.int64),
            "exact double (no float rounding)": np.clip(np.rint(128.0 * np.tanh(x64) + 128.0), 0,
                                                        255).astype(np.int64)}
    rows = _pick(rng, discriminating(rec, alts), 20, nsets)
    cases, c = run_lut_cases(rng, "tanh", [(s[r], z[r]) for r in rows], rec[rows],
                             {k: v[rows] for k, v in alts.items()},
                             lambda q, a, b: torch.tanh(q), R.TANH_QPARAMS)
    out.append(f"tanh {cases} tables ({', '.join(f'{k} differs on {v}' for k, v in c.items())})")
    # hardsigmoid
    s, z = with_ties("hardsigmoid")
    x = R._lut_x(s, z)
    x64 = x.astype(np.float64)
    rec = R.lut_hardsigmoid(s, z)
    r6 = np.minimum(np.maximum(x + F32(3), F32(0)), F32(6))
    alts = {"r6 * (1/6)": R._lut_round(F32(256) * (r6 * (F32(1) / F32(6)))),
            "double": np.clip(np.rint(256.0 * np.clip(x64 + 3.0, 0, 6) / 6.0), 0,
                              255).astype(np.int64)}
    rows = _pick(rng, discriminating(rec, alts), 20, nsets)
    cases, c = run_lut_cases(rng, "hardsigmoid", [(s[r], z[r]) for r in rows], rec[rows],
                             {k: v[rows] for k, v in alts.items()},
                             lambda q, a, b: F.hardsigmoid(q), R.HARDSIGMOID_QPARAMS)
    out.append(f"hardsigmoid {cases} tables "
               f"({', '.join(f'{k} differs on {v}' for k, v in c.items())})")
    return "; ".join(out)


def hardswish_tables(s, z, so, zo):
    """The recipe and its plausible alternatives for a batch of parameter sets."""
    x = R._lut_x(s, z)
    r6 = np.minimum(np.maximum(x + F32(3), F32(0)), F32(6))
    inv = F32(1) / so[:, None]
    v = (x * r6) / F32(6)
    zf = np.broadcast_to(R.f32(zo[:, None]), v.shape)
    x64 = x.astype(np.float64)
    alts = {"quantize_val(v) (rne(v*inv) + zp)":
            np.clip(np.rint((v * inv).astype(np.float64)) + zo[:, None], 0, 255).astype(np.int64),
            "x * (r6 / 6)": R._lut_round((x * (r6 / F32(6))) * inv + zf),
            "fmaf(v, inv, zp)": R._lut_round(R._fma_f32(v, np.broadcast_to(inv, v.shape), zf)),
            "double": np.clip(np.rint(x64 * np.clip(x64 + 3, 0, 6) / 6.0
                                      / so[:, None].astype(np.float64)) + zo[:, None], 0,
                              255).astype(np.int64)}
    return R.lut_hardswish(s, z, so, zo), alts


def probe_hardswish(rng, n):
    """nnq.Hardswish (quantized::hardswish): QNNPACK table with the module's output qparams;
    the zero point is added in float before lrintf. Random parameter sets (a quarter with
    the output qparams = the input's, where v / s hits half-integers) are searched in
    batches until every alternative formula differs on some of them."""
    sets, recs, alt_rows = [], [], {}
    for batch in range(40):
        m = 4000
        s, z = rand_qparams(rng, m)
        so, zo = rand_qparams(rng, m)
        so[: m // 4] = s[: m // 4]
        zo[: m // 4] = z[: m // 4]
        rec, alts = hardswish_tables(s, z, so, zo)
        rows = list(discriminating(rec, alts)[:60]) + list(rng.choice(m, 2, replace=False))
        for r in rows:
            sets.append((s[r], z[r], so[r], zo[r]))
            recs.append(rec[r])
            for k, t in alts.items():
                alt_rows.setdefault(k, []).append(t[r])
        found = {k: int((np.array(v) != np.array(recs)).any(axis=1).sum())
                 for k, v in alt_rows.items()}
        if batch + 1 >= n and min(found.values()) >= 3 * n:
            break
    cases, c = run_lut_cases(
        rng, "hardswish", sets, np.array(recs), {k: np.array(v) for k, v in alt_rows.items()},
        lambda q, a, b, sy, zy: torch.ops.quantized.hardswish(q, float(sy), int(zy)))
    return f"{cases} tables; " + ", ".join(f"{k} differs on {v}" for k, v in c.items())


def aten_unary_case(rng, name, torch_fn, vec_table, sc_table, shape, channels_last, s, z,
                    threads=1):
    x = rng.integers(0, 256, shape)
    q = q_u8(x, s, z)
    if channels_last:
        q = q.contiguous(memory_format=torch.channels_last)
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        got = ints(torch_fn(q))
    finally:
        torch.set_num_threads(old)
    want = R.aten_unary(x, vec_table, sc_table, channels_last, threads)
    expect_equal(f"{name} shape={shape} cl={channels_last} threads={threads}", got, want)
    return (count_diff(got, R.apply_lut(x, vec_table)), count_diff(got, R.apply_lut(x, sc_table)),
            got.size)


def probe_leaky_relu(rng, n):
    """F.leaky_relu on a quantized tensor (input qparams) and nnq.LeakyReLU
    (quantized::leaky_relu, own qparams): ATen leaky_qrelu_out_kernel, a vectorized body
    (FMA dequantize) and a scalar tail (dequantize_val/quantize_val) per 64-element block."""
    only_vec = only_scalar = total = tables_differ = 0
    shapes = [((1, 3, 5, 7), False), ((2, 8, 6, 6), True), ((1, 16, 9, 9), True),
              ((3, 5, 4, 4), False), ((1, 4, 16, 16), False), ((2, 7, 3, 5), True)]
    for rep in range(40 * n):
        s, z = rand_qparams(rng, 1)
        s, z = F32(s[0]), int(z[0])
        slope = F32(rng.choice([0.25, 0.5, 0.125, 0.1, 0.01, 0.2, rng.uniform(0, 1)]))
        same = rep % 2 == 0
        if same:
            so, zo = s, z
        else:
            so, zo = rand_qparams(rng, 1)
            so, zo = F32(so[0]), int(zo[0])

        def fn(q, same=same, slope=slope, so=so, zo=zo):
            if same:
                return F.leaky_relu(q, float(slope))
            return torch.ops.quantized.leaky_relu(q, float(slope), False, float(so), zo)
        vt = R.lut_leaky_relu(s, z, slope, so, zo, "vector")
        st = R.lut_leaky_relu(s, z, slope, so, zo, "scalar")
        tables_differ += int((vt != st).any())
        shape, cl = shapes[rep % len(shapes)]
        a, b, m = aten_unary_case(rng, "leaky_relu", fn, vt, st, shape, cl, s, z)
        only_vec += a
        only_scalar += b
        total += m
    # more than one chunk: numel > 32768 with two threads (each chunk has its own tail)
    s, z, slope = F32(0.29881907), 210, F32(0.25)
    vt = R.lut_leaky_relu(s, z, slope, s, z, "vector")
    st = R.lut_leaky_relu(s, z, slope, s, z, "scalar")
    for shape, threads in (((1, 10, 100, 100), 2), ((1, 7, 101, 99), 2), ((1, 10, 100, 100), 1)):
        a, b, m = aten_unary_case(rng, "leaky_relu chunks", lambda q: F.leaky_relu(q, 0.25), vt,
                                  st, shape, False, s, z, threads)
        only_vec += a
        only_scalar += b
        total += m
    require_discriminates("leaky_relu vector table only", only_vec)
    require_discriminates("leaky_relu scalar table only", only_scalar)
    return (f"{total} elements; vector and scalar tables differ for {tables_differ}/{40 * n} "
            f"parameter sets; the vector table alone would differ on {only_vec} elements, "
            f"the scalar one on {only_scalar}")


def probe_elu(rng, n):
    """nnq.ELU (quantized::elu): vectorized body with Sleef expf (FMA dequantize), scalar
    tail with glibc expf. Constructed exact ties: sy chosen so that the Sleef value is a
    half-integer multiple of sy while glibc's expf is one ulp away."""
    sleef_vs_glibc = tail_vs_vec = cases = 0
    # candidates (s, z, i) whose two dequantizations agree and whose exp values differ
    sc = np.exp(rng.uniform(np.log(1e-2), np.log(0.3), 60000)).astype(np.float32)
    zc = rng.integers(100, 256, sc.size)
    ic = (rng.random(sc.size) * zc).astype(np.int64)
    xs = R.f32(ic - zc) * sc
    xv = R._fma_f32(sc, R.f32(ic), sc * R.f32(-zc))
    e1s = R.sleef_expf_u10(xs) - F32(1)
    e2s = R.glibc_expf(xs) - F32(1)
    cand = list(np.nonzero((xs == xv) & (e1s != e2s))[0])
    while cases < 8 * n and cand:
        j = cand.pop()
        s, z, i, x, e1, e2 = sc[j], int(zc[j]), int(ic[j]), xs[j], e1s[j], e2s[j]
        k = int(rng.integers(3, 120))
        inv0 = np.array([(k + 0.5) / float(e1)], dtype=np.float32).view(np.int32)
        invs = (inv0 + np.arange(-3000, 3000, dtype=np.int32)).view(np.float32)
        t = (e1 * invs).astype(np.float64)
        t2 = (e2 * invs).astype(np.float64)
        hit = np.nonzero((t % 1 == 0.5) & (np.rint(t) != np.rint(t2)))[0]
        if hit.size == 0:
            continue
        inv = invs[hit[0]]
        so = F32(F32(1) / inv)
        if F32(1) / so != inv:
            continue
        zo = int(min(255, max(0, 128 - np.rint(np.float64(e1 * inv)))))
        alpha = 1.0
        vt = R.lut_elu(s, z, alpha, so, zo, "vector")
        st = R.lut_elu(s, z, alpha, so, zo, "scalar")
        shape = [(1, 1, 1, 69), (1, 3, 7, 11), (2, 5, 5, 5)][cases % 3]
        xx = np.full(shape, i)
        xx.reshape(-1)[::3] = rng.integers(0, 256, xx.reshape(-1)[::3].size)
        q = q_u8(xx, s, z)
        got = ints(torch.ops.quantized.elu(q, float(so), zo, alpha))
        expect_equal(f"elu s={s} z={z} sy={so} zy={zo}", got, R.aten_unary(xx, vt, st))
        glibc_vec = R._quantize_avx2(np.where(R._lut_x_avx2(s, z) > 0, R._lut_x_avx2(s, z),
                                              R.glibc_expf(R._lut_x_avx2(s, z)) - F32(1)), so, zo)
        sleef_vs_glibc += count_diff(got, R.aten_unary(xx, glibc_vec, st))
        tail_vs_vec += count_diff(got, R.apply_lut(xx, vt))
        cases += 1
    # channels-last input: contiguous output, strided inner loop -> scalar path only
    cl_vs_vec = 0
    for _ in range(4 * n):
        s, z = rand_qparams(rng, 1, 1e-2, 0.3)
        s, z = F32(s[0]), int(z[0])
        so, zo = F32(2 * s), int(rng.integers(0, 256))  # (q - z) / 2: ties for odd q - z
        xx = rng.integers(0, 256, (1, 8, 9, 70))
        q = q_u8(xx, s, z).contiguous(memory_format=torch.channels_last)
        got = ints(torch.ops.quantized.elu(q, float(so), zo, 1.0))
        vt = R.lut_elu(s, z, 1.0, so, zo, "vector")
        st = R.lut_elu(s, z, 1.0, so, zo, "scalar")
        want = R.aten_unary(xx, vt, st, channels_last=True, out_channels_last=False)
        expect_equal("elu channels-last input", got, want)
        expect_equal("elu channels-last input is all scalar", want, R.apply_lut(xx, st))
        cl_vs_vec += count_diff(got, R.aten_unary(xx, R.lut_elu(s, z, 1.0, so, zo, "vector"),
                                                  R.lut_elu(s, z, 1.0, so, zo, "scalar")))
    require_discriminates("elu channels-last scalar only", cl_vs_vec)
    require_discriminates("elu Sleef vs glibc expf in the vector body", sleef_vs_glibc)
    require_discriminates("elu scalar tail", tail_vs_vec)
    return (f"{cases} tensors with constructed ties: glibc expf in the vector body would differ "
            f"on {sleef_vs_glibc} elements, the vector table for the tail on {tail_vs_vec}; "
            f"channels-last inputs are all scalar (the NCHW split would differ on {cl_vs_vec})")


def probe_float_region_clamp(rng, n):
    """DeQuantStub -> float hardtanh/relu6 -> QuantStub (a clamp with its own output qparams):
    quantize(clamp(dequantize(i))) element by element, a pure table."""
    cases = alt = 0
    for _ in range(20 * n):
        s, z = rand_qparams(rng, 1)
        s, z = F32(s[0]), int(z[0])
        lo, hi = (0.0, 6.0) if rng.random() < 0.5 else tuple(sorted(rng.uniform(-3, 3, 2)))
        so = F32(s * rng.choice([2.0, 0.5, 4.0, rng.uniform(0.3, 3)]))
        zo = int(rng.integers(0, 256))
        x, q = all_bytes_tensor(rng, s, z)
        y = torch.quantize_per_tensor(F.hardtanh(q.dequantize(), float(lo), float(hi)), float(so),
                                      zo, torch.quint8)
        got = ints(y)
        lut = R.lut_from_float(s, z, lambda v: np.clip(v, F32(lo), F32(hi)), so, zo)
        expect_equal("float-region hardtanh", got, R.apply_lut(x, lut))
        d = R.dequantize(np.arange(256), s, z)
        div = np.clip(np.rint(np.clip(d, F32(lo), F32(hi)) / so) + zo, 0, 255)  # ONNX's x / s
        alt += count_diff(got, R.apply_lut(x, div))
        cases += 1
    require_discriminates("float-region clamp x/s", alt)
    return f"{cases} tables; ONNX's division x/s would differ on {alt} entries"


# ----------------------------------------------------------------------------------------------
# mul, broadcasting add, mul_scalar
# ----------------------------------------------------------------------------------------------
def all_pairs():
    """a, b covering every pair of bytes, shaped (1, 256, 16, 16)."""
    a = np.repeat(np.arange(256), 256).reshape(1, 256, 16, 16)
    b = np.tile(np.arange(256), 256).reshape(1, 256, 16, 16)
    return a, b


def probe_mul(rng, n):
    """quantized::mul (FloatFunctional.mul): int product, float32 multiplier
    (sa * sb) * (1/sy), lrintf. Every pair of bytes, for random scales, exact ties
    (power-of-two multipliers) and scales where other multiplier orders give another
    float32."""
    a, b = all_pairs()
    alts = {"half-away": 0, "sa*sb/sy": 0, "double multiplier": 0,
            "dequantize, float multiply, quantize": 0}
    sets = []
    for _ in range(4 * n):  # random
        sa, sb = rand_scale(rng, 1e-3, 0.5), rand_scale(rng, 1e-3, 0.5)
        sets.append((sa, sb, F32(sa * sb * rng.uniform(20, 20000))))
    for _ in range(2 * n):  # multiplier an exact power of two: ties for odd products
        sa, sb = F32(2.0 ** -int(rng.integers(2, 9))), F32(2.0 ** -int(rng.integers(2, 9)))
        sets.append((sa, sb, F32(sa * sb * 2.0 ** int(rng.integers(1, 8)))))
    found = {k: 0 for k in ("sa*sb/sy", "double")}
    tries = 0
    while min(found.values()) < n and tries < 20000:  # multiplier-order discrimination
        tries += 1
        sa, sb = rand_scale(rng, 1e-3, 0.5), rand_scale(rng, 1e-3, 0.5)
        sy = F32(sa * sb * rng.uniform(20, 20000))
        m = R.mul_multiplier(sa, sb, sy)
        for k, other in (("sa*sb/sy", F32(F32(sa * sb) / sy)),
                         ("double", F32(np.float64(sa) * np.float64(sb) / np.float64(sy)))):
            if other != m and found[k] < n:
                pr = np.arange(-65025, 65026)
                if (np.rint(R.f32(pr) * m) != np.rint(R.f32(pr) * other)).any():
                    sets.append((sa, sb, sy))
                    found[k] += 1
                    break
    cases = 0
    for sa, sb, sy in sets:
        za, zb = (int(v) for v in rng.integers(0, 256, 2))
        zy = int(rng.integers(0, 256))
        got = ints(torch.ops.quantized.mul(q_u8(a, sa, za), q_u8(b, sb, zb), float(sy), zy))
        expect_equal(f"mul sa={sa} sb={sb} sy={sy}", got, R.mul(a, za, b, zb, sa, sb, sy, zy))
        p = (a - za) * (b - zb)
        m = R.mul_multiplier(sa, sb, sy)
        t = (R.f32(p) * m).astype(np.float64)
        alts["half-away"] += count_diff(got, np.clip(np.floor(np.abs(t) + 0.5) * np.sign(t) + zy,
                                                     0, 255))
        m2 = F32(F32(sa * sb) / sy)
        alts["sa*sb/sy"] += count_diff(got, R.rne_clamp(R.f32(p) * m2, zy))
        m3 = F32(np.float64(sa) * np.float64(sb) / np.float64(sy))
        alts["double multiplier"] += count_diff(got, R.rne_clamp(R.f32(p) * m3, zy))
        fl = R.quantize(R.dequantize(a, sa, za) * R.dequantize(b, sb, zb), sy, zy)
        alts["dequantize, float multiply, quantize"] += count_diff(got, fl)
        cases += 1
    # mul_relu (torch.ops.quantized.mul_relu; QFunctional has no mul_relu)
    sa, sb, sy = F32(0.05), F32(0.02), F32(0.004)
    got = ints(torch.ops.quantized.mul_relu(q_u8(a, sa, 100), q_u8(b, sb, 30), float(sy), 77))
    expect_equal("mul_relu", got, R.mul(a, 100, b, 30, sa, sb, sy, 77, relu=True))
    for k, v in alts.items():
        require_discriminates(f"mul vs {k}", v)
    return (f"{cases} scale sets x 65536 byte pairs; " +
            ", ".join(f"{k} would differ on {v}" for k, v in alts.items()))


def probe_mul_broadcast(rng, n):
    """Squeeze-excite gating: mul of (N,C,H,W) and an (N,C,1,1) gate in both operand orders
    and every memory-format combination; the value is a function of the two bytes only
    (vector and scalar bodies agree), and the output takes the first operand's format."""
    cases = 0
    formats = []
    for rep in range(6 * n):
        shape = [(2, 70, 9, 11), (1, 16, 7, 7), (1, 130, 5, 5), (2, 3, 40, 41)][rep % 4]
        gate = shape[:2] + (1, 1)
        sx, sg = rand_scale(rng, 0.005, 0.2), F32(1.0 / 256)  # a hardsigmoid gate's qparams
        zx, zg = int(rng.integers(0, 256)), 0
        sy, zy = F32(sx * rng.uniform(0.3, 1.2)), int(rng.integers(0, 256))
        x, g = rng.integers(0, 256, shape), rng.integers(0, 257, gate).clip(0, 255)
        for xcl in (False, True):
            for gcl in (False, True):
                qx = q_u8(x, sx, zx)
                qg = q_u8(g, sg, zg)
                if xcl:
                    qx = qx.contiguous(memory_format=torch.channels_last)
                if gcl:
                    qg = qg.contiguous(memory_format=torch.channels_last)
                for first_gate in (False, True):
                    args = (qg, qx) if first_gate else (qx, qg)
                    y = torch.ops.quantized.mul(*args, float(sy), zy)
                    want = (R.mul(g, zg, x, zx, sg, sx, sy, zy) if first_gate
                            else R.mul(x, zx, g, zg, sx, sg, sy, zy))
                    expect_equal(f"mul broadcast {shape} gate_first={first_gate}", ints(y), want)
                    if not first_gate:
                        cl = y.is_contiguous(memory_format=torch.channels_last)
                        if cl != xcl:
                            raise Mismatch(f"mul output format {cl} != first operand's {xcl}")
                    else:
                        formats.append(y.is_contiguous(memory_format=torch.channels_last))
                    cases += 1
    return (f"{cases} gated products equal the elementwise recipe; with the gate first the "
            f"output is channels-last in {sum(formats)}/{len(formats)} cases")


def probe_add_broadcast(rng, n):
    """quantized::add / add_relu with broadcasting (not QNNPACK): ATen qadd_kernel, FMA
    dequantize in the vectorized body, dequantize_val/quantize_val in the scalar one, the
    split given by TensorIterator's loop structure (aten_loop_mask). sy = 2 s makes every
    odd sum an exact tie, so the two bodies differ often."""
    import warnings

    shapes = [((2, 70, 9, 11), (2, 70, 1, 1)), ((2, 70, 1, 1), (2, 70, 9, 11)),
              ((1, 8, 13, 13), (1, 8, 1, 1)), ((1, 130, 5, 5), (1, 130, 1, 1)),
              ((1, 130, 1, 1), (1, 130, 5, 5)), ((2, 5, 7, 9), (1, 1, 1, 9)),
              ((2, 5, 7, 9), (5, 1, 1)), ((2, 5, 7, 9), (1, 5, 7, 9)),
              ((1, 3, 40, 40), (1, 3, 1, 40)), ((1, 3, 40, 40), (1, 3, 40, 1))]
    cases = total = only_vec = only_scalar = 0
    plans = [(sh, f, r) for sh in shapes for f in ((0, 0), (1, 0), (0, 1), (1, 1))
             for r in (False, True) if not (len(sh[1]) < 4 and f[1])]
    plans = plans[: max(40, len(plans) * n // 4)]
    plans += [(((1, 66, 41, 39), (1, 66, 1, 1)), (1, 1), False),  # > 32768: thread chunks
              (((1, 66, 1, 1), (1, 66, 41, 39)), (1, 1), False),
              (((2, 3, 101, 103), (2, 3, 1, 1)), (0, 0), True)]
    for (sa_, sb_), (acl, bcl), relu in plans:
        s = rand_scale(rng, 1e-2, 0.3)
        za, zb, zy = (int(v) for v in rng.integers(0, 256, 3))
        a, b = rng.integers(0, 256, sa_), rng.integers(0, 256, sb_)
        sy = F32(2 * s)
        qa, qb = q_u8(a, s, za), q_u8(b, s, zb)
        if acl:
            qa = qa.contiguous(memory_format=torch.channels_last)
        if bcl:
            qb = qb.contiguous(memory_format=torch.channels_last)
        op = torch.ops.quantized.add_relu if relu else torch.ops.quantized.add
        for threads in ((1, 2) if max(a.size, b.size) > 32768 else (1,)):
            old = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "An output ... was resized"
                    got = ints(op(qa, qb, float(sy), zy))
            finally:
                torch.set_num_threads(old)
            want = R.add_broadcast(a, za, acl, b, zb, bcl, s, s, sy, zy, relu, threads)
            expect_equal(f"add broadcast {sa_}+{sb_} cl={acl},{bcl} relu={relu} T={threads}",
                         got, want)
            only_vec += count_diff(got, R.add_aten(a, za, b, zb, s, s, sy, zy, relu, "vector"))
            only_scalar += count_diff(got, R.add_aten(a, za, b, zb, s, s, sy, zy, relu, "scalar"))
            cases += 1
            total += got.size
    require_discriminates("add broadcast vector only", only_vec)
    require_discriminates("add broadcast scalar only", only_scalar)
    return (f"{cases} adds, {total} elements; the vector formula alone would differ on "
            f"{only_vec}, the scalar one on {only_scalar}")


def probe_mul_scalar(rng, n):
    """quantized::mul_scalar (QFunctional.mul_scalar, not exportable): the integers are
    copied (c > 0), zeroed (c == 0) or mirrored (c < 0); the new scale |c| * s is a double."""
    for c in (0.75, 3.0, 0.1, 0.0, -0.5, -2.0):
        s, z = rand_scale(rng, 0.005, 0.2), int(rng.integers(0, 256))
        x = rng.integers(0, 256, (2, 3, 4, 5))
        y = torch.ops.quantized.mul_scalar(q_u8(x, s, z), c)
        ints_, s2, z2 = R.mul_scalar(x, s, z, c)
        expect_equal(f"mul_scalar {c}", ints(y), ints_)
        if (y.q_scale(), y.q_zero_point()) != (s2, z2):
            raise Mismatch(f"mul_scalar {c}: qparams {y.q_scale()}, {y.q_zero_point()} "
                           f"!= {s2}, {z2}")
    return "values and (double) qparams as the recipe for c in {0.75, 3, 0.1, 0, -0.5, -2}"


# ----------------------------------------------------------------------------------------------
# upsampling
# ----------------------------------------------------------------------------------------------
def interp_cases(rng, n):
    """(input H, W, F.interpolate kwargs, PyTorch's scale factors or None)."""
    cases = [((5, 7), {"scale_factor": 2}), ((5, 7), {"scale_factor": 1.5}),
             ((5, 7), {"scale_factor": 3}), ((5, 7), {"size": (9, 13)}),
             ((6, 6), {"size": (4, 5)}), ((13, 17), {"scale_factor": 1.7}),
             ((7, 5), {"scale_factor": (2.3, 0.7)}), ((4, 4), {"size": (4, 4)}),
             ((1, 5), {"size": (1, 9)}), ((9, 11), {"scale_factor": 1.1}),
             ((10, 10), {"scale_factor": 1.03})]
    out = []
    for hw, kw in cases[: max(6, len(cases) * n // 4)]:
        sf = kw.get("scale_factor")
        sc = (None, None) if sf is None else (sf if isinstance(sf, tuple) else (sf, sf))
        out.append((hw, kw, sc))
    return out


def probe_upsample_nearest(rng, n):
    """quantized upsample_nearest2d: src = min(floorf((float)o * scale), in - 1) with
    scale = (float)(1.0 / scale_factor) or (float)in / (float)out; a pure gather, output
    qparams = input's, both memory formats."""
    cases = 0
    for hw, kw, sc in interp_cases(rng, n):
        for cl in (False, True):
            x = rng.integers(0, 256, (2, int(rng.integers(1, 20))) + hw)
            s, z = rand_scale(rng, 0.005, 0.2), int(rng.integers(0, 256))
            q = q_u8(x, s, z)
            if cl:
                q = q.contiguous(memory_format=torch.channels_last)
            y = F.interpolate(q, mode="nearest", **kw)
            if (y.q_scale(), y.q_zero_point()) != (q.q_scale(), z):
                raise Mismatch("upsample_nearest2d changed the qparams")
            if x.shape[1] > 1 and y.is_contiguous(memory_format=torch.channels_last) != cl:
                raise Mismatch("upsample_nearest2d changed the memory format")
            expect_equal(f"nearest {hw} {kw} cl={cl}", ints(y),
                         R.upsample_nearest2d(x, y.shape[2:], sc))
            cases += 1
    # index discrimination on 1-D rows: factors where the float reciprocal, ONNX's
    # division by the float32 scale, or exact arithmetic pick another source index
    alts = {"floor(o / f32(s)) (ONNX asymmetric)": 0, "f32(1 / f32(s))": 0, "exact o / s": 0}
    rows = 0
    for s_dec in np.round(np.arange(0.3, 6.0, 0.01), 2):
        in_size = 600
        out_size = R.upsample_output_size(in_size, s_dec)
        idx = R.nearest_source_index(in_size, out_size, s_dec)
        o = np.arange(out_size)
        a1 = np.minimum(np.floor((R.f32(o) / F32(s_dec)).astype(np.float64)), in_size - 1)
        a2 = np.minimum(np.floor((R.f32(o) * F32(1.0 / np.float64(F32(s_dec)))).astype(
            np.float64)), in_size - 1)
        a3 = np.minimum(np.floor(o / s_dec), in_size - 1)
        if (a1 != idx).any() or (a2 != idx).any() or (a3 != idx).any():
            x = rng.integers(0, 256, (1, 1, 1, in_size))
            got = ints(F.interpolate(q_u8(x, 0.1, 3), scale_factor=(1.0, float(s_dec)),
                                     mode="nearest"))
            expect_equal(f"nearest 1-D scale {s_dec}", got, x[:, :, :, idx])
            for k, a in zip(alts, (a1, a2, a3)):
                alts[k] += count_diff(got, x[:, :, :, a.astype(np.int64)])
            rows += 1
    for k, v in alts.items():
        require_discriminates(f"nearest index vs {k}", v)
    return (f"{cases} upsamplings; {rows} discriminating 1-D rows: " +
            ", ".join(f"{k} differs on {v}" for k, v in alts.items()))


def probe_upsample_bilinear(rng, n):
    """quantized upsample_bilinear2d, align_corners both ways: contiguous inputs take
    UpSampleBilinear2d.cpp (no FMA), channels-last inputs the AVX2 NHWC kernel (FMA, vector
    blocks of 8 channels and a scalar tail contracted differently)."""
    cases = 0
    alts = {"rne(sum) without the zero point": 0, "NCHW formula on NHWC": 0,
            "NHWC: vector formula for all channels": 0, "NHWC: tail formula for all channels": 0}
    for hw, kw, sc in interp_cases(rng, n):
        for ac in (False, True):
            for cl in (False, True):
                for c in (3, 8, 13, 21):
                    x = rng.integers(0, 256, (2, c) + hw)
                    s, z = rand_scale(rng, 0.005, 0.2), int(rng.integers(0, 256))
                    q = q_u8(x, s, z)
                    if cl:
                        q = q.contiguous(memory_format=torch.channels_last)
                    y = F.interpolate(q, mode="bilinear", align_corners=ac, **kw)
                    if (y.q_scale(), y.q_zero_point()) != (q.q_scale(), z):
                        raise Mismatch("upsample_bilinear2d changed the qparams")
                    got = ints(y)
                    oh, ow = y.shape[2:]
                    want = R.upsample_bilinear2d(x, z, (oh, ow), ac, sc, cl)
                    expect_equal(f"bilinear {hw} {kw} ac={ac} cl={cl} C={c}", got, want)
                    cases += 1
                    # alternatives
                    h1, hp, h0l, h1l = R.bilinear_source(hw[0], oh, ac, sc[0], cl)
                    w1, wp, w0l, w1l = R.bilinear_source(hw[1], ow, ac, sc[1], cl)
                    X = R.f32(x)
                    H0, H1 = h0l[None, None, :, None], h1l[None, None, :, None]
                    W0, W1 = w0l[None, None, None, :], w1l[None, None, None, :]
                    sm = (H0 * (W0 * X[:, :, h1][:, :, :, w1] + W1 * X[:, :, h1][:, :, :, w1 + wp])
                          + H1 * (W0 * X[:, :, h1 + hp][:, :, :, w1]
                                  + W1 * X[:, :, h1 + hp][:, :, :, w1 + wp]))
                    alts["rne(sum) without the zero point"] += count_diff(got, R.rne_clamp(sm, 0))
                    if cl:
                        alts["NCHW formula on NHWC"] += count_diff(
                            got, R.upsample_bilinear2d(x, z, (oh, ow), ac, sc, False))
                        wide = np.concatenate([x] * 8, axis=1)  # C*8 channels: all vector
                        allv = R.upsample_bilinear2d(wide, z, (oh, ow), ac, sc, True)[:, :c]
                        old = R.UPSAMPLE_NHWC_VLEN
                        try:
                            R.UPSAMPLE_NHWC_VLEN = 10**6  # no vector block: all tail
                            allt = R.upsample_bilinear2d(x, z, (oh, ow), ac, sc, True)
                        finally:
                            R.UPSAMPLE_NHWC_VLEN = old
                        alts["NHWC: vector formula for all channels"] += count_diff(got, allv)
                        alts["NHWC: tail formula for all channels"] += count_diff(got, allt)
    for k, v in alts.items():
        require_discriminates(f"bilinear vs {k}", v)
    # torch 1.13 defect: an (N, C, 1, 1) input (C > 1) takes the NHWC kernel, whose NHWC
    # bytes PyTorch labels NCHW (the output is allocated in the input's suggested format)
    scrambled = 0
    for mode in ("nearest", "bilinear"):
        for kw in ({"scale_factor": 2.5}, {"size": (3, 5)}):
            for cl in (False, True):
                x = rng.integers(0, 256, (2, 6, 1, 1))
                z = int(rng.integers(0, 256))
                q = q_u8(x, 0.1, z)
                if cl:
                    q = q.contiguous(memory_format=torch.channels_last)
                got = ints(F.interpolate(q, mode=mode, **kw))
                sf = kw.get("scale_factor")
                sc = (sf, sf)
                right = (R.upsample_nearest2d(x, got.shape[2:], sc) if mode == "nearest" else
                         R.upsample_bilinear2d(x, z, got.shape[2:], False, sc, True))
                expect_equal(f"{mode} of (N,C,1,1) (torch 1.13 defect)", got,
                             R.nhwc_bytes_as_nchw(right))
                scrambled += count_diff(got, right)
    require_discriminates("upsample (N,C,1,1) defect", scrambled)
    return (f"{cases} upsamplings; " + ", ".join(f"{k} differs on {v}" for k, v in alts.items())
            + f"; (N,C,1,1) inputs: PyTorch's permuted bytes reproduced ({scrambled} elements "
            "off the correct result)")


# ----------------------------------------------------------------------------------------------
# avg_pool2d ceil_mode=True, non-divisible adaptive_avg_pool2d (ATen native kernels)
# ----------------------------------------------------------------------------------------------
def half_away(t):
    t = np.asarray(t, dtype=np.float64)
    return np.floor(np.abs(t) + 0.5) * np.sign(t)


def probe_avgpool_ceil(rng, n):
    """avg_pool2d with ceil_mode=True (not QNNPACK): count_include_pad and divisor_override
    are honoured; NCHW adds the zero point in float before rounding, NHWC after."""
    alts = {"zero point added after rounding (NCHW)": 0, "zero point added in float (NHWC)": 0,
            "QNNPACK divisor kh*kw": 0, "half-away rounding": 0}
    cases = 0
    configs = [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 3), (2, 2), (0, 0)),
               ((2, 3), (2, 2), (1, 1)), ((3, 2), (3, 2), (1, 0)), ((5, 5), (3, 3), (2, 2)),
               ((2, 2), (2, 2), (1, 1))]
    for rep in range(n):
        for k, s, p in configs:
            for cip in (True, False):
                for div in (None, 3, 7):
                    for cl in (False, True):
                        c = (3, 8, 13, 21)[(rep + cases) % 4]
                        hw = ((9, 10), (5, 5), (6, 7))[cases % 3]
                        x = rng.integers(0, 256, (2, c) + hw)
                        z = int(rng.integers(0, 256))
                        q = q_u8(x, rand_scale(rng, 0.005, 0.2), z)
                        if cl:
                            q = q.contiguous(memory_format=torch.channels_last)
                        y = F.avg_pool2d(q, k, s, p, ceil_mode=True, count_include_pad=cip,
                                         divisor_override=div)
                        if y.q_zero_point() != z or (c > 1 and y.is_contiguous(
                                memory_format=torch.channels_last) != cl):
                            raise Mismatch("avg_pool2d ceil: qparams or memory format changed")
                        got = ints(y)
                        want = R.avg_pool2d_native(x, z, k, s, p, True, cip, div, cl)
                        expect_equal(f"avg_pool2d ceil {k} {s} {p} cip={cip} div={div} cl={cl}",
                                     got, want)
                        other = R.avg_pool2d_native(x, z, k, s, p, True, cip, div, not cl)
                        key = ("zero point added in float (NHWC)" if cl else
                               "zero point added after rounding (NCHW)")
                        alts[key] += count_diff(got, other)
                        if div is None:
                            alts["QNNPACK divisor kh*kw"] += count_diff(
                                got, R.avg_pool2d_native(x, z, k, s, p, True, True, k[0] * k[1],
                                                         cl))
                        # half-away on the exact mean
                        wh = R._avg_windows(hw[0], k[0], s[0], p[0], True)
                        ww = R._avg_windows(hw[1], k[1], s[1], p[1], True)
                        ha = np.zeros_like(got)
                        for i, (h0, h1, ph) in enumerate(wh):
                            for j, (w0, w1, pw) in enumerate(ww):
                                size = (h1 - h0) * (w1 - w0)
                                acc = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) - size * z
                                d = div if div else (ph * pw if cip else size)
                                ha[:, :, i, j] = np.clip(half_away(acc / d) + z, 0, 255)
                        alts["half-away rounding"] += count_diff(got, ha)
                        cases += 1
    for k_, v in alts.items():
        require_discriminates(f"avg_pool2d ceil vs {k_}", v)
    return f"{cases} pools; " + ", ".join(f"{k_} differs on {v}" for k_, v in alts.items())


def probe_adaptive_avgpool_native(rng, n):
    """adaptive_avg_pool2d whose input size is not a multiple of the output size: NCHW rounds
    sum(x) * ((1/kh)/kw) on the raw integers, NHWC (sum(x) - kh*kw*zp) * (1/(kh*kw)) + zp."""
    alts = {"NCHW: 1/(kh*kw)": 0, "NCHW: (1/kw)/kh": 0, "NHWC: (1/kh)/kw": 0,
            "the other layout's formula": 0, "half-away rounding": 0}
    cases = 0
    shapes = [((7, 7), (3, 3)), ((5, 5), (2, 2)), ((13, 19), (2, 2)), ((9, 10), (4, 3)),
              ((3, 3), (5, 5)), ((6, 9), (4, 5)), ((27, 13), (2, 2)), ((13, 27), (2, 2))]
    for rep in range(n):
        for hw, out in shapes:
            for cl in (False, True):
                c = (3, 8, 13, 21)[(rep + cases) % 4]
                x = rng.integers(0, 256, (2, c) + hw)
                if rep % 2:  # flat inputs: sums near multiples of the window size
                    x = np.clip(rng.integers(-3, 4, x.shape) + rng.integers(0, 256), 0, 255)
                z = int(rng.integers(0, 256))
                q = q_u8(x, rand_scale(rng, 0.005, 0.2), z)
                if cl:
                    q = q.contiguous(memory_format=torch.channels_last)
                y = F.adaptive_avg_pool2d(q, out)
                got = ints(y)
                expect_equal(f"adaptive {hw}->{out} cl={cl}", got,
                             R.adaptive_avg_pool2d_native(x, z, out, cl))
                alts["the other layout's formula"] += count_diff(
                    got, R.adaptive_avg_pool2d_native(x, z, out, not cl))
                ha = np.zeros_like(got)
                alt_m = np.zeros_like(got)
                alt_m2 = np.zeros_like(got)
                for i, (h0, h1) in enumerate(R.adaptive_windows(out[0], hw[0])):
                    for j, (w0, w1) in enumerate(R.adaptive_windows(out[1], hw[1])):
                        kh, kw = h1 - h0, w1 - w0
                        raw = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
                        ha[:, :, i, j] = np.clip(half_away(raw / (kh * kw)), 0, 255)
                        if cl:
                            m = (F32(1) / F32(kh)) / F32(kw)
                            alt_m[:, :, i, j] = R.rne_clamp(R.f32(raw - kh * kw * z) * m, z)
                        else:
                            alt_m[:, :, i, j] = R.rne_clamp(R.f32(raw) * (F32(1) / F32(kh * kw)), 0)
                            alt_m2[:, :, i, j] = R.rne_clamp(
                                R.f32(raw) * ((F32(1) / F32(kw)) / F32(kh)), 0)
                alts["half-away rounding"] += count_diff(got, ha)
                if cl:
                    alts["NHWC: (1/kh)/kw"] += count_diff(got, alt_m)
                else:
                    alts["NCHW: 1/(kh*kw)"] += count_diff(got, alt_m)
                    alts["NCHW: (1/kw)/kh"] += count_diff(got, alt_m2)
                cases += 1
    # constructed sums: the first window of 13x19 -> 2x2 (7x10) and 27x13 -> 2x2 (14x7) gets a
    # sum on which the multiplier orders round apart
    for hw in ((13, 19), (27, 13)):
        kh, kw = -(-hw[0] // 2), -(-hw[1] // 2)
        sums = np.arange(kh * kw * 256)
        m = {"hw": (F32(1) / F32(kh)) / F32(kw), "wh": (F32(1) / F32(kw)) / F32(kh),
             "once": F32(1) / F32(kh * kw)}
        r = {k_: np.rint((R.f32(sums) * v).astype(np.float64)) for k_, v in m.items()}
        pick = sums[(r["hw"] != r["wh"]) | (r["hw"] != r["once"])]
        for rep in range(4 * n):
            for cl in (False, True):
                z = int(rng.integers(0, 256))
                tgt = int(rng.choice(pick)) if not cl else int(rng.choice(pick)) + kh * kw * z
                tgt = min(tgt, kh * kw * 255)
                x = rng.integers(0, 256, (1, 3) + hw)
                base, rem = divmod(tgt, kh * kw)
                win = np.full(kh * kw, base)
                win[:rem] += 1
                x[:, :, :kh, :kw] = win.reshape(kh, kw)
                q = q_u8(x, 0.1, z)
                if cl:
                    q = q.contiguous(memory_format=torch.channels_last)
                got = ints(F.adaptive_avg_pool2d(q, (2, 2)))
                expect_equal(f"adaptive constructed {hw} cl={cl}", got,
                             R.adaptive_avg_pool2d_native(x, z, (2, 2), cl))
                raw = x[:, :, :kh, :kw].sum(axis=(2, 3))
                g = got[:, :, 0, 0]
                if cl:
                    alts["NHWC: (1/kh)/kw"] += count_diff(
                        g, R.rne_clamp(R.f32(raw - kh * kw * z) * m["hw"], z))
                else:
                    alts["NCHW: 1/(kh*kw)"] += count_diff(g, R.rne_clamp(R.f32(raw) * m["once"], 0))
                    alts["NCHW: (1/kw)/kh"] += count_diff(g, R.rne_clamp(R.f32(raw) * m["wh"], 0))
                cases += 1
    for k_, v in alts.items():
        require_discriminates(f"adaptive_avg_pool2d vs {k_}", v)
    return f"{cases} pools; " + ", ".join(f"{k_} differs on {v}" for k_, v in alts.items())


# ----------------------------------------------------------------------------------------------
# signed int8 activations (qint8; XNNPACK for conv / linear / add / mul), docs 2.23
# ----------------------------------------------------------------------------------------------
def q_i8(ints, scale, zp, channels_last=False):
    t = torch._make_per_tensor_quantized_tensor(
        torch.from_numpy(np.asarray(ints, dtype=np.int8)), float(scale), int(zp))
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def probe_qint8_conv(rng, n):
    """qint8 conv2d[_relu] / linear[_relu] (XNNPACK qs8/qc8): QNNPACK's accumulator and bias,
    scale (sx * sw) / sy, clamp [-128 or zy, 127]; the scale order is discriminated on
    accumulators set through the bias (zero weights)."""
    elems = 0
    for rep in range(n):
        for (cin, cout, k, st, pad, dil, g) in CONV_SHAPES:
            for per_channel in (False, True):
                relu = bool(rng.integers(0, 2))
                sx = rand_scale(rng, 0.005, 0.1)
                zx = int(rng.integers(-128, 128)) if rep % 2 else 0
                x = rng.integers(-128, 128, (2, cin, 9, 11))
                w = rng.integers(-127, 128, (cout, cin // g, *k))
                sw = (np.array([rand_scale(rng, 0.001, 0.02) for _ in range(cout)], F32)
                      if per_channel else rand_scale(rng, 0.001, 0.02))
                acc_std = np.sqrt((cin // g) * k[0] * k[1]) * 74.0 * 74.0
                sy = F32(sx * np.max(sw) * acc_std / rng.uniform(15, 60))
                zy = int(rng.integers(-128, 128))
                b = (rng.standard_normal(cout) * acc_std * sx * np.max(sw)).astype(F32)
                packed = torch.ops.quantized.conv2d_prepack(
                    q_weight(w, sw, np.zeros(cout, np.int64) if per_channel else 0),
                    torch.from_numpy(b), list(st), list(pad), list(dil), g)
                op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
                got = ints(op(q_i8(x, sx, zx), packed, float(sy), zy))
                bq = np.broadcast_to(R.quantize_bias(b, sx, sw), (cout,))
                acc = R.conv2d_acc(x, zx, w, 0, bq, st, pad, dil, g)
                expect_equal(f"qint8 conv {cin, cout, k, st, pad, dil, g} pc={per_channel}",
                             got, R.qint8_conv_requantize(acc, sx, sw, sy, zy, relu))
                elems += got.size
        for (m, kk, nout) in [(1, 16, 10), (3, 37, 13), (2, 200, 33)]:
            relu = bool(rng.integers(0, 2))
            sx, sw = rand_scale(rng, 0.005, 0.1), rand_scale(rng, 0.001, 0.02)
            zx, zy = (int(v) for v in rng.integers(-128, 128, 2))
            x = rng.integers(-128, 128, (m, kk))
            w = rng.integers(-127, 128, (nout, kk))
            sy = F32(sx * sw * np.sqrt(kk) * 74 * 74 / rng.uniform(15, 60))
            b = (rng.standard_normal(nout) * np.sqrt(kk) * 5000 * sx * sw).astype(F32)
            packed = torch.ops.quantized.linear_prepack(q_weight(w, sw, 0), torch.from_numpy(b))
            op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
            got = ints(op(q_i8(x, sx, zx), packed, float(sy), zy))
            acc = R.linear_acc(x, zx, w, 0, R.quantize_bias(b, sx, sw))
            expect_equal("qint8 linear", got, R.qint8_conv_requantize(acc, sx, sw, sy, zy, relu))
            elems += got.size
    # scale order: accumulators whose rounding differs between the candidate scales
    alts = {"(sw*sx)*(1/sy) (QNNPACK)": lambda sx, sw, sy: R.requant_scale(sx, sw, sy),
            "sx*(sw/sy)": lambda sx, sw, sy: F32(sx * F32(sw / sy)),
            "double": lambda sx, sw, sy: F32(np.float64(sx) * np.float64(sw) / np.float64(sy))}
    differ = {k: 0 for k in alts}
    cases = 0
    for kind in ("conv_pt", "conv_pc", "linear"):
        tries = 0
        while tries < 20000 and cases < 12 * n * (1 + ["conv_pt", "conv_pc", "linear"].index(kind)):
            tries += 1
            sx, sw = rand_scale(rng, 0.005, 0.1), rand_scale(rng, 0.001, 0.02)
            sy = F32(sx * sw * rng.uniform(50, 400))
            ours = R.xnn_requant_scale(sx, sw, sy)
            others = {k: f(sx, sw, sy) for k, f in alts.items()}
            if all(v == ours for v in others.values()):
                continue
            accs = rng.integers(-30000, 30000, 4000)
            diff = np.zeros(accs.size, bool)
            for v in others.values():
                diff |= np.rint(F32(accs) * v) != np.rint(F32(accs) * ours)
            if not diff.any():
                continue
            acc = int(accs[np.argmax(diff)])
            bias = F32(np.float64(acc) * np.float64(F32(sx * sw)))
            if R.quantize_bias(np.array([bias]), sx, sw)[0] != acc:
                continue
            zy = int(-np.rint(F32(acc) * ours))
            if not -128 <= zy <= 127:
                continue
            if kind == "linear":
                packed = torch.ops.quantized.linear_prepack(q_weight(np.zeros((1, 1)), sw, 0),
                                                            torch.tensor([bias]))
                got = ints(torch.ops.quantized.linear(q_i8(np.zeros((1, 1)), sx, 0), packed,
                                                      float(sy), zy)).reshape(1, 1, 1, 1)
            else:
                swv = np.array([sw], F32) if kind == "conv_pc" else sw
                packed = torch.ops.quantized.conv2d_prepack(
                    q_weight(np.zeros((1, 1, 1, 1)), swv, np.zeros(1, np.int64) if kind ==
                             "conv_pc" else 0), torch.tensor([bias]), [1, 1], [0, 0], [1, 1], 1)
                got = ints(torch.ops.quantized.conv2d(q_i8(np.zeros((1, 1, 1, 1)), sx, 0),
                                                      packed, float(sy), zy))
            a = np.array([[[[acc]]]])
            expect_equal(f"qint8 {kind} scale order", got,
                         R.qint8_conv_requantize(a, sx, np.array([sw], F32), sy, zy))
            for k, v in others.items():
                differ[k] += count_diff(got, R.rne_clamp(F32(acc) * v, zy, -128, 127))
            cases += 1
    for k, v in differ.items():
        require_discriminates(f"qint8 conv scale vs {k}", v)
    # XNNPACK refuses nonzero weight zero points (conv) and per-channel linear
    errors = []
    for what, fn in [
        ("conv weight zp 3", lambda: torch.ops.quantized.conv2d(
            q_i8(np.zeros((1, 1, 3, 3)), 0.1, 0), torch.ops.quantized.conv2d_prepack(
                q_weight(np.ones((1, 1, 1, 1)), F32(0.01), 3), None, [1, 1], [0, 0], [1, 1], 1),
            0.1, 0)),
        ("per-channel linear", lambda: torch.ops.quantized.linear(
            q_i8(np.zeros((1, 4)), 0.1, 0), torch.ops.quantized.linear_prepack(
                q_weight(np.ones((2, 4)), np.array([0.01, 0.02], F32), np.zeros(2, np.int64)),
                None), 0.1, 0))]:
        try:
            fn()
        except RuntimeError as e:
            errors.append(what)
            continue
        raise Mismatch(f"qint8 {what} no longer raises")
    return (f"{elems} conv/linear outputs; {cases} scale-order cases where "
            + ", ".join(f"{k} differs on {v}" for k, v in differ.items())
            + f"; raises for: {', '.join(errors)}")


def all_pairs_i8():
    a, b = np.meshgrid(np.arange(-128, 128), np.arange(-128, 128), indexing="ij")
    return a.reshape(1, 256, 16, 16), b.reshape(1, 256, 16, 16)


def probe_qint8_add(rng, n):
    """qint8 add / add_relu (XNNPACK qs8 vadd): 20-bit multipliers, round half up. Every byte
    pair; QNNPACK's quint8 recipe (21-bit, half away) and half-away with 20 bits differ."""
    a, b = all_pairs_i8()
    total = alt_qnnp = alt_away = 0
    for i in range(4 * n):
        sa = rand_scale(rng, 0.005, 0.2)
        sb = F32(sa * rng.uniform(0.3, 3)) if i % 4 else sa
        sy = F32(max(sa, sb) * rng.uniform(0.6, 3.0)) if i % 4 else F32(2 * sa)
        za, zb, zy = (int(v) for v in rng.integers(-128, 128, 3))
        relu = i % 2 == 1
        op = torch.ops.quantized.add_relu if relu else torch.ops.quantized.add
        got = ints(op(q_i8(a, sa, za), q_i8(b, sb, zb), float(sy), zy))
        expect_equal("qint8 add", got, R.qint8_add(a, za, b, zb, sa, sb, sy, zy, relu))
        lo = zy if relu else -128
        alt_qnnp += count_diff(got, np.clip(R.add(a, za, b, zb, sa, sb, sy, 0, -10**9, 10**9) + zy,
                                            lo, 127))
        ma, mb, sh = R.xnn_add_params(sa, sb, sy)
        s = (a - za) * ma + (b - zb) * mb
        alt_away += count_diff(got, np.clip(R.rshift_round_half_away(s, sh) + zy, lo, 127))
        total += got.size
    require_discriminates("qint8 add vs QNNPACK recipe", alt_qnnp)
    require_discriminates("qint8 add half-away", alt_away)
    refused = 0
    for ratio in (2.0**-11, 256.0):
        try:
            torch.ops.quantized.add(q_i8([1], 0.01, 0), q_i8([1], F32(0.01 * ratio), 0), 0.01, 0)
        except RuntimeError:
            refused += 1
    if refused != 2:
        raise Mismatch("qint8 add: scale ratios 2^-11 / 256 no longer refused")
    return (f"{total} sums (all byte pairs); QNNPACK's recipe would differ on {alt_qnnp}, "
            f"half-away rounding on {alt_away}; ratios 2^-11 and 256 refused")


def probe_qint8_mul(rng, n):
    """qint8 mul (XNNPACK qs8 vmul): multiplier (sa*sb)/sy. Every byte pair."""
    a, b = all_pairs_i8()
    total = alt_recip = alt_away = 0
    for i in range(6 * n):
        sa, sb = rand_scale(rng, 0.005, 0.2), rand_scale(rng, 0.005, 0.2)
        sy = F32(sa * sb * (2 ** int(rng.integers(5, 9)) if i % 3 == 0 else rng.uniform(30, 300)))
        za, zb, zy = (int(v) for v in rng.integers(-128, 128, 3)) if i % 2 else (0, 0, 0)
        got = ints(torch.ops.quantized.mul(q_i8(a, sa, za), q_i8(b, sb, zb), float(sy), zy))
        expect_equal("qint8 mul", got, R.qint8_mul(a, za, b, zb, sa, sb, sy, zy))
        p = (a - za) * (b - zb)
        alt_recip += count_diff(got, R.rne_clamp(F32(p) * R.mul_multiplier(sa, sb, sy), zy,
                                                 -128, 127))
        t = (F32(p) * ((F32(sa) * F32(sb)) / F32(sy))).astype(np.float64)
        alt_away += count_diff(got, np.clip(np.floor(np.abs(t) + 0.5) * np.sign(t) + zy, -128, 127))
        total += got.size
    require_discriminates("qint8 mul vs (sa*sb)*(1/sy)", alt_recip)
    require_discriminates("qint8 mul half-away", alt_away)
    return (f"{total} products; ATen's quint8 multiplier (sa*sb)*(1/sy) would differ on "
            f"{alt_recip}, half-away rounding on {alt_away}")


def probe_qint8_other(rng, n):
    """qint8 quantize/dequantize, avg/adaptive/max pooling (ATen native), relu, hardtanh,
    relu6 (no channels-last defect for qint8) and cat (both paths)."""
    total = 0
    d_qnnp = 0
    # quantize (with exact ties) / dequantize
    s, zp = rand_scale(rng, 0.005, 0.1), int(rng.integers(-20, 20))
    k = rng.integers(-150, 150, 4000)
    x = np.concatenate([(rng.standard_normal(8000) * 80 * s).astype(F32),
                        ((k + 0.5) * np.float64(s)).astype(F32)])
    q = torch.quantize_per_tensor(torch.from_numpy(x), float(s), zp, torch.qint8)
    expect_equal("qint8 quantize", ints(q), R.quantize(x, s, zp, "qint8"))
    expect_equal("qint8 dequantize", q.dequantize().numpy(), R.dequantize(ints(q), s, zp))
    total += 2 * x.size
    for cl in (False, True):
        for (kk, st, pad, cip) in [((2, 2), (2, 2), (0, 0), True), ((3, 3), (1, 1), (1, 1), True),
                                   ((3, 3), (1, 1), (1, 1), False), ((2, 3), (2, 1), (1, 1), True)]:
            for c in (3, 8, 13):
                zp = int(rng.integers(-128, 128))
                x = rng.integers(-128, 128, (2, c, 9, 11))
                got = ints(F.avg_pool2d(q_i8(x, 0.05, zp, cl), kk, st, pad, count_include_pad=cip))
                expect_equal(f"qint8 avg_pool2d {kk} cl={cl}", got,
                             R.qint8_avg_pool2d(x, zp, kk, st, pad, False, cip, None, cl))
                d_qnnp += count_diff(got, R.qint8_avg_pool2d(x, zp, kk, st, pad, False, cip, None,
                                                             not cl))
                total += got.size
        for (hw, o) in [((8, 8), (1, 1)), ((8, 8), (2, 2)), ((7, 7), (3, 3)), ((9, 10), (4, 3))]:
            for c in (3, 13):
                zp = int(rng.integers(-128, 128)) if c == 13 else 0
                x = rng.integers(-128, 128, (2, c) + hw)
                got = ints(F.adaptive_avg_pool2d(q_i8(x, 0.05, zp, cl), o))
                expect_equal(f"qint8 adaptive_avg_pool2d {hw}->{o} cl={cl}", got,
                             R.qint8_adaptive_avg_pool2d(x, zp, o, cl))
                total += got.size
        for (kk, st, pad, dil, cm) in [(2, 2, 0, 1, False), (3, 1, 1, 1, False), (3, 2, 1, 1, True),
                                       (3, 1, 1, 2, False)]:
            x = rng.integers(-128, -100, (2, 5, 9, 11))
            got = ints(F.max_pool2d(q_i8(x, 0.1, 5, cl), kk, st, pad, dil, ceil_mode=cm))
            expect_equal("qint8 max_pool2d", got, R.max_pool2d(x, (kk, kk), (st, st), (pad, pad),
                                                               (dil, dil), cm))
            total += got.size
        x = rng.integers(-128, 128, (2, 5, 4, 6))
        s, zp = F32(0.03), int(rng.integers(-50, 50))
        expect_equal("qint8 relu", ints(F.relu(q_i8(x, s, zp, cl))), R.relu(x, zp))
        lo, hi = (int(R.quantize(F32(v), s, zp, "qint8")) for v in (-1.0, 1.0))
        expect_equal(f"qint8 hardtanh cl={cl}", ints(F.hardtanh(q_i8(x, s, zp, cl), -1.0, 1.0)),
                     np.clip(x, lo, hi))
        lo, hi = (int(R.quantize(F32(v), s, zp, "qint8")) for v in (0.0, 6.0))
        expect_equal(f"qint8 relu6 cl={cl}", ints(F.relu6(q_i8(x, s, zp, cl))), np.clip(x, lo, hi))
        total += 3 * x.size
    require_discriminates("qint8 avg_pool2d NCHW vs NHWC formula", d_qnnp)
    # cat, both paths
    for i in range(3 * n):
        cs = [(5, 13), (45, 63), (64, 8), (3, 3)][i % 4]
        so, zo = rand_scale(rng, 0.01, 0.1), int(rng.integers(-20, 20))
        ss = [rand_scale(rng, 0.01, 0.1) for _ in cs]
        zs = [int(v) for v in rng.integers(-20, 20, len(cs))]
        if i % 3 == 0:
            ss[0], zs[0] = so, zo
        xs = [rng.integers(-128, 128, (1, c, 4, 5)) for c in cs]
        got = ints(torch.ops.quantized.cat([q_i8(x, s, z, True) for x, s, z in zip(xs, ss, zs)],
                                           1, float(so), zo))
        expect_equal("qint8 cat channels-last", got, R.qint8_cat_channels_last(xs, ss, zs, so, zo))
        got = ints(torch.ops.quantized.cat([q_i8(x, s, z) for x, s, z in zip(xs, ss, zs)],
                                           1, float(so), zo))
        expect_equal("qint8 cat contiguous", got, R.qint8_cat_contiguous(xs, ss, zs, so, zo))
        total += 2 * got.size
    return (f"{total} elements; the other memory format's avg_pool2d formula would differ on "
            f"{d_qnnp}")


def probe_harness_can_fail(rng, n):
    """The comparison itself must catch a one-LSB difference."""
    a = np.arange(10)
    b = a.copy()
    b[7] += 1
    try:
        expect_equal("self-test", a, b)
    except Mismatch:
        return "a 1-LSB difference is reported"
    raise AssertionError("expect_equal missed a difference")


PROBES = [
    probe_harness_can_fail,
    probe_quantize,
    probe_dequantize,
    probe_conv,
    probe_bias_rounding,
    probe_conv_overflow,
    probe_bias_overflow,
    probe_requant_scale_order,
    probe_linear,
    probe_add,
    probe_add_layouts,
    probe_add_scale_limits,
    probe_maxpool,
    probe_avgpool,
    probe_adaptive_avgpool,
    probe_spatial_mean,
    probe_cat,
    probe_clamps,
    probe_clamp_channels_last_bug,
    probe_argmax,
    probe_sigmoid_tanh_hardsigmoid,
    probe_hardswish,
    probe_leaky_relu,
    probe_elu,
    probe_float_region_clamp,
    probe_mul,
    probe_mul_broadcast,
    probe_add_broadcast,
    probe_mul_scalar,
    probe_upsample_nearest,
    probe_upsample_bilinear,
    probe_avgpool_ceil,
    probe_adaptive_avgpool_native,
    probe_qint8_conv,
    probe_qint8_add,
    probe_qint8_mul,
    probe_qint8_other,
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--quick", action="store_true", help="fewer random cases")
    ap.add_argument("-k", default="", help="run only probes whose name contains this")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    reps = 1 if args.quick else 3
    failed = 0
    for probe in PROBES:
        name = probe.__name__[len("probe_"):]
        if args.k not in name:
            continue
        rng = np.random.default_rng([args.seed, len(name)])
        n = {"conv": reps, "linear": reps, "add": 40 * reps, "cat": 10 * reps}.get(name, 4 * reps)
        try:
            summary = probe(rng, n)
            print(f"PASS {name}: {summary}")
        except Mismatch as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    print("all probes bit-exact" if not failed else f"{failed} probe(s) FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
