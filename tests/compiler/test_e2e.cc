// End to end: compile_model -> the runtime (runtime/runtime.h) on the SystemC model vs the golden
// reference run on the compiler's input (golden/model.h: the imported model, or the canonical
// graph the test builds), bit for bit, on several hardware configurations.
#include <gtest/gtest.h>

#include <random>

#include "common/npy.h"
#include "compiler/compile.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"
#include "tests/compiler/graph_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

std::vector<std::pair<std::string, HwConfig>> configs() {
  std::vector<std::pair<std::string, HwConfig>> out{{"default", HwConfig{}}};
  HwConfig small;
  for (const char* s :
       {"mac.rows=4", "mac.cols=8", "sram.feature.bytes=1024", "sram.weight.bytes=512",
        "sram.accumulator.bytes=1024", "sram.output.bytes=512", "sram.param.bytes=512"})
    small.set(s);
  out.emplace_back("small", small);
  return out;
}

// Runs `result` on the SystemC model and `model` (what was compiled) on the golden reference
// and compares every output.
void expect_same(const ir::Graph& model, const compiler::CompileResult& result, const HwConfig& hw,
                 const std::map<std::string, Tensor>& inputs) {
  runtime::RunOptions o;
  o.hw = hw;
  sim::SystemcBackend systemc;
  const runtime::ProgramResult got = runtime::run_program(result.program, inputs, o, systemc);
  ASSERT_FALSE(got.fault.has_value()) << got.fault->message();
  const golden::RunResult want = golden::run_model(model, inputs, golden::options_for(hw));
  ASSERT_EQ(got.outputs.size(), want.outputs.size());
  for (const auto& w : want.outputs) {
    const Tensor& g = got.output(w.name);
    ASSERT_EQ(g.numel(), w.tensor.numel()) << w.name;
    for (int64_t i = 0; i < g.numel(); ++i)
      ASSERT_EQ(g.as_double(i), w.tensor.as_double(i)) << w.name << " element " << i;
  }
}

TEST(CompilerE2E, QOperatorModelMatchesGoldenOnTheSystemCModel) {
  const std::string path = testing::source_dir() + "/tests/compiler/data/qop_net.onnx";
  std::mt19937 rng(5);
  for (const auto& [name, hw] : configs()) {
    SCOPED_TRACE(name);
    const compiler::CompileResult result = compiler::compile_model(path, hw);
    ASSERT_EQ(result.layers.size(), 4u);
    for (int trial = 0; trial < 3; ++trial) {
      Tensor x(DType::kF32, {1, 3, 8, 8});
      std::uniform_real_distribution<float> d(-4.0f, 4.0f);
      for (float& v : x.values<float>()) v = d(rng);
      expect_same(ir::import_onnx(path).graph, result, hw, {{"x", x}});
    }
  }
}

TEST(CompilerE2E, RandomConvolutionsMatchGoldenOnTheSystemCModel) {
  std::mt19937 rng(17);
  auto r = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (const auto& [name, hw] : configs()) {
    for (int iter = 0; iter < 6; ++iter) {
      const int64_t c = r(1, 20), m = r(1, 20), h = r(3, 10), w = r(3, 10), k = r(1, 3);
      const int64_t s = r(1, 2), p = r(0, k - 1);
      const bool depthwise = r(0, 2) == 0;
      const int64_t group = depthwise ? c : 1, mm = depthwise ? c : m;
      SCOPED_TRACE(::testing::Message() << name << " C" << c << " M" << mm << " " << h << "x" << w
                                        << " k" << k << " s" << s << " p" << p << " g" << group);
      testing::GraphBuilder b;
      const auto x = b.input("x", DType::kU8, {1, c, h, w});
      const auto y = b.node(
          "QConv", "conv",
          {x, b.constant("w", testing::random_tensor(DType::kI8, {mm, c / group, k, k}, rng))},
          {{"strides", std::vector<int64_t>{s, s}},
           {"pads", std::vector<int64_t>{p, p, p, p}},
           {"group", group},
           {"x_zero_point", r(0, 255)}});
      ir::Requant rq;
      rq.out_dtype = DType::kU8;
      rq.channels.resize(mm);
      for (auto& ch : rq.channels)
        ch = {static_cast<int32_t>(r(-300, 300)),
              0.003f * r(1, 9),
              0,
              0,
              static_cast<int32_t>(r(0, 255)),
              0,
              255,
              {}};
      ir::set_requant(b.last(), rq);
      b.output(y);
      const compiler::CompileResult result = compiler::compile_graph(b.g, hw);
      expect_same(b.g, result, hw, {{"x", testing::random_tensor(DType::kU8, {1, c, h, w}, rng)}});
    }
  }
}

}  // namespace
}  // namespace bpusim

namespace bpusim {
namespace {

ir::Requant u8_requant(int64_t m, float scale, int32_t zp, bool relu, bool add = false) {
  ir::Requant rq;
  rq.out_dtype = DType::kU8;
  rq.has_add = add;
  rq.channels.assign(m, {0, scale, 0, 0, zp, relu ? zp : 0, 255, {}});
  for (auto& c : rq.channels) {
    c.bias = static_cast<int32_t>((&c - rq.channels.data()) * 37 - 100);
    if (add) c.add = {-643126736, 1747627, 3495254, 22, 125, 125, 255};
  }
  return rq;
}

// Residual block (fused add + relu), max pooling, a standalone add, a clamp, a concat whose
// inputs are stored in place or copied, a linear head and an argmax.
TEST(CompilerE2E, FusedAndVectorOpsMatchGolden) {
  std::mt19937 rng(23);
  testing::GraphBuilder b;
  const auto x = b.input("x", DType::kU8, {1, 8, 12, 12});
  const auto z = b.input("z", DType::kU8, {1, 8, 6, 6});
  auto w = [&](const std::string& n, Shape s) {
    return b.constant(n, testing::random_tensor(DType::kI8, s, rng));
  };
  const auto c1 =
      b.node("QConv", "c1", {x, w("w1", {8, 8, 3, 3})},
             {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"x_zero_point", int64_t{128}}});
  ir::set_requant(b.last(), u8_requant(8, 0.004f, 128, true));
  const auto c2 =
      b.node("QConv", "c2", {c1, w("w2", {8, 8, 3, 3}), x},
             {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"x_zero_point", int64_t{128}}});
  ir::set_requant(b.last(), u8_requant(8, 0.003f, 128, false, true));
  const auto p = b.node(
      "QMaxPool", "pool", {c2},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  const auto s = b.node("QAdd", "add", {p, z});
  ir::set_add_params(b.last(), {-643126736, 1747627, 3495254, 22, 125, 0, 255});
  const auto r = b.node("QClamp", "relu", {s}, {{"min", int64_t{125}}, {"max", int64_t{255}}});
  const auto c3 =
      b.node("QConv", "c3", {r, w("w3", {4, 8, 1, 1})}, {{"x_zero_point", int64_t{125}}});
  ir::set_requant(b.last(), u8_requant(4, 0.01f, 100, false));
  const auto cat = b.node("QConcat", "cat", {c3, z},
                          {{"axis", int64_t{1}},
                           {"x_scales", std::vector<float>{0.5f, 0.5f}},
                           {"x_zero_points", std::vector<int64_t>{100, 100}},
                           {"y_scale", 0.5f},
                           {"y_zero_point", int64_t{100}}});
  const auto flat = b.node("Flatten", "flat", {cat});
  const auto fc =
      b.node("QMatMul", "fc", {flat, w("wf", {12 * 36, 10})}, {{"a_zero_point", int64_t{100}}});
  ir::set_requant(b.last(), u8_requant(10, 0.002f, 128, false));
  b.output(fc);
  b.output(b.node("ArgMax", "am", {fc}, {{"axis", int64_t{1}}}));
  for (const auto& [name, hw] : configs()) {
    SCOPED_TRACE(name);
    const compiler::CompileResult result = compiler::compile_graph(b.g, hw);
    for (int trial = 0; trial < 2; ++trial)
      expect_same(b.g, result, hw,
                  {{"x", testing::random_tensor(DType::kU8, {1, 8, 12, 12}, rng)},
                   {"z", testing::random_tensor(DType::kU8, {1, 8, 6, 6}, rng)}});
  }
}

// QMul -> VMUL: equal shapes, and a per-channel gate [N, C, 1, 1] first and second, over an
// NHWC conv output (one run per image, b_period = C) and an NCHW graph input (one run per
// channel plane); both requantizer modes.
TEST(CompilerE2E, ProductsAndGatesMatchGolden) {
  std::mt19937 rng(43);
  const Shape big{2, 12, 9, 9}, gate{2, 12, 1, 1};
  for (const char* mode : {"fp32", "fixed"}) {
    for (int variant = 0; variant < 4; ++variant) {
      testing::GraphBuilder b;
      const auto x = b.input("x", DType::kU8, big);
      const auto g = b.input("g", DType::kU8, variant == 0 ? big : gate);
      ir::ValueId full = x;
      if (variant == 3) {  // a conv output: NHWC in DDR
        full = b.node("QConv", "conv",
                      {x, b.constant("w", testing::random_tensor(DType::kI8, {12, 12, 1, 1}, rng))},
                      {{"x_zero_point", int64_t{5}}});
        ir::Requant conv_rq = u8_requant(12, 0.004f, 120, false);
        if (std::string(mode) == "fixed") {
          conv_rq.mode = ir::Stage1Mode::kFixed;
          for (auto& c : conv_rq.channels) c.mult = 1099511628, c.shift = 38;  // ~0.004
        }
        ir::set_requant(b.last(), conv_rq);
      }
      const std::vector<ir::ValueId> ins =
          variant == 1 ? std::vector<ir::ValueId>{g, full} : std::vector<ir::ValueId>{full, g};
      b.output(b.node("QMul", "mul", ins,
                      {{"a_zero_point", int64_t{7}}, {"b_zero_point", int64_t{130}}}));
      ir::Requant rq;
      rq.mode = std::string(mode) == "fixed" ? ir::Stage1Mode::kFixed : ir::Stage1Mode::kFp32;
      rq.out_dtype = DType::kU8;
      ir::RequantChannel ch;
      ch.scale = 0.0123f;
      ch.mult = 1690519470;  // ~0.0123 * 2^37
      ch.shift = 37;
      ch.zp = 128;
      ch.max = 255;
      rq.channels = {ch};
      ir::set_requant(b.last(), rq);
      for (const auto& [name, hw0] : configs()) {
        SCOPED_TRACE(cat(name, " ", mode, " variant ", variant));
        HwConfig hw = hw0;
        hw.set(cat("requant.mode=", mode));
        const compiler::CompileResult result = compiler::compile_graph(b.g, hw);
        expect_same(b.g, result, hw,
                    {{"x", testing::random_tensor(DType::kU8, big, rng)},
                     {"g", testing::random_tensor(DType::kU8, variant == 0 ? big : gate, rng)}});
      }
    }
  }
}

// A table pair (QLut with tail_table, leaky_relu's form): the elements at memory positions
// >= floor(numel / 64) * 64 take the second table, in NHWC order (after a conv, [2, 3, 7, 9]:
// a 58-element tail) and in row-major order (after a linear layer, [6, 63]); chunks on the
// small configuration cross the split.
TEST(CompilerE2E, LookupTablePairSplitsAtTheVectorizedPart) {
  std::mt19937 rng(47);
  for (const bool conv : {true, false}) {
    testing::GraphBuilder b;
    const Shape shape = conv ? Shape{2, 3, 7, 9} : Shape{6, 21};
    const auto x = b.input("x", DType::kU8, shape);
    const ir::ValueId in =
        conv ? b.node("QConv", "conv",
                      {x, b.constant("w", testing::random_tensor(DType::kI8, {3, 3, 1, 1}, rng))},
                      {{"x_zero_point", int64_t{9}}})
             : b.node("QMatMul", "fc",
                      {x, b.constant("w", testing::random_tensor(DType::kI8, {21, 63}, rng))},
                      {{"a_zero_point", int64_t{9}}});
    ir::set_requant(b.last(), u8_requant(conv ? 3 : 63, 0.01f, 100, false));
    std::vector<int64_t> head(256), tail(256);
    for (int64_t i = 0; i < 256; ++i) head[i] = (i * 31 + 7) % 256, tail[i] = 255 - head[i];
    b.output(b.node("QLut", "leaky", {in},
                    {{"table", head},
                     {"tail_table", tail},
                     {"memory_order", std::string(conv ? "nhwc" : "nchw")}}));
    for (const auto& [name, hw] : configs()) {
      SCOPED_TRACE(cat(name, conv ? " nhwc" : " row-major"));
      const compiler::CompileResult result = compiler::compile_graph(b.g, hw);
      expect_same(b.g, result, hw, {{"x", testing::random_tensor(DType::kU8, shape, rng)}});
    }
  }
}

// A table lookup (QLut -> VLUT) over a tensor larger than one SRAM chunk on the small
// configuration, uint8 and int8 inputs, a table with every output value.
TEST(CompilerE2E, LookupTableMatchesGolden) {
  std::mt19937 rng(41);
  for (const DType in : {DType::kU8, DType::kI8}) {
    testing::GraphBuilder b;
    const auto x = b.input("x", in, {1, 24, 20, 20});
    std::vector<int64_t> table(256);
    for (int64_t i = 0; i < 256; ++i) table[i] = (i * 97 + 11) % 256 - 128;
    b.output(b.node("QLut", "lut", {x}, {{"table", table}, {"out_dtype", std::string("int8")}}));
    for (const auto& [name, hw] : configs()) {
      SCOPED_TRACE(name + " " + std::string(dtype_name(in)));
      const compiler::CompileResult result = compiler::compile_graph(b.g, hw);
      expect_same(b.g, result, hw, {{"x", testing::random_tensor(in, {1, 24, 20, 20}, rng)}});
    }
  }
}

// A rescaled concat under each recipe (VREQ routes div, mul, and fma for the first
// floor(C / 8) * 8 channels + mul for the rest), inputs with 13 and 6 channels behind a conv
// (NHWC) and straight from the model input (NCHW), near-tie scales (y = 2 * x).
TEST(CompilerE2E, ConcatRecipesMatchGolden) {
  std::mt19937 rng(31);
  for (const char* recipe : {"onnx", "qnnpack", "qnnpack_channels_last"}) {
    testing::GraphBuilder b;
    const auto x = b.input("x", DType::kU8, {1, 13, 5, 5});
    const auto z = b.input("z", DType::kU8, {1, 6, 5, 5});
    const auto c =
        b.node("QConv", "conv",
               {x, b.constant("w", testing::random_tensor(DType::kI8, {13, 13, 1, 1}, rng))},
               {{"x_zero_point", int64_t{7}}});
    ir::set_requant(b.last(), u8_requant(13, 0.0037f, 120, false));
    b.output(b.node("QConcat", "cat", {c, z},
                    {{"axis", int64_t{1}},
                     {"x_scales", std::vector<float>{0.0173f, 0.0411f}},
                     {"x_zero_points", std::vector<int64_t>{120, 3}},
                     {"y_scale", 0.0346f},
                     {"y_zero_point", int64_t{101}},
                     {"recipe", std::string(recipe)}}));
    for (const auto& [name, hw] : configs()) {
      SCOPED_TRACE(name + " " + recipe);
      const compiler::CompileResult result = compiler::compile_graph(b.g, hw);
      for (int trial = 0; trial < 3; ++trial)
        expect_same(b.g, result, hw,
                    {{"x", testing::random_tensor(DType::kU8, {1, 13, 5, 5}, rng)},
                     {"z", testing::random_tensor(DType::kU8, {1, 6, 5, 5}, rng)}});
    }
  }
}

}  // namespace
}  // namespace bpusim

namespace bpusim {
namespace {

// The first `count` images of an [N, ...] float batch, each as a [1, ...] tensor.
std::vector<Tensor> first_images(const Tensor& batch, int64_t count) {
  Shape one = batch.shape();
  one[0] = 1;
  const int64_t size = numel(one);
  std::vector<Tensor> out;
  for (int64_t k = 0; k < std::min(count, batch.shape()[0]); ++k) {
    Tensor t(DType::kF32, one);
    const auto src = batch.values<float>();
    std::copy(src.begin() + k * size, src.begin() + (k + 1) * size, t.values<float>().begin());
    out.push_back(std::move(t));
  }
  return out;
}

// Every committed PyTorch QAT export (tests/data/models/*, models/digits on a few of its test
// images): the front end, the lowering and the SystemC model against the golden reference's
// model interpreter on the same ONNX file, in both requantizer modes (docs/requantizer.md: average
// pooling and the concat rescale are defined once for both), two configs each.
TEST(CompilerE2E, CommittedPyTorchModelsMatchGolden) {
  const std::string root = testing::source_dir();
  const std::vector<std::string> dirs = testing::committed_model_dirs();
  ASSERT_GE(dirs.size(), 13u);  // the committed models (a guard against an empty listing)
  const std::vector<Tensor> digits = first_images(read_npy(root + "/models/digits/test_x.npy"), 4);
  for (const char* mode : {"fp32", "fixed"}) {
    for (auto [name, hw] : configs()) {
      hw.set(std::string("requant.mode=") + mode);
      for (const std::string& dir : dirs) {
        SCOPED_TRACE(name + " " + mode + " " + dir);
        const std::string path = root + "/" + dir + "/model.onnx";
        const compiler::CompileResult result = compiler::compile_model(path, hw);
        expect_same(ir::import_onnx(path).graph, result, hw,
                    {{"x", read_npy(root + "/" + dir + "/input_x.npy")}});
      }
      SCOPED_TRACE(name + " " + mode + " models/digits");
      const std::string path = root + "/models/digits/model.onnx";
      const compiler::CompileResult result = compiler::compile_model(path, hw);
      const ir::Graph model = ir::import_onnx(path).graph;
      for (const Tensor& x : digits) expect_same(model, result, hw, {{"x", x}});
    }
  }
}

// DDR reuse (docs/compiler.md section 3) moves tensors, never what the program computes:
// every committed export compiled with reuse (the default) and without (what bpusim verify
// runs) gives the same output bits on the SystemC model, and with reuse its tensors need no
// more DDR than its largest live set.
TEST(CompilerE2E, DdrReuseNeedsTheLargestLiveSetAndChangesNoOutputBit) {
  const std::string root = testing::source_dir();
  const HwConfig hw;
  std::vector<std::pair<std::string, Tensor>> cases;
  for (const std::string& dir : testing::committed_model_dirs())
    cases.emplace_back(dir, read_npy(root + "/" + dir + "/input_x.npy"));
  cases.emplace_back("models/digits",
                     first_images(read_npy(root + "/models/digits/test_x.npy"), 1).at(0));
  for (const auto& [dir, x] : cases) {
    SCOPED_TRACE(dir);
    const std::string path = root + "/" + dir + "/model.onnx";
    const compiler::CompileResult reuse = compiler::compile_model(path, hw);
    const compiler::CompileResult own = compiler::compile_model(path, hw, {.ddr_reuse = false});
    EXPECT_EQ(reuse.ddr.tensors, reuse.ddr.peak_live);
    EXPECT_EQ(own.ddr.tensors, own.ddr.no_reuse);
    EXPECT_EQ(reuse.ddr.no_reuse, own.ddr.no_reuse);
    EXPECT_LE(reuse.ddr.tensors, own.ddr.tensors);
    runtime::RunOptions o;
    o.hw = hw;
    sim::SystemcBackend systemc;
    const runtime::ProgramResult a = runtime::run_program(reuse.program, {{"x", x}}, o, systemc);
    const runtime::ProgramResult b = runtime::run_program(own.program, {{"x", x}}, o, systemc);
    ASSERT_FALSE(a.fault || b.fault);
    ASSERT_EQ(a.outputs.size(), b.outputs.size());
    for (size_t i = 0; i < a.outputs.size(); ++i) {
      const Tensor& p = a.outputs[i].tensor;
      const Tensor& q = b.outputs[i].tensor;
      ASSERT_EQ(p.dtype(), q.dtype());
      EXPECT_TRUE(
          std::equal(p.bytes().begin(), p.bytes().end(), q.bytes().begin(), q.bytes().end()))
          << a.outputs[i].name;
    }
  }
}

}  // namespace
}  // namespace bpusim
