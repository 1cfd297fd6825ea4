// Co-simulation (`bpusim cosim`): one program run on two backends (the SystemC model and the
// verilated RTL core), compared bit for bit and cycle for cycle:
//   - every output tensor (element type, shape, bytes), matched by name;
//   - total cycles and each layer's cycles (LAYERS, matched by position and name);
//   - each instruction's dispatch, issue, start and end (PerfCounters::instrs matched by CODE
//     index, in program order); the first instruction that differs is kept with both records,
//     the later ones are only counted;
//   - the modeled faults: neither backend faults, or both at the same instruction.
// Index 0 of every pair is the first backend (the reference, SystemC), index 1 the second.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "runtime/fault.h"
#include "runtime/perf_counters.h"
#include "runtime/runtime.h"

namespace bpusim::report {

struct CosimLayer {
  std::string name;
  std::array<std::optional<int64_t>, 2> cycles;  // nullopt: that run has no such layer
  bool equal() const { return cycles[0] && cycles[1] && *cycles[0] == *cycles[1]; }
};

// An instruction whose timing differs; a record is nullopt when that backend has none (the
// instruction did not run to its end there).
struct CosimInstrDifference {
  int64_t index = 0;
  isa::Opcode op = isa::Opcode::NOP;
  isa::Queue queue = isa::Queue::kCompute;
  std::array<std::optional<runtime::InstrRecord>, 2> records;
};

struct CosimComparison {
  std::array<std::string, 2> backends;  // names, e.g. {"systemc", "rtl"}
  std::array<int64_t, 2> cycles{};
  std::vector<CosimLayer> layers;
  int64_t outputs_compared = 0;  // outputs both runs have
  bool outputs_equal = true;
  std::string output_difference;  // the first output that differs and how ("" when equal)
  int64_t instrs_compared = 0;    // instructions both runs have a record of
  std::optional<CosimInstrDifference> first_difference;  // in program order
  int64_t further_differences = 0;  // instructions after it whose timing differs too
  std::array<std::optional<runtime::Fault>, 2> faults;

  bool cycles_equal() const { return cycles[0] == cycles[1]; }
  bool layers_equal() const;
  // Neither run faulted, or both at the same instruction.
  bool faults_equal() const;
  bool equal() const;  // everything above
};

// Compares run `a` (on backend `backends[0]`) with run `b` (on `backends[1]`) of one program.
CosimComparison compare_runs(const runtime::ProgramResult& a, const runtime::ProgramResult& b,
                             const std::array<std::string, 2>& backends);

// The comparison as text: total cycles of each backend and the difference (second minus
// first), the per-layer table, whether the outputs are equal, the instructions compared, the
// first instruction that differs (CODE index, disassembly of `code`, engine, both records) and
// how many more differ, both faults, and a last line "cosim: EQUAL" or "cosim: DIFFERENT (...)".
std::string cosim_text(const CosimComparison& c, std::span<const isa::Instruction> code);

// The same as JSON (the --report file): backends, equal, cycles {<backend>: n, difference},
// layers [{name, <backend>: n, difference}], outputs_compared, outputs_equal,
// output_difference, instructions_compared, first_difference {index, opcode, engine,
// disassembly, <backend>: {dispatch, issue, start, end} | null} | null, further_differences,
// faults {<backend>: fault | null}, faults_equal.
nlohmann::json cosim_json(const CosimComparison& c, std::span<const isa::Instruction> code);

}  // namespace bpusim::report
