// bpusim asm: assembles BPU assembler text (docs/isa.md, "Assembler syntax") into a .bpu
// container holding the code and the hardware configuration it was written for (hash and
// JSON). --reference prints the generated ISA tables that docs/isa.md embeds, --verilog the
// Verilog header rtl_ref/core/bpu_isa.vh holds.
#include <fstream>
#include <iostream>
#include <iterator>

#include "common/error.h"
#include "common/hw_config.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

int run_asm(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string input, output, hw;
  std::vector<std::string> sets;
  options.add_options()("input", po::value(&input), "assembler source PROG.s (positional)")(
      "output,o", po::value(&output), "the .bpu file to write")(
      "hw", po::value(&hw), "hardware config JSON the program is written for")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "reference", "print the ISA reference tables (Markdown, as in docs/isa.md) and exit")(
      "verilog", "print the ISA as a Verilog header (rtl_ref/core/bpu_isa.vh) and exit");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  if (!parse_args("asm", "PROG.s -o PROG.bpu [--hw HW.json] [--set key=value ...]", args, options,
                  positional, vm))
    return kExitOk;
  if (vm.count("reference")) {
    std::cout << isa::markdown_reference();
    return kExitOk;
  }
  if (vm.count("verilog")) {
    std::cout << isa::verilog_header();
    return kExitOk;
  }
  require(!input.empty(), "missing the input file PROG.s (see bpusim asm --help)");
  require(!output.empty(), "missing -o PROG.bpu (see bpusim asm --help)");
  const HwConfig cfg = load_hw_config(hw, sets);
  std::ifstream in(input, std::ios::binary);
  require(in.good(), input, ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  isa::Program program;
  program.code = isa::assemble(text, input);
  program.hw_hash = cfg.hash();
  program.hwconfig = cfg.to_json();
  isa::save_program(program, output);
  std::cout << output << ": " << program.code.size() << " instructions\n";
  return kExitOk;
}

BPUSIM_COMMAND({"asm", "assemble BPU assembler text into a .bpu program", run_asm});

}  // namespace
}  // namespace bpusim::cli
