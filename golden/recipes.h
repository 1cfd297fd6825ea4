// Parameters that PyTorch 1.13 (qnnpack) and ONNX derive from float32 scales, as the golden
// reference derives them: one function per recipe of docs/pytorch-recipes.md (section in
// brackets) and docs/requantizer.md. The compiler computes the same parameters with its own
// code (compiler/passes/pytorch_params.h). They are written twice on purpose: the golden is
// the oracle the compiled program is checked against, so a wrong parameter in the compiler
// must show up as a mismatch instead of being computed identically on both sides.
// All float arithmetic is IEEE single precision, one rounding per operation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "golden/ops.h"
#include "ir/op_set.h"

namespace bpusim::golden {

// [2.3] Stage-1 scale of a PyTorch conv/linear output channel: (w_scale * x_scale) times the
// float32 reciprocal of y_scale (QNNPACK's generate_requantization_scales).
float qnnpack_requant_scale(float x_scale, float w_scale, float y_scale);
// [2.3] PyTorch's quantized bias (quantize_per_tensor to qint32): t = bias * (1.0f / scale)
// (float32), rounded half to even, saturated to int32. A float t below 2^31 is at most
// 2^31 - 128, so INT32_MAX means a positive overflow (see qnnpack_conv_bias).
int32_t pytorch_bias_value(float bias, float scale);
// [2.3] The bias QNNPACK's conv and depthwise kernels add: the quantized bias through float32
// and back (x86's conversion), so a saturated INT32_MAX becomes INT32_MIN (probed). Its gemm
// kernel (1x1 kernel, stride 1, no padding; and linear) and XNNPACK's (int8) use the bias as is.
int32_t qnnpack_conv_bias(int32_t bias_q);
// [2.23] XNNPACK (qint8 activations): (x_scale * w_scale) / y_scale, a float32 product then a
// float32 division; the same for a product's (a_scale * b_scale) / y_scale.
float xnnpack_requant_scale(float x_scale, float w_scale, float y_scale);

// [requantizer 4.1] Stage-1 scale of ONNX QLinearConv/QLinearMatMul: (x_scale * w_scale) /
// y_scale (ONNX Runtime's order).
float onnx_requant_scale(float x_scale, float w_scale, float y_scale);

// [2.5] QNNPACK's add parameters (x86): a_os = a.scale / y.scale, b_os = b.scale / y.scale;
// shift = 21 - floor(log2(max(a_os, b_os))), mult = os * 2^shift rounded to nearest even,
// const = wrap32(-(mult_a * a.zp + mult_b * b.zp)); output clamp [y.zp if relu else type min,
// type max] of `out`. Throws Error (prefixed with `what`) where PyTorch refuses the add
// (a ratio outside [2^-14, 2^8)) or its result is undefined (max ratio below 2^-10).
ir::AddParams qnnpack_add_params(const Affine& a, const Affine& b, const Affine& y, DType out,
                                 bool relu, const std::string& what);

// [2.8] Scale of QNNPACK's average pool over a window of `window` positions:
// x_scale / (y_scale * float(window)) (the product first).
float qnnpack_avg_pool_scale(float x_scale, float y_scale, int64_t window);

// [requantizer 4.2] The fixed-point form of a float32 scale for requant.mode fixed: the exact
// encoding scale = mult * 2^-shift with mult in [2^30, 2^31) (the float's 24-bit significand
// shifted to bit 30); scales below 2^-32 (every product with an int32 rounds to 0) give
// mult = shift = 0. Throws Error prefixed with `what` for a scale that is not finite and
// positive or is >= 2^31.
FixedScale fixed_point_scale(float scale, const std::string& what);

// [2.16] ATen's quantized leaky_relu of one quint8 value q (input x, slope, output y): the
// vectorized body (`vector`) dequantizes with fmaf(sx, q, float(sx * -zx)), the scalar tail
// with float(q - zx) * sx; then d > 0 ? d : d * slope, quantized as 2.1.
int32_t aten_leaky_relu(int32_t q, const Affine& x, float slope, const Affine& y, bool vector);

// [2.21] One axis of a PyTorch upsampling: output positions and the float32 scale its kernel
// uses. From the float32 scale an ONNX Resize carries (f32 of the Python scale factor): the
// factor is read back as the float's shortest decimal (the double the user wrote), out =
// floor(in * factor), scale = float(1.0 / factor). From a size (F.interpolate(size=...)):
// scale = float(in) / float(out). With align_corners: float(in - 1) / float(out - 1), 0 for
// out == 1.
struct UpsampleAxis {
  int64_t in = 0, out = 0;
  float scale = 0.0f;
};
UpsampleAxis upsample_axis_from_scale(int64_t in, float onnx_scale, bool align_corners);
UpsampleAxis upsample_axis_from_size(int64_t in, int64_t out, bool align_corners);

// [2.21] Nearest: src(o) = min(floor(float(o) * scale), in - 1); an output of the input's
// size is a copy.
std::vector<int64_t> nearest_sources(const UpsampleAxis& a);

// [2.21] Bilinear source of every output position: r = align_corners ? scale * o : the
// half-pixel scale * (o + 0.5) - 0.5 (channels-last kernel: fmaf(o + 0.5, scale, -0.5)),
// negative r clamped to 0; lo = (int64) r, hi = lo + 1 unless lo is the last position;
// w_hi = r - lo, w_lo = 1 - w_hi.
std::vector<LinearSource> bilinear_sources(const UpsampleAxis& a, bool align_corners,
                                           bool channels_last);

// [2.19] The stage-1 scale of ATen's quantized mul: (a_scale * b_scale) * (1.0f / y_scale).
float aten_mul_scale(float a_scale, float b_scale, float y_scale);

// [2.14, 2.15] PyTorch's table-driven quantized activations (QNNPACK, quint8 output), as
// functions of the dequantized input x (2.2): the output byte.
//   sigmoid      round_half_even(256.0f / (1.0f + expf(-x)))        output qparams (1/256, 0)
//   tanh         round_half_even(float(128.0 * tanh(double(x)) + 128.0))       (2/256, 128)
//   hardsigmoid  round_half_even(256.0f * (min(max(x + 3, 0), 6) / 6))         (1/256, 0)
//   hardswish    round_half_even((x * min(max(x + 3, 0), 6)) / 6 * (1.0f / y.scale)
//                                + float(y.zero_point))                 output qparams y
// each clamped to [0, 255]; float32 arithmetic except where double is written.
int32_t qnnpack_sigmoid(float x);
int32_t qnnpack_tanh(float x);
int32_t qnnpack_hardsigmoid(float x);
int32_t qnnpack_hardswish(float x, const Affine& y);
// The output qparams PyTorch fixes for sigmoid and hardsigmoid, and for tanh.
inline constexpr Affine kSigmoidOutput{1.0f / 256.0f, 0};
inline constexpr Affine kTanhOutput{2.0f / 256.0f, 128};

}  // namespace bpusim::golden
