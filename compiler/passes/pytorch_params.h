// Compile-time parameters of PyTorch 1.13's quantized kernels (engine qnnpack), computed
// from the float32 scales and zero points an ONNX export carries. Each function is one
// recipe of docs/pytorch-recipes.md (section in brackets); all float arithmetic is IEEE
// single precision, one rounding per operation, as PyTorch does it.
#pragma once

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

// [2.3] Quantized bias: clamp(round_half_even(bias * (1.0f / bias_scale)), INT32), the
// exporter's bias chain Cast(Div(bias, s), INT32) as PyTorch evaluates it.
int32_t quantize_bias(float bias, float bias_scale);

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

// [2.8] Average pooling (QAvgPool / QGlobalAvgPool with recipe "qnnpack"): the number of
// window positions kh * kw (the input's H * W for the global pool; `x_shape` is NCHW) and the
// stage-1 scale x_scale / (y_scale * float(window)), the product first. The hardware does not
// divide: this scale (or its fixed encoding) carries the divisor.
int64_t avg_pool_window(const ir::Node& n, const Shape& x_shape);
float avg_pool_scale(float x_scale, float y_scale, int64_t window);

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

}  // namespace bpusim::compiler
