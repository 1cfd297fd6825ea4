#include "sim/conv_vnni.h"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BPUSIM_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define BPUSIM_HAVE_VNNI_CODE 1
#endif

#include "common/error.h"

namespace bpusim::sim {

using isa::Operands;

namespace {

// Register block of the kernel: kRows output pixels by kCols output channels (two 16-lane
// vectors), 2 * kRows accumulators out of the 32 vector registers.
constexpr int64_t kRows = 8;
constexpr int64_t kCols = 32;

int64_t round_up(int64_t v, int64_t m) {
  return (v + m - 1) / m * m;
}

// The domain changes of the header: x' = x + 128 for signed inputs, w' = w - 128 for unsigned
// weights (as bytes: flipping the top bit), with the zero points moved alike.
int32_t input_zp(const Operands& f) {
  return f.in_signed ? int32_t(f.in_zp) + 128 : f.in_zp;
}
int32_t weight_zp(const Operands& f) {
  return f.wgt_signed ? int32_t(f.wgt_zp) : int32_t(f.wgt_zp) - 128;
}

// Sum of n bytes (the compiler vectorises it).
uint32_t byte_sum(const uint8_t* p, int64_t n) {
  uint32_t sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

// dst[i] = src[i] ^ flip: the domain change of a byte run.
void flip_copy(const uint8_t* src, int64_t n, uint8_t flip, uint8_t* dst) {
  if (flip == 0) {
    std::memcpy(dst, src, static_cast<size_t>(n));
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i] ^ flip;
}

// im2col of x' into s.a: one row of k4 = round_up(K, 4) bytes per output pixel (padding taps are
// zx', the tail past K zeros), rows padded with zeros to a multiple of kRows; s.a_sum = each
// row's sum of x'.
void pack_inputs(const Operands& f, const uint8_t* in, int64_t len, int64_t k4, VnniScratch& s) {
  const int64_t pixels = f.out_h * f.out_w;
  const int64_t rows = round_up(pixels, kRows);
  const uint8_t flip = f.in_signed ? 0x80 : 0x00;
  const uint8_t pad = static_cast<uint8_t>(input_zp(f));
  s.a.resize(static_cast<size_t>(rows * k4));
  s.a_sum.resize(static_cast<size_t>(rows));
  const int64_t row_bytes = f.k_w * f.in_c;
  for (int64_t p = 0; p < pixels; ++p) {
    const int64_t oy = p / f.out_w, ox = p % f.out_w;
    uint8_t* row = s.a.data() + p * k4;
    const bool dense_row = f.dil_w == 1 && ox * f.stride_w - f.pad_l >= 0 &&
                           ox * f.stride_w - f.pad_l + f.k_w <= f.in_w;
    for (int64_t ky = 0; ky < f.k_h; ++ky) {
      const int64_t iy = oy * f.stride_h - f.pad_t + ky * f.dil_h;
      uint8_t* taps = row + ky * row_bytes;
      if (iy < 0 || iy >= f.in_h) {
        std::memset(taps, pad, static_cast<size_t>(row_bytes));
        continue;
      }
      const uint8_t* line = in + iy * f.in_w * f.in_c;
      if (dense_row) {  // the k_w taps are one contiguous run of the input row
        flip_copy(line + (ox * f.stride_w - f.pad_l) * f.in_c, row_bytes, flip, taps);
        continue;
      }
      for (int64_t kx = 0; kx < f.k_w; ++kx, taps += f.in_c) {
        const int64_t ix = ox * f.stride_w - f.pad_l + kx * f.dil_w;
        if (ix < 0 || ix >= f.in_w)
          std::memset(taps, pad, static_cast<size_t>(f.in_c));
        else
          flip_copy(line + ix * f.in_c, f.in_c, flip, taps);
      }
    }
    std::memset(row + len, 0, static_cast<size_t>(k4 - len));
    s.a_sum[p] = byte_sum(row, len);
  }
  std::memset(s.a.data() + pixels * k4, 0, static_cast<size_t>((rows - pixels) * k4));
  std::fill(s.a_sum.begin() + pixels, s.a_sum.end(), 0u);
}

// w' of [out_c][K] into blocks of kCols channels, [block][k / 4][channel][k % 4] (the layout
// vpdpbusd reads: four consecutive k of one channel per 32-bit lane); channels past out_c and
// k past K are zeros. s.b_sum = each channel's sum of w'.
void pack_weights(const Operands& f, const uint8_t* wgt, int64_t len, int64_t k4, VnniScratch& s) {
  const int64_t blocks = round_up(f.out_c, kCols) / kCols;
  const uint32_t flip = f.wgt_signed ? 0u : 0x80808080u;
  s.b.assign(static_cast<size_t>(blocks * k4 * kCols), 0);
  s.b_sum.assign(static_cast<size_t>(blocks * kCols), 0);
  std::vector<uint8_t>& padded = s.w_row;  // one channel's K bytes, zero-padded to k4
  padded.assign(static_cast<size_t>(k4), 0);
  for (int64_t oc = 0; oc < f.out_c; ++oc) {
    int8_t* lane = s.b.data() + (oc / kCols) * k4 * kCols + (oc % kCols) * 4;
    const uint8_t* src = wgt + oc * len;
    std::memcpy(padded.data(), src, static_cast<size_t>(len));
    for (int64_t k = 0; k < k4; k += 4, lane += kCols * 4) {
      uint32_t quad;
      std::memcpy(&quad, padded.data() + k, 4);
      quad ^= flip;
      std::memcpy(lane, &quad, 4);
    }
    // sum of w' = sum of w, minus 128 per term for unsigned weights (mod 2^32).
    uint32_t sum = 0;
    if (f.wgt_signed) {
      for (int64_t k = 0; k < len; ++k) sum += static_cast<uint32_t>(int32_t{int8_t(src[k])});
    } else {
      sum = byte_sum(src, len) - 128u * static_cast<uint32_t>(len);
    }
    s.b_sum[oc] = sum;
  }
}

#ifdef BPUSIM_HAVE_VNNI_CODE
// s.c = s.a x s.b (raw sums of x'w'), kRows pixels by kCols channels at a time.
BPUSIM_VNNI_TARGET
void multiply(int64_t rows, int64_t k4, int64_t blocks, VnniScratch& s) {
  const int64_t ldc = blocks * kCols;
  for (int64_t nb = 0; nb < blocks; ++nb) {
    const int8_t* b = s.b.data() + nb * k4 * kCols;
    for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
      const uint8_t* a = s.a.data() + r0 * k4;
      __m512i lo[kRows], hi[kRows];
#pragma GCC unroll 8
      for (int64_t r = 0; r < kRows; ++r) lo[r] = hi[r] = _mm512_setzero_si512();
      for (int64_t k = 0; k < k4; k += 4) {
        const __m512i w0 = _mm512_loadu_si512(b + k * kCols);
        const __m512i w1 = _mm512_loadu_si512(b + k * kCols + 64);
#pragma GCC unroll 8
        for (int64_t r = 0; r < kRows; ++r) {
          int32_t quad;
          std::memcpy(&quad, a + r * k4 + k, 4);
          const __m512i x = _mm512_set1_epi32(quad);
          lo[r] = _mm512_dpbusd_epi32(lo[r], x, w0);
          hi[r] = _mm512_dpbusd_epi32(hi[r], x, w1);
        }
      }
      uint32_t* c = s.c.data() + r0 * ldc + nb * kCols;
#pragma GCC unroll 8
      for (int64_t r = 0; r < kRows; ++r) {
        _mm512_storeu_si512(c + r * ldc, lo[r]);
        _mm512_storeu_si512(c + r * ldc + 16, hi[r]);
      }
    }
  }
}

bool cpu_has_vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vnni");
}
#else
void multiply(int64_t, int64_t, int64_t, VnniScratch&) {
  throw Error("conv_dense_vnni: this build has no AVX-512 VNNI code");
}
bool cpu_has_vnni() {
  return false;
}
#endif

}  // namespace

bool vnni_available() {
  static const bool available = cpu_has_vnni();
  return available;
}

void conv_dense_vnni(const Operands& f, const uint8_t* in, const uint8_t* wgt, uint8_t* acc,
                     VnniScratch& s) {
  const int64_t len = f.k_h * f.k_w * f.in_c;
  const int64_t k4 = round_up(len, 4);
  const int64_t pixels = f.out_h * f.out_w;
  const int64_t rows = round_up(pixels, kRows);
  const int64_t blocks = round_up(f.out_c, kCols) / kCols;
  pack_inputs(f, in, len, k4, s);
  pack_weights(f, wgt, len, k4, s);
  s.c.resize(static_cast<size_t>(rows * blocks * kCols));
  multiply(rows, k4, blocks, s);
  // The zero-point terms of the header, all modulo 2^32.
  const uint32_t zx = static_cast<uint32_t>(input_zp(f));
  const uint32_t zw = static_cast<uint32_t>(weight_zp(f));
  const uint32_t constant = static_cast<uint32_t>(len) * zx * zw;
  const int64_t ldc = blocks * kCols;
  for (int64_t p = 0; p < pixels; ++p) {
    const uint32_t row_term = constant - zw * s.a_sum[p];
    uint32_t* c = s.c.data() + p * ldc;  // becomes the output row
    uint8_t* out = acc + p * f.out_c * 4;
    for (int64_t oc = 0; oc < f.out_c; ++oc) c[oc] += row_term - zx * s.b_sum[oc];
    if (f.accumulate) {
      for (int64_t oc = 0; oc < f.out_c; ++oc) {
        uint32_t old;
        std::memcpy(&old, out + oc * 4, 4);
        c[oc] += old;
      }
    }
    std::memcpy(out, c, static_cast<size_t>(f.out_c) * 4);
  }
}

}  // namespace bpusim::sim
