// The interface between an instruction engine (queue_engine.h) and the functional unit that
// executes an instruction (DMA channel, MAC array, requantizer, vector unit, control).
// Contract: plan() decides everything at the instruction's start without side effects — the
// memory accesses (checked by the engine: a bad one is a fault and the instruction does not
// run), the busy cycles from docs/timing.md, or a fault reason for operands the unit cannot
// execute. run() is called from the engine's SystemC thread only for a legal plan: it takes
// the instruction's time (wait) and applies its whole data effect in bulk at the end.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "sim/decoded.h"
#include "sim/sram.h"

namespace bpusim::sim {

struct Plan {
  std::vector<Access> accesses;
  int64_t cycles = 1;  // busy cycles without stalls (DMA: the transfer alone on the port)
  int64_t beats = 0;   // streaming beats a bank conflict (rule 9) repeats
  int64_t macs = 0;
  int64_t bus_bytes = 0;      // DDR bus bytes (DMA only)
  int64_t payload_bytes = 0;  // DDR payload bytes (DMA only)
  std::string fault;          // non-empty: the unit cannot execute these operands
};

class Unit {
 public:
  virtual ~Unit() = default;
  virtual Plan plan(const Decoded& d) = 0;
  virtual void run(const Decoded& d, const Plan& p) = 0;
};

// Sets `busy` for the duration of a unit's activity (VCD) and counts its busy cycles.
struct Activity {
  sc_core::sc_signal<bool, sc_core::SC_UNCHECKED_WRITERS> busy;
  int64_t busy_cycles = 0;
  explicit Activity(const char* name) : busy(name) {}
  void spend(int64_t n) {
    busy.write(true);
    sc_core::wait(sc_core::sc_time(static_cast<double>(n), sc_core::SC_NS));
    busy.write(false);
    busy_cycles += n;
  }
};

}  // namespace bpusim::sim
