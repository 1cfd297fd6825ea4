#include "sim/bank_arbiter.h"

namespace bpusim::sim {

BankArbiter::BankArbiter(sc_core::sc_module_name name, const Memories& memories, RunState& state)
    : sc_core::sc_module(name), mem_(memories), state_(state) {
  SC_METHOD(decide);
  sensitive << settle_;
  dont_initialize();
}

void BankArbiter::reset() {
  for (Request& r : requests_) {
    r.pending = false;
    r.granted = false;
  }
  settle_.cancel();
  settle_left_ = 0;
}

void BankArbiter::kick() {
  if (settle_left_ > 0) return;  // a decision is already on its way in this cycle
  settle_left_ = kSettleDeltas;
  settle_.notify(sc_core::SC_ZERO_TIME);
}

bool BankArbiter::claim(runtime::Engine engine, const BankClaim& want) {
  Request& r = requests_[static_cast<size_t>(engine)];
  r.pending = true;
  r.granted = false;
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
  for (Request& r : requests_) {
    if (!r.pending || r.granted) continue;
    bool free = true;
    for (int s = 0; s < kNumSrams && free; ++s) free = mem_.sram[s]->can_hold(r.want[s]);
    if (!free) continue;
    for (int s = 0; s < kNumSrams; ++s) mem_.sram[s]->hold(r.want[s], +1);
    r.granted = true;
    r.grant.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace bpusim::sim
