// The host executor: float32 (and layout/index) ops that run on the host CPU between BPU
// segments — the parts of a model kept out of the accelerator (the seed's `qconfig = None`),
// the quantize/dequantize at its boundaries, and small tails such as softmax.
//
// A host segment of the SEGMENTS section is {"kind": "host", "ops": [op, ...]}; each op is
//   {"op": "<name>", "inputs": ["<tensor>", ...], "outputs": ["<tensor>", ...],
//    "attrs": {"<attribute>": value, ...}}
// with the names, attributes and semantics of the canonical op set (ir/op_set.h; ONNX names,
// NCHW layout, pads [top, left, bottom, right]). Every tensor is named in the TENSORS section,
// lives in DDR at its ddr_addr with its dtype and shape (runtime.h), and is read from / written
// to DDR by the op, so host and BPU segments communicate only through DDR. Unknown ops,
// missing tensors and bad attributes are bpusim::Error naming the op index, op and field.
// Float sums accumulate in double in a fixed order and are rounded to float32 once
// (docs/requantizer.md, section 7); quantize/dequantize follow its section 2.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "runtime/ddr.h"

namespace bpusim::runtime {

// One tensor of the TENSORS section (docs/compiler.md, section 7). Keys the runtime does not
// need (bytes, view_of, logical_shape) are ignored.
struct TensorDesc {
  std::string name;
  DType dtype = DType::kF32;     // element type in DDR
  DType ir_dtype = DType::kF32;  // the graph's type (int64 for ArgMax indices stored as int32)
  Shape shape;
  uint64_t ddr_addr = 0;
  // Quantization: "scale"/"zp" (one entry) or "scales"/"zps" along `axis`; empty: none.
  std::vector<float> scales;
  std::vector<int32_t> zps;
  int64_t axis = -1;
  std::string role;  // "input", "output", "internal", "constant"
  // "nchw" (default): DDR holds the tensor row-major in `shape`. "nhwc": `shape` is the
  // logical [N, C, H, W] (what the user and host ops see) and DDR holds [N, H, W, C].
  std::string layout = "nchw";
  // Bytes between consecutive "pixels" (every position but the innermost memory dimension:
  // C for nhwc, the last dim otherwise) when the tensor is a strided slice; 0 = dense.
  int64_t pixel_stride = 0;

  bool quantized() const { return !scales.empty(); }
  // Scale and zero point of logical element `i` (per tensor, or per slice along `axis`).
  float scale_of(int64_t i) const;
  int32_t zp_of(int64_t i) const;
};
// Parses the TENSORS JSON array; Error naming `source`, the tensor and the key.
std::vector<TensorDesc> parse_tensors(const nlohmann::json& j, const std::string& source);

// Reads / writes a tensor in DDR with its descriptor's dtype, shape and layout.
Tensor read_tensor(const Ddr& ddr, const TensorDesc& d);
void write_tensor(Ddr& ddr, const TensorDesc& d, const Tensor& t);

// docs/requantizer.md section 2 (method "div": x / scale; "mul_inv": x * (1 / scale)).
int32_t quantize_value(float x, float scale, int32_t zp, DType type, bool mul_inv = false);
float dequantize_value(int64_t q, float scale, int32_t zp);

class HostExecutor {
 public:
  HostExecutor(Ddr& ddr, const std::vector<TensorDesc>& tensors);
  // Runs the ops of one host segment in order; `where` prefixes error messages.
  void run(const nlohmann::json& ops, const std::string& where);
  // Names of every op the executor implements (the table), sorted.
  static std::vector<std::string> ops();

 private:
  Ddr& ddr_;
  std::map<std::string, const TensorDesc*> tensors_;
};

}  // namespace bpusim::runtime
