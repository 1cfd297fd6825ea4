// Edge tests of the golden scalar arithmetic (docs/requantizer.md sections 2-5): wrap-around,
// rounding ties of both signs in every mode, saturation both ways, clamps. Where a property is
// checked over a range, the expected value comes from an independent formulation (long double
// rounding, unsigned wrap-around), not from the code under test.
#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "golden/ops.h"

namespace bpusim::golden {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

ir::RequantChannel fp32_channel(float scale, int32_t zp, int32_t lo, int32_t hi) {
  ir::RequantChannel c;
  c.scale = scale;
  c.zp = zp;
  c.min = lo;
  c.max = hi;
  return c;
}

TEST(GoldenWrap32, WrapsAtBothLimits) {
  EXPECT_EQ(wrap32(int64_t{kMax}), kMax);
  EXPECT_EQ(wrap32(int64_t{kMax} + 1), kMin);
  EXPECT_EQ(wrap32(int64_t{kMin} - 1), kMax);
  EXPECT_EQ(wrap32(int64_t{1} << 32), 0);
  EXPECT_EQ(wrap32(-(int64_t{1} << 32) - 5), -5);
}

TEST(GoldenSaturateTo, EveryIntegerType) {
  EXPECT_EQ(saturate_to(-1, DType::kU8), 0);
  EXPECT_EQ(saturate_to(256, DType::kU8), 255);
  EXPECT_EQ(saturate_to(-129, DType::kI8), -128);
  EXPECT_EQ(saturate_to(128, DType::kI8), 127);
  EXPECT_EQ(saturate_to(int64_t{kMax} + 1, DType::kI32), kMax);
  EXPECT_EQ(saturate_to(int64_t{kMin} - 1, DType::kI32), kMin);
}

TEST(GoldenRoundHalfEven, TiesOfBothSigns) {
  const int64_t lo = kMin, hi = kMax;
  EXPECT_EQ(round_half_even(0.5, lo, hi), 0);
  EXPECT_EQ(round_half_even(1.5, lo, hi), 2);
  EXPECT_EQ(round_half_even(2.5, lo, hi), 2);
  EXPECT_EQ(round_half_even(-0.5, lo, hi), 0);
  EXPECT_EQ(round_half_even(-1.5, lo, hi), -2);
  EXPECT_EQ(round_half_even(-2.5, lo, hi), -2);
  EXPECT_EQ(round_half_even(2.5000001, lo, hi), 3);
  EXPECT_EQ(round_half_even(-2.4999999, lo, hi), -2);
  EXPECT_EQ(round_half_even(1e30, lo, hi), hi);
  EXPECT_EQ(round_half_even(-1e30, lo, hi), lo);
  EXPECT_EQ(round_half_even(std::nan(""), lo, hi), 0);
  EXPECT_EQ(round_half_even(std::nan(""), 5, 9), 5);
}

TEST(GoldenRoundHalfEven, MatchesNearbyintInTheDefaultRoundingMode) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  for (int i = -4000; i <= 4000; ++i) {
    const double t = i / 8.0;  // many exact ties and quarter points
    EXPECT_EQ(round_half_even(t, kMin, kMax), static_cast<int64_t>(std::nearbyint(t))) << t;
  }
}

TEST(GoldenRequantFp32, TiesGoToEvenForBothSigns) {
  EXPECT_EQ(requant_fp32(5, 0.5f), 2);
  EXPECT_EQ(requant_fp32(7, 0.5f), 4);
  EXPECT_EQ(requant_fp32(-5, 0.5f), -2);
  EXPECT_EQ(requant_fp32(-7, 0.5f), -4);
  EXPECT_EQ(requant_fp32(1, 0.5f), 0);
  EXPECT_EQ(requant_fp32(-1, 0.5f), 0);
  EXPECT_EQ(requant_fp32(3, 0.25f), 1);  // 0.75
  EXPECT_EQ(requant_fp32(-3, 0.25f), -1);
}

TEST(GoldenRequantFp32, ConvertsTheAccumulatorToFloatFirst) {
  // 2^24 + 1 is not a float: it converts (ties to even) to 2^24.
  EXPECT_EQ(requant_fp32((1 << 24) + 1, 1.0f), 1 << 24);
  EXPECT_EQ(requant_fp32((1 << 24) + 3, 1.0f), (1 << 24) + 4);
  EXPECT_EQ(requant_fp32(-((1 << 24) + 1), 1.0f), -(1 << 24));
}

TEST(GoldenRequantFp32, SaturatesBothWays) {
  EXPECT_EQ(requant_fp32(kMax, 2.0f), kMax);
  EXPECT_EQ(requant_fp32(kMin, 2.0f), kMin);
  EXPECT_EQ(requant_fp32(kMax, 1.0f), kMax);  // float(2^31 - 1) = 2^31: saturates
  EXPECT_EQ(requant_fp32(kMin, 1.0f), kMin);  // -2^31 is exact
  EXPECT_EQ(requant_fp32(kMax, 3.4e38f), kMax);
  EXPECT_EQ(requant_fp32(kMin, 3.4e38f), kMin);
}

TEST(GoldenRequantFp32, AgreesWithAnIndependentFormulation) {
  // Single-precision product computed through volatile floats, rounded with nearbyint.
  for (float scale : {0.0123f, 0.5f, 1.0f / 3.0f, 0.00173f, 7.25f}) {
    for (int32_t acc = -20000; acc <= 20000; acc += 7) {
      volatile float f = static_cast<float>(acc);
      volatile float t = f * scale;
      EXPECT_EQ(requant_fp32(acc, scale), static_cast<int32_t>(std::nearbyint(t)))
          << acc << " * " << scale;
    }
  }
}

// Exact half-away-from-zero rounding of p / 2^shift through long double (64-bit mantissa:
// |p| < 2^62 and the division by a power of two are exact; std::round rounds half away).
int64_t half_away_reference(int64_t p, int shift) {
  return static_cast<int64_t>(std::round(std::ldexp(static_cast<long double>(p), -shift)));
}

TEST(GoldenRequantFixed, TiesGoAwayFromZeroForBothSigns) {
  const int32_t half = 1 << 30;  // mult 2^30 with shift 31 = scale 0.5
  EXPECT_EQ(requant_fixed(1, half, 31), 1);
  EXPECT_EQ(requant_fixed(-1, half, 31), -1);
  EXPECT_EQ(requant_fixed(3, half, 31), 2);
  EXPECT_EQ(requant_fixed(-3, half, 31), -2);
  EXPECT_EQ(requant_fixed(5, half, 31), 3);
  EXPECT_EQ(requant_fixed(-5, half, 31), -3);
  EXPECT_EQ(requant_fixed(2, half, 31), 1);
  EXPECT_EQ(requant_fixed(-2, half, 31), -1);
}

TEST(GoldenRequantFixed, AgreesWithLongDoubleRounding) {
  for (int32_t mult : {1 << 30, 1234567890, 1717986918, kMax}) {
    for (int shift : {1, 2, 13, 31, 40, 62}) {
      for (int32_t acc : {0, 1, -1, 2, -2, 3, -3, 1000, -1000, 65025, -65025, kMax, kMin}) {
        const int64_t want =
            std::clamp<int64_t>(half_away_reference(int64_t{acc} * mult, shift), kMin, kMax);
        EXPECT_EQ(requant_fixed(acc, mult, shift), want) << acc << "*" << mult << ">>" << shift;
      }
      for (int32_t acc = -3000; acc <= 3000; ++acc)
        ASSERT_EQ(requant_fixed(acc, mult, shift),
                  std::clamp<int64_t>(half_away_reference(int64_t{acc} * mult, shift), kMin, kMax))
            << acc << "*" << mult << ">>" << shift;
    }
  }
}

TEST(GoldenRequantFixed, SaturatesBothWaysAndZeroMultiplier) {
  EXPECT_EQ(requant_fixed(kMax, kMax, 0), kMax);
  EXPECT_EQ(requant_fixed(kMin, kMax, 0), kMin);
  EXPECT_EQ(requant_fixed(kMax, 1 << 30, 29), kMax);  // x2
  EXPECT_EQ(requant_fixed(kMin, 1 << 30, 29), kMin);
  EXPECT_EQ(requant_fixed(kMin, kMax, 62), -1);  // -(2^62 - 2^31) / 2^62 = -0.9999999995
}

TEST(GoldenStage1, BiasWrapsAndPassThroughReturnsTheAccumulator) {
  ir::RequantChannel c;
  c.bias = 1000;
  EXPECT_EQ(stage1(2147483000, ir::Stage1Mode::kInt32, c), -2147483296);
  c.bias = -1;
  EXPECT_EQ(stage1(kMin, ir::Stage1Mode::kInt32, c), kMax);
}

TEST(GoldenStage1, ZeroPointAndClampDoActivationAndSaturation) {
  const Bounds u8 = no_activation_bounds(DType::kU8);
  const Bounds relu = relu_bounds(128, DType::kU8);
  ir::RequantChannel c = fp32_channel(1.0f, 128, u8.min, u8.max);
  EXPECT_EQ(stage1(-200, ir::Stage1Mode::kFp32, c), 0);   // saturates low
  EXPECT_EQ(stage1(200, ir::Stage1Mode::kFp32, c), 255);  // saturates high
  EXPECT_EQ(stage1(-5, ir::Stage1Mode::kFp32, c), 123);
  c.min = relu.min;
  c.max = relu.max;
  EXPECT_EQ(stage1(-5, ir::Stage1Mode::kFp32, c), 128);  // ReLU
  EXPECT_EQ(stage1(5, ir::Stage1Mode::kFp32, c), 133);
  // q + zp saturates in int32 before the clamp.
  ir::RequantChannel big = fp32_channel(1.0f, 127, -128, 127);
  EXPECT_EQ(stage1(kMax, ir::Stage1Mode::kFp32, big), 127);
  big.zp = -128;
  EXPECT_EQ(stage1(kMin, ir::Stage1Mode::kFp32, big), -128);
  // fixed mode goes through the same zero point and clamp.
  ir::RequantChannel fx = fp32_channel(0.0f, -10, -128, 127);
  fx.mult = 1 << 30;
  fx.shift = 31;
  EXPECT_EQ(stage1(-3, ir::Stage1Mode::kFixed, fx), -12);
  EXPECT_EQ(stage1(1000, ir::Stage1Mode::kFixed, fx), 127);
  EXPECT_EQ(stage1(-1000, ir::Stage1Mode::kFixed, fx), -128);
}

TEST(GoldenBounds, ReluAndRelu6) {
  EXPECT_EQ(relu_bounds(-5, DType::kI8).min, -5);
  EXPECT_EQ(relu_bounds(-5, DType::kI8).max, 127);
  const Bounds r6 = relu6_bounds(10, 0.05f, DType::kU8);  // 6 / 0.05 = 120
  EXPECT_EQ(r6.min, 10);
  EXPECT_EQ(r6.max, 130);
  EXPECT_EQ(relu6_bounds(200, 0.05f, DType::kU8).max, 255);  // capped by the type
  EXPECT_EQ(relu6_bounds(0, 0.048f, DType::kU8).max, 125);   // 6 / 0.048 = 125
}

TEST(GoldenShiftRoundHalfAway, TiesOfBothSigns) {
  EXPECT_EQ(shift_round_half_away(3, 1), 2);
  EXPECT_EQ(shift_round_half_away(-3, 1), -2);
  EXPECT_EQ(shift_round_half_away(1, 1), 1);
  EXPECT_EQ(shift_round_half_away(-1, 1), -1);
  EXPECT_EQ(shift_round_half_away(6, 2), 2);  // 1.5
  EXPECT_EQ(shift_round_half_away(-6, 2), -2);
  EXPECT_EQ(shift_round_half_away(5, 2), 1);  // 1.25
  EXPECT_EQ(shift_round_half_away(-5, 2), -1);
  EXPECT_EQ(shift_round_half_away(7, 2), 2);  // 1.75
  EXPECT_EQ(shift_round_half_away(-7, 2), -2);
  EXPECT_EQ(shift_round_half_away(-42, 0), -42);
}

TEST(GoldenShiftRoundHalfAway, AgreesWithLongDoubleRoundingIncludingTheLimits) {
  for (int shift = 1; shift <= 31; ++shift) {
    for (int32_t s = -2000; s <= 2000; ++s)
      ASSERT_EQ(shift_round_half_away(s, shift), half_away_reference(s, shift)) << s;
    for (int32_t s : {kMin, kMin + 1, kMax, kMax - 1, 1 << 30, -(1 << 30)})
      EXPECT_EQ(shift_round_half_away(s, shift), half_away_reference(s, shift)) << s;
  }
  EXPECT_EQ(shift_round_half_away(kMin, 31), -1);
  EXPECT_EQ(shift_round_half_away(kMax, 31), 1);
}

// Stage 2 reference: unsigned 32-bit arithmetic (wraps by definition), then the rounding of
// half_away_reference.
int32_t stage2_reference(int32_t a, int32_t b, const ir::AddParams& p) {
  const uint32_t s = static_cast<uint32_t>(p.add_const) +
                     static_cast<uint32_t>(a) * static_cast<uint32_t>(p.add_mult_a) +
                     static_cast<uint32_t>(b) * static_cast<uint32_t>(p.add_mult_b);
  const int64_t r = half_away_reference(static_cast<int32_t>(s), p.add_shift);
  return static_cast<int32_t>(std::clamp<int64_t>(r, p.add_min - p.add_zp, p.add_max - p.add_zp) +
                              p.add_zp);
}

TEST(GoldenStage2Add, TiesOfBothSignsAndClampBothWays) {
  ir::AddParams p{0, 0, 0, 22, 125, 0, 255};
  p.add_const = 3 << 21;  // 1.5
  EXPECT_EQ(stage2_add(0, 0, p), 127);
  p.add_const = -(3 << 21);  // -1.5
  EXPECT_EQ(stage2_add(0, 0, p), 123);
  p.add_const = 1 << 21;  // 0.5
  EXPECT_EQ(stage2_add(0, 0, p), 126);
  p.add_const = -(1 << 21);  // -0.5
  EXPECT_EQ(stage2_add(0, 0, p), 124);
  p.add_const = 200 << 22;
  EXPECT_EQ(stage2_add(0, 0, p), 255);  // clamp high
  p.add_const = -200 << 22;
  EXPECT_EQ(stage2_add(0, 0, p), 0);  // clamp low
  p.add_min = 125;                    // ReLU after the add
  EXPECT_EQ(stage2_add(0, 0, p), 125);
}

TEST(GoldenStage2Add, WrapsInInt32LikeTheReference) {
  // Operands at the uint8/int8 extremes and multipliers large enough to wrap the sum.
  const ir::AddParams cases[] = {
      {0, 1 << 30, 1 << 30, 31, 0, -128, 127}, {kMax, 1 << 24, -(1 << 24), 20, 3, -128, 127},
      {kMin, kMax, kMax, 31, 0, 0, 255},       {-643126736, 1747627, 3495254, 22, 125, 0, 255},
      {12345, -7, 9, 0, 0, -128, 127},
  };
  for (const ir::AddParams& p : cases)
    for (int32_t a : {-128, -1, 0, 1, 127, 128, 255})
      for (int32_t b : {-128, -1, 0, 1, 127, 128, 255})
        EXPECT_EQ(stage2_add(a, b, p), stage2_reference(a, b, p))
            << a << " " << b << " const " << p.add_const;
}

TEST(GoldenQuantizeValue, TiesSaturationAndMethods) {
  EXPECT_EQ(quantize_value(3.0f, 2.0f, 128, DType::kU8), 130);  // 1.5 -> 2
  EXPECT_EQ(quantize_value(5.0f, 2.0f, 128, DType::kU8), 130);  // 2.5 -> 2
  EXPECT_EQ(quantize_value(-3.0f, 2.0f, 0, DType::kI8), -2);    // -1.5 -> -2
  EXPECT_EQ(quantize_value(-5.0f, 2.0f, 0, DType::kI8), -2);    // -2.5 -> -2
  EXPECT_EQ(quantize_value(1000.0f, 2.0f, 128, DType::kU8), 255);
  EXPECT_EQ(quantize_value(-1000.0f, 2.0f, 128, DType::kU8), 0);
  EXPECT_EQ(quantize_value(1e30f, 1e-30f, 0, DType::kI32), kMax);
  EXPECT_EQ(quantize_value(-1e30f, 1e-30f, 0, DType::kI32), kMin);
  EXPECT_EQ(quantize_value(std::nanf(""), 1.0f, 7, DType::kU8), 7);
  // x / s and x * float(1 / s) round differently near ties:
  // 45.5 / 7 = 6.5 -> 6 but 45.5 * float(1/7) = 6.5000005 -> 7;
  // 2.25 / 0.3 = 7.4999995 -> 7 but 2.25 * float(1/0.3) = 7.5 -> 8 (tie to even).
  EXPECT_EQ(quantize_value(45.5f, 7.0f, 0, DType::kI8, QuantizeMethod::kDiv), 6);
  EXPECT_EQ(quantize_value(45.5f, 7.0f, 0, DType::kI8, QuantizeMethod::kMulInv), 7);
  EXPECT_EQ(quantize_value(2.25f, 0.3f, 0, DType::kI8, QuantizeMethod::kDiv), 7);
  EXPECT_EQ(quantize_value(2.25f, 0.3f, 0, DType::kI8, QuantizeMethod::kMulInv), 8);
}

TEST(GoldenDequantizeValue, ExactDifferenceThenOneMultiply) {
  EXPECT_EQ(dequantize_value(0, 2.0f, 128), -256.0f);
  EXPECT_EQ(dequantize_value(255, 2.0f, 128), 254.0f);
  EXPECT_EQ(dequantize_value(kMax, 1.0f, 0), 2147483648.0f);
  EXPECT_EQ(dequantize_value(-128, 0.5f, 127), -127.5f);
}

}  // namespace
}  // namespace bpusim::golden
