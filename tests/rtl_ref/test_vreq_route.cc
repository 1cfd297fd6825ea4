// rtl_ref/core/vreq_route.v, VREQ's float rescale routes (docs/requantizer.md 6), against
// rescale_route() of sim/requant_math.h bit for bit: every 8-bit x in [-128, 255] with a
// set of zero points and all three routes, for random (scale, rescale_k) pairs and for the
// edges (subnormal scale and rescale_k, tiny and huge rescale_k, exact .5 ties, saturation
// and overflow to infinity, exact cancellation in the fma). Also the IEEE single units it
// is built from (f32_mul_ieee, f32_fma, f32_div) against the host's float arithmetic on
// arbitrary operands. The seed is printed; BPUSIM_SEED=<seed> reproduces a run.
#include <gtest/gtest.h>
#include <verilated.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vf32_ops_probe.h"
#include "Vvreq_route.h"
#include "sim/requant_math.h"
#include "tests/support/test_seed.h"

namespace bpusim::sim {
namespace {

using ::bpusim::testing::test_rng;

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
uint32_t to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
std::string hex_float(float f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "0x%08x (%a)", to_bits(f), static_cast<double>(f));
  return buf;
}

constexpr float kMax = std::numeric_limits<float>::max();
constexpr float kMinNormal = std::numeric_limits<float>::min();
constexpr float kMinSubnormal = std::numeric_limits<float>::denorm_min();
constexpr int kMaxReported = 10;

// The C++ route's float t before round_sat32 (the formulas of rescale_route), to classify
// what a sweep covered.
float route_t(int32_t x, int32_t zx, float scale, float k, int route) {
  if (route == 2)
    return std::fma(scale, static_cast<float>(x), scale * static_cast<float>(-zx)) * k;
  const float v = static_cast<float>(x - zx) * scale;
  return route == 3 ? v / k : v * k;
}

// What a set of sweeps compared and hit, to show that the edges were exercised.
struct Coverage {
  int64_t compared = 0;
  int64_t mismatches = 0;
  int64_t ties = 0;         // t with fraction exactly .5, |t| < 2^31
  int64_t saturated = 0;    // |t| >= 2^31 or infinite
  int64_t subnormal_v = 0;  // an intermediate (v, offset or fma) subnormal, t >= 0.5
  int64_t nonzero_mid = 0;  // 0 < |q| < 2^31 - 1
};

// The verilated vreq_route with the comparison loop.
class RouteDut {
 public:
  RouteDut() : model_(std::make_unique<Vvreq_route>(&context_, "top")) {}
  ~RouteDut() { model_->final(); }

  int32_t eval(int route, int32_t x, int32_t zx, float scale, float k) {
    model_->route = static_cast<uint8_t>(route);
    model_->x = static_cast<uint32_t>(x);
    model_->zx = static_cast<uint32_t>(zx);
    model_->scale = to_bits(scale);
    model_->rescale_k = to_bits(k);
    model_->eval();
    return static_cast<int32_t>(model_->q);
  }

  // Every x in [-128, 255] for each zero point and route 1..3.
  void sweep(float scale, float k, const std::vector<int32_t>& zxs, Coverage& cov) {
    isa::ParamRecord rec;
    rec.scale = scale;
    rec.rescale_k = k;
    for (const int32_t zx : zxs) {
      for (int route = 1; route <= 3; ++route) {
        rec.route = route;
        for (int32_t x = -128; x <= 255; ++x) {
          const int32_t want = rescale_route(x, zx, rec);
          const int32_t got = eval(route, x, zx, scale, k);
          ++cov.compared;
          if (got != want && ++cov.mismatches <= kMaxReported) {
            ADD_FAILURE() << "route " << route << " x " << x << " zx " << zx << " scale "
                          << hex_float(scale) << " rescale_k " << hex_float(k) << ": rtl " << got
                          << ", C++ " << want;
          }
          classify(x, zx, scale, k, route, want, cov);
        }
      }
    }
  }

 private:
  static void classify(int32_t x, int32_t zx, float scale, float k, int route, int32_t q,
                       Coverage& cov) {
    const float t = route_t(x, zx, scale, k, route);
    if (!(std::fabs(t) < 2147483648.0f))
      ++cov.saturated;
    else if (t - std::floor(t) == 0.5f)
      ++cov.ties;
    if (q != 0 && q != std::numeric_limits<int32_t>::max() &&
        q != std::numeric_limits<int32_t>::min())
      ++cov.nonzero_mid;
    if (std::fabs(t) >= 0.5f) {
      const float v = static_cast<float>(x - zx) * scale;
      const float off = scale * static_cast<float>(-zx);
      const float w = std::fma(scale, static_cast<float>(x), off);
      const auto sub = [](float f) { return f != 0.0f && std::fabs(f) < kMinNormal; };
      if (route == 2 ? sub(off) || sub(w) : sub(v)) ++cov.subnormal_v;
    }
  }

  VerilatedContext context_;  // declared first: outlives the model
  std::unique_ptr<Vvreq_route> model_;
};

std::string summary(const Coverage& c) {
  std::ostringstream s;
  s << c.compared << " compared, " << c.mismatches << " mismatches; " << c.ties << " ties, "
    << c.saturated << " saturated, " << c.subnormal_v << " via subnormals, " << c.nonzero_mid
    << " in range";
  return s.str();
}
void report(const Coverage& c) {
  std::printf("[ coverage ] %s\n", summary(c).c_str());
  EXPECT_EQ(c.mismatches, 0) << summary(c);
}

// A float with a random 24-bit significand and the given unbiased exponent (normal range).
float random_normal(std::mt19937_64& rng, int exp) {
  return std::ldexp(1.0f + static_cast<float>(rng() & 0x7FFFFF) / 8388608.0f, exp);
}
// Random finite positive bits: any exponent field 0..254 (subnormals included), not zero.
float random_positive_bits(std::mt19937_64& rng) {
  for (;;) {
    const uint32_t u = static_cast<uint32_t>(rng()) & 0x7FFFFFFFu;
    if ((u >> 23) != 0xFF && u != 0) return from_bits(u);
  }
}
// Random subnormal (positive, nonzero); `bits` significant bits at most.
float random_subnormal(std::mt19937_64& rng, int bits) {
  uint32_t u = 0;
  while (u == 0) u = static_cast<uint32_t>(rng()) & ((1u << bits) - 1);
  return from_bits(u);
}
int uniform(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// The fixed zero points of every sweep plus `extra` random ones in [-128, 255].
std::vector<int32_t> zero_points(std::mt19937_64& rng, int extra) {
  std::vector<int32_t> zxs = {-128, 0, 1, 128, 255};
  for (int i = 0; i < extra; ++i) zxs.push_back(uniform(rng, -128, 255));
  return zxs;
}

// Pairs as a compiler writes them: scale = x_scale, rescale_k = 1 / y_scale (routes 1, 2)
// or y_scale (route 3), so that |t| lands in the 8-bit range and somewhat beyond. Half the
// pairs aim route 1/2's product there, half route 3's quotient.
TEST(VreqRoute, RandomTypicalPairs) {
  auto rng = test_rng();
  RouteDut dut;
  Coverage cov;
  for (int i = 0; i < 2000; ++i) {
    const float scale = random_normal(rng, uniform(rng, -24, 4));
    const int t_exp = uniform(rng, -9, 10);  // |t| ~ 383 * 2^t_exp at most
    const int s_exp = std::ilogb(scale);
    const float k = (i % 2 == 0) ? random_normal(rng, t_exp - s_exp - 8)
                                 : random_normal(rng, s_exp - t_exp + 8);
    dut.sweep(scale, k, zero_points(rng, 1), cov);
    if (cov.mismatches > kMaxReported) break;
  }
  report(cov);
  EXPECT_GT(cov.nonzero_mid, cov.compared / 3);
}

// Any finite positive bit patterns, subnormals included: mostly saturation and zeros, and
// every exponent combination of the units.
TEST(VreqRoute, RandomBitPatterns) {
  auto rng = test_rng();
  RouteDut dut;
  Coverage cov;
  for (int i = 0; i < 1000; ++i) {
    dut.sweep(random_positive_bits(rng), random_positive_bits(rng), zero_points(rng, 1), cov);
    if (cov.mismatches > kMaxReported) break;
  }
  report(cov);
}

// Subnormal scale (then v = float(x - zx) * scale and the fma's offset are subnormal and
// rounded to the subnormal grid) with a huge rescale_k, so that the rounding of the
// subnormal intermediate shows in q; and subnormal scale over subnormal rescale_k (route 3).
TEST(VreqRoute, SubnormalScale) {
  auto rng = test_rng();
  RouteDut dut;
  Coverage cov;
  const std::vector<float> fixed_scales = {kMinSubnormal,       from_bits(3),
                                           from_bits(0x7FFFFF), from_bits(0x400001),
                                           from_bits(0x12345),  kMinNormal};
  const std::vector<float> fixed_ks = {kMax,          0x1p127f,       0x1.8p126f,
                                       kMinSubnormal, from_bits(0x5), kMinNormal};
  for (const float s : fixed_scales)
    for (const float k : fixed_ks) dut.sweep(s, k, zero_points(rng, 1), cov);
  for (int i = 0; i < 400; ++i) {
    const float s = random_subnormal(rng, uniform(rng, 1, 23));
    // route 1/2: t ~ |d| * s * k within reach of 1 needs k near 2^128 and s near 2^-126;
    // route 3: s / k within reach needs a subnormal or tiny k.
    const float k = (i % 2 == 0) ? random_normal(rng, uniform(rng, 115, 127))
                                 : (i % 4 == 1 ? random_subnormal(rng, uniform(rng, 1, 23))
                                               : random_normal(rng, uniform(rng, -126, -118)));
    dut.sweep(s, k, zero_points(rng, 1), cov);
  }
  report(cov);
  EXPECT_GT(cov.subnormal_v, 10000);
}

// Tiny and huge rescale_k with scales across the range: underflow to 0, overflow to
// infinity (division by a tiny k, product with a huge one), saturation both ways.
TEST(VreqRoute, TinyAndHugeRescaleK) {
  auto rng = test_rng();
  RouteDut dut;
  Coverage cov;
  const std::vector<float> ks = {
      kMinSubnormal, from_bits(0x7FFFFF), kMinNormal, 1e-30f, 0x1p-100f, 1e30f, 0x1p100f,
      kMax,          0x1.fffffep126f};
  const std::vector<float> scales = {kMinSubnormal, 1e-30f, 1e-6f, 0.0078125f, 1.0f,
                                     3.0f,          1e6f,   1e30f, kMax};
  for (const float s : scales)
    for (const float k : ks) dut.sweep(s, k, zero_points(rng, 1), cov);
  report(cov);
  EXPECT_GT(cov.saturated, 10000);
}

// Exact .5 ties: dyadic scale and rescale_k with few significant bits, so products and
// quotients are exact and land on halves for odd x - zx (route 2: scale * x and the offset
// cancel exactly to the same halves). round_sat32 rounds them to even.
TEST(VreqRoute, HalfwayTies) {
  auto rng = test_rng();
  RouteDut dut;
  Coverage cov;
  for (int m1 = 1; m1 <= 15; m1 += 2) {
    for (int m2 = 1; m2 <= 7; m2 += 2) {
      for (int e = -4; e <= 0; ++e) {
        const float s = std::ldexp(static_cast<float>(m1), e);
        // t = d * m1 * m2 * 2^(e + ek) (routes 1, 2) or d * m1 * 2^(e - ek) (route 3, m2 = 1).
        const int ek = -1 - e - uniform(rng, 0, 3);
        const float k = std::ldexp(static_cast<float>(m2), ek);
        dut.sweep(s, k, zero_points(rng, 1), cov);
        dut.sweep(s, std::ldexp(1.0f, e + 1 + uniform(rng, 0, 3)), zero_points(rng, 1), cov);
      }
    }
  }
  report(cov);
  EXPECT_GT(cov.ties, 20000);
}

// Results at and around +-2^31: exactly 2^31 saturates to INT32_MAX, exactly -2^31 is
// INT32_MIN, the largest float below 2^31 converts exactly, and beyond (including
// infinity) saturates by sign.
TEST(VreqRoute, SaturationBoundary) {
  auto rng = test_rng();
  RouteDut dut;
  Coverage cov;
  for (const float t : {0x1p31f, 0x1.fffffep30f, 0x1.000002p31f, 0x1p30f, 0x1.8p30f}) {
    for (const int d : {1, 2, 3, 255, 383}) {
      const float s = t / static_cast<float>(d);  // rounded: t is hit exactly or nearly
      dut.sweep(s, 1.0f, zero_points(rng, 1), cov);
      dut.sweep(s * 0x1p-20f, 0x1p20f, zero_points(rng, 1), cov);
    }
  }
  for (int i = 0; i < 200; ++i) {  // random pairs with |t| around 2^31 for some x
    const float s = random_normal(rng, uniform(rng, -10, 20));
    const float k = random_normal(rng, 31 - 8 - std::ilogb(s) + uniform(rng, -1, 1));
    dut.sweep(s, k, zero_points(rng, 1), cov);
    dut.sweep(s, 1.0f / k, zero_points(rng, 0), cov);
  }
  report(cov);
  EXPECT_GT(cov.saturated, 10000);
}

// Exact cancellation in the fma: with x == zx, fma(scale, x, scale * -x) is the offset's
// rounding error, exact: +0 when scale * x is representable, else a tiny residue that a
// large rescale_k can lift to a nonzero q (and -inf when the offset overflows). Every zx in
// [-128, 255] with x = zx, random scales and rescale_k.
TEST(VreqRoute, FmaExactCancellation) {
  auto rng = test_rng();
  RouteDut dut;
  int64_t compared = 0, mismatches = 0, nonzero = 0;
  isa::ParamRecord rec;
  rec.route = 2;
  for (int i = 0; i < 3000; ++i) {
    const float s =
        (i % 3 == 0) ? random_positive_bits(rng) : random_normal(rng, uniform(rng, -30, 10));
    const float k =
        (i % 3 == 0) ? random_positive_bits(rng) : random_normal(rng, uniform(rng, 20, 60));
    rec.scale = s;
    rec.rescale_k = k;
    for (int32_t zx = -128; zx <= 255; ++zx) {
      const int32_t want = rescale_route(zx, zx, rec);
      const int32_t got = dut.eval(2, zx, zx, s, k);
      ++compared;
      if (want != 0) ++nonzero;
      if (got != want && ++mismatches <= kMaxReported)
        ADD_FAILURE() << "x = zx = " << zx << " scale " << hex_float(s) << " rescale_k "
                      << hex_float(k) << ": rtl " << got << ", C++ " << want;
    }
  }
  std::printf("[ coverage ] %lld compared, %lld nonzero\n", static_cast<long long>(compared),
              static_cast<long long>(nonzero));
  EXPECT_EQ(mismatches, 0);
}

// --- the IEEE single units themselves, on operands vreq_route never feeds them

class OpsDut {
 public:
  OpsDut() : model_(std::make_unique<Vf32_ops_probe>(&context_, "top")) {}
  ~OpsDut() { model_->final(); }
  Vf32_ops_probe& eval(uint32_t a, uint32_t b, uint32_t c) {
    model_->a = a;
    model_->b = b;
    model_->c = c;
    model_->eval();
    return *model_;
  }

 private:
  VerilatedContext context_;
  std::unique_ptr<Vf32_ops_probe> model_;
};

// Operands with an emphasis on the hard cases: subnormals, the top and bottom binades,
// short significands (exact results, ties) and infinities; either sign.
uint32_t random_operand(std::mt19937_64& rng) {
  uint32_t u = static_cast<uint32_t>(rng());
  switch (rng() % 10) {
    case 0:
      u &= 0x807FFFFFu;
      break;  // subnormal or zero
    case 1:
      u = (u & 0x807FFFFFu) | ((rng() % 3) << 23);
      break;  // bottom binades
    case 2:
      u = (u & 0x807FFFFFu) | ((251 + rng() % 4) << 23);
      break;  // top binades
    case 3:
      u &= 0xFFFC0000u;
      break;  // 5-bit significand
    case 4:
      u = (u & 0x807FFFFFu) | ((112 + rng() % 30) << 23);
      break;  // near 1
    case 5:
      u = (u & 0x80000000u) | 0x7F800000u;
      break;  // infinity
    default:
      break;
  }
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x7FFFFFu) != 0) u &= 0xFF800000u;  // no NaN
  return u;
}

TEST(F32Units, MulFmaDivRandom) {
  auto rng = test_rng();
  OpsDut dut;
  int64_t compared = 0, mismatches = 0;
  const auto check = [&](const char* op, uint32_t a, uint32_t b, uint32_t c, uint32_t got,
                         float want) {
    if (std::isnan(want)) return;  // NaN cases are outside the units' domain
    ++compared;
    if (got != to_bits(want) && ++mismatches <= kMaxReported)
      ADD_FAILURE() << op << " a " << hex_float(from_bits(a)) << " b " << hex_float(from_bits(b))
                    << " c " << hex_float(from_bits(c)) << ": rtl " << hex_float(from_bits(got))
                    << ", C++ " << hex_float(want);
  };
  for (int i = 0; i < 3000000; ++i) {
    const uint32_t a = random_operand(rng);
    const uint32_t b = random_operand(rng);
    uint32_t c = random_operand(rng);
    const float fa = from_bits(a), fb = from_bits(b);
    if (rng() % 4 == 0) {  // c near -(a * b): massive cancellation, exact zeros
      const float p = fa * fb;
      if (std::isfinite(p)) c = to_bits(-p) + static_cast<uint32_t>(uniform(rng, -2, 2));
      if ((c & 0x7F800000u) == 0x7F800000u) c &= 0xBFFFFFFFu;
    }
    const float fc = from_bits(c);
    auto& m = dut.eval(a, b, c);
    check("mul", a, b, c, m.mul, fa * fb);
    // Infinite c with an infinite product of the opposite sign is NaN (skipped by check).
    check("fma", a, b, c, m.fma, std::fma(fa, fb, fc));
    check("div", a, b, c, m.div, fa / fb);
  }
  std::printf("[ coverage ] %lld compared, %lld mismatches\n", static_cast<long long>(compared),
              static_cast<long long>(mismatches));
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace bpusim::sim
