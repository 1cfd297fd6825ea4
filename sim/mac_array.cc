#include "sim/mac_array.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"
#include "sim/multiversion.h"
#include "sim/timing.h"

namespace bpusim::sim {

using isa::Operands;

namespace {

// Range of a byte operand: [0, 255] or [-128, 127].
bool zp_in_range(int64_t zp, bool is_signed) {
  return is_signed ? (zp >= -128 && zp <= 127) : (zp >= 0 && zp <= 255);
}

// Bytes minus the zero point as int16: |x - zp| <= 255 once the zero point is in range.
void widen(const uint8_t* src, int64_t n, bool is_signed, int64_t zp, int16_t* dst) {
  const int16_t z = static_cast<int16_t>(zp);
  if (is_signed) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(static_cast<int8_t>(src[i]) - z);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - z);
  }
}

// Sum of a[i] * b[i]; every |product| <= 255 * 255, so chunks of kChunk terms cannot overflow
// int32 and the chunks are added modulo 2^32 (the accumulator's wrap-around).
constexpr int64_t kChunk = 16384;

inline int32_t dot_chunk(const int16_t* __restrict a, const int16_t* __restrict b, int64_t n) {
  int32_t s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<int32_t>(a[i]) * b[i];
  return s;
}

// Four dot products sharing `a` (four output channels of one pixel), wrapping.
inline void dot4(const int16_t* __restrict a, const int16_t* __restrict b, int64_t n,
                 int64_t stride, uint32_t* out) {
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t m = std::min(kChunk, n - c0);
    const int16_t* x = a + c0;
    const int16_t* w0 = b + c0;
    const int16_t* w1 = w0 + stride;
    const int16_t* w2 = w1 + stride;
    const int16_t* w3 = w2 + stride;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t i = 0; i < m; ++i) {
      const int32_t xi = x[i];
      s0 += xi * w0[i];
      s1 += xi * w1[i];
      s2 += xi * w2[i];
      s3 += xi * w3[i];
    }
    out[0] += static_cast<uint32_t>(s0);
    out[1] += static_cast<uint32_t>(s1);
    out[2] += static_cast<uint32_t>(s2);
    out[3] += static_cast<uint32_t>(s3);
  }
}

// Two pixels (a0, a1) times four output channels: eight dot products sharing their loads.
inline void dot2x4(const int16_t* __restrict a0, const int16_t* __restrict a1,
                   const int16_t* __restrict b, int64_t n, int64_t stride, uint32_t* out0,
                   uint32_t* out1) {
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t m = std::min(kChunk, n - c0);
    const int16_t* x0 = a0 + c0;
    const int16_t* x1 = a1 + c0;
    const int16_t* w0 = b + c0;
    const int16_t* w1 = w0 + stride;
    const int16_t* w2 = w1 + stride;
    const int16_t* w3 = w2 + stride;
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    for (int64_t i = 0; i < m; ++i) {
      const int32_t p = x0[i], q = x1[i];
      const int32_t v0 = w0[i], v1 = w1[i], v2 = w2[i], v3 = w3[i];
      s00 += p * v0;
      s01 += p * v1;
      s02 += p * v2;
      s03 += p * v3;
      s10 += q * v0;
      s11 += q * v1;
      s12 += q * v2;
      s13 += q * v3;
    }
    out0[0] += static_cast<uint32_t>(s00);
    out0[1] += static_cast<uint32_t>(s01);
    out0[2] += static_cast<uint32_t>(s02);
    out0[3] += static_cast<uint32_t>(s03);
    out1[0] += static_cast<uint32_t>(s10);
    out1[1] += static_cast<uint32_t>(s11);
    out1[2] += static_cast<uint32_t>(s12);
    out1[3] += static_cast<uint32_t>(s13);
  }
}

inline uint32_t dot(const int16_t* a, const int16_t* b, int64_t n) {
  uint32_t s = 0;
  for (int64_t c0 = 0; c0 < n; c0 += kChunk)
    s += static_cast<uint32_t>(dot_chunk(a + c0, b + c0, std::min(kChunk, n - c0)));
  return s;
}

// Input row of the tap (ky, kx) for output (oy, ox); false when it lies in the padding.
inline bool tap_pos(const Operands& f, int64_t oy, int64_t ox, int64_t ky, int64_t kx, int64_t& iy,
                    int64_t& ix) {
  iy = oy * f.stride_h - f.pad_t + ky * f.dil_h;
  ix = ox * f.stride_w - f.pad_l + kx * f.dil_w;
  return iy >= 0 && iy < f.in_h && ix >= 0 && ix < f.in_w;
}

void load_acc(const uint8_t* acc, int64_t n, bool accumulate, uint32_t* sums) {
  if (accumulate)
    std::memcpy(sums, acc, static_cast<size_t>(n) * 4);
  else
    std::fill(sums, sums + n, 0u);
}

// im2col of output pixel `pixel` (row-major over out_h x out_w) into `col`: padding taps are
// zeros (they equal the zero point).
void gather(const Operands& f, const int16_t* x, int64_t pixel, int16_t* col) {
  const int64_t oy = pixel / f.out_w, ox = pixel % f.out_w;
  for (int64_t ky = 0; ky < f.k_h; ++ky) {
    for (int64_t kx = 0; kx < f.k_w; ++kx, col += f.in_c) {
      int64_t iy, ix;
      if (tap_pos(f, oy, ox, ky, kx, iy, ix))
        std::memcpy(col, x + (iy * f.in_w + ix) * f.in_c, f.in_c * sizeof(int16_t));
      else
        std::fill(col, col + f.in_c, int16_t{0});
    }
  }
}

// Output pixels in pairs (the last alone when their count is odd), output channels in fours.
BPUSIM_MULTIVERSION
void conv_dense(const Operands& f, uint8_t* acc, ConvScratch& s) {
  const int64_t len = f.k_h * f.k_w * f.in_c;  // reduction length: weights [out_c][k_h][k_w][in_c]
  const int64_t oc_n = f.out_c;
  const int64_t pixels = f.out_h * f.out_w;
  s.col.resize(static_cast<size_t>(2 * len));
  s.sums.resize(static_cast<size_t>(2 * oc_n));
  uint32_t* sums = reinterpret_cast<uint32_t*>(s.sums.data());
  const int16_t* w = s.w.data();
  for (int64_t p = 0; p < pixels; p += 2) {
    const bool pair = p + 1 < pixels;
    int16_t* col0 = s.col.data();
    int16_t* col1 = col0 + len;
    uint32_t* sum0 = sums;
    uint32_t* sum1 = sums + oc_n;
    uint8_t* out = acc + p * oc_n * 4;
    gather(f, s.x.data(), p, col0);
    load_acc(out, oc_n, f.accumulate, sum0);
    int64_t oc = 0;
    if (pair) {
      gather(f, s.x.data(), p + 1, col1);
      load_acc(out + oc_n * 4, oc_n, f.accumulate, sum1);
      for (; oc + 4 <= oc_n; oc += 4)
        dot2x4(col0, col1, w + oc * len, len, len, sum0 + oc, sum1 + oc);
      for (; oc < oc_n; ++oc) {
        sum0[oc] += dot(col0, w + oc * len, len);
        sum1[oc] += dot(col1, w + oc * len, len);
      }
    } else {
      for (; oc + 4 <= oc_n; oc += 4) dot4(col0, w + oc * len, len, len, sum0 + oc);
      for (; oc < oc_n; ++oc) sum0[oc] += dot(col0, w + oc * len, len);
    }
    std::memcpy(out, sums, static_cast<size_t>((pair ? 2 : 1) * oc_n) * 4);
  }
}

BPUSIM_MULTIVERSION
void conv_depthwise(const Operands& f, const uint8_t* wgt, uint8_t* acc, ConvScratch& s) {
  const int64_t c = f.out_c;
  const int64_t taps = f.k_h * f.k_w;
  // Weights [c][tap] -> [tap][c] so that the channel loop is contiguous.
  s.col.resize(static_cast<size_t>(taps * c));
  int16_t* wt = s.col.data();
  s.w.resize(static_cast<size_t>(taps * c));
  widen(wgt, taps * c, f.wgt_signed, f.wgt_zp, s.w.data());
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t t = 0; t < taps; ++t) wt[t * c + ch] = s.w[ch * taps + t];
  s.sums.resize(static_cast<size_t>(c));
  uint32_t* sums = reinterpret_cast<uint32_t*>(s.sums.data());
  for (int64_t oy = 0; oy < f.out_h; ++oy) {
    for (int64_t ox = 0; ox < f.out_w; ++ox) {
      uint8_t* out = acc + (oy * f.out_w + ox) * c * 4;
      load_acc(out, c, f.accumulate, sums);
      for (int64_t ky = 0; ky < f.k_h; ++ky) {
        for (int64_t kx = 0; kx < f.k_w; ++kx) {
          int64_t iy, ix;
          if (!tap_pos(f, oy, ox, ky, kx, iy, ix)) continue;
          const int16_t* x = s.x.data() + (iy * f.in_w + ix) * c;
          const int16_t* w = wt + (ky * f.k_w + kx) * c;
          for (int64_t ch = 0; ch < c; ++ch)
            sums[ch] += static_cast<uint32_t>(int32_t{x[ch]} * w[ch]);
        }
      }
      std::memcpy(out, sums, static_cast<size_t>(c) * 4);
    }
  }
}

ConvKernel kernel_from_environment() {
  const char* value = std::getenv("BPUSIM_CONV_KERNEL");
  const std::string v = value ? value : "auto";
  if (v == "auto") return vnni_available() ? ConvKernel::kVnni : ConvKernel::kPortable;
  if (v == "portable") return ConvKernel::kPortable;
  if (v != "vnni") throw Error(cat("BPUSIM_CONV_KERNEL=", v, ": expected auto, portable or vnni"));
  require(vnni_available(), "BPUSIM_CONV_KERNEL=vnni: this CPU has no AVX-512 VNNI");
  return ConvKernel::kVnni;
}

}  // namespace

ConvKernel resolved_conv_kernel() {
  static const ConvKernel kernel = kernel_from_environment();
  return kernel;
}

void conv_tile(const Operands& f, const uint8_t* in, const uint8_t* wgt, uint8_t* acc,
               ConvScratch& s) {
  if (f.out_h * f.out_w * f.out_c == 0) return;
  const ConvKernel kernel = s.kernel == ConvKernel::kAuto ? resolved_conv_kernel() : s.kernel;
  if (!f.depthwise && kernel == ConvKernel::kVnni) {
    if (!vnni_available()) throw Error("conv_tile: the VNNI kernel needs AVX-512 VNNI");
    conv_dense_vnni(f, in, wgt, acc, s.vnni);
    return;
  }
  s.x.resize(static_cast<size_t>(f.in_h * f.in_w * f.in_c));
  widen(in, f.in_h * f.in_w * f.in_c, f.in_signed, f.in_zp, s.x.data());
  if (f.depthwise) {
    conv_depthwise(f, wgt, acc, s);
    return;
  }
  const int64_t wn = f.out_c * f.k_h * f.k_w * f.in_c;
  s.w.resize(static_cast<size_t>(wn));
  widen(wgt, wn, f.wgt_signed, f.wgt_zp, s.w.data());
  conv_dense(f, acc, s);
}

std::string conv_operand_fault(const Operands& f) {
  if (f.k_h < 1 || f.k_w < 1) return cat("kernel k_h=", f.k_h, " k_w=", f.k_w, " must be >= 1");
  if (f.stride_h < 1 || f.stride_w < 1)
    return cat("stride_h=", f.stride_h, " stride_w=", f.stride_w, " must be >= 1");
  if (f.dil_h < 1 || f.dil_w < 1)
    return cat("dil_h=", f.dil_h, " dil_w=", f.dil_w, " must be >= 1");
  if (f.depthwise && f.in_c != f.out_c)
    return cat("depthwise needs in_c == out_c, got in_c=", f.in_c, " out_c=", f.out_c);
  if (!zp_in_range(f.in_zp, f.in_signed))
    return cat("in_zp=", f.in_zp, " is outside the ", f.in_signed ? "int8" : "uint8", " range");
  if (!zp_in_range(f.wgt_zp, f.wgt_signed))
    return cat("wgt_zp=", f.wgt_zp, " is outside the ", f.wgt_signed ? "int8" : "uint8", " range");
  return "";
}

Operands mac_tile_conv(const HwConfig& hw, int64_t n, bool w_signed, int32_t w_zp, bool x_signed,
                       int32_t x_zp) {
  Operands f;
  f.opcode = static_cast<int64_t>(isa::Opcode::CONV);
  f.in_h = f.out_h = 1;
  f.in_w = f.out_w = n;
  f.in_c = hw.mac_cols;
  f.out_c = hw.mac_rows;
  f.k_h = f.k_w = f.stride_h = f.stride_w = f.dil_h = f.dil_w = 1;
  f.accumulate = 1;
  f.in_signed = x_signed;
  f.wgt_signed = w_signed;
  f.in_zp = x_zp;
  f.wgt_zp = w_zp;
  return f;
}

TileRun run_mac_tile(const HwConfig& hw, const std::vector<uint8_t>& weights, bool w_signed,
                     int32_t w_zp, const std::vector<uint8_t>& inputs, bool x_signed, int32_t x_zp,
                     const std::vector<int32_t>& acc_in, const std::vector<uint8_t>& ready) {
  const int64_t rows = hw.mac_rows;
  const int64_t n = static_cast<int64_t>(inputs.size()) / hw.mac_cols;
  const Operands f = mac_tile_conv(hw, n, w_signed, w_zp, x_signed, x_zp);
  TileRun run;
  run.out = acc_in.empty() ? std::vector<int32_t>(static_cast<size_t>(n * rows), 0) : acc_in;
  ConvScratch scratch;
  conv_tile(f, inputs.data(), weights.data(), reinterpret_cast<uint8_t*>(run.out.data()), scratch);
  run.cycles = timing::pipelined_tile_latency(rows, n, timing::mac_depth(hw), ready);
  return run;
}

MacArray::MacArray(sc_core::sc_module_name name, const Memories& memories)
    : sc_core::sc_module(name), activity("busy"), mem_(memories) {}

Plan MacArray::plan(const Decoded& d) {
  const Operands& f = d.f;
  Plan p;
  p.fault = conv_operand_fault(f);
  if (!p.fault.empty()) return p;
  const int64_t taps = f.k_h * f.k_w;
  const int64_t wbytes = f.depthwise ? f.out_c * taps : f.out_c * taps * f.in_c;
  p.accesses = {
      {Buf::kFeature, uint64_t(f.in_addr), uint64_t(f.in_h * f.in_w * f.in_c), 1, "in_addr", false},
      {Buf::kWeight, uint64_t(f.wgt_addr), uint64_t(wbytes), 1, "wgt_addr", false},
      {Buf::kAcc, uint64_t(f.acc_addr), uint64_t(f.out_h * f.out_w * f.out_c * 4), 4, "acc_addr",
       true},
  };
  p.cycles = timing::conv_cycles(f, hw_);
  p.macs = timing::conv_macs(f);
  return p;
}

void MacArray::run(const Decoded& d, const Plan& p) {
  activity.spend(p.cycles);
  const Operands& f = d.f;
  conv_tile(f, mem_.ptr(Buf::kFeature, f.in_addr), mem_.ptr(Buf::kWeight, f.wgt_addr),
            mem_.ptr(Buf::kAcc, f.acc_addr), scratch_);
}

}  // namespace bpusim::sim
