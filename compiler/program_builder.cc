#include "compiler/program_builder.h"

#include <map>

#include "common/error.h"
#include "isa/assembler.h"

namespace bpusim::compiler {

ProgramBuilder::ProgramBuilder(const HwConfig& hw) {
  program_.hw_hash = hw.hash();
  program_.hwconfig = hw.to_json();
}

void ProgramBuilder::add_bpu_segment(std::span<const isa::Operands> code,
                                     const std::vector<std::string>& layers) {
  const int64_t first = code_size();
  for (size_t i = 0; i < code.size(); ++i) {
    try {
      program_.code.push_back(isa::encode(code[i]));
    } catch (const Error& e) {
      check_invariant(false, "instruction ", first + static_cast<int64_t>(i),
                      " does not encode: ", e.what());
    }
  }
  program_.segments.push_back({isa::SegmentKind::kBpu, {first, code_size()}, layers, {}});
}

void ProgramBuilder::add_host_segment(std::vector<isa::HostOp> ops) {
  program_.segments.push_back({isa::SegmentKind::kHost, {}, {}, std::move(ops)});
}

void ProgramBuilder::add_layer(const isa::Layer& l) {
  program_.layers.push_back(l);
}

void ProgramBuilder::set_weights(std::vector<uint8_t> bytes) {
  program_.weights.ddr_base = 0;
  program_.weights.bytes = std::move(bytes);
}

void ProgramBuilder::set_params(int64_t ddr_base, std::span<const isa::ParamRecord> records) {
  program_.params.ddr_base = static_cast<uint64_t>(ddr_base);
  program_.params.bytes = isa::pack(records);
}

void ProgramBuilder::set_tensors(std::vector<isa::TensorDesc> tensors) {
  program_.tensors = std::move(tensors);
}

isa::Program ProgramBuilder::finish() && {
  return std::move(program_);
}

std::string listing(const isa::Program& p) {
  // Comment lines to print before instruction i.
  std::multimap<int64_t, std::string> notes;
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const isa::CodeRange& code = p.segments[s].code;
    if (p.segments[s].kind == isa::SegmentKind::kBpu)
      notes.emplace(code.first, cat("; segment ", s, " (bpu): instructions [", code.first, ", ",
                                    code.end, ")"));
  }
  for (const isa::Layer& l : p.layers)
    notes.emplace(l.code.first, cat("; layer ", l.name, ": ", l.op, " (", l.tiles, " tiles)"));
  std::string out;
  for (size_t i = 0; i < p.code.size(); ++i) {
    auto [lo, hi] = notes.equal_range(static_cast<int64_t>(i));
    for (auto it = lo; it != hi; ++it) out += it->second + "\n";
    out += isa::disassemble(p.code[i]) + "\n";
  }
  return out;
}

}  // namespace bpusim::compiler
