// The LOAD/COMPUTE/STORE schedule of one BPU segment, with its dependency tokens.
//
// Instructions are appended in one sequential program order (the order a simple in-order
// machine would run them, and the order they are stored in CODE). The builder derives every
// token from memory conflicts (compiler/lower/footprint.h): an instruction waits for the
// latest earlier instruction of another queue that writes what it reads or reads/writes what
// it writes, and for nothing else — so a LOAD into the other half of a double buffer
// overlaps the COMPUTE of the current half, and a STORE overlaps both.
//
// Protocol (docs/compiler.md, "Schedule"): for each token FIFO (L2C, C2L, C2S, S2C) the
// consumer's waits are strictly increasing producer indices, so the m-th pop of a FIFO
// consumes the token of the m-th push, every push has exactly one pop, and every producer
// precedes its consumer in CODE order: deadlock-free by construction, for any queue speeds.
// Waits already implied transitively (vector clocks over the three queues) emit no token.
// LOAD and STORE are not neighbours: a DDR dependency between them is routed through a
// COMPUTE instruction that already waits for the producer, or a NOP that does.
// The core starts the DMAs that move data in program order and serves them on the DDR port
// first come, first served (docs/timing.md rule 5), so program order is DDR order: a STORE
// is held back until the next instruction that is not a LOAD, and the LOADs in between that
// touch nothing it touches are emitted before it — a tile's prefetch goes ahead of the
// previous tile's results, as LOAD priority used to let it.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/lower/access_tracker.h"
#include "isa/isa.h"

namespace bpusim::compiler {

class Schedule {
 public:
  // Appends `op` (token flags 0) in program order, adds its pops and the matching pushes on
  // earlier instructions (a STORE is held back, see above: call flush() before reading
  // code()).
  void emit(const isa::Operands& op);
  // Emits the STOREs held back (a layer's last ones, or before the schedule is read).
  void flush();
  // The instructions so far (token flags final for every instruction already emitted except
  // for pushes that later instructions may still add).
  const std::vector<isa::Operands>& code() const { return code_; }
  int64_t size() const { return static_cast<int64_t>(code_.size()); }
  // NOPs inserted to route a LOAD<->STORE dependency through COMPUTE.
  int64_t routing_nops() const { return routing_nops_; }

 private:
  struct Entry {
    int64_t global;  // index in code_
    QueueIndex vc;   // vector clock: latest instruction of each queue ordered before (or =) it
  };
  int64_t emit_with(const isa::Operands& op, QueueIndex required);
  // Index (in the compute queue) of the first COMPUTE instruction ordered after instruction
  // `index` of queue `q`, or -1.
  int64_t first_compute_after(int q, int64_t index) const;

  std::vector<isa::Operands> code_;
  std::array<std::vector<Entry>, kNumQueues> queues_;
  AccessTracker tracker_;
  int64_t routing_nops_ = 0;
  std::vector<isa::Operands> held_stores_;
};

// Sets the flag of instruction `o` (in queue `self`) that pops from / pushes to queue `other`.
void set_pop(isa::Operands& o, int self, int other);
void set_push(isa::Operands& o, int self, int other);

}  // namespace bpusim::compiler
