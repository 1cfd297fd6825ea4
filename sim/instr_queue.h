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
    taken_at_ = -1;
    taken_now_ = 0;
    depth_signal.write(0);
  }
  // Called by the controller after the last instruction for this queue.
  void close() {
    closed_ = true;
    changed_.notify(sc_core::SC_ZERO_TIME);
  }

  // Enqueues after fetch (rule 1). The enqueue is decided in the cycle before the
  // instruction shows in the queue: it needs room as of the end of that cycle, i.e. counting
  // the instructions the engine takes in it. When the queue is full then, the instruction
  // shows one cycle after the engine takes one (the RTL core's queue does the same).
  bool push(const Decoded* d, int64_t& waited) {
    const int64_t t0 = now_cycle();
    const int64_t taken_now = taken_at_ == t0 ? taken_now_ : 0;
    if (static_cast<int64_t>(items_.size()) + taken_now >= capacity_) {
      while (static_cast<int64_t>(items_.size()) >= capacity_ && !*abort_)
        sc_core::wait(changed_ | *abort_ev_);
      if (!*abort_) sc_core::wait(cycles(1), *abort_ev_);
    }
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
    const int64_t now = now_cycle();
    if (taken_at_ != now) taken_now_ = 0;
    taken_at_ = now;
    ++taken_now_;
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
  int64_t taken_at_ = -1;  // the cycle of the last pop, and how many pops happened in it
  int64_t taken_now_ = 0;
  sc_core::sc_event changed_;
  const bool* abort_;
  const sc_core::sc_event* abort_ev_;
};

}  // namespace bpusim::sim
