// A deliberately small, sequential executor of `.bpu` BPU segments for the compiler's tiling
// tests: it runs CODE in order on a flat DDR and five byte-array SRAMs (check_schedule proves
// that any order the tokens allow gives the same result). It implements the data movement
// (LOAD/STORE/COPY), CONV's integer sums, REQUANT's int32 pass-through and its fixed-point
// stage 1 + stage 2 (docs/requantizer.md), VADD, max POOL and ARGMAX — enough to check that a
// tiling computes the same tensor as an untiled loop nest. It is not the simulator: VREQ and
// average pooling are rejected, and no timing exists.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "isa/container.h"

namespace bpusim::testing {

class MiniExec {
 public:
  MiniExec(const isa::Program& program, const HwConfig& hw);
  // Places a graph input (logical NCHW / row-major data) at its descriptor's address.
  void set_input(const std::string& name, const Tensor& t);
  // Runs every BPU segment (the test graphs have no host segments).
  void run();
  // Reads a tensor back in its logical order.
  Tensor output(const std::string& name) const;
  // How often each DDR byte was written by STORE.
  const std::vector<int>& store_counts() const { return store_counts_; }
  const isa::TensorDesc& tensor_desc(const std::string& name) const;

 private:
  void exec(const isa::Operands& o);
  // Byte offsets in DDR of every logical element of the tensor, in logical order.
  std::vector<int64_t> element_addresses(const isa::TensorDesc& desc) const;

  const isa::Program& program_;
  HwConfig hw_;
  std::vector<uint8_t> ddr_;
  std::vector<int> store_counts_;
  std::vector<std::vector<uint8_t>> sram_;
};

}  // namespace bpusim::testing
