// What the commands that run a .bpu program (run, profile, cosim) share to get it ready: the
// program, its effective hardware configuration and the input tensors of --input.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "isa/container.h"
#include "runtime/runtime.h"

namespace bpusim::cli {

struct ProgramSetup {
  isa::Program program;
  runtime::RunOptions options;           // source: the program's path; hw: the effective config
  std::map<std::string, Tensor> inputs;  // from --input NAME=X.npy
};

// Loads `program_path`, its effective configuration (report::program_hw_config: `hw_path`,
// else the program's own HWCONFIG, else the defaults; then the `sets`) and the tensors of
// `inputs` ("NAME=X.npy" items; a name given twice is an error). Errors name the file.
ProgramSetup load_program_setup(const std::string& program_path, const std::string& hw_path,
                                const std::vector<std::string>& sets,
                                const std::vector<std::string>& inputs);

// Adds a seeded random tensor (report::random_inputs) for every program input that was not
// given; returns their names (empty when every input was given).
std::vector<std::string> add_random_inputs(ProgramSetup& setup, uint32_t seed);

// Runs a just-compiled program once on the SystemC model with seeded random inputs (the
// timing does not depend on the data): what sweep rows and `compile --report` measure.
runtime::ProgramResult simulate_with_random_inputs(const isa::Program& program, const HwConfig& hw,
                                                   const std::string& source, uint32_t seed);

}  // namespace bpusim::cli
