// The MAC array's bulk CONV kernels (sim/mac_array.h: portable int16, AVX-512 VNNI) against the
// golden reference's conv2d_acc (golden/ops.h, independent code) on random tiles: odd sizes
// that fill no register block, 1x1 to 7x7 kernels, strides, dilations, padding, every
// signedness, zero points at both ends of their range, accumulation onto old values and
// accumulator wrap-around. The VNNI cases are skipped on a CPU without it (and say so).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "golden/ops.h"
#include "sim/mac_array.h"
#include "tests/support/test_seed.h"

namespace bpusim::sim {
namespace {

struct Tile {
  isa::Operands f;
  std::vector<uint8_t> in, wgt;
  std::vector<int32_t> old;  // accumulator before the CONV
};

int64_t pick(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// A zero point of the byte type: half the time an end of the range.
int64_t zero_point(std::mt19937_64& rng, bool is_signed) {
  const int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  switch (pick(rng, 0, 3)) {
    case 0:
      return lo;
    case 1:
      return hi;
    default:
      return pick(rng, lo, hi);
  }
}

Tile random_tile(std::mt19937_64& rng, bool extreme_values) {
  isa::Operands f;
  f.k_h = pick(rng, 1, 7);
  f.k_w = pick(rng, 1, 7);
  f.stride_h = pick(rng, 1, 3);
  f.stride_w = pick(rng, 1, 3);
  f.dil_h = pick(rng, 1, 2);
  f.dil_w = pick(rng, 1, 2);
  f.pad_t = pick(rng, 0, f.k_h - 1);
  f.pad_l = pick(rng, 0, f.k_w - 1);
  f.in_c = pick(rng, 1, 70);
  f.out_c = pick(rng, 1, 75);
  f.out_h = pick(rng, 1, 9);
  f.out_w = pick(rng, 1, 13);
  // Input big enough for every tap of the last output, or cut short so that taps fall off the
  // bottom and right edges too.
  f.in_h = std::max<int64_t>(1, (f.out_h - 1) * f.stride_h + (f.k_h - 1) * f.dil_h + 1 - f.pad_t -
                                    pick(rng, 0, f.k_h - 1));
  f.in_w = std::max<int64_t>(1, (f.out_w - 1) * f.stride_w + (f.k_w - 1) * f.dil_w + 1 - f.pad_l -
                                    pick(rng, 0, f.k_w - 1));
  f.in_signed = pick(rng, 0, 1);
  f.wgt_signed = pick(rng, 0, 1);
  f.in_zp = zero_point(rng, f.in_signed);
  f.wgt_zp = zero_point(rng, f.wgt_signed);
  f.accumulate = pick(rng, 0, 1);
  Tile t;
  t.f = f;
  // Extreme values: every byte at the end of its range farthest from the zero point, so that
  // the products are as large as they get and long sums wrap.
  const auto byte = [&](bool is_signed, int64_t zp) {
    if (!extreme_values) return static_cast<uint8_t>(pick(rng, 0, 255));
    const int64_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    return static_cast<uint8_t>(zp - lo > hi - zp ? lo : hi);
  };
  t.in.resize(static_cast<size_t>(f.in_h * f.in_w * f.in_c));
  for (auto& b : t.in) b = byte(f.in_signed, f.in_zp);
  t.wgt.resize(static_cast<size_t>(f.out_c * f.k_h * f.k_w * f.in_c));
  for (auto& b : t.wgt) b = byte(f.wgt_signed, f.wgt_zp);
  t.old.resize(static_cast<size_t>(f.out_h * f.out_w * f.out_c));
  for (auto& v : t.old) v = static_cast<int32_t>(pick(rng, INT32_MIN, INT32_MAX));
  return t;
}

// Golden's conv2d_acc of the tile (NCHW tensors from the tile's HWC bytes), plus the old
// accumulator when the tile accumulates, in the tile's [out_h][out_w][out_c] order.
std::vector<int32_t> golden_conv(const Tile& t) {
  const isa::Operands& f = t.f;
  const DType xt = f.in_signed ? DType::kI8 : DType::kU8;
  const DType wt = f.wgt_signed ? DType::kI8 : DType::kU8;
  Tensor x(xt, {1, f.in_c, f.in_h, f.in_w});
  for (int64_t c = 0; c < f.in_c; ++c)
    for (int64_t i = 0; i < f.in_h * f.in_w; ++i)
      x.bytes()[c * f.in_h * f.in_w + i] = std::byte{t.in[i * f.in_c + c]};
  Tensor w(wt, {f.out_c, f.in_c, f.k_h, f.k_w});
  for (int64_t m = 0; m < f.out_c; ++m)
    for (int64_t tap = 0; tap < f.k_h * f.k_w; ++tap)
      for (int64_t c = 0; c < f.in_c; ++c)
        w.bytes()[(m * f.in_c + c) * f.k_h * f.k_w + tap] =
            std::byte{t.wgt[(m * f.k_h * f.k_w + tap) * f.in_c + c]};
  golden::Conv2dGeometry g;
  g.strides = {f.stride_h, f.stride_w};
  g.dilations = {f.dil_h, f.dil_w};
  // Bottom/right padding: whatever makes ONNX's output size the tile's.
  const int64_t pad_b = (f.out_h - 1) * f.stride_h + (f.k_h - 1) * f.dil_h + 1 - f.in_h - f.pad_t;
  const int64_t pad_r = (f.out_w - 1) * f.stride_w + (f.k_w - 1) * f.dil_w + 1 - f.in_w - f.pad_l;
  g.pads = {f.pad_t, f.pad_l, std::max<int64_t>(pad_b, 0), std::max<int64_t>(pad_r, 0)};
  const Tensor acc = golden::conv2d_acc(x, static_cast<int32_t>(f.in_zp), w,
                                        static_cast<int32_t>(f.wgt_zp), g, "kernel test");
  EXPECT_EQ(acc.shape(), (Shape{1, f.out_c, f.out_h, f.out_w}));
  const auto values = acc.values<int32_t>();
  std::vector<int32_t> out(t.old.size());
  const int64_t plane = f.out_h * f.out_w;
  for (int64_t p = 0; p < plane; ++p)
    for (int64_t m = 0; m < f.out_c; ++m) {
      const uint32_t base = f.accumulate ? static_cast<uint32_t>(t.old[p * f.out_c + m]) : 0;
      out[p * f.out_c + m] =
          static_cast<int32_t>(base + static_cast<uint32_t>(values[m * plane + p]));
    }
  return out;
}

std::vector<int32_t> run_kernel(const Tile& t, ConvKernel kernel) {
  ConvScratch scratch;
  scratch.kernel = kernel;
  std::vector<int32_t> acc = t.old;
  conv_tile(t.f, t.in.data(), t.wgt.data(), reinterpret_cast<uint8_t*>(acc.data()), scratch);
  return acc;
}

std::string describe(const isa::Operands& f) {
  return cat("in ", f.in_h, "x", f.in_w, "x", f.in_c, " out ", f.out_h, "x", f.out_w, "x", f.out_c,
             " k ", f.k_h, "x", f.k_w, " stride ", f.stride_h, ",", f.stride_w, " dil ", f.dil_h,
             ",", f.dil_w, " pad ", f.pad_t, ",", f.pad_l, " signed ", f.in_signed, "/",
             f.wgt_signed, " zp ", f.in_zp, "/", f.wgt_zp, " accumulate ", f.accumulate);
}

void check_kernel(ConvKernel kernel, bool extreme_values) {
  auto rng = testing::test_rng();
  for (int i = 0; i < 300; ++i) {
    const Tile t = random_tile(rng, extreme_values);
    ASSERT_EQ(conv_operand_fault(t.f), "") << describe(t.f);
    ASSERT_EQ(run_kernel(t, kernel), golden_conv(t)) << "tile " << i << ": " << describe(t.f);
  }
}

TEST(ConvKernels, PortableEqualsGoldenOnRandomTiles) {
  check_kernel(ConvKernel::kPortable, false);
}
TEST(ConvKernels, PortableEqualsGoldenOnExtremeValues) {
  check_kernel(ConvKernel::kPortable, true);
}

TEST(ConvKernels, VnniEqualsGoldenOnRandomTiles) {
  if (!vnni_available()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  check_kernel(ConvKernel::kVnni, false);
}
TEST(ConvKernels, VnniEqualsGoldenOnExtremeValues) {
  if (!vnni_available()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  check_kernel(ConvKernel::kVnni, true);
}

// A long reduction of maximal products: 8192 input channels x 3x3 taps of (255 - 0) * (-128 - 127)
// sum to -4.8e9, beyond int32, so the result is only right if every kernel wraps modulo 2^32.
TEST(ConvKernels, LongSumsWrapAroundOnEveryKernel) {
  Tile t;
  isa::Operands& f = t.f;
  f.k_h = f.k_w = 3;
  f.stride_h = f.stride_w = f.dil_h = f.dil_w = 1;
  f.in_h = f.in_w = f.out_h = f.out_w = 3;
  f.pad_t = f.pad_l = 1;
  f.in_c = 8192;
  f.out_c = 3;
  f.wgt_signed = 1;
  f.wgt_zp = 127;
  t.in.assign(static_cast<size_t>(9 * f.in_c), 255);
  t.wgt.assign(static_cast<size_t>(f.out_c * 9 * f.in_c), 0x80);  // -128
  t.old.assign(static_cast<size_t>(9 * f.out_c), 0);
  const std::vector<int32_t> expected = golden_conv(t);
  // The centre pixel sees all 9 taps: 9 * 8192 * 255 * -255 mod 2^32.
  const int64_t exact = int64_t{9} * 8192 * 255 * -255;
  EXPECT_EQ(expected[4 * f.out_c], static_cast<int32_t>(static_cast<uint32_t>(exact)));
  EXPECT_EQ(run_kernel(t, ConvKernel::kPortable), expected);
  if (vnni_available()) {
    EXPECT_EQ(run_kernel(t, ConvKernel::kVnni), expected);
  }
}

}  // namespace
}  // namespace bpusim::sim
