#include "runtime/fault.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bpusim::runtime {

std::string Fault::message() const {
  return cat("fault at instruction ", instr_index, " (", opcode, fields.empty() ? "" : " ", fields,
             ") on ", unit, ", cycle ", cycle, ": ", reason);
}

nlohmann::json Fault::to_json() const {
  return {{"instruction", instr_index}, {"opcode", opcode}, {"fields", fields}, {"unit", unit},
          {"reason", reason},           {"cycle", cycle}};
}

}  // namespace bpusim::runtime
