#include "tools/report/run_summary.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bpusim::report {

HwConfig program_hw_config(const isa::Program& program, const std::string& hw_path,
                           const std::vector<std::string>& sets, const std::string& source) {
  HwConfig cfg;
  if (!hw_path.empty())
    cfg = HwConfig::load(hw_path);
  else if (program.hwconfig.is_object())
    cfg = HwConfig::from_json(program.hwconfig, source + ": HWCONFIG");
  for (const auto& s : sets) cfg.set(s);
  cfg.validate();
  return cfg;
}

std::string tensor_file_name(const std::string& name) {
  std::string out = name;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
      ch = '_';
  return out.empty() ? "output" : out;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  require(out.good(), path, ": cannot open for writing");
  out << text;
  out.close();
  require(out.good(), path, ": write failed");
}

void write_json_file(const std::string& path, const nlohmann::json& j) {
  write_text_file(path, j.dump() + "\n");
}

void print_run_summary(std::FILE* out, const runtime::ProgramResult& r, const HwConfig& hw) {
  const auto& c = r.counters;
  std::fprintf(out, "total cycles: %lld (%.3f ms at %lld MHz)\n", static_cast<long long>(r.cycles),
               static_cast<double>(r.cycles) / (static_cast<double>(hw.clock_mhz) * 1e3),
               static_cast<long long>(hw.clock_mhz));
  std::fprintf(out, "MACs: %lld, MAC utilisation: %.2f%% of %lldx%lld\n",
               static_cast<long long>(c.macs),
               100.0 * runtime::mac_utilisation(c.macs, r.cycles, hw.mac_rows, hw.mac_cols),
               static_cast<long long>(hw.mac_rows), static_cast<long long>(hw.mac_cols));
  std::fprintf(out, "DDR: %lld bytes read, %lld bytes written, %lld bus bytes\n",
               static_cast<long long>(c.ddr_read_bytes), static_cast<long long>(c.ddr_write_bytes),
               static_cast<long long>(c.ddr_bus_bytes));
  if (!r.layers.empty()) {
    int name_w = 5, op_w = 2;
    for (const auto& l : r.layers) {
      name_w = std::max(name_w, static_cast<int>(l.name.size()));
      op_w = std::max(op_w, static_cast<int>(l.op.size()));
    }
    std::fprintf(out, "\n%-*s  %-*s %12s %12s %8s\n", name_w, "layer", op_w, "op", "cycles", "MACs",
                 "util");
    for (const auto& l : r.layers)
      std::fprintf(out, "%-*s  %-*s %12lld %12lld %7.2f%%\n", name_w, l.name.c_str(), op_w,
                   l.op.c_str(), static_cast<long long>(l.cycles()), static_cast<long long>(l.macs),
                   100.0 * runtime::mac_utilisation(l.macs, l.cycles(), hw.mac_rows, hw.mac_cols));
  }
  std::fprintf(out, "\n%-10s %12s", "engine", "busy");
  for (int s = 0; s < runtime::kNumStalls; ++s)
    std::fprintf(out, " %14s", runtime::stall_name(static_cast<runtime::Stall>(s)));
  std::fprintf(out, "\n");
  for (int e = 0; e < runtime::kNumEngines; ++e) {
    std::fprintf(out, "%-10s %12lld", runtime::engine_name(static_cast<runtime::Engine>(e)),
                 static_cast<long long>(c.engine_busy[e]));
    for (int s = 0; s < runtime::kNumStalls; ++s)
      std::fprintf(out, " %14lld", static_cast<long long>(c.stalls[e][s]));
    std::fprintf(out, "\n");
  }
}

}  // namespace bpusim::report
