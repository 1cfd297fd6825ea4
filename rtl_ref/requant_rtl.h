// The verilated requantizer (rtl_ref/requant.v): drives one tile operation through its
// ports cycle by cycle, returns the outputs and the cycle count, and can write an FST
// waveform. Arithmetic: docs/requantizer.md; timing:
// docs/microarch.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "rtl_ref/unit_run.h"

namespace bpusim::rtl {

// The 64-byte per-channel parameter record, byte for byte as docs/isa.md lays it out
// (isa::pack(isa::ParamRecord) produces it).
using RequantRecordBytes = std::array<uint8_t, 64>;

// One tile operation at the requantizer's ports: lanes records, then n vectors.
struct RequantRtlTile {
  std::vector<RequantRecordBytes> records;  // one per lane, lane 0 first
  bool fixed = true;                        // fixed mode (else fp32)
  bool passthru = false;                    // int32 pass-through (REQUANT out_type int32)
  bool has_res = false;                     // stage 2 (fused residual add) runs
  bool res_signed = false;                  // residual bytes are int8 (else uint8)
  std::vector<int32_t> accs;                // n x lanes accumulators, accs[i * lanes + l]; n >= 1
  std::vector<uint8_t> residual;            // n x lanes raw residual bytes, or empty for zeros
};

class RequantRtl {
 public:
  // The verilated variant (a fresh, reset model). Throws Error naming the request and the
  // variants this build has (rtl_ref/CMakeLists.txt lists them).
  static std::unique_ptr<RequantRtl> create(int64_t lanes, int64_t depth);
  // The variant for lanes = mac.rows, depth = requant.pipeline_depth.
  static std::unique_ptr<RequantRtl> create(const HwConfig& hw);
  // "32 lanes depth 4, ...": the verilated variants.
  static std::string variants();

  virtual ~RequantRtl() = default;
  virtual int64_t lanes() const = 0;
  virtual int64_t depth() const = 0;

  // Loads the records, streams the accumulators and collects one output vector of `lanes`
  // int32 values per input (uint8/int8 results are in their range), with `out_ready`
  // applying back pressure (unit_run.h). The unit is idle before and after. Throws Error
  // when a size does not fit the ports.
  UnitRun run_tile(const RequantRtlTile& tile, const ReadyPattern& out_ready = {}) {
    return run_tiles({&tile, 1}, out_ready);
  }
  // The same for several tiles back to back: tile k+1's records are offered from the cycle
  // after tile k's last input was accepted; the unit takes them once tile k has drained
  // (docs/microarch.md, tile sequences).
  virtual UnitRun run_tiles(std::span<const RequantRtlTile> tiles,
                            const ReadyPattern& out_ready = {}) = 0;

  // Writes every signal of every following cycle to an FST file.
  virtual void trace_to(const std::string& fst_path) = 0;
  // Cycles simulated since construction (including reset).
  virtual uint64_t cycles_simulated() const = 0;
};

}  // namespace bpusim::rtl
