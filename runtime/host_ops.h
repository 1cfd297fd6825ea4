// The host executor: float32 (and layout/index) ops that run on the host CPU between BPU
// segments — the parts of a model kept out of the accelerator (modules with `qconfig = None`),
// the quantize/dequantize at its boundaries, and small tails such as softmax.
//
// A host segment (isa::Segment of kind kHost) is a list of isa::HostOp (isa/program_contract.h):
// an op kind with the names, attributes and semantics of the canonical op set (ir/op_set.h;
// ONNX names, NCHW layout, pads [top, left, bottom, right]), input tensor names and one output
// tensor name. Every tensor is an isa::TensorDesc of the program: it lives in DDR at its
// ddr_addr with its dtype, shape and layout, and is read from / written to DDR by the op, so
// host and BPU segments communicate only through DDR. Missing tensors and bad attributes are
// bpusim::Error naming the op index, op and attribute.
// Float sums accumulate in double in a fixed order and are rounded to float32 once
// (docs/requantizer.md, section 7); quantize/dequantize follow its section 2.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "isa/program_contract.h"
#include "runtime/ddr.h"

namespace bpusim::runtime {

using isa::TensorDesc;

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
  void run(const std::vector<isa::HostOp>& ops, const std::string& where);

 private:
  Ddr& ddr_;
  std::map<std::string, const TensorDesc*> tensors_;
};

}  // namespace bpusim::runtime
