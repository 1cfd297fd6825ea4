// Decisions that need shapes and PyTorch's memory formats (docs/pytorch-recipes.md 6); run
// after recognize_qdq and infer_shapes.
#pragma once

#include "compiler/passes/frontend_state.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// The memory format PyTorch held a quantized tensor in. ONNX does not record it; the rules:
// conv outputs are channels-last; QuantStub outputs and graph inputs contiguous; pooling and
// clamps keep their input's; an add takes its first operand's; a channels-last cat gives
// channels-last, a generic one channels-last when all its inputs suggest it (else contiguous);
// linear, flatten and reshape give 2-D (contiguous).
enum class TorchLayout { kContiguous, kChannelsLast };

// PyTorch's is_contiguous(channels_last): 4-D and channels-last, or an NCHW shape for which
// both layouts are the same bytes (C == 1, or H == W == 1).
bool channels_last_contiguous(TorchLayout layout, const Shape& shape);
// PyTorch's suggest_memory_format() == channels_last, which ops that allocate "like" their
// input follow (dequantize, quantize_per_tensor, at::cat): 4-D and held channels-last, except
// [N, 1, 1, 1], whose strides PyTorch reads as contiguous.
bool suggests_channels_last(TorchLayout layout, const Shape& shape);

// Walks the graph in order and, with every shape known:
//  - refuses a QAdd made from an ONNX Add whose operands have different shapes (broadcasting
//    is not QNNPACK's add);
//  - normalizes QConcat's axis and sets its recipe: qnnpack_channels_last when the axis is 1
//    and every input is channels_last_contiguous, else qnnpack (generic path);
//  - refuses a QClamp made from a Clip whose input PyTorch held channels-last (torch 1.13
//    permutes the elements there; its result is not a clamp).
// Throws Error naming the node, the op and the reason. Returns the layout of every value.
std::vector<TorchLayout> apply_pytorch_layouts(ir::Graph& graph, const FrontendState& state);

}  // namespace bpusim::compiler
