// End to end: compile_model -> the SystemC runtime (sim/runtime.h) vs the golden interpreter
// on the compiled canonical graph, bit for bit, on several hardware configurations.
#include <gtest/gtest.h>

#include <random>

#include "compiler/compile.h"
#include "golden/interpreter.h"
#include "sim/runtime.h"
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

// Runs `result` on the SystemC model and the golden interpreter and compares every output.
void expect_same(const compiler::CompileResult& result, const HwConfig& hw,
                 const std::map<std::string, Tensor>& inputs) {
  sim::RunOptions o;
  o.hw = hw;
  const sim::ProgramResult got = sim::run_program(result.program, inputs, o);
  ASSERT_FALSE(got.fault.has_value()) << got.fault->message();
  const golden::RunResult want = golden::run(result.graph, inputs);
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
      expect_same(result, hw, {{"x", x}});
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
      expect_same(result, hw, {{"x", testing::random_tensor(DType::kU8, {1, c, h, w}, rng)}});
    }
  }
}

}  // namespace
}  // namespace bpusim
