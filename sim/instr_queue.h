// An instruction queue between the controller and one execution engine (LOAD, COMPUTE or
// STORE): a FIFO of decoded instructions with a run-time capacity (queue.depth). push() blocks
// while it is full, pop() while it is empty; both return false once the run is aborted (a
// fault elsewhere), and pop() also once the controller has closed the queue and it drained.
// Blocking calls must come from SystemC threads; each returns the cycles it waited.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <systemc>

#include "sim/clock.h"
#include "sim/decoded.h"

namespace bpusim::sim {

class InstrQueue : public sc_core::sc_module {
 public:
  InstrQueue(sc_core::sc_module_name name, const bool* abort, const sc_core::sc_event* abort_ev)
      : sc_core::sc_module(name), depth_signal("depth"), abort_(abort), abort_ev_(abort_ev) {}

  // Empties the queue and sets its capacity for the next run.
  void reset(int64_t capacity) {
    items_.clear();
    capacity_ = capacity;
    closed_ = false;
    depth_signal.write(0);
  }
  // Called by the controller after the last instruction for this queue.
  void close() {
    closed_ = true;
    changed_.notify(sc_core::SC_ZERO_TIME);
  }

  bool push(const Decoded* d, int64_t& waited) {
    const int64_t t0 = now_cycle();
    while (static_cast<int64_t>(items_.size()) >= capacity_ && !*abort_)
      sc_core::wait(changed_ | *abort_ev_);
    waited = now_cycle() - t0;
    if (*abort_) return false;
    items_.push_back(d);
    changed();
    return true;
  }

  // nullptr when the queue is closed and drained, or the run was aborted.
  const Decoded* pop(int64_t& waited) {
    const int64_t t0 = now_cycle();
    while (items_.empty() && !closed_ && !*abort_) sc_core::wait(changed_ | *abort_ev_);
    waited = now_cycle() - t0;
    if (*abort_ || items_.empty()) return nullptr;
    const Decoded* d = items_.front();
    items_.pop_front();
    changed();
    return d;
  }

  int64_t size() const { return static_cast<int64_t>(items_.size()); }
  const Decoded* front() const { return items_.empty() ? nullptr : items_.front(); }
  // Called with the new depth after every push and pop (the performance counters' log).
  std::function<void(int64_t depth)> on_depth;
  sc_core::sc_signal<uint32_t, sc_core::SC_UNCHECKED_WRITERS> depth_signal;

 private:
  void changed() {
    changed_.notify(sc_core::SC_ZERO_TIME);
    depth_signal.write(static_cast<uint32_t>(items_.size()));
    if (on_depth) on_depth(static_cast<int64_t>(items_.size()));
  }

  std::deque<const Decoded*> items_;
  int64_t capacity_ = 1;
  bool closed_ = false;
  sc_core::sc_event changed_;
  const bool* abort_;
  const sc_core::sc_event* abort_ev_;
};

}  // namespace bpusim::sim
