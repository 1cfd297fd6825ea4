#include "sim/ddr_port.h"

#include <algorithm>

#include "sim/clock.h"

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

void DdrPort::advance() {
  const int64_t now = now_cycle();
  const int k = active_count();
  if (k > 0) {
    // With k requesters active each moves bytes_per_cycle / k bytes per cycle, i.e.
    // 2 * bytes_per_cycle / k half-bytes (an integer for k = 1, 2).
    const int64_t rate = 2 * bytes_per_cycle_ / k;
    for (auto& s : slots_)
      if (s.active) s.remaining -= (now - last_cycle_) * rate;
    busy_cycles_ += now - last_cycle_;
  }
  last_cycle_ = now;
}

void DdrPort::schedule() {
  wake_.cancel();
  const int k = active_count();
  if (k == 0) return;
  int64_t least = INT64_MAX;
  for (const auto& s : slots_)
    if (s.active) least = std::min(least, s.remaining);
  const int64_t rate = 2 * bytes_per_cycle_ / k;
  const int64_t wait = least <= 0 ? 0 : (least + rate - 1) / rate;
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
  s.active = true;
  s.finished = false;
  s.remaining = 2 * bus_bytes;
  active_transfers.write(active_count());
  schedule();
  while (!s.finished) wait(s.done);
}

}  // namespace bpusim::sim
