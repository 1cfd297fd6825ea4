// Tiling property tests: many random shapes on several hardware configurations, each program
// verified by the schedule checker (inside the compiler), executed by the small sequential
// executor and compared with an untiled reference; every output byte is stored exactly once.
#include <gtest/gtest.h>

#include <random>

#include <gmock/gmock.h>
#include "compiler/compile.h"
#include "compiler/lower/tiling.h"
#include "isa/isa.h"
#include "tests/compiler/graph_builder.h"
#include "tests/compiler/mini_exec.h"
#include "tests/compiler/reference_loops.h"
#include "tests/support/test_util.h"

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
  const int64_t lo = d.ddr_addr, hi = lo + d.bytes;
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

// Compiles conv case `k` (weights `wt`, int32 results with `rq`'s biases) for `hw`, runs it on
// the sequential executor with input `xt`, and checks the result against the untiled loop nest
// and that every output byte is stored once.
compiler::CompileResult check_conv_case(const ConvCase& k, const Tensor& wt, const ir::Requant& rq,
                                        const Tensor& xt, const HwConfig& hw) {
  GraphBuilder b;
  const auto x = b.input("x", k.xt, {k.n, k.c, k.h, k.w});
  const auto y = b.node("QConv", "conv", {x, b.constant("w", wt)},
                        {{"strides", std::vector<int64_t>{k.p.sh, k.p.sw}},
                         {"dilations", std::vector<int64_t>{k.p.dh, k.p.dw}},
                         {"pads", std::vector<int64_t>{k.p.pt, k.p.pl, k.p.pb, k.p.pr}},
                         {"group", k.group},
                         {"x_zero_point", k.p.x_zp},
                         {"w_zero_point", k.p.w_zp}});
  ir::set_requant(b.last(), rq);
  b.output(y);
  compiler::CompileResult result = compile_graph(b.g, hw);
  MiniExec ex(result.program, hw);
  ex.set_input("x", xt);
  ex.run();
  std::vector<int32_t> bias;
  for (const auto& c : rq.channels) bias.push_back(c.bias);
  testing::ConvParams p = k.p;
  p.group = k.group;
  EXPECT_EQ(ex.output("conv_out"), testing::reference_conv(xt, wt, bias, p));
  expect_stored_once(ex, result.program, "conv_out");
  return result;
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
      const Tensor wt = testing::random_tensor(k.wt, {k.m, k.c / k.group, k.kh, k.kw}, rng);
      const ir::Requant rq = testing::int32_requant(k.m, rng);
      const Tensor xt = testing::random_tensor(k.xt, {k.n, k.c, k.h, k.w}, rng);
      const auto result = check_conv_case(k, wt, rq, xt, hw);
      if (::testing::Test::HasFailure()) return;
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

namespace bpusim {
namespace {

using compiler::compile_graph;
using testing::GraphBuilder;
using testing::MiniExec;

// out[p][m] = bias[m] + sum_k (a[p][k] - a_zp) * (b[k][m] - b_zp), a given as logical rows.
Tensor reference_matmul(const Tensor& a, const Tensor& b, const std::vector<int32_t>& bias,
                        int64_t a_zp, int64_t b_zp, Shape out_shape) {
  const int64_t k = b.dim(0), m = b.dim(1), rows = a.numel() / k;
  Tensor y(DType::kI32, std::move(out_shape));
  auto out = y.values<int32_t>();
  for (int64_t p = 0; p < rows; ++p)
    for (int64_t j = 0; j < m; ++j) {
      uint32_t acc = static_cast<uint32_t>(bias[j]);
      for (int64_t i = 0; i < k; ++i)
        acc += static_cast<uint32_t>((a.as_int(p * k + i) - a_zp) * (b.as_int(i * m + j) - b_zp));
      out[p * m + j] = static_cast<int32_t>(acc);
    }
  return y;
}

std::vector<int32_t> biases(const ir::Requant& rq) {
  std::vector<int32_t> out;
  for (const auto& c : rq.channels) out.push_back(c.bias);
  return out;
}

TEST(Tiling, LinearLayersWithLargeAndOddSizes) {
  std::mt19937 rng(7);
  for (const auto& [hw_name, hw] : hw_configs()) {
    for (auto [rows, k, m] : std::vector<std::array<int64_t, 3>>{
             {1, 1, 1}, {3, 37, 5}, {2, 300, 70}, {17, 64, 9}, {1, 5000, 3}, {5000, 3, 2}}) {
      SCOPED_TRACE(::testing::Message()
                   << hw_name << " " << rows << "x" << k << " * " << k << "x" << m);
      GraphBuilder b;
      const auto a = b.input("a", DType::kU8, {1, rows, k});
      const Tensor bt = testing::random_tensor(DType::kI8, {k, m}, rng);
      const auto y = b.node("QMatMul", "fc", {a, b.constant("b", bt)},
                            {{"a_zero_point", int64_t{3}}, {"b_zero_point", int64_t{-1}}});
      const ir::Requant rq = testing::int32_requant(m, rng);
      ir::set_requant(b.last(), rq);
      b.output(y);
      const auto result = compile_graph(b.g, hw);
      const Tensor at = testing::random_tensor(DType::kU8, {1, rows, k}, rng);
      MiniExec ex(result.program, hw);
      ex.set_input("a", at);
      ex.run();
      EXPECT_EQ(ex.output("fc_out"), reference_matmul(at, bt, biases(rq), 3, -1, {1, rows, m}));
      expect_stored_once(ex, result.program, "fc_out");
    }
  }
}

TEST(Tiling, FlattenOfAnNhwcTensorFeedsALinearLayerWithPermutedWeights) {
  std::mt19937 rng(11);
  for (const auto& [hw_name, hw] : hw_configs()) {
    SCOPED_TRACE(hw_name);
    GraphBuilder b;
    const auto x = b.input("x", DType::kI8, {2, 3, 4, 5});
    const auto flat = b.node("Flatten", "flatten", {x}, {{"axis", int64_t{1}}});
    const Tensor bt = testing::random_tensor(DType::kI8, {60, 7}, rng);
    const auto y = b.node("QMatMul", "fc", {flat, b.constant("b", bt)});
    const ir::Requant rq = testing::int32_requant(7, rng);
    ir::set_requant(b.last(), rq);
    b.output(y);
    const auto result = compile_graph(b.g, hw);
    const Tensor xt = testing::random_tensor(DType::kI8, {2, 3, 4, 5}, rng);
    MiniExec ex(result.program, hw);
    ex.set_input("x", xt);
    ex.run();
    EXPECT_EQ(ex.output("fc_out"), reference_matmul(xt, bt, biases(rq), 0, 0, {2, 7}));
  }
}

// conv (int8, identity stage 1 in fixed mode) + fused residual add: y = clamp(clamp(acc) + r).
TEST(Tiling, FusedResidualTilesMatchTheirOutputTiles) {
  std::mt19937 rng(5);
  for (auto [hw_name, hw] : hw_configs()) {
    hw.set("requant.mode=fixed");
    SCOPED_TRACE(hw_name);
    GraphBuilder b;
    const int64_t c = 6, m = 10, h = 9, w = 7;
    const auto x = b.input("x", DType::kI8, {1, c, h, w});
    const auto r = b.input("r", DType::kI8, {1, m, h, w});
    const Tensor wt = testing::random_tensor(DType::kI8, {m, c, 3, 3}, rng);
    const auto y = b.node("QConv", "conv", {x, b.constant("w", wt), r},
                          {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    ir::Requant rq;
    rq.mode = ir::Stage1Mode::kFixed;
    rq.out_dtype = DType::kI8;
    rq.has_add = true;
    rq.channels.resize(m);
    for (auto& ch : rq.channels) {
      ch.mult = 1 << 30, ch.shift = 30, ch.min = -128, ch.max = 127;
      ch.add = {0, 1, 1, 0, 0, -128, 127};
    }
    ir::set_requant(b.last(), rq);
    b.output(y);
    const auto result = compile_graph(b.g, hw);
    const Tensor xt = testing::random_tensor(DType::kI8, {1, c, h, w}, rng);
    const Tensor rt = testing::random_tensor(DType::kI8, {1, m, h, w}, rng);
    MiniExec ex(result.program, hw);
    ex.set_input("x", xt);
    ex.set_input("r", rt);
    ex.run();
    testing::ConvParams p;
    p.pt = p.pl = p.pb = p.pr = 1;
    const Tensor acc = testing::reference_conv(xt, wt, std::vector<int32_t>(m, 0), p);
    Tensor want(DType::kI8, {1, m, h, w});
    for (int64_t i = 0; i < acc.numel(); ++i)
      want.values<int8_t>()[i] = static_cast<int8_t>(std::clamp<int64_t>(
          std::clamp<int64_t>(acc.as_int(i), -128, 127) + rt.as_int(i), -128, 127));
    EXPECT_EQ(ex.output("conv_out"), want);
    expect_stored_once(ex, result.program, "conv_out");
  }
}

TEST(Tiling, MaxPoolArgMaxAddClampAndConcat) {
  std::mt19937 rng(3);
  for (const auto& [hw_name, hw] : hw_configs()) {
    SCOPED_TRACE(hw_name);
    GraphBuilder b;
    const auto x = b.input("x", DType::kU8, {1, 5, 11, 13});
    const auto z = b.input("z", DType::kU8, {1, 5, 6, 7});
    const auto pool = b.node("QMaxPool", "pool", {x},
                             {{"kernel_shape", std::vector<int64_t>{3, 3}},
                              {"strides", std::vector<int64_t>{2, 2}},
                              {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    const auto sum = b.node("QAdd", "add", {pool, z});
    ir::set_add_params(b.last(), {0, 1, 1, 0, 0, 0, 255});
    const auto clamp =
        b.node("QClamp", "relu6", {sum}, {{"min", int64_t{10}}, {"max", int64_t{200}}});
    const auto concat = b.node("QConcat", "cat", {clamp, z},
                               {{"axis", int64_t{1}},
                                {"x_scales", std::vector<float>{0.5f, 0.5f}},
                                {"x_zero_points", std::vector<int64_t>{0, 0}},
                                {"y_scale", 0.5f}});
    const auto arg = b.node("ArgMax", "argmax", {concat}, {{"axis", int64_t{1}}});
    b.output(concat);
    b.output(arg);
    const auto result = compile_graph(b.g, hw);
    const Tensor xt = testing::random_tensor(DType::kU8, {1, 5, 11, 13}, rng);
    const Tensor zt = testing::random_tensor(DType::kU8, {1, 5, 6, 7}, rng);
    MiniExec ex(result.program, hw);
    ex.set_input("x", xt);
    ex.set_input("z", zt);
    ex.run();
    // Reference: maxpool 3x3/2 pad 1, saturating add, clamp, concat, argmax over channels.
    Tensor want_cat(DType::kU8, {1, 10, 6, 7});
    Tensor want_arg(DType::kI32, {1, 1, 6, 7});
    for (int64_t oy = 0; oy < 6; ++oy)
      for (int64_t ox = 0; ox < 7; ++ox) {
        int64_t best = -1, best_c = 0;
        for (int64_t c = 0; c < 10; ++c) {
          int64_t v;
          if (c < 5) {
            int64_t mx = 0;
            for (int64_t ky = 0; ky < 3; ++ky)
              for (int64_t kx = 0; kx < 3; ++kx) {
                const int64_t iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy >= 0 && iy < 11 && ix >= 0 && ix < 13)
                  mx = std::max(mx, xt.as_int((c * 11 + iy) * 13 + ix));
              }
            v = std::clamp<int64_t>(std::min<int64_t>(mx + zt.as_int((c * 6 + oy) * 7 + ox), 255),
                                    10, 200);
          } else {
            v = zt.as_int(((c - 5) * 6 + oy) * 7 + ox);
          }
          want_cat.values<uint8_t>()[(c * 6 + oy) * 7 + ox] = static_cast<uint8_t>(v);
          if (v > best) best = v, best_c = c;
        }
        want_arg.values<int32_t>()[oy * 7 + ox] = static_cast<int32_t>(best_c);
      }
    EXPECT_EQ(ex.output("cat_out"), want_cat);
    EXPECT_EQ(ex.output("argmax_out"), want_arg);
  }
}

TEST(Tiling, ConcatInputsFromConvolutionsAreStoredInPlace) {
  std::mt19937 rng(9);
  for (const auto& [hw_name, hw] : hw_configs()) {
    SCOPED_TRACE(hw_name);
    GraphBuilder b;
    const auto x = b.input("x", DType::kU8, {1, 4, 6, 5});
    const auto z = b.input("z", DType::kU8, {1, 2, 6, 5});
    std::vector<ir::ValueId> parts;
    std::vector<Tensor> weights;
    for (int i = 0; i < 2; ++i) {
      weights.push_back(testing::random_tensor(DType::kI8, {3 + i, 4, 1, 1}, rng));
      parts.push_back(b.node("QConv", cat("conv", i), {x, b.constant(cat("w", i), weights.back())},
                             {{"x_zero_point", int64_t{128}}}));
      ir::Requant rq;  // fp32 scale 1: the output is the accumulator clamped to uint8
      rq.out_dtype = DType::kU8;
      rq.channels.assign(3 + i, {0, 1.0f, 0, 0, 0, 0, 255, {}});
      ir::set_requant(b.last(), rq);
    }
    parts.push_back(z);  // a graph input cannot be written in place: it is copied
    b.node("QConcat", "cat", parts,
           {{"axis", int64_t{1}},
            {"x_scales", std::vector<float>{0.25f, 0.25f, 0.25f}},
            {"x_zero_points", std::vector<int64_t>{0, 0, 0}},
            {"y_scale", 0.25f}});
    b.output(b.g.find("cat_out"));
    const auto result = compile_graph(b.g, hw);
    EXPECT_THAT(result.layers.back().op, ::testing::HasSubstr("2 in place, 1 copied, 0 rescaled"));
    const Tensor xt = testing::random_tensor(DType::kU8, {1, 4, 6, 5}, rng);
    const Tensor zt = testing::random_tensor(DType::kU8, {1, 2, 6, 5}, rng);
    MiniExec ex(result.program, hw);
    ex.set_input("x", xt);
    ex.set_input("z", zt);
    ex.run();
    Tensor want(DType::kU8, {1, 9, 6, 5});
    testing::ConvParams p;
    p.x_zp = 128;
    int64_t ch = 0;
    for (int i = 0; i < 2; ++i) {
      const Tensor acc = testing::reference_conv(xt, weights[i], std::vector<int32_t>(3 + i, 0), p);
      for (int64_t e = 0; e < acc.numel(); ++e)
        want.values<uint8_t>()[ch * 30 + e] =
            static_cast<uint8_t>(std::clamp<int64_t>(acc.as_int(e), 0, 255));
      ch += 3 + i;
    }
    for (int64_t e = 0; e < zt.numel(); ++e)
      want.values<uint8_t>()[ch * 30 + e] = zt.values<uint8_t>()[e];
    EXPECT_EQ(ex.output("cat_out"), want);
    expect_stored_once(ex, result.program, "cat_out");
  }
}

}  // namespace
}  // namespace bpusim

namespace bpusim {
namespace {

// A ResNet-18-shaped network at 224x224 (fused residual adds, strided 1x1 projections, max
// and global pooling, a linear head) compiles on the default and the tiny configuration, and
// every schedule passes the checker (inside compile_graph).
TEST(Tiling, ResNet18ShapedNetworkCompiles) {
  std::mt19937 rng(18);
  auto conv = [&](GraphBuilder& b, const std::string& name, ir::ValueId x, int64_t c, int64_t m,
                  int64_t k, int64_t s, std::optional<ir::ValueId> res = std::nullopt) {
    std::vector<ir::ValueId> in{
        x, b.constant(name + "_w", testing::random_tensor(DType::kI8, {m, c, k, k}, rng))};
    if (res) in.push_back(*res);
    const auto y = b.node("QConv", name, in,
                          {{"strides", std::vector<int64_t>{s, s}},
                           {"pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2}}});
    ir::Requant rq;
    rq.has_add = res.has_value();
    rq.channels.assign(m, {0, 0.01f, 0, 0, 0, 0, 255, {0, 1, 1, 0, 0, 0, 255}});
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
  x = b.node("QGlobalAvgPool", "gap", {x},
             {{"x_scale", 0.1f}, {"y_scale", 0.1f}, {"recipe", std::string("qnnpack")}});
  x = b.node("Flatten", "flatten", {x});
  const auto fc =
      b.node("QMatMul", "fc",
             {x, b.constant("fc_w", testing::random_tensor(DType::kI8, {512, 1000}, rng))});
  ir::Requant rq;
  rq.channels.assign(1000, {0, 0.01f, 0, 0, 0, 0, 255, {}});
  ir::set_requant(b.last(), rq);
  b.output(fc);
  for (const auto& [hw_name, hw] : hw_configs()) {
    if (hw_name == "odd") continue;  // 300-byte OUTPUT halves: correct but very many tiles
    SCOPED_TRACE(hw_name);
    const auto result = compile_graph(b.g, hw);
    EXPECT_EQ(result.layers.size(), 23u);
    EXPECT_EQ(result.program.segments.size(), 1u);
    int64_t macs = 0;
    for (const auto& l : result.layers) macs += l.macs;
    EXPECT_EQ(macs, 1814073344);  // ResNet-18's 1.8 GMACs
  }
}

// Pooling tiles and elementwise chunks pipeline (docs/compiler.md 4): whatever FEATURE and
// OUTPUT hold, a layer keeps at least four of them unless one would hold fewer than 1024
// elements, so a larger SRAM never turns the layer into one serial LOAD, op, STORE (issue 15:
// ResNet-18's max pool in one tile with 128 KiB of FEATURE took more cycles than in three).
TEST(Tiling, LargerSramsNeverMergePoolTilesOrChunksIntoOne) {
  compiler::PoolProblem pool;  // ResNet-18's stem max pool at 64x64: 64 x 32 x 32 -> 16 x 16
  pool.c = 64, pool.h = pool.w = 32, pool.oh = pool.ow = 16, pool.kh = pool.kw = 3;
  pool.sh = pool.sw = 2;
  compiler::PoolProblem small = pool;  // 4 x 4 x 4 outputs: too few elements to split
  small.c = 4, small.h = small.w = 8, small.oh = small.ow = 4;
  auto up = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  auto tiles = [&](const compiler::PoolProblem& p, const compiler::PoolTiling& t) {
    return up(p.oh, t.th) * up(p.ow, t.tw) * up(p.c, t.tc);
  };
  auto chunks = [&](int64_t total, const HwConfig& hw) {
    return up(total, compiler::tile_linear(total, 2, hw, "add"));
  };
  for (int64_t bytes : {64 << 10, 128 << 10, 256 << 10, 1 << 20, 4 << 20}) {
    HwConfig hw;
    hw.feature_sram_bytes = hw.output_sram_bytes = bytes;
    SCOPED_TRACE(bytes);
    EXPECT_GE(tiles(pool, compiler::tile_pool(pool, hw, "pool")), 4);
    EXPECT_EQ(tiles(small, compiler::tile_pool(small, hw, "small")), 1);
    EXPECT_GE(chunks(200000, hw), 4);
    EXPECT_EQ(chunks(3000, hw), 3);  // not four: chunks of 1024, evened out to 1000
    EXPECT_EQ(chunks(1000, hw), 1);
  }
}

}  // namespace
}  // namespace bpusim

namespace bpusim {
namespace {

// Convolutions with few input channels (RGB stems) read each output column's kw input pixels
// as one DMA run (runs overlap when the stride is below the kernel width) and run a kh x 1
// kernel over kw*C channels; the edge columns, whose windows reach into the padding, stay
// unfolded. Random stems on every configuration: the same int32 results as the untiled loop
// nest, every output byte stored once, and the fold really taken (CONVs with k_w = 1 over
// more than C channels) in most cases, edge columns included.
TEST(Tiling, FewChannelConvolutionsFoldTheKernelWidthIntoChannels) {
  std::mt19937 rng(77);
  auto r = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int64_t folded = 0, with_edges = 0, cases = 0;
  for (const auto& [hw_name, hw] : hw_configs()) {
    for (int iter = 0; iter < 12; ++iter, ++cases) {
      ConvCase k;
      k.n = r(1, 2), k.c = r(1, 4), k.m = r(1, 40), k.group = 1;
      k.kh = r(1, 7), k.kw = r(2, 7);
      k.p.sh = r(1, 2), k.p.sw = r(1, 3), k.p.dh = r(1, 2), k.p.dw = 1;
      k.p.pt = r(0, k.kh / 2), k.p.pb = k.p.pt, k.p.pl = r(0, k.kw / 2), k.p.pr = r(0, k.kw / 2);
      k.h = r(std::max<int64_t>(1, (k.kh - 1) * k.p.dh + 1 - 2 * k.p.pt), 20);
      k.w = r(k.kw + 2, 40);
      k.xt = r(0, 1) ? DType::kU8 : DType::kI8;
      k.wt = DType::kI8;
      k.p.x_zp = k.xt == DType::kU8 ? r(0, 255) : r(-128, 127);
      k.p.w_zp = r(-3, 3);
      SCOPED_TRACE(::testing::Message()
                   << hw_name << " case " << iter << ": N" << k.n << " C" << k.c << " M" << k.m
                   << " " << k.h << "x" << k.w << " k" << k.kh << "x" << k.kw << " s" << k.p.sh
                   << "x" << k.p.sw << " pads " << k.p.pt << "," << k.p.pl << "," << k.p.pr);
      const Tensor wt = testing::random_tensor(k.wt, {k.m, k.c, k.kh, k.kw}, rng);
      const ir::Requant rq = testing::int32_requant(k.m, rng);
      const Tensor xt = testing::random_tensor(k.xt, {k.n, k.c, k.h, k.w}, rng);
      const auto result = check_conv_case(k, wt, rq, xt, hw);
      if (::testing::Test::HasFailure()) return;
      bool fold = false, edge = false;
      for (const auto& inst : result.program.code) {
        const auto o = isa::operands(inst);
        if (o.opcode == static_cast<int64_t>(isa::Opcode::CONV)) {
          fold |= o.k_w == 1 && o.in_c > k.c;
          edge |= o.k_w == k.kw;
        }
      }
      EXPECT_EQ(fold, result.layers.at(0).op.find("folded") != std::string::npos);
      folded += fold;
      with_edges += fold && edge;
    }
  }
  EXPECT_GT(folded, cases / 2) << "the fold was rarely taken";
  EXPECT_GT(with_edges, 5) << "no folded layer kept unfolded edge columns";
}

}  // namespace
}  // namespace bpusim
