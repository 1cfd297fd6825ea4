// The verilated BPU core (rtl_ref/core/bpu_core.sv) as a runtime backend: `bpusim run
// --backend rtl` runs a program on the Verilog design itself. The harness loads the segment
// into the instruction memory, applies the configuration's run-time keys to the core's cfg_*
// inputs, clocks the core until it reports done, a fault or a deadlock, and turns the core's
// per-cycle events into the same counters the SystemC model reports (per-instruction
// dispatch/issue/start/end and stalls, unit busy cycles, DDR traffic).
//
// Verilog parameters (mac.rows, mac.cols, requant.pipeline_depth, vector.lanes) are fixed when
// the core is verilated: rtl_ref/CMakeLists.txt builds one model per entry of
// rtl_ref/configs/*.json. configure() refuses a configuration none of them matches, naming the
// built ones and how to add one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rtl_ref/core_memory.h"
#include "runtime/backend.h"

namespace bpusim::rtl {

// One verilated variant of the core, as the harness drives it.
class CoreModel {
 public:
  virtual ~CoreModel() = default;
  virtual runtime::SegmentResult run(const HwConfig& hw, CoreMemory& memory,
                                     std::span<const isa::Instruction> code, int64_t first,
                                     int64_t end, const std::string& fst_path) = 0;
};

struct CoreVariant {
  std::string name;  // the configs/*.json file's stem
  int64_t rows, cols, depth, vlanes;
};
// The variants this build verilated.
const std::vector<CoreVariant>& core_variants();
// Their names, in order. Every rtl_ref/configs/*.json unless BPUSIM_RTL_CORE_CONFIGS chose some
// (core_variants_are_subset()).
std::vector<std::string> core_config_names();
bool core_variants_are_subset();

class RtlBackend : public runtime::Backend {
 public:
  std::string name() const override { return "rtl"; }
  void configure(const HwConfig& hw) override;
  runtime::Ddr& ddr() override { return ddr_; }
  std::span<uint8_t> sram(int buf) override { return memory_.sram(buf); }
  runtime::SegmentResult run(std::span<const isa::Instruction> code, int64_t first,
                             int64_t end) override;
  // FST of every signal of the core; a path ending in .vcd is converted with fst2vcd
  // (GTKWave) when the waveform is closed.
  void open_waveform(const std::string& path) override;
  void close_waveform() override;
  ~RtlBackend() override;

 private:
  HwConfig hw_;
  runtime::Ddr ddr_;
  CoreMemory memory_;
  std::unique_ptr<CoreModel> model_;
  std::string waveform_;  // what the user asked for
  std::string fst_;       // what the core writes
  int segment_ = 0;       // segments traced so far (one FST per segment after the first)
  std::vector<std::string> segment_files_;
};

}  // namespace bpusim::rtl
