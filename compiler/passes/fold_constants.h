// Folding of the exporter's constant noise (docs/pytorch-recipes.md 5, rule 1).
#pragma once

#include <string>

#include "ir/graph.h"

namespace bpusim::compiler {

// Evaluates every Identity, Cast, Shape, ConstantOfShape, Mul, Div, Unsqueeze, Squeeze,
// Transpose and Reshape node whose inputs are all constants, with ONNX semantics, and turns
// its output into a constant (the node is removed). One exception, the bias chain: a
// Cast(to=INT32) of a folded float Div(bias, scale) is PyTorch's bias quantization
// clamp(round_half_even(bias * (1.0f / scale)), INT32) (quantize_bias), not ONNX's
// truncating division. QuantizeLinear/DequantizeLinear are never folded: weights stay
// integers with their scales. Nodes reading run-time tensors are left alone.
// Throws Error naming `source`, the node and the value for casts that do not fit the target
// type and for unsupported Cast targets.
void fold_constants(ir::Graph& graph, const std::string& source);

}  // namespace bpusim::compiler
