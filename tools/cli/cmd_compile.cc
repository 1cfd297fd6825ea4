// bpusim compile: ONNX model -> .bpu program (compiler/compile.h), printing the per-layer
// table, the DDR footprint and a warning for each op not fused or placed on the host.
// --report also runs the program once on the SystemC model (seeded random inputs: the timing
// does not depend on the data) and prints each layer's estimate against its simulated cycles.
#include <fstream>
#include <iostream>

#include "common/hw_config.h"
#include "compiler/compile.h"
#include "compiler/lower/ddr_plan.h"
#include "compiler/lower/report.h"
#include "compiler/program_builder.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "tools/cli/command.h"
#include "tools/cli/program_setup.h"

namespace bpusim::cli {
namespace {

// Returns kExitFault (after printing it) when the simulation reports a modeled fault.
int print_estimate_report(const compiler::CompileResult& result, const HwConfig& hw,
                          const std::string& model, uint32_t seed) {
  const runtime::ProgramResult r = simulate_with_random_inputs(result.program, hw, model, seed);
  if (r.fault) {
    std::cerr << "bpusim compile: modeled fault: " << r.fault->message() << "\n";
    return kExitFault;
  }
  std::vector<int64_t> simulated;
  for (const runtime::LayerCycles& l : r.layers) simulated.push_back(l.cycles());
  std::cout << "\nestimate against the SystemC model (" << model << "):\n"
            << compiler::estimate_table(result.layers, simulated, result.est_cycles, r.cycles,
                                        hw.mac_rows, hw.mac_cols);
  return kExitOk;
}

int run_compile(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string model, out, hw_path, asm_path;
  std::vector<std::string> sets;
  bool quiet = false, report = false, no_reuse = false;
  uint32_t seed = 1;
  options.add_options()("model", po::value(&model)->required(), "ONNX model")(
      "output,o", po::value(&out)->required(), "program file to write (.bpu)")(
      "hw", po::value(&hw_path), "hardware config JSON file")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "asm", po::value(&asm_path), "also write the annotated assembly listing to this file")(
      "no-ddr-reuse", po::bool_switch(&no_reuse),
      "give every tensor its own DDR bytes (by default tensors whose lifetimes do not overlap "
      "share them)")("quiet,q", po::bool_switch(&quiet), "do not print the layer table")(
      "report", po::bool_switch(&report),
      "simulate the program once (SystemC model) and print each layer's estimate, simulated "
      "cycles, error and MAC utilisation")("seed", po::value(&seed),
                                           "seed of the random inputs of --report");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse_args("compile",
                  "MODEL.onnx -o PROG.bpu [--hw HW.json] [--set key=value ...] [--no-ddr-reuse]",
                  args, options, positional, vm))
    return kExitOk;
  const HwConfig hw = load_hw_config(hw_path, sets);
  const compiler::CompileResult result =
      compiler::compile_model(model, hw, {.ddr_reuse = !no_reuse});
  isa::save_program(result.program, out);
  if (!asm_path.empty()) {
    std::ofstream s(asm_path);
    require(s.good(), asm_path, ": cannot write the assembly listing");
    s << compiler::listing(result.program);
  }
  if (!quiet)
    std::cout << compiler::layer_table(result.layers, result.program, result.est_cycles)
              << compiler::ddr_summary(result.ddr);
  if (report && print_estimate_report(result, hw, model, seed) != kExitOk) return kExitFault;
  for (const std::string& w : result.warnings) std::cerr << "warning: " << w << "\n";
  if (!quiet) std::cout << "wrote " << out << "\n";
  return kExitOk;
}

BPUSIM_COMMAND({"compile", "compile an ONNX model to a .bpu program for a hardware config",
                run_compile});

}  // namespace
}  // namespace bpusim::cli
