// Everything the BPU cannot run is an Error that names the node, its op and the reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compiler/compile.h"
#include "tests/compiler/graph_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using ::testing::AllOf;
using testing::error_message;
using testing::GraphBuilder;
using ::testing::HasSubstr;

std::mt19937 rng(77);

std::string compile_error(GraphBuilder& b, const HwConfig& hw = HwConfig{}) {
  return error_message([&] { compiler::compile_graph(b.g, hw); });
}

// x [1, c, h, w] -> QConv (int32 pass-through) with `attrs`.
GraphBuilder conv_graph(int64_t c, int64_t m, int64_t h, int64_t w, int64_t kh, int64_t kw,
                        std::map<std::string, ir::AttrValue> attrs) {
  GraphBuilder b;
  const auto x = b.input("x", DType::kU8, {1, c, h, w});
  const auto y =
      b.node("QConv", "conv7",
             {x, b.constant("w", testing::random_tensor(DType::kI8, {m, c, kh, kw}, rng))},
             std::move(attrs));
  ir::set_requant(b.last(), testing::int32_requant(m, rng));
  b.output(y);
  return b;
}

TEST(Errors, TileTooLargeForTheFeatureBuffer) {
  HwConfig hw;
  hw.set("sram.feature.bytes=256");
  auto b = conv_graph(1, 1, 40, 40, 5, 5, {{"dilations", std::vector<int64_t>{3, 3}}});
  EXPECT_THAT(
      compile_error(b, hw),
      AllOf(HasSubstr("node 'conv7' (QConv): does not fit the hardware even as 1-pixel, "
                      "1-channel tiles"),
            HasSubstr("FEATURE needs 176 bytes per slot, half of sram.feature.bytes holds 128")));
}

TEST(Errors, ArgMaxOverTooManyChannels) {
  GraphBuilder b;
  const auto x = b.input("x", DType::kU8, {1, 70000});
  b.output(b.node("ArgMax", "am", {x}, {{"axis", int64_t{1}}}));
  EXPECT_THAT(compile_error(b),
              HasSubstr("node 'am' (ArgMax): argmax over 70000 values exceeds the ARGMAX c field"));
  HwConfig hw;
  hw.set("sram.feature.bytes=1024");
  GraphBuilder b2;
  const auto x2 = b2.input("x", DType::kU8, {1, 5000});
  b2.output(b2.node("ArgMax", "am", {x2}, {{"axis", int64_t{-1}}}));
  EXPECT_THAT(compile_error(b2, hw),
              HasSubstr("argmax over 5000 values does not fit the hardware: FEATURE needs 5008"));
}

TEST(Errors, ProgramLargerThanDdr) {
  HwConfig hw;
  hw.set("ddr.size_bytes=65536");
  auto b = conv_graph(16, 16, 64, 64, 1, 1, {});
  EXPECT_THAT(compile_error(b, hw),
              AllOf(HasSubstr("the program needs"), HasSubstr("but ddr.size_bytes is 65536")));
}

TEST(Errors, UnsupportedAttributes) {
  auto pads = conv_graph(1, 1, 8, 8, 3, 3, {{"pads", std::vector<int64_t>{40, 0, 0, 0}}});
  EXPECT_THAT(compile_error(pads),
              HasSubstr("node 'conv7' (QConv): unsupported attribute 'pads' value 40 (the CONV "
                        "pad_t field holds 0..31)"));
  auto kernel = conv_graph(1, 1, 20, 20, 17, 1, {});
  EXPECT_THAT(compile_error(kernel), HasSubstr("unsupported attribute 'kernel_shape' value 17"));

  GraphBuilder pool;
  const auto x = pool.input("x", DType::kU8, {1, 2, 9, 9});
  pool.output(pool.node(
      "QMaxPool", "mp", {x},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"dilations", std::vector<int64_t>{2, 2}}}));
  EXPECT_THAT(compile_error(pool),
              HasSubstr("node 'mp' (QMaxPool): unsupported attribute 'dilations'"));

  GraphBuilder am;
  const auto y = am.input("y", DType::kI8, {1, 10});
  am.output(
      am.node("ArgMax", "am", {y}, {{"axis", int64_t{1}}, {"select_last_index", int64_t{1}}}));
  EXPECT_THAT(compile_error(am),
              HasSubstr("node 'am' (ArgMax): unsupported attribute 'select_last_index'"));

  GraphBuilder axis;
  const auto z = axis.input("z", DType::kI8, {1, 3, 4, 5});
  axis.output(axis.node("ArgMax", "am2", {z}, {{"axis", int64_t{2}}}));
  EXPECT_THAT(compile_error(axis), HasSubstr("node 'am2' (ArgMax): argmax over axis 2"));

  auto unknown = conv_graph(1, 1, 8, 8, 3, 3, {{"frobnicate", int64_t{1}}});
  EXPECT_THAT(compile_error(unknown),
              HasSubstr("node 'conv7' (QConv): unsupported attribute 'frobnicate'"));
}

TEST(Errors, UnsupportedOpsAndOperands) {
  GraphBuilder soft;
  const auto x = soft.input("x", DType::kF32, {1, 10});
  soft.output(soft.node("Softmax", "sm", {x}));
  EXPECT_THAT(compile_error(soft), HasSubstr("node 'sm' (Softmax): unsupported op 'Softmax'"));

  GraphBuilder add;
  const auto a = add.input("a", DType::kU8, {1, 4, 2, 2});
  const auto c = add.input("c", DType::kU8, {1, 4, 1, 1});
  add.output(add.node("QAdd", "add", {a, c}));
  ir::set_add_params(add.last(), {0, 1, 1, 0, 0, 0, 255});
  EXPECT_THAT(compile_error(add),
              HasSubstr("node 'add' (QAdd): input c has shape [1, 4, 1, 1] but the "
                        "output has [1, 4, 2, 2]; broadcasting adds are not supported"));

  GraphBuilder mm;
  const auto p = mm.input("p", DType::kU8, {2, 3});
  const auto q = mm.input("q", DType::kI8, {3, 4});
  mm.output(mm.node("QMatMul", "mm", {p, q}));
  ir::set_requant(mm.last(), testing::int32_requant(4, rng));
  EXPECT_THAT(compile_error(mm), HasSubstr("node 'mm' (QMatMul): input b 'q' must be a constant"));

  GraphBuilder cat;
  const auto u = cat.input("u", DType::kI32, {1, 2});
  const auto v = cat.input("v", DType::kI32, {1, 2});
  cat.output(cat.node("QConcat", "cat", {u, v},
                      {{"axis", int64_t{1}},
                       {"x_scales", std::vector<float>{1, 1}},
                       {"x_zero_points", std::vector<int64_t>{0, 0}},
                       {"y_scale", 1.0f}}));
  EXPECT_THAT(compile_error(cat), HasSubstr("node 'cat' (QConcat)"));
}

TEST(Errors, RequantModeMustMatchTheHardware) {
  HwConfig hw;
  hw.set("requant.mode=fixed");
  GraphBuilder b;
  const auto x = b.input("x", DType::kU8, {1, 2, 3, 3});
  const auto y = b.node(
      "QConv", "c", {x, b.constant("w", testing::random_tensor(DType::kI8, {2, 2, 1, 1}, rng))});
  ir::Requant rq;
  rq.channels.assign(2, {0, 0.5f, 0, 0, 0, 0, 255, {}});
  ir::set_requant(b.last(), rq);
  b.output(y);
  EXPECT_THAT(compile_error(b, hw),
              HasSubstr("node 'c' (QConv): requantizer mode 'fp32' differs from the "
                        "hardware's requant.mode 'fixed'"));
}

TEST(Errors, InconsistentShapes) {
  GraphBuilder b;
  const auto x = b.input("x", DType::kU8, {1, 3, 8, 8});
  b.output(b.node("QConv", "c",
                  {x, b.constant("w", testing::random_tensor(DType::kI8, {2, 4, 3, 3}, rng))}));
  ir::set_requant(b.last(), testing::int32_requant(2, rng));
  EXPECT_THAT(
      compile_error(b),
      HasSubstr("node 'c' (QConv): weight shape [2, 4, 3, 3] does not match 3 input channels"));
}

// POOL computes PyTorch's average only (docs/requantizer.md 6): the ONNX average (float mean
// over the taps inside the image, e.g. count_include_pad = 0 with padding) is refused. In
// fixed mode the front end gives the pool its fixed parameters; a pool whose mode differs
// from the hardware's is refused.
TEST(Errors, AveragePoolRecipeAndMode) {
  auto pool = [](std::map<std::string, ir::AttrValue> extra) {
    GraphBuilder b;
    const auto x = b.input("x", DType::kU8, {1, 4, 6, 6});
    std::map<std::string, ir::AttrValue> attrs{{"kernel_shape", std::vector<int64_t>{3, 3}},
                                               {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                               {"x_scale", 0.1f},
                                               {"y_scale", 0.1f}};
    attrs.merge(extra);
    b.output(b.node("QAvgPool", "avg", {x}, attrs));
    return b;
  };
  GraphBuilder onnx = pool({{"recipe", std::string("onnx")}});
  EXPECT_THAT(compile_error(onnx),
              AllOf(HasSubstr("node 'avg' (QAvgPool)"), HasSubstr("recipe' value 'onnx'"),
                    HasSubstr("not supported")));
  GraphBuilder qnnpack = pool({{"recipe", std::string("qnnpack")}});
  EXPECT_EQ(compile_error(qnnpack), "");
  HwConfig fixed;
  fixed.set("requant.mode=fixed");
  const compiler::CompileResult r = compiler::compile_graph(qnnpack.g, fixed);
  const ir::Node& n = r.graph.nodes.back();
  EXPECT_EQ(n.attr_string("mode", ""), "fixed");
  // The exact encoding of PyTorch's float scale x_scale / (y_scale * float(3 * 3)).
  const float scale = 0.1f / (0.1f * 9.0f);
  EXPECT_EQ(std::ldexp(static_cast<double>(n.attr_int("mult", 0)),
                       -static_cast<int>(n.attr_int("shift", 0))),
            static_cast<double>(scale));
  GraphBuilder fixed_pool = pool({{"recipe", std::string("qnnpack")},
                                  {"mode", std::string("fixed")},
                                  {"mult", int64_t{1} << 30},
                                  {"shift", int64_t{33}}});
  EXPECT_THAT(compile_error(fixed_pool),
              AllOf(HasSubstr("node 'avg' (QAvgPool)"),
                    HasSubstr("requantizer mode 'fixed' differs from the hardware's "
                              "requant.mode 'fp32'")));
}

}  // namespace
}  // namespace bpusim
