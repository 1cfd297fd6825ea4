// Shape and element-type inference for graphs of canonical ops (ir/op_set.h). ONNX files do
// not always carry value_info for intermediate tensors and passes create new values, while
// lowering needs every shape: this pass computes each node's output shapes and types from its
// inputs and attributes (ONNX's rules), fills unknown
// ones and checks declared ones. Errors name the node, the op, the field and the shapes.
#pragma once

#include "ir/graph.h"

namespace bpusim::compiler {

void infer_shapes(ir::Graph& graph);

}  // namespace bpusim::compiler
