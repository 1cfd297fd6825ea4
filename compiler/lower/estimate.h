// The compiler's cost model: when each instruction of a BPU segment will start and end on the
// modeled core, predicted from the schedule alone (docs/compiler.md, "Cost model").
//
// Every duration is a timing rule of docs/timing.md, computed by the same functions the SystemC
// model applies (sim/timing.h, linked as bpusim::timing): rule 2 control, 4 DMA, 6 CONV,
// 7 REQUANT, 8 vector unit, 9 a bank conflict inside one instruction. What the prediction adds
// is the interplay: fetch and dispatch one per cycle into queues of queue.depth (rule 1),
// in-order engines that wait for dependency tokens and for room in token FIFOs of
// queue.token_depth (rule 3), DMAs that move data starting in program order and sharing the
// DDR port first come, first served (rule 5), and SRAM banks claimed by one engine at a time
// (rule 10). It is an event-driven
// replay of those rules, one step per state change, so its cost is linear in the number of
// instructions: cheap enough for the tiler to predict every candidate it considers.
// What it does not model is anything not in the schedule (faults, data-dependent effects — the
// core has none). How close it is to the SystemC model is measured, not assumed: `bpusim
// compile --report` prints each layer's error and tests/compiler/test_estimate.cc bounds it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/hw_config.h"
#include "isa/isa.h"

namespace bpusim::compiler {

// Cycles `op` occupies its unit when it runs alone (no DDR sharing, no bank waits; rule 9
// included).
int64_t estimate_cycles(const isa::Operands& op, const HwConfig& hw);

struct PredictedTiming {
  int64_t start = 0;  // the cycle the instruction starts (tokens popped, banks claimed)
  int64_t end = 0;    // the cycle it ends
};

// Start and end of every instruction of one BPU segment (code in program order, token flags
// set, starting from an idle core at cycle 0).
std::vector<PredictedTiming> predict_segment(std::span<const isa::Operands> code,
                                             const HwConfig& hw);

// predicted_span() of the whole segment when it is at most `limit` cycles, else nullopt; the
// replay stops as soon as the span is certain to exceed `limit` (the tiling search skips a
// candidate that cannot beat the best so far).
std::optional<int64_t> predict_span_at_most(std::span<const isa::Operands> code, const HwConfig& hw,
                                            int64_t limit);

// From the first start to the last end of instructions [begin, end) of a prediction: a layer's
// cycles as the simulator reports them.
int64_t predicted_span(std::span<const PredictedTiming> timing, int64_t begin, int64_t end);

}  // namespace bpusim::compiler
