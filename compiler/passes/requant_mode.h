// Requantizer parameters for the hardware's requant.mode (docs/requantizer.md 4).
#pragma once

#include "common/hw_config.h"
#include "compiler/passes/frontend_state.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// For requant.mode=fixed, rewrites the fp32 stage 1 of every QConv/QMatMul the front end
// produced (not those in state.preexisting) into the exact fixed-point encoding of each
// channel's float32 scale (fixed_encoding: mult * 2^-shift == scale). Results then differ
// from fp32 mode only where float(acc) or the float32 product rounds across a tie: at most
// one output LSB per layer. int32 pass-through nodes are left alone; fp32 mode changes
// nothing. Throws Error naming the node for a scale the fixed format cannot hold (>= 2^31).
void select_requant_mode(ir::Graph& graph, const HwConfig& hw, const FrontendState& state);

}  // namespace bpusim::compiler
