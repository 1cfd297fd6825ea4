// A modeled hardware fault: the result of running a program that makes the hardware do
// something illegal (an SRAM/DDR access out of range or misaligned, an operand the units
// cannot execute, a deadlock on dependency tokens). It is a reported RESULT, never an
// exception or undefined behaviour: the run stops at the faulting instruction and returns it.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace bpusim::runtime {

struct Fault {
  int64_t instr_index = -1;  // index of the instruction in the CODE section
  std::string opcode;        // mnemonic, e.g. "CONV"
  std::string fields;        // every operand as "name=value", in assembler order
  std::string unit;          // "load", "compute", "store" or "fetch"
  std::string reason;        // what went wrong, with the offending values
  int64_t cycle = 0;         // cycle (from the start of the program) at which it was detected

  // One line: "fault at instruction 12 (CONV in_addr=0x0 ...) on compute, cycle 40: reason".
  std::string message() const;
  nlohmann::json to_json() const;
};

}  // namespace bpusim::runtime
