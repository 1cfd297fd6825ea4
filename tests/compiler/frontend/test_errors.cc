// Every refusal of the front end, and malformed or inconsistent ONNX: each message names the
// file, the node, its op type and the reason (ONNX models built with the protobuf API).
#include <algorithm>
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "golden/model.h"
#include "tests/compiler/frontend/onnx_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using ::testing::AllOf;
using testing::error_message;
using ::testing::HasSubstr;
using testing::kF32;
using testing::kF64;
using testing::kI32;
using testing::kI64;
using testing::kI8;
using testing::kU8;
using testing::OnnxBuilder;

constexpr float kSx = 0.05f;
constexpr int kZx = 128;

std::string front_end_error(const OnnxBuilder& b, const HwConfig& hw = {}) {
  return error_message([&] { testing::front_end(b, hw); });
}

// x [1, c, 4, 4] float -> Q -> DQ.
std::string input(OnnxBuilder& b, int64_t c = 2, const std::string& name = "x") {
  b.input(name, kF32, {1, c, 4, 4});
  return b.qdq(name, kSx, kZx, name + "_in");
}

// A quantized 1x1 conv with per-tensor weights; returns its Q output.
std::string conv(OnnxBuilder& b, const std::string& x, int64_t c, int64_t m,
                 const std::string& name, float w_scale = 0.01f) {
  const std::string w = b.weight(name, {m, c, 1, 1}, std::vector<int8_t>(m * c, 3), {w_scale});
  b.node("Conv", {x, w}, name + "_out", name);
  return b.quantize(name + "_out", 0.1f, 100, name + "_y");
}

void finish(OnnxBuilder& b, const std::string& q, float scale, int zp) {
  b.dequantize(q, scale, zp, "out");
  b.output("out_dq");
}

// ---------------------------------------------------------------- refusals (pytorch-recipes 7)

// qint8 activations (docs/pytorch-recipes.md 2.23) as torch 1.13 exports them: an int8
// QuantStub, and the conv's output labelled uint8 with zero point Cast(0, UINT8). The compiler
// and the golden reference read that output as int8 (XNNPACK's recipe: scale (sx * sw) / sy,
// clamp -128..127) and the compiler says so; with another zero point the label cannot be
// undone and both refuse; an op whose qint8 recipe is not characterised is refused.
OnnxBuilder int8_conv_model(int out_zp, const char* then = nullptr) {
  OnnxBuilder b;
  b.input("x", kF32, {1, 2, 4, 4});
  const std::string x = b.dequantize(b.quantize("x", kSx, 0, "x_in", kI8), kSx, 0, "x_in", kI8);
  const std::string w = b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>{3, -4, 5, 6}, {0.01f});
  b.node("Conv", {x, w}, "conv_out", "conv");
  const std::string y = b.quantize("conv_out", 0.01f, out_zp, "conv_y");
  if (then == nullptr) {
    finish(b, y, 0.01f, out_zp);
  } else {
    b.node(then, {b.dequantize(y, 0.01f, out_zp, "conv_y")}, "act_out", "act");
    finish(b, b.quantize("act_out", 1.0f / 256.0f, 0, "act_y"), 1.0f / 256.0f, 0);
  }
  return b;
}

TEST(FrontendErrors, Int8OutputsLabelledUint8) {
  const compiler::CompileResult r =
      compiler::compile_graph(int8_conv_model(0).graph(), HwConfig{}, "test.onnx");
  EXPECT_THAT(r.warnings, ::testing::Contains(
                              AllOf(HasSubstr("test.onnx: the outputs of conv are labelled uint8"),
                                    HasSubstr("read as int8"))));
  const ir::Graph g = testing::front_end(int8_conv_model(0));
  ASSERT_EQ(testing::nodes_of(g, "QConv").size(), 1u);
  const ir::Requant rq = ir::get_requant(*testing::nodes_of(g, "QConv")[0], 2, false);
  EXPECT_EQ(rq.out_dtype, DType::kI8);
  EXPECT_EQ(rq.channels[0].scale, (kSx * 0.01f) / 0.01f);  // XNNPACK: product, then division
  EXPECT_EQ(rq.channels[0].min, -128);
  EXPECT_EQ(rq.channels[0].max, 127);
  // Golden: int8 outputs, the conv's negative values kept (a uint8 reading would clamp them).
  const Tensor input = testing::ramp({1, 2, 4, 4}, -1.0f, 1.0f);
  const golden::RunResult out = golden::run_model(int8_conv_model(0).graph(), {{"x", input}});
  const auto y = out.outputs.at(0).tensor.values<float>();
  EXPECT_LT(*std::min_element(y.begin(), y.end()), 0.0f);

  EXPECT_THAT(front_end_error(int8_conv_model(100)),
              HasSubstr("node 'conv' (Conv): the output is uint8 (zero point 100) but the inputs "
                        "are int8; torch 1.13's exporter labels qint8 outputs uint8"));
  EXPECT_THAT(
      error_message([&] {
        golden::run_model(int8_conv_model(100).graph(), {{"x", input}});
      }),
      HasSubstr("node 'conv' (Conv): an int8 (qint8) activation input with a uint8 output"));
  EXPECT_THAT(front_end_error(int8_conv_model(0, "Sigmoid")),
              HasSubstr("node 'act' (Sigmoid): input 'X' is int8 (qint8): PyTorch's qint8 recipe "
                        "of this op is not characterised"));
  EXPECT_THAT(error_message([&] {
                golden::run_model(int8_conv_model(0, "Sigmoid").graph(), {{"x", input}});
              }),
              HasSubstr("PyTorch 1.13's qint8 recipe of this op is not characterised"));
}

// A per-channel operand becomes QAddBroadcast (ATen's recipe, 2.20) with its quantization;
// any other broadcast is refused.
TEST(FrontendErrors, BroadcastingAdd) {
  auto model = [](const std::vector<int64_t>& r_shape) {
    OnnxBuilder b;
    const std::string x = input(b);
    b.input("r", kF32, r_shape);
    const std::string r = b.qdq("r", kSx, kZx, "r_in");
    b.node("Add", {r, x}, "sum", "add");
    finish(b, b.quantize("sum", 0.1f, 120, "add_y"), 0.1f, 120);
    return b;
  };
  const ir::Graph g = testing::front_end(model({1, 2, 1, 1}));
  ASSERT_EQ(testing::nodes_of(g, "QAddBroadcast").size(), 1u);
  const ir::Node& add = *testing::nodes_of(g, "QAddBroadcast")[0];
  EXPECT_EQ(add.attr_float("a_scale", 0.0f), kSx);
  EXPECT_EQ(add.attr_float("y_scale", 0.0f), 0.1f);
  EXPECT_EQ(add.attr_int("y_zero_point", 0), 120);
  EXPECT_EQ(add.attr_string("memory_order", ""), "nchw");  // the model input: contiguous
  EXPECT_THAT(front_end_error(model({1, 1, 4, 1})),
              HasSubstr("test.onnx: node 'add' (QAdd): a broadcasting add of [1, 1, 4, 1] and "
                        "[1, 2, 4, 4] is not supported"));
}

// A ceil_mode average pool takes ATen's kernel of its input's format (docs/pytorch-recipes.md
// 2.22): a conv output's (channels-last) compiles; the model input's (contiguous: ATen's NCHW
// kernel adds the zero point before rounding) is refused with the reason; requantizing is
// refused by the front end.
TEST(FrontendErrors, CeilModeAveragePool) {
  auto model = [](bool after_conv, float y_scale) {
    OnnxBuilder b;
    std::string x = input(b);
    if (after_conv) x = b.dequantize(conv(b, x, 2, 2, "conv"), 0.1f, 100, "conv_dq");
    onnx::NodeProto& p = b.node("AveragePool", {x}, "p_out", "pool");
    OnnxBuilder::attr(p, "kernel_shape", std::vector<int64_t>{3, 3});
    OnnxBuilder::attr(p, "strides", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(p, "ceil_mode", int64_t{1});
    const float s = after_conv ? 0.1f : kSx;
    const int z = after_conv ? 100 : kZx;
    finish(b, b.quantize("p_out", y_scale > 0 ? y_scale : s, z, "p_y"), s, z);
    return b;
  };
  const ir::Graph g = testing::front_end(model(true, 0.0f));
  ASSERT_EQ(testing::nodes_of(g, "QAvgPool").size(), 1u);
  EXPECT_EQ(testing::nodes_of(g, "QAvgPool")[0]->attr_string("recipe", ""), "aten_channels_last");
  EXPECT_NO_THROW(compiler::compile_graph(model(true, 0.0f).graph(), HwConfig{}, "test.onnx"));
  EXPECT_THAT(error_message([&] {
                compiler::compile_graph(model(false, 0.0f).graph(), HwConfig{}, "test.onnx");
              }),
              HasSubstr("an average pool of a tensor PyTorch holds contiguous (NCHW, e.g. a "
                        "QuantStub output) with zero point 128 is not supported"));
  EXPECT_THAT(front_end_error(model(true, 0.2f)),
              HasSubstr("node 'pool' (AveragePool): a ceil_mode average pool keeps its input's "
                        "quantization in PyTorch"));
}

TEST(FrontendErrors, ClipOfAChannelsLastTensor) {
  OnnxBuilder b;
  const std::string x = input(b);
  const std::string c = b.dequantize(conv(b, x, 2, 2, "conv"), 0.1f, 100, "conv_y");
  b.f32("lo", {}, {0.0f});
  b.f32("hi", {}, {6.0f});
  b.node("Clip", {c, "lo", "hi"}, "clip_out", "relu6");
  finish(b, b.quantize("clip_out", 0.1f, 100, "clip_y"), 0.1f, 100);
  EXPECT_THAT(front_end_error(b),
              AllOf(HasSubstr("node 'relu6' (QClamp): Clip (hardtanh/relu6/clamp) of a tensor "
                              "PyTorch holds channels-last"),
                    HasSubstr("torch 1.13 permutes the elements")));
  // The same Clip of the (contiguous) model input is fine.
  OnnxBuilder ok;
  const std::string y = input(ok);
  ok.f32("lo", {}, {-1.0f});
  ok.f32("hi", {}, {1.0f});
  ok.node("Clip", {y, "lo", "hi"}, "clip_out", "clamp");
  finish(ok, ok.quantize("clip_out", kSx, kZx, "clip_y"), kSx, kZx);
  EXPECT_EQ(front_end_error(ok), "");
}

void add_with_scales(OnnxBuilder& b, float sa, float sb, float sy) {
  b.input("a", kF32, {1, 1, 2, 2});
  b.input("b", kF32, {1, 1, 2, 2});
  const std::string a = b.qdq("a", sa, 128, "a_in");
  const std::string c = b.qdq("b", sb, 128, "b_in");
  b.node("Add", {a, c}, "sum", "add");
  finish(b, b.quantize("sum", sy, 128, "add_y"), sy, 128);
}

TEST(FrontendErrors, AddScaleRatiosOutsideQnnpacksRange) {
  OnnxBuilder small;  // 2^-14 <= ratios < 2^-10: the shift would exceed 31
  add_with_scales(small, 0.001f, 0.001f, 2.0f);
  EXPECT_THAT(front_end_error(small),
              AllOf(HasSubstr("node 'add' (Add): the larger operand scale / output scale = "
                              "0.0005"),
                    HasSubstr("below 2^-10"), HasSubstr("shift would exceed 31")));
  OnnxBuilder large;
  add_with_scales(large, 1.0f, 0.01f, 0.001f);
  EXPECT_THAT(front_end_error(large),
              HasSubstr("node 'add' (Add): the first operand's scale / output scale = 1000 is "
                        "outside QNNPACK's range [2^-14, 2^8)"));
  OnnxBuilder tiny;
  add_with_scales(tiny, 1.0f, 1e-6f, 1.0f);
  EXPECT_THAT(front_end_error(tiny), HasSubstr("the second operand's scale / output scale"));
}

TEST(FrontendErrors, UnsupportedOps) {
  OnnxBuilder b;
  const std::string x = input(b);
  b.node("Tanh", {x}, "t_out", "tanh");
  finish(b, b.quantize("t_out", kSx, kZx, "t_y"), kSx, kZx);
  EXPECT_THAT(front_end_error(b),
              AllOf(HasSubstr("test.onnx: node 'tanh' (Tanh): unsupported op 'Tanh'"),
                    HasSubstr("neither part of a quantized pattern"),
                    HasSubstr("nor a float op the host can run")));
  OnnxBuilder bn;
  const std::string v = input(bn);
  for (const char* p : {"g", "beta", "mean", "var"}) bn.f32(p, {2}, {1.0f, 1.0f});
  bn.node("BatchNormalization", {v, "g", "beta", "mean", "var"}, "bn_out", "bn");
  finish(bn, bn.quantize("bn_out", kSx, kZx, "bn_y"), kSx, kZx);
  EXPECT_THAT(front_end_error(bn),
              AllOf(HasSubstr("node 'bn' (BatchNormalization): quantized batch norm"),
                    HasSubstr("fuse conv + bn")));
  OnnxBuilder lone;  // a float BatchNormalization with no Conv to fold into
  lone.input("x", kF32, {1, 2, 4, 4});
  for (const char* p : {"g", "beta", "mean", "var"}) lone.f32(p, {2}, {1.0f, 1.0f});
  lone.node("BatchNormalization", {"x", "g", "beta", "mean", "var"}, "y", "bn");
  lone.output("y");
  EXPECT_THAT(front_end_error(lone),
              HasSubstr("node 'bn' (BatchNormalization): BatchNormalization is supported only "
                        "right after a float Conv"));
}

// A uint8 tensor requantized to int8 feeds a conv whose output is labelled uint8 with zero
// point 100: an int8 op with a uint8 output is refused.
TEST(FrontendErrors, Int8InputWithUint8Output) {
  OnnxBuilder b;
  b.input("x", kF32, {1, 2, 4, 4});
  const std::string x = b.qdq("x", kSx, 0, "x_in");
  const std::string xi = b.dequantize(b.quantize(x, kSx, 0, "xi", kI8), kSx, 0, "xi", kI8);
  finish(b, conv(b, xi, 2, 2, "conv"), 0.1f, 100);
  EXPECT_THAT(front_end_error(b),
              HasSubstr("node 'conv' (Conv): the output is uint8 (zero point 100) but the inputs "
                        "are int8"));
}

TEST(FrontendErrors, WeightAndBiasInconsistencies) {
  {  // per-channel weight zero points that differ
    OnnxBuilder b;
    const std::string x = input(b);
    const std::string w =
        b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f, 0.02f}, {0, 3});
    b.node("Conv", {x, w}, "c_out", "conv");
    finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
    EXPECT_THAT(front_end_error(b),
                HasSubstr("node 'conv' (Conv): weight zero point 3 of channel 1 differs from 0"));
  }
  {  // bias scale other than w_scale * x_scale
    OnnxBuilder b;
    const std::string x = input(b);
    const std::string w = b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f});
    const std::string bias = b.bias("conv", {1, 2}, {0.5f});
    b.node("Conv", {x, w, bias}, "c_out", "conv");
    finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
    EXPECT_THAT(front_end_error(b),
                HasSubstr("node 'conv' (Conv): bias scale 0.5 of channel 0 is not weight_scale * "
                          "input_scale"));
  }
  {  // per-channel scale count that is not the output channel count
    OnnxBuilder b;
    const std::string x = input(b);
    const std::string w =
        b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f, 0.02f, 0.03f});
    b.node("Conv", {x, w}, "c_out", "conv");
    finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
    EXPECT_THAT(front_end_error(b),
                HasSubstr("node 'conv' (Conv): weight scale has 3 values along axis 0; expected "
                          "1 or 2"));
  }
  {  // weight rank 3
    OnnxBuilder b;
    const std::string x = input(b);
    const std::string w = b.weight("conv", {2, 2, 1}, std::vector<int8_t>(4, 1), {0.01f});
    b.node("Conv", {x, w}, "c_out", "conv");
    finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
    EXPECT_THAT(front_end_error(b),
                HasSubstr("node 'conv' (Conv): weight has shape [2, 2, 1]; only 2-D convolution"));
  }
  {  // weight input channels that do not match the input
    OnnxBuilder b;
    const std::string x = input(b, 3);
    const std::string w = b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f});
    b.node("Conv", {x, w}, "c_out", "conv");
    finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
    EXPECT_THAT(front_end_error(b),
                HasSubstr("node 'conv' (QConv): weight shape [2, 2, 1, 1] does not match 3 input "
                          "channels"));
  }
  {  // kernel_shape that contradicts the weight
    OnnxBuilder b;
    const std::string x = input(b);
    const std::string w = b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f});
    OnnxBuilder::attr(b.node("Conv", {x, w}, "c_out", "conv"), "kernel_shape",
                      std::vector<int64_t>{3, 3});
    finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
    EXPECT_THAT(front_end_error(b),
                HasSubstr("node 'conv' (Conv): attribute 'kernel_shape' [3, 3] does not match "
                          "the weight shape [2, 2, 1, 1]"));
  }
}

TEST(FrontendErrors, HalfQuantizedPatterns) {
  OnnxBuilder b;  // dequantized weights, float input
  b.input("x", kF32, {1, 2, 4, 4});
  const std::string w = b.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f});
  b.node("Conv", {"x", w}, "c_out", "conv");
  finish(b, b.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
  EXPECT_THAT(front_end_error(b),
              HasSubstr("node 'conv' (Conv): the weights are dequantized but input 'X' is not a "
                        "DequantizeLinear output"));
  OnnxBuilder c;  // no QuantizeLinear after the conv
  const std::string x = input(c);
  const std::string w2 = c.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f});
  c.node("Conv", {x, w2}, "c_out", "conv");
  c.output("c_out");
  EXPECT_THAT(front_end_error(c),
              HasSubstr("node 'conv' (Conv): the quantized op's result is not requantized: "
                        "expected Conv -> [Relu] -> QuantizeLinear"));
  OnnxBuilder g;  // Gemm that is not a linear layer
  g.input("x", kF32, {4, 2});
  const std::string xg = g.qdq("x", kSx, kZx, "x_in");
  const std::string wg = g.weight("fc", {2, 4}, std::vector<int8_t>(8, 1), {0.01f});
  OnnxBuilder::attr(g.node("Gemm", {xg, wg}, "fc_out", "fc"), "transA", int64_t{1});
  finish(g, g.quantize("fc_out", 0.1f, 100, "fc_y"), 0.1f, 100);
  EXPECT_THAT(front_end_error(g),
              HasSubstr("node 'fc' (Gemm): a quantized Gemm needs alpha = 1, beta = 1 and "
                        "transA = 0"));
}

TEST(FrontendErrors, PadsOtherThanAZeroSpatialPadBeforeAnAveragePool) {
  OnnxBuilder b;
  const std::string x = input(b);
  b.i64("pads", {0, 1, 1, 1, 0, 0, 1, 1});
  b.node("Pad", {x, "pads"}, "padded", "pad");
  OnnxBuilder::attr(b.node("AveragePool", {"padded"}, "p_out", "pool"), "kernel_shape",
                    std::vector<int64_t>{2, 2});
  finish(b, b.quantize("p_out", kSx, kZx, "p_y"), kSx, kZx);
  EXPECT_THAT(front_end_error(b),
              HasSubstr("node 'pad' (Pad): pads [0, 1, 1, 1, 0, 0, 1, 1] must be non-negative "
                        "and pad only H and W"));
  OnnxBuilder lone;  // a Pad that is not part of an average pool
  const std::string y = input(lone);
  lone.i64("pads", {0, 0, 1, 1, 0, 0, 1, 1});
  lone.node("Pad", {y, "pads"}, "padded", "pad");
  finish(lone, lone.quantize("padded", kSx, kZx, "p_y"), kSx, kZx);
  EXPECT_THAT(front_end_error(lone), HasSubstr("node 'pad' (Pad): unsupported op 'Pad'"));
}

TEST(FrontendErrors, CastsAndInt32Biases) {
  OnnxBuilder b;  // a real conversion of a run-time tensor
  b.input("x", kF32, {1, 2});
  OnnxBuilder::attr(b.node("Cast", {"x"}, "xi", "to_int"), "to", int64_t{kI32});
  b.output("xi", kI32);
  EXPECT_THAT(front_end_error(b),
              HasSubstr("node 'to_int' (Cast): Cast of a run-time float32 tensor to ONNX element "
                        "type 6 is not supported"));
  OnnxBuilder c;  // an int32 bias that is not one value per channel
  c.input("x", kF32, {1, 1, 3, 3});
  const std::string q = c.quantize("x", kSx, kZx, "in");
  c.init("w", kI8, {2, 1, 1, 1}, std::vector<int8_t>{1, 2});
  c.node("ConvInteger", {q, "w", "in_z"}, "acc", "ci");
  c.init("bias", kI32, {1, 1, 3}, std::vector<int32_t>{1, 2, 3});
  c.node("Add", {"acc", "bias"}, "acc_b", "bias_add");
  c.output("acc_b", kI32);
  EXPECT_THAT(front_end_error(c),
              HasSubstr("node 'bias_add' (Add): the int32 bias of shape [1, 1, 3] is not one "
                        "value per output channel of node 'ci' (QConv) (2)"));
}

// ---------------------------------------------------------------- malformed ONNX

TEST(FrontendErrors, BadScalesAndZeroPoints) {
  for (float bad : {0.0f, -0.5f, std::numeric_limits<float>::quiet_NaN()}) {
    OnnxBuilder b;
    b.input("x", kF32, {1, 2, 4, 4});
    const std::string q = b.quantize("x", bad, kZx, "in");
    finish(b, q, kSx, kZx);
    EXPECT_THAT(front_end_error(b),
                AllOf(HasSubstr("test.onnx: node 'in/QuantizeLinear' (QuantizeLinear): input "
                                "'y_scale' value"),
                      HasSubstr("must be finite and > 0")))
        << bad;
  }
  OnnxBuilder w;  // a zero scale in a per-channel weight
  const std::string x = input(w);
  const std::string wt = w.weight("conv", {2, 2, 1, 1}, std::vector<int8_t>(4, 1), {0.01f, 0.0f});
  w.node("Conv", {x, wt}, "c_out", "conv");
  finish(w, w.quantize("c_out", 0.1f, 100, "c_y"), 0.1f, 100);
  EXPECT_THAT(front_end_error(w),
              HasSubstr("node 'conv/DequantizeLinear_1' (DequantizeLinear): input 'x_scale' value "
                        "0 at index 1 must be finite and > 0"));
  OnnxBuilder z;  // a zero point out of range, as torch writes it: int64 cast to uint8
  z.input("x", kF32, {1, 2, 4, 4});
  z.f32("s", {}, {kSx});
  z.init("z64", kI64, {}, std::vector<int64_t>{256});
  OnnxBuilder::attr(z.node("Cast", {"z64"}, "z8", "zp_cast"), "to", int64_t{kU8});
  z.node("QuantizeLinear", {"x", "s", "z8"}, "q", "quant");
  z.output("q", kU8);
  EXPECT_THAT(front_end_error(z),
              HasSubstr("node 'zp_cast' (Cast): value 256 at index 0 does not fit uint8"));
  OnnxBuilder d;  // a DOUBLE scale that is not a float32
  d.input("x", kF32, {1, 2, 4, 4});
  d.init("s64", kF64, {}, std::vector<double>{0.1});
  OnnxBuilder::attr(d.node("Cast", {"s64"}, "s", "scale_cast"), "to", int64_t{kF32});
  d.init("z", kU8, {}, std::vector<uint8_t>{128});
  d.node("QuantizeLinear", {"x", "s", "z"}, "q", "quant");
  d.output("q", kU8);
  EXPECT_THAT(front_end_error(d),
              AllOf(HasSubstr("initializer 's64'"),
                    HasSubstr("DOUBLE value 0.1 at index 0 is not exactly representable")));
}

TEST(FrontendErrors, FixedModeScaleTooLarge) {
  OnnxBuilder b;
  b.input("x", kF32, {1, 1, 2, 2});
  const std::string x = b.qdq("x", 1000.0f, 0, "x_in");
  const std::string w = b.weight("conv", {1, 1, 1, 1}, {1}, {1000.0f});
  b.node("Conv", {x, w}, "c_out", "conv");
  finish(b, b.quantize("c_out", 1e-4f, 0, "c_y"), 1e-4f, 0);
  EXPECT_EQ(front_end_error(b), "");  // fp32 holds it
  HwConfig fixed;
  fixed.set("requant.mode=fixed");
  EXPECT_THAT(front_end_error(b, fixed),
              HasSubstr("node 'conv' (QConv): channel 0: requantization scale 1e+10 is >= 2^31"));
}

}  // namespace
}  // namespace bpusim
