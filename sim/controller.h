// The controller: fetches and decodes the segment's instructions in order, one per cycle
// (rule 1 of docs/timing.md), and dispatches each to the LOAD, COMPUTE or STORE queue of its
// opcode, waiting while that queue is full (queue.depth), and records every LOAD and STORE
// that moves data in the DMA order (rule 5, kept by the bank arbiter). It stops after FINISH
// or the last instruction of the segment, then closes the queues so that the engines drain
// and stop.
#pragma once

#include <array>
#include <span>
#include <systemc>

#include "runtime/perf_counters.h"
#include "sim/bank_arbiter.h"
#include "sim/decoded.h"
#include "sim/instr_queue.h"
#include "sim/run_state.h"
#include "sim/unit.h"

namespace bpusim::sim {

class Controller : public sc_core::sc_module {
 public:
  Controller(sc_core::sc_module_name name, RunState& state, std::array<InstrQueue*, 3> queues,
             runtime::PerfCounters& counters, BankArbiter& arbiter);

  // The instructions of the next run (decoded by the top; they outlive the run).
  void load(std::span<Decoded> program) { program_ = program; }
  bool idle() const { return idle_; }

  sc_core::sc_signal<int32_t, sc_core::SC_UNCHECKED_WRITERS> pc;  // index being fetched, -1 idle

 private:
  SC_HAS_PROCESS(Controller);
  void fetch();

  RunState& state_;
  std::array<InstrQueue*, 3> queues_;
  runtime::PerfCounters& counters_;
  BankArbiter& arbiter_;
  std::span<Decoded> program_;
  bool idle_ = true;
};

// NOP and FINISH: the control instructions of the compute queue (rule 2).
class ControlUnit : public Unit {
 public:
  Plan plan(const Decoded&) override { return Plan{}; }
  void run(const Decoded&, const Plan& p) override { activity.spend(p.cycles); }
  Activity activity{"control_busy"};
};

}  // namespace bpusim::sim
