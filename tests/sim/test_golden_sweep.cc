// The SystemC model against the golden reference (golden/ops.h, the oracle) on a sweep of
// random layers — odd sizes that divide neither the array nor the SRAM banks, strides,
// dilations, padding, depthwise, 1x1, in_c split over accumulating CONVs, fused residual
// adds, fp32/fixed/int32 requantization — under three hardware configurations (tiny array
// and SRAM, default, large). Also VADD, POOL max and ARGMAX against their golden ops.
// The seed is printed and settable with BPUSIM_SEED.
#include <cstdlib>

#include "compiler/requant_record.h"
#include "golden/ops.h"
#include "tests/sim/sim_test_util.h"
#include "tests/support/test_seed.h"

namespace bpusim::sim::testing {
namespace {

using bpusim::cat;

uint32_t seed() {
  return static_cast<uint32_t>(bpusim::testing::test_seed());
}

struct Config {
  const char* name;
  std::vector<std::string> sets;
};
const Config kConfigs[] = {
    {"tiny",
     {"mac.rows=4", "mac.cols=5", "vector.lanes=3", "sram.feature.bytes=65536",
      "sram.feature.banks=3", "sram.weight.bytes=65536", "sram.accumulator.bytes=131072",
      "sram.output.bytes=65536", "sram.param.bytes=262144", "requant.pipeline_depth=1",
      "queue.depth=1"}},
    {"default", {}},
    {"large",
     {"mac.rows=64", "mac.cols=64", "vector.lanes=128", "requant.pipeline_depth=9",
      "sram.feature.bytes=1048576", "sram.accumulator.bytes=1048576", "sram.param.bytes=1048576",
      "sram.ports=2"}},
};

HwConfig config(const Config& c) {
  HwConfig hw;
  for (const auto& s : c.sets) hw.set(s);
  hw.validate();
  return hw;
}

struct Rng {
  std::mt19937 gen;
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  bool chance(double p) { return std::bernoulli_distribution(p)(gen); }
};

// NCHW tensor element (n = 0) -> HWC byte offset.
size_t hwc(int64_t c, int64_t y, int64_t x, int64_t h, int64_t w, int64_t channels) {
  (void)h;
  return static_cast<size_t>((y * w + x) * channels + c);
}

Tensor random_bytes_tensor(Rng& rng, DType t, Shape shape) {
  Tensor x(t, std::move(shape));
  for (auto& b : x.bytes()) b = static_cast<std::byte>(rng.uniform(0, 255));
  return x;
}

ir::Requant random_requant(Rng& rng, int64_t channels, bool has_add, int64_t in_c, int64_t taps) {
  ir::Requant rq;
  const int mode = rng.uniform(0, has_add ? 1 : 2);
  rq.mode = mode == 0   ? ir::Stage1Mode::kFp32
            : mode == 1 ? ir::Stage1Mode::kFixed
                        : ir::Stage1Mode::kInt32;
  rq.out_dtype =
      rq.mode == ir::Stage1Mode::kInt32 ? DType::kI32 : (rng.chance(0.5) ? DType::kI8 : DType::kU8);
  rq.has_add = has_add;
  const int32_t lo = rq.out_dtype == DType::kI8 ? -128 : 0,
                hi = rq.out_dtype == DType::kI8 ? 127 : 255;
  // A scale that maps the accumulator's typical magnitude onto ~100 steps.
  const double typical = 128.0 * std::sqrt(static_cast<double>(in_c * taps)) * 128.0 + 1.0;
  for (int64_t c = 0; c < channels; ++c) {
    ir::RequantChannel ch;
    ch.bias = rng.uniform(-20000, 20000);
    const double s = (0.3 + rng.uniform(0, 1000) / 1000.0) * 100.0 / typical;
    ch.scale = static_cast<float>(s);
    int e = 0;
    const double frac = std::frexp(s, &e);  // s = frac * 2^e, frac in [0.5, 1)
    ch.mult = static_cast<int32_t>(std::llround(frac * 2147483648.0));
    if (ch.mult == INT32_MIN) ch.mult = INT32_MAX;
    ch.shift = 31 - e;
    ch.zp = rng.uniform(lo, hi);
    ch.min = rng.chance(0.3) ? ch.zp : lo;  // ReLU sometimes
    ch.max = hi;
    if (has_add) {
      ch.add.add_shift = rng.uniform(18, 22);
      ch.add.add_mult_a = rng.uniform(1 << 17, 1 << 21);
      ch.add.add_mult_b = rng.uniform(1 << 17, 1 << 21);
      ch.add.add_zp = rng.uniform(lo, hi);
      ch.add.add_const =
          -(ch.add.add_mult_a * rng.uniform(0, 128) + ch.add.add_mult_b * rng.uniform(0, 128));
      ch.add.add_min = rng.chance(0.3) ? ch.add.add_zp : lo;
      ch.add.add_max = hi;
    }
    rq.channels.push_back(ch);
  }
  return rq;
}

// One random conv layer: golden conv2d_acc + requantize vs CONV(s) + REQUANT on the model.
void conv_case(Machine& m, Rng& rng, const std::string& label) {
  const bool depthwise = rng.chance(0.2);
  const int64_t k_h = rng.uniform(1, 4), k_w = rng.chance(0.7) ? k_h : rng.uniform(1, 4);
  const int64_t stride = rng.uniform(1, 2), dil = rng.chance(0.8) ? 1 : 2;
  const int64_t pad_t = rng.uniform(0, 2), pad_l = rng.uniform(0, 2);
  const int64_t in_c = depthwise ? rng.uniform(1, 40) : rng.uniform(1, 70);
  const int64_t out_c = depthwise ? in_c : rng.uniform(1, 70);
  const int64_t h = rng.uniform(1, 11), w = rng.uniform(1, 11);
  const int64_t oh = (h + 2 * pad_t - dil * (k_h - 1) - 1) / stride + 1;
  const int64_t ow = (w + 2 * pad_l - dil * (k_w - 1) - 1) / stride + 1;
  if (h + 2 * pad_t < dil * (k_h - 1) + 1 || w + 2 * pad_l < dil * (k_w - 1) + 1) return;
  // Layers that do not fit this configuration's SRAMs are the compiler's to tile: skip them.
  const HwConfig& hw = m.hw();
  if (out_c * k_h * k_w * (depthwise ? 1 : in_c) > hw.weight_sram_bytes ||
      h * w * in_c + oh * ow * out_c + 64 > hw.feature_sram_bytes ||
      oh * ow * out_c * 4 > std::min(hw.acc_sram_bytes, hw.output_sram_bytes))
    return;
  const DType xt = rng.chance(0.5) ? DType::kU8 : DType::kI8;
  const DType wt = rng.chance(0.8) ? DType::kI8 : DType::kU8;
  const int32_t x_zp = xt == DType::kU8 ? rng.uniform(0, 255) : rng.uniform(-128, 127);
  const int32_t w_zp =
      wt == DType::kU8 ? rng.uniform(0, 255) : (rng.chance(0.5) ? 0 : rng.uniform(-128, 127));
  const Tensor x = random_bytes_tensor(rng, xt, {1, in_c, h, w});
  const Tensor wgt = random_bytes_tensor(rng, wt, {out_c, depthwise ? 1 : in_c, k_h, k_w});
  golden::Conv2dGeometry g;
  g.strides = {stride, stride};
  g.pads = {pad_t, pad_l, pad_t, pad_l};
  g.dilations = {dil, dil};
  g.group = depthwise ? in_c : 1;
  const Tensor acc = golden::conv2d_acc(x, x_zp, wgt, w_zp, g, label);
  ASSERT_EQ(acc.dim(2), oh);
  ASSERT_EQ(acc.dim(3), ow);
  const bool has_add = rng.chance(0.3);
  const ir::Requant rq = random_requant(rng, out_c, has_add, depthwise ? 1 : in_c, k_h * k_w);
  const Tensor res =
      random_bytes_tensor(rng, rng.chance(0.5) ? DType::kU8 : DType::kI8, {1, out_c, oh, ow});
  const Tensor want = golden::requantize(acc, 1, rq, has_add ? &res : nullptr, label);

  // Lay the tiles out for the model: input channels split in two chunks (accumulating
  // CONVs) unless depthwise; every tile dense HWC (weights [out_c][k_h][k_w][c]).
  const int64_t chunks = depthwise || in_c == 1 ? 1 : 2;
  const int64_t c0 = (in_c + 1) / 2;
  std::string code;
  uint64_t fa = 0, wa = 0;
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t cb = k * c0, cn = chunks == 1 ? in_c : (k == 0 ? c0 : in_c - c0);
    std::vector<uint8_t> xs(static_cast<size_t>(h * w * cn)), ws;
    const auto xb = reinterpret_cast<const uint8_t*>(x.bytes().data());
    for (int64_t c = 0; c < cn; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t xx = 0; xx < w; ++xx)
          xs[hwc(c, y, xx, h, w, cn)] = xb[((cb + c) * h + y) * w + xx];
    const auto wb = reinterpret_cast<const uint8_t*>(wgt.bytes().data());
    const int64_t wc = depthwise ? 1 : in_c;
    for (int64_t o = 0; o < out_c; ++o)
      for (int64_t ky = 0; ky < k_h; ++ky)
        for (int64_t kx = 0; kx < k_w; ++kx)
          for (int64_t c = 0; c < (depthwise ? 1 : cn); ++c)
            ws.push_back(wb[((o * wc + (depthwise ? 0 : cb + c)) * k_h + ky) * k_w + kx]);
    m.put(Buf::kFeature, fa, xs);
    m.put(Buf::kWeight, wa, ws);
    code += cat("CONV in_addr=", fa, " wgt_addr=", wa, " acc_addr=0 in_h=", h, " in_w=", w,
                " in_c=", cn, " out_h=", oh, " out_w=", ow, " out_c=", out_c, " k_h=", k_h,
                " k_w=", k_w, " stride_h=", stride, " stride_w=", stride, " dil_h=", dil,
                " dil_w=", dil, " pad_t=", pad_t, " pad_l=", pad_l, " depthwise=", depthwise,
                " accumulate=", k > 0, " in_signed=", xt == DType::kI8,
                " wgt_signed=", wt == DType::kI8, " in_zp=", x_zp, " wgt_zp=", w_zp, "\n");
    fa += xs.size();
    wa += ws.size();
  }
  std::vector<isa::ParamRecord> records;
  for (const auto& ch : rq.channels) records.push_back(compiler::param_record(ch));
  m.put_records(0, records);
  const uint64_t res_addr = (fa + 63) / 64 * 64;
  if (has_add) {
    std::vector<uint8_t> rs(static_cast<size_t>(oh * ow * out_c));
    const auto rb = reinterpret_cast<const uint8_t*>(res.bytes().data());
    for (int64_t c = 0; c < out_c; ++c)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx)
          rs[hwc(c, y, xx, oh, ow, out_c)] = rb[(c * oh + y) * ow + xx];
    m.put(Buf::kFeature, res_addr, rs);
  }
  const int out_type = rq.mode == ir::Stage1Mode::kInt32 ? 2 : rq.out_dtype == DType::kI8 ? 1 : 0;
  code +=
      cat("REQUANT acc_addr=0 out_addr=0 prm_addr=0 res_addr=", res_addr, " n_pix=", oh * ow,
          " n_ch=", out_c, " mode=", rq.mode == ir::Stage1Mode::kFixed ? "fixed" : "fp32",
          " out_type=", out_type, " has_res=", has_add, " res_signed=", res.dtype() == DType::kI8,
          " a_signed=", rq.out_dtype == DType::kI8, "\nFINISH\n");
  const runtime::SegmentResult r = m.run(code);
  ASSERT_FALSE(r.fault) << label << ": " << r.fault->message() << "\n" << code;
  const size_t esize = out_type == 2 ? 4 : 1;
  const auto got = m.get(Buf::kOutput, 0, static_cast<size_t>(oh * ow * out_c) * esize);
  for (int64_t c = 0; c < out_c; ++c)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xx = 0; xx < ow; ++xx) {
        const size_t i = hwc(c, y, xx, oh, ow, out_c);
        int64_t v;
        if (esize == 4) {
          int32_t t;
          std::memcpy(&t, got.data() + 4 * i, 4);
          v = t;
        } else {
          v = out_type == 1 ? int64_t{static_cast<int8_t>(got[i])} : int64_t{got[i]};
        }
        const int64_t e = want.as_int((c * oh + y) * ow + xx);
        ASSERT_EQ(v, e) << label << " channel " << c << " y " << y << " x " << xx << "\n" << code;
      }
}

class GoldenSweep : public ::testing::TestWithParam<Config> {};

TEST_P(GoldenSweep, ConvAndRequantMatchGolden) {
  Machine m(config(GetParam()));
  Rng rng{std::mt19937(seed() ^ 0x51ed)};
  for (int i = 0; i < 60; ++i) conv_case(m, rng, cat(GetParam().name, " case ", i));
}

TEST_P(GoldenSweep, VaddPoolArgmaxMatchGolden) {
  Machine m(config(GetParam()));
  Rng rng{std::mt19937(seed() ^ 0xadd)};
  for (int i = 0; i < 30; ++i) {
    const std::string label = cat(GetParam().name, " case ", i);
    // VADD (golden qadd).
    const int64_t n = rng.uniform(1, 500);
    const DType at = rng.chance(0.5) ? DType::kU8 : DType::kI8,
                bt = rng.chance(0.5) ? DType::kU8 : DType::kI8;
    const DType ot = rng.chance(0.5) ? DType::kU8 : DType::kI8;
    const Tensor a = random_bytes_tensor(rng, at, {n}), b = random_bytes_tensor(rng, bt, {n});
    ir::Requant rq = random_requant(rng, 1, true, 1, 1);
    ir::AddParams p = rq.channels[0].add;
    if (ot == DType::kI8) {
      p.add_zp = rng.uniform(-128, 127);
      p.add_min = -128;
      p.add_max = 127;
    } else {
      p.add_zp = rng.uniform(0, 255);
      p.add_min = 0;
      p.add_max = 255;
    }
    rq.channels[0].add = p;
    const Tensor want = golden::qadd(a, b, p, ot, label);
    m.put(Buf::kFeature, 0,
          std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(a.bytes().data()),
                               reinterpret_cast<const uint8_t*>(a.bytes().data()) + n));
    m.put(Buf::kFeature, 0x4000,
          std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(b.bytes().data()),
                               reinterpret_cast<const uint8_t*>(b.bytes().data()) + n));
    m.put_records(0, {compiler::param_record(rq.channels[0])});
    ASSERT_FALSE(m.run(cat("VADD a_addr=0 b_addr=0x4000 out_addr=0 prm_addr=0 n=", n,
                           " a_signed=", at == DType::kI8, " b_signed=", bt == DType::kI8,
                           " out_signed=", ot == DType::kI8, "\nFINISH"))
                     .fault);
    const auto got = m.get(Buf::kOutput, 0, static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j)
      ASSERT_EQ(ot == DType::kI8 ? int64_t{static_cast<int8_t>(got[j])} : int64_t{got[j]},
                want.as_int(j))
          << label << " VADD element " << j;

    // POOL max (golden max_pool), one image [c][h][w] -> HWC.
    const int64_t c = rng.uniform(1, 40), h = rng.uniform(1, 9), w = rng.uniform(1, 9);
    const int64_t k = rng.uniform(1, 3), s = rng.uniform(1, 2), pad = rng.uniform(0, k - 1);
    const int64_t oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
    if (h + 2 * pad >= k && w + 2 * pad >= k) {
      const DType xt = rng.chance(0.5) ? DType::kU8 : DType::kI8;
      const Tensor x = random_bytes_tensor(rng, xt, {1, c, h, w});
      golden::PoolGeometry g;
      g.kernel = {k, k};
      g.strides = {s, s};
      g.pads = {pad, pad, pad, pad};
      const Tensor pw = golden::max_pool(x, g, label);
      std::vector<uint8_t> xs(static_cast<size_t>(c * h * w));
      const auto xb = reinterpret_cast<const uint8_t*>(x.bytes().data());
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t xx = 0; xx < w; ++xx)
            xs[hwc(ch, y, xx, h, w, c)] = xb[(ch * h + y) * w + xx];
      m.put(Buf::kFeature, 0, xs);
      ASSERT_FALSE(m.run(cat("POOL kind=max in_addr=0 out_addr=0 in_h=", h, " in_w=", w, " c=", c,
                             " out_h=", oh, " out_w=", ow, " k_h=", k, " k_w=", k, " stride_h=", s,
                             " stride_w=", s, " pad_t=", pad, " pad_l=", pad,
                             " in_signed=", xt == DType::kI8, "\nFINISH"))
                       .fault);
      const auto got_p = m.get(Buf::kOutput, 0, static_cast<size_t>(oh * ow * c));
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx) {
            const uint8_t v = got_p[hwc(ch, y, xx, oh, ow, c)];
            ASSERT_EQ(xt == DType::kI8 ? int64_t{static_cast<int8_t>(v)} : int64_t{v},
                      pw.as_int((ch * oh + y) * ow + xx))
                << label << " POOL";
          }
      // ARGMAX over channels of every pixel (golden argmax along axis 1).
      const Tensor am = golden::argmax(x, 1, false, false, label);
      ASSERT_FALSE(m.run(cat("ARGMAX in_addr=0 out_addr=0 n=", h * w, " c=", c,
                             " in_signed=", xt == DType::kI8, "\nFINISH"))
                       .fault);
      const auto idx = m.get_i32(Buf::kOutput, 0, static_cast<size_t>(h * w));
      for (int64_t p = 0; p < h * w; ++p) ASSERT_EQ(idx[p], am.as_int(p)) << label << " ARGMAX";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, GoldenSweep, ::testing::ValuesIn(kConfigs),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bpusim::sim::testing
