// The profile of one program run: the counters of runtime/perf_counters.h regrouped per layer
// (cycles, MACs, utilisation, DDR bytes, stalls by reason, where the cycles go) with the
// hardware's roofline, as a struct (what the HTML charts draw) and as JSON (the `--json`
// file and the data embedded in the HTML page).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "isa/container.h"
#include "runtime/runtime.h"

namespace bpusim::report {

// Where a cycle goes. Each cycle of a time span is given exactly one class, the first that
// applies: the compute engine runs an instruction on the MAC array, the requantizer, the
// vector unit or as control (NOP/FINISH); else a DMA transfer (LOAD/STORE, including its DDR
// latency) is in flight while compute is idle; else nothing runs (fetch, token hand-offs).
enum class CycleClass : uint8_t { kMac, kRequant, kVector, kControl, kDmaOnly, kIdle };
inline constexpr int kNumCycleClasses = 6;
const char* cycle_class_name(CycleClass c);  // "mac_array", "requantizer", "vector", "control",
                                             // "dma_only", "idle"
using CycleBreakdown = std::array<int64_t, kNumCycleClasses>;

struct LayerProfile {
  std::string name, op;
  int64_t code_first = 0, code_end = 0;  // instruction range [first, end) in CODE
  int64_t start_cycle = 0, end_cycle = 0;
  int64_t macs = 0;
  int64_t est_cycles = 0;  // the compiler's estimate (LAYERS), 0 when absent
  int64_t ddr_read_bytes = 0, ddr_write_bytes = 0;    // payload bytes of its LOADs / STOREs
  int64_t instructions = 0;                           // executed instructions of the layer
  int64_t compute_busy = 0;                           // compute-engine busy cycles
  std::array<int64_t, runtime::kNumStalls> stalls{};  // summed over its instructions
  CycleBreakdown breakdown{};                         // sums to cycles()
  std::array<int64_t, 5> sram{};                      // bytes reserved: feature..param (LAYERS)

  int64_t cycles() const { return end_cycle - start_cycle; }
  int64_t ddr_bytes() const { return ddr_read_bytes + ddr_write_bytes; }
  // MACs per DDR byte (0 when the layer moves no DDR bytes).
  double arithmetic_intensity() const;
  // MACs per cycle achieved over the layer's span.
  double macs_per_cycle() const;
};

struct Profile {
  std::string source;  // the program's name
  HwConfig hw;
  int64_t cycles = 0;
  int64_t macs = 0;
  CycleBreakdown breakdown{};  // of the whole program time line; sums to cycles
  std::vector<LayerProfile> layers;
  runtime::PerfCounters counters;  // the raw counters (timeline, engines, DDR)
  std::optional<runtime::Fault> fault;

  int64_t peak_macs_per_cycle() const { return hw.mac_rows * hw.mac_cols; }
  double utilisation() const;        // MACs / (peak * cycles)
  double frames_per_second() const;  // at hw.clock_mhz; 0 when no cycles
};

// Builds the profile of `result`, a run of `program` under `hw`.
Profile make_profile(const isa::Program& program, const runtime::ProgramResult& result,
                     const HwConfig& hw, const std::string& source);

// Splits the cycles of [begin, end) by CycleClass from the instruction records.
CycleBreakdown cycle_breakdown(const std::vector<runtime::InstrRecord>& instrs, int64_t begin,
                               int64_t end);

// The profile as JSON: runtime::report_json's counters (every instruction record included), then
// per layer its DDR bytes, stalls, cycle breakdown, arithmetic intensity, SRAM reservation and
// estimate; the program's cycle breakdown, the roofline (peak MACs/cycle, DDR bytes/cycle,
// ridge intensity), the configuration and the fault (null when none). Schema in
// docs/guide.md ("The profile JSON"). `with_instructions` = false leaves out the instruction
// records (the HTML page embeds that lighter form).
nlohmann::json profile_json(const Profile& p, bool with_instructions = true);

}  // namespace bpusim::report
