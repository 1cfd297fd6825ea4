// bpusim profile PROG.bpu [--input NAME=X.npy ...] [--hw HW.json] [--set k=v] -o report.html
// [--json report.json] [--seed N] [--backend NAME]: runs the program once on a backend (default
// the SystemC model; seeded random inputs when no --input is given) and writes a self-contained
// HTML report (per-layer table, roofline, where the cycles go, unit timeline; tools/report/html.h)
// and optionally the same data as JSON (tools/report/profile.h). Prints the run summary of `bpusim
// run`. A modeled fault still writes both reports (the counters up to the fault) and exits 3.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"
#include "tools/cli/program_setup.h"
#include "tools/report/html.h"
#include "tools/report/profile.h"
#include "tools/report/run_summary.h"

namespace bpusim::cli {
namespace {

int run_profile(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string program_path, html_path, json_path, hw, backend = kDefaultBackend;
  std::vector<std::string> inputs, sets;
  uint32_t seed = 1;
  options.add_options()("program", po::value(&program_path)->required(), "the .bpu program")(
      "input,i", po::value(&inputs)->composing(),
      "model input NAME=X.npy (repeatable; default: seeded random inputs)")(
      "output,o", po::value(&html_path)->required(), "HTML report to write")(
      "json", po::value(&json_path), "also write the profile as JSON")(
      "hw", po::value(&hw), "hardware config JSON (default: the program's own configuration)")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "seed", po::value(&seed)->default_value(seed), "seed of the random inputs")(
      "backend", po::value(&backend), backend_option_help().c_str());
  po::positional_options_description positional;
  positional.add("program", 1);
  po::variables_map vm;
  if (!parse_args("profile",
                  "PROG.bpu [--input NAME=X.npy ...] [--hw HW.json] [--set k=v] -o report.html "
                  "[--json report.json] [--backend NAME]",
                  args, options, positional, vm))
    return kExitOk;

  ProgramSetup s = load_program_setup(program_path, hw, sets, inputs);
  const isa::Program& program = s.program;
  const runtime::RunOptions& opts = s.options;
  const bool random = s.inputs.empty();
  if (random) add_random_inputs(s, seed);

  const std::unique_ptr<runtime::Backend> b = make_backend(backend);
  const runtime::ProgramResult r = runtime::run_program(program, s.inputs, opts, *b);
  const report::Profile profile = report::make_profile(program, r, opts.hw, program_path);
  report::HtmlPage page;
  page.title = "bpusim profile: " + std::filesystem::path(program_path).filename().string();
  page.subtitle =
      cat(program_path, " on the ", b->name(), " backend: a ", opts.hw.mac_rows, "x",
          opts.hw.mac_cols, " MAC array at ", opts.hw.clock_mhz, " MHz, ",
          random ? cat("seeded random inputs (seed ", seed, ")") : "inputs from --input");
  report::write_text_file(html_path, report::profile_html(profile, page));
  if (!json_path.empty()) report::write_json_file(json_path, report::profile_json(profile));
  if (r.fault) {
    std::cerr << "bpusim profile: modeled fault: " << r.fault->message() << "\n";
    return kExitFault;
  }
  report::print_run_summary(stdout, r, opts.hw);
  std::printf("\nwrote %s%s%s\n", html_path.c_str(), json_path.empty() ? "" : " and ",
              json_path.c_str());
  return kExitOk;
}

BPUSIM_COMMAND({"profile", "run a .bpu program once and write an HTML (and JSON) profile report",
                run_profile});

}  // namespace
}  // namespace bpusim::cli
