#include "compiler/passes/pytorch_params.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "ir/op_set.h"

namespace bpusim::compiler {

float requant_scale(float x_scale, float w_scale, float y_scale) {
  const float product = w_scale * x_scale;  // generate_requantization_scales' order
  const float inverse = 1.0f / y_scale;
  return product * inverse;
}

int32_t wrap32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
}

UpsampleAxis upsample_axis(int64_t in, std::optional<float> onnx_scale, std::optional<int64_t> size,
                           bool align_corners) {
  UpsampleAxis a;
  a.in = in;
  double factor = 0.0;
  if (onnx_scale) {
    std::array<char, 32> digits{};
    const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), *onnx_scale);
    std::from_chars(digits.data(), end, factor);
    a.out = static_cast<int64_t>(std::floor(static_cast<double>(in) * factor));
  } else {
    a.out = size.value_or(in);
  }
  if (align_corners)
    a.scale = a.out > 1 ? static_cast<float>(in - 1) / static_cast<float>(a.out - 1) : 0.0f;
  else
    a.scale = onnx_scale ? static_cast<float>(1.0 / factor)
                         : static_cast<float>(in) / static_cast<float>(a.out);
  return a;
}

UpsampleAxis upsample_axis_of(const ir::Node& n, int axis, int64_t in) {
  const bool align = n.attr_int("align_corners", 0) != 0;
  if (n.has_attr("sizes")) {
    const std::vector<int64_t> sizes = n.attr_ints("sizes", {});
    require(sizes.size() == 2 && sizes[0] > 0 && sizes[1] > 0, n.describe(),
            ": attribute 'sizes' needs 2 positive entries");
    return upsample_axis(in, std::nullopt, sizes[static_cast<size_t>(axis)], align);
  }
  const std::vector<float> scales = n.attr_floats("scales", {});
  require(scales.size() == 2 && scales[0] > 0.0f && scales[1] > 0.0f, n.describe(),
          ": attribute 'scales' needs 2 positive entries");
  return upsample_axis(in, scales[static_cast<size_t>(axis)], std::nullopt, align);
}

std::vector<int64_t> nearest_source_indices(const UpsampleAxis& a) {
  std::vector<int64_t> src;
  for (int64_t o = 0; o < a.out; ++o) {
    const auto s = static_cast<int64_t>(std::floor(static_cast<float>(o) * a.scale));
    src.push_back(a.out == a.in ? o : std::min(s, a.in - 1));
  }
  return src;
}

std::vector<BilinearTap> bilinear_taps(const UpsampleAxis& a, bool align_corners, bool nhwc) {
  std::vector<BilinearTap> taps;
  for (int64_t o = 0; o < a.out; ++o) {
    const float of = static_cast<float>(o);
    float r = 0.0f;
    if (align_corners)
      r = a.scale * of;
    else
      r = std::max(nhwc ? std::fma(of + 0.5f, a.scale, -0.5f) : a.scale * (of + 0.5f) - 0.5f, 0.0f);
    BilinearTap t;
    t.i0 = static_cast<int64_t>(r);
    t.i1 = t.i0 + (t.i0 < a.in - 1 ? 1 : 0);
    t.l1 = r - static_cast<float>(t.i0);
    t.l0 = 1.0f - t.l1;
    taps.push_back(t);
  }
  return taps;
}

std::vector<int64_t> aten_pool_counts(int64_t in, int64_t k, int64_t stride, int64_t pad_begin,
                                      int64_t pad_end, int64_t out, bool count_include_pad) {
  std::vector<int64_t> counts;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * stride - pad_begin;
    const int64_t end = std::min(start + k, in + pad_end);
    counts.push_back(count_include_pad ? end - start
                                       : std::min(end, in) - std::max<int64_t>(start, 0));
  }
  return counts;
}

float mul_scale(float a_scale, float b_scale, float y_scale) {
  const float product = a_scale * b_scale;
  const float inverse = 1.0f / y_scale;
  return product * inverse;
}

float xnnpack_requant_scale(float x_scale, float w_scale, float y_scale) {
  const float product = x_scale * w_scale;
  return product / y_scale;
}

float xnnpack_mul_scale(float a_scale, float b_scale, float y_scale) {
  const float product = a_scale * b_scale;
  return product / y_scale;
}

int32_t quantize_bias(float bias, float bias_scale) {
  const float inverse = 1.0f / bias_scale;
  const double q = std::nearbyint(static_cast<double>(bias * inverse));
  // NaN (a NaN bias or scale) converts to INT64_MIN on x86 and then clamps: INT32_MIN.
  if (std::isnan(q)) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(std::clamp(q, -2147483648.0, 2147483647.0));
}

int32_t qnnpack_conv_bias(int32_t bias_q) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  return bias_q == kMax ? std::numeric_limits<int32_t>::min() : bias_q;
}

int32_t quantize_like_pytorch(float x, float scale, int32_t zp, DType t) {
  const float inverse = 1.0f / scale;
  const float scaled = x * inverse;  // one float32 multiply
  const auto lo = static_cast<double>(ir::dtype_min(t)), hi = static_cast<double>(ir::dtype_max(t));
  if (std::isnan(scaled)) return static_cast<int32_t>(std::clamp(static_cast<double>(zp), lo, hi));
  // nearbyint rounds ties to even in the default rounding mode; the clamp saturates.
  const double q = std::nearbyint(static_cast<double>(scaled)) + zp;
  return static_cast<int32_t>(std::clamp(q, lo, hi));
}

namespace {

// a_os = a_scale / y_scale and b_os = b_scale / y_scale (float32), each required in
// [2^lo_exp, 2^8): `kernel` names the library whose refusal PyTorch reports.
std::pair<float, float> add_ratios(float a_scale, float b_scale, float y_scale, int lo_exp,
                                   const char* kernel, const std::string& what) {
  const float a_os = a_scale / y_scale;
  const float b_os = b_scale / y_scale;
  for (auto [name, os] : {std::pair{"first", a_os}, std::pair{"second", b_os}})
    require(os >= std::ldexp(1.0f, lo_exp) && os < std::ldexp(1.0f, 8), what, ": the ", name,
            " operand's scale / output scale = ", os, " is outside ", kernel, "'s range [2^",
            lo_exp, ", 2^8) (PyTorch refuses this add)");
  return {a_os, b_os};
}

// round_half_even(os * 2^shift), exactly (a double holds the product).
int64_t add_multiplier(float os, int shift) {
  return static_cast<int64_t>(std::nearbyint(std::ldexp(static_cast<double>(os), shift)));
}

}  // namespace

ir::AddParams add_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp, float y_scale,
                         int32_t y_zp, bool relu, const std::string& what) {
  const auto [a_os, b_os] = add_ratios(a_scale, b_scale, y_scale, -14, "QNNPACK", what);
  const float max_os = std::max(a_os, b_os);
  require(max_os >= std::ldexp(1.0f, -10), what,
          ": the larger operand scale / output scale = ", max_os,
          " is below 2^-10: QNNPACK's shift would exceed 31 and PyTorch's result is undefined");
  const int shift = 21 - std::ilogb(max_os);  // 11 .. 31 after the checks above
  ir::AddParams p;
  p.add_mult_a = static_cast<int32_t>(add_multiplier(a_os, shift));
  p.add_mult_b = static_cast<int32_t>(add_multiplier(b_os, shift));
  p.add_shift = shift;
  p.add_const = wrap32(-(int64_t{p.add_mult_a} * a_zp + int64_t{p.add_mult_b} * b_zp));
  p.add_zp = y_zp;
  p.add_min = relu ? y_zp : 0;
  p.add_max = 255;
  return p;
}

ir::AddParams xnnpack_add_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                                 float y_scale, int32_t y_zp, bool relu, const std::string& what) {
  const auto [a_os, b_os] = add_ratios(a_scale, b_scale, y_scale, -10, "XNNPACK (int8)", what);
  const int shift = 20 - std::ilogb(std::max(a_os, b_os));  // 13 .. 30 after the checks
  const int64_t ma = add_multiplier(a_os, shift), mb = add_multiplier(b_os, shift);
  ir::AddParams p;
  p.add_mult_a = static_cast<int32_t>(2 * ma);
  p.add_mult_b = static_cast<int32_t>(2 * mb);
  p.add_shift = shift + 1;
  p.add_const = wrap32(1 - 2 * (ma * a_zp + mb * b_zp));
  p.add_zp = y_zp;
  p.add_min = relu ? y_zp : -128;
  p.add_max = 127;
  return p;
}

int64_t avg_pool_window(const ir::Node& n, const Shape& x_shape) {
  if (n.op == ir::op::kQGlobalAvgPool) return x_shape.at(2) * x_shape.at(3);
  const auto k = n.attr_ints("kernel_shape", {});
  require(k.size() == 2, n.describe(), ": attribute 'kernel_shape' needs 2 entries, got ",
          k.size());
  return k[0] * k[1];
}

float avg_pool_scale(float x_scale, float y_scale, int64_t window) {
  return x_scale / (y_scale * static_cast<float>(window));
}

float aten_pool_multiplier(int64_t divisor) {
  return static_cast<float>(1.0 / static_cast<double>(divisor));
}

float aten_adaptive_multiplier(int64_t kh, int64_t kw, bool channels_last) {
  if (channels_last) return 1.0f / static_cast<float>(kh * kw);
  const float per_row = 1.0f / static_cast<float>(kh);
  return per_row / static_cast<float>(kw);
}

FixedScale fixed_encoding(float scale, const std::string& what) {
  require(std::isfinite(scale) && scale > 0.0f, what, ": requantization scale ", scale,
          " must be finite and > 0");
  const uint32_t bits = std::bit_cast<uint32_t>(scale);
  const int exponent = static_cast<int>((bits >> 23) & 0xFF);
  require(exponent < 158, what, ": requantization scale ", scale,
          " is >= 2^31 and cannot be encoded for the fixed-point requantizer");
  if (exponent < 95) return {};  // scale < 2^-32: |acc * scale| < 0.5, the result is 0
  return {static_cast<int32_t>(((bits & 0x7FFFFFu) | 0x800000u) << 7), 157 - exponent};
}

namespace {

// QNNPACK's table epilogue: clamp the float32 to [0, 255], then round to nearest even.
int64_t table_round(float y) {
  return static_cast<int64_t>(std::nearbyint(std::min(std::max(y, 0.0f), 255.0f)));
}

int64_t lut_entry(LutFunction f, float x, const LutQuant& y, float lo, float hi) {
  switch (f) {
    case LutFunction::kSigmoid:
      return table_round(256.0f / (1.0f + std::exp(-x)));
    case LutFunction::kTanh:
      return table_round(static_cast<float>(128.0 * std::tanh(static_cast<double>(x)) + 128.0));
    case LutFunction::kHardSigmoid: {
      const float r6 = std::min(std::max(x + 3.0f, 0.0f), 6.0f);
      return table_round(256.0f * (r6 / 6.0f));
    }
    case LutFunction::kHardSwish: {
      const float r6 = std::min(std::max(x + 3.0f, 0.0f), 6.0f);
      const float v = (x * r6) / 6.0f;
      return table_round(v * (1.0f / y.scale) + static_cast<float>(y.zp));
    }
    case LutFunction::kClamp:
      return quantize_like_pytorch(std::min(std::max(x, lo), hi), y.scale, y.zp, y.type);
  }
  return 0;
}

}  // namespace

std::vector<int64_t> pytorch_lut(LutFunction f, const LutQuant& x, const LutQuant& y, float lo,
                                 float hi) {
  std::vector<int64_t> table(256);
  const int32_t offset = x.type == DType::kI8 ? -128 : 0;
  for (int32_t i = 0; i < 256; ++i) {
    const float xf = static_cast<float>(i + offset - x.zp) * x.scale;
    table[i] = lut_entry(f, xf, y, lo, hi);
  }
  return table;
}

LutPair leaky_relu_tables(const LutQuant& x, float slope, const LutQuant& y) {
  LutPair t;
  for (int32_t q = 0; q < 256; ++q) {
    const float fused =
        std::fma(x.scale, static_cast<float>(q), x.scale * static_cast<float>(-x.zp));
    const float plain = static_cast<float>(q - x.zp) * x.scale;
    for (auto [d, table] : {std::pair{fused, &t.vector_body}, std::pair{plain, &t.scalar_tail}})
      table->push_back(quantize_like_pytorch(d > 0.0f ? d : d * slope, y.scale, y.zp, y.type));
  }
  return t;
}

std::optional<LutQuant> fixed_lut_output(LutFunction f) {
  switch (f) {
    case LutFunction::kSigmoid:
    case LutFunction::kHardSigmoid:
      return LutQuant{1.0f / 256.0f, 0, DType::kU8};
    case LutFunction::kTanh:
      return LutQuant{2.0f / 256.0f, 128, DType::kU8};
    default:
      return std::nullopt;
  }
}

}  // namespace bpusim::compiler
