// Float regions (modules with qconfig = None: ops between a DeQuantStub and a QuantStub) and
// the batch norms a float region may still hold.
#pragma once

#include "compiler/passes/frontend_state.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// Folds BatchNormalization (inference form, constant parameters) into the float Conv with
// constant weights whose only reader it is: W' = W * g / sqrt(v + eps), B' = (B - m) * g /
// sqrt(v + eps) + b, computed in double and rounded to float32 once. Throws Error naming the
// node for any other BatchNormalization (models fuse conv + bn before QAT: docs/guide.md
// section 2, rule 5).
void fold_batchnorm(ir::Graph& graph, const FrontendState& state);

// Throws Error naming the node, its op and the reason for every node that is not a canonical
// op after the passes (an ONNX op bpusim has no quantized pattern or float kernel for), then
// validates every node against the op table (ir::check_node).
void check_canonical(const ir::Graph& graph, const FrontendState& state);

// Adds one diagnostic per float region: a connected group of float ops (ir/op_set.h group
// kFloat, plus Flatten/Reshape of float tensors), which the runtime executes on the host in
// float32. Needs the element types (after infer_shapes).
void report_float_regions(const ir::Graph& graph, FrontendState& state);

}  // namespace bpusim::compiler
