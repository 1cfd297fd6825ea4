// ONNX import: an ONNX ModelProto (parsed with the ONNX library's protobuf types) becomes an
// ir::Graph whose nodes keep their ONNX op names and attributes. Initializers (raw_data or
// typed fields) and Constant nodes become constant values; graph inputs and value_info give
// element types and shapes. Nothing is rewritten here: canonicalize_qop.h and the compiler's
// passes turn ONNX ops into canonical ones (ir/op_set.h). Two representation rules: DOUBLE
// tensors are read as float32 when every value is exactly a float32 (torch.onnx's scales),
// else rejected; ConstantOfShape's TENSOR attribute `value` becomes the node's second input
// (a constant "<node>::value"), since IR attributes hold no tensors.
//
// Every problem with the file is a bpusim::Error naming the file, and where it applies the
// node (name and op type), the tensor, the field and the offending value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"

namespace onnx {
class ModelProto;
class TensorProto;
}  // namespace onnx

namespace bpusim::ir {

struct OnnxModel {
  ir::Graph graph;
  int64_t opset = 0;     // version of the default ("ai.onnx") operator set
  std::string producer;  // ModelProto.producer_name ("pytorch" for torch.onnx.export)
  std::string source;    // the file (or label) the model came from, for messages
};

// Reads and imports the ONNX model file at `path`. Throws Error for an unreadable, malformed
// or truncated file, an unsupported element type, opset or operator domain, or an
// inconsistent graph (undefined or doubly defined tensors, bad initializer sizes).
OnnxModel import_onnx(const std::string& path);
// Imports an already parsed model; `source` names it in messages.
OnnxModel import_onnx(const onnx::ModelProto& model, const std::string& source);

// Our element type for an ONNX TensorProto data type number (FLOAT, UINT8, INT8, INT32, INT64),
// or nullopt; require_onnx_dtype throws Error "<context>: unsupported element type <NAME>".
std::optional<DType> dtype_of_onnx(int64_t onnx_type);
DType require_onnx_dtype(int64_t onnx_type, const std::string& context);

// The layers of a PyTorch export whose bias reaches them as an int32 constant, i.e. that
// torch.onnx.export folded (do_constant_folding=True, its default): a DequantizeLinear of an
// int32 initializer or Constant read by a Conv/Gemm/MatMul. ONNX's Cast truncates the
// division bias / (w_scale * x_scale) where PyTorch rounds it, so such a model's outputs may
// differ from PyTorch's by 1 LSB (docs/pytorch-recipes.md 5). Empty for other producers and
// for exports without folding (their bias is a Cast(Div(...)) chain).
std::vector<std::string> folded_bias_layers(const OnnxModel& model);
// The warning bpusim prints for those layers (once per model, naming them and the fix), or "".
std::string folded_bias_warning(const OnnxModel& model);

// Converts an ONNX tensor (raw_data or the typed field of its data type) to a Tensor.
// Supported element types: uint8, int8, int32, int64, float. `context` prefixes messages.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& context);

// A TensorProto file such as an ONNX backend test's input_0.pb.
struct TensorFile {
  std::string name;  // TensorProto.name (may be empty)
  Tensor tensor;
};
TensorFile read_tensor_file(const std::string& path);

}  // namespace bpusim::ir
