#include "sim/bank_arbiter.h"

#include "sim/clock.h"

namespace bpusim::sim {

BankArbiter::BankArbiter(sc_core::sc_module_name name, const Memories& memories, RunState& state)
    : sc_core::sc_module(name), mem_(memories), state_(state) {
  SC_METHOD(decide);
  sensitive << settle_;
  dont_initialize();
  SC_METHOD(kick);
  sensitive << next_cycle_;
  dont_initialize();
}

void BankArbiter::reset() {
  for (Request& r : requests_) {
    r.pending = false;
    r.granted = false;
  }
  settle_.cancel();
  next_cycle_.cancel();
  settle_left_ = 0;
  dma_order_.clear();
}

void BankArbiter::kick() {
  if (settle_left_ > 0) return;  // a decision is already on its way in this cycle
  settle_left_ = kSettleDeltas;
  settle_.notify(sc_core::SC_ZERO_TIME);
}

bool BankArbiter::claim(runtime::Engine engine, const BankClaim& want, bool ordered) {
  Request& r = requests_[static_cast<size_t>(engine)];
  r.pending = true;
  r.granted = false;
  r.ordered = ordered;
  r.want = want;
  kick();
  while (!r.granted && !state_.abort) sc_core::wait(r.grant | state_.abort_event);
  r.pending = false;
  return r.granted && !state_.abort;
}

void BankArbiter::release(const BankClaim& held) {
  for (int s = 0; s < kNumSrams; ++s) mem_.sram[s]->hold(held[s], -1);
  kick();
}

void BankArbiter::decide() {
  if (--settle_left_ > 0) {
    settle_.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  // The DMA order's head as of the start of this cycle (a grant below pops it for the next).
  const size_t head =
      dma_order_.empty() ? requests_.size() : static_cast<size_t>(dma_order_.front());
  bool turn_waits = false, popped = false;
  for (size_t e = 0; e < requests_.size(); ++e) {
    Request& r = requests_[e];
    if (!r.pending || r.granted) continue;
    if (r.ordered && e != head) {
      turn_waits = true;
      continue;
    }
    bool free = true;
    for (int s = 0; s < kNumSrams && free; ++s) free = mem_.sram[s]->can_hold(r.want[s]);
    if (!free) continue;
    for (int s = 0; s < kNumSrams; ++s) mem_.sram[s]->hold(r.want[s], +1);
    if (r.ordered) dma_order_.pop_front(), popped = true;
    r.granted = true;
    r.grant.notify(sc_core::SC_ZERO_TIME);
  }
  if (turn_waits && popped) next_cycle_.notify(cycles(1));
}

}  // namespace bpusim::sim
