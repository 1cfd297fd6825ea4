#include "sim/ddr_port.h"

#include <algorithm>

#include "sim/clock.h"
#include "sim/timing.h"

namespace bpusim::sim {

DdrPort::DdrPort(sc_core::sc_module_name name)
    : sc_core::sc_module(name), active_transfers("active_transfers") {
  SC_METHOD(on_wake);
  sensitive << wake_;
  dont_initialize();
}

void DdrPort::configure(int64_t bytes_per_cycle, int64_t latency_cycles) {
  bytes_per_cycle_ = bytes_per_cycle;
  latency_ = latency_cycles;
}

void DdrPort::reset() {
  for (auto& s : slots_) {
    s.active = false;
    s.finished = false;
    s.remaining = 0;
  }
  wake_.cancel();
  busy_cycles_ = 0;
  last_cycle_ = now_cycle();
}

int64_t DdrPort::rate(Requester who) const {
  const Requester other = who == kLoad ? kStore : kLoad;
  return timing::ddr_rate(slots_[other].active && first_ == other, bytes_per_cycle_);
}

void DdrPort::advance() {
  const int64_t now = now_cycle();
  if (active_count() > 0) {
    for (Requester who : {kLoad, kStore})
      if (slots_[who].active) slots_[who].remaining -= (now - last_cycle_) * rate(who);
    busy_cycles_ += now - last_cycle_;
  }
  last_cycle_ = now;
}

void DdrPort::schedule() {
  wake_.cancel();
  if (active_count() == 0) return;
  int64_t wait = INT64_MAX;
  for (Requester who : {kLoad, kStore}) {
    const Slot& s = slots_[who];
    if (!s.active || rate(who) == 0) continue;
    wait = std::min(wait, timing::ddr_cycles_left(s.remaining, rate(who)));
  }
  wake_.notify(cycles(wait));
}

void DdrPort::on_wake() {
  advance();
  for (auto& s : slots_) {
    if (s.active && s.remaining <= 0) {
      s.active = false;
      s.finished = true;
      s.done.notify();
    }
  }
  active_transfers.write(active_count());
  schedule();
}

void DdrPort::transfer(Requester who, int64_t bus_bytes) {
  if (bus_bytes <= 0) return;
  wait(cycles(latency_));
  advance();
  Slot& s = slots_[who];
  const Requester other = who == kLoad ? kStore : kLoad;
  first_ = slots_[other].active ? other : who;
  s.active = true;
  s.finished = false;
  s.remaining = 2 * bus_bytes;
  active_transfers.write(active_count());
  schedule();
  while (!s.finished) wait(s.done);
}

}  // namespace bpusim::sim
