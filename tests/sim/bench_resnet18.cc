// Simulation speed of a whole ResNet-18-shaped network (224x224, 1.8 GMACs) on the SystemC
// model: compiles the canonical graph (compiler::compile_graph), runs it several times with
// sim::run_program and prints the median wall time, simulated cycles and simulated MACs per
// wall second. Optionally (--golden) checks the outputs bit for bit against the golden
// interpreter. Usage: sim_bench_resnet18 [runs] [--golden] [--set key=value ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include "compiler/compile.h"
#include "golden/interpreter.h"
#include "sim/runtime.h"
#include "tests/compiler/graph_builder.h"

namespace bpusim {
namespace {

ir::Graph resnet18(std::mt19937& rng) {
  using testing::GraphBuilder;
  auto conv = [&](GraphBuilder& b, const std::string& name, ir::ValueId x, int64_t c, int64_t m,
                  int64_t k, int64_t s, std::optional<ir::ValueId> res = std::nullopt) {
    std::vector<ir::ValueId> in{
        x, b.constant(name + "_w", testing::random_tensor(DType::kI8, {m, c, k, k}, rng))};
    if (res) in.push_back(*res);
    const auto y = b.node("QConv", name, in,
                          {{"strides", std::vector<int64_t>{s, s}},
                           {"pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2}},
                           {"x_zero_point", int64_t{3}}});
    ir::Requant rq;
    rq.has_add = res.has_value();
    std::uniform_int_distribution<int> bias(-3000, 3000);
    for (int64_t i = 0; i < m; ++i)
      rq.channels.push_back({bias(rng),
                             0.0004f / static_cast<float>(k),
                             0,
                             0,
                             5,
                             5,
                             255,
                             {-(1 << 20) * 5 - (1 << 20) * 3, 1 << 20, 1 << 20, 21, 4, 4, 255}});
    ir::set_requant(b.last(), rq);
    return y;
  };
  GraphBuilder b;
  auto x = b.input("x", DType::kU8, {1, 3, 224, 224});
  x = conv(b, "stem", x, 3, 64, 7, 2);
  x = b.node("QMaxPool", "pool", {x},
             {{"kernel_shape", std::vector<int64_t>{3, 3}},
              {"strides", std::vector<int64_t>{2, 2}},
              {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  int64_t c = 64;
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t m = 64 << stage;
    for (int block = 0; block < 2; ++block) {
      const std::string n = cat("s", stage, "b", block);
      const int64_t s = stage > 0 && block == 0 ? 2 : 1;
      const auto shortcut = s == 2 ? conv(b, n + "_proj", x, c, m, 1, 2) : x;
      const auto h = conv(b, n + "_a", x, c, m, 3, s);
      x = conv(b, n + "_b", h, m, m, 3, 1, shortcut);
      c = m;
    }
  }
  x = b.node("QGlobalAvgPool", "gap", {x}, {{"x_scale", 0.1f}, {"y_scale", 0.1f}});
  x = b.node("Flatten", "flatten", {x});
  const auto fc =
      b.node("QMatMul", "fc",
             {x, b.constant("fc_w", testing::random_tensor(DType::kI8, {512, 1000}, rng))});
  ir::Requant rq;
  rq.channels.assign(1000, {0, 0.001f, 0, 0, 128, 0, 255, {}});
  ir::set_requant(b.last(), rq);
  b.output(fc);
  return b.g;
}

int run(int argc, char** argv) {
  int runs = 5;
  bool golden = false;
  HwConfig hw;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--golden"))
      golden = true;
    else if (!std::strcmp(argv[i], "--set") && i + 1 < argc)
      hw.set(argv[++i]);
    else
      runs = std::max(1, std::atoi(argv[i]));
  }
  hw.validate();
  std::mt19937 rng(18);
  const auto t0 = std::chrono::steady_clock::now();
  const compiler::CompileResult compiled = compiler::compile_graph(resnet18(rng), hw);
  const double compile_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Tensor x(DType::kU8, {1, 3, 224, 224});
  for (auto& v : x.bytes()) v = static_cast<std::byte>(rng());
  const std::map<std::string, Tensor> inputs{{"x", x}};
  sim::RunOptions o;
  o.hw = hw;
  std::vector<double> times;
  sim::ProgramResult r;
  for (int i = 0; i < runs; ++i) {
    const auto a = std::chrono::steady_clock::now();
    r = sim::run_program(compiled.program, inputs, o);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    if (r.fault) {
      std::printf("fault: %s\n", r.fault->message().c_str());
      return 3;
    }
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  std::printf("compile: %.3f s, %zu instructions\n", compile_s, compiled.program.code.size());
  std::printf("simulate: median %.1f ms of %d runs (min %.1f ms)\n", median * 1e3, runs,
              times.front() * 1e3);
  std::printf("simulated cycles: %lld, MACs: %lld, utilisation %.1f%%\n",
              static_cast<long long>(r.cycles), static_cast<long long>(r.counters.macs),
              100.0 * sim::mac_utilisation(r.counters.macs, r.cycles, hw.mac_rows, hw.mac_cols));
  std::printf("simulated MACs per wall second: %.2f G\n", r.counters.macs / median / 1e9);
  if (golden) {
    const auto a = std::chrono::steady_clock::now();
    const golden::RunResult want = golden::run(compiled.graph, inputs);
    std::printf("golden: %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    for (const auto& w : want.outputs) {
      const Tensor& g = r.output(w.name);
      int64_t diff = 0;
      for (int64_t i = 0; i < g.numel(); ++i) diff += g.as_double(i) != w.tensor.as_double(i);
      std::set<double> distinct;
      for (int64_t i = 0; i < g.numel(); ++i) distinct.insert(g.as_double(i));
      std::printf("output %s: %lld of %lld elements differ (%zu distinct values)\n", w.name.c_str(),
                  static_cast<long long>(diff), static_cast<long long>(g.numel()), distinct.size());
      if (diff) return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace bpusim

int main(int argc, char** argv) {
  return bpusim::run(argc, argv);
}
