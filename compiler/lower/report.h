// The compile report: the per-layer table `bpusim compile` prints (fused op, shapes, MACs,
// tiles, instructions, SRAM use, estimated cycles — compiler/lower/estimate.h), the segment
// list and totals.
#pragma once

#include <string>
#include <vector>

#include "compiler/program_builder.h"
#include "isa/container.h"

namespace bpusim::compiler {

std::string layer_table(const std::vector<isa::Layer>& layers, const isa::Program& program);

}  // namespace bpusim::compiler
