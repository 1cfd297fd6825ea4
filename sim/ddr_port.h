// The DDR port and its arbiter: the one path to DDR, shared by the LOAD and STORE queues.
// Timing rules 4 and 5 of docs/timing.md: a transfer waits the DDR latency (pipelined: it
// occupies no bandwidth), then moves its bus bytes at ddr.bytes_per_cycle; first come, first
// served: a transfer whose latency ends while the other one moves data waits for it (DMAs
// start in program order, docs/timing.md rule 5, so this is program order too). The model is
// computed exactly in half-byte units with events only when a transfer starts or ends (never one
// event per burst); the port is granted in whole cycles, so a transfer ends at the first cycle
// boundary at or after its last byte.
#pragma once

#include <array>
#include <cstdint>
#include <systemc>

namespace bpusim::sim {

class DdrPort : public sc_core::sc_module {
 public:
  enum Requester { kLoad = 0, kStore = 1 };

  explicit DdrPort(sc_core::sc_module_name name);
  void configure(int64_t bytes_per_cycle, int64_t latency_cycles);
  // Clears counters and any state left by an aborted run.
  void reset();

  // Blocking; call from a SystemC thread. Moves `bus_bytes` for `who` (one transfer per
  // requester at a time) and returns when its last byte has crossed the port.
  void transfer(Requester who, int64_t bus_bytes);

  // Cycles the port moved data (at least one transfer active), since reset().
  int64_t busy_cycles() const { return busy_cycles_; }
  // Number of transfers moving data now (0..2), for the VCD.
  sc_core::sc_signal<uint32_t, sc_core::SC_UNCHECKED_WRITERS> active_transfers;

 private:
  SC_HAS_PROCESS(DdrPort);
  void advance();                     // brings every active transfer's remaining work up to now
  void schedule();                    // arms wake_ for the next completion
  void on_wake();                     // SC_METHOD: retires completed transfers
  int64_t rate(Requester who) const;  // half-bytes per cycle `who` moves now (when active)

  struct Slot {
    bool active = false;
    bool finished = false;
    int64_t remaining = 0;  // half-bytes still to move
    sc_core::sc_event done;
  };
  int active_count() const { return slots_[0].active + slots_[1].active; }

  int64_t bytes_per_cycle_ = 1;
  int64_t latency_ = 0;
  std::array<Slot, 2> slots_;
  Requester first_ = kLoad;  // of two active transfers, the one that arrived first
  int64_t last_cycle_ = 0;
  int64_t busy_cycles_ = 0;
  sc_core::sc_event wake_;
};

}  // namespace bpusim::sim
