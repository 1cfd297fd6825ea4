// The requantizer arithmetic of docs/requantizer.md,
// written once for every unit that uses it: the REQUANT pipeline (stage 1 + optional stage 2)
// and the vector unit (VADD = stage 2, average pooling = stage 1, VREQ = stage 1 or a float route).
// Pure inline functions on int32/int64/float, bit-exact by construction: wrap-around is done in
// uint32, float arithmetic is one IEEE single multiply and a round-half-even conversion.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "isa/param_record.h"

namespace bpusim::sim {

inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wrap_sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t wrap_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}
inline int32_t sat32(int64_t v) {
  if (v > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (v < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}
// a + b saturated to int32, in 32-bit operations only (they vectorise 8 or 16 to a register,
// int64 ones do not on AVX2): the wrapped sum overflowed when its sign differs from both
// operands' signs, and then the true sum lies beyond the end of a's sign.
inline int32_t sat_add32(int32_t a, int32_t b) {
  const int32_t s = wrap_add(a, b);
  const bool overflow = ((a ^ s) & (b ^ s)) < 0;
  const int32_t limit =
      a < 0 ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max();
  return overflow ? limit : s;
}
inline int32_t clamp32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// A float rounded half to even, saturated to int32 (NaN gives INT32_MAX). Branch-free, so that
// loops over it vectorise: the rounded value is clamped into int32's float range before the
// conversion (2147483520 is the largest float below 2^31; NaN is replaced by 0 there and by
// INT32_MAX after).
inline int32_t round_sat32(float t) {
  const float r = std::nearbyint(t);  // default rounding: half to even
  const float lo = -2147483648.0f, hi = 2147483520.0f;
  const float inside = r < lo ? lo : (r > hi ? hi : r);
  const int32_t v = static_cast<int32_t>(inside == inside ? inside : 0.0f);
  return t < 2147483648.0f ? v : std::numeric_limits<int32_t>::max();
}

// fp32 mode: (float)acc * scale, rounded half to even, saturated to int32.
inline int32_t scale_fp32(int32_t acc, float scale) {
  return round_sat32(static_cast<float>(acc) * scale);  // one IEEE single multiply
}

// fixed mode: round_half_away_from_zero(acc * mult / 2^shift), saturated to int32.
// Requires 0 <= shift <= 62 (the requantizer faults on other records).
inline int32_t scale_fixed(int32_t acc, int32_t mult, int32_t shift) {
  const int64_t product = static_cast<int64_t>(acc) * mult;  // |product| <= 2^62
  if (shift <= 0) return sat32(product);
  const uint64_t magnitude = product < 0 ? 0 - static_cast<uint64_t>(product) : product;
  const uint64_t rounded = (magnitude + (uint64_t{1} << (shift - 1))) >> shift;
  return sat32(product < 0 ? -static_cast<int64_t>(rounded) : static_cast<int64_t>(rounded));
}

// Stage 1's last steps: the scaled value plus the output zero point (saturating), clamped.
inline int32_t add_zp_and_clamp(int32_t q, int32_t zp, int32_t lo, int32_t hi) {
  return clamp32(sat_add32(q, zp), lo, hi);
}

// Stage 1 after the bias add: scale, add the output zero point (saturating), clamp.
inline int32_t stage1(int32_t acc, const isa::ParamRecord& p, bool fixed) {
  const int32_t q = fixed ? scale_fixed(acc, p.mult, p.shift) : scale_fp32(acc, p.scale);
  return add_zp_and_clamp(q, p.zp, p.min, p.max);
}

// VREQ's float routes (docs/requantizer.md 6, record field `route` 1..3) for one 8-bit value
// x with input zero point zx, before the output zero point and clamp:
//   1 mul: round(float(x - zx) * scale * rescale_k)          (two single multiplies)
//   2 fma: round(fma(scale, float(x), float(scale * float(-zx))) * rescale_k)
//   3 div: round(float(x - zx) * scale / rescale_k)
inline int32_t rescale_route(int32_t x, int32_t zx, const isa::ParamRecord& p) {
  if (p.route == 2) {
    const float offset = p.scale * static_cast<float>(-zx);
    return round_sat32(std::fma(p.scale, static_cast<float>(x), offset) * p.rescale_k);
  }
  const float v = static_cast<float>(x - zx) * p.scale;
  return round_sat32(p.route == 3 ? v / p.rescale_k : v * p.rescale_k);
}

// VBLEND's value of one element before the zero point (docs/requantizer.md 7): the taps
// p00, p01 (row 0), p10, p11 (row 1) as exact floats, horizontal weights w0, w1, vertical
// h0, h1; every operation one IEEE single operation. `contraction`: 0 plain (multiply, then
// add), 1 the fused order (w1, h1 first), 2 the other fused order (w0, h0 first).
inline float blend_value(const std::array<float, 4>& p, float w0, float w1, float h0, float h1,
                         int contraction) {
  if (contraction == 1) {
    const float a = std::fma(w1, p[1], w0 * p[0]), b = std::fma(w1, p[3], w0 * p[2]);
    return std::fma(h1, b, h0 * a);
  }
  if (contraction == 2) {
    const float a = std::fma(w0, p[0], w1 * p[1]), b = std::fma(w0, p[2], w1 * p[3]);
    return std::fma(h0, a, h1 * b);
  }
  const float a = w0 * p[0] + w1 * p[1], b = w0 * p[2] + w1 * p[3];
  return h0 * a + h1 * b;
}

// VFADD's value of one element before the zero point (docs/requantizer.md 6, QAddBroadcast):
// a and b dequantized with their records' scales (ra.scale, rb.scale), in the fused order
// fma(s, float(x), s * float(-zx)) or the plain float(x - zx) * s, added, rescaled by
// ra.rescale_k and rounded: round_sat32((da + db) * rescale_k).
inline int32_t float_add(int32_t a, int32_t za, int32_t b, int32_t zb, const isa::ParamRecord& ra,
                         const isa::ParamRecord& rb, bool fused) {
  auto dequantize = [fused](int32_t x, int32_t zx, float s) {
    return fused ? std::fma(s, static_cast<float>(x), s * static_cast<float>(-zx))
                 : static_cast<float>(x - zx) * s;
  };
  const float sum = dequantize(a, za, ra.scale) + dequantize(b, zb, rb.scale);
  return round_sat32(sum * ra.rescale_k);
}

// The stage-2 fields of a PARAM record (docs/requantizer.md 3).
struct Stage2Fields {
  int32_t add_const, add_mult_a, add_mult_b, add_shift, add_zp, add_min, add_max;
};

// Requires 0 <= add_shift <= 31 (the requantizer faults on other records).
// Stage 2 (fused residual / elementwise add): wrapping int32 arithmetic, shift rounding half
// away from zero, clamp in the zero-point-free domain, then add the output zero point.
// Branch-free (a shift of 0 rounds nothing), so that loops over it vectorise.
inline int32_t stage2(int32_t a, int32_t b, const Stage2Fields& p) {
  const int32_t s =
      wrap_add(p.add_const, wrap_add(wrap_mul(a, p.add_mult_a), wrap_mul(b, p.add_mult_b)));
  const int32_t floor = s >> p.add_shift;                  // arithmetic shift
  const uint32_t mask = (uint32_t{1} << p.add_shift) - 1;  // shift <= 31
  const uint32_t rem = static_cast<uint32_t>(s) & mask;
  const uint32_t half = (mask >> 1) + (p.add_shift > 0 ? 1 : 0);  // 2^(shift-1), 0 for shift 0
  const int32_t up = (p.add_shift > 0) & ((rem > half) | ((rem == half) & (s >= 0)));
  return wrap_add(clamp32(floor + up, wrap_sub(p.add_min, p.add_zp), wrap_sub(p.add_max, p.add_zp)),
                  p.add_zp);
}
inline int32_t stage2(int32_t a, int32_t b, const isa::ParamRecord& p) {
  return stage2(a, b,
                Stage2Fields{p.add_const, p.add_mult_a, p.add_mult_b, p.add_shift, p.add_zp,
                             p.add_min, p.add_max});
}

}  // namespace bpusim::sim
