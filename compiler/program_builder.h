// Assembles a `.bpu` Program (isa/container.h) from the lowered pieces: the instructions of
// each BPU segment (in CODE order, each segment closed by FINISH), host segments, the WEIGHTS
// and PARAMS blobs, and the JSON sections TENSORS, SEGMENTS, HWCONFIG and LAYERS, whose
// schemas docs/compiler.md defines. Also renders a Program as annotated assembly text.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "isa/container.h"
#include "isa/param_record.h"

namespace bpusim::compiler {

// One accelerator layer (a fused canonical op) as the compile table and LAYERS show it.
struct LayerReport {
  std::string name;           // the node's name
  std::string op;             // fused op description
  int segment = 0;            // index in SEGMENTS
  std::vector<Shape> inputs;  // activation operand shapes
  Shape output;
  int64_t macs = 0;
  int64_t tiles = 0;
  int64_t code_first = 0, code_end = 0;  // instruction range in CODE
  int64_t est_cycles = 0;                // compiler/lower/estimate.h
  std::array<int64_t, 5> sram{};         // bytes reserved per buffer (FEATURE..PARAM)
  int64_t instructions() const { return code_end - code_first; }
};

class ProgramBuilder {
 public:
  explicit ProgramBuilder(const HwConfig& hw);
  int64_t code_size() const { return static_cast<int64_t>(program_.code.size()); }
  int segment_count() const { return static_cast<int>(program_.segments.size()); }
  // Encodes and appends one BPU segment; `layers` names its layers in order.
  void add_bpu_segment(std::span<const isa::Operands> code, const std::vector<std::string>& layers);
  void add_host_segment(nlohmann::json ops);
  void add_layer(const LayerReport& layer);
  void set_weights(std::vector<uint8_t> bytes);  // DDR base 0
  void set_params(int64_t ddr_base, std::span<const isa::ParamRecord> records);
  void set_tensors(nlohmann::json tensors);
  isa::Program finish() &&;

 private:
  isa::Program program_;
};

// The program's CODE as canonical assembly, with comment lines naming each segment and
// layer (from SEGMENTS and LAYERS) — what `bpusim compile --asm` writes and what the
// compiler's golden tests compare.
std::string listing(const isa::Program& program);

}  // namespace bpusim::compiler
