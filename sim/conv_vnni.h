// The dense CONV of one tile on AVX-512 VNNI (vpdpbusd: 64 byte products per instruction), the
// MAC array's fast path. Same contract as conv_tile's dense case (sim/mac_array.h): identical
// results to the portable int16 kernel, which tests check on random shapes, extreme zero points,
// accumulator wrap-around and odd sizes (tests/sim/test_conv_kernels.cc).
//
// Why it is exact: vpdpbusd multiplies unsigned by signed bytes and adds four products to a
// 32-bit lane modulo 2^32 (the non-saturating form), as the accumulator wraps. The operands are
// moved into that domain without changing any (x - zx)(w - zw): a signed input byte and its zero
// point are offset by +128, an unsigned weight byte and its zero point by -128. Then, over the
// K = k_h * k_w * in_c terms of one output (padding taps equal the zero point),
//   sum (x' - zx')(w' - zw') = sum x'w' - zw' sum x' - zx' sum w' + K zx' zw'   (mod 2^32).
#pragma once

#include <cstdint>
#include <vector>

#include "isa/isa.h"

namespace bpusim::sim {

// Buffers reused between tiles (no allocation per instruction once they have grown).
struct VnniScratch {
  std::vector<uint8_t> a;   // im2col rows of x', [rows][k4 * 4]
  std::vector<int8_t> b;    // w' packed per block of 32 output channels, [block][k4][32][4]
  std::vector<uint32_t> c;  // raw sums of x'w', [rows][blocks * 32]
  std::vector<uint32_t> a_sum, b_sum;
  std::vector<uint8_t> w_row;  // one weight row zero-padded to a multiple of 4
};

// True when this CPU executes AVX-512 F, BW and VNNI (checked once).
bool vnni_available();

// Overwrites or accumulates acc ([out_h][out_w][out_c] int32) with the dense CONV `f` of `in`
// and `wgt` (layouts of conv_tile). Requires vnni_available() and a validated `f` (not
// depthwise).
void conv_dense_vnni(const isa::Operands& f, const uint8_t* in, const uint8_t* wgt, uint8_t* acc,
                     VnniScratch& s);

}  // namespace bpusim::sim
