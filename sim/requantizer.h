// The requantizer pipeline: executes REQUANT (ACC -> OUTPUT) with the arithmetic of
// requant_math.h (bias, stage 1 in fp32 or fixed mode, zero point, clamp, saturation to the
// output type, optional stage-2 fused residual add, or int32 pass-through). `mac.rows` lanes,
// one output channel each, `requant.pipeline_depth` stages: rule 7 of docs/timing.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <systemc>
#include <vector>

#include "common/hw_config.h"
#include "isa/param_record.h"
#include "sim/mac_array.h"
#include "sim/memories.h"
#include "sim/unit.h"

namespace bpusim::sim {

// Reads `n` consecutive 64-byte records (reserved bytes ignored, as the hardware does).
void read_param_records(const uint8_t* bytes, int64_t n, std::vector<isa::ParamRecord>& out);
// The fault reason for a record the arithmetic cannot use (shift or add_shift out of range),
// or "". `prm_addr` and `index` locate it in the message.
std::string param_record_fault(const isa::ParamRecord& r, bool fixed, bool stage2, int64_t prm_addr,
                               int64_t index);

// Output element types of the ISA's out_type field.
enum class OutType : uint8_t { kU8 = 0, kI8 = 1, kI32 = 2 };
// v saturated to uint8 / int8 (identity for int32).
inline int32_t saturate_to(int32_t v, OutType t) {
  if (t == OutType::kU8) return v < 0 ? 0 : (v > 255 ? 255 : v);
  if (t == OutType::kI8) return v < -128 ? -128 : (v > 127 ? 127 : v);
  return v;
}

// The REQUANT arithmetic on raw tile memory (no checks): acc [n_pix][n_ch] int32, res
// [n_pix][n_ch] bytes (when has_res), out [n_pix][n_ch] of out_type, one record per channel.
void requant_tile(const isa::Operands& f, const uint8_t* acc, const uint8_t* res,
                  std::span<const isa::ParamRecord> records, uint8_t* out);

// The instruction one requantizer tile of n vectors is: a REQUANT of n_pix = n pixels by
// n_ch = mac.rows channels (a_signed: out_type is int8), every address 0. The RTL
// co-simulation runs it on the Bpu.
isa::Operands requant_tile_op(const HwConfig& hw, int64_t n, bool fixed, OutType out_type,
                              bool has_res, bool res_signed);
// REQUANT's `count` results at `bytes` (elements of out_type) as int32 (uint8/int8 extended).
std::vector<int32_t> requant_results(const uint8_t* bytes, int64_t count, OutType out_type);

// One requantizer tile by the stall-domain rule (docs/timing.md "Rule 6/7 with back
// pressure"), not through the Requantizer module: one record per lane (lanes = mac.rows), n
// vectors of lanes accumulators [n][lanes] (+ residual bytes when has_res); out[i * lanes + l]
// computed by requant_tile on requant_tile_op's operands, and the cycles by
// timing::pipelined_tile_latency under the output ready pattern (which the model never
// applies). out_type 2 is the int32 pass-through.
TileRun run_requant_tile(const HwConfig& hw, std::span<const isa::ParamRecord> records, bool fixed,
                         OutType out_type, bool has_res, bool res_signed,
                         const std::vector<int32_t>& accs, const std::vector<uint8_t>& residual,
                         const std::vector<uint8_t>& ready);

class Requantizer : public sc_core::sc_module, public Unit {
 public:
  Requantizer(sc_core::sc_module_name name, const Memories& memories);
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
