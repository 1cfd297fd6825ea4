#include "golden/recipes.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace bpusim::golden {

float xnnpack_requant_scale(float x_scale, float w_scale, float y_scale) {
  const float product = x_scale * w_scale;
  return product / y_scale;
}

int32_t pytorch_bias_value(float bias, float scale) {
  const float t = bias * (1.0f / scale);
  const double r = std::nearbyint(static_cast<double>(t));
  if (std::isnan(r)) return std::numeric_limits<int32_t>::min();  // as x86's conversion
  return static_cast<int32_t>(std::clamp(r, -2147483648.0, 2147483647.0));
}

int32_t qnnpack_conv_bias(int32_t bias_q) {
  return bias_q == std::numeric_limits<int32_t>::max() ? std::numeric_limits<int32_t>::min()
                                                       : bias_q;
}

float qnnpack_requant_scale(float x_scale, float w_scale, float y_scale) {
  const float product = w_scale * x_scale;
  const float reciprocal = 1.0f / y_scale;
  return product * reciprocal;
}

float onnx_requant_scale(float x_scale, float w_scale, float y_scale) {
  const float product = x_scale * w_scale;
  return product / y_scale;
}

ir::AddParams qnnpack_add_params(const Affine& a, const Affine& b, const Affine& y, DType out,
                                 bool relu, const std::string& what) {
  const float a_ratio = a.scale / y.scale;
  const float b_ratio = b.scale / y.scale;
  for (const float ratio : {a_ratio, b_ratio})
    require(ratio >= std::ldexp(1.0f, -14) && ratio < std::ldexp(1.0f, 8), what,
            ": operand scale / output scale = ", ratio,
            " is outside [2^-14, 2^8), where PyTorch (QNNPACK) refuses the add");
  const float larger = std::max(a_ratio, b_ratio);
  require(larger >= std::ldexp(1.0f, -10), what, ": the larger operand scale / output scale ",
          larger, " is below 2^-10, where QNNPACK's result is undefined");
  int exponent = 0;
  std::frexp(larger, &exponent);  // larger = m * 2^exponent, m in [0.5, 1)
  const int shift = 21 - (exponent - 1);
  auto multiplier = [shift](float ratio) {
    return static_cast<int32_t>(std::nearbyint(std::ldexp(static_cast<double>(ratio), shift)));
  };
  ir::AddParams p;
  p.add_mult_a = multiplier(a_ratio);
  p.add_mult_b = multiplier(b_ratio);
  p.add_shift = shift;
  p.add_const =
      wrap32(-(int64_t{p.add_mult_a} * a.zero_point + int64_t{p.add_mult_b} * b.zero_point));
  p.add_zp = y.zero_point;
  p.add_min = relu ? y.zero_point : static_cast<int32_t>(ir::dtype_min(out));
  p.add_max = static_cast<int32_t>(ir::dtype_max(out));
  return p;
}

float qnnpack_avg_pool_scale(float x_scale, float y_scale, int64_t window) {
  const float divisor = y_scale * static_cast<float>(window);
  return x_scale / divisor;
}

FixedScale fixed_point_scale(float scale, const std::string& what) {
  require(std::isfinite(scale) && scale > 0.0f, what, ": requantization scale ", scale,
          " must be finite and > 0");
  require(scale < std::ldexp(1.0f, 31), what, ": requantization scale ", scale,
          " is >= 2^31, which the fixed-point requantizer cannot represent");
  if (scale < std::ldexp(1.0f, -32)) return {};
  int exponent = 0;
  const float significand = std::frexp(scale, &exponent);  // in [0.5, 1), 24 bits
  // significand * 2^31 is an integer in [2^30, 2^31) (exact: 24 significant bits).
  return {static_cast<int32_t>(std::ldexp(static_cast<double>(significand), 31)), 31 - exponent};
}

namespace {
float corner_scale(int64_t in, int64_t out) {
  return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
}
}  // namespace

UpsampleAxis upsample_axis_from_scale(int64_t in, float onnx_scale, bool align_corners) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, onnx_scale).ptr;
  double factor = 0.0;
  std::from_chars(text, end, factor);
  UpsampleAxis a;
  a.in = in;
  a.out = std::max<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(in) * factor)), 0);
  a.scale = align_corners ? corner_scale(in, a.out) : static_cast<float>(1.0 / factor);
  return a;
}

UpsampleAxis upsample_axis_from_size(int64_t in, int64_t out, bool align_corners) {
  UpsampleAxis a;
  a.in = in;
  a.out = out;
  a.scale =
      align_corners ? corner_scale(in, out) : static_cast<float>(in) / static_cast<float>(out);
  return a;
}

std::vector<int64_t> nearest_sources(const UpsampleAxis& a) {
  std::vector<int64_t> src(static_cast<size_t>(a.out));
  for (int64_t o = 0; o < a.out; ++o) {
    const float position = static_cast<float>(o) * a.scale;
    src[o] =
        a.out == a.in ? o : std::min<int64_t>(static_cast<int64_t>(std::floor(position)), a.in - 1);
  }
  return src;
}

std::vector<LinearSource> bilinear_sources(const UpsampleAxis& a, bool align_corners,
                                           bool channels_last) {
  std::vector<LinearSource> src(static_cast<size_t>(a.out));
  for (int64_t o = 0; o < a.out; ++o) {
    const float of = static_cast<float>(o);
    float r;
    if (align_corners) {
      r = a.scale * of;
    } else {
      r = channels_last ? std::fma(of + 0.5f, a.scale, -0.5f) : a.scale * (of + 0.5f) - 0.5f;
      if (r < 0.0f) r = 0.0f;
    }
    LinearSource& s = src[o];
    s.lo = static_cast<int64_t>(r);
    s.hi = s.lo < a.in - 1 ? s.lo + 1 : s.lo;
    s.w_hi = r - static_cast<float>(s.lo);
    s.w_lo = 1.0f - s.w_hi;
  }
  return src;
}

int32_t aten_leaky_relu(int32_t q, const Affine& x, float slope, const Affine& y, bool vector) {
  const float d = vector ? std::fma(x.scale, static_cast<float>(q),
                                    static_cast<float>(x.scale * static_cast<float>(-x.zero_point)))
                         : static_cast<float>(q - x.zero_point) * x.scale;
  const float v = d > 0.0f ? d : d * slope;
  return quantize_value(v, y.scale, y.zero_point, DType::kU8, QuantizeMethod::kMulInv);
}

float aten_mul_scale(float a_scale, float b_scale, float y_scale) {
  const float product = a_scale * b_scale;
  return product * (1.0f / y_scale);
}

int32_t qnnpack_sigmoid(float x) {
  const float y = 256.0f / (1.0f + std::exp(-x));  // glibc expf, as QNNPACK
  return static_cast<int32_t>(round_half_even(y, 0, 255));
}

int32_t qnnpack_tanh(float x) {
  const double t = 128.0 * std::tanh(static_cast<double>(x)) + 128.0;
  return static_cast<int32_t>(round_half_even(static_cast<float>(t), 0, 255));
}

int32_t qnnpack_hardsigmoid(float x) {
  const float relu6 = std::clamp(x + 3.0f, 0.0f, 6.0f);
  return static_cast<int32_t>(round_half_even(256.0f * (relu6 / 6.0f), 0, 255));
}

int32_t qnnpack_hardswish(float x, const Affine& y) {
  const float relu6 = std::clamp(x + 3.0f, 0.0f, 6.0f);
  const float v = (x * relu6) / 6.0f;
  const float t = v * (1.0f / y.scale) + static_cast<float>(y.zero_point);
  return static_cast<int32_t>(round_half_even(t, 0, 255));
}

}  // namespace bpusim::golden
