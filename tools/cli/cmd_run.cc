// bpusim run: executes a .bpu program on the SystemC cycle-aware model (sim/runtime.h) and
// writes each model output to DIR/<name>.npy; prints total cycles, per-layer cycles, MAC
// utilisation and the stall breakdown; optionally a Perfetto trace, a VCD and a JSON report.
// The effective hardware configuration is --hw (or, without it, the program's own HWCONFIG
// section, or the defaults) plus the --set overrides; a program compiled for a configuration
// with another hash is refused (exit 2). A modeled fault prints its report and exits 3.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "isa/container.h"
#include "sim/runtime.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

HwConfig effective_config(const isa::Program& p, const std::string& hw_path,
                          const std::vector<std::string>& sets, const std::string& source) {
  HwConfig cfg;
  if (!hw_path.empty())
    cfg = HwConfig::load(hw_path);
  else if (p.hwconfig.is_object())
    cfg = HwConfig::from_json(p.hwconfig, source + ": HWCONFIG");
  for (const auto& s : sets) cfg.set(s);
  cfg.validate();
  return cfg;
}

// A file name for an output tensor: characters other than [A-Za-z0-9._-] become '_'.
std::string file_name(const std::string& name) {
  std::string out = name;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
      ch = '_';
  return out.empty() ? "output" : out;
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  require(out.good(), path, ": cannot open for writing");
  out << j.dump() << "\n";
  require(out.good(), path, ": write failed");
}

void print_summary(const sim::ProgramResult& r, const HwConfig& hw) {
  const auto& c = r.counters;
  std::printf("total cycles: %lld (%.3f ms at %lld MHz)\n", static_cast<long long>(r.cycles),
              static_cast<double>(r.cycles) / (static_cast<double>(hw.clock_mhz) * 1e3),
              static_cast<long long>(hw.clock_mhz));
  std::printf("MACs: %lld, MAC utilisation: %.2f%% of %lldx%lld\n", static_cast<long long>(c.macs),
              100.0 * sim::mac_utilisation(c.macs, r.cycles, hw.mac_rows, hw.mac_cols),
              static_cast<long long>(hw.mac_rows), static_cast<long long>(hw.mac_cols));
  std::printf("DDR: %lld bytes read, %lld bytes written, %lld bus bytes\n",
              static_cast<long long>(c.ddr_read_bytes), static_cast<long long>(c.ddr_write_bytes),
              static_cast<long long>(c.ddr_bus_bytes));
  if (!r.layers.empty()) {
    int name_w = 5, op_w = 2;
    for (const auto& l : r.layers) {
      name_w = std::max(name_w, static_cast<int>(l.name.size()));
      op_w = std::max(op_w, static_cast<int>(l.op.size()));
    }
    std::printf("\n%-*s  %-*s %12s %12s %8s\n", name_w, "layer", op_w, "op", "cycles", "MACs",
                "util");
    for (const auto& l : r.layers)
      std::printf("%-*s  %-*s %12lld %12lld %7.2f%%\n", name_w, l.name.c_str(), op_w, l.op.c_str(),
                  static_cast<long long>(l.cycles()), static_cast<long long>(l.macs),
                  100.0 * sim::mac_utilisation(l.macs, l.cycles(), hw.mac_rows, hw.mac_cols));
  }
  std::printf("\n%-10s %12s", "engine", "busy");
  for (int s = 0; s < sim::kNumStalls; ++s)
    std::printf(" %14s", sim::stall_name(static_cast<sim::Stall>(s)));
  std::printf("\n");
  for (int e = 0; e < sim::kNumEngines; ++e) {
    std::printf("%-10s %12lld", sim::engine_name(static_cast<sim::Engine>(e)),
                static_cast<long long>(c.engine_busy[e]));
    for (int s = 0; s < sim::kNumStalls; ++s)
      std::printf(" %14lld", static_cast<long long>(c.stalls[e][s]));
    std::printf("\n");
  }
}

int run_run(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string program_path, output_dir, hw, trace, vcd, report;
  std::vector<std::string> inputs, sets;
  options.add_options()("program", po::value(&program_path)->required(), "the .bpu program")(
      "input,i", po::value(&inputs)->composing(), "model input NAME=X.npy (repeatable)")(
      "output-dir,o", po::value(&output_dir)->required(), "directory for <output>.npy files")(
      "hw", po::value(&hw), "hardware config JSON (default: the program's own configuration)")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "trace", po::value(&trace), "write a Chrome/Perfetto trace-event JSON timeline")(
      "vcd", po::value(&vcd), "write unit activity as a VCD waveform (GTKWave)")(
      "report", po::value(&report), "write every counter as JSON");
  po::positional_options_description positional;
  positional.add("program", 1);
  po::variables_map vm;
  if (!parse_args("run",
                  "PROG.bpu --input NAME=X.npy ... --output-dir DIR [--hw HW.json] [--set k=v] "
                  "[--trace T.json] [--vcd W.vcd] [--report R.json]",
                  args, options, positional, vm))
    return kExitOk;

  const isa::Program program = isa::load_program(program_path);
  sim::RunOptions opts;
  opts.source = program_path;
  opts.hw = effective_config(program, hw, sets, program_path);
  opts.vcd_path = vcd;
  std::map<std::string, Tensor> in;
  for (const auto& [name, path] : parse_named_paths(inputs, "--input")) in[name] = read_npy(path);

  const sim::ProgramResult r = sim::run_program(program, in, opts);
  if (!trace.empty())
    write_json(trace, sim::trace_json(r.counters, program.code, opts.hw.clock_mhz));
  if (!report.empty()) {
    nlohmann::json j = sim::report_json(r.counters, r.layers, opts.hw.mac_rows, opts.hw.mac_cols,
                                        opts.hw.clock_mhz);
    j["program"] = program_path;
    j["hw"] = opts.hw.to_json();
    j["fault"] = r.fault ? r.fault->to_json() : nlohmann::json();
    write_json(report, j);
  }
  if (r.fault) {
    std::cerr << "bpusim run: modeled fault: " << r.fault->message() << "\n";
    return kExitFault;
  }
  std::filesystem::create_directories(output_dir);
  for (const auto& o : r.outputs) {
    const std::string path =
        (std::filesystem::path(output_dir) / (file_name(o.name) + ".npy")).string();
    write_npy(path, o.tensor);
    std::printf("output %s: %s %s -> %s\n", o.name.c_str(),
                std::string(dtype_name(o.tensor.dtype())).c_str(),
                shape_str(o.tensor.shape()).c_str(), path.c_str());
  }
  print_summary(r, opts.hw);
  return kExitOk;
}

BPUSIM_COMMAND({"run", "run a .bpu program on the SystemC cycle-aware model", run_run});

}  // namespace
}  // namespace bpusim::cli
