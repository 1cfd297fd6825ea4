// bpusim disasm: prints a .bpu program — a summary of its header and sections, then one
// instruction per line with its index and byte address — or, with --code-only, just the
// canonical assembler text (which `bpusim asm` turns back into the same code).
#include <iomanip>
#include <iostream>

#include "common/error.h"
#include "common/hw_config.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

std::string hex(uint64_t v, int width) {
  return cat("0x", std::hex, std::setw(width), std::setfill('0'), v);
}

// What a section holds, in a few words.
std::string describe(const isa::Section& s, const isa::Program& p) {
  switch (s.type) {
    case isa::SectionType::kCode:
      return cat(p.code.size(), " instructions");
    case isa::SectionType::kWeights:
      return cat(p.weights.bytes.size(), " bytes at DDR ", hex(p.weights.ddr_base, 8));
    case isa::SectionType::kParams:
      return cat(p.params.bytes.size() / 64, " parameter records at DDR ",
                 hex(p.params.ddr_base, 8));
    default:
      return cat("JSON, ", s.payload.size(), " bytes");
  }
}

// Whether the HWCONFIG section describes the configuration the header's hash names.
std::string hash_check(const isa::Program& p, const std::string& path) {
  if (p.hwconfig.is_null()) return "no HWCONFIG section";
  try {
    return HwConfig::from_json(p.hwconfig, path + ": HWCONFIG").hash() == p.hw_hash
               ? "matches HWCONFIG"
               : "does NOT match HWCONFIG";
  } catch (const Error& e) {
    return cat("HWCONFIG unreadable: ", e.what());
  }
}

int run_disasm(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string input;
  options.add_options()("input", po::value(&input), "the .bpu program (positional)")(
      "code-only", "print only the assembler text of the code (round-trips through asm)");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  if (!parse_args("disasm", "PROG.bpu [--code-only]", args, options, positional, vm))
    return kExitOk;
  require(!input.empty(), "missing the input file PROG.bpu (see bpusim disasm --help)");
  const isa::Container container = isa::read_container(isa::read_file_bytes(input), input);
  const isa::Program program = isa::from_container(container, input);
  if (vm.count("code-only")) {
    std::cout << isa::disassemble(program.code);
    return kExitOk;
  }
  std::cout << "; " << input << ": .bpu version " << container.major << "." << container.minor
            << ", hw-config hash " << hex(program.hw_hash, 8) << " (" << hash_check(program, input)
            << ")\n";
  for (const isa::Section& s : container.sections) {
    std::cout << "; section " << std::left << std::setw(9) << isa::section_name(s.type)
              << std::right << " offset " << std::setw(8) << s.offset << "  size " << std::setw(8)
              << s.payload.size() << "  crc " << hex(s.crc, 8) << "  " << describe(s, program)
              << "\n";
  }
  std::cout << "; index  address   instruction\n";
  for (size_t i = 0; i < program.code.size(); ++i) {
    std::cout << std::setw(7) << i << "  " << hex(i * isa::kInstructionBytes, 6) << "  "
              << isa::disassemble(program.code[i]) << "\n";
  }
  return kExitOk;
}

BPUSIM_COMMAND({"disasm", "print a .bpu program: sections and instructions", run_disasm});

}  // namespace
}  // namespace bpusim::cli
