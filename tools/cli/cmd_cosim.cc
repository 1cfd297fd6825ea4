// bpusim cosim PROG.bpu [--input NAME=X.npy ...] [--hw HW.json] [--set k=v ...] [--seed N]
//                       [--report R.json]
// Runs a .bpu program on the SystemC model and on the verilated RTL core with the same inputs
// (loaded as `bpusim run` loads them; seeded random inputs for those not given, the seed
// printed) and compares the two runs bit for bit and cycle for cycle (tools/report/cosim.h):
// outputs, total and per-layer cycles, every instruction's dispatch/issue/start/end, faults.
// Prints the comparison (the first instruction that differs in detail, later ones counted);
// --report writes it as JSON.
// Exit codes (tools/cli/command.h): 0 the runs are equal (also when both fault at the same
// instruction: the fault is printed), 1 a difference (a fault on one backend only is one),
// 2 bad input, including a configuration the RTL build has no core for.
// Test hook: --debug-delay-end K adds one cycle to the end of instruction K in the RTL run's
// counters before the comparison, so the tests can check that a difference is reported.
#include <algorithm>
#include <array>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"
#include "tools/cli/program_setup.h"
#include "tools/report/cosim.h"
#include "tools/report/run_summary.h"

namespace bpusim::cli {
namespace {

int run_cosim(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string program_path, hw, report;
  std::vector<std::string> inputs, sets;
  uint32_t seed = 1;
  int64_t delay_end = -1;
  options.add_options()("program", po::value(&program_path)->required(), "the .bpu program")(
      "input,i", po::value(&inputs)->composing(),
      "model input NAME=X.npy (repeatable; default: seeded random inputs)")(
      "hw", po::value(&hw), "hardware config JSON (default: the program's own configuration)")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "seed", po::value(&seed)->default_value(seed), "seed of the random inputs")(
      "report", po::value(&report), "write the comparison as JSON")(
      "debug-delay-end", po::value(&delay_end),
      "test hook: add one cycle to this instruction's end in the RTL run before comparing");
  po::positional_options_description positional;
  positional.add("program", 1);
  po::variables_map vm;
  if (!parse_args("cosim",
                  "PROG.bpu [--input NAME=X.npy ...] [--hw HW.json] [--set k=v ...] [--seed N] "
                  "[--report R.json]",
                  args, options, positional, vm))
    return kExitOk;

  ProgramSetup s = load_program_setup(program_path, hw, sets, inputs);
  const std::vector<std::string> drawn = add_random_inputs(s, seed);
  const std::array<std::string, 2> names{"systemc", "rtl"};
  const std::unique_ptr<runtime::Backend> sc = make_backend(names[0]);
  const std::unique_ptr<runtime::Backend> rtl = make_backend(names[1]);
  // A configuration the RTL build has no core for is refused before anything runs.
  rtl->configure(s.options.hw);

  std::cout << "cosim: " << program_path << " on " << names[0] << " and " << names[1] << "\n";
  if (!drawn.empty()) {
    std::cout << "random inputs (";
    for (size_t i = 0; i < drawn.size(); ++i) std::cout << (i ? ", " : "") << drawn[i];
    std::cout << "), seed " << seed << "\n";
  }
  std::cout << "\n";
  const runtime::ProgramResult a = runtime::run_program(s.program, s.inputs, s.options, *sc);
  runtime::ProgramResult b = runtime::run_program(s.program, s.inputs, s.options, *rtl);
  if (delay_end >= 0) {
    auto& instrs = b.counters.instrs;
    const auto it = std::find_if(instrs.begin(), instrs.end(), [&](const runtime::InstrRecord& r) {
      return r.index == delay_end;
    });
    require(it != instrs.end(), "--debug-delay-end ", delay_end,
            ": the RTL run has no record of that instruction");
    ++it->end;
  }

  const report::CosimComparison c = report::compare_runs(a, b, names);
  std::cout << report::cosim_text(c, s.program.code);
  if (!report.empty()) {
    nlohmann::json j = report::cosim_json(c, s.program.code);
    j["program"] = program_path;
    j["hw"] = s.options.hw.to_json();
    j["random_inputs"] = drawn;
    j["seed"] = drawn.empty() ? nlohmann::json() : nlohmann::json(seed);
    report::write_json_file(report, j);
  }
  return c.equal() ? kExitOk : kExitMismatch;
}

BPUSIM_COMMAND({"cosim",
                "run a .bpu program on the SystemC model and the RTL core, compare outputs and "
                "every instruction's cycles",
                run_cosim});

}  // namespace
}  // namespace bpusim::cli
