// bpusim: entry point of the command line. See command.h.
#include <algorithm>
#include <exception>
#include <iostream>

#include "common/error.h"
#include "tools/cli/command.h"

namespace bpusim::cli {

std::vector<Command>& registry() {
  static std::vector<Command> all;
  return all;
}

bool register_command(Command command) {
  registry().push_back(std::move(command));
  return true;
}

const std::vector<Command>& commands() {
  auto& all = registry();
  std::sort(all.begin(), all.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return all;
}

bool parse_args(const std::string& command, const std::string& usage,
                const std::vector<std::string>& args, po::options_description& options,
                const po::positional_options_description& positional, po::variables_map& vm) {
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: bpusim " << command << " " << usage << "\n\n" << options << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    fail("bpusim ", command, ": ", e.what(), " (see bpusim ", command, " --help)");
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> parse_named_paths(
    const std::vector<std::string>& items, const std::string& option) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    require(eq != std::string::npos && eq > 0 && eq + 1 < item.size(), option, " '", item,
            "': expected NAME=PATH");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

namespace {

void print_help() {
  std::cout << "bpusim — bit-accurate simulator of a quantized neural-network accelerator\n\n"
               "usage: bpusim <command> [options]   (bpusim <command> --help for details)\n\n"
               "commands:\n";
  for (const auto& c : commands()) {
    std::cout << "  " << c.name << std::string(c.name.size() < 12 ? 12 - c.name.size() : 1, ' ')
              << c.summary << "\n";
  }
}

}  // namespace
}  // namespace bpusim::cli

int main(int argc, char** argv) {
  using namespace bpusim::cli;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help();
    return args.empty() ? kExitUserError : kExitOk;
  }
  const auto& all = commands();
  auto it =
      std::find_if(all.begin(), all.end(), [&](const Command& c) { return c.name == args[0]; });
  if (it == all.end()) {
    std::cerr << "bpusim: unknown command '" << args[0] << "' (see bpusim --help)\n";
    return kExitUserError;
  }
  try {
    return it->run({args.begin() + 1, args.end()});
  } catch (const bpusim::Error& e) {
    std::cerr << "bpusim " << args[0] << ": error: " << e.what() << "\n";
    return kExitUserError;
  } catch (const std::exception& e) {
    std::cerr << "bpusim " << args[0] << ": internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
