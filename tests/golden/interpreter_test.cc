// The golden interpreter on small hand-built graphs (expected values worked out by hand in
// the comments), its error paths, and the consistency of the op table with the kernels.
#include <cmath>
#include <set>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden/interpreter.h"
#include "ir/op_set.h"
#include "tests/support/test_util.h"

namespace bpusim::golden {
namespace {

using bpusim::testing::error_message;
using ::testing::HasSubstr;
using I64s = std::vector<int64_t>;

// Builds graphs tersely.
struct Builder {
  ir::Graph g;

  ir::ValueId input(const std::string& name, DType t, Shape shape) {
    ir::Value v;
    v.name = name;
    v.dtype = t;
    v.shape = std::move(shape);
    v.shape_known = true;
    const ir::ValueId id = g.add_value(v);
    g.inputs.push_back(id);
    return id;
  }
  ir::ValueId constant(const std::string& name, Tensor t) {
    ir::Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.shape_known = true;
    v.constant = std::move(t);
    return g.add_value(v);
  }
  ir::Node& node(const std::string& op, std::vector<ir::ValueId> inputs, const std::string& out,
                 std::map<std::string, ir::AttrValue> attrs = {}) {
    ir::Value v;
    v.name = out;
    ir::Node n;
    n.name = out + "_node";
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {g.add_value(v)};
    n.attrs = std::move(attrs);
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
  }
  ir::ValueId out(const ir::Node& n) { return n.outputs[0]; }
};

template <class T>
std::vector<T> vals(const Tensor& t) {
  return {t.values<T>().begin(), t.values<T>().end()};
}

// x (u8 [1,1,2,2]) -> QConv(w, bias, fp32, per-channel, fused add with r) -> QMaxPool 2x2
// -> Dequantize -> y;  QMaxPool -> ArgMax(axis 1) -> idx.
Builder conv_graph() {
  Builder b;
  const ir::ValueId x = b.input("x", DType::kU8, {1, 1, 2, 2});
  const ir::ValueId r = b.input("r", DType::kU8, {1, 2, 2, 2});
  const ir::ValueId w = b.constant("w", Tensor::from<int8_t>({2, 1, 1, 1}, {2, -1}));
  ir::Node& conv = b.node(ir::op::kQConv, {x, w, r}, "conv",
                          {{"x_zero_point", int64_t{1}}, {"w_zero_point", int64_t{0}}});
  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kFp32;
  rq.out_dtype = DType::kU8;
  rq.has_add = true;
  rq.channels.resize(2);
  // stage 1: ch0 bias 1 scale 0.5 zp 10 ReLU; ch1 scale 1 zp 10 no activation.
  // stage 2: y = round_half_away(((a - 10) + (b - 20)) / 2) + 5.
  const ir::AddParams add{-30, 1, 1, 1, 5, 0, 255};
  rq.channels[0] = {1, 0.5f, 0, 0, 10, 10, 255, add};
  rq.channels[1] = {0, 1.0f, 0, 0, 10, 0, 255, add};
  ir::set_requant(conv, rq);
  const ir::ValueId conv_out = b.out(conv);
  const ir::ValueId pool =
      b.out(b.node(ir::op::kQMaxPool, {conv_out}, "pool", {{"kernel_shape", I64s{2, 2}}}));
  const ir::ValueId y =
      b.out(b.node(ir::op::kDequantize, {pool}, "y",
                   {{"x_scale", std::vector<float>{0.5f}}, {"x_zero_point", I64s{5}}}));
  const ir::ValueId idx = b.out(
      b.node(ir::op::kArgMax, {pool}, "idx", {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}}));
  b.g.outputs = {y, idx};
  return b;
}

std::map<std::string, Tensor> conv_inputs() {
  return {{"x", Tensor::from<uint8_t>({1, 1, 2, 2}, {1, 3, 5, 8})},
          {"r", Tensor::from<uint8_t>({1, 2, 2, 2}, {20, 21, 22, 23, 30, 20, 20, 20})}};
}

TEST(GoldenInterpreter, ConvWithFusedAddPoolDequantizeArgmax) {
  const Builder b = conv_graph();
  const RunResult res = run(b.g, conv_inputs(), {.keep_intermediates = true});
  // x - 1 = {0, 2, 4, 7}. ch0: (2 * v + 1) * 0.5 = 0.5, 2.5, 4.5, 7.5 -> 0, 2, 4, 8 (ties to
  // even) + 10 = {10, 12, 14, 18}; ch1: -v + 10 = {10, 8, 6, 3}.
  // stage 2 with r: ch0 (0+0)/2=0, (2+1)/2=1.5->2, (4+2)/2=3, (8+3)/2=5.5->6, +5;
  //                 ch1 (0+10)/2=5, (-2+0)/2=-1, -2, -3.5->-4, +5.
  ASSERT_EQ(res.intermediates.size(), 4u);
  EXPECT_EQ(res.intermediates[0].name, "conv");
  EXPECT_EQ(vals<uint8_t>(res.intermediates[0].tensor),
            (std::vector<uint8_t>{5, 7, 8, 11, 10, 4, 3, 1}));
  EXPECT_EQ(res.intermediates[1].name, "pool");
  EXPECT_EQ(vals<uint8_t>(res.intermediates[1].tensor), (std::vector<uint8_t>{11, 10}));
  EXPECT_EQ(vals<float>(res.output("y")), (std::vector<float>{3.0f, 2.5f}));
  EXPECT_EQ(res.output("idx").shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(vals<int64_t>(res.output("idx")), (std::vector<int64_t>{0}));
  EXPECT_TRUE(run(b.g, conv_inputs()).intermediates.empty());
}

TEST(GoldenInterpreter, InputErrors) {
  const Builder b = conv_graph();
  auto in = conv_inputs();
  in.erase("r");
  EXPECT_THAT(error_message([&] { run(b.g, in); }), HasSubstr("graph input 'r' was not provided"));
  in = conv_inputs();
  in["x"] = Tensor::from<int8_t>({1, 1, 2, 2}, {1, 3, 5, 8});
  EXPECT_THAT(error_message([&] { run(b.g, in); }),
              HasSubstr("graph input 'x': expected uint8, got int8"));
  in = conv_inputs();
  in["x"] = Tensor::from<uint8_t>({1, 1, 4}, {1, 3, 5, 8});
  EXPECT_THAT(error_message([&] { run(b.g, in); }),
              HasSubstr("expected shape [1, 1, 2, 2], got [1, 1, 4]"));
  in = conv_inputs();
  in["zz"] = Tensor::from<uint8_t>({1}, {1});
  EXPECT_THAT(error_message([&] { run(b.g, in); }), HasSubstr("'zz' is not an input"));
}

TEST(GoldenInterpreter, NodeErrorsNameTheNodeFieldAndValue) {
  auto expect_error = [](auto edit, const std::string& text) {
    Builder b = conv_graph();
    edit(b.g.nodes[0]);
    EXPECT_THAT(error_message([&] { run(b.g, conv_inputs()); }), HasSubstr(text)) << text;
  };
  expect_error([](ir::Node& n) { n.op = "Tanh"; },
               "node 'conv_node' (Tanh): unsupported op 'Tanh'");
  expect_error([](ir::Node& n) { n.attrs["foo"] = int64_t{1}; },
               "node 'conv_node' (QConv): unsupported attribute 'foo'");
  expect_error([](ir::Node& n) { n.attrs.erase("mode"); }, "missing required attribute 'mode'");
  expect_error([](ir::Node& n) { n.attrs["mode"] = int64_t{1}; },
               "attribute 'mode' must be of type string");
  expect_error([](ir::Node& n) { n.attrs["mode"] = std::string("float"); },
               "attribute 'mode' value 'float' is not fp32, fixed or int32");
  expect_error(
      [](ir::Node& n) {
        n.attrs["scale"] = std::vector<float>{0.5f, 0.0f};
      },
      "attribute 'scale' channel 1 value 0 must be finite and > 0");
  expect_error(
      [](ir::Node& n) {
        n.attrs["scale"] = std::vector<float>{0.5f, NAN};
      },
      "attribute 'scale' channel 1 value nan must be finite and > 0");
  expect_error(
      [](ir::Node& n) {
        n.attrs["scale"] = std::vector<float>{1, 2, 3};
      },
      "attribute 'scale' has 3 entries, expected 1 or 2");
  expect_error([](ir::Node& n) { n.attrs["zp"] = I64s{256}; },
               "attribute 'zp' channel 0 value 256 is outside [0, 255]");
  expect_error([](ir::Node& n) { n.attrs["add_shift"] = I64s{32}; },
               "attribute 'add_shift' channel 0 value 32 is outside [0, 31]");
  expect_error([](ir::Node& n) { n.attrs.erase("add_const"); },
               "missing required attribute 'add_const'");
  expect_error([](ir::Node& n) { n.attrs["out_dtype"] = std::string("int32"); },
               "out_dtype int32 does not fit mode fp32");
  expect_error(
      [](ir::Node& n) {
        n.attrs["pads"] = I64s{1, 1};
      },
      "attribute 'pads' must have 4 entries (2-D op), got 2");
  expect_error([](ir::Node& n) { n.attrs["x_zero_point"] = int64_t{-1}; },
               "x_zero_point -1 is outside the range of uint8");
  expect_error([](ir::Node& n) { n.inputs.resize(1); }, "has 1 inputs, expected 2 to 3");
  expect_error(
      [](ir::Node& n) {
        n.attrs["mode"] = std::string("fixed");
        n.attrs["mult"] = I64s{1 << 29};
        n.attrs["shift"] = I64s{31};
      },
      "attribute 'mult' channel 0 value 536870912 must be 0 or in [2^30, 2^31)");
}

TEST(GoldenInterpreter, ClampBoundsAboveMinAreChecked) {
  Builder b = conv_graph();
  b.g.nodes[0].attrs["min"] = I64s{200, 0};
  b.g.nodes[0].attrs["max"] = I64s{100, 255};
  EXPECT_THAT(error_message([&] { run(b.g, conv_inputs()); }),
              HasSubstr("channel 0 min 200 > max 100"));
}

TEST(GoldenInterpreter, QMatMulFixedModeAndPassThrough) {
  Builder b;
  const ir::ValueId a = b.input("a", DType::kI8, {2, 2});
  const ir::ValueId w = b.constant("w", Tensor::from<int8_t>({2, 2}, {1, -2, 3, 4}));
  ir::Node& fixed = b.node(ir::op::kQMatMul, {a, w}, "fixed");
  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kFixed;
  rq.out_dtype = DType::kI8;
  rq.channels.resize(2);
  rq.channels[0] = {0, 0.0f, 1 << 30, 31, 0, -128, 127, {}};  // x 0.5, half away
  rq.channels[1] = {0, 0.0f, 1 << 30, 30, 0, -128, 127, {}};  // x 1
  ir::set_requant(fixed, rq);
  ir::Node& pass = b.node(ir::op::kQMatMul, {a, w}, "pass", {{"a_zero_point", int64_t{-1}}});
  ir::Requant p;
  p.mode = ir::Stage1Mode::kInt32;
  p.out_dtype = DType::kI32;
  p.channels.assign(1, {});
  p.channels[0].bias = 100;
  ir::set_requant(pass, p);
  b.g.outputs = {b.g.nodes[0].outputs[0], b.g.nodes[1].outputs[0]};
  const RunResult res = run(b.g, {{"a", Tensor::from<int8_t>({2, 2}, {1, 0, -1, 1})}});
  // a @ w = [[1, -2], [2, 6]]; ch0 * 0.5 half away: 0.5 -> 1, 1; ch1 * 1: -2, 6.
  EXPECT_EQ(vals<int8_t>(res.output("fixed")), (std::vector<int8_t>{1, -2, 1, 6}));
  // (a + 1) @ w + 100 = [[2, 1], [0, 2]] @ w + 100 = [[105, 100], [106, 108]].
  EXPECT_EQ(vals<int32_t>(res.output("pass")), (std::vector<int32_t>{105, 100, 106, 108}));
}

TEST(GoldenInterpreter, QuantizeQAddQConcatQAvgPoolChain) {
  Builder b;
  const ir::ValueId x = b.input("x", DType::kF32, {1, 1, 1, 2});
  const ir::ValueId q = b.out(b.node(ir::op::kQuantize, {x}, "q",
                                     {{"y_scale", std::vector<float>{0.5f}},
                                      {"y_zero_point", I64s{10}},
                                      {"out_dtype", std::string("uint8")}}));
  ir::Node& add = b.node(ir::op::kQAdd, {q, q}, "sum", {{"out_dtype", std::string("uint8")}});
  ir::set_add_params(add, {-20, 1, 1, 0, 10, 0, 255});  // (a-10)+(b-10)+10
  const ir::ValueId s = b.out(add);
  const ir::ValueId cat = b.out(b.node(ir::op::kQConcat, {q, s}, "cat",
                                       {{"axis", int64_t{1}},
                                        {"x_scales", std::vector<float>{0.5f, 0.5f}},
                                        {"x_zero_points", I64s{10, 10}},
                                        {"y_scale", 1.0f},
                                        {"y_zero_point", int64_t{0}}}));
  const ir::ValueId avg = b.out(b.node(ir::op::kQGlobalAvgPool, {cat}, "avg",
                                       {{"x_scale", 1.0f},
                                        {"x_zero_point", int64_t{0}},
                                        {"y_scale", 1.0f},
                                        {"y_zero_point", int64_t{0}}}));
  b.g.outputs = {s, cat, avg};
  const RunResult res = run(b.g, {{"x", Tensor::from<float>({1, 1, 1, 2}, {1.25f, -3.0f})}});
  // q: 2.5 -> 2 + 10 = 12; -6 + 10 = 4. sum: 2 * (q - 10) + 10 = 14, -2.
  // -2 saturates to 0. cat (scale 1, zp 0): q -> (q - 10) * 0.5 -> 1, -3 -> 0 (uint8 clamp);
  // sum -> 2, -5 -> 0.  avg: (1 + 0) / 2 = 0.5 -> 0; (2 + 0) / 2 = 1.
  EXPECT_EQ(vals<uint8_t>(res.output("sum")), (std::vector<uint8_t>{14, 0}));
  EXPECT_EQ(vals<uint8_t>(res.output("cat")), (std::vector<uint8_t>{1, 0, 2, 0}));
  EXPECT_EQ(vals<uint8_t>(res.output("avg")), (std::vector<uint8_t>{0, 1}));
}

TEST(GoldenInterpreter, FloatHostRegion) {
  Builder b;
  const ir::ValueId x = b.input("x", DType::kF32, {1, 1, 2, 2});
  const ir::ValueId w = b.constant("w", Tensor::from<float>({2, 1, 1, 1}, {1.0f, -1.0f}));
  const ir::ValueId c = b.out(b.node(ir::op::kConv, {x, w}, "c"));
  const ir::ValueId r = b.out(b.node(ir::op::kRelu, {c}, "r"));
  const ir::ValueId shape = b.constant("shape", Tensor::from<int64_t>({2}, {1, -1}));
  const ir::ValueId f = b.out(b.node(ir::op::kReshape, {r, shape}, "f"));
  const ir::ValueId gw = b.constant("gw", Tensor::from<float>({8, 1}, {1, 2, 3, 4, 5, 6, 7, 8}));
  const ir::ValueId y = b.out(b.node(ir::op::kGemm, {f, gw}, "y"));
  b.g.outputs = {y};
  const RunResult res = run(b.g, {{"x", Tensor::from<float>({1, 1, 2, 2}, {1, -2, 3, -4})}});
  // relu(conv) = [1, 0, 3, 0, 0, 2, 0, 4] -> dot [1..8] = 1 + 9 + 12 + 32 = 54.
  EXPECT_EQ(vals<float>(res.output("y")), (std::vector<float>{54.0f}));
}

TEST(GoldenOpSet, EveryOpHasAKernelAndUniqueNames) {
  std::set<std::string_view> names;
  for (const ir::OpDef& d : ir::op_set()) {
    EXPECT_TRUE(has_kernel(d.name)) << d.name;
    EXPECT_TRUE(names.insert(d.name).second) << "duplicate " << d.name;
    std::set<std::string_view> attrs;
    for (const ir::AttrDef& a : d.attrs)
      EXPECT_TRUE(attrs.insert(a.name).second) << d.name << " duplicate attribute " << a.name;
  }
  EXPECT_EQ(ir::find_op("QConv")->group, ir::OpGroup::kQuantized);
  EXPECT_EQ(ir::find_op("QLinearConv"), nullptr);
  EXPECT_FALSE(has_kernel("QLinearConv"));
}

TEST(GoldenOpSet, RequantAttributesRoundTrip) {
  ir::Node n;
  n.name = "n";
  n.op = ir::op::kQConv;
  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kFixed;
  rq.out_dtype = DType::kI8;
  rq.has_add = true;
  rq.channels = {{-5, 0.0f, 1 << 30, 40, -3, -100, 100, {7, 8, 9, 10, 1, -50, 60}},
                 {6, 0.0f, (1 << 30) + 1, 3, 4, -128, 127, {-7, 8, -9, 31, -1, -128, 127}}};
  ir::set_requant(n, rq);
  const ir::Requant back = ir::get_requant(n, 2, true);
  ASSERT_EQ(back.channels.size(), 2u);
  EXPECT_EQ(back.mode, ir::Stage1Mode::kFixed);
  EXPECT_EQ(back.out_dtype, DType::kI8);
  for (size_t c = 0; c < 2; ++c) {
    const auto &a = rq.channels[c], &z = back.channels[c];
    EXPECT_EQ(std::tie(a.bias, a.mult, a.shift, a.zp, a.min, a.max),
              std::tie(z.bias, z.mult, z.shift, z.zp, z.min, z.max));
    EXPECT_EQ(std::tie(a.add.add_const, a.add.add_mult_a, a.add.add_mult_b, a.add.add_shift,
                       a.add.add_zp, a.add.add_min, a.add.add_max),
              std::tie(z.add.add_const, z.add.add_mult_a, z.add.add_mult_b, z.add.add_shift,
                       z.add.add_zp, z.add.add_min, z.add.add_max));
  }
  // A single entry is broadcast to every channel; min/max default to the type range.
  ir::Node one;
  one.name = "one";
  one.op = ir::op::kQConv;
  one.attrs = {{"mode", std::string("fp32")},
               {"scale", std::vector<float>{0.25f}},
               {"out_dtype", std::string("int8")}};
  const ir::Requant b = ir::get_requant(one, 3, false);
  ASSERT_EQ(b.channels.size(), 3u);
  EXPECT_EQ(b.channels[2].scale, 0.25f);
  EXPECT_EQ(b.channels[2].min, -128);
  EXPECT_EQ(b.channels[2].max, 127);
  EXPECT_EQ(b.channels[2].bias, 0);
}

}  // namespace
}  // namespace bpusim::golden
