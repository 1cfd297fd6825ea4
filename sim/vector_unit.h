// The vector unit: VADD (stage-2 rescaled add), VREQ (requantize to another scale), POOL
// (max, average, global average), ARGMAX, COPY, VLUT (a 256-entry table per element) and VMUL
// (elementwise product, requantized), VBLEND (bilinear blend of four taps) and VFADD (a
// float add, ATen's broadcasting add),
// `vector.lanes` elements per beat (rule 8 of docs/timing.md). Results are computed in bulk at the
// end of the instruction.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "common/hw_config.h"
#include "isa/param_record.h"
#include "sim/memories.h"
#include "sim/unit.h"

namespace bpusim::sim {

// The arithmetic of each opcode on raw memory (no checks; `rec` is the record at prm_addr).
void vadd(const isa::Operands& f, const uint8_t* a, const uint8_t* b, const isa::ParamRecord& rec,
          uint8_t* out);
// VREQ: stage 1 (rec.route 0, per `mode`) or one of the float routes 1..3 (requant_math.h).
void vreq(const isa::Operands& f, const uint8_t* in, const isa::ParamRecord& rec, uint8_t* out);
// Average pooling has no mode field: it uses the hardware's requant.mode (`fixed`). It never
// divides: stage 1 on the window's sum of (x - in_zp), the divisor is in the record's scale.
void pool(const isa::Operands& f, const uint8_t* in, const isa::ParamRecord& rec, bool fixed,
          uint8_t* out);
void argmax(const isa::Operands& f, const uint8_t* in, uint8_t* out);
// VMUL: stage 1 (per `mode`) of acc = (a[i] - a_zp) * (b[j] - b_zp) + rec.bias, j = i, or
// i % b_period when b_period > 0 (a per-channel gate repeating over positions).
void vmul(const isa::Operands& f, const uint8_t* a, const uint8_t* b, const isa::ParamRecord& rec,
          uint8_t* out);
// VLUT: out[i] = table[in[i]] (uint8) or table[in[i] + 128] (int8); `table` has 256 bytes.
void lut(const isa::Operands& f, const uint8_t* in, const uint8_t* table, uint8_t* out);
// VBLEND: the four tap vectors at in, in + n, in + 2n, in + 3n; `weights` = float32 h0, h1,
// then w0, w1 per pixel (c elements each); out[i] = sat(round_sat32(v - in_zp) + in_zp) with
// v = blend_value of the element's taps (requant_math.h), contraction plain or fma (the first n_vec
// elements of each pixel in the w1-first order, the rest in the w0-first order).
// VFADD: y[i] = saturate(clamp(sat32(float_add(a[i], a_zp, b[j], b_zp, ra, rb) + ra.zp),
// ra.min, ra.max)) with j as VMUL's; the fused order for the first n_vec elements of each
// `group` when contraction = fma (requant_math.h float_add).
void vfadd(const isa::Operands& f, const uint8_t* a, const uint8_t* b, const isa::ParamRecord& ra,
           const isa::ParamRecord& rb, uint8_t* out);
// Bytes of VBLEND's weight table: 8 + 8 * n / c, in whole 64-byte PARAM records.
uint64_t blend_table_bytes(const isa::Operands& f);
void blend(const isa::Operands& f, const uint8_t* in, const uint8_t* weights, uint8_t* out);

class VectorUnit : public sc_core::sc_module, public Unit {
 public:
  VectorUnit(sc_core::sc_module_name name, const Memories& memories);
  void configure(const HwConfig& hw) { hw_ = hw; }

  Plan plan(const Decoded& d) override;
  void run(const Decoded& d, const Plan& p) override;

  Activity activity;

 private:
  const Memories& mem_;
  HwConfig hw_;
  std::vector<isa::ParamRecord> records_;
};

}  // namespace bpusim::sim
