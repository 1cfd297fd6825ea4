// The `bpusim` command line: one file per subcommand (cmd_<name>.cc), each registering a
// Command with BPUSIM_COMMAND. main.cc dispatches, prints --help, and turns bpusim::Error
// into a message on stderr and exit code kExitUserError.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace bpusim::cli {

// Exit codes, documented in docs/guide.md.
enum ExitCode : int {
  kExitOk = 0,
  kExitMismatch = 1,   // a comparison found differences (verify, onnx-test, golden checks)
  kExitUserError = 2,  // bad input: file, model, program, option, config
  kExitFault = 3,      // the modeled hardware reported a fault while running a program
  kExitInternal = 4,   // a bug in bpusim (an unexpected exception)
};

struct Command {
  std::string name;
  std::string summary;  // one line, for `bpusim --help`
  // Runs the subcommand with the arguments after its name; returns an ExitCode.
  std::function<int(const std::vector<std::string>& args)> run;
};

// Registers a command at static-initialisation time; returns true.
bool register_command(Command command);
const std::vector<Command>& commands();

namespace po = boost::program_options;

// Parses `args` against `options` (+ positional), printing usage and returning false when
// --help was asked for. Unknown options and bad values throw bpusim::Error naming them.
bool parse_args(const std::string& command, const std::string& usage,
                const std::vector<std::string>& args, po::options_description& options,
                const po::positional_options_description& positional, po::variables_map& vm);

// Parses "NAME=PATH" pairs of --input options into (name, path).
std::vector<std::pair<std::string, std::string>> parse_named_paths(
    const std::vector<std::string>& items, const std::string& option);

}  // namespace bpusim::cli

#define BPUSIM_CONCAT_INNER(a, b) a##b
#define BPUSIM_CONCAT(a, b) BPUSIM_CONCAT_INNER(a, b)
// Usage: BPUSIM_COMMAND({"name", "one-line summary", run_function});
#define BPUSIM_COMMAND(...)                                               \
  static const bool BPUSIM_CONCAT(bpusim_command_registered_, __LINE__) = \
      ::bpusim::cli::register_command(::bpusim::cli::Command __VA_ARGS__)
