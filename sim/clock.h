// Simulated time <-> cycles. The model runs one clock; one cycle is one nanosecond of SystemC
// time whatever clock_mhz says (clock_mhz only converts cycles to seconds in reports), so that
// VCD and trace timestamps read directly as cycles.
#pragma once

#include <cstdint>
#include <systemc>

namespace bpusim::sim {

inline sc_core::sc_time cycles(int64_t n) {
  return sc_core::sc_time(static_cast<double>(n), sc_core::SC_NS);
}

// Absolute cycle number of the current simulated time.
inline int64_t now_cycle() {
  static const uint64_t kPerCycle = sc_core::sc_time(1, sc_core::SC_NS).value();
  return static_cast<int64_t>(sc_core::sc_time_stamp().value() / kPerCycle);
}

}  // namespace bpusim::sim
