// Compile-time parameters of PyTorch 1.13's quantized kernels (engine qnnpack), computed
// from the float32 scales and zero points an ONNX export carries. Each function is one
// recipe of docs/pytorch-recipes.md (section in brackets); all float arithmetic is IEEE
// single precision, one rounding per operation, as PyTorch does it.
#pragma once

#include <optional>
#include <vector>

#include <cstdint>
#include <string>

#include "ir/op_set.h"

namespace bpusim::compiler {

// The compiler's own integer and float helpers. The reference interpreter derives the same
// parameters with its own code, on purpose, so that the two are checked against each other
// rather than sharing a mistake (docs/compiler.md, "Front end").

// v reduced to 32-bit two's complement (what an int32 register holds).
int32_t wrap32(int64_t v);

// [2.3] Stage-1 scale of a conv/linear output channel: (w_scale * x_scale) * (1.0f / y_scale).
float requant_scale(float x_scale, float w_scale, float y_scale);

// [2.21] One axis of a PyTorch upsampling: `in` and `out` positions and the float32 scale
// its kernels use. The ONNX Resize carries either a float32 scale (nn.Upsample(scale_factor):
// the Python factor is the float's shortest decimal, out = floor(in * factor), scale =
// f32(1.0 / factor)) or the output size (F.interpolate(size=...): scale = f32(in) / f32(out));
// align_corners gives f32(in - 1) / f32(out - 1) (0 when out == 1) either way.
struct UpsampleAxis {
  int64_t in = 0, out = 0;
  float scale = 0.0f;
};
UpsampleAxis upsample_axis(int64_t in, std::optional<float> onnx_scale, std::optional<int64_t> size,
                           bool align_corners);
// The axis `axis` (0: H, 1: W) of a QUpsampleNearest / QUpsampleBilinear node over an input
// of `in` positions (attribute `scales` or `sizes`, and `align_corners`).
UpsampleAxis upsample_axis_of(const ir::Node& n, int axis, int64_t in);

// [2.21] Nearest: src(o) = min(floorf(float(o) * scale), in - 1); an output of the input's
// size is a copy.
std::vector<int64_t> nearest_source_indices(const UpsampleAxis& a);

// [2.21] Bilinear: the two source positions and their weights of each output position.
// `nhwc`: the channels-last kernel's half-pixel source fmaf(o + 0.5, scale, -0.5) (else
// scale * (o + 0.5) - 0.5); a negative half-pixel source is 0; i1 = i0 + (i0 < in - 1).
struct BilinearTap {
  int64_t i0 = 0, i1 = 0;
  float l0 = 1.0f, l1 = 0.0f;
};
std::vector<BilinearTap> bilinear_taps(const UpsampleAxis& a, bool align_corners, bool nhwc);

// [2.19] Stage-1 scale of ATen's quantized mul: (a_scale * b_scale) * (1.0f / y_scale).
float mul_scale(float a_scale, float b_scale, float y_scale);

// [2.3] Quantized bias: round_half_even(bias * (1.0f / bias_scale)) saturated to int32
// (quantize_per_tensor to qint32), the exporter's bias chain Cast(Div(bias, s), INT32) as
// PyTorch evaluates it; NaN gives INT32_MIN. A float quotient below 2^31 rounds to at most
// 2^31 - 128, so INT32_MAX is always a positive overflow.
int32_t quantize_bias(float bias, float bias_scale);
// [2.3] What QNNPACK's conv and depthwise kernels add for a quantized bias: it passes through
// float32, and x86's conversion of 2^31 gives INT32_MIN, so a saturated positive overflow
// becomes INT32_MIN (probed). QNNPACK's gemm kernel (a 1x1 conv with stride 1 and no padding,
// and linear) and XNNPACK's (int8 activations) add the quantized bias as is.
int32_t qnnpack_conv_bias(int32_t bias_q);

// [2.1] PyTorch's quantize_val: clamp(round_half_even(x * (1.0f / scale)) + zp, type range).
int32_t quantize_like_pytorch(float x, float scale, int32_t zp, DType t);

// [2.5] Stage-2 parameters of a QNNPACK add (uint8): a_os = a_scale / y_scale and
// b_os = b_scale / y_scale must lie in [2^-14, 2^8) (PyTorch refuses others) and their
// maximum must be >= 2^-10 (a larger shift is undefined in QNNPACK); then
// shift = 21 - floor(log2(max(a_os, b_os))), mult = round_half_even(os * 2^shift),
// const = wrap32(-(mult_a * a_zp + mult_b * b_zp)), clamp [y_zp if relu else 0, 255].
// Throws Error prefixed with `what` naming the offending ratio.
ir::AddParams add_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp, float y_scale,
                         int32_t y_zp, bool relu, const std::string& what);

// [2.23] The qint8 (XNNPACK) counterparts: a conv/linear channel's scale (x_scale * w_scale)
// / y_scale and a product's (a_scale * b_scale) / y_scale (float32 multiply, then division).
float xnnpack_requant_scale(float x_scale, float w_scale, float y_scale);
float xnnpack_mul_scale(float a_scale, float b_scale, float y_scale);

// [2.23] Stage-2 parameters of XNNPACK's qs8 add: a_os = a_scale / y_scale and b_os =
// b_scale / y_scale must each lie in [2^-10, 2^8) (PyTorch refuses others); shift = 20 -
// floor(log2(max(a_os, b_os))), m = round_half_even(os * 2^shift), and the sum rounds half UP:
// floor((s + 2^(shift-1)) / 2^shift). Stage 2 rounds half away from zero, so the record holds
// 2m, shift + 1 and a constant 1 - 2 (m_a a_zp + m_b b_zp): 2s + 1 is odd, never a tie, and
// its nearest integer after the shift is XNNPACK's. Clamp [y_zp if relu else -128, 127].
ir::AddParams xnnpack_add_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                                 float y_scale, int32_t y_zp, bool relu, const std::string& what);

// [2.8] Average pooling (QAvgPool / QGlobalAvgPool with recipe "qnnpack"): the number of
// window positions kh * kw (the input's H * W for the global pool; `x_shape` is NCHW) and the
// stage-1 scale x_scale / (y_scale * float(window)), the product first. The hardware does not
// divide: this scale (or its fixed encoding) carries the divisor.
int64_t avg_pool_window(const ir::Node& n, const Shape& x_shape);
float avg_pool_scale(float x_scale, float y_scale, int64_t window);

// [2.22] ATen's average pool (ceil_mode) along one axis: for each of `out` windows
// [o * stride - pad_begin, + k), the factor it contributes to the divisor: with
// count_include_pad its positions below in + pad_end, else its positions inside [0, in).
// The divisor of output (oy, ox) is the product of the two axes' factors; the scale is
// float(1.0 / divisor).
std::vector<int64_t> aten_pool_counts(int64_t in, int64_t k, int64_t stride, int64_t pad_begin,
                                      int64_t pad_end, int64_t out, bool count_include_pad);

// [2.22, 2.23] The float32 multiplier of ATen's native average pools: avg_pool2d's
// f32(1.0 / divisor) (double division), adaptive_avg_pool2d's 1.0f / f32(kh * kw) (NHWC
// kernel) or (1.0f / kh) / kw (NCHW kernel, on the raw integers: the same as the zero-point
// formula only for zero point 0).
float aten_pool_multiplier(int64_t divisor);
float aten_adaptive_multiplier(int64_t kh, int64_t kw, bool channels_last);

// [2.3, fixed_encoding] The exact q31 encoding of a float32 scale for the fixed-point
// requantizer (docs/requantizer.md 4.2): mult = ((bits & 0x7FFFFF) | 0x800000) << 7 and
// shift = 157 - biased exponent, so mult * 2^-shift == scale exactly. Scales below 2^-32
// (every product with an int32 rounds to 0) encode as mult = shift = 0. Throws Error
// prefixed with `what` for scales >= 2^31, which the requantizer cannot represent.
struct FixedScale {
  int32_t mult = 0;
  int32_t shift = 0;
};
FixedScale fixed_encoding(float scale, const std::string& what);

// [2.14, 2.15, 2.18] PyTorch's table-driven quantized activations: the 256 outputs of one
// function of an 8-bit input, indexed like VLUT (the byte for uint8 input, byte + 128 for int8).
// x = float(q - x_zp) * x_scale (2.2); every step float32 unless said otherwise:
//   kSigmoid      lrintf(clamp(256.0f / (1.0f + expf(-x)), 0, 255))          output (1/256, 0)
//   kTanh         lrintf(clamp(float(128.0 * tanh(double(x)) + 128.0), 0, 255))  (2/256, 128)
//   kHardSigmoid  lrintf(clamp(256.0f * (min(max(x + 3, 0), 6) / 6), 0, 255))  output (1/256, 0)
//   kHardSwish    r6 = min(max(x + 3, 0), 6); v = (x * r6) / 6;
//                 lrintf(clamp(v * (1.0f / y_scale) + float(y_zp), 0, 255))
//   kClamp        quantize_like_pytorch(min(max(x, lo), hi), y_scale, y_zp)   (a float region's
//                 ReLU / ReLU6 / hardtanh with new output qparams)
// The first four are QNNPACK's quint8 tables (output uint8); kClamp takes any 8-bit output.
enum class LutFunction { kSigmoid, kTanh, kHardSigmoid, kHardSwish, kClamp };
struct LutQuant {
  float scale = 1.0f;
  int32_t zp = 0;
  DType type = DType::kU8;
};
std::vector<int64_t> pytorch_lut(LutFunction f, const LutQuant& x, const LutQuant& y,
                                 float lo = 0.0f, float hi = 0.0f);
// [2.16] ATen's quantized leaky_relu (quint8) as two tables: its vectorized body (dequantize
// fmaf(x_scale, q, float(x_scale * -x_zp))) and its scalar tail (float(q - x_zp) * x_scale);
// each then d > 0 ? d : d * slope, quantized like PyTorch. Which one an element takes depends
// on its memory position (the first floor(numel / 64) * 64 elements are vectorized).
struct LutPair {
  std::vector<int64_t> vector_body, scalar_tail;
};
LutPair leaky_relu_tables(const LutQuant& x, float slope, const LutQuant& y);

// The output qparams PyTorch fixes for sigmoid, tanh and hardsigmoid (nullopt for the others).
std::optional<LutQuant> fixed_lut_output(LutFunction f);

}  // namespace bpusim::compiler
