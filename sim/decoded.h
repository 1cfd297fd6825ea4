// One decoded instruction as the model carries it through the queues: its index in CODE (for
// faults, counters and the per-layer profile), the instruction, its opcode and queue, and every
// operand as a named field (isa::Operands from the isa/ decoder; the model never touches
// encoding bits).
#pragma once

#include <cstdint>
#include <string>

#include "isa/assembler.h"
#include "isa/isa.h"

namespace bpusim::sim {

struct Decoded {
  int64_t index = 0;
  isa::Instruction inst;
  isa::Opcode op = isa::Opcode::NOP;
  isa::Queue queue = isa::Queue::kCompute;
  isa::Operands f;
  int64_t dispatch = 0;  // cycle the controller put it in its queue (set during a run)

  static Decoded from(int64_t index, const isa::Instruction& inst) {
    return {index, inst, inst.opcode(), inst.def().queue, isa::operands(inst)};
  }
  std::string name() const { return std::string(isa::name(op)); }
  // The canonical assembler text (every field by name, token flags last).
  std::string text() const { return isa::disassemble(inst); }
  // The same without the mnemonic: the operands and token flags.
  std::string fields_text() const {
    const std::string t = text();
    const size_t space = t.find(' ');
    return space == std::string::npos ? "" : t.substr(space + 1);
  }
};

}  // namespace bpusim::sim
