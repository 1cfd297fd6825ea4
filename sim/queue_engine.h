// One instruction engine: the LOAD, COMPUTE or STORE queue's execution side. It takes the
// head of its instruction queue, waits for the instruction's dependency tokens (pop_prev /
// pop_next), asks the instruction's functional unit for a plan, checks every memory access
// (a bad one is a modeled fault), claims the SRAM banks it touches (rule 10), lets the unit
// run, releases the banks and pushes the tokens (push_prev / push_next). The three engines
// run concurrently and synchronise ONLY through tokens (and the shared DDR port and banks).
#pragma once

#include <array>
#include <string>
#include <systemc>

#include "runtime/perf_counters.h"
#include "sim/bank_arbiter.h"
#include "sim/instr_queue.h"
#include "sim/memories.h"
#include "sim/run_state.h"
#include "sim/token_fifo.h"
#include "sim/unit.h"

namespace bpusim::sim {

class QueueEngine : public sc_core::sc_module {
 public:
  QueueEngine(sc_core::sc_module_name name, runtime::Engine id, RunState& state, InstrQueue& queue,
              const Memories& memories, runtime::PerfCounters& counters, BankArbiter& arbiter);

  // Token FIFOs toward the previous / next queue (nullptr where the queue has no neighbour).
  void bind_tokens(TokenFifo* pop_prev, TokenFifo* pop_next, TokenFifo* push_prev,
                   TokenFifo* push_next);
  void bind_unit(isa::Opcode op, Unit* unit);

  // True between runs and once the engine has drained its queue.
  bool idle() const { return idle_; }
  // What a non-idle engine is blocked on, with its instruction (for the deadlock report).
  const Decoded* current() const { return current_; }
  const std::string& waiting_for() const { return waiting_; }

  sc_core::sc_signal<bool, sc_core::SC_UNCHECKED_WRITERS> busy;
  sc_core::sc_signal<int32_t, sc_core::SC_UNCHECKED_WRITERS> instr;  // index running, -1 when none

 private:
  SC_HAS_PROCESS(QueueEngine);
  void thread();
  void run_loop();
  // Executes one instruction; false when the run must stop (fault or abort).
  bool execute(const Decoded& d, int64_t queue_wait);
  // Waits until every token the instruction pops is there and every FIFO it pushes into has
  // room (rule 3), then takes the tokens; false when the run is aborted.
  bool take_tokens(const Decoded& d);
  // Rule 10: waits until every bank of every SRAM the plan touches has a free port (and rule 5:
  // for a LOAD or STORE that moves data, until its turn in the DMA order).
  bool acquire_banks(const Decoded& d, const Plan& p, BankClaim& held);
  // Rule 9: two accesses of the plan share a bank of a single-ported SRAM.
  bool intra_conflict(const Plan& p) const;
  void fault(const Decoded& d, std::string reason);

  runtime::Engine id_;
  RunState& state_;
  InstrQueue& queue_;
  const Memories& mem_;
  runtime::PerfCounters& counters_;
  BankArbiter& arbiter_;
  TokenFifo* pop_prev_ = nullptr;
  TokenFifo* pop_next_ = nullptr;
  TokenFifo* push_prev_ = nullptr;
  TokenFifo* push_next_ = nullptr;
  std::array<Unit*, isa::kNumOpcodes> units_{};
  bool idle_ = true;
  const Decoded* current_ = nullptr;
  std::string waiting_;
};

}  // namespace bpusim::sim
