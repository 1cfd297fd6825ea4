// bpusim run: executes a .bpu program (runtime/runtime.h) on a backend (--backend, default the
// SystemC cycle-aware model; tools/cli/backends.h) and writes each model output to
// DIR/<name>.npy; prints total cycles, per-layer cycles, MAC utilisation and the stall
// breakdown; optionally a Perfetto trace, the backend's waveform and a JSON report.
// The effective hardware configuration is --hw (or, without it, the program's own HWCONFIG
// section, or the defaults) plus the --set overrides; a program compiled for a configuration
// with another hash is refused (exit 2). A modeled fault prints its report and exits 3.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"
#include "tools/cli/program_setup.h"
#include "tools/report/run_summary.h"

namespace bpusim::cli {
namespace {

int run_run(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string program_path, output_dir, hw, trace, vcd, report, backend = kDefaultBackend;
  std::vector<std::string> inputs, sets;
  options.add_options()("program", po::value(&program_path)->required(), "the .bpu program")(
      "input,i", po::value(&inputs)->composing(), "model input NAME=X.npy (repeatable)")(
      "output-dir,o", po::value(&output_dir)->required(), "directory for <output>.npy files")(
      "hw", po::value(&hw), "hardware config JSON (default: the program's own configuration)")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "trace", po::value(&trace), "write a Chrome/Perfetto trace-event JSON timeline")(
      "vcd", po::value(&vcd), "write the backend's waveform (VCD for GTKWave)")(
      "report", po::value(&report), "write every counter as JSON")("backend", po::value(&backend),
                                                                   backend_option_help().c_str());
  po::positional_options_description positional;
  positional.add("program", 1);
  po::variables_map vm;
  if (!parse_args("run",
                  "PROG.bpu --input NAME=X.npy ... --output-dir DIR [--hw HW.json] [--set k=v] "
                  "[--trace T.json] [--vcd W.vcd] [--report R.json] [--backend NAME]",
                  args, options, positional, vm))
    return kExitOk;

  ProgramSetup s = load_program_setup(program_path, hw, sets, inputs);
  const isa::Program& program = s.program;
  runtime::RunOptions& opts = s.options;
  opts.waveform_path = vcd;

  const std::unique_ptr<runtime::Backend> b = make_backend(backend);
  const runtime::ProgramResult r = runtime::run_program(program, s.inputs, opts, *b);
  if (!trace.empty())
    report::write_json_file(trace,
                            runtime::trace_json(r.counters, program.code, opts.hw.clock_mhz));
  if (!report.empty()) {
    nlohmann::json j = runtime::report_json(r.counters, r.layers, opts.hw.mac_rows,
                                            opts.hw.mac_cols, opts.hw.clock_mhz);
    j["program"] = program_path;
    j["hw"] = opts.hw.to_json();
    j["backend"] = b->name();
    j["fault"] = r.fault ? r.fault->to_json() : nlohmann::json();
    report::write_json_file(report, j);
  }
  if (r.fault) {
    std::cerr << "bpusim run: modeled fault: " << r.fault->message() << "\n";
    return kExitFault;
  }
  std::filesystem::create_directories(output_dir);
  for (const auto& o : r.outputs) {
    const std::string path =
        (std::filesystem::path(output_dir) / (report::tensor_file_name(o.name) + ".npy")).string();
    write_npy(path, o.tensor);
    std::printf("output %s: %s %s -> %s\n", o.name.c_str(),
                std::string(dtype_name(o.tensor.dtype())).c_str(),
                shape_str(o.tensor.shape()).c_str(), path.c_str());
  }
  report::print_run_summary(stdout, r, opts.hw);
  return kExitOk;
}

BPUSIM_COMMAND({"run", "run a .bpu program on a backend (default: the SystemC cycle-aware model)",
                run_run});

}  // namespace
}  // namespace bpusim::cli
