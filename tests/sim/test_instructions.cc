// Every instruction on the SystemC model against values derived from first principles: a
// direct loop over the ISA's formula in the test (CONV), the worked examples of
// docs/requantizer.md (REQUANT, VADD), or numbers small enough to derive by hand.
#include <cmath>
#include <cstring>

#include "tests/sim/sim_test_util.h"

namespace bpusim::sim::testing {
namespace {

// Every test runs on both backends: the SystemC model and the verilated RTL core.
class Instructions : public BackendTest {};
INSTANTIATE_BACKENDS(Instructions);

using bpusim::cat;
using isa::ParamRecord;

TEST_P(Instructions, LoadGathersA3DStridedRegionIntoDenseSram) {
  Machine m;
  const auto ddr = random_bytes(4096, 7);
  m.put(Buf::kDdr, 0x10000, ddr);
  m.run_ok(R"(
    LOAD buf=FEATURE sram_addr=0x100 dram_addr=0x10003 n0=5 n1=3 n2=2 dram_stride1=0x40 dram_stride2=0x400
    FINISH
  )");
  const auto got = m.get(Buf::kFeature, 0x100, 30);
  for (int i2 = 0; i2 < 2; ++i2)
    for (int i1 = 0; i1 < 3; ++i1)
      for (int i0 = 0; i0 < 5; ++i0)
        EXPECT_EQ(got[(i2 * 3 + i1) * 5 + i0], ddr[3 + i2 * 0x400 + i1 * 0x40 + i0]);
}

TEST_P(Instructions, StoreScattersADenseSramRegionToStridedDdr) {
  Machine m;
  const auto out = random_bytes(24, 8);
  m.put(Buf::kOutput, 0x20, out);
  m.run_ok(R"(
    STORE buf=OUTPUT sram_addr=0x20 dram_addr=0x3000 n0=4 n1=3 n2=2 dram_stride1=0x10 dram_stride2=0x100
    FINISH
  )");
  for (int i2 = 0; i2 < 2; ++i2)
    for (int i1 = 0; i1 < 3; ++i1)
      EXPECT_EQ(m.get(Buf::kDdr, 0x3000 + i2 * 0x100 + i1 * 0x10, 4),
                std::vector<uint8_t>(out.begin() + (i2 * 3 + i1) * 4,
                                     out.begin() + (i2 * 3 + i1) * 4 + 4));
  EXPECT_EQ(m.get(Buf::kDdr, 0x3004, 4), std::vector<uint8_t>(4, 0));  // the gap is untouched
}

// The CONV formula of docs/isa.md as a direct loop.
struct ConvCase {
  int in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride, dil, pad_t, pad_l;
  bool depthwise, in_signed, wgt_signed;
  int in_zp, wgt_zp;
};

std::vector<int32_t> conv_reference(const ConvCase& c, const std::vector<uint8_t>& x,
                                    const std::vector<uint8_t>& w, std::vector<int32_t> acc,
                                    bool accumulate) {
  const auto val = [](uint8_t b, bool s) {
    return s ? int64_t{static_cast<int8_t>(b)} : int64_t{b};
  };
  for (int oy = 0; oy < c.out_h; ++oy)
    for (int ox = 0; ox < c.out_w; ++ox)
      for (int co = 0; co < c.out_c; ++co) {
        int64_t sum = 0;
        for (int ky = 0; ky < c.k_h; ++ky)
          for (int kx = 0; kx < c.k_w; ++kx) {
            const int iy = oy * c.stride - c.pad_t + ky * c.dil;
            const int ix = ox * c.stride - c.pad_l + kx * c.dil;
            if (iy < 0 || iy >= c.in_h || ix < 0 || ix >= c.in_w) continue;
            for (int ci = 0; ci < c.in_c; ++ci) {
              if (c.depthwise && ci != co) continue;
              const size_t wi = c.depthwise ? (co * c.k_h + ky) * c.k_w + kx
                                            : ((co * c.k_h + ky) * c.k_w + kx) * c.in_c + ci;
              sum += (val(x[(iy * c.in_w + ix) * c.in_c + ci], c.in_signed) - c.in_zp) *
                     (val(w[wi], c.wgt_signed) - c.wgt_zp);
            }
          }
        int32_t& a = acc[(oy * c.out_w + ox) * c.out_c + co];
        a = static_cast<int32_t>(static_cast<uint32_t>(accumulate ? a : 0) +
                                 static_cast<uint32_t>(sum));
      }
  return acc;
}

std::string conv_text(const ConvCase& c, bool accumulate) {
  return cat("CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x40 in_h=", c.in_h, " in_w=", c.in_w,
             " in_c=", c.in_c, " out_h=", c.out_h, " out_w=", c.out_w, " out_c=", c.out_c,
             " k_h=", c.k_h, " k_w=", c.k_w, " stride_h=", c.stride, " stride_w=", c.stride,
             " dil_h=", c.dil, " dil_w=", c.dil, " pad_t=", c.pad_t, " pad_l=", c.pad_l,
             " depthwise=", c.depthwise, " accumulate=", accumulate, " in_signed=", c.in_signed,
             " wgt_signed=", c.wgt_signed, " in_zp=", c.in_zp, " wgt_zp=", c.wgt_zp, "\nFINISH\n");
}

void check_conv(const ConvCase& c, bool accumulate, uint32_t seed) {
  Machine m;
  const auto x = random_bytes(size_t(c.in_h) * c.in_w * c.in_c, seed);
  const size_t wn = size_t(c.out_c) * c.k_h * c.k_w * (c.depthwise ? 1 : c.in_c);
  const auto w = random_bytes(wn, seed + 1);
  const size_t an = size_t(c.out_h) * c.out_w * c.out_c;
  std::vector<int32_t> old(an);
  std::mt19937 rng(seed + 2);
  for (auto& v : old) v = static_cast<int32_t>(rng());
  m.put(Buf::kFeature, 0, x);
  m.put(Buf::kWeight, 0, w);
  m.put_i32(Buf::kAcc, 0x40, old);
  m.run_ok(conv_text(c, accumulate));
  EXPECT_EQ(m.get_i32(Buf::kAcc, 0x40, an), conv_reference(c, x, w, old, accumulate))
      << conv_text(c, accumulate);
}

TEST_P(Instructions, ConvDenseWithPaddingStrideDilationAndZeroPoints) {
  check_conv({7, 6, 5, 4, 3, 6, 3, 3, 2, 1, 1, 1, false, false, true, 3, -2}, false, 11);
  check_conv({9, 9, 3, 5, 5, 7, 3, 3, 1, 2, 1, 1, false, true, true, -5, 4}, false, 12);
  check_conv({5, 5, 37, 5, 5, 9, 1, 1, 1, 1, 0, 0, false, false, false, 128, 0}, false, 13);
}

TEST_P(Instructions, ConvAccumulateAddsToTheExistingAccumulators) {
  check_conv({4, 4, 6, 4, 4, 5, 3, 3, 1, 1, 1, 1, false, true, true, 0, 0}, true, 21);
}

TEST_P(Instructions, ConvDepthwise) {
  check_conv({6, 6, 10, 3, 3, 10, 3, 3, 2, 1, 1, 1, true, false, true, 7, 1}, false, 31);
  check_conv({5, 7, 4, 5, 7, 4, 5, 3, 1, 1, 2, 1, true, true, true, -1, 0}, true, 32);
}

TEST_P(Instructions, ConvOddSizesLargerThanTheArray) {
  Machine m0;  // default 32x32 array: 70 input and 33 output channels need several blocks
  check_conv({3, 5, 70, 3, 5, 33, 1, 3, 1, 1, 0, 1, false, false, true, 12, -3}, false, 41);
}

TEST_P(Instructions, ConvAccumulatorWrapsAround) {
  // 1000 + (2^31 - 1000) wraps to -2^31; then adding 255*255 continues from there.
  Machine m;
  m.put(Buf::kFeature, 0, {255});
  m.put(Buf::kWeight, 0, {255});
  m.put_i32(Buf::kAcc, 0x40, {2147483000});
  m.run_ok(conv_text({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false, false, false, 0, 0}, true));
  EXPECT_EQ(m.get_i32(Buf::kAcc, 0x40, 1)[0],
            static_cast<int32_t>(2147483000u + 65025u));  // 2147548025 - 2^32
  EXPECT_LT(m.get_i32(Buf::kAcc, 0x40, 1)[0], 0);
}

ParamRecord relu_u8(float scale, int32_t bias, int32_t zp) {
  ParamRecord r;
  r.bias = bias;
  r.scale = scale;
  r.zp = zp;
  r.min = zp;
  r.max = 255;
  return r;
}

// docs/requantizer.md 9.1: sum 1000, bias 234, scale float(0.05), zp 128, ReLU -> 190.
TEST_P(Instructions, RequantFp32WorkedExample) {
  Machine m;
  m.put_i32(Buf::kAcc, 0, {1000, -5000});
  m.put_records(0, {relu_u8(0.05f, 234, 128), relu_u8(0.05f, 234, 128)});
  m.run_ok(
      "REQUANT acc_addr=0x0 out_addr=0x10 prm_addr=0x0 n_pix=1 n_ch=2 mode=fp32 "
      "out_type=u8\nFINISH");
  // Channel 1: (-5000 + 234) * 0.05 = -238.3 -> -238 + 128 = -110 -> ReLU clamps to 128.
  EXPECT_EQ(m.get(Buf::kOutput, 0x10, 2), (std::vector<uint8_t>{190, 128}));
}

TEST_P(Instructions, RequantFp32TiesGoToEven) {
  Machine m;
  m.put_i32(Buf::kAcc, 0, {5, 7, -5, -7});
  ParamRecord r;
  r.scale = 0.5f;
  r.min = -128;
  r.max = 127;
  m.put_records(0, {r});
  // n_ch = 1, n_pix = 4: every pixel uses the same record.
  m.run_ok(
      "REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 n_pix=4 n_ch=1 mode=fp32 "
      "out_type=i8\nFINISH");
  const auto out = m.get(Buf::kOutput, 0, 4);
  EXPECT_EQ(std::vector<int>(out.begin(), out.end()),
            (std::vector<int>{2, 4, 254, 252}));  // -2, -4
}

TEST_P(Instructions, RequantFixedWorkedExamplesAndTiesAwayFromZero) {
  Machine m;
  m.put_i32(Buf::kAcc, 0, {1234, 3, -1234, -3});
  ParamRecord a;  // mult 0.8 * 2^31, shift 35: scale ~ 0.05
  a.mult = 1717986918;
  a.shift = 35;
  a.min = -128;
  a.max = 127;
  ParamRecord b = a;  // scale 0.5 exactly
  b.mult = 1 << 30;
  b.shift = 31;
  m.put_records(0, {a, b});
  m.run_ok(
      "REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 n_pix=2 n_ch=2 mode=fixed "
      "out_type=i8\nFINISH");
  const auto out = m.get(Buf::kOutput, 0, 4);
  // 1234 -> 62; 3 * 0.5 = 1.5 -> 2; -1234 -> -62; -3 * 0.5 = -1.5 -> -2.
  EXPECT_EQ(static_cast<int8_t>(out[0]), 62);
  EXPECT_EQ(static_cast<int8_t>(out[1]), 2);
  EXPECT_EQ(static_cast<int8_t>(out[2]), -62);
  EXPECT_EQ(static_cast<int8_t>(out[3]), -2);
}

TEST_P(Instructions, RequantInt32PassThroughAddsBiasAndWraps) {
  Machine m;
  m.put_i32(Buf::kAcc, 0, {2147483000, -7});
  ParamRecord r;
  r.bias = 1000;
  m.put_records(0, {r});
  m.run_ok("REQUANT acc_addr=0x0 out_addr=0x8 prm_addr=0x0 n_pix=2 n_ch=1 out_type=i32\nFINISH");
  EXPECT_EQ(m.get_i32(Buf::kOutput, 0x8, 2), (std::vector<int32_t>{-2147483296, 993}));
}

TEST_P(Instructions, RequantSaturatesAndClamps) {
  Machine m;
  m.put_i32(Buf::kAcc, 0, {2147483647, -2147483647 - 1, 100});
  ParamRecord r;
  r.scale = 2.0f;
  r.min = -128;
  r.max = 127;
  ParamRecord relu6 = r;  // clamp [zp=0, 6]
  relu6.scale = 1.0f;
  relu6.min = 0;
  relu6.max = 6;
  m.put_records(0, {r, r, relu6});
  m.run_ok(
      "REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 n_pix=1 n_ch=3 mode=fp32 "
      "out_type=i8\nFINISH");
  const auto out = m.get(Buf::kOutput, 0, 3);
  EXPECT_EQ(static_cast<int8_t>(out[0]), 127);
  EXPECT_EQ(static_cast<int8_t>(out[1]), -128);
  EXPECT_EQ(static_cast<int8_t>(out[2]), 6);
}

// docs/requantizer.md 9.4: a = 190 (the 9.1 result), b = 100 -> 134.
ParamRecord add_params() {
  ParamRecord r = relu_u8(0.05f, 234, 128);
  r.min = 0;
  r.add_shift = 22;
  r.add_mult_a = 1747627;
  r.add_mult_b = 3495254;
  r.add_const = -643126736;
  r.add_zp = 125;
  r.add_min = 0;
  r.add_max = 255;
  return r;
}

TEST_P(Instructions, RequantWithFusedResidualAdd) {
  Machine m;
  m.put_i32(Buf::kAcc, 0, {1000});
  m.put(Buf::kFeature, 0x80, {100});
  m.put_records(0, {add_params()});
  m.run_ok(
      "REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x80 n_pix=1 n_ch=1 mode=fp32 "
      "out_type=u8 has_res=1\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0, 1)[0], 134);
}

TEST_P(Instructions, VaddUsesTheStage2Formula) {
  Machine m;
  m.put(Buf::kFeature, 0x0, {190, 128});
  m.put(Buf::kFeature, 0x100, {100, 120});
  m.put_records(0x40, {add_params()});
  m.run_ok("VADD a_addr=0x0 b_addr=0x100 out_addr=0x0 prm_addr=0x40 n=2\nFINISH");
  // (128, 120) are both zero points: the real sum is 0 -> add_zp 125.
  EXPECT_EQ(m.get(Buf::kOutput, 0, 2), (std::vector<uint8_t>{134, 125}));
}

TEST_P(Instructions, VreqRequantizesToAnotherScale) {
  Machine m;
  m.put(Buf::kFeature, 0, {0, 10, 200, 255});
  ParamRecord r;  // (x - 10) * 0.5 + 100, uint8
  r.scale = 0.5f;
  r.zp = 100;
  r.min = 0;
  r.max = 255;
  m.put_records(0, {r});
  m.run_ok("VREQ in_addr=0x0 out_addr=0x0 prm_addr=0x0 n=4 in_zp=10 mode=fp32\nFINISH");
  // -5 -> 95; 0 -> 100; 95 -> 195; 122.5 -> 122 (half to even) -> 222.
  EXPECT_EQ(m.get(Buf::kOutput, 0, 4), (std::vector<uint8_t>{95, 100, 195, 222}));
}

TEST_P(Instructions, PoolMaxIgnoresPadding) {
  Machine m;
  // 3x3 image, 1 channel, int8, 2x2 windows, stride 2, pad 1: windows see 1, 2, 2, 4 pixels.
  m.put(Buf::kFeature, 0, {0x81, 2, 3, 4, 0xfb, 6, 7, 8, 9});  // -127, ..., -5, ...
  m.run_ok(
      "POOL kind=max in_addr=0x0 out_addr=0x0 in_h=3 in_w=3 c=1 out_h=2 out_w=2 k_h=2 k_w=2 "
      "stride_h=2 stride_w=2 pad_t=1 pad_l=1 in_signed=1\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0, 4), (std::vector<uint8_t>{0x81, 3, 7, 9}));
}

TEST_P(Instructions, PoolAverageSumsAndScalesWithoutDividing) {
  Machine m;
  m.put(Buf::kFeature, 0, {10, 20, 30, 40});  // 2x2, one channel
  ParamRecord r;  // the divisor k_h*k_w = 4 is folded into the scale; zp 0, uint8 range
  r.scale = 0.25f;
  r.max = 255;
  m.put_records(0, {r});
  m.run_ok(
      "POOL kind=avg in_addr=0x0 out_addr=0x0 prm_addr=0x0 in_h=2 in_w=2 c=1 out_h=2 out_w=2 "
      "k_h=2 k_w=2 stride_h=1 stride_w=1 pad_t=1 pad_l=1 in_zp=0\nFINISH");
  // Window sums {10}, {10,20}, {10,30}, {10,20,30,40} (padding adds 0) times 0.25:
  // 2.5 -> 2, 7.5 -> 8, 10, 25 (half to even).
  EXPECT_EQ(m.get(Buf::kOutput, 0, 4), (std::vector<uint8_t>{2, 8, 10, 25}));
}

TEST_P(Instructions, PoolAverageFixedModeUsesMultShift) {
  HwConfig hw;
  hw.set("requant.mode=fixed");
  Machine m(hw);
  m.put(Buf::kFeature, 0, {10, 20, 30, 40});
  ParamRecord r;  // 0.25 = 2^30 * 2^-32; zp 1
  r.mult = 1 << 30;
  r.shift = 32;
  r.zp = 1;
  r.max = 255;
  m.put_records(0, {r});
  m.run_ok(
      "POOL kind=avg in_addr=0x0 out_addr=0x0 prm_addr=0x0 in_h=2 in_w=2 c=1 out_h=2 out_w=2 "
      "k_h=2 k_w=2 stride_h=1 stride_w=1 pad_t=1 pad_l=1 in_zp=0\nFINISH");
  // Half away from zero this time: 2.5 -> 3, 7.5 -> 8, 10, 25; then + 1.
  EXPECT_EQ(m.get(Buf::kOutput, 0, 4), (std::vector<uint8_t>{4, 9, 11, 26}));
}

TEST_P(Instructions, VreqFloatRoutes) {
  Machine m;
  m.put(Buf::kFeature, 0, {0, 10, 13, 255});
  // (x - 10) * 0.5 rescaled to 0.25 by each route: mul (* (1/0.25)), fma, div (/ 0.25).
  for (int32_t route : {1, 2, 3}) {
    ParamRecord r;
    r.route = route;
    r.scale = 0.5f;
    r.rescale_k = route == 3 ? 0.25f : 4.0f;
    r.zp = 3;
    r.max = 255;
    m.put_records(0, {r});
    m.run_ok("VREQ in_addr=0x0 out_addr=0x0 prm_addr=0x0 n=4 in_zp=10 mode=fp32\nFINISH");
    EXPECT_EQ(m.get(Buf::kOutput, 0, 4), (std::vector<uint8_t>{0, 3, 9, 255})) << route;
  }
  ParamRecord bad;
  bad.route = 4;
  m.put_records(0, {bad});
  const runtime::SegmentResult f =
      m.run("VREQ in_addr=0x0 out_addr=0x0 prm_addr=0x0 n=4 mode=fp32");
  ASSERT_TRUE(f.fault.has_value());
  EXPECT_NE(f.fault->message().find("route = 4 is out of range [0, 3]"), std::string::npos)
      << f.fault->message();
}

TEST_P(Instructions, PoolGlobalAverage) {
  Machine m;
  m.put(Buf::kFeature, 0, {1, 100, 2, 101, 3, 102, 6, 104});  // 2x2x2
  ParamRecord r;
  r.scale = 0.25f;  // 1 / (in_h * in_w): POOL does not divide
  r.max = 255;
  m.put_records(0, {r});
  m.run_ok(
      "POOL kind=global_avg in_addr=0x0 out_addr=0x0 prm_addr=0x0 in_h=2 in_w=2 c=2 out_h=1 "
      "out_w=1\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0, 2), (std::vector<uint8_t>{3, 102}));  // 3, 101.75
}

TEST_P(Instructions, ArgmaxReturnsTheFirstMaximum) {
  Machine m;
  m.put(Buf::kFeature, 0, {5, 9, 9, 1, /**/ 0xff, 0x80, 0xfe, 0xff});
  m.run_ok("ARGMAX in_addr=0x0 out_addr=0x8 n=2 c=4 in_signed=1\nFINISH");
  EXPECT_EQ(m.get_i32(Buf::kOutput, 0x8, 2), (std::vector<int32_t>{1, 0}));
}

// VLUT: the 256-byte table at prm_addr (here 0x40: any 64-byte aligned address), indexed by
// the byte (uint8) or the byte + 128 (int8); n not a multiple of the lanes.
TEST_P(Instructions, LookupTableMapsEveryByte) {
  Machine m;
  std::vector<uint8_t> table(256);
  for (int i = 0; i < 256; ++i) table[i] = static_cast<uint8_t>((i * 7 + 3) ^ 0x5a);
  m.put(Buf::kParam, 0x40, table);
  std::vector<uint8_t> in(300);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 13 + 1);
  m.put(Buf::kFeature, 0x10, in);
  for (int is_signed : {0, 1}) {
    m.run_ok(cat("VLUT in_addr=0x10 out_addr=0x20 prm_addr=0x40 n=300 in_signed=", is_signed,
                 "\nFINISH"));
    std::vector<uint8_t> want(in.size());
    for (size_t i = 0; i < in.size(); ++i) want[i] = table[(in[i] + (is_signed ? 128 : 0)) & 0xFF];
    EXPECT_EQ(m.get(Buf::kOutput, 0x20, in.size()), want) << "in_signed=" << is_signed;
  }
  // The table must be 64-byte aligned and inside PARAM: a modeled fault naming prm_addr.
  const runtime::SegmentResult f = m.run("VLUT in_addr=0x0 out_addr=0x0 prm_addr=0x20 n=4");
  ASSERT_TRUE(f.fault.has_value());
  EXPECT_NE(f.fault->message().find("prm_addr"), std::string::npos) << f.fault->message();
}

// VMUL: stage 1 of (a - a_zp) * (b - b_zp); b elementwise, then as a 3-channel gate
// repeating every b_period bytes; fp32 (ties to even) and fixed (ties away) records; int8 b.
TEST_P(Instructions, MultiplyRequantizesTheExactProduct) {
  Machine m;
  m.put(Buf::kFeature, 0x0, {10, 12, 14, 0, 255, 11});
  m.put(Buf::kFeature, 0x40, {3, 5, 7, 0xfe, 1, 200});  // int8 b: 3, 5, 7, -2, 1, -56
  ParamRecord r;
  r.scale = 0.5f;
  r.zp = 100;
  r.max = 255;
  m.put_records(0x0, {r});
  // a - 10 = 0, 2, 4, -10, 245, 1; b - 1 = 2, 4, 6, -3, 0, -57; products 0, 8, 24, 30, 0, -57
  m.run_ok(
      "VMUL a_addr=0x0 b_addr=0x40 out_addr=0x0 prm_addr=0x0 n=6 a_zp=10 b_zp=1 "
      "b_signed=1\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0, 6), (std::vector<uint8_t>{100, 104, 112, 115, 100, 72}));
  // b_period = 3: b = 3, 5, 7, 3, 5, 7 -> b - 1 = 2, 4, 6, 2, 4, 6; products 0, 8, 24, -20, 980, 6
  m.run_ok(
      "VMUL a_addr=0x0 b_addr=0x40 out_addr=0x0 prm_addr=0x0 n=6 a_zp=10 b_zp=1 "
      "b_period=3 b_signed=1\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0, 6), (std::vector<uint8_t>{100, 104, 112, 90, 255, 103}));
  ParamRecord f;  // fixed: scale 0.5 = 2^30 / 2^31, ties away: -57 * 0.5 = -28.5 -> -29
  f.mult = 1 << 30;
  f.shift = 31;
  f.zp = 100;
  f.max = 255;
  m.put_records(0x40, {f});
  m.run_ok(
      "VMUL a_addr=0x0 b_addr=0x40 out_addr=0x0 prm_addr=0x40 n=6 a_zp=10 b_zp=1 "
      "b_signed=1 mode=fixed\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0, 6), (std::vector<uint8_t>{100, 104, 112, 115, 100, 71}));
  const runtime::SegmentResult bad =
      m.run("VMUL a_addr=0x0 b_addr=0x40 out_addr=0x0 prm_addr=0x0 n=6 a_zp=-1 b_zp=1");
  ASSERT_TRUE(bad.fault.has_value());
  EXPECT_NE(bad.fault->message().find("a_zp=-1 is outside the uint8 range"), std::string::npos)
      << bad.fault->message();
}

// VBLEND: four tap vectors, h0 h1 and a weight pair per pixel (c = 2 elements) from PARAM;
// v = h0 (w0 p00 + w1 p01) + h1 (w0 p10 + w1 p11), out = round_half_even(v - in_zp) + in_zp.
TEST_P(Instructions, BlendWeighsFourTaps) {
  Machine m;
  m.put(Buf::kFeature, 0x0, {10, 20, 30, 40, 50, 60, 70, 80, 2, 4, 6, 8, 100, 110, 120, 130});
  const std::vector<float> w{0.5f, 0.5f, 1.0f, 0.0f, 0.25f, 0.75f};
  std::vector<uint8_t> bytes(64, 0);
  std::memcpy(bytes.data(), w.data(), w.size() * 4);
  m.put(Buf::kParam, 0x0, bytes);
  // pixel 0: 0.5 * 10 + 0.5 * 2 = 6, 12; pixel 1: 0.5 * 60 + 0.5 * 91.5 = 75.75, 84.75;
  // minus in_zp 3, rounded, plus 3.
  for (const char* contraction : {"plain", "fma"}) {
    m.run_ok(
        cat("VBLEND in_addr=0x0 out_addr=0x0 prm_addr=0x0 n=4 c=2 n_vec=1 in_zp=3 contraction=",
            contraction, "\nFINISH"));
    EXPECT_EQ(m.get(Buf::kOutput, 0, 4), (std::vector<uint8_t>{6, 12, 76, 85})) << contraction;
  }
  const runtime::SegmentResult bad =
      m.run("VBLEND in_addr=0x0 out_addr=0x0 prm_addr=0x0 n=4 c=3 in_zp=3\nFINISH");
  ASSERT_TRUE(bad.fault.has_value());
  EXPECT_NE(bad.fault->message().find("VBLEND needs c >= 1 dividing n"), std::string::npos)
      << bad.fault->message();
}

// VFADD: (float(a - a_zp) * sa + float(b - b_zp) * sb) * k rounded half to even, plus zp,
// clamped; with contraction=fma the first n_vec elements of each group dequantize with
// fma(s, x, s * -z). Scales 0.1, k = 1 / 0.2 and zero points 200 and 5 make some sums ties
// that the two orders round apart; every byte of a, b repeating every 4 elements.
TEST_P(Instructions, FloatAddFollowsItsContraction) {
  Machine m;
  std::vector<uint8_t> a(1024);  // every byte four times: with b, every pair
  for (int i = 0; i < 1024; ++i) a[i] = static_cast<uint8_t>(i / 4);
  m.put(Buf::kFeature, 0x0, a);
  m.put(Buf::kFeature, 0x800, {7, 130, 255, 0});
  ParamRecord ra, rb;
  ra.scale = 0.1f, ra.rescale_k = 1.0f / 0.2f, ra.zp = 100, ra.min = 0, ra.max = 255;
  rb.scale = 0.1f;
  m.put_records(0x0, {ra, rb});
  auto expected = [&](int i, bool fused) {
    auto d = [fused](int x, int z) {
      return fused ? std::fma(0.1f, static_cast<float>(x), 0.1f * static_cast<float>(-z))
                   : static_cast<float>(x - z) * 0.1f;
    };
    const float v = (d(a[i], 200) + d(std::vector<int>{7, 130, 255, 0}[i % 4], 5)) * ra.rescale_k;
    return static_cast<uint8_t>(std::clamp<long>(std::lrint(v) + 100, 0, 255));
  };
  m.run_ok(
      "VFADD a_addr=0x0 b_addr=0x800 out_addr=0x0 prm_addr=0x0 n=1024 b_period=4 a_zp=200 "
      "b_zp=5 contraction=fma group=8 n_vec=5\nFINISH");
  const std::vector<uint8_t> got = m.get(Buf::kOutput, 0, 1024);
  int orders_differ = 0;
  for (int i = 0; i < 1024; ++i) {
    EXPECT_EQ(got[i], expected(i, i % 8 < 5)) << "element " << i;
    orders_differ += expected(i, true) != expected(i, false);
  }
  EXPECT_GT(orders_differ, 0);  // the data tells the two orders apart
  const runtime::SegmentResult bad =
      m.run("VFADD a_addr=0x0 b_addr=0x800 out_addr=0x0 prm_addr=0x0 n=8 contraction=fma group=0");
  ASSERT_TRUE(bad.fault.has_value());
  EXPECT_NE(bad.fault->message().find("VFADD with contraction=fma needs group >= 1"),
            std::string::npos)
      << bad.fault->message();
}

TEST_P(Instructions, CopyMovesBytesIntoOutput) {
  Machine m;
  const auto data = random_bytes(77, 5);
  m.put(Buf::kWeight, 0x33, data);
  m.run_ok("COPY src_buf=WEIGHT src_addr=0x33 dst_addr=0x101 n=77\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 0x101, 77), data);
}

}  // namespace
}  // namespace bpusim::sim::testing
