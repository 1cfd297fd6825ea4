// Tensor-level golden ops: accumulation with operands at their extremes, accumulators that
// reach and wrap the int32 limits, per-channel requantization with the fused add, pooling with
// padding, argmax ties, concat, quantize/dequantize per axis, and shape/type errors.
#include <cstdint>
#include <limits>
#include <numeric>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden/ops.h"
#include "tests/support/test_util.h"

namespace bpusim::golden {
namespace {

using bpusim::testing::error_message;
using ::testing::HasSubstr;

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// Every value of an 8-bit type, as a tensor of `shape` (256 elements).
Tensor all_values(DType t, Shape shape) {
  Tensor out(t, std::move(shape));
  for (int i = 0; i < 256; ++i) {
    if (t == DType::kU8) out.values<uint8_t>()[i] = static_cast<uint8_t>(i);
    if (t == DType::kI8) out.values<int8_t>()[i] = static_cast<int8_t>(i - 128);
  }
  return out;
}

TEST(GoldenConv2dAcc, EveryOperandPairWithZeroPointsAtTheExtremes) {
  // A 1x1 conv of a 16x16 image holding all 256 input values with 256 one-tap filters
  // holding all 256 weight values computes all 65536 products (x - zx) * (w - zw).
  for (DType xt : {DType::kU8, DType::kI8})
    for (DType wt : {DType::kU8, DType::kI8}) {
      const Tensor x = all_values(xt, {1, 1, 16, 16});
      const Tensor w = all_values(wt, {256, 1, 1, 1});
      for (int32_t zx : {ir::dtype_min(xt), ir::dtype_max(xt)})
        for (int32_t zw : {ir::dtype_min(wt), ir::dtype_max(wt)}) {
          const Tensor acc = conv2d_acc(x, zx, w, zw, {}, "test");
          ASSERT_EQ(acc.shape(), (Shape{1, 256, 16, 16}));
          for (int64_t m = 0; m < 256; ++m)
            for (int64_t p = 0; p < 256; ++p)
              ASSERT_EQ(acc.values<int32_t>()[m * 256 + p],
                        (x.as_int(p) - zx) * (w.as_int(m) - zw));
        }
    }
}

TEST(GoldenConv2dAcc, ExtremeProducts) {
  const Tensor x = Tensor::from<uint8_t>({1, 1, 1, 1}, {255});
  const Tensor w = Tensor::from<int8_t>({1, 1, 1, 1}, {-128});
  EXPECT_EQ(conv2d_acc(x, 0, w, 127, {}, "t").values<int32_t>()[0], -65025);
  const Tensor xi = Tensor::from<int8_t>({1, 1, 1, 1}, {-128});
  EXPECT_EQ(conv2d_acc(xi, 127, w, 127, {}, "t").values<int32_t>()[0], 65025);
}

// matmul of a [1, K] row of `a` with a [K, 1] column of `b`: K equal products.
Tensor dot(int64_t k, uint8_t a, int8_t b, int32_t zb) {
  return matmul_acc(Tensor::from<uint8_t>({1, k}, std::vector<uint8_t>(k, a)), 0,
                    Tensor::from<int8_t>({k, 1}, std::vector<int8_t>(k, b)), zb, "t");
}

TEST(GoldenMatmulAcc, AccumulatorReachesAndWrapsTheInt32Limits) {
  // 33025 products of 255 * 255 = 2147450625 <= 2^31 - 1; bias tops it up to the limit.
  EXPECT_EQ(dot(33025, 255, 127, -128).values<int32_t>()[0], 2147450625);
  // One more product wraps: 2147515650 - 2^32.
  EXPECT_EQ(dot(33026, 255, 127, -128).values<int32_t>()[0], 2147515650 - (int64_t{1} << 32));
  // Negative side: 255 * -255 products.
  EXPECT_EQ(dot(33025, 255, -128, 127).values<int32_t>()[0], -2147450625);
  EXPECT_EQ(dot(33026, 255, -128, 127).values<int32_t>()[0], (int64_t{1} << 32) - 2147515650);

  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kInt32;
  rq.out_dtype = DType::kI32;
  rq.channels.assign(1, {});
  rq.channels[0].bias = kMax - 2147450625;  // exactly 2^31 - 1
  const Tensor top = dot(33025, 255, 127, -128);
  EXPECT_EQ(requantize(top, 1, rq, nullptr, "t").values<int32_t>()[0], kMax);
  rq.channels[0].bias += 1;  // one past: wraps to -2^31
  EXPECT_EQ(requantize(top, 1, rq, nullptr, "t").values<int32_t>()[0], kMin);
  rq.channels[0].bias = kMin + 2147450625;  // exactly -2^31 from the negative side
  const Tensor bottom = dot(33025, 255, -128, 127);
  EXPECT_EQ(requantize(bottom, 1, rq, nullptr, "t").values<int32_t>()[0], kMin);
  rq.channels[0].bias -= 1;
  EXPECT_EQ(requantize(bottom, 1, rq, nullptr, "t").values<int32_t>()[0], kMax);
}

TEST(GoldenConv2dAcc, StridePaddingDilationAndGroups) {
  // 1 x 1 x 3 x 3 image 1..9, 2x2 ones kernel, pads 1: like ONNX's convinteger_with_padding.
  std::vector<uint8_t> img(9);
  std::iota(img.begin(), img.end(), 1);
  const Tensor x = Tensor::from<uint8_t>({1, 1, 3, 3}, img);
  const Tensor w = Tensor::from<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  Conv2dGeometry g;
  g.pads = {1, 1, 1, 1};
  Tensor acc = conv2d_acc(x, 0, w, 0, g, "t");
  EXPECT_EQ(acc.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(std::vector<int32_t>(acc.values<int32_t>().begin(), acc.values<int32_t>().end()),
            (std::vector<int32_t>{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}));
  // A padded tap contributes nothing even with a non-zero input zero point.
  acc = conv2d_acc(x, 1, w, 0, g, "t");
  EXPECT_EQ(acc.values<int32_t>()[0], 0);  // only x[0][0] - 1 = 0 is inside
  // Stride 2 and dilation 2 on a 5x5 image of ones: taps at (0,0), (0,2), (2,0), (2,2).
  const Tensor ones = Tensor::from<uint8_t>({1, 1, 5, 5}, std::vector<uint8_t>(25, 1));
  Conv2dGeometry sd;
  sd.strides = {2, 2};
  sd.dilations = {2, 2};
  acc = conv2d_acc(ones, 0, w, 0, sd, "t");
  EXPECT_EQ(acc.shape(), (Shape{1, 1, 2, 2}));
  for (int32_t v : acc.values<int32_t>()) EXPECT_EQ(v, 4);
  // Depthwise: 2 channels, 2 filters, group 2; channel c only sees filter c.
  const Tensor x2 = Tensor::from<int8_t>({1, 2, 1, 1}, {3, -5});
  const Tensor w2 = Tensor::from<int8_t>({2, 1, 1, 1}, {7, 11});
  Conv2dGeometry dw;
  dw.group = 2;
  acc = conv2d_acc(x2, 0, w2, 0, dw, "t");
  EXPECT_EQ(acc.values<int32_t>()[0], 21);
  EXPECT_EQ(acc.values<int32_t>()[1], -55);
}

TEST(GoldenConv2dAcc, ShapeAndTypeErrorsNameTheCaller) {
  const Tensor x = Tensor::from<uint8_t>({1, 3, 2, 2}, std::vector<uint8_t>(12, 0));
  const Tensor w = Tensor::from<int8_t>({4, 2, 1, 1}, std::vector<int8_t>(8, 0));
  Conv2dGeometry g;
  EXPECT_THAT(error_message([&] { conv2d_acc(x, 0, w, 0, g, "node 'c'"); }),
              HasSubstr("node 'c': weight shape [4, 2, 1, 1] needs 3 input channels"));
  g.group = 2;
  EXPECT_THAT(error_message([&] { conv2d_acc(x, 0, w, 0, g, "node 'c'"); }),
              HasSubstr("group 2 must divide input channels 3"));
  const Tensor big = Tensor::from<int8_t>({1, 3, 3, 3}, std::vector<int8_t>(27, 0));
  EXPECT_THAT(error_message([&] { conv2d_acc(x, 0, big, 0, {}, "node 'c'"); }),
              HasSubstr("kernel extent 3 is larger than the padded input 2"));
  EXPECT_THAT(error_message([&] { conv2d_acc(x, 300, w, 0, {}, "node 'c'"); }),
              HasSubstr("x_zero_point 300 is outside the range of uint8"));
  const Tensor f = Tensor(DType::kF32, {1, 3, 2, 2});
  EXPECT_THAT(error_message([&] { conv2d_acc(f, 0, w, 0, {}, "node 'c'"); }),
              HasSubstr("input 'x' must be uint8 or int8, got float32"));
}

TEST(GoldenMatmulAcc, BatchBroadcasting) {
  // a [2, 1, 2] x b [2, 1]: b broadcast over the batch.
  const Tensor a = Tensor::from<int8_t>({2, 1, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from<int8_t>({2, 1}, {10, -1});
  const Tensor y = matmul_acc(a, 0, b, 0, "t");
  EXPECT_EQ(y.shape(), (Shape{2, 1, 1}));
  EXPECT_EQ(y.values<int32_t>()[0], 8);
  EXPECT_EQ(y.values<int32_t>()[1], 26);
  EXPECT_THAT(error_message([&] { matmul_acc(a, 0, a, 0, "n"); }),
              HasSubstr("inner dimensions differ"));
}

TEST(GoldenRequantize, PerChannelParametersAndFusedAdd) {
  // acc [1, 2, 1, 2]: channel 0 fp32 scale 0.5 zp 10, channel 1 scale 0.25 zp -3 (int8).
  const Tensor acc = Tensor::from<int32_t>({1, 2, 1, 2}, {5, -5, 6, -6});
  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kFp32;
  rq.out_dtype = DType::kI8;
  rq.channels.resize(2);
  rq.channels[0] = {0, 0.5f, 0, 0, 10, -128, 127, {}};
  rq.channels[1] = {2, 0.25f, 0, 0, -3, -128, 127, {}};
  Tensor y = requantize(acc, 1, rq, nullptr, "t");
  EXPECT_EQ(y.dtype(), DType::kI8);
  // ch0: 2.5 -> 2, -2.5 -> -2; ch1: (6 + 2) * 0.25 = 2, (-6 + 2) * 0.25 = -1.
  EXPECT_EQ(std::vector<int8_t>(y.values<int8_t>().begin(), y.values<int8_t>().end()),
            (std::vector<int8_t>{12, 8, -1, -4}));
  // Stage 2: y = a + b - 3 through add_const, multipliers 1, shift 0, ReLU at zp 0.
  rq.has_add = true;
  for (auto& ch : rq.channels) ch.add = {-3, 1, 1, 0, 0, 0, 127};
  const Tensor residual = Tensor::from<int8_t>({1, 2, 1, 2}, {1, -20, 100, 127});
  y = requantize(acc, 1, rq, &residual, "t");
  EXPECT_EQ(std::vector<int8_t>(y.values<int8_t>().begin(), y.values<int8_t>().end()),
            (std::vector<int8_t>{10, 0, 96, 120}));
  EXPECT_THAT(error_message([&] { requantize(acc, 1, rq, nullptr, "n"); }),
              HasSubstr("stage 2 needs a residual input"));
  const Tensor wrong = Tensor::from<int8_t>({1, 2, 2, 1}, {0, 0, 0, 0});
  EXPECT_THAT(error_message([&] { requantize(acc, 1, rq, &wrong, "n"); }),
              HasSubstr("residual shape [1, 2, 2, 1] differs"));
}

TEST(GoldenQAdd, BroadcastsAndRoundsHalfAway) {
  const Tensor a = Tensor::from<uint8_t>({2, 2}, {0, 1, 2, 3});
  const Tensor b = Tensor::from<uint8_t>({2}, {0, 1});
  // (a + b) / 2 rounded half away.
  const ir::AddParams p{0, 1, 1, 1, 0, 0, 255};
  const Tensor y = qadd(a, b, p, DType::kU8, "t");
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{0, 1, 1, 2}));
}

TEST(GoldenClamp, ReluAndRelu6OnIntegers) {
  const Tensor x = Tensor::from<int8_t>({5}, {-128, -5, 0, 50, 127});
  const Tensor y = clamp(x, -5, 60, "t");
  EXPECT_EQ(std::vector<int8_t>(y.values<int8_t>().begin(), y.values<int8_t>().end()),
            (std::vector<int8_t>{-5, -5, 0, 50, 60}));
  EXPECT_THAT(error_message([&] { clamp(x, -200, 0, "n"); }), HasSubstr("min -200 is outside"));
  EXPECT_THAT(error_message([&] { clamp(x, 5, 0, "n"); }), HasSubstr("min 5 > max 0"));
}

TEST(GoldenMaxPool, PaddingNeverWins) {
  const Tensor x = Tensor::from<int8_t>({1, 1, 2, 2}, {-128, -100, -90, -128});
  PoolGeometry g;
  g.kernel = {2, 2};
  g.pads = {1, 1, 1, 1};
  const Tensor y = max_pool(x, g, "t");
  EXPECT_EQ(y.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(std::vector<int8_t>(y.values<int8_t>().begin(), y.values<int8_t>().end()),
            (std::vector<int8_t>{-128, -100, -100, -90, -90, -100, -90, -90, -128}));
}

TEST(GoldenMaxPool, CeilModeFollowsPyTorch) {
  const Tensor x = Tensor::from<uint8_t>({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  PoolGeometry g;
  g.kernel = {1, 2};
  g.strides = {1, 2};
  EXPECT_EQ(max_pool(x, g, "t").shape(), (Shape{1, 1, 1, 2}));
  g.ceil_mode = true;
  const Tensor y = max_pool(x, g, "t");
  EXPECT_EQ(y.shape(), (Shape{1, 1, 1, 3}));
  EXPECT_EQ(y.values<uint8_t>()[2], 5);
  // With padding 1 the ceil window starting at in + pad_begin is dropped.
  g.pads = {0, 1, 0, 1};
  EXPECT_EQ(max_pool(x, g, "t").shape(), (Shape{1, 1, 1, 3}));
}

TEST(GoldenQAvgPool, PaddingWithAndWithoutCountIncludePad) {
  // Identity quantization (scale 1, zp 0): the mean of the window, rounded half to even.
  const Tensor x = Tensor::from<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 6});
  PoolGeometry g;
  g.kernel = {2, 2};
  g.pads = {1, 1, 0, 0};
  const Affine id{1.0f, 0};
  Tensor y = qavg_pool(x, g, id, id, DType::kU8, "t");
  // windows: {1} {1,2} {1,3} {1,2,3,6}
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{1, 2, 2, 3}));  // 1, 1.5->2, 2, 3
  g.count_include_pad = true;
  y = qavg_pool(x, g, id, id, DType::kU8, "t");  // 1/4, 3/4, 4/4, 12/4
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{0, 1, 1, 3}));
  // Zero points and scales: in zp 10 scale 0.5, out zp 100 scale 0.25.
  const Tensor z = Tensor::from<uint8_t>({1, 1, 1, 2}, {20, 31});
  PoolGeometry row;
  row.kernel = {1, 2};
  y = qavg_pool(z, row, {0.5f, 10}, {0.25f, 100}, DType::kU8, "t");
  // mean real = (5 + 10.5) / 2 = 7.75 -> 7.75 / 0.25 = 31 -> 131
  EXPECT_EQ(y.values<uint8_t>()[0], 131);
  y = qglobal_avg_pool(Tensor::from<int8_t>({1, 2, 1, 2}, {-3, -4, 5, 6}), id, id, DType::kI8, "t");
  EXPECT_EQ(y.shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(y.values<int8_t>()[0], -4);  // -3.5 -> -4 (even)
  EXPECT_EQ(y.values<int8_t>()[1], 6);   // 5.5 -> 6
}

TEST(GoldenQAvgPool, QnnpackRecipeFp32AndFixed) {
  // 2x2 windows, zp 0, scale 1 -> s = 1 / (1 * 4) = 0.25; padding taps add 0 and the
  // divisor stays 4. Window sums 1, 3, 4, 12 (+ zp 2): fp32 rounds ties to even, fixed
  // (mult 2^30, shift 32: exactly 0.25) rounds them away from zero.
  const Tensor x = Tensor::from<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 6});
  PoolGeometry g;
  g.kernel = {2, 2};
  g.pads = {1, 1, 0, 0};
  const Affine in{1.0f, 0}, out{1.0f, 2};
  auto values = [](const Tensor& t) {
    return std::vector<uint8_t>(t.values<uint8_t>().begin(), t.values<uint8_t>().end());
  };
  EXPECT_EQ(values(qavg_pool(x, g, in, out, DType::kU8, "t", AvgPoolRecipe::kQnnpack)),
            (std::vector<uint8_t>{2, 3, 3, 5}));  // 0.25 -> 0, 0.75 -> 1, 1, 3
  EXPECT_EQ(values(qavg_pool(x, g, in, out, DType::kU8, "t", AvgPoolRecipe::kQnnpack,
                             FixedScale{1 << 30, 32})),
            (std::vector<uint8_t>{2, 3, 3, 5}));
  const Tensor ties = Tensor::from<uint8_t>({1, 1, 2, 2}, {2, 0, 4, 0});  // sums 2, 2, 6, 6
  EXPECT_EQ(values(qavg_pool(ties, g, in, out, DType::kU8, "t", AvgPoolRecipe::kQnnpack)),
            (std::vector<uint8_t>{2, 2, 4, 4}));  // 0.5 -> 0, 1.5 -> 2 (even)
  EXPECT_EQ(values(qavg_pool(ties, g, in, out, DType::kU8, "t", AvgPoolRecipe::kQnnpack,
                             FixedScale{1 << 30, 32})),
            (std::vector<uint8_t>{3, 3, 4, 4}));  // 0.5 -> 1, 1.5 -> 2 (away)
}

TEST(GoldenArgmax, TiesTakeTheFirstIndex) {
  const Tensor x = Tensor::from<uint8_t>({2, 4}, {3, 7, 7, 1, 9, 9, 9, 9});
  Tensor y = argmax(x, 1, false, false, "t");
  EXPECT_EQ(y.dtype(), DType::kI64);
  EXPECT_EQ(y.shape(), (Shape{2}));
  EXPECT_EQ(y.values<int64_t>()[0], 1);
  EXPECT_EQ(y.values<int64_t>()[1], 0);
  y = argmax(x, -1, true, true, "t");
  EXPECT_EQ(y.shape(), (Shape{2, 1}));
  EXPECT_EQ(y.values<int64_t>()[0], 2);
  EXPECT_EQ(y.values<int64_t>()[1], 3);
  // Integers compare as integers: int8 -1 < 0 even though its byte is 255.
  const Tensor s = Tensor::from<int8_t>({3}, {-1, 0, -128});
  EXPECT_EQ(argmax(s, 0, false, false, "t").values<int64_t>()[0], 1);
  y = argmax(x, 0, true, false, "t");
  EXPECT_EQ(y.shape(), (Shape{1, 4}));
  EXPECT_EQ(y.values<int64_t>()[0], 1);
  EXPECT_EQ(y.values<int64_t>()[1], 1);
  EXPECT_THAT(error_message([&] { argmax(x, 2, true, false, "n"); }),
              HasSubstr("axis 2 is out of range for rank 2"));
}

TEST(GoldenConcat, AlongEveryAxisAndRescaled) {
  const Tensor a = Tensor::from<uint8_t>({1, 2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from<uint8_t>({1, 2, 1}, {5, 6});
  Tensor y = concat({&a, &b}, -1, "t");
  EXPECT_EQ(y.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{1, 2, 5, 3, 4, 6}));
  y = concat({&a, &a}, 0, "t");
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  EXPECT_THAT(error_message([&] {
                concat({&a, &b}, 1, "n");
              }),
              HasSubstr("input 1 shape [1, 2, 1] does not match"));
  const Tensor c = Tensor::from<int8_t>({1, 2, 1}, {5, 6});
  EXPECT_THAT(error_message([&] { concat({&a, &c}, 2, "n"); }), HasSubstr("input 1 is int8"));
  // Rescaling: input 1 (scale 1, zp 0) into output (scale 2, zp 10): 5 -> 2.5 -> 2 + 10.
  y = qconcat({&a, &b}, {{2.0f, 10}, {1.0f, 0}}, {2.0f, 10}, DType::kU8, 2, "t");
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{1, 2, 12, 3, 4, 13}));
}

TEST(GoldenQuantizeTensor, PerAxisAndErrors) {
  const Tensor x = Tensor::from<float>({1, 2, 2}, {-3.0f, 1000.0f, 3.0f, -1000.0f});
  ir::QuantParams q{{2.0f, 4.0f}, {0, 10}, 1};
  const Tensor y = quantize(x, q, DType::kI8, QuantizeMethod::kDiv, "t");
  EXPECT_EQ(std::vector<int8_t>(y.values<int8_t>().begin(), y.values<int8_t>().end()),
            (std::vector<int8_t>{-2, 127, 11, -128}));  // -1.5->-2, sat, 0.75->1, sat
  const Tensor d = dequantize(y, q, "t");
  EXPECT_EQ(d.values<float>()[0], -4.0f);
  EXPECT_EQ(d.values<float>()[2], 4.0f);
  ir::QuantParams bad{{2.0f}, {0}, -1};
  bad.scale[0] = 0.0f;
  EXPECT_THAT(error_message([&] { quantize(x, bad, DType::kI8, QuantizeMethod::kDiv, "n"); }),
              HasSubstr("n: scale 0 must be finite and > 0"));
  ir::QuantParams count{{2.0f, 3.0f, 4.0f}, {}, 1};
  EXPECT_THAT(error_message([&] { quantize(x, count, DType::kI8, QuantizeMethod::kDiv, "n"); }),
              HasSubstr("3 scales for axis 1 of shape [1, 2, 2]"));
  ir::QuantParams zp{{2.0f}, {200}, -1};
  EXPECT_THAT(error_message([&] { quantize(x, zp, DType::kI8, QuantizeMethod::kDiv, "n"); }),
              HasSubstr("zero point 200 is outside the range of int8"));
}

TEST(GoldenReshape, OnnxRules) {
  const Tensor x(DType::kU8, {2, 3, 4});
  EXPECT_EQ(reshape(x, {0, -1}, false, "t").shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(x, 1, "t").shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(x, 0, "t").shape(), (Shape{1, 24}));
  EXPECT_EQ(flatten(x, -1, "t").shape(), (Shape{6, 4}));
  EXPECT_THAT(error_message([&] {
                reshape(x, {-1, -1}, false, "n");
              }),
              HasSubstr("more than one -1"));
  EXPECT_THAT(error_message([&] {
                reshape(x, {5, 5}, false, "n");
              }),
              HasSubstr("cannot reshape [2, 3, 4] to [5, 5]"));
}

TEST(GoldenFloatOps, SmallCases) {
  const Tensor x = Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor w = Tensor::from<float>({1, 1, 2, 2}, {1, 0.5f, -1, 2});
  const Tensor b = Tensor::from<float>({1}, {0.25f});
  EXPECT_EQ(conv2d_f32(x, w, &b, {}, "t").values<float>()[0], 1 + 1 - 3 + 8 + 0.25f);
  const Tensor a2 = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
  const Tensor y = gemm_f32(a2, a2, &b, 2.0f, 1.0f, false, true, "t");  // 2 * A A^T + 0.25
  EXPECT_EQ(y.values<float>()[1], 2 * (1 * 3 + 2 * 4) + 0.25f);
  EXPECT_EQ(matmul_f32(a2, a2, "t").values<float>()[0], 7.0f);
  EXPECT_EQ(add_f32(a2, b, "t").values<float>()[3], 4.25f);
  EXPECT_EQ(relu_f32(Tensor::from<float>({2}, {-1, 1}), "t").values<float>()[0], 0.0f);
  EXPECT_EQ(global_avg_pool_f32(x, "t").values<float>()[0], 2.5f);
}

}  // namespace
}  // namespace bpusim::golden
