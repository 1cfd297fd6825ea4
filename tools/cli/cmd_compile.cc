// bpusim compile: ONNX model -> .bpu program (compiler/compile.h), printing the per-layer
// table and a warning for each op not fused or placed on the host.
#include <fstream>
#include <iostream>

#include "common/hw_config.h"
#include "compiler/compile.h"
#include "compiler/lower/report.h"
#include "compiler/program_builder.h"
#include "isa/container.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

int run_compile(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string model, out, hw_path, asm_path;
  std::vector<std::string> sets;
  bool quiet = false;
  options.add_options()("model", po::value(&model)->required(), "ONNX model")(
      "output,o", po::value(&out)->required(), "program file to write (.bpu)")(
      "hw", po::value(&hw_path), "hardware config JSON file")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "asm", po::value(&asm_path), "also write the annotated assembly listing to this file")(
      "quiet,q", po::bool_switch(&quiet), "do not print the layer table");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse_args("compile", "MODEL.onnx -o PROG.bpu [--hw HW.json] [--set key=value ...]", args,
                  options, positional, vm))
    return kExitOk;
  const HwConfig hw = load_hw_config(hw_path, sets);
  const compiler::CompileResult result = compiler::compile_model(model, hw);
  isa::save_program(result.program, out);
  if (!asm_path.empty()) {
    std::ofstream s(asm_path);
    require(s.good(), asm_path, ": cannot write the assembly listing");
    s << compiler::listing(result.program);
  }
  if (!quiet) std::cout << compiler::layer_table(result.layers, result.program);
  for (const std::string& w : result.warnings) std::cerr << "warning: " << w << "\n";
  if (!quiet) std::cout << "wrote " << out << "\n";
  return kExitOk;
}

BPUSIM_COMMAND({"compile", "compile an ONNX model to a .bpu program for a hardware config",
                run_compile});

}  // namespace
}  // namespace bpusim::cli
