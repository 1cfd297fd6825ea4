#include "golden/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "common/error.h"

// The bulk loops (conv2d_acc, requantize) are compiled for AVX2 as well as the baseline; the
// loader picks by CPU. Integer arithmetic and single IEEE operations (floor among them: inline
// with SSE4.1, a libm call without): the same results on both.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GOLDEN_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GOLDEN_MULTIVERSION
#endif

namespace bpusim::golden {
namespace {

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

bool is_int_type(DType t) {
  return t != DType::kF32;
}
bool is_8bit(DType t) {
  return t == DType::kU8 || t == DType::kI8;
}

void require_8bit(const Tensor& t, const std::string& what, const char* name) {
  require(is_8bit(t.dtype()), what, ": input '", name, "' must be uint8 or int8, got ",
          dtype_name(t.dtype()));
}

void require_f32(const Tensor& t, const std::string& what, const char* name) {
  require(t.dtype() == DType::kF32, what, ": input '", name, "' must be float32, got ",
          dtype_name(t.dtype()));
}

void require_rank(const Tensor& t, size_t rank, const std::string& what, const char* name) {
  require(t.rank() == rank, what, ": input '", name, "' must have rank ", rank, ", got shape ",
          shape_str(t.shape()));
}

void require_in_range(int64_t v, DType t, const std::string& what, const char* field) {
  require(v >= ir::dtype_min(t) && v <= ir::dtype_max(t), what, ": ", field, " ", v,
          " is outside the range of ", dtype_name(t));
}

void require_scale(float s, const std::string& what, const char* field) {
  require(std::isfinite(s) && s > 0.0f, what, ": ", field, " ", s, " must be finite and > 0");
}

// Element values of an integer tensor, widened to int64.
std::vector<int64_t> ints_of(const Tensor& t) {
  std::vector<int64_t> out(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = t.as_int(i);
  return out;
}

std::vector<double> floats_of(const Tensor& t) {
  std::vector<double> out(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = t.as_double(i);
  return out;
}

// Calls f(x.values<T>()) with T the element type of x (one type switch per tensor).
template <class TensorRef, class F>
void visit_values(TensorRef& x, F&& f) {
  switch (x.dtype()) {
    case DType::kU8:
      return f(x.template values<uint8_t>());
    case DType::kI8:
      return f(x.template values<int8_t>());
    case DType::kI32:
      return f(x.template values<int32_t>());
    case DType::kI64:
      return f(x.template values<int64_t>());
    case DType::kF32:
      return f(x.template values<float>());
  }
}

// A tensor of integer type `t` holding `v`; every value must already fit (an internal
// invariant: callers saturate or clamp first).
Tensor int_tensor(DType t, const Shape& shape, const std::vector<int64_t>& v) {
  if (t == DType::kF32) throw std::logic_error("golden: int_tensor of float32");
  Tensor out(t, shape);
  const int64_t lo = ir::dtype_min(t), hi = ir::dtype_max(t);
  visit_values(out, [&](auto dst) {
    for (size_t i = 0; i < dst.size(); ++i) {
      if (v[i] < lo || v[i] > hi)
        throw std::logic_error(cat("golden: value ", v[i], " does not fit ", dtype_name(t)));
      dst[i] = static_cast<typename decltype(dst)::value_type>(v[i]);
    }
  });
  return out;
}

Tensor float_tensor(const Shape& shape, const std::vector<double>& v) {
  Tensor out(DType::kF32, shape);
  auto dst = out.values<float>();
  for (size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<float>(v[i]);
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& what, bool allow_rank) {
  const int64_t hi = allow_rank ? rank : rank - 1;
  require(axis >= -rank && axis <= hi, what, ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

// ---- numpy broadcasting ----

Shape broadcast_shape(const Shape& a, const Shape& b, const std::string& what) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    require(da == db || da == 1 || db == 1, what, ": shapes ", shape_str(a), " and ", shape_str(b),
            " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// For every flat index of `out`, the flat index of the element of `s` (right-aligned,
// broadcast along its size-1 dims) that it reads.
std::vector<int64_t> broadcast_index(const Shape& s, const Shape& out) {
  const size_t r = out.size(), lead = r - s.size();
  std::vector<int64_t> stride(r, 0);
  int64_t st = 1;
  for (size_t i = r; i-- > lead;) {
    const int64_t d = s[i - lead];
    stride[i] = d == 1 ? 0 : st;
    st *= d;
  }
  std::vector<int64_t> index(numel(out));
  std::vector<int64_t> coord(r, 0);
  for (int64_t flat = 0; flat < static_cast<int64_t>(index.size()); ++flat) {
    int64_t off = 0;
    for (size_t i = 0; i < r; ++i) off += coord[i] * stride[i];
    index[flat] = off;
    for (size_t i = r; i-- > 0;) {  // odometer increment, last dim fastest
      if (++coord[i] < out[i]) break;
      coord[i] = 0;
    }
  }
  return index;
}

// ---- convolution and pooling geometry (one place for both) ----

// Output size along one spatial axis; the effective kernel spans dilation * (k - 1) + 1.
// ceil_mode follows PyTorch: round up (floor division, so a kernel longer than the padded
// input by less than a stride still gives one clipped window), but the last window must
// start inside the image or its leading padding.
int64_t output_size(int64_t in, int64_t k, int64_t stride, int64_t pad_begin, int64_t pad_end,
                    int64_t dilation, bool ceil_mode, const std::string& what) {
  require(k >= 1 && stride >= 1 && dilation >= 1 && pad_begin >= 0 && pad_end >= 0, what,
          ": kernel ", k, ", stride ", stride, ", dilation ", dilation, " must be >= 1 and pads ",
          pad_begin, ", ", pad_end, " >= 0");
  const int64_t span = in + pad_begin + pad_end - (dilation * (k - 1) + 1);
  const int64_t rounded = ceil_mode ? span + stride - 1 : span;
  require(rounded >= 0, what, ": kernel extent ", dilation * (k - 1) + 1,
          " is larger than the padded input ", in + pad_begin + pad_end);
  int64_t out = rounded / stride + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

struct ConvDims {
  int64_t n, c, h, w, m, cg, kh, kw, oh, ow;
};

ConvDims conv_dims(const Shape& xs, const Shape& ws, const Conv2dGeometry& g,
                   const std::string& what) {
  ConvDims d{xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[2], ws[3], 0, 0};
  require(g.group >= 1 && d.c % g.group == 0 && d.m % g.group == 0, what, ": group ", g.group,
          " must divide input channels ", d.c, " and output channels ", d.m);
  require(d.cg == d.c / g.group, what, ": weight shape ", shape_str(ws), " needs ", d.c / g.group,
          " input channels per group (input ", shape_str(xs), ", group ", g.group, ")");
  d.oh = output_size(d.h, d.kh, g.strides[0], g.pads[0], g.pads[2], g.dilations[0], false, what);
  d.ow = output_size(d.w, d.kw, g.strides[1], g.pads[1], g.pads[3], g.dilations[1], false, what);
  return d;
}

// Calls tap(o, xi, wi) for every output element o (flat NCHW index, in order) and every
// kernel tap that lands inside the image, in (c, kh, kw) order; xi and wi are the flat input
// and weight indices.
template <class Tap>
void for_each_conv_tap(const ConvDims& d, const Conv2dGeometry& g, Tap tap) {
  const int64_t m_per_group = d.m / g.group;
  int64_t o = 0;
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t m = 0; m < d.m; ++m)
      for (int64_t oh = 0; oh < d.oh; ++oh)
        for (int64_t ow = 0; ow < d.ow; ++ow, ++o)
          for (int64_t cg = 0; cg < d.cg; ++cg) {
            const int64_t c = (m / m_per_group) * d.cg + cg;
            for (int64_t kh = 0; kh < d.kh; ++kh) {
              const int64_t ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0];
              if (ih < 0 || ih >= d.h) continue;
              for (int64_t kw = 0; kw < d.kw; ++kw) {
                const int64_t iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
                if (iw < 0 || iw >= d.w) continue;
                tap(o, ((n * d.c + c) * d.h + ih) * d.w + iw,
                    ((m * d.cg + cg) * d.kh + kh) * d.kw + kw);
              }
            }
          }
}

struct PoolDims {
  int64_t n, c, h, w, oh, ow;
};

PoolDims pool_dims(const Tensor& x, const PoolGeometry& g, const std::string& what) {
  require_rank(x, 4, what, "x");
  PoolDims d{x.dim(0), x.dim(1), x.dim(2), x.dim(3), 0, 0};
  d.oh = output_size(d.h, g.kernel[0], g.strides[0], g.pads[0], g.pads[2], g.dilations[0],
                     g.ceil_mode, what);
  d.ow = output_size(d.w, g.kernel[1], g.strides[1], g.pads[1], g.pads[3], g.dilations[1],
                     g.ceil_mode, what);
  return d;
}

// Calls window(o, taps, padded_count) for every output element o (flat NCHW index): `taps`
// are the flat input indices of the window's elements inside the image (row-major), and
// `padded_count` the number of window positions inside the padded image
// ([-pad_begin, in + pad_end) on both axes: count_include_pad's divisor).
template <class Window>
void for_each_pool_window(const PoolDims& d, const PoolGeometry& g, const std::string& what,
                          Window window) {
  std::vector<int64_t> taps;
  int64_t o = 0;
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t c = 0; c < d.c; ++c)
      for (int64_t oh = 0; oh < d.oh; ++oh)
        for (int64_t ow = 0; ow < d.ow; ++ow, ++o) {
          taps.clear();
          int64_t rows = 0, cols = 0;
          for (int64_t kh = 0; kh < g.kernel[0]; ++kh) {
            const int64_t ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0];
            if (ih < d.h + g.pads[2]) ++rows;
            if (ih < 0 || ih >= d.h) continue;
            for (int64_t kw = 0; kw < g.kernel[1]; ++kw) {
              const int64_t iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
              if (iw < 0 || iw >= d.w) continue;
              taps.push_back(((n * d.c + c) * d.h + ih) * d.w + iw);
            }
          }
          for (int64_t kw = 0; kw < g.kernel[1]; ++kw)
            if (ow * g.strides[1] - g.pads[1] + kw * g.dilations[1] < d.w + g.pads[3]) ++cols;
          require(!taps.empty(), what, ": pooling window at output [", n, ", ", c, ", ", oh, ", ",
                  ow, "] lies entirely in the padding");
          window(o, taps, rows * cols);
        }
}

// Index of the channel of every element of a tensor of `shape` along `axis`.
int64_t channel_of(int64_t flat, int64_t inner, int64_t channels) {
  return (flat / inner) % channels;
}

void check_quant_params(const ir::QuantParams& q, const Shape& shape, DType int_type,
                        const std::string& what) {
  require(!q.scale.empty(), what, ": no scale");
  require(q.zero_point.empty() || q.zero_point.size() == q.scale.size(), what, ": ",
          q.zero_point.size(), " zero points for ", q.scale.size(), " scales");
  if (q.per_tensor()) {
    require(q.scale.size() == 1, what, ": per-tensor quantization with ", q.scale.size(),
            " scales");
  } else {
    require(q.axis < static_cast<int>(shape.size()), what, ": quantization axis ", q.axis,
            " is out of range for shape ", shape_str(shape));
    require(static_cast<int64_t>(q.scale.size()) == shape[q.axis], what, ": ", q.scale.size(),
            " scales for axis ", q.axis, " of shape ", shape_str(shape));
  }
  for (float s : q.scale) require_scale(s, what, "scale");
  for (int32_t z : q.zero_point) require_in_range(z, int_type, what, "zero point");
}

// (scale, zero point) of every element's slice.
template <class F>
void for_each_quant_slice(const ir::QuantParams& q, const Shape& shape, F f) {
  const int64_t n = numel(shape);
  const int64_t channels = q.per_tensor() ? 1 : shape[q.axis];
  const int64_t inner = q.per_tensor() ? n : product(shape, q.axis + 1, shape.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = q.per_tensor() ? 0 : channel_of(i, inner, channels);
    f(i, q.scale[c], q.zero_point.empty() ? 0 : q.zero_point[c]);
  }
}

}  // namespace

// ======================= scalar arithmetic =======================

int32_t wrap32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  return std::min(std::max(v, lo), hi);
}

int32_t saturate_to(int64_t v, DType t) {
  return static_cast<int32_t>(clamp64(v, ir::dtype_min(t), ir::dtype_max(t)));
}

int64_t round_half_even(double t, int64_t lo, int64_t hi) {
  if (std::isnan(t)) return clamp64(0, lo, hi);
  // Rounding is monotone, so anything at or beyond a bound rounds to at or beyond it.
  if (t <= static_cast<double>(lo)) return lo;
  if (t >= static_cast<double>(hi)) return hi;
  // r = floor(t), without a libm call: truncation toward zero (t is inside (lo, hi), so it
  // fits int64), one less for a negative non-integer. Above 2^53 every double is an integer
  // and converts exactly.
  // The conditions are added as 0/1 rather than branched on: they depend on the data and a
  // mispredicted branch per element cost more than the rest of the rounding.
  int64_t r = static_cast<int64_t>(t);
  r -= static_cast<int64_t>(static_cast<double>(r) > t);
  const double frac = t - static_cast<double>(r);  // exact: t and r share the binade
  r += static_cast<int64_t>((frac > 0.5) | ((frac == 0.5) & ((r & 1) != 0)));
  return clamp64(r, lo, hi);
}

int32_t requant_fp32(int32_t acc, float scale) {
  const float t = static_cast<float>(acc) * scale;  // IEEE single: convert, then multiply
  return static_cast<int32_t>(round_half_even(t, kI32Min, kI32Max));
}

int32_t requant_fixed(int32_t acc, int32_t mult, int32_t shift) {
  const int64_t p = static_cast<int64_t>(acc) * mult;  // |p| < 2^62
  if (shift == 0) return static_cast<int32_t>(clamp64(p, kI32Min, kI32Max));
  const int64_t magnitude = p < 0 ? -p : p;
  const int64_t rounded = (magnitude + (int64_t{1} << (shift - 1))) >> shift;
  return static_cast<int32_t>(clamp64(p < 0 ? -rounded : rounded, kI32Min, kI32Max));
}

int32_t stage1(int32_t sum, ir::Stage1Mode mode, const ir::RequantChannel& ch) {
  const int32_t acc = wrap32(int64_t{sum} + ch.bias);
  if (mode == ir::Stage1Mode::kInt32) return acc;
  const int32_t q = mode == ir::Stage1Mode::kFp32 ? requant_fp32(acc, ch.scale)
                                                  : requant_fixed(acc, ch.mult, ch.shift);
  const int32_t y = static_cast<int32_t>(clamp64(int64_t{q} + ch.zp, kI32Min, kI32Max));
  return static_cast<int32_t>(clamp64(y, ch.min, ch.max));
}

int32_t shift_round_half_away(int32_t s, int32_t shift) {
  if (shift == 0) return s;
  const int64_t floor_q = int64_t{s} >> shift;          // arithmetic shift: floor division
  const int64_t rem = int64_t{s} - (floor_q << shift);  // in [0, 2^shift)
  const int64_t half = int64_t{1} << (shift - 1);
  const bool up = rem > half || (rem == half && s >= 0);
  return static_cast<int32_t>(floor_q + (up ? 1 : 0));
}

int32_t stage2_add(int32_t a, int32_t b, const ir::AddParams& p) {
  // Each term fits int64 exactly; wrapping the total equals wrapping after every step.
  const int32_t s =
      wrap32(int64_t{p.add_const} + int64_t{a} * p.add_mult_a + int64_t{b} * p.add_mult_b);
  const int32_t r = shift_round_half_away(s, p.add_shift);
  return static_cast<int32_t>(
      clamp64(r, int64_t{p.add_min} - p.add_zp, int64_t{p.add_max} - p.add_zp) + p.add_zp);
}

Bounds no_activation_bounds(DType t) {
  return {static_cast<int32_t>(ir::dtype_min(t)), static_cast<int32_t>(ir::dtype_max(t))};
}

Bounds relu_bounds(int32_t zp, DType t) {
  return {zp, no_activation_bounds(t).max};
}

Bounds relu6_bounds(int32_t zp, float scale, DType t) {
  const int64_t six = round_half_even(6.0f / scale, 0, kI32Max);
  return {zp, static_cast<int32_t>(std::min<int64_t>(ir::dtype_max(t), zp + six))};
}

int32_t quantize_value(float x, float scale, int32_t zp, DType t, QuantizeMethod method) {
  const float v = method == QuantizeMethod::kDiv ? x / scale : x * (1.0f / scale);
  // Clamping the rounded value to +-2^40 first cannot change the saturated result.
  const int64_t r = round_half_even(v, -(int64_t{1} << 40), int64_t{1} << 40);
  return saturate_to(r + zp, t);
}

float dequantize_value(int64_t q, float scale, int32_t zp) {
  return static_cast<float>(q - zp) * scale;
}

int32_t avg_pool_recipe(const AvgWindow& w, bool count_include_pad, const Affine& in,
                        const Affine& out, DType t) {
  const int64_t divisor = count_include_pad ? w.padded_count : w.count;
  const double real_sum = static_cast<double>(w.sum - w.count * in.zero_point) * in.scale;
  const float mean = static_cast<float>(real_sum / static_cast<double>(divisor));
  return quantize_value(mean, out.scale, out.zero_point, t);
}

int32_t concat_recipe(int32_t q, const Affine& in, const Affine& out, DType t) {
  return quantize_value(dequantize_value(q, in.scale, in.zero_point), out.scale, out.zero_point, t);
}

int32_t avg_pool_recipe_qnnpack(const AvgWindow& w, const Affine& in, const Affine& out, DType t,
                                const std::optional<FixedScale>& fixed) {
  const int64_t acc = w.sum - w.count * in.zero_point;  // padding taps read zx: they add 0
  if (fixed)
    return saturate_to(
        static_cast<int64_t>(requant_fixed(static_cast<int32_t>(acc), fixed->mult, fixed->shift)) +
            out.zero_point,
        t);
  const float scale = in.scale / (out.scale * static_cast<float>(w.kernel_size));
  const float v = static_cast<float>(acc) * scale;  // IEEE single: convert, then multiply
  return saturate_to(round_half_even(v, kI32Min, kI32Max) + out.zero_point, t);
}

int32_t concat_recipe_qnnpack(int32_t q, const Affine& in, const Affine& out, DType t,
                              bool vector_route) {
  if (!vector_route)
    return quantize_value(dequantize_value(q, in.scale, in.zero_point), out.scale, out.zero_point,
                          t, QuantizeMethod::kMulInv);
  const float offset = in.scale * static_cast<float>(-in.zero_point);  // one float multiply
  const float v = std::fma(in.scale, static_cast<float>(q), offset);   // one rounding
  const float inv = static_cast<float>(1.0 / static_cast<double>(out.scale));
  return saturate_to(round_half_even(v * inv, kI32Min, kI32Max) + out.zero_point, t);
}

// =================================== tensor ops ===================================

Tensor quantize(const Tensor& x, const ir::QuantParams& q, DType out, QuantizeMethod method,
                const std::string& what) {
  require_f32(x, what, "x");
  require(out == DType::kU8 || out == DType::kI8 || out == DType::kI32, what,
          ": cannot quantize to ", dtype_name(out));
  check_quant_params(q, x.shape(), out, what);
  const auto src = x.values<float>();
  std::vector<int64_t> v(x.numel());
  for_each_quant_slice(q, x.shape(), [&](int64_t i, float scale, int32_t zp) {
    v[i] = quantize_value(src[i], scale, zp, out, method);
  });
  return int_tensor(out, x.shape(), v);
}

Tensor dequantize(const Tensor& x, const ir::QuantParams& q, const std::string& what) {
  require(is_8bit(x.dtype()) || x.dtype() == DType::kI32, what,
          ": input 'x' must be uint8, int8 or int32, got ", dtype_name(x.dtype()));
  check_quant_params(q, x.shape(), x.dtype(), what);
  Tensor y(DType::kF32, x.shape());
  auto dst = y.values<float>();
  for_each_quant_slice(q, x.shape(), [&](int64_t i, float scale, int32_t zp) {
    dst[i] = dequantize_value(x.as_int(i), scale, zp);
  });
  return y;
}

// The 8-bit values of `t` minus `zp`: 9-bit numbers, held as int16.
std::vector<int16_t> minus_zero_point(const Tensor& t, int32_t zp) {
  std::vector<int16_t> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::kU8) {
    const auto v = t.values<uint8_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int16_t>(v[i] - zp);
  } else {
    const auto v = t.values<int8_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int16_t>(v[i] - zp);
  }
  return out;
}

// sum of a[i] * b[i] over n terms, modulo 2^32 (the 32-bit accumulator's wrap-around). Each
// product of two 9-bit numbers is at most 255 * 255 in magnitude, so a block of 2^14 of them
// sums exactly in int32 (2^14 * 255^2 < 2^31); the blocks add in uint32, which wraps.
inline uint32_t wrapping_dot(const int16_t* a, const int16_t* b, int64_t n) {
  constexpr int64_t kBlock = int64_t{1} << 14;
  uint32_t sum = 0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    int32_t block = 0;
    for (int64_t i = start; i < end; ++i) block += int32_t{a[i]} * int32_t{b[i]};
    sum += static_cast<uint32_t>(block);
  }
  return sum;
}

GOLDEN_MULTIVERSION
Tensor conv2d_acc(const Tensor& x, int32_t x_zp, const Tensor& w, int32_t w_zp,
                  const Conv2dGeometry& g, const std::string& what) {
  require_8bit(x, what, "x");
  require_8bit(w, what, "w");
  require_rank(x, 4, what, "x");
  require_rank(w, 4, what, "w");
  require_in_range(x_zp, x.dtype(), what, "x_zero_point");
  require_in_range(w_zp, w.dtype(), what, "w_zero_point");
  const ConvDims d = conv_dims(x.shape(), w.shape(), g, what);
  // Operands with their zero points taken off. Then out[n, m, oh, ow] is the dot product of
  // weight row m (its [cg][kh][kw] values, contiguous) with the input patch under the output
  // (`patch`, the same order; a tap in the padding is 0 = the zero point taken off).
  const std::vector<int16_t> xv = minus_zero_point(x, x_zp), wv = minus_zero_point(w, w_zp);
  const int64_t taps = d.cg * d.kh * d.kw, pixels = d.oh * d.ow, m_per_group = d.m / g.group;
  std::vector<int16_t> patch(static_cast<size_t>(pixels * taps));  // one group's patches
  Tensor acc(DType::kI32, {d.n, d.m, d.oh, d.ow});
  const auto out = acc.values<int32_t>();
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t grp = 0; grp < g.group; ++grp) {
      // patch[pixel][tap] for tap = (cg, kh, kw), one tap at a time over a row of outputs.
      int64_t tap = 0;
      for (int64_t cg = 0; cg < d.cg; ++cg) {
        const int16_t* plane = xv.data() + (n * d.c + grp * d.cg + cg) * d.h * d.w;
        for (int64_t kh = 0; kh < d.kh; ++kh)
          for (int64_t kw = 0; kw < d.kw; ++kw, ++tap)
            for (int64_t oh = 0; oh < d.oh; ++oh) {
              const int64_t ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0];
              int16_t* p = patch.data() + oh * d.ow * taps + tap;
              for (int64_t ow = 0; ow < d.ow; ++ow) {
                const int64_t iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
                const bool inside = ih >= 0 && ih < d.h && iw >= 0 && iw < d.w;
                p[ow * taps] = inside ? plane[ih * d.w + iw] : int16_t{0};
              }
            }
      }
      // Pixels in blocks whose patches stay in cache while every weight row passes over them.
      constexpr int64_t kPixelBlock = 64;
      for (int64_t first = 0; first < pixels; first += kPixelBlock)
        for (int64_t m = grp * m_per_group; m < (grp + 1) * m_per_group; ++m) {
          const int16_t* weights = wv.data() + m * taps;
          for (int64_t pix = first; pix < std::min(pixels, first + kPixelBlock); ++pix)
            out[(n * d.m + m) * pixels + pix] = static_cast<int32_t>(
                wrapping_dot(weights, patch.data() + pix * taps, taps));  // two's complement
        }
    }
  return acc;
}

Tensor matmul_acc(const Tensor& a, int32_t a_zp, const Tensor& b, int32_t b_zp,
                  const std::string& what) {
  require_8bit(a, what, "a");
  require_8bit(b, what, "b");
  require(a.rank() >= 2 && b.rank() >= 2, what, ": matmul operands need rank >= 2, got ",
          shape_str(a.shape()), " and ", shape_str(b.shape()));
  require_in_range(a_zp, a.dtype(), what, "a_zero_point");
  require_in_range(b_zp, b.dtype(), what, "b_zero_point");
  const int64_t m = a.dim(a.rank() - 2), k = a.dim(a.rank() - 1);
  const int64_t kb = b.dim(b.rank() - 2), n = b.dim(b.rank() - 1);
  require(k == kb, what, ": inner dimensions differ: ", shape_str(a.shape()), " x ",
          shape_str(b.shape()));
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape out = broadcast_shape(a_batch, b_batch, what);
  const std::vector<int64_t> ai = broadcast_index(a_batch, out), bi = broadcast_index(b_batch, out);
  // As conv2d_acc: zero points off, uint32 sums that wrap like the accumulator, one a[i, p]
  // at a time over the contiguous row b[p, :].
  std::vector<int32_t> av(a.numel()), bv(b.numel());
  for (int64_t i = 0; i < a.numel(); ++i) av[i] = static_cast<int32_t>(a.as_int(i)) - a_zp;
  for (int64_t i = 0; i < b.numel(); ++i) bv[i] = static_cast<int32_t>(b.as_int(i)) - b_zp;
  std::vector<uint32_t> sum(ai.size() * m * n, 0);
  for (size_t r = 0; r < ai.size(); ++r)
    for (int64_t i = 0; i < m; ++i) {
      uint32_t* row = sum.data() + (r * m + i) * n;
      for (int64_t p = 0; p < k; ++p) {
        const int32_t left = av[(ai[r] * m + i) * k + p];
        const int32_t* right = bv.data() + (bi[r] * k + p) * n;
        for (int64_t j = 0; j < n; ++j) row[j] += static_cast<uint32_t>(left * right[j]);
      }
    }
  std::vector<int64_t> y(sum.size());
  std::transform(sum.begin(), sum.end(), y.begin(),
                 [](uint32_t s) { return static_cast<int32_t>(s); });  // two's complement
  out.push_back(m);
  out.push_back(n);
  return int_tensor(DType::kI32, out, y);
}

GOLDEN_MULTIVERSION
Tensor requantize(const Tensor& acc, int64_t channel_axis, const ir::Requant& rq,
                  const Tensor* residual, const std::string& what) {
  require(acc.dtype() == DType::kI32, what, ": accumulator must be int32");
  require(channel_axis >= 0 && channel_axis < static_cast<int64_t>(acc.rank()), what,
          ": channel axis ", channel_axis, " out of range for ", shape_str(acc.shape()));
  const int64_t channels = acc.dim(channel_axis);
  require(static_cast<int64_t>(rq.channels.size()) == channels, what, ": ", rq.channels.size(),
          " requantizer channels for ", channels, " output channels");
  require(rq.has_add == (residual != nullptr), what,
          rq.has_add ? ": stage 2 needs a residual input" : ": residual input without stage 2");
  if (residual) {
    require_8bit(*residual, what, "residual");
    require(residual->shape() == acc.shape(), what, ": residual shape ",
            shape_str(residual->shape()), " differs from the output shape ",
            shape_str(acc.shape()));
  }
  const int64_t inner = product(acc.shape(), channel_axis + 1, acc.rank());
  const auto a = acc.values<int32_t>();
  std::vector<int64_t> y(acc.numel());
  // Element i = (o * channels + c) * inner + k has channel c.
  const int64_t outer = acc.numel() / std::max<int64_t>(1, channels * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      const ir::RequantChannel& ch = rq.channels[c];
      for (int64_t i = (o * channels + c) * inner; i < (o * channels + c + 1) * inner; ++i) {
        const int32_t y1 = stage1(a[i], rq.mode, ch);
        y[i] = residual ? stage2_add(y1, static_cast<int32_t>(residual->as_int(i)), ch.add) : y1;
      }
    }
  return int_tensor(rq.out_dtype, acc.shape(), y);
}

Tensor qadd(const Tensor& a, const Tensor& b, const ir::AddParams& p, DType out,
            const std::string& what) {
  require_8bit(a, what, "a");
  require_8bit(b, what, "b");
  require(is_8bit(out), what, ": add output must be uint8 or int8, got ", dtype_name(out));
  const Shape shape = broadcast_shape(a.shape(), b.shape(), what);
  const std::vector<int64_t> ai = broadcast_index(a.shape(), shape);
  const std::vector<int64_t> bi = broadcast_index(b.shape(), shape);
  std::vector<int64_t> y(ai.size());
  for (size_t i = 0; i < y.size(); ++i)
    y[i] =
        stage2_add(static_cast<int32_t>(a.as_int(ai[i])), static_cast<int32_t>(b.as_int(bi[i])), p);
  return int_tensor(out, shape, y);
}

Tensor qmul(const Tensor& a, int32_t a_zp, const Tensor& b, int32_t b_zp, const ir::Requant& rq,
            const std::string& what) {
  require_8bit(a, what, "a");
  require_8bit(b, what, "b");
  require(rq.channels.size() == 1 && rq.mode != ir::Stage1Mode::kInt32 && !rq.has_add, what,
          ": a product takes one fp32 or fixed requantizer channel without stage 2");
  const Shape shape = broadcast_shape(a.shape(), b.shape(), what);
  const std::vector<int64_t> ai = broadcast_index(a.shape(), shape);
  const std::vector<int64_t> bi = broadcast_index(b.shape(), shape);
  std::vector<int64_t> y(ai.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const int64_t p = (a.as_int(ai[i]) - a_zp) * (b.as_int(bi[i]) - b_zp);
    y[i] = stage1(static_cast<int32_t>(p), rq.mode, rq.channels[0]);
  }
  return int_tensor(rq.out_dtype, shape, y);
}

Tensor gather2d(const Tensor& x, const std::vector<int64_t>& src_h,
                const std::vector<int64_t>& src_w, const std::string& what) {
  require_rank(x, 4, what, "x");
  for (int64_t s : src_h)
    require(s >= 0 && s < x.dim(2), what, ": source row ", s, " outside [0, ", x.dim(2), ")");
  for (int64_t s : src_w)
    require(s >= 0 && s < x.dim(3), what, ": source column ", s, " outside [0, ", x.dim(3), ")");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t oh = static_cast<int64_t>(src_h.size()), ow = static_cast<int64_t>(src_w.size());
  Tensor y(x.dtype(), {n, c, oh, ow});
  const size_t es = dtype_size(x.dtype());
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        std::memcpy(y.bytes().data() + ((p * oh + oy) * ow + ox) * es,
                    x.bytes().data() + ((p * h + src_h[oy]) * w + src_w[ox]) * es, es);
  return y;
}

Tensor qadd_broadcast(const Tensor& x, const Affine& xa, const Tensor& g, const Affine& ga,
                      bool g_first, const Affine& y, bool relu, bool channels_last, DType out,
                      const std::string& what) {
  require_rank(x, 4, what, "x");
  require_8bit(x, what, "x");
  require_8bit(g, what, "the broadcast operand");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  require(g.rank() == 4 && (g.dim(0) == n || g.dim(0) == 1) && g.dim(1) == c && g.dim(2) == 1 &&
              g.dim(3) == 1,
          what, ": a broadcasting add of ", shape_str(x.shape()), " and ", shape_str(g.shape()),
          " is supported only with a per-channel operand [N, C, 1, 1]");
  const bool pixel_rows = channels_last && c > 1;  // rows of C channels, else planes of H * W
  const int64_t row = pixel_rows ? c : h * w;
  const int64_t vector_part = row / 64 * 64;
  auto dequantize = [](int64_t q, const Affine& a, bool vector) {
    return vector ? std::fma(a.scale, static_cast<float>(q),
                             a.scale * static_cast<float>(-a.zero_point))
                  : static_cast<float>(q - a.zero_point) * a.scale;
  };
  const float inverse = 1.0f / y.scale;
  Tensor result(out, x.shape());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < h * w; ++p) {
        const int64_t i = (b * c + ch) * h * w + p;
        const bool vector = (pixel_rows ? ch : p) < vector_part;
        const float dx = dequantize(x.as_int(i), xa, vector);
        const float dg = dequantize(g.as_int((g.dim(0) == 1 ? 0 : b) * c + ch), ga, vector);
        float sum = g_first ? dg + dx : dx + dg;
        if (relu) sum = std::max(sum, 0.0f);
        const int64_t q = round_half_even(sum * inverse, kI32Min, kI32Max) + y.zero_point;
        const int64_t v = std::clamp<int64_t>(q, ir::dtype_min(out), ir::dtype_max(out));
        if (out == DType::kI8)
          result.values<int8_t>()[i] = static_cast<int8_t>(v);
        else
          result.values<uint8_t>()[i] = static_cast<uint8_t>(v);
      }
  return result;
}

Tensor upsample_bilinear(const Tensor& x, int32_t zp, const std::vector<LinearSource>& rows,
                         const std::vector<LinearSource>& cols, bool channels_last,
                         const std::string& what) {
  require_rank(x, 4, what, "x");
  require_8bit(x, what, "x");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t oh = static_cast<int64_t>(rows.size()), ow = static_cast<int64_t>(cols.size());
  for (const LinearSource& s : rows)
    require(s.lo >= 0 && s.hi < h, what, ": source row outside [0, ", h, ")");
  for (const LinearSource& s : cols)
    require(s.lo >= 0 && s.hi < w, what, ": source column outside [0, ", w, ")");
  if (!channels_last && oh == h && ow == w) return x;  // the NCHW kernel copies
  Tensor y(x.dtype(), {n, c, oh, ow});
  const int64_t vector_channels = c / 8 * 8;  // the NHWC kernel's 8-lane body
  const float zero = static_cast<float>(zp);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      auto at = [&](int64_t iy, int64_t ix) {
        return static_cast<float>(x.as_int(((b * c + ch) * h + iy) * w + ix));
      };
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const LinearSource& r = rows[oy];
          const LinearSource& q = cols[ox];
          const float p00 = at(r.lo, q.lo), p01 = at(r.lo, q.hi);
          const float p10 = at(r.hi, q.lo), p11 = at(r.hi, q.hi);
          float v;
          if (!channels_last) {
            v = r.w_lo * (q.w_lo * p00 + q.w_hi * p01) + r.w_hi * (q.w_lo * p10 + q.w_hi * p11);
          } else if (ch < vector_channels) {
            const float top = std::fma(q.w_hi, p01, q.w_lo * p00);
            const float bottom = std::fma(q.w_hi, p11, q.w_lo * p10);
            v = std::fma(r.w_hi, bottom, r.w_lo * top);
          } else {
            const float top = std::fma(q.w_lo, p00, q.w_hi * p01);
            const float bottom = std::fma(q.w_lo, p10, q.w_hi * p11);
            v = std::fma(r.w_lo, top, r.w_hi * bottom);
          }
          const int64_t rounded = static_cast<int64_t>(std::nearbyint(v - zero)) + zp;
          const int64_t out =
              std::clamp<int64_t>(rounded, ir::dtype_min(x.dtype()), ir::dtype_max(x.dtype()));
          const int64_t i = ((b * c + ch) * oh + oy) * ow + ox;
          if (x.dtype() == DType::kI8)
            y.values<int8_t>()[i] = static_cast<int8_t>(out);
          else
            y.values<uint8_t>()[i] = static_cast<uint8_t>(out);
        }
    }
  return y;
}

Tensor lut(const Tensor& x, const std::vector<int64_t>& table, DType out, const std::string& what) {
  require_8bit(x, what, "x");
  require(is_8bit(out), what, ": output type ", dtype_name(out), " is not 8-bit");
  require(table.size() == 256, what, ": the table has ", table.size(), " entries, not 256");
  for (size_t i = 0; i < table.size(); ++i)
    require_in_range(table[i], out, what, cat("table entry ", i).c_str());
  const int64_t offset = x.dtype() == DType::kI8 ? 128 : 0;
  std::vector<int64_t> y(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) y[i] = table[x.as_int(i) + offset];
  return int_tensor(out, x.shape(), y);
}

int64_t nhwc_position(const Shape& s, int64_t i) {
  const int64_t c = s[1], h = s[2], w = s[3];
  const int64_t n = i / (c * h * w), ch = i / (h * w) % c, y = i / w % h, x = i % w;
  return ((n * h + y) * w + x) * c + ch;
}

Tensor lut_by_position(const Tensor& x, const std::vector<int64_t>& table,
                       const std::vector<int64_t>& tail, bool nhwc, DType out,
                       const std::string& what) {
  const Tensor head = lut(x, table, out, what);
  const Tensor rest = lut(x, tail, out, what);
  const int64_t vector_end = x.numel() / 64 * 64;
  const bool by_nhwc = nhwc && x.rank() == 4;
  Tensor y = head;
  const size_t es = dtype_size(out);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t p = by_nhwc ? nhwc_position(x.shape(), i) : i;
    if (p >= vector_end) std::memcpy(y.bytes().data() + i * es, rest.bytes().data() + i * es, es);
  }
  return y;
}

Tensor clamp(const Tensor& x, int64_t lo, int64_t hi, const std::string& what) {
  require(is_int_type(x.dtype()), what, ": clamp needs an integer tensor, got ",
          dtype_name(x.dtype()));
  require_in_range(lo, x.dtype(), what, "min");
  require_in_range(hi, x.dtype(), what, "max");
  require(lo <= hi, what, ": min ", lo, " > max ", hi);
  std::vector<int64_t> v = ints_of(x);
  for (int64_t& e : v) e = clamp64(e, lo, hi);
  return int_tensor(x.dtype(), x.shape(), v);
}

Tensor max_pool(const Tensor& x, const PoolGeometry& g, const std::string& what) {
  const PoolDims d = pool_dims(x, g, what);
  const Shape shape{d.n, d.c, d.oh, d.ow};
  if (x.dtype() == DType::kF32) {
    const std::vector<double> v = floats_of(x);
    std::vector<double> y(numel(shape));
    for_each_pool_window(d, g, what, [&](int64_t o, const std::vector<int64_t>& taps, int64_t) {
      double best = v[taps[0]];
      for (int64_t t : taps) best = std::max(best, v[t]);
      y[o] = best;
    });
    return float_tensor(shape, y);
  }
  const std::vector<int64_t> v = ints_of(x);
  std::vector<int64_t> y(numel(shape));
  for_each_pool_window(d, g, what, [&](int64_t o, const std::vector<int64_t>& taps, int64_t) {
    int64_t best = v[taps[0]];
    for (int64_t t : taps) best = std::max(best, v[t]);
    y[o] = best;
  });
  return int_tensor(x.dtype(), shape, y);
}

Tensor qavg_pool(const Tensor& x, const PoolGeometry& g, const Affine& in, const Affine& out,
                 DType out_dtype, const std::string& what, AvgPoolRecipe recipe,
                 const std::optional<FixedScale>& fixed) {
  require_8bit(x, what, "x");
  require(is_8bit(out_dtype), what, ": output must be uint8 or int8");
  require_scale(in.scale, what, "x_scale");
  require_scale(out.scale, what, "y_scale");
  require_in_range(in.zero_point, x.dtype(), what, "x_zero_point");
  require_in_range(out.zero_point, out_dtype, what, "y_zero_point");
  const PoolDims d = pool_dims(x, g, what);
  const Shape shape{d.n, d.c, d.oh, d.ow};
  const std::vector<int64_t> v = ints_of(x);
  std::vector<int64_t> y(numel(shape));
  for_each_pool_window(d, g, what,
                       [&](int64_t o, const std::vector<int64_t>& taps, int64_t padded) {
                         AvgWindow w;
                         for (int64_t t : taps) w.sum += v[t];
                         w.count = static_cast<int64_t>(taps.size());
                         w.padded_count = padded;
                         w.kernel_size = g.kernel[0] * g.kernel[1];
                         y[o] = recipe == AvgPoolRecipe::kQnnpack
                                    ? avg_pool_recipe_qnnpack(w, in, out, out_dtype, fixed)
                                    : avg_pool_recipe(w, g.count_include_pad, in, out, out_dtype);
                       });
  return int_tensor(out_dtype, shape, y);
}

Tensor qavg_pool_aten(const Tensor& x, const PoolGeometry& g, const Affine& xa, bool channels_last,
                      const std::vector<FixedScale>* fixed_by_divisor, const std::string& what) {
  require_8bit(x, what, "x");
  require_in_range(xa.zero_point, x.dtype(), what, "x_zero_point");
  const PoolDims d = pool_dims(x, g, what);
  const Shape shape{d.n, d.c, d.oh, d.ow};
  const std::vector<int64_t> v = ints_of(x);
  std::vector<int64_t> y(numel(shape));
  for_each_pool_window(
      d, g, what, [&](int64_t o, const std::vector<int64_t>& taps, int64_t padded) {
        int64_t sum = 0;
        for (int64_t t : taps) sum += v[t];
        const int64_t count = static_cast<int64_t>(taps.size());
        const int64_t acc = sum - count * xa.zero_point;
        const int64_t divisor = g.count_include_pad ? padded : count;
        require(divisor > 0, what, ": a pooling window with no element to average");
        if (fixed_by_divisor) {
          const FixedScale& f = fixed_by_divisor->at(static_cast<size_t>(divisor));
          y[o] = saturate_to(
              static_cast<int64_t>(requant_fixed(static_cast<int32_t>(acc), f.mult, f.shift)) +
                  xa.zero_point,
              x.dtype());
          return;
        }
        const float m = static_cast<float>(1.0 / static_cast<double>(divisor));
        const float scaled = static_cast<float>(acc) * m;
        y[o] =
            channels_last
                ? saturate_to(round_half_even(scaled, kI32Min, kI32Max) + xa.zero_point, x.dtype())
                : saturate_to(
                      round_half_even(scaled + static_cast<float>(xa.zero_point), kI32Min, kI32Max),
                      x.dtype());
      });
  return int_tensor(x.dtype(), shape, y);
}

Tensor qglobal_avg_pool_aten(const Tensor& x, const Affine& xa, bool channels_last,
                             const std::optional<FixedScale>& fixed, const std::string& what) {
  require_rank(x, 4, what, "x");
  require_8bit(x, what, "x");
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), n = h * w;
  require(n > 0, what, ": a global average pool of an empty plane");
  require(channels_last || xa.zero_point == 0, what,
          ": ATen's NCHW adaptive pool averages the raw integers; implemented for zero point 0");
  const std::vector<int64_t> v = ints_of(x);
  const float m = channels_last ? 1.0f / static_cast<float>(n)
                                : (1.0f / static_cast<float>(h)) / static_cast<float>(w);
  std::vector<int64_t> y(planes);
  for (int64_t p = 0; p < planes; ++p) {
    int64_t sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += v[p * n + i];
    const int64_t acc = sum - n * xa.zero_point;
    const int64_t r = fixed ? requant_fixed(static_cast<int32_t>(acc), fixed->mult, fixed->shift)
                            : round_half_even(static_cast<float>(acc) * m, kI32Min, kI32Max);
    y[p] = saturate_to(r + xa.zero_point, x.dtype());
  }
  return int_tensor(x.dtype(), {x.dim(0), x.dim(1), 1, 1}, y);
}

Tensor qadd_xnnpack(const Tensor& a, const Affine& aa, const Tensor& b, const Affine& ba,
                    const Affine& y, bool relu, const std::string& what) {
  require(a.dtype() == DType::kI8 && b.dtype() == DType::kI8 && a.shape() == b.shape(), what,
          ": XNNPACK's add takes two int8 tensors of one shape");
  const float a_os = aa.scale / y.scale;
  const float b_os = ba.scale / y.scale;
  for (float os : {a_os, b_os})
    require(os >= 0x1p-10f && os < 0x1p8f, what, ": operand scale / output scale ", os,
            " is outside XNNPACK's [2^-10, 2^8)");
  const int shift = 20 - static_cast<int>(std::floor(std::log2(std::max(a_os, b_os))));
  const auto ma =
      static_cast<int64_t>(std::nearbyint(static_cast<double>(a_os) * std::exp2(shift)));
  const auto mb =
      static_cast<int64_t>(std::nearbyint(static_cast<double>(b_os) * std::exp2(shift)));
  const int64_t half = int64_t{1} << (shift - 1);
  std::vector<int64_t> out(a.numel());
  for (int64_t i = 0; i < a.numel(); ++i) {
    const int64_t s = (a.as_int(i) - aa.zero_point) * ma + (b.as_int(i) - ba.zero_point) * mb;
    // floor((s + half) / 2^shift); C++ division truncates towards zero.
    const int64_t t = s + half, d = half * 2;
    const int64_t q = t >= 0 ? t / d : -((-t + d - 1) / d);
    out[i] = std::clamp<int64_t>(q + y.zero_point, relu ? y.zero_point : -128, 127);
  }
  return int_tensor(DType::kI8, a.shape(), out);
}

Tensor qglobal_avg_pool(const Tensor& x, const Affine& in, const Affine& out, DType out_dtype,
                        const std::string& what, AvgPoolRecipe recipe,
                        const std::optional<FixedScale>& fixed) {
  require_rank(x, 4, what, "x");
  PoolGeometry g;
  g.kernel = {x.dim(2), x.dim(3)};
  return qavg_pool(x, g, in, out, out_dtype, what, recipe, fixed);
}

Tensor argmax(const Tensor& x, int64_t axis, bool keepdims, bool select_last_index,
              const std::string& what) {
  require(x.rank() >= 1, what, ": argmax of a scalar");
  axis = normalize_axis(axis, static_cast<int64_t>(x.rank()), what, false);
  const int64_t outer = product(x.shape(), 0, axis), dim = x.dim(axis);
  const int64_t inner = product(x.shape(), axis + 1, x.rank());
  require(dim > 0, what, ": argmax over an empty axis");
  const bool is_float = x.dtype() == DType::kF32;
  const std::vector<int64_t> iv = is_float ? std::vector<int64_t>{} : ints_of(x);
  const std::vector<double> fv = is_float ? floats_of(x) : std::vector<double>{};
  // Strictly greater keeps the first maximum; greater-or-equal moves to the last.
  auto better = [&](int64_t i, int64_t j) {
    if (is_float) return select_last_index ? fv[i] >= fv[j] : fv[i] > fv[j];
    return select_last_index ? iv[i] >= iv[j] : iv[i] > iv[j];
  };
  std::vector<int64_t> y;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t best = 0;
      for (int64_t k = 1; k < dim; ++k)
        if (better((o * dim + k) * inner + in, (o * dim + best) * inner + in)) best = k;
      y.push_back(best);
    }
  Shape shape = x.shape();
  if (keepdims) {
    shape[axis] = 1;
  } else {
    shape.erase(shape.begin() + axis);
  }
  return int_tensor(DType::kI64, shape, y);
}

Tensor concat(const std::vector<const Tensor*>& inputs, int64_t axis, const std::string& what) {
  require(!inputs.empty(), what, ": concat of no inputs");
  const Tensor& first = *inputs[0];
  require(first.rank() >= 1, what, ": concat of scalars");
  axis = normalize_axis(axis, static_cast<int64_t>(first.rank()), what, false);
  Shape shape = first.shape();
  shape[axis] = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& t = *inputs[k];
    require(t.dtype() == first.dtype(), what, ": input ", k, " is ", dtype_name(t.dtype()),
            ", input 0 is ", dtype_name(first.dtype()));
    bool same = t.rank() == first.rank();
    for (size_t i = 0; same && i < t.rank(); ++i)
      same = static_cast<int64_t>(i) == axis || t.dim(i) == first.dim(i);
    require(same, what, ": input ", k, " shape ", shape_str(t.shape()),
            " does not match input 0 shape ", shape_str(first.shape()), " outside axis ", axis);
    shape[axis] += t.dim(axis);
  }
  Tensor out(first.dtype(), shape);
  const int64_t outer = product(shape, 0, axis);
  const size_t row = product(shape, axis + 1, shape.size()) * dtype_size(first.dtype());
  std::byte* dst = out.bytes().data();
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor* t : inputs) {
      const size_t chunk = t->dim(axis) * row;
      std::memcpy(dst, t->bytes().data() + o * chunk, chunk);
      dst += chunk;
    }
  return out;
}

Tensor qconcat(const std::vector<const Tensor*>& inputs, const std::vector<Affine>& in,
               const Affine& out, DType out_dtype, int64_t axis, const std::string& what,
               ConcatRecipe recipe) {
  require(in.size() == inputs.size(), what, ": ", in.size(), " input scales for ", inputs.size(),
          " inputs");
  require(is_8bit(out_dtype), what, ": output must be uint8 or int8");
  require_scale(out.scale, what, "y_scale");
  require_in_range(out.zero_point, out_dtype, what, "y_zero_point");
  std::vector<Tensor> rescaled;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& t = *inputs[k];
    require_8bit(t, what, "inputs");
    require_scale(in[k].scale, what, "x_scales");
    require_in_range(in[k].zero_point, t.dtype(), what, "x_zero_points");
    std::vector<int64_t> v = ints_of(t);
    if (recipe == ConcatRecipe::kQnnpackChannelsLast) {
      require(t.rank() == 4 && (axis == 1 || axis == -3), what,
              ": the qnnpack_channels_last recipe needs 4-D inputs and axis 1, got ",
              shape_str(t.shape()), " and axis ", axis);
      const bool copy = in[k].scale == out.scale && in[k].zero_point == out.zero_point;
      const int64_t channels = t.dim(1), pixels = t.dim(2) * t.dim(3);
      const int64_t vector_channels = channels / 8 * 8;  // AVX2 blocks of 8; the rest scalar
      for (size_t i = 0; i < v.size() && !copy; ++i) {
        const bool vector_route = static_cast<int64_t>(i) / pixels % channels < vector_channels;
        v[i] =
            concat_recipe_qnnpack(static_cast<int32_t>(v[i]), in[k], out, out_dtype, vector_route);
      }
    } else {
      for (int64_t& e : v)
        e = recipe == ConcatRecipe::kQnnpack
                ? concat_recipe_qnnpack(static_cast<int32_t>(e), in[k], out, out_dtype, false)
                : concat_recipe(static_cast<int32_t>(e), in[k], out, out_dtype);
    }
    rescaled.push_back(int_tensor(out_dtype, t.shape(), v));
  }
  std::vector<const Tensor*> parts;
  for (const Tensor& t : rescaled) parts.push_back(&t);
  return concat(parts, axis, what);
}

Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape, bool allow_zero,
               const std::string& what) {
  Shape out(shape.size());
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t d = shape[i];
    if (d == -1) {
      require(infer < 0, what, ": more than one -1 in shape ", shape_str(shape));
      infer = static_cast<int>(i);
      out[i] = 1;
    } else if (d == 0 && !allow_zero) {
      require(i < x.rank(), what, ": shape ", shape_str(shape), " copies dim ", i,
              " of an input of rank ", x.rank());
      out[i] = x.dim(i);
    } else {
      require(d >= 0, what, ": negative dimension in shape ", shape_str(shape));
      out[i] = d;
    }
  }
  if (infer >= 0) {
    const int64_t known = numel(out);
    require(known > 0 && x.numel() % known == 0, what, ": cannot infer -1 in shape ",
            shape_str(shape), " for ", x.numel(), " elements");
    out[infer] = x.numel() / known;
  }
  require(numel(out) == x.numel(), what, ": cannot reshape ", shape_str(x.shape()), " to ",
          shape_str(shape));
  return x.reshaped(out);
}

Tensor flatten(const Tensor& x, int64_t axis, const std::string& what) {
  axis = normalize_axis(axis, static_cast<int64_t>(x.rank()), what, true);
  return x.reshaped({product(x.shape(), 0, axis), product(x.shape(), axis, x.rank())});
}

// ---- float32 ----

Tensor conv2d_f32(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dGeometry& g,
                  const std::string& what) {
  require_f32(x, what, "X");
  require_f32(w, what, "W");
  require_rank(x, 4, what, "X");
  require_rank(w, 4, what, "W");
  const ConvDims d = conv_dims(x.shape(), w.shape(), g, what);
  if (bias) {
    require_f32(*bias, what, "B");
    require(bias->shape() == Shape{d.m}, what, ": bias shape ", shape_str(bias->shape()),
            " is not [", d.m, "]");
  }
  const std::vector<double> xv = floats_of(x), wv = floats_of(w);
  std::vector<double> sum(d.n * d.m * d.oh * d.ow, 0.0);
  for_each_conv_tap(d, g, [&](int64_t o, int64_t xi, int64_t wi) { sum[o] += xv[xi] * wv[wi]; });
  if (bias)
    for (size_t o = 0; o < sum.size(); ++o)
      sum[o] += bias->as_double(channel_of(o, d.oh * d.ow, d.m));
  return float_tensor({d.n, d.m, d.oh, d.ow}, sum);
}

Tensor gemm_f32(const Tensor& a, const Tensor& b, const Tensor* c, float alpha, float beta,
                bool trans_a, bool trans_b, const std::string& what) {
  require_f32(a, what, "A");
  require_f32(b, what, "B");
  require_rank(a, 2, what, "A");
  require_rank(b, 2, what, "B");
  const int64_t m = trans_a ? a.dim(1) : a.dim(0), k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = trans_b ? b.dim(1) : b.dim(0), n = trans_b ? b.dim(0) : b.dim(1);
  require(k == kb, what, ": inner dimensions differ: A ", shape_str(a.shape()), " B ",
          shape_str(b.shape()), " (transA ", trans_a, ", transB ", trans_b, ")");
  const Shape shape{m, n};
  std::vector<int64_t> ci;
  if (c) {
    require_f32(*c, what, "C");
    require(broadcast_shape(c->shape(), shape, what) == shape, what, ": C shape ",
            shape_str(c->shape()), " does not broadcast to ", shape_str(shape));
    ci = broadcast_index(c->shape(), shape);
  }
  const std::vector<double> av = floats_of(a), bv = floats_of(b);
  std::vector<double> y(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p)
        sum += av[trans_a ? p * m + i : i * k + p] * bv[trans_b ? j * k + p : p * n + j];
      y[i * n + j] = double{alpha} * sum + (c ? double{beta} * c->as_double(ci[i * n + j]) : 0.0);
    }
  return float_tensor(shape, y);
}

Tensor matmul_f32(const Tensor& a, const Tensor& b, const std::string& what) {
  require_f32(a, what, "A");
  require_f32(b, what, "B");
  require(a.rank() >= 2 && b.rank() >= 2, what, ": matmul operands need rank >= 2, got ",
          shape_str(a.shape()), " and ", shape_str(b.shape()));
  const int64_t m = a.dim(a.rank() - 2), k = a.dim(a.rank() - 1);
  const int64_t kb = b.dim(b.rank() - 2), n = b.dim(b.rank() - 1);
  require(k == kb, what, ": inner dimensions differ: ", shape_str(a.shape()), " x ",
          shape_str(b.shape()));
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape out = broadcast_shape(a_batch, b_batch, what);
  const std::vector<int64_t> ai = broadcast_index(a_batch, out), bi = broadcast_index(b_batch, out);
  const std::vector<double> av = floats_of(a), bv = floats_of(b);
  std::vector<double> y;
  for (size_t r = 0; r < ai.size(); ++r)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; ++p)
          sum += av[(ai[r] * m + i) * k + p] * bv[(bi[r] * k + p) * n + j];
        y.push_back(sum);
      }
  out.push_back(m);
  out.push_back(n);
  return float_tensor(out, y);
}

namespace {

// y = f(a, b) elementwise with numpy broadcasting; a and b float32, f one float operation.
template <class F>
Tensor broadcast_f32(const Tensor& a, const Tensor& b, F f, const std::string& what) {
  require_f32(a, what, "A");
  require_f32(b, what, "B");
  const Shape shape = broadcast_shape(a.shape(), b.shape(), what);
  const std::vector<int64_t> ai = broadcast_index(a.shape(), shape);
  const std::vector<int64_t> bi = broadcast_index(b.shape(), shape);
  Tensor y(DType::kF32, shape);
  auto dst = y.values<float>();
  const auto av = a.values<float>(), bv = b.values<float>();
  for (size_t i = 0; i < dst.size(); ++i) dst[i] = f(av[ai[i]], bv[bi[i]]);
  return y;
}

}  // namespace

Tensor add_f32(const Tensor& a, const Tensor& b, const std::string& what) {
  return broadcast_f32(
      a, b, [](float x, float y) { return x + y; }, what);
}

Tensor mul_f32(const Tensor& a, const Tensor& b, const std::string& what) {
  return broadcast_f32(
      a, b, [](float x, float y) { return x * y; }, what);
}

Tensor div_f32(const Tensor& a, const Tensor& b, const std::string& what) {
  return broadcast_f32(
      a, b, [](float x, float y) { return x / y; }, what);
}

Tensor add_i32_wrap(const Tensor& a, const Tensor& b, const std::string& what) {
  require(a.dtype() == DType::kI32 && b.dtype() == DType::kI32, what, ": int32 add of ",
          dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const Shape shape = broadcast_shape(a.shape(), b.shape(), what);
  const std::vector<int64_t> ai = broadcast_index(a.shape(), shape);
  const std::vector<int64_t> bi = broadcast_index(b.shape(), shape);
  Tensor y(DType::kI32, shape);
  auto dst = y.values<int32_t>();
  const auto av = a.values<int32_t>(), bv = b.values<int32_t>();
  for (size_t i = 0; i < dst.size(); ++i) dst[i] = wrap32(int64_t{av[ai[i]]} + bv[bi[i]]);
  return y;
}

// Calls f(i, value) for every element of x, the value as its own C++ type.
template <class F>
void for_each_value(const Tensor& x, F&& f) {
  visit_values(x, [&](auto values) {
    for (size_t i = 0; i < values.size(); ++i) f(static_cast<int64_t>(i), values[i]);
  });
}

Tensor cast(const Tensor& x, DType to, const std::string& what) {
  if (to == DType::kF32) {
    std::vector<double> v(x.numel());
    for_each_value(x, [&](int64_t i, auto value) { v[i] = static_cast<double>(value); });
    return float_tensor(x.shape(), v);
  }
  const int64_t lo = ir::dtype_min(to), hi = ir::dtype_max(to);
  std::vector<int64_t> v(x.numel());
  for_each_value(x, [&](int64_t i, auto value) {
    if constexpr (std::is_floating_point_v<decltype(value)>) {
      const double t = std::trunc(static_cast<double>(value));  // ONNX Cast: toward zero
      require(std::isfinite(t) && t >= static_cast<double>(lo) && t <= static_cast<double>(hi),
              what, ": Cast of ", value, " to ", dtype_name(to), " is out of range");
      v[i] = static_cast<int64_t>(t);
    } else {
      v[i] = static_cast<int64_t>(value);
      require(v[i] >= lo && v[i] <= hi, what, ": Cast of ", v[i], " to ", dtype_name(to),
              " is out of range");
    }
  });
  return int_tensor(to, x.shape(), v);
}

Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm, const std::string& what) {
  const size_t r = x.rank();
  std::vector<int64_t> p = perm;
  if (p.empty())
    for (size_t i = r; i-- > 0;) p.push_back(static_cast<int64_t>(i));
  std::vector<bool> seen(r, false);
  require(p.size() == r, what, ": perm has ", p.size(), " entries for rank ", r);
  for (int64_t d : p) {
    require(d >= 0 && d < static_cast<int64_t>(r) && !seen[d], what, ": perm ", shape_str(p),
            " is not a permutation of the ", r, " dims");
    seen[d] = true;
  }
  Shape out(r);
  for (size_t i = 0; i < r; ++i) out[i] = x.dim(p[i]);
  std::vector<int64_t> in_stride(r, 1);
  for (size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * x.dim(i);
  Tensor y(x.dtype(), out);
  const size_t es = dtype_size(x.dtype());
  std::vector<int64_t> coord(r, 0);
  for (int64_t flat = 0; flat < y.numel(); ++flat) {
    int64_t src = 0;
    for (size_t i = 0; i < r; ++i) src += coord[i] * in_stride[p[i]];
    std::memcpy(y.bytes().data() + flat * es, x.bytes().data() + src * es, es);
    for (size_t i = r; i-- > 0;) {  // odometer increment, last dim fastest
      if (++coord[i] < out[i]) break;
      coord[i] = 0;
    }
  }
  return y;
}

Tensor sigmoid_f32(const Tensor& x, const std::string& what) {
  require_f32(x, what, "X");
  Tensor y = x;
  for (float& v : y.values<float>())
    v = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
  return y;
}

Tensor relu_f32(const Tensor& x, const std::string& what) {
  require_f32(x, what, "X");
  Tensor y = x;
  for (float& v : y.values<float>()) v = v < 0.0f ? 0.0f : v;  // keeps NaN
  return y;
}

Tensor avg_pool_f32(const Tensor& x, const PoolGeometry& g, const std::string& what) {
  require_f32(x, what, "X");
  const PoolDims d = pool_dims(x, g, what);
  const Shape shape{d.n, d.c, d.oh, d.ow};
  const std::vector<double> v = floats_of(x);
  std::vector<double> y(numel(shape));
  for_each_pool_window(d, g, what,
                       [&](int64_t o, const std::vector<int64_t>& taps, int64_t padded) {
                         double sum = 0.0;
                         for (int64_t t : taps) sum += v[t];
                         const auto count = static_cast<int64_t>(taps.size());
                         y[o] = sum / static_cast<double>(g.count_include_pad ? padded : count);
                       });
  return float_tensor(shape, y);
}

Tensor global_avg_pool_f32(const Tensor& x, const std::string& what) {
  require_rank(x, 4, what, "X");
  PoolGeometry g;
  g.kernel = {x.dim(2), x.dim(3)};
  return avg_pool_f32(x, g, what);
}

}  // namespace bpusim::golden
