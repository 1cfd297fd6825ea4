// What `bpusim run`, `profile` and `demo` share to run a program and print its counters:
// the effective hardware configuration of a program, the text summary of a run, JSON files
// and file names for tensors.
#pragma once

#include <cstdio>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "isa/container.h"
#include "runtime/runtime.h"

namespace bpusim::report {

// The configuration to run `program` with: `hw_path` when given, else the program's own
// HWCONFIG section, else the defaults; then each `--set` override; validated. `source` names
// the program in messages.
HwConfig program_hw_config(const isa::Program& program, const std::string& hw_path,
                           const std::vector<std::string>& sets, const std::string& source);

// Prints total cycles (and time at hw.clock_mhz), MACs and MAC utilisation, DDR traffic,
// the per-layer table (cycles, MACs, utilisation) and the per-engine busy/stall table.
void print_run_summary(std::FILE* out, const runtime::ProgramResult& r, const HwConfig& hw);

// Writes `j` to `path` (one line); Error naming the path when it cannot.
void write_json_file(const std::string& path, const nlohmann::json& j);
// Writes `text` to `path`; Error naming the path when it cannot.
void write_text_file(const std::string& path, const std::string& text);

// A file name for a tensor called `name`: characters other than [A-Za-z0-9._-] become '_'
// ("output" for an empty name).
std::string tensor_file_name(const std::string& name);

}  // namespace bpusim::report
