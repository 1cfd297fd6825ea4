// Liveness-based DDR planning: tensors whose lifetimes do not overlap share bytes.
//
// A lifetime is a closed range of steps of the program order (Plan::order: BPU layers and host
// ops in the order they run; -1 = before the first step, for model inputs the runtime writes
// before the run; order.size() = after the last, for outputs it reads after the run). Closed
// means a step's inputs and outputs are live at that step together, so no op ever writes over
// its own operands. place_blocks() is the offline allocator; peak_live_bytes() is the lower
// bound every placement must reach. make_plan() (memory_plan.cc) computes the lifetimes and
// the program's DDR map with them; check_ddr_plan() verifies the finished program with the
// independent checker of schedule_check.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/lower/schedule_check.h"
#include "isa/container.h"

namespace bpusim::compiler {

struct Plan;

// A block of `bytes` that is live from step `first` through step `last`.
struct LiveRange {
  int64_t bytes = 0;
  int64_t first = 0;
  int64_t last = 0;
};

bool lifetimes_overlap(const LiveRange& a, const LiveRange& b);

// Offsets (multiples of `align`, from 0), one per block, such that two blocks whose lifetimes
// overlap never share a byte (each block takes its size rounded up to `align`). First fit:
// blocks one by one, each at the lowest offset that is free over its whole lifetime; the
// largest block first (the classic offline heuristic: big blocks fixed early leave few
// holes). Only when that needs more than peak_live_bytes() other orders are tried, then a
// bounded deterministic local search over the order; the smallest placement wins.
std::vector<int64_t> place_blocks(const std::vector<LiveRange>& blocks, int64_t align);
// The first byte after every block of a placement (0 for none).
int64_t placement_end(const std::vector<LiveRange>& blocks, const std::vector<int64_t>& offsets,
                      int64_t align);
// The most bytes (sizes rounded up to `align`) live at one step: no placement needs less.
int64_t peak_live_bytes(const std::vector<LiveRange>& blocks, int64_t align);

// The DDR a program needs, as `bpusim compile` prints it.
struct DdrFootprint {
  bool reuse = true;         // CompileOptions::ddr_reuse
  int64_t weights = 0;       // WEIGHTS bytes (reorganised weights, host constants)
  int64_t params = 0;        // PARAMS bytes (requantizer records)
  int64_t tensors_base = 0;  // DDR address of the tensor area (after PARAMS, 4 KiB aligned)
  int64_t tensors = 0;       // bytes of the tensor area as placed
  int64_t peak_live = 0;     // the largest set of tensors live at one step (a lower bound)
  int64_t no_reuse = 0;      // the tensor area when every tensor has its own bytes
  int64_t ddr_end() const { return tensors_base + tensors; }
};

// One line: "DDR tensors: ... with reuse (largest live set ..., each tensor its own bytes:
// ...); DDR end ..." plus a newline.
std::string ddr_summary(const DdrFootprint& f);

// The finished program's steps in the order it runs them (SEGMENTS order), each with the
// TENSORS it reads and writes, as check_ddr_lifetimes() takes them. `plan` is the plan the
// program was lowered from.
std::vector<ProgramStep> program_steps(const Plan& plan, const isa::Program& program);
// Runs check_ddr_lifetimes() on the program; a failure is an internal error (a compiler bug).
void check_ddr_plan(const Plan& plan, const isa::Program& program);

}  // namespace bpusim::compiler
