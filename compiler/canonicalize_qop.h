// Canonicalization of ONNX QOperator ops into the canonical op set (ir/op_set.h):
//   QuantizeLinear   -> Quantize            DequantizeLinear -> Dequantize
//   QLinearConv      -> QConv   (mode fp32) QLinearMatMul    -> QMatMul (mode fp32)
//   ConvInteger      -> QConv   (int32)     MatMulInteger    -> QMatMul (int32 pass-through)
// The fp32 stage-1 scale of channel c is float32(float32(x_scale * w_scale[c]) / y_scale),
// computed in IEEE single precision like ONNX Runtime and PyTorch do (docs/requantizer.md).
// The clamp is the output type's range (QOperator ops carry no activation).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace bpusim::compiler {

// Rewrites every QOperator node of `graph` in place (same name and outputs; the scale, zero
// point and bias inputs become attributes, so they must be constants). Other nodes are left
// alone. Throws Error naming `source`, the node, its op type, the field and the value for
// non-constant parameters, zero/negative/NaN/infinite scales, zero points of the wrong type
// or out of range, per-channel weight zero points that differ, unsupported attributes
// (auto_pad SAME_*) and inconsistent shapes.
void canonicalize_qop(ir::Graph& graph, const std::string& source);

}  // namespace bpusim::compiler
