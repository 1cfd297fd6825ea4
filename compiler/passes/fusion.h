// Fusion (docs/compiler.md, "Front end"): conv -> [add] -> [relu], linear ->
// [relu], add -> [relu]. Fusion never changes a result: the fused requantizer computes what
// the separate ops compute (stage 1 rounds and clamps the conv output to its own uint8 before
// stage 2 adds the residual, as PyTorch does). Runs after infer_shapes.
#pragma once

#include "compiler/passes/frontend_state.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// A QClamp (standalone ReLU/clamp with the input's qparams) whose input is the only use of a
// QConv/QMatMul/QAdd result joins that node's last clamp: [min, max] of stage 1, or
// [add_min, add_max] of stage 2, intersected with the clamp's bounds (clamping twice with
// overlapping ranges is clamping once to their intersection). Every QClamp left gets a
// diagnostic saying why.
void fuse_clamps(ir::Graph& graph, FrontendState& state);

// A QAdd whose FIRST operand is the only use of a QConv's result becomes that conv's stage 2
// (the second operand is the conv's residual input; the add's parameters are its add_*
// fields). Every QAdd left gets a diagnostic saying why it was not fused. The graph may need
// a toposort afterwards (the residual may be computed after the conv in node order).
void fuse_residual_adds(ir::Graph& graph, FrontendState& state);

}  // namespace bpusim::compiler
