// Recognition of the quantized patterns torch.onnx writes (docs/pytorch-recipes.md 4 and 5,
// rules 2-10): DequantizeLinear of the inputs -> float op -> [Relu] -> QuantizeLinear becomes
// one canonical quantized op (ir/op_set.h) with PyTorch's integer parameters. Runs after
// fold_constants and canonicalize_qop, so Q/DQ are canonical Quantize/Dequantize nodes with
// their parameters as attributes.
#pragma once

#include "compiler/passes/frontend_state.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// An int32 pass-through QConv/QMatMul (from ConvInteger/MatMulInteger: out_qconfig layers,
// docs/pytorch-recipes.md 2.12) followed by an Add of a constant int32 per-channel bias: the bias
// joins the requantizer's bias (wrapped like the accumulator) and the Add disappears
// (rule 9). Throws Error naming the Add when the constant is not a per-channel vector.
void fold_int32_bias(ir::Graph& graph, const FrontendState& state);

// Removes the exporter's no-op Casts (to the element type the tensor already has, e.g. the
// Cast(to=UINT8) after every QuantizeLinear) and Identity nodes. Throws Error naming the Cast
// for any other Cast of a run-time tensor.
void remove_identity_casts(ir::Graph& graph, const FrontendState& state);

// Rewrites every recognised pattern in place (the op node becomes the canonical node and
// writes the QuantizeLinear's output; the Relu, Pad and Quantize of the pattern go):
//   Conv(DQ x, DQ w[, DQ b]) [-> Relu] -> Q             QConv, mode fp32 (2.3)
//   Gemm / MatMul(DQ x, DQ w[, DQ b]) [-> Relu] -> Q    QMatMul with w as [K, N] (2.4)
//   Add(DQ a, DQ b) [-> Relu] -> Q                      QAdd, QNNPACK parameters (2.5)
//   Concat(DQ ...) -> Q                                 QConcat, recipe qnnpack (2.7)
//   MaxPool(DQ x) -> Q                                  QMaxPool (2.6)
//   [Pad ->] AveragePool / GlobalAveragePool -> Q       QAvgPool / QGlobalAvgPool (2.8)
//   Relu / Clip / Flatten / Reshape (DQ x) -> Q         QClamp, Flatten, Reshape (2.9, 2.10)
//   ArgMax(DQ x)                                        ArgMax of the integers (2.11)
// Remaining Quantize nodes (of float tensors: model inputs, float-region outputs) use
// PyTorch's reciprocal multiply (method mul_inv, 2.1). Ops outside these patterns stay float
// ops (host). Throws Error naming the node, its op and the reason for half-quantized
// patterns, qint8 activations, per-channel activations, bias scales other than
// w_scale * x_scale, inconsistent weight shapes or scales, ceil_mode average pooling, a
// same-qparams op that changes qparams, and PyTorch quantized ops whose recipe is not
// implemented (quantized mul, fixed-qparams sigmoid, quantized batch norm).
void recognize_qdq(ir::Graph& graph, FrontendState& state);

}  // namespace bpusim::compiler
