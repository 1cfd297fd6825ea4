// The compile report: the per-layer table `bpusim compile` prints (fused op, shapes, MACs,
// tiles, instructions, SRAM use, estimated cycles — compiler/lower/estimate.h), the segment
// list and totals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/program_builder.h"
#include "isa/container.h"

namespace bpusim::compiler {

// `est_cycles`: the cost model's cycles of the whole program (layers overlap, so it is less
// than the sum of their estimates).
std::string layer_table(const std::vector<isa::Layer>& layers, const isa::Program& program,
                        int64_t est_cycles);

// `bpusim compile --report`: each layer's estimate next to its simulated cycles (`simulated`,
// one per layer), the error, and the MAC utilisation of the simulation on a rows x cols
// array; then the program totals and the largest error.
std::string estimate_table(const std::vector<isa::Layer>& layers,
                           const std::vector<int64_t>& simulated, int64_t est_cycles,
                           int64_t simulated_cycles, int64_t mac_rows, int64_t mac_cols);

}  // namespace bpusim::compiler
