#include "sim/controller.h"

#include "sim/clock.h"
#include "sim/timing.h"

namespace bpusim::sim {

Controller::Controller(sc_core::sc_module_name name, RunState& state,
                       std::array<InstrQueue*, 3> queues, runtime::PerfCounters& counters,
                       BankArbiter& arbiter)
    : sc_core::sc_module(name),
      pc("pc"),
      state_(state),
      queues_(queues),
      counters_(counters),
      arbiter_(arbiter) {
  SC_THREAD(fetch);
}

void Controller::fetch() {
  pc.write(-1);
  for (;;) {
    idle_ = true;
    sc_core::wait(state_.start);
    idle_ = false;
    for (Decoded& d : program_) {
      pc.write(static_cast<int32_t>(d.index));
      sc_core::wait(cycles(timing::kFetchCycles));
      if (state_.abort) break;
      int64_t waited = 0;
      d.dispatch = state_.cycle();
      // In program order, before the queue shows it: a DMA's turn never precedes its entry.
      if (timing::dma_moves_data(d.f)) arbiter_.dma_dispatched(runtime::engine_of(d.queue));
      const bool ok = queues_[static_cast<int>(d.queue)]->push(&d, waited);
      d.dispatch += waited;
      const int fetch = static_cast<int>(runtime::Engine::kFetch);
      counters_.stalls[fetch][static_cast<int>(runtime::Stall::kQueueFull)] += waited;
      counters_.engine_busy[fetch] += timing::kFetchCycles;
      if (!ok || d.op == isa::Opcode::FINISH) break;
    }
    for (InstrQueue* q : queues_) q->close();
    pc.write(-1);
  }
}

}  // namespace bpusim::sim
