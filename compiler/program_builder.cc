#include "compiler/program_builder.h"

#include <map>

#include "common/error.h"
#include "isa/assembler.h"

namespace bpusim::compiler {

ProgramBuilder::ProgramBuilder(const HwConfig& hw) {
  program_.hw_hash = hw.hash();
  program_.hwconfig = hw.to_json();
  program_.segments = nlohmann::json::array();
  program_.layers = nlohmann::json::array();
  program_.tensors = nlohmann::json::array();
}

void ProgramBuilder::add_bpu_segment(std::span<const isa::Operands> code,
                                     const std::vector<std::string>& layers) {
  const int64_t first = code_size();
  for (size_t i = 0; i < code.size(); ++i) {
    try {
      program_.code.push_back(isa::encode(code[i]));
    } catch (const Error& e) {
      fail("internal: instruction ", first + static_cast<int64_t>(i),
           " does not encode: ", e.what());
    }
  }
  program_.segments.push_back(
      {{"kind", "bpu"}, {"code", {first, code_size()}}, {"layers", layers}});
}

void ProgramBuilder::add_host_segment(nlohmann::json ops) {
  program_.segments.push_back({{"kind", "host"}, {"ops", std::move(ops)}});
}

void ProgramBuilder::add_layer(const LayerReport& l) {
  static constexpr const char* kBuffers[5] = {"feature", "weight", "accumulator", "output",
                                              "param"};
  nlohmann::json sram = nlohmann::json::object();
  for (int b = 0; b < 5; ++b) sram[kBuffers[b]] = l.sram[b];
  program_.layers.push_back({{"name", l.name},
                             {"op", l.op},
                             {"segment", l.segment},
                             {"code", {l.code_first, l.code_end}},
                             {"inputs", l.inputs},
                             {"output", l.output},
                             {"macs", l.macs},
                             {"tiles", l.tiles},
                             {"est_cycles", l.est_cycles},
                             {"sram", sram}});
}

void ProgramBuilder::set_weights(std::vector<uint8_t> bytes) {
  program_.weights.ddr_base = 0;
  program_.weights.bytes = std::move(bytes);
}

void ProgramBuilder::set_params(int64_t ddr_base, std::span<const isa::ParamRecord> records) {
  program_.params.ddr_base = static_cast<uint64_t>(ddr_base);
  program_.params.bytes = isa::pack(records);
}

void ProgramBuilder::set_tensors(nlohmann::json tensors) {
  program_.tensors = std::move(tensors);
}

isa::Program ProgramBuilder::finish() && {
  return std::move(program_);
}

std::string listing(const isa::Program& p) {
  // Comment lines to print before instruction i.
  std::multimap<int64_t, std::string> notes;
  if (p.segments.is_array()) {
    for (size_t s = 0; s < p.segments.size(); ++s) {
      const nlohmann::json& seg = p.segments[s];
      if (seg.value("kind", "") != "bpu") continue;
      const int64_t first = seg["code"][0];
      notes.emplace(first, cat("; segment ", s, " (bpu): instructions [", first, ", ",
                               seg["code"][1].get<int64_t>(), ")"));
    }
  }
  if (p.layers.is_array())
    for (const nlohmann::json& l : p.layers)
      notes.emplace(l["code"][0].get<int64_t>(),
                    cat("; layer ", l["name"].get<std::string>(), ": ", l["op"].get<std::string>(),
                        " (", l["tiles"].get<int64_t>(), " tiles)"));
  std::string out;
  for (size_t i = 0; i < p.code.size(); ++i) {
    auto [lo, hi] = notes.equal_range(static_cast<int64_t>(i));
    for (auto it = lo; it != hi; ++it) out += it->second + "\n";
    out += isa::disassemble(p.code[i]) + "\n";
  }
  return out;
}

}  // namespace bpusim::compiler
