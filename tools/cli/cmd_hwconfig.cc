// bpusim hwconfig: prints the effective hardware configuration (defaults, --hw file, --set
// overrides) as JSON, or the table of every key (--keys, the source of docs/hardware.md).
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/hw_config.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

int run_hwconfig(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string hw;
  std::vector<std::string> sets;
  options.add_options()("hw", po::value(&hw), "hardware config JSON file")(
      "set", po::value(&sets)->composing(), "override one key: key=value (repeatable)")(
      "keys", "print every key as a Markdown table (default, range, meaning)");
  po::variables_map vm;
  if (!parse_args("hwconfig", "[--hw HW.json] [--set key=value ...] [--keys]", args, options, {},
                  vm))
    return kExitOk;
  if (vm.count("keys")) {
    std::cout << "| key | default | range | meaning |\n|---|---|---|---|\n";
    for (const auto& k : HwConfig::keys())
      std::cout << "| `" << k.name << "` | " << k.default_value << " | " << k.range << " | "
                << k.meaning << " |\n";
    return kExitOk;
  }
  const HwConfig cfg = load_hw_config(hw, sets);
  std::cout << cfg.to_json().dump(2) << "\n";
  std::cout << "hash: 0x" << std::hex << cfg.hash() << "\n";
  return kExitOk;
}

BPUSIM_COMMAND({"hwconfig", "print the effective hardware configuration (or --keys)",
                run_hwconfig});

}  // namespace
}  // namespace bpusim::cli
