#include "tools/cli/program_setup.h"

#include "common/error.h"
#include "common/npy.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"
#include "tools/report/random_inputs.h"
#include "tools/report/run_summary.h"

namespace bpusim::cli {

ProgramSetup load_program_setup(const std::string& program_path, const std::string& hw_path,
                                const std::vector<std::string>& sets,
                                const std::vector<std::string>& inputs) {
  ProgramSetup s;
  s.program = isa::load_program(program_path);
  s.options.source = program_path;
  s.options.hw = report::program_hw_config(s.program, hw_path, sets, program_path);
  for (const auto& [name, path] : parse_named_paths(inputs, "--input")) {
    require(!s.inputs.count(name), "--input ", name, " is given twice");
    s.inputs[name] = read_npy(path);
  }
  return s;
}

std::vector<std::string> add_random_inputs(ProgramSetup& setup, uint32_t seed) {
  std::vector<std::string> added;
  for (auto& [name, t] : report::random_inputs(setup.program, seed))
    if (!setup.inputs.count(name)) {
      setup.inputs[name] = std::move(t);
      added.push_back(name);
    }
  return added;
}

runtime::ProgramResult simulate_with_random_inputs(const isa::Program& program, const HwConfig& hw,
                                                   const std::string& source, uint32_t seed) {
  runtime::RunOptions opts;
  opts.hw = hw;
  opts.source = source;
  const std::unique_ptr<runtime::Backend> systemc = make_backend("systemc");
  return runtime::run_program(program, report::random_inputs(program, seed), opts, *systemc);
}

}  // namespace bpusim::cli
