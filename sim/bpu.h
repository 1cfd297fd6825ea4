// The top of the SystemC model: the BPU. It owns and binds every child module in its
// constructor (controller, the three instruction queues and engines, the four token FIFOs,
// the DMA engine with its DDR port, the five SRAMs, the MAC array, the requantizer, the vector
// unit) and runs program segments on them.
//
// SystemC elaborates once per process, so there is one Bpu per process (instance()), reused
// for every run: configure() applies a hardware configuration (sizes and latencies are
// run-time parameters) and clears the memories; run() executes one BPU segment with
// sc_start() until event starvation (never sc_stop()), then returns the cycles, counters and
// any modeled fault. A fault or a deadlock unwinds every process, so the next run starts clean.
// The kernel lives on its own thread (sim_thread.h): the public calls below post their work
// there and wait, so they may be called from any one thread at a time.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <systemc>
#include <vector>

#include "common/hw_config.h"
#include "isa/isa.h"
#include "runtime/backend.h"
#include "runtime/ddr.h"
#include "runtime/fault.h"
#include "runtime/perf_counters.h"
#include "sim/bank_arbiter.h"
#include "sim/controller.h"
#include "sim/dma_engine.h"
#include "sim/instr_queue.h"
#include "sim/mac_array.h"
#include "sim/memories.h"
#include "sim/queue_engine.h"
#include "sim/requantizer.h"
#include "sim/run_state.h"
#include "sim/sram.h"
#include "sim/token_fifo.h"
#include "sim/vector_unit.h"

namespace bpusim::sim {

class Bpu : public sc_core::sc_module {
 public:
  // The process-wide model, built (with the default configuration) on first use.
  static Bpu& instance();

  // Applies `hw` (validated by the caller) and clears every SRAM and the DDR image.
  void configure(const HwConfig& hw);
  const HwConfig& config() const { return hw_; }

  runtime::Ddr& ddr() { return ddr_; }
  Sram& sram(Buf b) { return memories_.of(b); }
  // The MAC array and the requantizer, for the RTL co-simulation backend.
  const MacArray& mac_array() const { return mac_; }

  // Runs code[first, end): fetch stops after FINISH or at `end`. SRAM and DDR contents persist
  // across runs (segments of one program); configure() clears them.
  runtime::SegmentResult run(std::span<const isa::Instruction> code, int64_t first, int64_t end);

  // Unit activity as a VCD file for GTKWave (`path` should end in ".vcd"), from now on.
  void open_vcd(const std::string& path);
  void close_vcd();

 private:
  explicit Bpu(sc_core::sc_module_name name);
  // The bodies of the public calls, on the kernel thread.
  void configure_now(const HwConfig& hw);
  runtime::SegmentResult run_now(std::span<const isa::Instruction> code, int64_t first,
                                 int64_t end);
  void open_vcd_now(const std::string& path);
  void close_vcd_now();
  void reset_run();
  std::optional<runtime::Fault> deadlock() const;

  HwConfig hw_;
  RunState state_;
  runtime::PerfCounters counters_;
  runtime::Ddr ddr_;
  Sram feature_, weight_, acc_, output_, param_;
  Memories memories_;
  InstrQueue load_q_, compute_q_, store_q_;
  TokenFifo l2c_, c2l_, c2s_, s2c_;
  Controller controller_;
  BankArbiter arbiter_;
  DmaEngine dma_;
  MacArray mac_;
  Requantizer requant_;
  VectorUnit vector_;
  ControlUnit control_;
  QueueEngine load_, compute_, store_;
  std::vector<Decoded> program_;
  sc_core::sc_trace_file* vcd_ = nullptr;
};

}  // namespace bpusim::sim
