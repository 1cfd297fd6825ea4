// The compiler front end: an imported ONNX graph (ir/onnx_import.h, ONNX op names) in,
// the canonical graph (ir/op_set.h) out, computing what PyTorch 1.13 (qnnpack) computed for
// a model exported by torch.onnx (docs/pytorch-recipes.md; docs/compiler.md, "Front end").
// Passes, in order (each a small function with its own contract, compiler/passes/*.h):
//   fold_constants        export noise (Constant, Cast pairs, Shape/ConstantOfShape, constant
//                         Mul/Div/Unsqueeze/Transpose...), PyTorch's bias rounding
//   canonicalize_qop      QuantizeLinear/DequantizeLinear/QLinear*/ *Integer -> canonical
//   fold_int32_bias       out_qconfig layers: ConvInteger/MatMulInteger + int32 bias Add
//   remove_identity_casts the exporter's no-op Casts, Identity nodes
//   recognize_qdq         DQ -> op -> [Relu] -> Q patterns -> quantized canonical ops
//   fold_batchnorm        batch norms left in float regions, into their float Conv
//   check_canonical       anything left that bpusim cannot run -> Error
//   infer_shapes          shapes and element types of every value
//   apply_pytorch_layouts broadcasting adds refused, cat recipes, Clip of channels-last refused
//   fuse_clamps, fuse_residual_adds   conv -> [add] -> [relu], linear -> [relu], add -> [relu]
//   select_requant_mode   fixed-point requantizer parameters for requant.mode=fixed
//   report_float_regions  a diagnostic per host float region
// Graphs that are already canonical pass through unchanged except for fusion (their QConv and
// QMatMul keep their requantizer mode).
#pragma once

#include <string>
#include <vector>

#include "common/hw_config.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// The front end's notes, one line each: an op left unfused (with the reason), a float region
// placed on the host (with its ops).
struct FrontendNotes {
  std::vector<std::string> not_fused;
  std::vector<std::string> host_regions;
};

// Rewrites `graph` as above; `source` (the model file) prefixes every message. Throws
// bpusim::Error naming the node, its op type and the reason for anything unsupported,
// malformed or inconsistent.
FrontendNotes run_frontend(ir::Graph& graph, const HwConfig& hw, const std::string& source = "");

}  // namespace bpusim::compiler
