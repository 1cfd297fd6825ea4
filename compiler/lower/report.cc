#include "compiler/lower/report.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "common/error.h"

namespace bpusim::compiler {
namespace {

std::string kib(int64_t bytes) {
  if (bytes == 0) return "-";
  if (bytes < 1024) return cat(bytes, "B");
  const int64_t tenths = (bytes * 10 + 512) / 1024;
  return tenths % 10 == 0 ? cat(tenths / 10, "K") : cat(tenths / 10, ".", tenths % 10, "K");
}

std::string shapes(const isa::Layer& l) {
  std::string s;
  for (const Shape& in : l.inputs) {
    if (!s.empty()) s += ' ';
    s += shape_str(in);
  }
  return cat(s, " -> ", shape_str(l.output));
}

// Rows of cells rendered as an aligned text table (numbers right-aligned).
std::string render(const std::vector<std::vector<std::string>>& rows,
                   const std::vector<bool>& right) {
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      const std::string pad(width[c] - r[c].size(), ' ');
      if (c) line.append(2, ' ');
      line.append(right[c] ? pad : r[c]).append(right[c] ? r[c] : pad);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string layer_table(const std::vector<isa::Layer>& layers, const isa::Program& program,
                        int64_t est_cycles) {
  std::vector<std::vector<std::string>> rows{{"#", "layer", "fused op", "shapes", "MACs", "tiles",
                                              "instr", "SRAM F/W/A/O/P", "est. cycles"}};
  int64_t macs = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const isa::Layer& l = layers[i];
    std::string sram;
    for (int b = 0; b < 5; ++b) {
      if (b) sram += '/';
      sram += kib(l.sram[b]);
    }
    rows.push_back({cat(i), l.name, l.op, shapes(l), cat(l.macs), cat(l.tiles),
                    cat(l.instructions()), sram, cat(l.est_cycles)});
    macs += l.macs;
  }
  std::string out = render(rows, {true, false, false, false, true, true, true, false, true});
  int bpu = 0, host = 0;
  std::string host_ops;
  for (const isa::Segment& seg : program.segments) {
    if (seg.kind == isa::SegmentKind::kBpu) {
      ++bpu;
      continue;
    }
    ++host;
    for (const isa::HostOp& op : seg.ops)
      host_ops += cat(host_ops.empty() ? "" : ", ", isa::host_op_name(op.op), " '", op.name, "'");
  }
  out += cat("total: ", layers.size(), " BPU layers, ", program.code.size(), " instructions, ",
             macs, " MACs, ", est_cycles, " cycles (cost model); ", bpu, " BPU segment(s), ", host,
             " host segment(s)", host_ops.empty() ? "" : ": ", host_ops, "\n");
  out += cat("DDR: weights ", program.weights.bytes.size(), " bytes, parameter records ",
             program.params.bytes.size(), " bytes at 0x", std::hex, program.params.ddr_base,
             std::dec, "\n");
  return out;
}

std::string estimate_table(const std::vector<isa::Layer>& layers,
                           const std::vector<int64_t>& simulated, int64_t est_cycles,
                           int64_t simulated_cycles, int64_t mac_rows, int64_t mac_cols) {
  std::vector<std::vector<std::string>> rows{
      {"#", "layer", "est. cycles", "simulated", "error", "MAC util."}};
  double worst = 0;
  auto percent = [](double v) { return cat(std::round(v * 1000) / 10, "%"); };
  for (size_t i = 0; i < layers.size() && i < simulated.size(); ++i) {
    const isa::Layer& l = layers[i];
    const int64_t sim = simulated[i];
    const double error =
        sim ? static_cast<double>(l.est_cycles - sim) / static_cast<double>(sim) : 0.0;
    worst = std::max(worst, std::abs(error));
    const double util =
        sim ? static_cast<double>(l.macs) / static_cast<double>(mac_rows * mac_cols * sim) : 0.0;
    rows.push_back({cat(i), l.name, cat(l.est_cycles), cat(sim), percent(error), percent(util)});
  }
  std::string out = render(rows, {true, false, true, true, true, true});
  out += cat("program: ", est_cycles, " cycles estimated, ", simulated_cycles,
             " simulated; largest layer error ", percent(worst), "\n");
  return out;
}

}  // namespace bpusim::compiler
