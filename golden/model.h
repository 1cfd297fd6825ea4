// The golden reference's model interpreter: runs an imported ONNX model (ir/onnx_import.h: the
// graph exactly as the file has it, ONNX op names) the way its author's framework computed it,
// and derives every parameter itself. It is what `bpusim verify`, `bpusim golden`, the e2e tests
// and the benchmark compare a compiled program against; it never sees the compiler's graph.
//
// Semantics (docs/pytorch-recipes.md section 5, docs/requantizer.md):
//   - A PyTorch QDQ export (DequantizeLinear -> op -> QuantizeLinear groups) runs with PyTorch
//     1.13's qnnpack recipes: the interpreter keeps DequantizeLinear outputs symbolic (the
//     integers and their scale and zero point), and evaluates a conv, linear, add, concat, pool,
//     relu, clip, max pool or reshape once the QuantizeLinear after it gives the output's scale
//     and zero point. Constant subgraphs fold with ONNX semantics except the exporter's bias
//     chain Cast(Div(bias, s), INT32), which PyTorch rounds (quantize with 1.0f / s).
//     QuantizeLinear of a float tensor multiplies by the float32 reciprocal (PyTorch's
//     quantize_val). Tensor memory formats are tracked as PyTorch holds them (section 6) for
//     cat's two paths.
//   - ONNX QOperator ops (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) follow their
//     ONNX definitions with the requantization scale float(x_scale * w_scale) / y_scale.
//   - Float ops between a DequantizeLinear and a QuantizeLinear run as float32 host ops.
//   - Nodes that are already canonical ops (ir/op_set.h) run on golden's canonical kernels.
// The integer arithmetic is golden/ops.h; the parameters are golden/recipes.h. With
// requant_mode kFixed, every stage-1 scale (conv, linear, QLinear*, average pool) is applied in
// its fixed-point form (golden/recipes.h fixed_point_scale), as the program of a hardware
// configuration with requant.mode = fixed computes it.
//
// A pattern outside these rules is a bpusim::Error naming the node, never a silent guess.
#pragma once

#include <map>
#include <string>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "golden/interpreter.h"
#include "ir/graph.h"
#include "ir/op_set.h"

namespace bpusim::golden {

struct ModelOptions {
  // kFp32 or kFixed: the stage-1 arithmetic of the requantizing ops.
  ir::Stage1Mode requant_mode = ir::Stage1Mode::kFp32;
  // Also return every computed tensor by its ONNX name: quantized tensors as their integers,
  // float tensors as floats (including dequantized tensors that a float op reads).
  bool keep_intermediates = false;
};

// The options matching a program compiled for `hw`: its requant.mode.
ModelOptions options_for(const HwConfig& hw);

// Runs `model` on `inputs` (one tensor per graph input by name, with the declared element type
// and, where declared, shape). Outputs in graph order: a quantized output as its integers, a
// dequantized or float output as float32, ArgMax indices as int64.
RunResult run_model(const ir::Graph& model, const std::map<std::string, Tensor>& inputs,
                    const ModelOptions& options = {});

}  // namespace bpusim::golden
