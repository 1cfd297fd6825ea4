// Assembler and disassembler for the BPU instruction text format (docs/isa.md, "Assembler
// syntax"). One instruction per line:
//   MNEMONIC field=value ... +token ... ; comment
// Every field is written by name; omitted fields are 0; values are decimal, 0x hex, 0b binary
// (optionally negative) or, for symbolic fields, a symbol name. disassemble() prints the
// canonical form: every field of the opcode in table order, hex for addresses and strides,
// symbols for symbolic fields, then the set token flags — so text -> binary -> text
// reproduces canonical text exactly.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"

namespace bpusim::isa {

// Parses one instruction (no comment handling); Error names the mnemonic, field and value.
Instruction assemble_line(std::string_view line);

// Parses a whole program. Blank lines and comments (from ';' to the end of the line) are
// skipped. Errors are prefixed with "source:line: ".
std::vector<Instruction> assemble(std::string_view text, const std::string& source);

// The canonical text of one instruction (no newline).
std::string disassemble(const Instruction& inst);

// One canonical line per instruction, each ending in '\n'.
std::string disassemble(std::span<const Instruction> code);

}  // namespace bpusim::isa
