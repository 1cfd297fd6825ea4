// A dependency-token FIFO between two neighbouring instruction queues (docs/timing.md rule 3).
#pragma once

#include <cstdint>
#include <systemc>

namespace bpusim::sim {

// A dependency-token FIFO between two neighbouring queues (L2C, C2L, C2S, S2C): only a count
// matters. push() never blocks (the count is unbounded, so a program cannot deadlock on token
// capacity); pop() waits for a token and returns false when the run is aborted.
class TokenFifo : public sc_core::sc_module {
 public:
  TokenFifo(sc_core::sc_module_name name, const bool* abort, const sc_core::sc_event* abort_ev)
      : sc_core::sc_module(name), count_signal("count"), abort_(abort), abort_ev_(abort_ev) {}

  void reset() {
    count_ = 0;
    count_signal.write(0);
  }
  void push() {
    ++count_;
    count_signal.write(static_cast<uint32_t>(count_));
    pushed_.notify(sc_core::SC_ZERO_TIME);
  }
  bool pop() {
    while (count_ == 0 && !*abort_) sc_core::wait(pushed_ | *abort_ev_);
    if (*abort_) return false;
    --count_;
    count_signal.write(static_cast<uint32_t>(count_));
    return true;
  }
  int64_t count() const { return count_; }
  sc_core::sc_signal<uint32_t, sc_core::SC_UNCHECKED_WRITERS> count_signal;

 private:
  int64_t count_ = 0;
  sc_core::sc_event pushed_;
  const bool* abort_;
  const sc_core::sc_event* abort_ev_;
};

}  // namespace bpusim::sim
