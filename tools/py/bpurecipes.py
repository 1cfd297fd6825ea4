"""Integer recipes of PyTorch 1.13 quantized CPU ops (qnnpack engine, x86-64, no FBGEMM).

Pure NumPy, no torch import: this module is the executable form of docs/pytorch-recipes.md.
tools/py/probe_recipes.py checks every function here bit for bit against torch's own
quantized kernels on random data; the C++ golden reference implements the same formulas.

Conventions
- Scales are float32 values (np.float32). PyTorch stores them as doubles, but every scale a
  QAT model carries comes from a float32 observer, so it is exactly representable in float32.
- Every float operation is spelled out as one float32 operation (np.float32 arithmetic is
  IEEE single with round-to-nearest-even, like the C++ code). Integer arithmetic is done in
  int64 and wrapped explicitly where the C++ code wraps.
- Tensors are NCHW numpy arrays of integers (uint8 activations as int64/uint8, int8 weights).
"""

import numpy as np

F32 = np.float32
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


# ----------------------------------------------------------------------------------------------
# Small helpers that mirror C/SSE primitives.
# ----------------------------------------------------------------------------------------------
def f32(x):
    """Converts to float32 with round-to-nearest-even (C's (float) of an int or a double)."""
    return np.asarray(x).astype(np.float32)


def wrap_i32(x):
    """Two's-complement wrap of an int64 array to int32 (the hardware accumulator)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + 2**31) & 0xFFFFFFFF) - 2**31


def sat(x, lo, hi):
    return np.minimum(np.maximum(np.asarray(x, dtype=np.int64), lo), hi)


def fp32_bits(x):
    return int(np.array(x, dtype=np.float32).view(np.uint32))


def fp32_from_bits(b):
    return np.array(b, dtype=np.uint32).view(np.float32)[()]


def rshift_round_half_away(n, shift):
    """(n + sign*2^(shift-1)) / 2^shift rounded half away from zero, n int64 array, shift>=1.

    Same as QNNPACK's 'remainder > threshold' trick: floor shift, then +1 when the remainder
    is above half, or exactly half and n >= 0; negative ties go down (away from zero)."""
    n = np.asarray(n, dtype=np.int64)
    mask = (1 << shift) - 1
    rem = (n & mask) - (n < 0).astype(np.int64)
    return (n >> shift) + (rem > (mask >> 1)).astype(np.int64)


# ----------------------------------------------------------------------------------------------
# quantize / dequantize (QuantStub, DeQuantStub, torch.quantize_per_tensor, .dequantize()).
# ----------------------------------------------------------------------------------------------
def qrange(dtype):
    return {"quint8": (0, 255), "qint8": (-128, 127), "qint32": (INT32_MIN, INT32_MAX)}[dtype]


def quantize(x, scale, zero_point, dtype="quint8"):
    """at::native::quantize_val (non-FBGEMM build), element by element:
    inv = 1.0f / (float)scale; q = (int64)((float)zp + nearbyintf(x * inv)); clamp to dtype."""
    inv = F32(1.0) / F32(scale)
    t = f32(x) * inv  # float32 multiply
    r = np.rint(t)  # nearbyint, ties to even, still float32
    q = (F32(zero_point) + r).astype(np.float64)  # int64 + float is a float add in C++
    lo, hi = qrange(dtype)
    return np.clip(q, lo, hi).astype(np.int64)


def dequantize(q, scale, zero_point):
    """at::native::dequantize_val: (float)(q - zp) * (float)scale, one float32 multiply."""
    d = np.asarray(q, dtype=np.int64) - int(zero_point)
    return f32(d) * F32(scale)


# ----------------------------------------------------------------------------------------------
# conv2d / conv2d_relu / linear / linear_relu (QNNPACK q8conv, q8dwconv, q8gemm kernels).
# ----------------------------------------------------------------------------------------------
def requant_scale(input_scale, weight_scales, output_scale):
    """generate_requantization_scales: (w_scale * in_scale) * (1.f / out_scale), all float32,
    one value per output channel (per-tensor weights: the same value repeated)."""
    inv_out = F32(1.0) / F32(output_scale)
    return (f32(weight_scales) * F32(input_scale)) * inv_out


def quantize_bias(bias, input_scale, weight_scales):
    """quant_utils::QuantizeBias: qint32 quantize_val with scale = w_scale * in_scale
    (the double product of two float32 values, then (float) of it == a float32 multiply),
    zero point 0: q = nearbyintf(bias * (1.0f / scale)), clamped to int32."""
    scale = f32(weight_scales) * F32(input_scale)
    inv = F32(1.0) / scale
    r = np.rint(f32(bias) * inv).astype(np.float64)
    return np.clip(r, INT32_MIN, INT32_MAX).astype(np.int64)


def qnnpack_conv_bias(bias_q):
    """The bias QNNPACK's conv and depthwise kernels add (not its gemm: 1x1, stride 1, no
    padding, nor linear; nor XNNPACK's): bias_q through float32, so a saturated INT32_MAX (a
    positive overflow: a float quotient below 2^31 rounds to at most 2^31 - 128) is INT32_MIN
    (x86's conversion of 2^31). Probed with torch 1.13 (docs/pytorch-recipes.md 2.3)."""
    b = np.asarray(bias_q, dtype=np.int64)
    return np.where(b == INT32_MAX, INT32_MIN, b)


def conv2d_acc(x, zx, w, zw, bias_q, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """int32 accumulator: bias_q[c] + sum (x - zx) * (w - zw[c]); padding taps contribute 0.
    x: (N, C, H, W) ints, w: (K, C/groups, kh, kw) ints, zw scalar or (K,), bias_q (K,)."""
    x = np.asarray(x, dtype=np.int64) - int(zx)
    w = np.asarray(w, dtype=np.int64)
    zw = np.broadcast_to(np.asarray(zw, dtype=np.int64), (w.shape[0],))
    w = w - zw[:, None, None, None]
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=np.int64)
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    kg = k // groups
    out = np.zeros((n, k, oh, ow), dtype=np.int64)
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        wg = w[g * kg : (g + 1) * kg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[
                    :,
                    :,
                    i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                    j * dw : j * dw + sw * (ow - 1) + 1 : sw,
                ]
                out[:, g * kg : (g + 1) * kg] += np.einsum("nchw,kc->nkhw", patch, wg[:, :, i, j])
    out += np.asarray(bias_q, dtype=np.int64)[None, :, None, None]
    return wrap_i32(out)


def linear_acc(x, zx, w, zw, bias_q):
    """x: (M, K) ints, w: (N, K) ints -> (M, N) int32 accumulators (with bias)."""
    x = np.asarray(x, dtype=np.int64) - int(zx)
    w = np.asarray(w, dtype=np.int64)
    zw = np.broadcast_to(np.asarray(zw, dtype=np.int64), (w.shape[0],))
    acc = x @ (w - zw[:, None]).T + np.asarray(bias_q, dtype=np.int64)[None, :]
    return wrap_i32(acc)


def requantize_fp32(acc, scale, zero_point, out_min=0, out_max=255, channel_axis=1):
    """Epilogue of the QNNPACK q8gemm/q8conv/q8dwconv kernels, per output channel c:
    t = (float)acc * scale[c]       ((float) of the int32 is RNE; one float32 multiply)
    y = clamp(rne(t) + zp, out_min, out_max)   (relu: out_min = zp)
    rne(t) saturates: probes show t >= 2^31 gives 255 and t <= -2^31 gives 0, i.e. the
    integer is clamped, never wrapped (no INT32_MIN artefact)."""
    acc = np.asarray(acc, dtype=np.int64)
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    s = np.asarray(scale, dtype=np.float32).reshape(shape) if np.ndim(scale) else F32(scale)
    t = f32(acc) * s
    return rne_clamp(t, zero_point, out_min, out_max)


def fixed_encoding(scale):
    """(mult, shift) with mult in [2^30, 2^31) and mult * 2^-shift == scale exactly, for a
    normal positive float32 scale (QNNPACK's q31 encoding): a lossless input for the
    requantizer's fixed mode. shift may exceed 62 for scales below 2^-32."""
    bits = fp32_bits(scale)
    mult = ((bits & 0x7FFFFF) | 0x800000) << 7
    shift = 157 - ((bits >> 23) & 0xFF)
    return mult, shift


def rne_clamp(t, zero_point, out_min=0, out_max=255):
    """clamp(rne(t) + zp, out_min, out_max) for float32 t, the rounding exact (no overflow)."""
    r = np.rint(np.asarray(t, dtype=np.float64))
    return np.clip(r + int(zero_point), out_min, out_max).astype(np.int64)


def relu_limits(zero_point):
    """activationLimits(scale, zp, RELU) for quint8: [zp, 255]."""
    return int(zero_point), 255


# ----------------------------------------------------------------------------------------------
# add / add_relu (FloatFunctional.add / add_relu -> quantized::add[_relu] -> QNNPACK q8vadd).
# ----------------------------------------------------------------------------------------------
def add_params(a_scale, b_scale, out_scale):
    """pytorch_qnnp_compute_add_quantization_params (x86 flavour). Returns (ma, mb, shift).
    a_os = (float)a_scale / (float)out_scale; b_os likewise (float32 divisions);
    shift = 21 - floor(log2(max(a_os, b_os))) taken from the float's exponent bits;
    m = lrintf(os * 2^shift) (exact product, ties to even). Requires both ratios in
    [2^-14, 2^8), else QNNPACK refuses to create the operator (PyTorch raises)."""
    a_os = F32(a_scale) / F32(out_scale)
    b_os = F32(b_scale) / F32(out_scale)
    for r in (a_os, b_os):
        if not (F32(2.0**-14) <= r < F32(2.0**8)):
            raise ValueError(f"add scale ratio {r} outside [2^-14, 2^8): PyTorch fails here")
    m = max(a_os, b_os)
    exponent = ((fp32_bits(m) >> 23) & 0xFF) - 127
    shift = 21 - exponent
    if shift > 31:
        # QNNPACK computes 1 << shift in 32 bits: undefined, and torch's bytes are garbage
        raise ValueError(f"add scale ratio {m} below 2^-10 (shift {shift}): PyTorch's result "
                         "is undefined")
    mult = fp32_from_bits((21 - exponent + 127) << 23)  # 2^shift as a float
    ma = int(np.rint(F32(a_os * mult)))
    mb = int(np.rint(F32(b_os * mult)))
    return ma, mb, shift


def add(a, za, b, zb, a_scale, b_scale, out_scale, out_zp, out_min=0, out_max=255):
    """QNNPACK q8vadd (SSE2): acc = -(ma*za + mb*zb) + a*ma + b*mb (int32, wraps),
    r = acc >> shift rounded half away from zero, y = clamp(r + zp, out_min, out_max).
    add_relu: out_min = out_zp."""
    ma, mb, shift = add_params(a_scale, b_scale, out_scale)
    const = wrap_i32(-(ma * int(za) + mb * int(zb)))
    acc = wrap_i32(const + np.asarray(a, dtype=np.int64) * ma + np.asarray(b, dtype=np.int64) * mb)
    r = rshift_round_half_away(acc, shift)
    # packs_epi32 / adds_epi16 / packus_epi16 saturate monotonically inside [0,255]: a plain
    # clamp of the exact r + zp gives the same byte.
    return sat(r + int(out_zp), out_min, out_max)


# ----------------------------------------------------------------------------------------------
# max_pool2d: exact max over the window (padding never wins: QNNPACK pads with 0 = uint8 min).
# ----------------------------------------------------------------------------------------------
def max_pool2d(x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    x = np.asarray(x, dtype=np.int64)
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    oh = _pool_out(h, kh, ph, sh, dh, ceil_mode)
    ow = _pool_out(w, kw, pw, sw, dw, ceil_mode)
    out = np.full((n, c, oh, ow), np.iinfo(np.int64).min, dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    y = i * sh - ph + a * dh
                    xx = j * sw - pw + b * dw
                    if 0 <= y < h and 0 <= xx < w:
                        out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, y, xx])
    return out


def _pool_out(size, k, pad, stride, dilation, ceil_mode):
    """at::native::pooling_output_shape."""
    num = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


# ----------------------------------------------------------------------------------------------
# avg_pool2d / adaptive_avg_pool2d / global average (QNNPACK q8avgpool, fixed point).
# ----------------------------------------------------------------------------------------------
def avgpool_scale(input_scale, output_scale, pool_size):
    """(float)in_scale / ((float)out_scale * (float)pool_size), float32 operations
    (pytorch_qnnp_create_average_pooling2d_nhwc_q8). In PyTorch in_scale == out_scale."""
    return F32(input_scale) / (F32(output_scale) * F32(pool_size))


def avg_pool2d(x, zp, kernel, stride, padding=(0, 0), input_scale=1.0, output_scale=None,
               out_min=0, out_max=255):
    """quantized avg_pool2d on the QNNPACK path (quint8, ceil_mode=False). Output qparams =
    input qparams. Padding taps read the input zero point (contribute 0) and the divisor is
    always kh*kw: count_include_pad and divisor_override are ignored.
    acc = sum over in-bounds taps of (x - zp)          (exact int32)
    y = clamp(rne((float)acc * scale) + zp, 0, 255)     (scale = avgpool_scale(.., kh*kw))
    Ties go to even (probe: 2x2 windows with odd sums)."""
    if output_scale is None:
        output_scale = input_scale
    x = np.asarray(x, dtype=np.int64) - int(zp)
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=np.int64)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    acc = np.zeros((n, c, oh, ow), dtype=np.int64)
    for a in range(kh):
        for b in range(kw):
            acc += xp[:, :, a : a + sh * (oh - 1) + 1 : sh, b : b + sw * (ow - 1) + 1 : sw]
    t = f32(acc) * avgpool_scale(input_scale, output_scale, kh * kw)
    return rne_clamp(t, zp, out_min, out_max)


def adaptive_avg_pool2d(x, zp, output_size, input_scale=1.0):
    """QNNPACK path, taken when input H, W are multiples of the output size and differ from
    it (global average pooling included): avg_pool2d with kernel = stride = in / out."""
    h, w = x.shape[2:]
    oh, ow = output_size
    assert h % oh == 0 and w % ow == 0 and (h, w) != (oh, ow)
    k = (h // oh, w // ow)
    return avg_pool2d(x, zp, k, k, (0, 0), input_scale)


# ----------------------------------------------------------------------------------------------
# cat (FloatFunctional.cat -> quantized::cat).
# ----------------------------------------------------------------------------------------------
AVX2_FLOAT_VLEN = 8  # Vectorized<float>::size() with CPU capability AVX2


def requantize_scalar(q, in_scale, in_zp, out_scale, out_zp):
    """dequantize_val then quantize_val (scalar loop of qcat_nhwc and the NCHW cat path)."""
    return quantize(dequantize(q, in_scale, in_zp), out_scale, out_zp)


def requantize_avx2(q, in_scale, in_zp, out_scale, out_zp):
    """Vectorized<quint8>::dequantize + ::quantize (AVX2) as used by qcat_nhwc_kernel:
    v = fmaf(in_scale, (float)q, (float)(in_scale * -in_zp))   (one fused multiply-add)
    y = clamp(rne(v * inv) + out_zp, 0, 255)  with inv = (float)(1.0 / (double)out_scale)."""
    q = np.asarray(q, dtype=np.int64)
    premul = F32(F32(in_scale) * F32(-in_zp))
    v = _fma_f32(F32(in_scale), f32(q), premul)
    inv = F32(1.0 / np.float64(F32(out_scale)))
    return rne_clamp(v * inv, out_zp)


def _fma_f32(a, b, c):
    """fmaf(a, b, c) on float32 arrays: the exact a*b + c rounded once to float32.
    a*b is exact in float64; the float64 sum s may round, and rounding s again to float32
    is wrong only when s lies exactly halfway between two float32 values while the exact
    sum does not (two-sum error term err != 0): then round toward the side of err."""
    a, b, c = np.broadcast_arrays(f32(a), f32(b), f32(c))
    prod = a.astype(np.float64) * b.astype(np.float64)
    c64 = c.astype(np.float64)
    s = prod + c64
    bb = s - prod
    err = (prod - (s - bb)) + (c64 - bb)
    out = s.astype(np.float32)
    lo = np.where(out.astype(np.float64) <= s, out, np.nextafter(out, F32(-np.inf)))
    hi = np.nextafter(lo, F32(np.inf))
    tie = (err != 0) & (s - lo.astype(np.float64) == hi.astype(np.float64) - s)
    return np.where(tie, np.where(err > 0, hi, lo), out).astype(np.float32)


def cat_channels_last(qs, in_scales, in_zps, out_scale, out_zp, vector=None, scalar=None):
    """qcat_nhwc_kernel (dim=1, every input 4-D and channels-last contiguous, e.g. conv
    outputs). Per input: if (scale, zp) equal the output's -> bytes copied; otherwise, in each
    pixel the first floor(C/8)*8 channels use requantize_avx2 and the rest
    requantize_scalar. (qcat_nhwc_kernel runs blocks of 32 channels, then up to three blocks
    of 8, then a scalar loop; both vector loops compute the same per-element formula.)
    `vector` / `scalar`: the two requantizers (default quint8's)."""
    vector = vector or requantize_avx2
    scalar = scalar or requantize_scalar
    parts = []
    for q, s, z in zip(qs, in_scales, in_zps):
        q = np.asarray(q, dtype=np.int64)
        if F32(s) == F32(out_scale) and int(z) == int(out_zp):
            parts.append(q)
            continue
        c = q.shape[1]
        cv = (c // AVX2_FLOAT_VLEN) * AVX2_FLOAT_VLEN
        out = np.empty_like(q)
        out[:, :cv] = vector(q[:, :cv], s, z, out_scale, out_zp)
        out[:, cv:] = scalar(q[:, cv:], s, z, out_scale, out_zp)
        parts.append(out)
    return np.concatenate(parts, axis=1)


def cat_contiguous(qs, in_scales, in_zps, out_scale, out_zp, axis=1, scalar=None):
    """Generic quantized cat (not the channels-last fast path): dequantize every input,
    float cat, quantize_per_tensor -> requantize_scalar for every element (even when an
    input's qparams equal the output's, which is then an identity)."""
    scalar = scalar or requantize_scalar
    return np.concatenate(
        [scalar(q, s, z, out_scale, out_zp) for q, s, z in zip(qs, in_scales, in_zps)],
        axis=axis,
    )


# ----------------------------------------------------------------------------------------------
# relu / relu6 / hardtanh / clamp on quantized tensors (output qparams = input qparams).
# ----------------------------------------------------------------------------------------------
def relu(x, zp):
    """quantized relu (QNNPACK clamp op): max(x, zp)."""
    return np.maximum(np.asarray(x, dtype=np.int64), int(zp))


def hardtanh(x, scale, zp, min_val, max_val):
    """qclamp_kernel: lo = quantize_val(scale, zp, min_val), hi = quantize_val(..., max_val),
    y = min(max(x, lo), hi). relu6 == hardtanh(0, 6)."""
    lo = int(quantize(np.float32(min_val), scale, zp))
    hi = int(quantize(np.float32(max_val), scale, zp))
    return np.minimum(np.maximum(np.asarray(x, dtype=np.int64), lo), hi)


# ----------------------------------------------------------------------------------------------
# argmax of a quantized tensor: on the integers, first index of the maximum.
# ----------------------------------------------------------------------------------------------
def argmax(x, axis):
    return np.argmax(np.asarray(x, dtype=np.int64), axis=axis).astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Unary activations on a quantized tensor (docs/pytorch-recipes.md 2.14-2.17).
# Each one maps a uint8 input to a uint8 output; the functions return the 256-entry table
# (index = input integer) for one (input scale, zero point, output scale, zero point).
# ----------------------------------------------------------------------------------------------
SIGMOID_QPARAMS = (F32(1.0 / 256.0), 0)  # QNNPACK sigmoid / hardsigmoid: fixed output qparams
HARDSIGMOID_QPARAMS = SIGMOID_QPARAMS
TANH_QPARAMS = (F32(2.0 / 256.0), 128)  # QNNPACK tanh
_LUT_IN = np.arange(256, dtype=np.int64)
_libm = None


def _libm_fn(name, ctype):
    """A function of glibc's libm (the same one torch's QNNPACK and ATen call) applied
    element by element: expf (float), tanh (double)."""
    import ctypes
    import ctypes.util

    global _libm
    if _libm is None:
        _libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    fn = getattr(_libm, name)
    c = ctypes.c_float if ctype == "float" else ctypes.c_double
    fn.restype, fn.argtypes = c, [c]
    dt = np.float32 if ctype == "float" else np.float64

    def apply(x):
        x = np.asarray(x, dtype=dt)
        u, inv = np.unique(x, return_inverse=True)  # one libm call per distinct value
        return np.array([fn(float(v)) for v in u], dtype=dt)[inv].reshape(x.shape)

    return apply


def glibc_expf(x):
    """glibc expf (float32). Not always the correctly rounded exp: on 170 648 of the
    2.26e9 float32 inputs with |x| <= 200 it differs from float32(exp(double)) (glibc 2.36)."""
    return _libm_fn("expf", "float")(x)


def glibc_tanh(x):
    """glibc tanh (double)."""
    return _libm_fn("tanh", "double")(x)


def _col(v, dtype):
    """A parameter as a column: scalars give shape (1,), arrays (..., 1), so every lut_*
    function also builds a batch of tables (shape (..., 256)) from arrays of qparams."""
    return np.asarray(v, dtype=dtype)[..., None]


def _lut_x(input_scale, input_zp):
    """QNNPACK's table input: x = (float)(i - zp) * scale (float32), as dequantize (2.2)."""
    return f32(_LUT_IN - _col(input_zp, np.int64)) * _col(input_scale, np.float32)


def _quantize_col(v, output_scale, output_zp):
    """quantize (2.1) with column qparams: clamp(rne(v * (1.0f / s)) + zp, 0, 255)."""
    inv = F32(1.0) / _col(output_scale, np.float32)
    return np.clip(np.rint((v * inv).astype(np.float64)) + _col(output_zp, np.int64), 0,
                   255).astype(np.int64)


def _lut_round(y, out_min=0, out_max=255):
    """QNNPACK LUT epilogue: clamp the float32 to [min, max] (maxss/minss), then lrintf."""
    y = np.minimum(np.maximum(np.asarray(y, dtype=np.float32), F32(out_min)), F32(out_max))
    return np.rint(y.astype(np.float64)).astype(np.int64)


def lut_sigmoid(input_scale, input_zp):
    """pytorch_qnnp_create_sigmoid_nc_q8 (torch.sigmoid / nn.Sigmoid on quint8, engine
    qnnpack; output qparams fixed to SIGMOID_QPARAMS):
    t[i] = lrintf(clamp(256.0f / (1.0f + expf(-x)), 0, 255)), all float32, glibc expf."""
    x = _lut_x(input_scale, input_zp)
    return _lut_round(F32(256.0) / (F32(1.0) + glibc_expf(-x)))


def lut_tanh(input_scale, input_zp):
    """pytorch_qnnp_create_tanh_nc_q8 (output qparams TANH_QPARAMS). The C source calls the
    double tanh (disassembly: cvtss2sd, call tanh, mulsd, addsd, cvtsd2ss):
    t[i] = lrintf(clamp((float)(128.0 * tanh((double)x) + 128.0), 0, 255))."""
    x = _lut_x(input_scale, input_zp).astype(np.float64)
    y = (np.float64(128.0) * glibc_tanh(x) + np.float64(128.0)).astype(np.float32)
    return _lut_round(y)


def lut_hardsigmoid(input_scale, input_zp):
    """pytorch_qnnp_create_hardsigmoid_nc_q8 (output qparams HARDSIGMOID_QPARAMS):
    t[i] = lrintf(clamp(256.0f * (min(max(x + 3.0f, 0), 6.0f) / 6.0f), 0, 255)), float32."""
    x = _lut_x(input_scale, input_zp)
    r6 = np.minimum(np.maximum(x + F32(3.0), F32(0.0)), F32(6.0))
    return _lut_round(F32(256.0) * (r6 / F32(6.0)) + F32(0.0))


def lut_hardswish(input_scale, input_zp, output_scale, output_zp):
    """pytorch_qnnp_create_hardswish_nc_q8 (nnq.Hardswish / quantized::hardswish), own
    output qparams, all float32 (no FMA):
    r6 = min(max(x + 3.0f, 0), 6.0f);  v = (x * r6) / 6.0f
    t[i] = lrintf(clamp(v * (1.0f / sy) + (float)zy, 0, 255))
    The zero point is added in float BEFORE rounding (not rne(v / sy) + zy)."""
    x = _lut_x(input_scale, input_zp)
    r6 = np.minimum(np.maximum(x + F32(3.0), F32(0.0)), F32(6.0))
    v = (x * r6) / F32(6.0)
    inv = F32(1.0) / _col(output_scale, np.float32)
    return _lut_round(v * inv + f32(_col(output_zp, np.int64)))


def lut_from_float(input_scale, input_zp, fn, output_scale, output_zp):
    """dequantize (2.2) -> fn (exact float32 function, e.g. a clamp) -> quantize (2.1):
    a float region DeQuantStub -> f -> QuantStub, e.g. relu6/hardtanh with new qparams."""
    return _quantize_col(fn(_lut_x(input_scale, input_zp)), output_scale, output_zp)


# ATen's native quantized elementwise kernels (leaky_relu, elu) run a vectorized body and a
# scalar tail that round differently, so their output is NOT a function of the input byte
# alone: it also depends on the element's position (aten_vector_mask).
ATEN_QVEC_BLOCK = 64  # vectorized_loop: two Vectorized<quint8> (32 lanes each) per step
ATEN_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE


def aten_vector_mask(numel, num_threads=1):
    """True where cpu_kernel_vec's vectorized body computes the element, for a tensor that
    TensorIterator coalesces to 1-D (input and output dense in the same memory format;
    index = position in memory, i.e. NHWC order for channels-last tensors).
    at::parallel_for (OpenMP) splits [0, numel) into k = min(T, ceil(numel / 32768))
    chunks of ceil(numel / k) elements (T = torch.get_num_threads()); in each chunk the
    first floor(len / 64) * 64 elements are vectorized and the rest go through the scalar
    lambda."""
    mask = np.zeros(numel, dtype=bool)
    k = max(1, min(int(num_threads), -(-numel // ATEN_GRAIN_SIZE)))
    chunk = -(-numel // k)
    for start in range(0, numel, chunk):
        end = min(numel, start + chunk)
        mask[start:start + (end - start) // ATEN_QVEC_BLOCK * ATEN_QVEC_BLOCK] = True
    return mask


def _lut_x_avx2(input_scale, input_zp):
    """Vectorized<quint8>::dequantize (AVX2) of the table input:
    fmaf(scale, (float)q, (float)(scale * -zp))."""
    s = _col(input_scale, np.float32)
    premul = s * f32(-_col(input_zp, np.int64))
    return _fma_f32(s, f32(_LUT_IN), premul)


def _quantize_avx2(v, output_scale, output_zp):
    """Vectorized<quint8>::quantize (QuantizeAvx2): rne(v * inv) + zp, clamped;
    inv = 1.0f / (float)scale as the ATen kernels pass it (same as quantize, 2.1)."""
    return _quantize_col(v, output_scale, output_zp)


def lut_leaky_relu(input_scale, input_zp, slope, output_scale, output_zp, path):
    """leaky_qrelu_out_kernel (ATen; F.leaky_relu on a quantized tensor keeps the input
    qparams, nnq.LeakyReLU / quantized::leaky_relu has its own). slope = (float)negval.
    path 'vector':  d = fmaf(sx, q, (float)(sx * -zx)); y = d > 0 ? d : d * slope
                    out = clamp(rne(y * (1.0f / sy)) + zy, 0, 255)
    path 'scalar':  d = (float)(q - zx) * sx;       y = d > 0 ? d : d * slope
                    out = quantize (2.1)
    The two differ on exact ties, e.g. slope 0.25 with sy = sx (an input 1 ulp off a tie)."""
    s = _col(slope, np.float32)
    if path == "vector":
        d = _lut_x_avx2(input_scale, input_zp)
        return _quantize_avx2(np.where(d > 0, d, d * s), output_scale, output_zp)
    d = _lut_x(input_scale, input_zp)
    return _quantize_col(np.where(d > 0, d, d * s), output_scale, output_zp)


def sleef_expf_u10(d):
    """Sleef_expf8_u10 (AVX2 + FMA build, Vectorized<float>::exp in ATen), lane by lane."""
    d = np.asarray(d, dtype=np.float32)
    q = np.rint(d * F32(1.442695040888963407359924681001892137426645954152985934135449406931))
    q = np.clip(q, -(2**31), 2**31 - 1).astype(np.int64)  # cvtps_epi32 (in range here)
    qf = q.astype(np.float32)
    s = _fma_f32(qf, F32(-0.693145751953125), d)
    s = _fma_f32(qf, F32(-1.428606765330187045e-06), s)
    u = np.full(d.shape, F32(0.000198527617612853646278381), dtype=np.float32)
    for c in (0.00139304355252534151077271, 0.00833336077630519866943359,
              0.0416664853692054748535156, 0.166666671633720397949219, 0.5):
        u = _fma_f32(u, s, F32(c))
    u = F32(1.0) + _fma_f32(s * s, u, s)
    h = q >> 1

    def pow2i(e):
        return ((np.clip(e, -127, 128) + 0x7F).astype(np.int64) << 23).astype(np.uint32).view(
            np.float32)

    with np.errstate(over="ignore"):
        u = (u * pow2i(h)) * pow2i(q - h)
    u = np.where(d < F32(-104), F32(0), u)
    return np.where(F32(100) < d, F32(np.inf), u).astype(np.float32)


def lut_elu(input_scale, input_zp, alpha, output_scale, output_zp, path):
    """qelu_kernel (nnq.ELU / quantized::elu, own output qparams; not exportable to ONNX in
    torch 1.13), ELU's scale and input_scale coefficients = 1 (nn.ELU). alpha = (float)alpha.
    path 'vector':  d = fmaf(sx, q, (float)(sx * -zx)); y = d > 0 ? d : (sleef_expf(d) - 1) * alpha
                    out = clamp(rne(y * (1.0f / sy)) + zy, 0, 255)
    path 'scalar':  d = (float)(q - zx) * sx;  y = d >= 0 ? d : (expf(d) - 1) * alpha  (glibc)
                    out = quantize (2.1)
    quantized::elu allocates a contiguous (NCHW) output: for a channels-last input (every
    conv output) the inner loop is strided and EVERY element takes the scalar path."""
    a = _col(alpha, np.float32)
    if path == "vector":
        d = _lut_x_avx2(input_scale, input_zp)
        y = np.where(d > 0, d, (sleef_expf_u10(d) - F32(1.0)) * a)
        return _quantize_avx2(y, output_scale, output_zp)
    d = _lut_x(input_scale, input_zp)
    y = np.where(d >= 0, d, (glibc_expf(d) - F32(1.0)) * a)
    return _quantize_col(y, output_scale, output_zp)


def apply_lut(x, table):
    """The table applied element by element (x: integers 0..255)."""
    return np.asarray(table, dtype=np.int64)[np.asarray(x, dtype=np.int64)]


def aten_unary(x, vector_table, scalar_table, channels_last=False, num_threads=1,
               out_channels_last=None):
    """An ATen native quantized unary op (leaky_relu, elu) on a whole NCHW tensor x: each
    element takes vector_table or scalar_table by its position (aten_loop_mask).
    channels_last: PyTorch holds x NHWC; out_channels_last: the output's format (default:
    the input's, as leaky_relu allocates it; quantized::elu allocates NCHW: False)."""
    x = np.asarray(x, dtype=np.int64)
    if out_channels_last is None:
        out_channels_last = channels_last
    mask = aten_loop_mask(x.shape, [(x.shape, tensor_strides(x.shape, out_channels_last)),
                                    (x.shape, tensor_strides(x.shape, channels_last))],
                          num_threads)
    return np.where(mask, apply_lut(x, vector_table), apply_lut(x, scalar_table))


# ----------------------------------------------------------------------------------------------
# TensorIterator's loop structure (which elements an ATen cpu_kernel_vec computes with its
# vectorized body): needed by the native quantized kernels whose vector and scalar formulas
# round differently (leaky_relu, elu, broadcasting add).
# ----------------------------------------------------------------------------------------------
def tensor_strides(shape, channels_last=False):
    """Element strides of a dense tensor: contiguous (NCHW) or channels-last (4-D NHWC)."""
    shape = tuple(int(d) for d in shape)
    if channels_last and len(shape) == 4:
        _, c, h, w = shape
        return (h * w * c, 1, w * c, c)
    st, acc = [], 1
    for d in reversed(shape):
        st.append(acc)
        acc *= d
    return tuple(reversed(st))


def aten_loop_mask(shape, operands, num_threads=1):
    """Boolean array of `shape` (the broadcast output shape, logical NCHW index): True where
    cpu_kernel_vec's vectorized body computes the element.
    operands: [(op_shape, op_strides)] in TensorIterator order (output first, then inputs);
    op_strides None = an output that TensorIterator resizes (its strides are ignored).
    Emulates TensorIteratorBase: broadcast strides (0 where a size-1 dim is expanded),
    reorder_dimensions (insertion sort on the operands' strides, first decisive operand
    wins, equal strides: the smaller dim first), coalesce_dimensions; then for_each:
    k = min(T, ceil(numel / 32768)) chunks (serial when numel < 32768 or T == 1), each walked
    row by row (rows = the coalesced innermost dim, cut at chunk ends); VectorizedLoop2d runs
    vectorized_loop on a row (first floor(len/64)*64 elements vector) when every operand is
    contiguous in the inner dim or one input has stride 0 and the rest are contiguous, and
    basic_loop (all scalar) otherwise."""
    shape = tuple(int(d) for d in shape)
    nd = len(shape)
    strides = []
    for op_shape, op_strides in operands:
        if op_strides is None:
            strides.append(None)
            continue
        off = nd - len(op_shape)
        st = [0] * nd
        for i, size in enumerate(op_shape):
            st[off + i] = 0 if (size == 1 and shape[off + i] != 1) else int(op_strides[i])
        strides.append(st)

    def should_swap(d0, d1):
        for st in strides:
            if st is None:
                continue
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(nd - 1, -1, -1))  # perm[0]: the fastest-moving dim
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    pshape = [shape[p] for p in perm]
    pstr = [None if st is None else [st[p] for p in perm] for st in strides]
    # coalesce_dimensions
    cshape, cstr = list(pshape), [None if st is None else list(st) for st in pstr]
    prev = 0
    for d in range(1, nd):
        ok = cshape[prev] == 1 or cshape[d] == 1 or all(
            st is None or cshape[prev] * st[prev] == st[d] for st in cstr)
        if ok:
            if cshape[prev] == 1:
                for st in cstr:
                    if st is not None:
                        st[prev] = st[d]
            cshape[prev] *= cshape[d]
        else:
            prev += 1
            if prev != d:
                for st in cstr:
                    if st is not None:
                        st[prev] = st[d]
                cshape[prev] = cshape[d]
    inner = cshape[0] if nd else 1
    inner_st = [None if st is None else (st[0] if nd else 1) for st in cstr]
    contig = all(s is None or s == 1 for s in inner_st)
    scalar_arg = any(inner_st[k] == 0 and all(s is None or s == 1 for j, s in enumerate(inner_st)
                                              if j != k) for k in range(1, len(inner_st)))
    # a resized output is contiguous in the iteration order, so it never blocks vectorizing
    vectorizable = contig or scalar_arg
    numel = int(np.prod(shape)) if nd else 1
    mask = np.zeros(numel, dtype=bool)
    if vectorizable and numel:
        threads = int(num_threads) if numel >= ATEN_GRAIN_SIZE else 1
        k = max(1, min(threads, -(-numel // ATEN_GRAIN_SIZE)))
        chunk = -(-numel // k)
        for start in range(0, numel, chunk):
            end = min(numel, start + chunk)
            j = start
            while j < end:
                seg = min(inner - j % inner, end - j)
                mask[j:j + seg // ATEN_QVEC_BLOCK * ATEN_QVEC_BLOCK] = True
                j += seg
    # iteration index -> logical index
    m = mask.reshape(pshape[::-1]) if nd else mask.reshape(())
    axes_logical = [perm[nd - 1 - a] for a in range(nd)]
    return np.transpose(m, np.argsort(axes_logical)) if nd else m


# ----------------------------------------------------------------------------------------------
# mul (FloatFunctional.mul -> quantized::mul, ATen qmul_kernel), broadcasting add (ATen
# qadd_kernel), mul_scalar.
# ----------------------------------------------------------------------------------------------
def mul_multiplier(a_scale, b_scale, out_scale):
    """qmul_kernel: multiplier = sa * sb * (1.0f / sy), float32, left to right."""
    return (F32(a_scale) * F32(b_scale)) * (F32(1.0) / F32(out_scale))


def mul(a, za, b, zb, a_scale, b_scale, out_scale, out_zp, relu=False):
    """quantized::mul (quint8; ATen qmul_kernel, no QNNPACK; broadcasting allowed):
    p = (a - za) * (b - zb)                            (exact int32)
    y = clamp(rne(f32(p) * multiplier) + zy, 0, 255)     (requantize_from_int: lrintf)
    The vectorized body (RequantizeAvx2) and the scalar lambda compute the same thing, so
    the result is a function of the two input bytes only. relu: max(y, zy)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    p = (a - int(za)) * (b - int(zb))
    y = rne_clamp(f32(p) * mul_multiplier(a_scale, b_scale, out_scale), out_zp)
    return np.maximum(y, int(out_zp)) if relu else y


def mul_scalar(x, scale, zp, c):
    """quantized::mul_scalar (QFunctional.mul_scalar; not exportable): no arithmetic on the
    integers; returns (ints, new_scale, new_zp) with new_scale = |c| * scale computed in
    DOUBLE (generally not a float32 value):
    c > 0: ints = x, zp kept; c == 0: ints = 0, scale 1.0, zp 0;
    c < 0: ints = 255 - x, zp' = 255 - zp."""
    x = np.asarray(x, dtype=np.int64)
    c = float(c)
    if c > 0:
        return x.copy(), c * float(scale), int(zp)
    if c == 0:
        return np.zeros_like(x), 1.0, 0
    return 255 - x, abs(c) * float(scale), 255 - int(zp)


def add_aten(a, za, b, zb, a_scale, b_scale, out_scale, out_zp, relu=False, path="scalar"):
    """qadd_kernel (ATen), element by element, for the given path:
    'vector': da = fmaf(sa, f32(a), f32(sa * -za)); db likewise;  c = da + db
              [relu: c = max(c, 0)];  y = clamp(rne(c * (1.0f / sy)) + zy, 0, 255)
    'scalar': da = f32(a - za) * sa; db likewise;  c = da + db  [relu];  y = quantize (2.1)"""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    if path == "vector":
        da = _fma_f32(F32(a_scale), f32(a), F32(F32(a_scale) * F32(-int(za))))
        db = _fma_f32(F32(b_scale), f32(b), F32(F32(b_scale) * F32(-int(zb))))
    else:
        da = dequantize(a, a_scale, za)
        db = dequantize(b, b_scale, zb)
    c = (da + db).astype(np.float32)
    if relu:
        c = np.maximum(c, F32(0.0))
    return quantize(c, out_scale, out_zp)


def add_broadcast(a, za, a_cl, b, zb, b_cl, a_scale, b_scale, out_scale, out_zp, relu=False,
                  num_threads=1):
    """quantized::add / add_relu when the shapes differ (QNNPACK refuses broadcasting): ATen
    qadd_kernel with TensorIterator's vector/scalar split (aten_loop_mask). a_cl / b_cl:
    PyTorch holds the operand channels-last. The output is allocated with a's sizes and
    a's memory format; when a is the smaller operand it is resized (strides ignored)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    shape = np.broadcast_shapes(a.shape, b.shape)
    out_strides = tensor_strides(a.shape, a_cl) if tuple(a.shape) == tuple(shape) else None
    mask = aten_loop_mask(shape, [(shape, out_strides),
                                  (a.shape, tensor_strides(a.shape, a_cl)),
                                  (b.shape, tensor_strides(b.shape, b_cl))], num_threads)
    vec = add_aten(a, za, b, zb, a_scale, b_scale, out_scale, out_zp, relu, "vector")
    sca = add_aten(a, za, b, zb, a_scale, b_scale, out_scale, out_zp, relu, "scalar")
    return np.where(mask, vec, sca)


# ----------------------------------------------------------------------------------------------
# Upsampling (nn.Upsample / F.interpolate on a quantized tensor): output qparams = input's.
# ----------------------------------------------------------------------------------------------
def upsample_output_size(in_size, scale_factor):
    """F.interpolate's output size for a scale factor: floor(in * scale) in double."""
    return int(np.floor(float(in_size) * float(scale_factor)))


def upsample_scale(in_size, out_size, align_corners=False, scale_factor=None):
    """area_pixel_compute_scale<float> / compute_scales_value<float>:
    align_corners: (float)(in - 1) / (out - 1) (0 if out == 1), float32 division;
    else: (float)(1.0 / scale_factor) when F.interpolate passed a scale factor (a double
    division rounded once), else (float)in / (float)out."""
    if align_corners:
        return F32(in_size - 1) / F32(out_size - 1) if out_size > 1 else F32(0.0)
    if scale_factor is not None and float(scale_factor) > 0:
        return F32(1.0 / float(scale_factor))
    return F32(in_size) / F32(out_size)


def nearest_source_index(in_size, out_size, scale_factor=None):
    """nearest_neighbor_compute_source_index: min(floorf((float)o * scale), in - 1)."""
    sc = upsample_scale(in_size, out_size, False, scale_factor)
    o = f32(np.arange(out_size))
    return np.minimum(np.floor((o * sc).astype(np.float64)).astype(np.int64), in_size - 1)


def upsample_nearest2d(x, out_size, scale_factors=(None, None)):
    """quantized upsample_nearest2d (both memory formats): a gather of the input integers,
    no arithmetic; out_size = (OH, OW); scale_factors as F.interpolate passed them (None when
    it was given a size, or recompute_scale_factor=True). Output size == input size (both
    dims) is a plain copy, whatever the scale factor says."""
    x = np.asarray(x, dtype=np.int64)
    if tuple(x.shape[2:]) == tuple(out_size):
        return x.copy()
    ih = nearest_source_index(x.shape[2], out_size[0], scale_factors[0])
    iw = nearest_source_index(x.shape[3], out_size[1], scale_factors[1])
    return x[:, :, ih][:, :, :, iw]


def bilinear_source(in_size, out_size, align_corners, scale_factor=None, fma=False):
    """area_pixel_compute_source_index<float> and the lambdas, per output index:
    align_corners: r = scale * o; else r = scale * ((float)o + 0.5f) - 0.5f (fma=True:
    fmaf((float)o + 0.5f, scale, -0.5f), as the AVX2-compiled NHWC kernel), r < 0 -> 0.
    i = (int64)r; ip = i < in - 1 ? 1 : 0; l1 = r - i; l0 = 1.0f - l1."""
    sc = upsample_scale(in_size, out_size, align_corners, scale_factor)
    o = f32(np.arange(out_size))
    if align_corners:
        r = sc * o
    else:
        if fma:
            r = _fma_f32(o + F32(0.5), np.full(out_size, sc), np.full(out_size, F32(-0.5)))
        else:
            r = sc * (o + F32(0.5)) - F32(0.5)
        r = np.where(r < 0, F32(0), r).astype(np.float32)
    i = r.astype(np.int64)
    ip = (i < in_size - 1).astype(np.int64)
    l1 = (r - f32(i)).astype(np.float32)
    return i, ip, (F32(1.0) - l1).astype(np.float32), l1


UPSAMPLE_NHWC_VLEN = 8  # do_quantized_bilinear_on_AVX_n: 8 channels per AVX2 step


def upsample_bilinear2d(x, zp, out_size, align_corners=False, scale_factors=(None, None),
                        channels_last=False):
    """quantized upsample_bilinear2d; output qparams = input qparams, so the requantization
    is quantize_val with scale out/in = 1.0: y = clamp(rne(r) + zp, 0, 255) where
    contiguous input (UpSampleBilinear2d.cpp, no FMA):
        r = h0 * (w0 * p00 + w1 * p01) + h1 * (w0 * p10 + w1 * p11) - (float)zp
    channels-last input (qupsample_bilinear2d_nhwc_kernel, compiled for AVX2 with FMA
    contraction; source index with fmaf, see bilinear_source), per output pixel:
        channels c < floor(C/8)*8 (vector):  A = fma(w1, p01, w0*p00); B = fma(w1, p11, w0*p10)
                                             r = fma(h1, B, h0*A) - (float)zp
        remaining channels (scalar):         A = fma(w0, p00, w1*p01); B = fma(w0, p10, w1*p11)
                                             r = fma(h0, A, h1*B) - (float)zp
    torch 1.13 defect: an (N, C, 1, 1) input with C > 1 is channels-last contiguous too, so
    the NHWC kernel runs, but the output is allocated NCHW: PyTorch returns
    nhwc_bytes_as_nchw(upsample_bilinear2d(x, ..., channels_last=True)) (the same holds for
    upsample_nearest2d).
    (p = the input integers as floats; float32 throughout; r is rounded ties-to-even, so
    the zero point's parity matters on exact .5 sums.) A contiguous input whose output size
    equals its size (both dims) is copied; the NHWC kernel has no such shortcut."""
    x = np.asarray(x, dtype=np.int64)
    _, c, h, w = x.shape
    oh, ow = out_size
    if not channels_last and (h, w) == (oh, ow):
        return x.copy()
    h1, hp, h0l, h1l = bilinear_source(h, oh, align_corners, scale_factors[0], channels_last)
    w1, wp, w0l, w1l = bilinear_source(w, ow, align_corners, scale_factors[1], channels_last)
    X = f32(x)
    p00 = X[:, :, h1][:, :, :, w1]
    p01 = X[:, :, h1][:, :, :, w1 + wp]
    p10 = X[:, :, h1 + hp][:, :, :, w1]
    p11 = X[:, :, h1 + hp][:, :, :, w1 + wp]
    shape = p00.shape
    H0, H1 = (np.broadcast_to(v[None, None, :, None], shape) for v in (h0l, h1l))
    W0, W1 = (np.broadcast_to(v[None, None, None, :], shape) for v in (w0l, w1l))
    z = F32(int(zp))
    if not channels_last:
        r = H0 * (W0 * p00 + W1 * p01) + H1 * (W0 * p10 + W1 * p11) - z
    else:
        a = _fma_f32(W1, p01, W0 * p00)
        b = _fma_f32(W1, p11, W0 * p10)
        rv = _fma_f32(H1, b, H0 * a) - z
        a = _fma_f32(W0, p00, W1 * p01)
        b = _fma_f32(W0, p10, W1 * p11)
        rs = _fma_f32(H0, a, H1 * b) - z
        cv = c // UPSAMPLE_NHWC_VLEN * UPSAMPLE_NHWC_VLEN
        r = np.concatenate([rv[:, :cv], rs[:, cv:]], axis=1)
    return rne_clamp(r, zp)


def nhwc_bytes_as_nchw(y):
    """torch 1.13 defect (hardtanh/clamp of a channels-last tensor, upsampling of an
    (N, C, 1, 1) tensor): the kernel writes the correct result in NHWC order into an output
    that PyTorch labels NCHW-contiguous. Returns those bytes read as NCHW."""
    y = np.asarray(y)
    return y.transpose(0, 2, 3, 1).reshape(y.shape)


# ----------------------------------------------------------------------------------------------
# avg_pool2d with ceil_mode=True and non-divisible adaptive_avg_pool2d (ATen native kernels;
# QNNPACK takes the other cases, 2.8). Output qparams = input qparams.
# ----------------------------------------------------------------------------------------------
def _avg_windows(size, k, stride, pad, ceil_mode):
    """(start, end, pool_size) per output index, as q_avg_pool2d: the window is clipped to
    [-pad, size + pad) for pool_size, then to [0, size) for the taps."""
    out = []
    for i in range(_pool_out(size, k, pad, stride, 1, ceil_mode)):
        st = i * stride - pad
        en = min(st + k, size + pad)
        out.append((max(st, 0), min(en, size), en - st))
    return out


def avg_pool2d_native(x, zp, kernel, stride, padding=(0, 0), ceil_mode=True,
                      count_include_pad=True, divisor_override=None, channels_last=False):
    """Quantized avg_pool2d off the QNNPACK path (ceil_mode=True): q_avg_pool2d.
    acc = sum of the in-bounds taps of x - size * zp           (size = in-bounds taps)
    d   = divisor_override, or pool_size (count_include_pad; the window clipped to the
          padded input, so a ceil-mode window hanging past it counts less), or size
    m   = (float)(1.0 / d)          (== 1.0f / (float)d for every d < 10^5)
    contiguous (avg_pool2d_out_frame):  y = clamp(rne((float)acc * m + (float)zp), 0, 255)
                                        (float multiply, float add of the zero point, then
                                        nearbyint)
    channels-last (qavg_pool2d_nhwc kernel, vector and scalar tail agree):
                                        y = clamp(rne((float)acc * m) + zp, 0, 255)"""
    x = np.asarray(x, dtype=np.int64)
    n, c, h, w = x.shape
    wh = _avg_windows(h, kernel[0], stride[0], padding[0], ceil_mode)
    ww = _avg_windows(w, kernel[1], stride[1], padding[1], ceil_mode)
    out = np.zeros((n, c, len(wh), len(ww)), dtype=np.int64)
    for i, (h0, h1, ph) in enumerate(wh):
        for j, (w0, w1, pw) in enumerate(ww):
            size = (h1 - h0) * (w1 - w0)
            acc = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) - size * int(zp)
            d = divisor_override if divisor_override else (ph * pw if count_include_pad else size)
            m = F32(1.0 / d)
            if channels_last:
                out[:, :, i, j] = rne_clamp(f32(acc) * m, zp)
            else:
                out[:, :, i, j] = rne_clamp(f32(acc) * m + F32(int(zp)), 0)
    return out


def adaptive_windows(out_size, in_size):
    """start_index / end_index: [floor(o * in / out), ceil((o + 1) * in / out))."""
    return [((o * in_size) // out_size, -((-(o + 1) * in_size) // out_size))
            for o in range(out_size)]


def adaptive_avg_pool2d_native(x, zp, output_size, channels_last=False):
    """Quantized adaptive_avg_pool2d off the QNNPACK path (input size not a multiple of the
    output size; adaptive_windows may overlap).
    contiguous (adaptive_avg_pool_single_out_frame): on the RAW integers, no zero point:
        m = (1.0f / kh) / kw   (float32: (float)(1.0 / kD) with kD = 1, then two divisions)
        y = rne((float)sum(x) * m)
    channels-last (qadaptive_avg_pool2d_nhwc kernel):
        m = 1.0f / (float)(kh * kw)
        y = clamp(rne((float)(sum(x) - kh * kw * zp) * m) + zp, 0, 255)"""
    x = np.asarray(x, dtype=np.int64)
    n, c, h, w = x.shape
    oh, ow = output_size
    out = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i, (h0, h1) in enumerate(adaptive_windows(oh, h)):
        for j, (w0, w1) in enumerate(adaptive_windows(ow, w)):
            kh, kw = h1 - h0, w1 - w0
            raw = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            if channels_last:
                m = F32(1.0) / F32(kh * kw)
                out[:, :, i, j] = rne_clamp(f32(raw - kh * kw * int(zp)) * m, zp)
            else:
                m = (F32(1.0) / F32(kh)) / F32(kw)
                out[:, :, i, j] = rne_clamp(f32(raw) * m, 0)
    return out


# ----------------------------------------------------------------------------------------------
# Signed int8 activations (qint8, engine qnnpack): conv / linear / add / mul go to XNNPACK
# (libXNNPACK 0.0~git20220216.ae108ef), the rest to ATen's native kernels
# (docs/pytorch-recipes.md 2.23). Outputs are clamped to [-128, 127].
# ----------------------------------------------------------------------------------------------
QINT8_MIN, QINT8_MAX = -128, 127


def xnn_requant_scale(input_scale, weight_scales, output_scale):
    """xnn_create_convolution2d_nhwc_qs8 / _qc8 / fully_connected_nc_qs8:
    input_scale * kernel_scale / output_scale, float32 left to right (a DIVISION, unlike
    QNNPACK's (sw * sx) * (1.0f / sy)). XNNPACK refuses a value >= 256."""
    return (F32(input_scale) * f32(weight_scales)) / F32(output_scale)


def qint8_relu_limits(zero_point):
    """activationLimits<int8_t>(RELU): [zp, 127]; without relu [-128, 127]."""
    return int(zero_point), QINT8_MAX


def qint8_conv_requantize(acc, input_scale, weight_scales, output_scale, output_zp, relu=False,
                          channel_axis=1):
    """XNNPACK qs8/qc8 gemm/igemm/dwconv fp32 epilogue on the int32 accumulator (bias_q from
    quantize_bias, padding taps contributing 0, weight zero point 0):
    y = clamp(rne(f32(acc) * xnn_requant_scale) + zy, lo, 127), lo = zy (relu) or -128."""
    k = np.asarray(acc).shape[channel_axis]
    scale = np.broadcast_to(xnn_requant_scale(input_scale, weight_scales, output_scale), (k,))
    lo, hi = qint8_relu_limits(output_zp) if relu else (QINT8_MIN, QINT8_MAX)
    return requantize_fp32(acc, scale, output_zp, lo, hi, channel_axis)


def xnn_add_params(a_scale, b_scale, out_scale):
    """xnn_create_add_nd_qs8 parameters: a_os = sa / sy, b_os = sb / sy (float32 divisions,
    each must lie in [2^-10, 2^8) or the operator is refused);
    shift = 20 - floor(log2(max(a_os, b_os)))  (12 .. 30);
    ma = rne(a_os * 2^shift), mb = rne(b_os * 2^shift)   (exact products, < 2^21)."""
    a_os = F32(a_scale) / F32(out_scale)
    b_os = F32(b_scale) / F32(out_scale)
    for v in (a_os, b_os):
        if not (2.0**-10 <= float(v) < 2.0**8):
            raise ValueError("XNNPACK refuses a qint8 add scale ratio outside [2^-10, 2^8)")
    e = int((fp32_bits(max(a_os, b_os)) >> 23) & 0xFF) - 127
    shift = 20 - e
    ma = int(np.rint(np.float64(a_os) * 2.0**shift))
    mb = int(np.rint(np.float64(b_os) * 2.0**shift))
    return ma, mb, shift


def qint8_add(a, za, b, zb, a_scale, b_scale, out_scale, out_zp, relu=False):
    """quantized::add / add_relu on qint8 operands of equal shape (XNNPACK qs8 vadd):
    s = (a - za) * ma + (b - zb) * mb            (exact, |s| < 2^30)
    y = clamp(floor((s + 2^(shift-1)) / 2^shift) + zy, lo, 127)   (round half UP, i.e.
        towards +inf; an arithmetic shift), lo = zy for add_relu, else -128."""
    ma, mb, shift = xnn_add_params(a_scale, b_scale, out_scale)
    s = (np.asarray(a, dtype=np.int64) - int(za)) * ma + (np.asarray(b, dtype=np.int64) - int(zb)) * mb
    r = (s + (1 << (shift - 1))) >> shift
    lo = int(out_zp) if relu else QINT8_MIN
    return np.clip(r + int(out_zp), lo, QINT8_MAX).astype(np.int64)


def qint8_mul(a, za, b, zb, a_scale, b_scale, out_scale, out_zp):
    """quantized::mul on qint8 operands of equal shape (XNNPACK qs8 vmul, fp32 requantization):
    m = (sa * sb) / sy   (float32, a DIVISION; ATen's quint8 mul uses (sa*sb) * (1.0f/sy))
    y = clamp(rne(f32((a - za) * (b - zb)) * m) + zy, -128, 127)."""
    m = (F32(a_scale) * F32(b_scale)) / F32(out_scale)
    p = (np.asarray(a, dtype=np.int64) - int(za)) * (np.asarray(b, dtype=np.int64) - int(zb))
    return rne_clamp(f32(p) * m, out_zp, QINT8_MIN, QINT8_MAX)


def qint8_avg_pool2d(x, zp, kernel, stride, padding=(0, 0), ceil_mode=False,
                     count_include_pad=True, divisor_override=None, channels_last=False):
    """quantized avg_pool2d on qint8: ATen's native kernels (avg_pool2d_native's formulas,
    also for ceil_mode=False; count_include_pad honoured), clamped to [-128, 127]."""
    x = np.asarray(x, dtype=np.int64)
    wh = _avg_windows(x.shape[2], kernel[0], stride[0], padding[0], ceil_mode)
    ww = _avg_windows(x.shape[3], kernel[1], stride[1], padding[1], ceil_mode)
    out = np.zeros(x.shape[:2] + (len(wh), len(ww)), dtype=np.int64)
    for i, (h0, h1, ph) in enumerate(wh):
        for j, (w0, w1, pw) in enumerate(ww):
            size = (h1 - h0) * (w1 - w0)
            acc = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) - size * int(zp)
            d = divisor_override if divisor_override else (ph * pw if count_include_pad else size)
            m = F32(1.0 / d)
            if channels_last:
                out[:, :, i, j] = rne_clamp(f32(acc) * m, zp, QINT8_MIN, QINT8_MAX)
            else:
                out[:, :, i, j] = rne_clamp(f32(acc) * m + F32(int(zp)), 0, QINT8_MIN, QINT8_MAX)
    return out


def qint8_adaptive_avg_pool2d(x, zp, output_size, channels_last=False):
    """quantized adaptive_avg_pool2d on qint8 (global pooling included): ATen's native kernels
    for every size (adaptive_avg_pool2d_native's formulas), clamped to [-128, 127]. The NCHW
    kernel averages the RAW integers (no zero point)."""
    x = np.asarray(x, dtype=np.int64)
    oh, ow = output_size
    out = np.zeros(x.shape[:2] + (oh, ow), dtype=np.int64)
    for i, (h0, h1) in enumerate(adaptive_windows(oh, x.shape[2])):
        for j, (w0, w1) in enumerate(adaptive_windows(ow, x.shape[3])):
            kh, kw = h1 - h0, w1 - w0
            raw = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            if channels_last:
                t = f32(raw - kh * kw * int(zp)) * (F32(1.0) / F32(kh * kw))
                out[:, :, i, j] = rne_clamp(t, zp, QINT8_MIN, QINT8_MAX)
            else:
                t = f32(raw) * ((F32(1.0) / F32(kh)) / F32(kw))
                out[:, :, i, j] = rne_clamp(t, 0, QINT8_MIN, QINT8_MAX)
    return out


def qint8_requantize_avx2(q, in_scale, in_zp, out_scale, out_zp):
    """requantize_avx2 (cat's vector route) with the qint8 clamp."""
    q = np.asarray(q, dtype=np.int64)
    v = _fma_f32(F32(in_scale), f32(q), F32(F32(in_scale) * F32(-in_zp)))
    inv = F32(1.0 / np.float64(F32(out_scale)))
    return rne_clamp(v * inv, out_zp, QINT8_MIN, QINT8_MAX)


def qint8_requantize_scalar(q, in_scale, in_zp, out_scale, out_zp):
    return quantize(dequantize(q, in_scale, in_zp), out_scale, out_zp, "qint8")


def qint8_cat_channels_last(qs, in_scales, in_zps, out_scale, out_zp):
    """cat_channels_last for qint8 (same rule: copy when qparams equal, else the first
    floor(C/8)*8 channels of each pixel vector, the rest scalar)."""
    return cat_channels_last(qs, in_scales, in_zps, out_scale, out_zp,
                             qint8_requantize_avx2, qint8_requantize_scalar)


def qint8_cat_contiguous(qs, in_scales, in_zps, out_scale, out_zp, axis=1):
    return cat_contiguous(qs, in_scales, in_zps, out_scale, out_zp, axis, qint8_requantize_scalar)
