// Assembles a `.bpu` Program (isa/container.h) from the lowered pieces: the instructions of
// each BPU segment (in CODE order, each segment closed by FINISH), host segments, the WEIGHTS
// and PARAMS blobs, HWCONFIG, and the typed TENSORS, SEGMENTS and LAYERS entries of the
// program contract (isa/program_contract.h). Also renders a Program as annotated assembly text.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "isa/container.h"
#include "isa/param_record.h"

namespace bpusim::compiler {

class ProgramBuilder {
 public:
  explicit ProgramBuilder(const HwConfig& hw);
  int64_t code_size() const { return static_cast<int64_t>(program_.code.size()); }
  int segment_count() const { return static_cast<int>(program_.segments.size()); }
  // Encodes and appends one BPU segment; `layers` names its layers in order.
  void add_bpu_segment(std::span<const isa::Operands> code, const std::vector<std::string>& layers);
  void add_host_segment(std::vector<isa::HostOp> ops);
  void add_layer(const isa::Layer& layer);
  void set_weights(std::vector<uint8_t> bytes);  // DDR base 0
  void set_params(int64_t ddr_base, std::span<const isa::ParamRecord> records);
  void set_tensors(std::vector<isa::TensorDesc> tensors);
  isa::Program finish() &&;

 private:
  isa::Program program_;
};

// The program's CODE as canonical assembly, with comment lines naming each segment and
// layer (from SEGMENTS and LAYERS) — what `bpusim compile --asm` writes and what the
// compiler's expected-listing tests (tests/compiler/expected) compare.
std::string listing(const isa::Program& program);

}  // namespace bpusim::compiler
