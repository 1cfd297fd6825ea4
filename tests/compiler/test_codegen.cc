// Codegen golden tests: small ops compiled for a small hardware configuration must produce
// exactly the assembly in tests/compiler/expected/<name>.s (annotated listing). Regenerate
// with BPUSIM_REGEN=1 after an intended change, and review the diff.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

#include "compiler/compile.h"
#include "compiler/program_builder.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "tests/compiler/graph_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using testing::GraphBuilder;

HwConfig small_hw() {
  HwConfig hw;
  for (const char* s :
       {"mac.rows=8", "mac.cols=8", "sram.feature.bytes=4096", "sram.weight.bytes=2048",
        "sram.accumulator.bytes=4096", "sram.output.bytes=2048", "sram.param.bytes=2048"})
    hw.set(s);
  return hw;
}

ir::Requant fp32_requant(int64_t channels, bool relu, bool add = false) {
  ir::Requant rq;
  rq.out_dtype = DType::kU8;
  rq.has_add = add;
  rq.channels.assign(channels, {});
  for (auto& c : rq.channels) {
    c.scale = 0.01f, c.zp = 3, c.min = relu ? 3 : 0, c.max = 255;
    if (add) c.add = {-10, 3, 5, 2, 4, 4, 255};
  }
  return rq;
}

void check_golden(const std::string& name, const std::function<void(GraphBuilder&)>& build,
                  const HwConfig& hw = small_hw()) {
  GraphBuilder b;
  build(b);
  const auto result = compiler::compile_graph(b.g, hw);
  const std::string text = compiler::listing(result.program);
  const std::string path = testing::source_dir() + "/tests/compiler/expected/" + name + ".s";
  const char* regen = std::getenv("BPUSIM_REGEN");
  if (regen && std::string(regen) == "1") {
    std::ofstream(path) << text;
    return;
  }
  const std::string want = testing::read_text(path);
  ASSERT_FALSE(want.empty()) << path << " is missing; run with BPUSIM_REGEN=1 to create it";
  EXPECT_EQ(text, want) << "the listing of " << name << " changed; if intended, regenerate with "
                        << "BPUSIM_REGEN=1 and review the diff";
  // The listing assembles back to the same code (it is canonical assembler text).
  EXPECT_EQ(isa::assemble(text, path), result.program.code);
}

std::mt19937& rng() {
  static std::mt19937 r(2024);
  return r;
}

ir::ValueId conv(GraphBuilder& b, const std::string& name, ir::ValueId x, int64_t c, int64_t m,
                 int64_t k, std::map<std::string, ir::AttrValue> attrs, const ir::Requant& rq,
                 int64_t group = 1, std::optional<ir::ValueId> residual = std::nullopt) {
  const auto w =
      b.constant(name + "_w", testing::random_tensor(DType::kI8, {m, c / group, k, k}, rng()));
  if (group > 1) attrs["group"] = group;
  std::vector<ir::ValueId> in{x, w};
  if (residual) in.push_back(*residual);
  const auto y = b.node("QConv", name, in, std::move(attrs));
  ir::set_requant(b.last(), rq);
  return y;
}

TEST(Codegen, Conv3x3Pad1Relu) {
  check_golden("conv3x3_pad1_relu", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 3, 6, 6});
    b.output(conv(b, "conv", x, 3, 4, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}},
                  fp32_requant(4, true)));
  });
}

TEST(Codegen, Conv3x3Stride2WithInputChannelSplit) {
  check_golden("conv3x3_s2_cin_split", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 40, 9, 9});
    b.output(
        conv(b, "conv", x, 40, 12, 3,
             {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}},
             fp32_requant(12, false)));
  });
}

TEST(Codegen, Depthwise3x3) {
  check_golden("depthwise3x3", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 8, 7, 7});
    b.output(conv(b, "dw", x, 8, 8, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}},
                  fp32_requant(8, true), 8));
  });
}

TEST(Codegen, LinearInt32PassThrough) {
  check_golden("linear_int32", [](GraphBuilder& b) {
    const auto a = b.input("a", DType::kU8, {2, 40});
    const auto y =
        b.node("QMatMul", "fc",
               {a, b.constant("fc_b", testing::random_tensor(DType::kI8, {40, 10}, rng()))});
    ir::set_requant(b.last(), testing::int32_requant(10, rng()));
    b.output(y);
  });
}

TEST(Codegen, Conv1x1WithFusedResidualAdd) {
  check_golden("conv1x1_residual", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 8, 4, 4});
    const auto r = b.input("r", DType::kU8, {1, 8, 4, 4});
    b.output(conv(b, "conv", x, 8, 8, 1, {}, fp32_requant(8, false, true), 1, r));
  });
}

TEST(Codegen, AddMaxPoolArgMax) {
  check_golden("add_maxpool_argmax", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 4, 8, 8});
    const auto z = b.input("z", DType::kU8, {1, 4, 8, 8});
    const auto s = b.node("QAdd", "add", {x, z});
    ir::set_add_params(b.last(), {-10, 3, 5, 2, 4, 4, 255});
    const auto p = b.node("QMaxPool", "pool", {s},
                          {{"kernel_shape", std::vector<int64_t>{3, 3}},
                           {"strides", std::vector<int64_t>{2, 2}},
                           {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    b.output(b.node("ArgMax", "argmax", {p}, {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}}));
  });
}

TEST(Codegen, AveragePools) {
  check_golden("avgpools", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 4, 6, 6});
    const auto p = b.node("QAvgPool", "avg", {x},
                          {{"kernel_shape", std::vector<int64_t>{2, 2}},
                           {"strides", std::vector<int64_t>{2, 2}},
                           {"x_scale", 0.1f},
                           {"y_scale", 0.1f},
                           {"x_zero_point", int64_t{3}},
                           {"y_zero_point", int64_t{3}},
                           {"recipe", std::string("qnnpack")}});
    b.output(b.node("QGlobalAvgPool", "gap", {p},
                    {{"x_scale", 0.1f},
                     {"y_scale", 0.05f},
                     {"x_zero_point", int64_t{3}},
                     {"recipe", std::string("qnnpack")}}));
  });
}

TEST(Codegen, ConcatInPlaceCopiedAndRescaled) {
  check_golden("concat", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 4, 4, 4});
    const auto z = b.input("z", DType::kU8, {1, 3, 4, 4});
    const auto c = conv(b, "conv", x, 4, 5, 1, {}, fp32_requant(5, false));
    b.output(b.node("QConcat", "cat", {c, x, z},
                    {{"axis", int64_t{1}},
                     {"x_scales", std::vector<float>{0.5f, 0.5f, 0.25f}},
                     {"x_zero_points", std::vector<int64_t>{0, 0, 7}},
                     {"y_scale", 0.5f}}));
  });
}

TEST(Codegen, TwoConvolutionsInOneSegment) {
  check_golden("two_convs", [](GraphBuilder& b) {
    const auto x = b.input("x", DType::kU8, {1, 8, 8, 8});
    const auto c1 = conv(b, "conv1", x, 8, 8, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}},
                         fp32_requant(8, true));
    b.output(conv(b, "conv2", c1, 8, 8, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}},
                  fp32_requant(8, true)));
  });
}

}  // namespace
}  // namespace bpusim

namespace bpusim {
namespace {

// A float region, the boundary quantize/dequantize and a BPU region: segments, host ops,
// tensor descriptors and layers as docs/compiler.md describes them; the container
// round-trips.
TEST(Program, SegmentsTensorsLayersAndHostOps) {
  GraphBuilder b;
  const auto x = b.input("x", DType::kF32, {1, 2, 4, 4});
  Tensor wf(DType::kF32, {3, 2, 1, 1});
  for (float& v : wf.values<float>()) v = 0.5f;
  const auto f = b.node("Conv", "float_conv", {x, b.constant("fw", wf)});
  const auto q =
      b.node("Quantize", "quant", {f},
             {{"y_scale", std::vector<float>{0.1f}}, {"y_zero_point", std::vector<int64_t>{128}}});
  const auto c = conv(b, "conv", q, 3, 4, 1, {}, fp32_requant(4, true));
  const auto dq =
      b.node("Dequantize", "dequant", {c},
             {{"x_scale", std::vector<float>{0.2f}}, {"x_zero_point", std::vector<int64_t>{3}}});
  const auto am = b.node("ArgMax", "argmax", {c}, {{"axis", int64_t{1}}});  // after dequant
  b.output(b.node("Relu", "relu", {dq}));
  b.output(am);
  const auto result = compiler::compile_graph(b.g, small_hw());
  const isa::Program& p = result.program;

  // host (Conv, Quantize) | bpu (conv, argmax clustered) | host (Dequantize, Relu)
  using isa::SegmentKind;
  ASSERT_EQ(p.segments.size(), 3u);
  EXPECT_EQ(p.segments[0].kind, SegmentKind::kHost);
  EXPECT_EQ(p.segments[1].kind, SegmentKind::kBpu);
  EXPECT_EQ(p.segments[2].kind, SegmentKind::kHost);
  EXPECT_EQ(p.segments[1].layers, (std::vector<std::string>{"conv", "argmax"}));
  const int64_t end = p.segments[1].code.end;
  EXPECT_EQ(p.segments[1].code.first, 0);
  EXPECT_EQ(end, static_cast<int64_t>(p.code.size()));
  EXPECT_EQ(p.code.back().opcode(), isa::Opcode::FINISH);
  const auto& host0 = p.segments[0].ops;
  ASSERT_EQ(host0.size(), 2u);
  EXPECT_EQ(host0[0].op, isa::HostOpKind::kConv);
  EXPECT_EQ(host0[0].name, "float_conv");
  EXPECT_EQ(host0[0].inputs, (std::vector<std::string>{"x", "fw"}));
  EXPECT_EQ(host0[0].output, "float_conv_out");
  EXPECT_EQ(host0[1].attrs.at("y_zero_point"), isa::HostAttr(std::vector<int64_t>{128}));
  EXPECT_EQ(p.segments[2].ops[1].op, isa::HostOpKind::kRelu);

  std::map<std::string, isa::TensorDesc> tensors;
  for (const auto& t : p.tensors) tensors[t.name] = t;
  using isa::TensorRole;
  EXPECT_EQ(tensors["x"].role, TensorRole::kInput);
  EXPECT_EQ(tensors["x"].layout, isa::TensorLayout::kRowMajor);
  EXPECT_EQ(tensors["fw"].role, TensorRole::kConstant);  // host weights live in WEIGHTS
  const int64_t fw = tensors["fw"].ddr_addr;
  EXPECT_LE(fw + 24, static_cast<int64_t>(p.weights.bytes.size()));
  float first;
  std::memcpy(&first, p.weights.bytes.data() + fw, 4);
  EXPECT_EQ(first, 0.5f);
  EXPECT_EQ(tensors["quant_out"].layout, isa::TensorLayout::kNhwc);
  EXPECT_EQ(tensors["quant_out"].nchw, tensors["quant_out"].shape);
  EXPECT_EQ(tensors["quant_out"].dtype, DType::kU8);
  EXPECT_EQ(tensors["argmax_out"].dtype, DType::kI32);
  EXPECT_EQ(tensors["argmax_out"].ir_dtype, DType::kI64);
  EXPECT_EQ(tensors["argmax_out"].role, TensorRole::kOutput);
  EXPECT_EQ(tensors["relu_out"].role, TensorRole::kOutput);
  for (const auto& [name, t] : tensors) EXPECT_GE(t.ddr_addr, 0) << name;

  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(p.layers[0].name, "conv");
  EXPECT_EQ(p.layers[0].macs, 16 * 3 * 4);
  EXPECT_EQ(p.layers[0].segment, 1);
  EXPECT_EQ(p.layers[1].code.end, end - 1);  // FINISH belongs to no layer
  EXPECT_EQ(p.hw_hash, small_hw().hash());

  EXPECT_EQ(result.warnings.size(), 4u);  // float Conv, Quantize, Dequantize, Relu
  EXPECT_THAT(result.warnings[0],
              ::testing::HasSubstr("node 'float_conv' (Conv) runs on the host"));

  const auto bytes = isa::write_program(p);
  EXPECT_EQ(isa::read_program(bytes, "test"), p);
}

}  // namespace
}  // namespace bpusim
