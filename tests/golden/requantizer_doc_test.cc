// The worked examples of docs/requantizer.md section 9, number for number. If the document
// or the golden changes, this test says which example no longer holds.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "golden/ops.h"

namespace bpusim::golden {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

TEST(GoldenRequantizerDoc, Fp32Examples) {
  // 9.1: sum 1000 + bias 234, scale float(0.05), zp 128 with ReLU.
  const float scale = 0.05f;
  EXPECT_EQ(static_cast<double>(scale), 0.0500000007450580596923828125);
  EXPECT_EQ(static_cast<float>(1234) * scale, 61.70000076293945f);
  EXPECT_EQ(requant_fp32(1234, scale), 62);
  ir::RequantChannel c;
  c.bias = 234;
  c.scale = scale;
  c.zp = 128;
  c.min = relu_bounds(128, DType::kU8).min;
  c.max = relu_bounds(128, DType::kU8).max;
  EXPECT_EQ(c.min, 128);
  EXPECT_EQ(c.max, 255);
  EXPECT_EQ(stage1(1000, ir::Stage1Mode::kFp32, c), 190);

  // ONNX-style scale float(float(x_scale * w_scale) / y_scale), int8 output with zp 10.
  const float product = 0.0235f * 0.0031f;
  const float onnx_scale = product / 0.0472f;
  EXPECT_EQ(static_cast<double>(onnx_scale), 0.001543432124890387);
  EXPECT_EQ(static_cast<float>(-20000) * onnx_scale, -30.868642807006836f);
  ir::RequantChannel s;
  s.scale = onnx_scale;
  s.zp = 10;
  s.min = -128;
  s.max = 127;
  EXPECT_EQ(stage1(-20000, ir::Stage1Mode::kFp32, s), -21);

  // Ties to even, conversion rounding, saturation.
  EXPECT_EQ(requant_fp32(5, 0.5f), 2);
  EXPECT_EQ(requant_fp32(7, 0.5f), 4);
  EXPECT_EQ(requant_fp32(-5, 0.5f), -2);
  EXPECT_EQ(requant_fp32(-7, 0.5f), -4);
  EXPECT_EQ(requant_fp32(16777217, 1.0f), 16777216);
  ir::RequantChannel sat;
  sat.scale = 2.0f;
  sat.min = -128;
  sat.max = 127;
  EXPECT_EQ(requant_fp32(kMax, 2.0f), kMax);
  EXPECT_EQ(stage1(kMax, ir::Stage1Mode::kFp32, sat), 127);
  EXPECT_EQ(requant_fp32(kMin, 2.0f), kMin);
  EXPECT_EQ(stage1(kMin, ir::Stage1Mode::kFp32, sat), -128);
}

TEST(GoldenRequantizerDoc, FixedExamples) {
  EXPECT_EQ(int64_t{1234} * 1717986918, 2119995856812);
  EXPECT_EQ(requant_fixed(1234, 1717986918, 35), 62);
  EXPECT_EQ(requant_fixed(-1234, 1717986918, 35), -62);
  const int32_t half = 1 << 30;
  EXPECT_EQ(requant_fixed(3, half, 31), 2);
  EXPECT_EQ(requant_fixed(-3, half, 31), -2);
  EXPECT_EQ(requant_fixed(1, half, 31), 1);
  EXPECT_EQ(requant_fixed(-1, half, 31), -1);
  EXPECT_EQ(requant_fixed(kMax, kMax, 0), kMax);
  EXPECT_EQ(requant_fixed(kMin, kMax, 0), kMin);
}

TEST(GoldenRequantizerDoc, PassThroughExample) {
  ir::RequantChannel c;
  c.bias = 1000;
  EXPECT_EQ(stage1(2147483000, ir::Stage1Mode::kInt32, c), -2147483296);
}

TEST(GoldenRequantizerDoc, Stage2Example) {
  // The compiler's derivation of the parameters (section 5, PyTorch's QNNPACK add).
  const float a_os = 0.05f / 0.12f, b_os = 0.1f / 0.12f;
  int exponent = 0;
  std::frexp(std::max(a_os, b_os), &exponent);  // max = 0.8333 = 0.8333 * 2^0 -> floor(log2) = -1
  const int shift = 21 - (exponent - 1);
  EXPECT_EQ(shift, 22);
  EXPECT_EQ(std::lrintf(a_os * std::ldexp(1.0f, shift)), 1747627);
  EXPECT_EQ(std::lrintf(b_os * std::ldexp(1.0f, shift)), 3495254);

  const int32_t ma = 1747627, mb = 3495254;
  const int64_t add_const = -(int64_t{ma} * 128 + int64_t{mb} * 120);
  EXPECT_EQ(add_const, -643126736);
  const ir::AddParams p{static_cast<int32_t>(add_const), ma, mb, 22, 125, 0, 255};
  EXPECT_EQ(add_const + 190 * ma + 100 * mb, 38447794);
  EXPECT_EQ(stage2_add(190, 100, p), 134);

  ir::AddParams tie{3 << 21, 0, 0, 22, 125, 0, 255};
  EXPECT_EQ(stage2_add(0, 0, tie) - 125, 2);
  tie.add_const = -(3 << 21);
  EXPECT_EQ(stage2_add(0, 0, tie) - 125, -2);

  ir::AddParams relu = p;
  relu.add_min = 125;
  EXPECT_EQ(stage2_add(128, 120, ir::AddParams{-1000, 0, 0, 0, 125, 125, 255}), 125);
  EXPECT_EQ(stage2_add(100, 100, relu), 125);  // s < 0: a and b below their zero points
}

}  // namespace
}  // namespace bpusim::golden
