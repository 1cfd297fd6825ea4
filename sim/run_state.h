// State shared by the modules during one run: the start event every process waits for, the
// abort flag + event that unwinds every blocked process after a fault (or a deadlock), and the
// first fault raised. Owned by the top (Bpu); modules hold a reference.
#pragma once

#include <cstdint>
#include <optional>
#include <systemc>

#include "runtime/fault.h"
#include "sim/clock.h"

namespace bpusim::sim {

struct RunState {
  sc_core::sc_event start;  // notified by Bpu::run; every engine's outer loop waits for it
  bool abort = false;
  sc_core::sc_event abort_event;
  std::optional<runtime::Fault> fault;
  int64_t start_cycle = 0;  // absolute cycle of the run's start (cycles are reported from it)

  int64_t cycle() const { return now_cycle() - start_cycle; }
  // Records the first fault and aborts the run.
  void raise(runtime::Fault f) {
    if (!fault) {
      f.cycle = cycle();
      fault = std::move(f);
    }
    stop();
  }
  void stop() {
    abort = true;
    abort_event.notify(sc_core::SC_ZERO_TIME);
  }
};

}  // namespace bpusim::sim
