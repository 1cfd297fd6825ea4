// Unit tests of the front-end passes (compiler/passes/): constant folding with PyTorch's bias
// rounding, pattern recognition, fusion decisions and their diagnostics, requantizer modes,
// float regions, batch-norm folding, int32 pass-through, and the golden qnnpack recipes the
// front end selects.
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "compiler/passes/fold_constants.h"
#include "compiler/passes/pytorch_params.h"
#include "golden/model.h"
#include "golden/ops.h"
#include "ir/op_set.h"
#include "tests/compiler/frontend/onnx_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using ::testing::AllOf;
using testing::error_message;
using testing::front_end;
using ::testing::HasSubstr;
using testing::kF32;
using testing::kI32;
using testing::kI64;
using testing::kI8;
using testing::kU8;
using testing::nodes_of;
using testing::OnnxBuilder;

constexpr float kSx = 0.05f;  // input scale / zero point of the test models
constexpr int kZx = 128;

std::vector<int8_t> weights(int64_t n, int seed) {
  std::vector<int8_t> w(n);
  for (int64_t i = 0; i < n; ++i) w[i] = static_cast<int8_t>((i * 37 + seed * 11) % 255 - 127);
  return w;
}

// DQ(x) -> Conv 3x3 pad 1 (m output channels, per-channel weight scales) -> [Relu] ->
// Q(sy, zy); returns the Q output.
std::string add_conv(OnnxBuilder& b, const std::string& x_dq, int64_t c, int64_t m,
                     const std::string& name, bool relu, float sy, int zy) {
  std::vector<float> ws(m), bs(m);
  std::vector<int32_t> bias(m);
  for (int64_t i = 0; i < m; ++i) {
    ws[i] = 0.002f * static_cast<float>(i + 1);
    bs[i] = ws[i] * kSx;
    bias[i] = static_cast<int32_t>(100 * i - 150);
  }
  const std::string w = b.weight(name, {m, c, 3, 3}, weights(m * c * 9, 3), ws);
  const std::string bq = b.bias(name, bias, bs);
  onnx::NodeProto& conv = b.node("Conv", {x_dq, w, bq}, name + "_out", name);
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(conv, "kernel_shape", std::vector<int64_t>{3, 3});
  std::string out = name + "_out";
  if (relu) {
    b.node("Relu", {out}, name + "_relu");
    out = name + "_relu";
  }
  return b.quantize(out, sy, zy, name + "_y");
}

// x (float [1, 2, 5, 5]) -> Q(kSx, kZx) -> DQ: the model input as a quantized op sees it.
std::string quantized_input(OnnxBuilder& b) {
  b.input("x", kF32, {1, 2, 5, 5});
  return b.qdq("x", kSx, kZx, "in");
}

// ---------------------------------------------------------------- constant folding

TEST(FrontendFold, BiasChainRoundsLikePyTorchNotLikeOnnxCast) {
  OnnxBuilder b;
  b.f32("bias", {3}, {1.75f, -1.75f, 1.25f});
  b.f32("w_scale", {1}, {0.25f});
  b.f32("x_scale", {}, {2.0f});
  b.node("Mul", {"w_scale", "x_scale"}, "s");
  b.node("Div", {"bias", "s"}, "q");  // 3.5, -3.5, 2.5
  OnnxBuilder::attr(b.node("Cast", {"q"}, "q32"), "to", int64_t{kI32});
  OnnxBuilder::attr(b.node("Cast", {"q32"}, "q32b"), "to", int64_t{kI32});
  b.node("Shape", {"s"}, "shape");
  onnx::NodeProto& zeros = b.node("ConstantOfShape", {"shape"}, "zeros");
  auto* value = zeros.add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto_AttributeType_TENSOR);
  value->mutable_t()->set_data_type(kI32);
  value->mutable_t()->add_dims(1);
  value->mutable_t()->add_int32_data(7);
  b.i64("axes", {0, 2});
  b.node("Unsqueeze", {"bias", "axes"}, "bias3");
  b.f32("m", {2, 3}, {1, 2, 3, 4, 5, 6});
  b.node("Transpose", {"m"}, "mt");
  for (const char* o : {"q32b", "zeros", "bias3", "mt"}) b.output(o);
  ir::Graph g = b.graph();
  compiler::fold_constants(g, "test.onnx");
  EXPECT_TRUE(g.nodes.empty());
  auto values = [&](const char* name) {
    const Tensor& t = *g.value(g.find(name)).constant;
    std::vector<double> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.as_double(i));
    return v;
  };
  // ties to even: 3.5 -> 4, -3.5 -> -4, 2.5 -> 2 (ONNX's truncating Cast gives 3, -3, 2)
  EXPECT_EQ(values("q32b"), (std::vector<double>{4, -4, 2}));
  EXPECT_EQ(g.value(g.find("q32b")).constant->dtype(), DType::kI32);
  EXPECT_EQ(values("zeros"), (std::vector<double>{7}));
  EXPECT_EQ(g.value(g.find("bias3")).shape, (Shape{1, 3, 1}));
  EXPECT_EQ(values("mt"), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(g.value(g.find("mt")).shape, (Shape{3, 2}));
}

TEST(FrontendFold, CastsThatDoNotFitAreErrors) {
  OnnxBuilder b;
  b.init("zp64", kI64, {}, std::vector<int64_t>{300});
  OnnxBuilder::attr(b.node("Cast", {"zp64"}, "zp", "zp_cast"), "to", int64_t{kU8});
  b.output("zp", kU8);
  ir::Graph g = b.graph();
  EXPECT_THAT(error_message([&] { compiler::fold_constants(g, "test.onnx"); }),
              HasSubstr("test.onnx: node 'zp_cast' (Cast): value 300 at index 0 does not fit "
                        "uint8"));
}

// ---------------------------------------------------------------- recognition

TEST(FrontendRecognize, ConvReluBecomesOneQConvWithPyTorchParameters) {
  OnnxBuilder b;
  const std::string x = quantized_input(b);
  // y_scale 0.11: (w_scale * x_scale) * (1 / 0.11) differs from (w_scale * x_scale) / 0.11
  // in float32 for channels 0 and 1, so the test pins PyTorch's order.
  const std::string y = add_conv(b, x, 2, 3, "conv", true, 0.11f, 7);
  b.node("DequantizeLinear", {y, "conv_y_s", "conv_y_z"}, "out");
  b.output("out");
  compiler::FrontendNotes notes;
  const ir::Graph g = front_end(b, {}, &notes);
  ASSERT_EQ(nodes_of(g, ir::op::kQConv).size(), 1u);
  const ir::Node& conv = *nodes_of(g, ir::op::kQConv)[0];
  EXPECT_EQ(conv.name, "conv");
  EXPECT_EQ(conv.attr_int("x_zero_point"), kZx);
  const ir::Requant rq = ir::get_requant(conv, 3, false);
  EXPECT_EQ(rq.mode, ir::Stage1Mode::kFp32);
  for (int c = 0; c < 3; ++c) {
    const float ws = 0.002f * static_cast<float>(c + 1);
    EXPECT_EQ(rq.channels[c].scale, (ws * kSx) * (1.0f / 0.11f)) << c;
    EXPECT_EQ(rq.channels[c].bias, 100 * c - 150);
    EXPECT_EQ(rq.channels[c].zp, 7);
    EXPECT_EQ(rq.channels[c].min, 7);  // the Relu
    EXPECT_EQ(rq.channels[c].max, 255);
  }
  EXPECT_EQ(g.nodes.size(), 3u);  // Quantize, QConv, Dequantize
  EXPECT_EQ(nodes_of(g, ir::op::kQuantize).at(0)->attr_string("method", ""), "mul_inv");
  EXPECT_TRUE(notes.not_fused.empty());
  EXPECT_TRUE(notes.host_regions.empty());
}

TEST(FrontendRecognize, PadAveragePoolIsOneQAvgPoolWithTheQnnpackRecipe) {
  OnnxBuilder b;
  const std::string x = quantized_input(b);
  b.i64("pads", {0, 0, 1, 1, 0, 0, 1, 1});
  b.node("Pad", {x, "pads"}, "padded");
  onnx::NodeProto& pool = b.node("AveragePool", {"padded"}, "pooled", "pool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
  b.dequantize(b.quantize("pooled", kSx, kZx, "pool"), kSx, kZx, "out");
  b.output("out_dq");
  const ir::Graph g = front_end(b);
  ASSERT_EQ(nodes_of(g, ir::op::kQAvgPool).size(), 1u);
  const ir::Node& p = *nodes_of(g, ir::op::kQAvgPool)[0];
  EXPECT_EQ(p.attr_ints("pads", {}), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(p.attr_string("recipe", ""), "qnnpack");
  EXPECT_TRUE(nodes_of(g, "Pad").empty());
}

TEST(FrontendRecognize, ConcatRecipeFollowsPyTorchsMemoryFormats) {
  // cat(conv, conv) along channels: both channels-last -> the fast path; cat(input, input):
  // contiguous 4-D tensors with C > 1 and H, W > 1 -> the generic path; after global pooling
  // (H = W = 1) both layouts coincide -> the fast path again.
  OnnxBuilder b;
  const std::string x = quantized_input(b);
  const std::string c1 =
      b.dequantize(add_conv(b, x, 2, 2, "c1", false, 0.1f, 100), 0.1f, 100, "c1y");
  const std::string c2 = b.dequantize(add_conv(b, x, 2, 3, "c2", false, 0.2f, 90), 0.2f, 90, "c2y");
  OnnxBuilder::attr(b.node("Concat", {c1, c2}, "cat1", "convs"), "axis", int64_t{-3});
  OnnxBuilder::attr(b.node("Concat", {x, x}, "cat2", "inputs"), "axis", int64_t{1});
  b.node("GlobalAveragePool", {x}, "gap", "gap");
  const std::string gq = b.qdq("gap", kSx, kZx, "gap_y");
  OnnxBuilder::attr(b.node("Concat", {gq, gq}, "cat3", "pooled"), "axis", int64_t{1});
  for (const char* o : {"cat1", "cat2", "cat3"})
    b.dequantize(b.quantize(o, 0.2f, 100, std::string(o) + "_y"), 0.2f, 100, std::string(o) + "_o");
  for (const char* o : {"cat1_o_dq", "cat2_o_dq", "cat3_o_dq"}) b.output(o);
  const ir::Graph g = front_end(b);
  std::map<std::string, std::string> recipe;
  for (const ir::Node* n : nodes_of(g, ir::op::kQConcat)) {
    recipe[n->name] = n->attr_string("recipe", "");
    EXPECT_EQ(n->attr_int(ir::attr::kAxis), 1);  // normalized
  }
  EXPECT_EQ(recipe["convs"], "qnnpack_channels_last");
  EXPECT_EQ(recipe["inputs"], "qnnpack");
  EXPECT_EQ(recipe["pooled"], "qnnpack_channels_last");
}

TEST(FrontendRecognize, GenericPathCatOfChannelsLastInputsStaysChannelsLast) {
  // cat(conv, conv) along H takes the generic path; PyTorch's at::cat keeps the inputs'
  // channels-last format, so a channel cat of it with a conv takes the fast path. A generic
  // cat with one contiguous input (the QuantStub's) is contiguous: the next one is generic.
  OnnxBuilder b;
  const std::string x = quantized_input(b);
  const std::string c1 =
      b.dequantize(add_conv(b, x, 2, 2, "c1", false, 0.1f, 100), 0.1f, 100, "c1y");
  const std::string c2 = b.dequantize(add_conv(b, x, 2, 2, "c2", false, 0.2f, 90), 0.2f, 90, "c2y");
  OnnxBuilder::attr(b.node("Concat", {c1, c2}, "h1", "rows_cl"), "axis", int64_t{2});
  OnnxBuilder::attr(b.node("Concat", {c1, x}, "h2", "rows_mixed"), "axis", int64_t{2});
  const std::string h1 = b.qdq("h1", kSx, kZx, "h1_y");
  const std::string h2 = b.qdq("h2", kSx, kZx, "h2_y");
  const std::string c3 =
      b.dequantize(add_conv(b, h1, 2, 2, "c3", false, 0.1f, 100), 0.1f, 100, "c3y");
  OnnxBuilder::attr(b.node("Concat", {h1, c3}, "k1", "after_cl"), "axis", int64_t{1});
  OnnxBuilder::attr(b.node("Concat", {h2, c3}, "k2", "after_mixed"), "axis", int64_t{1});
  for (const char* o : {"k1", "k2"})
    b.dequantize(b.quantize(o, 0.2f, 100, std::string(o) + "_y"), 0.2f, 100, std::string(o) + "_o");
  for (const char* o : {"k1_o_dq", "k2_o_dq"}) b.output(o);
  const ir::Graph g = front_end(b);
  std::map<std::string, std::string> recipe;
  for (const ir::Node* n : nodes_of(g, ir::op::kQConcat))
    recipe[n->name] = n->attr_string("recipe", "");
  EXPECT_EQ(recipe["rows_cl"], "qnnpack");
  EXPECT_EQ(recipe["rows_mixed"], "qnnpack");
  EXPECT_EQ(recipe["after_cl"], "qnnpack_channels_last");
  EXPECT_EQ(recipe["after_mixed"], "qnnpack");
}

// ---------------------------------------------------------------- fusion

// in -> conv -> Q ; add(DQ(conv) or the input first) -> Q -> DQ -> Relu -> Q -> DQ -> out.
OnnxBuilder residual_model(bool conv_first, bool conv_also_output = false) {
  OnnxBuilder b;
  const std::string x = quantized_input(b);
  const std::string c = add_conv(b, x, 2, 2, "conv", false, 0.08f, 120);
  const std::string c_dq = b.dequantize(c, 0.08f, 120, "conv_y");
  if (conv_also_output) b.output(c_dq);
  std::vector<std::string> operands{c_dq, x};
  if (!conv_first) std::swap(operands[0], operands[1]);
  b.node("Add", operands, "sum", "add");
  const std::string s = b.qdq("sum", 0.12f, 125, "add_y");
  b.node("Relu", {s}, "act_out", "act");
  b.dequantize(b.quantize("act_out", 0.12f, 125, "act_y"), 0.12f, 125, "out");
  b.output("out_dq");
  return b;
}

TEST(FrontendFusion, ConvAddReluFuseWhenTheAddsFirstOperandIsTheConv) {
  compiler::FrontendNotes notes;
  const ir::Graph g = front_end(residual_model(true), {}, &notes);
  ASSERT_EQ(nodes_of(g, ir::op::kQConv).size(), 1u);
  EXPECT_TRUE(nodes_of(g, ir::op::kQAdd).empty());
  EXPECT_TRUE(nodes_of(g, ir::op::kQClamp).empty());
  const ir::Node& conv = *nodes_of(g, ir::op::kQConv)[0];
  ASSERT_EQ(conv.inputs.size(), 3u);  // the residual
  const ir::Requant rq = ir::get_requant(conv, 2, true);
  EXPECT_EQ(rq.channels[0].zp, 120);  // stage 1 rounds to the conv's own uint8 first
  EXPECT_EQ(rq.channels[0].min, 0);
  const ir::AddParams expect = compiler::add_params(0.08f, 120, kSx, kZx, 0.12f, 125, true, "add");
  EXPECT_EQ(rq.channels[1].add.add_mult_a, expect.add_mult_a);
  EXPECT_EQ(rq.channels[1].add.add_const, expect.add_const);
  EXPECT_EQ(rq.channels[1].add.add_min, 125);  // the ReLU after the add
  EXPECT_TRUE(notes.not_fused.empty());
}

TEST(FrontendFusion, FusionNeverChangesTheResult) {
  // The same model with the conv's output also a graph output cannot fuse; the final outputs
  // must be the same bits.
  compiler::FrontendNotes notes;
  const ir::Graph fused = front_end(residual_model(true));
  const ir::Graph unfused = front_end(residual_model(true, true), {}, &notes);
  ASSERT_EQ(nodes_of(unfused, ir::op::kQAdd).size(), 1u);
  ASSERT_EQ(notes.not_fused.size(), 1u);
  EXPECT_THAT(notes.not_fused[0], HasSubstr("is read by 2 nodes"));
  for (int seed = 1; seed <= 5; ++seed) {
    const Tensor x = testing::ramp({1, 2, 5, 5}, -4.0f, 4.0f, seed);
    EXPECT_EQ(golden::run(fused, {{"x", x}}).output("out_dq"),
              golden::run(unfused, {{"x", x}}).output("out_dq"))
        << seed;
  }
}

TEST(FrontendFusion, AnAddWhoseFirstOperandIsNotTheConvStaysAndSaysWhy) {
  compiler::FrontendNotes notes;
  const ir::Graph g = front_end(residual_model(false), {}, &notes);
  ASSERT_EQ(nodes_of(g, ir::op::kQAdd).size(), 1u);
  EXPECT_EQ(nodes_of(g, ir::op::kQConv)[0]->inputs.size(), 2u);
  // The add's ReLU still fuses into the add.
  EXPECT_TRUE(nodes_of(g, ir::op::kQClamp).empty());
  EXPECT_EQ(ir::get_add_params(*nodes_of(g, ir::op::kQAdd)[0], DType::kU8).add_min, 125);
  ASSERT_EQ(notes.not_fused.size(), 1u);
  EXPECT_THAT(notes.not_fused[0],
              AllOf(HasSubstr("test.onnx: node 'add' (QAdd): add not fused into a conv"),
                    HasSubstr("comes from node 'in/QuantizeLinear' (Quantize), not from a conv"),
                    HasSubstr("the second operand comes from node 'conv' (QConv)"),
                    HasSubstr("only the first operand"), HasSubstr("separate QAdd")));
}

TEST(FrontendFusion, AConvReadTwiceIsNotFused) {
  OnnxBuilder b = residual_model(true);
  // A second reader of the conv's quantized output.
  onnx::NodeProto& mp = b.node("MaxPool", {"conv_y_dq"}, "mp_out", "mp");
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  b.dequantize(b.quantize("mp_out", 0.08f, 120, "mp_y"), 0.08f, 120, "mp_o");
  b.output("mp_o_dq");
  compiler::FrontendNotes notes;
  const ir::Graph g = front_end(b, {}, &notes);
  EXPECT_EQ(nodes_of(g, ir::op::kQAdd).size(), 1u);
  ASSERT_EQ(notes.not_fused.size(), 1u);
  EXPECT_THAT(notes.not_fused[0], AllOf(HasSubstr("node 'add' (QAdd): add not fused"),
                                        HasSubstr("is read by 2 nodes")));
}

TEST(FrontendFusion, LinearReluFusesAndAReluAfterAPoolIsReported) {
  OnnxBuilder b;
  b.input("x", kF32, {2, 4});
  const std::string x = b.qdq("x", kSx, kZx, "in");
  const std::string w = b.weight("fc", {3, 4}, weights(12, 1), {0.01f});
  onnx::NodeProto& gemm = b.node("Gemm", {x, w}, "fc_out", "fc");
  OnnxBuilder::attr(gemm, "transB", int64_t{1});
  const std::string y = b.qdq("fc_out", 0.2f, 100, "fc_y");
  b.node("Relu", {y}, "relu_out", "relu");
  b.dequantize(b.quantize("relu_out", 0.2f, 100, "relu_y"), 0.2f, 100, "out");
  b.output("out_dq");
  // A ReLU after a max pool has nothing to fuse into.
  b.input("z", kF32, {1, 1, 4, 4});
  const std::string z = b.qdq("z", kSx, kZx, "zin");
  onnx::NodeProto& mp = b.node("MaxPool", {z}, "mp_out", "mp");
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  const std::string m = b.qdq("mp_out", kSx, kZx, "mp_y");
  b.node("Relu", {m}, "r2_out", "relu2");
  b.dequantize(b.quantize("r2_out", kSx, kZx, "r2_y"), kSx, kZx, "out2");
  b.output("out2_dq");
  compiler::FrontendNotes notes;
  const ir::Graph g = front_end(b, {}, &notes);
  ASSERT_EQ(nodes_of(g, ir::op::kQMatMul).size(), 1u);
  const ir::Node& mm = *nodes_of(g, ir::op::kQMatMul)[0];
  EXPECT_EQ(ir::get_requant(mm, 3, false).channels[0].min, 100);
  EXPECT_EQ(g.value(mm.inputs[1]).constant->shape(), (Shape{4, 3}));  // [K, N]
  ASSERT_EQ(nodes_of(g, ir::op::kQClamp).size(), 1u);
  EXPECT_EQ(nodes_of(g, ir::op::kQClamp)[0]->name, "relu2");
  ASSERT_EQ(notes.not_fused.size(), 1u);
  EXPECT_THAT(notes.not_fused[0],
              AllOf(HasSubstr("node 'relu2' (QClamp): clamp/ReLU not fused"),
                    HasSubstr("comes from node 'mp' (QMaxPool), not from a conv, linear or add")));
}

// ---------------------------------------------------------------- requantizer modes

TEST(FrontendRequant, FixedModeEncodesEveryFp32ScaleExactly) {
  OnnxBuilder b = residual_model(true);
  HwConfig fixed;
  fixed.set("requant.mode=fixed");
  const ir::Graph g32 = front_end(b), gfx = front_end(b, fixed);
  const ir::Requant r32 = ir::get_requant(*nodes_of(g32, ir::op::kQConv)[0], 2, true);
  const ir::Requant rfx = ir::get_requant(*nodes_of(gfx, ir::op::kQConv)[0], 2, true);
  ASSERT_EQ(rfx.mode, ir::Stage1Mode::kFixed);
  for (int c = 0; c < 2; ++c) {
    EXPECT_EQ(std::ldexp(static_cast<double>(rfx.channels[c].mult), -rfx.channels[c].shift),
              static_cast<double>(r32.channels[c].scale));
    EXPECT_EQ(rfx.channels[c].add.add_mult_b, r32.channels[c].add.add_mult_b);
  }
}

TEST(FrontendRequant, FixedEncoding) {
  const compiler::FixedScale one = compiler::fixed_encoding(1.0f, "t");
  EXPECT_EQ(one.mult, 1 << 30);
  EXPECT_EQ(one.shift, 30);
  const compiler::FixedScale s = compiler::fixed_encoding(0.05f, "t");
  EXPECT_EQ(std::ldexp(static_cast<double>(s.mult), -s.shift), static_cast<double>(0.05f));
  EXPECT_GE(s.mult, 1 << 30);
  const compiler::FixedScale tiny = compiler::fixed_encoding(std::ldexp(1.0f, -33), "t");
  EXPECT_EQ(tiny.mult, 0);
  EXPECT_EQ(compiler::fixed_encoding(std::ldexp(1.0f, -32), "t").shift, 62);
  EXPECT_THAT(error_message([] { compiler::fixed_encoding(std::ldexp(1.0f, 31), "node 'c'"); }),
              HasSubstr("node 'c': requantization scale 2.14748e+09 is >= 2^31"));
}

TEST(FrontendParams, AddParametersFollowQnnpack) {
  // docs/requantizer.md 9.4
  const ir::AddParams p = compiler::add_params(0.05f, 128, 0.1f, 120, 0.12f, 125, false, "a");
  EXPECT_EQ(p.add_shift, 22);
  EXPECT_EQ(p.add_mult_a, 1747627);
  EXPECT_EQ(p.add_mult_b, 3495254);
  EXPECT_EQ(p.add_const, -643126736);
  EXPECT_EQ(p.add_min, 0);
  EXPECT_EQ(compiler::add_params(0.05f, 128, 0.1f, 120, 0.12f, 125, true, "a").add_min, 125);
  EXPECT_EQ(compiler::quantize_bias(1.75f, 0.5f), 4);  // ties to even
  // bias * (1 / s) = -1933.4999 rounds to -1933; bias / s = -1933.5 would give -1934
  EXPECT_EQ(compiler::quantize_bias(-10.634249687194824f, 0.11f * 0.05f), -1933);
  // Beyond int32 it saturates; QNNPACK's conv kernels read a saturated INT32_MAX as INT32_MIN.
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(compiler::quantize_bias(3.0f, 1.0f / 1024 / 1024 / 1024), kMax);
  EXPECT_EQ(compiler::quantize_bias(-3.0f, 1.0f / 1024 / 1024 / 1024), kMin);
  EXPECT_EQ(compiler::quantize_bias(1.99f, 1.0f / 1024 / 1024 / 1024), 2136746240);
  EXPECT_EQ(compiler::quantize_bias(std::nanf(""), 0.5f), kMin);  // fuzz finding (UB before)
  EXPECT_EQ(compiler::quantize_bias(1.0f, 0.0f), kMax);           // 1 * (1 / 0) = inf
  EXPECT_EQ(compiler::qnnpack_conv_bias(kMax), kMin);
  EXPECT_EQ(compiler::qnnpack_conv_bias(2136746240), 2136746240);
  EXPECT_EQ(compiler::qnnpack_conv_bias(kMin), kMin);
  EXPECT_EQ(compiler::requant_scale(0.1f, 0.3f, 0.7f), (0.3f * 0.1f) * (1.0f / 0.7f));
}

TEST(FrontendRequant, AlreadyCanonicalGraphsKeepTheirModeAndBroadcasting) {
  ir::Graph g;
  auto value = [&](const std::string& name, DType t, Shape s) {
    const bool known = !s.empty();
    return g.add_value({name, t, std::move(s), known, std::nullopt, std::nullopt});
  };
  const ir::ValueId x = value("x", DType::kU8, {1, 2, 3, 3});
  const ir::ValueId r = value("r", DType::kU8, {1, 2, 1, 1});
  g.inputs = {x, r};
  ir::Value w{"w",  DType::kI8,   {2, 2, 1, 1},
              true, std::nullopt, Tensor::from<int8_t>({2, 2, 1, 1}, {1, 2, 3, 4})};
  const ir::ValueId wid = g.add_value(std::move(w));
  const ir::ValueId y = value("y", DType::kU8, {});
  const ir::ValueId z = value("z", DType::kU8, {});
  ir::Node conv{"c", ir::op::kQConv, {x, wid}, {y}, {}};
  ir::Requant rq;
  rq.channels.assign(2, {0, 0.5f, 0, 0, 0, 0, 255, {}});
  ir::set_requant(conv, rq);
  ir::Node add{"a", ir::op::kQAdd, {y, r}, {z}, {}};
  ir::set_add_params(add, {0, 1, 1, 0, 0, 0, 255});
  g.nodes = {conv, add};
  g.outputs = {z};
  HwConfig fixed;
  fixed.set("requant.mode=fixed");
  compiler::FrontendNotes notes;
  EXPECT_EQ(error_message([&] { notes = compiler::run_frontend(g, fixed); }), "");
  EXPECT_EQ(nodes_of(g, ir::op::kQConv)[0]->attr_string("mode", ""), "fp32");
  ASSERT_EQ(notes.not_fused.size(), 1u);  // a broadcasting QAdd is legal here, but not fused
}

// ---------------------------------------------------------------- float regions, BN, int32

TEST(FrontendFloat, FloatRegionsAreReportedAndBatchNormFoldsIntoTheirConv) {
  OnnxBuilder b;
  b.input("x", kF32, {1, 2, 3, 3});
  b.f32("w", {2, 2, 1, 1}, {0.5f, -1.0f, 2.0f, 0.25f});
  b.f32("cb", {2}, {0.1f, -0.2f});
  b.node("Conv", {"x", "w", "cb"}, "conv_out", "conv");
  b.f32("g", {2}, {1.5f, 0.5f});
  b.f32("beta", {2}, {0.3f, -0.1f});
  b.f32("mean", {2}, {0.2f, 0.4f});
  b.f32("var", {2}, {4.0f, 0.25f});
  b.node("BatchNormalization", {"conv_out", "g", "beta", "mean", "var"}, "bn_out", "bn");
  b.node("Sigmoid", {"bn_out"}, "y", "sig");
  b.output("y");
  compiler::FrontendNotes notes;
  const ir::Graph g = front_end(b, {}, &notes);
  EXPECT_TRUE(nodes_of(g, "BatchNormalization").empty());
  ASSERT_EQ(notes.host_regions.size(), 1u);
  EXPECT_THAT(notes.host_regions[0],
              AllOf(HasSubstr("float region of 2 ops placed on the host"),
                    HasSubstr("'conv' (Conv), 'sig' (Sigmoid)"), HasSubstr("qconfig = None")));
  const Tensor x = testing::ramp({1, 2, 3, 3}, -1.0f, 1.0f);
  const Tensor y = golden::run(g, {{"x", x}}).output("y");
  const double w[2][2] = {{0.5, -1.0}, {2.0, 0.25}}, cb[2] = {0.1, -0.2}, gm[2] = {1.5, 0.5},
               beta[2] = {0.3, -0.1}, mean[2] = {0.2, 0.4}, var[2] = {4.0, 0.25};
  for (int m = 0; m < 2; ++m)
    for (int i = 0; i < 9; ++i) {
      const double conv =
          cb[m] + w[m][0] * x.values<float>()[i] + w[m][1] * x.values<float>()[9 + i];
      const double bn = (conv - mean[m]) * gm[m] / std::sqrt(var[m] + 1e-5) + beta[m];
      EXPECT_NEAR(y.values<float>()[m * 9 + i], 1.0 / (1.0 + std::exp(-bn)), 1e-6);
    }
}

TEST(FrontendInt32, ConvIntegerPlusBiasIsAnInt32PassThroughWithTheBias) {
  OnnxBuilder b;
  b.input("x", kF32, {1, 1, 4, 4});
  const std::string q = b.quantize("x", kSx, kZx, "in");
  b.init("w", kI8, {2, 1, 3, 3}, weights(18, 2));
  b.init("wz", kI8, {}, std::vector<int8_t>{0});
  b.node("Identity", {q}, "q_id");  // removed like the exporter's no-op casts
  onnx::NodeProto& ci = b.node("ConvInteger", {"q_id", "w", "in_z", "wz"}, "acc", "out_conv");
  OnnxBuilder::attr(ci, "kernel_shape", std::vector<int64_t>{3, 3});
  b.init("bias", kI32, {2, 1, 1}, std::vector<int32_t>{1000, -7});
  b.node("Add", {"acc", "bias"}, "acc_b", "bias_add");
  OnnxBuilder::attr(b.node("Cast", {"acc_b"}, "acc32"), "to", int64_t{kI32});
  b.f32("ds", {}, {0.001f});
  b.init("dz", kI32, {}, std::vector<int32_t>{0});
  b.node("DequantizeLinear", {"acc32", "ds", "dz"}, "y", "dequant");
  b.output("y");
  const ir::Graph g = front_end(b);
  ASSERT_EQ(nodes_of(g, ir::op::kQConv).size(), 1u);
  EXPECT_TRUE(nodes_of(g, "Add").empty());
  EXPECT_TRUE(nodes_of(g, "Identity").empty());
  EXPECT_TRUE(nodes_of(g, "Cast").empty());
  const ir::Requant rq = ir::get_requant(*nodes_of(g, ir::op::kQConv)[0], 2, false);
  EXPECT_EQ(rq.mode, ir::Stage1Mode::kInt32);
  EXPECT_EQ(rq.channels[0].bias, 1000);
  EXPECT_EQ(rq.channels[1].bias, -7);
}

// ---------------------------------------------------------------- golden qnnpack recipes

TEST(FrontendQnnpackRecipes, ChannelsLastConcatSplitsChannelsInBlocksOfEight) {
  // 13 channels: 0..7 take the AVX2 route, 8..12 the scalar one; an input with the output's
  // qparams is copied.
  Tensor a(DType::kU8, {1, 13, 1, 2});
  for (int64_t i = 0; i < a.numel(); ++i) a.values<uint8_t>()[i] = static_cast<uint8_t>(i * 19);
  const Tensor b = Tensor::from<uint8_t>({1, 1, 1, 2}, {3, 250});
  const golden::Affine in{0.0731f, 117}, out{0.1462f, 121};
  const Tensor y = golden::qconcat({&a, &b}, {in, out}, out, DType::kU8, 1, "cat",
                                   golden::ConcatRecipe::kQnnpackChannelsLast);
  for (int64_t c = 0; c < 13; ++c)
    for (int64_t p = 0; p < 2; ++p) {
      const int32_t q = a.values<uint8_t>()[c * 2 + p];
      EXPECT_EQ(y.values<uint8_t>()[c * 2 + p],
                golden::concat_recipe_qnnpack(q, in, out, DType::kU8, c < 8))
          << c;
    }
  EXPECT_EQ(y.values<uint8_t>()[26], 3);
  EXPECT_EQ(y.values<uint8_t>()[27], 250);
}

TEST(FrontendQnnpackRecipes, AvgPoolScaleIsInScaleOverOutScaleTimesKernelSize) {
  // 2x3 window: x_scale / (x_scale * 6) is not 1.0f / 6 in float32 for every scale; the
  // recipe takes the product first (docs/pytorch-recipes.md 2.8).
  golden::AvgWindow w;
  w.sum = 6 * 10 + 5;  // 6 taps of zero point 10 plus 5
  w.count = 6;
  w.kernel_size = 6;
  const golden::Affine in{0.3f, 10};
  const float s = 0.3f / (0.3f * 6.0f);
  const int32_t want = static_cast<int32_t>(std::nearbyint(5.0f * s)) + 10;
  EXPECT_EQ(golden::avg_pool_recipe_qnnpack(w, in, in, DType::kU8), want);
}

}  // namespace
}  // namespace bpusim

namespace bpusim {
namespace {

using testing::error_message;
using testing::front_end;
using ::testing::HasSubstr;
using testing::nodes_of;
using testing::OnnxBuilder;

// x -> Q(0.05, 128) -> DQ -> `op` -> Q(out) -> DQ -> y, as torch.onnx exports a table
// activation; `hardswish` builds Mul(DQ, HardSigmoid(DQ)).
OnnxBuilder table_model(const std::string& op, float out_scale, int out_zp) {
  OnnxBuilder b;
  b.input("x", testing::kF32, {1, 1, 16, 16});
  b.output("y");
  const std::string x = b.qdq("x", 0.05f, 128, "in");
  std::string f;
  if (op == "Hardswish") {
    onnx::NodeProto& h = b.node("HardSigmoid", {x}, "hs", "/hswish/HardSigmoid");
    OnnxBuilder::attr(h, "alpha", 1.0f / 6.0f);
    f = b.node("Mul", {x, "hs"}, "f", "/hswish/Mul").output(0);
  } else if (op == "Clip") {
    f = b.node("Clip", {x, b.f32("lo", {}, {0.0f}), b.f32("hi", {}, {6.0f})}, "f", "/relu6/Clip")
            .output(0);
  } else {
    onnx::NodeProto& n = b.node(op, {x}, "f", "/act/" + op);
    if (op == "HardSigmoid") OnnxBuilder::attr(n, "alpha", 1.0f / 6.0f);
    f = n.output(0);
  }
  b.node("Identity",
         {b.dequantize(b.quantize(f, out_scale, out_zp, "out"), out_scale, out_zp, "out")}, "y");
  return b;
}

// Every table activation becomes one QLut, and its table (run by golden's canonical kernel)
// equals the golden reference's own evaluation of the model on every input byte.
TEST(FrontendTables, TableActivationsBecomeOneQLutEqualToTheModel) {
  const std::vector<std::tuple<std::string, float, int>> cases{{"Sigmoid", 1.0f / 256.0f, 0},
                                                               {"Tanh", 2.0f / 256.0f, 128},
                                                               {"HardSigmoid", 1.0f / 256.0f, 0},
                                                               {"Hardswish", 0.031f, 37},
                                                               {"Relu", 0.02f, 3},
                                                               {"Clip", 0.0247f, 0}};
  Tensor x(DType::kF32, {1, 1, 16, 16});
  for (int i = 0; i < 256; ++i) x.values<float>()[i] = (i - 128) * 0.05f;  // every byte
  for (const auto& [op, scale, zp] : cases) {
    SCOPED_TRACE(op);
    const OnnxBuilder b = table_model(op, scale, zp);
    const ir::Graph g = front_end(b);
    ASSERT_EQ(nodes_of(g, ir::op::kQLut).size(), 1u);
    EXPECT_EQ(golden::run(g, {{"x", x}}).output("y"),
              golden::run_model(b.graph(), {{"x", x}}).output("y"));
  }
}

// Sigmoid with other output qparams stays a float region.
TEST(FrontendTables, NonPyTorchQparamsStayFloat) {
  const ir::Graph g = front_end(table_model("Sigmoid", 0.01f, 0));
  EXPECT_TRUE(nodes_of(g, ir::op::kQLut).empty());
  EXPECT_EQ(nodes_of(g, ir::op::kSigmoid).size(), 1u);
}

// LeakyRelu (F.leaky_relu keeps the input's qparams; slope 0.25 and these qparams make exact
// ties where the two dequantizations round apart) becomes a table pair whose vectorized table
// and scalar tail differ, in NCHW order (a graph input), equal to the golden reference's own
// evaluation on a tensor with a tail (numel 300: the last 44 elements are scalar).
TEST(FrontendTables, LeakyReluIsATablePairByMemoryPosition) {
  const float sx = 0.033111125230789185f;
  const int zx = 243;
  OnnxBuilder b;
  b.input("x", testing::kF32, {1, 3, 10, 10});
  b.output("y");
  onnx::NodeProto& n = b.node("LeakyRelu", {b.qdq("x", sx, zx, "in")}, "f", "/act/LeakyRelu");
  OnnxBuilder::attr(n, "alpha", 0.25f);
  b.node("Identity", {b.dequantize(b.quantize("f", sx, zx, "out"), sx, zx, "out")}, "y");
  const ir::Graph g = front_end(b);
  const auto luts = nodes_of(g, ir::op::kQLut);
  ASSERT_EQ(luts.size(), 1u);
  EXPECT_EQ(luts[0]->attr_string("memory_order", ""), "nchw");
  EXPECT_NE(luts[0]->attr_ints("table", {}), luts[0]->attr_ints("tail_table", {}));
  Tensor x(DType::kF32, {1, 3, 10, 10});
  for (int i = 0; i < 300; ++i) x.values<float>()[i] = (i % 256 - zx) * sx;
  EXPECT_EQ(golden::run(g, {{"x", x}}).output("y"),
            golden::run_model(b.graph(), {{"x", x}}).output("y"));
}

}  // namespace
}  // namespace bpusim
