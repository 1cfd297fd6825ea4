// Tiling property tests: many random shapes on several hardware configurations, each program
// verified by the schedule checker (inside the compiler), executed by the small sequential
// executor and compared with an untiled reference; every output byte is stored exactly once.
#include <gtest/gtest.h>

#include <random>

#include "compiler/compile.h"
#include "compiler/lower/tiling.h"
#include "isa/isa.h"
#include "tests/compiler/graph_builder.h"
#include "tests/compiler/mini_exec.h"
#include "tests/compiler/reference.h"

namespace bpusim {
namespace {

using compiler::compile_graph;
using testing::GraphBuilder;
using testing::MiniExec;

std::vector<std::pair<std::string, HwConfig>> hw_configs() {
  std::vector<std::pair<std::string, HwConfig>> out;
  out.emplace_back("default", HwConfig{});
  HwConfig tiny;
  for (const char* s :
       {"mac.rows=4", "mac.cols=8", "sram.feature.bytes=2048", "sram.weight.bytes=1024",
        "sram.accumulator.bytes=2048", "sram.output.bytes=1024", "sram.param.bytes=1024"})
    tiny.set(s);
  out.emplace_back("tiny", tiny);
  HwConfig odd;
  for (const char* s :
       {"mac.rows=3", "mac.cols=5", "sram.feature.bytes=777", "sram.weight.bytes=500",
        "sram.accumulator.bytes=1000", "sram.output.bytes=300", "sram.param.bytes=640"})
    odd.set(s);
  out.emplace_back("odd", odd);
  HwConfig wide;
  for (const char* s :
       {"mac.rows=16", "mac.cols=64", "sram.feature.bytes=16384", "sram.weight.bytes=16384",
        "sram.accumulator.bytes=16384", "sram.output.bytes=16384"})
    wide.set(s);
  out.emplace_back("wide", wide);
  for (auto& [name, hw] : out) hw.validate();
  return out;
}

// Every byte of `output` stored exactly once, and nothing else stored.
void expect_stored_once(const MiniExec& ex, const isa::Program& prog, const std::string& output) {
  const auto& d = ex.tensor_desc(output);
  const int64_t lo = d["ddr_addr"], hi = lo + d["bytes"].get<int64_t>();
  int64_t inside = 0, outside = 0;
  for (size_t a = 0; a < ex.store_counts().size(); ++a) {
    const int c = ex.store_counts()[a];
    if (static_cast<int64_t>(a) >= lo && static_cast<int64_t>(a) < hi) {
      ASSERT_EQ(c, 1) << "byte " << a - lo << " of " << output << " stored " << c << " times";
      ++inside;
    } else {
      outside += c;
    }
  }
  EXPECT_EQ(inside, hi - lo);
  EXPECT_EQ(outside, 0);
  (void)prog;
}

struct ConvCase {
  int64_t n, c, m, h, w, kh, kw, group;
  testing::ConvParams p;
  DType xt, wt;
};

ConvCase random_conv(std::mt19937& rng) {
  auto r = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  ConvCase k;
  k.n = r(1, 2);
  k.kh = r(1, 5), k.kw = r(1, 5);
  k.p.sh = r(1, 3), k.p.sw = r(1, 3), k.p.dh = r(1, 2), k.p.dw = r(1, 2);
  k.p.pt = r(0, k.kh - 1), k.p.pb = r(0, k.kh - 1), k.p.pl = r(0, k.kw - 1),
  k.p.pr = r(0, k.kw - 1);
  k.h = std::max<int64_t>(r(1, 14), (k.kh - 1) * k.p.dh + 1 - k.p.pt - k.p.pb);
  k.w = std::max<int64_t>(r(1, 14), (k.kw - 1) * k.p.dw + 1 - k.p.pl - k.p.pr);
  switch (r(0, 3)) {
    case 0:  // depthwise
      k.c = k.m = k.group = r(1, 40);
      break;
    case 1:  // grouped
      k.group = r(2, 3);
      k.c = k.group * r(1, 8), k.m = k.group * r(1, 8);
      break;
    default:
      k.group = 1, k.c = r(1, 70), k.m = r(1, 70);
  }
  k.xt = r(0, 1) ? DType::kU8 : DType::kI8;
  k.wt = r(0, 3) ? DType::kI8 : DType::kU8;
  k.p.x_zp = k.xt == DType::kU8 ? r(0, 255) : r(-128, 127);
  k.p.w_zp = k.wt == DType::kU8 ? r(100, 150) : r(-3, 3);
  return k;
}

TEST(Tiling, RandomConvolutionsMatchTheUntiledReference) {
  std::mt19937 rng(1234);
  int64_t accumulating = 0, multi_tile = 0;
  for (const auto& [hw_name, hw] : hw_configs()) {
    for (int iter = 0; iter < 40; ++iter) {
      const ConvCase k = random_conv(rng);
      SCOPED_TRACE(::testing::Message()
                   << hw_name << " case " << iter << ": N" << k.n << " C" << k.c << " M" << k.m
                   << " " << k.h << "x" << k.w << " k" << k.kh << "x" << k.kw << " s" << k.p.sh
                   << "x" << k.p.sw << " d" << k.p.dh << "x" << k.p.dw << " g" << k.group);
      GraphBuilder b;
      const auto x = b.input("x", k.xt, {k.n, k.c, k.h, k.w});
      const Tensor wt = testing::random_tensor(k.wt, {k.m, k.c / k.group, k.kh, k.kw}, rng);
      const auto w = b.constant("w", wt);
      const auto y = b.node("QConv", "conv", {x, w},
                            {{"strides", std::vector<int64_t>{k.p.sh, k.p.sw}},
                             {"dilations", std::vector<int64_t>{k.p.dh, k.p.dw}},
                             {"pads", std::vector<int64_t>{k.p.pt, k.p.pl, k.p.pb, k.p.pr}},
                             {"group", k.group},
                             {"x_zero_point", k.p.x_zp},
                             {"w_zero_point", k.p.w_zp}});
      const ir::Requant rq = testing::int32_requant(k.m, rng);
      ir::set_requant(b.last(), rq);
      b.output(y);
      const auto result = compile_graph(b.g, hw);
      const Tensor xt = testing::random_tensor(k.xt, {k.n, k.c, k.h, k.w}, rng);
      MiniExec ex(result.program, hw);
      ex.set_input("x", xt);
      ex.run();
      std::vector<int32_t> bias;
      for (const auto& c : rq.channels) bias.push_back(c.bias);
      testing::ConvParams p = k.p;
      p.group = k.group;
      ASSERT_EQ(ex.output("conv_out"), testing::reference_conv(xt, wt, bias, p));
      expect_stored_once(ex, result.program, "conv_out");
      int64_t convs = 0;
      for (const auto& inst : result.program.code) {
        const auto o = isa::operands(inst);
        if (o.opcode != static_cast<int64_t>(isa::Opcode::CONV)) continue;
        ++convs;
        accumulating += o.accumulate;
      }
      multi_tile += result.layers.at(0).tiles > 1;
      EXPECT_GT(convs, 0);
    }
  }
  // The shapes and configurations above really exercise the splits.
  EXPECT_GT(accumulating, 10) << "no in_c split happened";
  EXPECT_GT(multi_tile, 40) << "few layers were tiled";
}

}  // namespace
}  // namespace bpusim
