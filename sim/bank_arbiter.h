// The SRAM bank-port arbiter (docs/timing.md rule 10). An engine claims, at an instruction's
// start, every bank of every SRAM the instruction touches, and releases them at its end; a
// bank serves at most `sram.ports` engines at once. Engines that claim in the same cycle are
// decided together, in the fixed priority LOAD, COMPUTE, STORE — the order the RTL core's
// combinational arbiter grants them (rtl_ref/core/bpu_core.sv), independent of the order in
// which SystemC happens to run the engine threads within that cycle. To see every claim of a
// cycle, the decision runs kSettleDeltas delta cycles after the first claim or release of
// the cycle: later than any engine can become ready in it (an engine becomes ready at most a
// few deltas after the instruction end, token push, dispatch or release that enables it).
// It also keeps the DMA order of rule 5: a LOAD or STORE that moves data starts only when
// every earlier one in program order has started (the controller records each at dispatch);
// the head of that order as of the start of the cycle decides, so at most one DMA that moves
// data starts per cycle, like the core's registered order FIFO.
#pragma once

#include <array>
#include <deque>
#include <systemc>

#include "runtime/perf_counters.h"
#include "sim/memories.h"
#include "sim/run_state.h"

namespace bpusim::sim {

using BankClaim = std::array<BankSet, kNumSrams>;

class BankArbiter : public sc_core::sc_module {
 public:
  BankArbiter(sc_core::sc_module_name name, const Memories& memories, RunState& state);

  // Blocks the calling engine thread until its claim is granted (and, for a DMA that moves
  // data, `ordered`, until it is its turn); false when the run aborts.
  bool claim(runtime::Engine engine, const BankClaim& want, bool ordered);
  // The controller dispatched a LOAD or STORE that moves data (program order).
  void dma_dispatched(runtime::Engine engine) { dma_order_.push_back(engine); }
  // The engine's instruction ended: its banks are free for claims decided in this cycle.
  void release(const BankClaim& held);
  void reset();

 private:
  SC_HAS_PROCESS(BankArbiter);
  static constexpr int kSettleDeltas = 8;
  void kick();
  void decide();  // SC_METHOD on settle_

  struct Request {
    bool pending = false;
    bool granted = false;
    bool ordered = false;
    BankClaim want{};
    sc_core::sc_event grant;
  };
  const Memories& mem_;
  RunState& state_;
  std::array<Request, 3> requests_;  // LOAD, COMPUTE, STORE: the priority order
  sc_core::sc_event settle_;
  sc_core::sc_event next_cycle_;  // a DMA waits for its turn: decide again in the next cycle
  int settle_left_ = 0;
  std::deque<runtime::Engine> dma_order_;
};

}  // namespace bpusim::sim
