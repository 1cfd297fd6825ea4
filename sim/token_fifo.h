// A dependency-token FIFO between two neighbouring instruction queues (docs/timing.md rule 3).
#pragma once

#include <cstdint>
#include <systemc>

#include "sim/clock.h"

namespace bpusim::sim {

// A dependency-token FIFO between two neighbouring queues (L2C, C2L, C2S, S2C): only a count
// matters, up to `queue.token_depth`. Its one producer pushes when an instruction ends (the
// consumer may start in that same cycle); its one consumer takes a token when it starts.
// The producer starts an instruction that pushes here only while the FIFO has room as of
// the start of the cycle (a token taken in this cycle frees room from the next one, as the
// RTL core's registered count does), so a push never overflows.
class TokenFifo : public sc_core::sc_module {
 public:
  TokenFifo(sc_core::sc_module_name name) : sc_core::sc_module(name), count_signal("count") {}

  void reset(int64_t depth) {
    count_ = 0;
    depth_ = depth;
    taken_now_ = 0;
    count_signal.write(0);
  }
  void push() {
    ++count_;
    count_signal.write(static_cast<uint32_t>(count_));
    pushed.notify(sc_core::SC_ZERO_TIME);
  }
  bool available() const { return count_ > 0; }
  void take() {
    const int64_t now = now_cycle();
    if (taken_at_ != now) taken_now_ = 0;
    taken_at_ = now;
    ++taken_now_;
    --count_;
    count_signal.write(static_cast<uint32_t>(count_));
    taken.notify(sc_core::SC_ZERO_TIME);
  }
  // Room for one more token, counting the tokens taken in this cycle as still there.
  bool room() const {
    const int64_t before = count_ + (taken_at_ == now_cycle() ? taken_now_ : 0);
    return before < depth_;
  }
  int64_t count() const { return count_; }
  sc_core::sc_signal<uint32_t, sc_core::SC_UNCHECKED_WRITERS> count_signal;
  sc_core::sc_event pushed, taken;

 private:
  int64_t count_ = 0;
  int64_t depth_ = 1;
  int64_t taken_at_ = -1;
  int64_t taken_now_ = 0;
};

}  // namespace bpusim::sim
