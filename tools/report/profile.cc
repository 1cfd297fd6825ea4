#include "tools/report/profile.h"

#include <algorithm>

namespace bpusim::report {

const char* cycle_class_name(CycleClass c) {
  static const char* const kNames[] = {"mac_array", "requantizer", "vector",
                                       "control",   "dma_only",    "idle"};
  return kNames[static_cast<int>(c)];
}

namespace {

// The class an instruction's [start, end) paints; compute classes win over DMA.
CycleClass class_of(const runtime::InstrRecord& r) {
  using isa::Opcode;
  switch (r.op) {
    case Opcode::LOAD:
    case Opcode::STORE:
      return CycleClass::kDmaOnly;
    case Opcode::CONV:
      return CycleClass::kMac;
    case Opcode::REQUANT:
      return CycleClass::kRequant;
    case Opcode::NOP:
    case Opcode::FINISH:
      return CycleClass::kControl;
    default:
      return CycleClass::kVector;
  }
}

}  // namespace

CycleBreakdown cycle_breakdown(const std::vector<runtime::InstrRecord>& instrs, int64_t begin,
                               int64_t end) {
  CycleBreakdown out{};
  if (end <= begin) return out;
  // Sweep over the instructions' start/end points: between two consecutive points the set
  // of running classes is constant; the first class in CycleClass order that runs owns it.
  struct Event {
    int64_t cycle;
    int cls;
    int delta;
  };
  std::vector<Event> events;
  for (const auto& r : instrs) {
    const int64_t s = std::max(r.start, begin), e = std::min(r.end, end);
    if (s >= e) continue;
    const int cls = static_cast<int>(class_of(r));
    events.push_back({s, cls, +1});
    events.push_back({e, cls, -1});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.cycle < b.cycle; });
  std::array<int, kNumCycleClasses> running{};
  int64_t at = begin;
  auto paint_until = [&](int64_t t) {
    if (t <= at) return;
    int cls = static_cast<int>(CycleClass::kIdle);
    for (int c = 0; c < kNumCycleClasses; ++c)
      if (running[c] > 0) {
        cls = c;
        break;
      }
    out[cls] += t - at;
    at = t;
  };
  for (const Event& ev : events) {
    paint_until(ev.cycle);
    running[ev.cls] += ev.delta;
  }
  paint_until(end);
  return out;
}

double LayerProfile::arithmetic_intensity() const {
  return ddr_bytes() > 0 ? static_cast<double>(macs) / static_cast<double>(ddr_bytes()) : 0.0;
}

double LayerProfile::macs_per_cycle() const {
  return cycles() > 0 ? static_cast<double>(macs) / static_cast<double>(cycles()) : 0.0;
}

double Profile::utilisation() const {
  return runtime::mac_utilisation(macs, cycles, hw.mac_rows, hw.mac_cols);
}

double Profile::frames_per_second() const {
  return cycles > 0 ? static_cast<double>(hw.clock_mhz) * 1e6 / static_cast<double>(cycles) : 0.0;
}

Profile make_profile(const isa::Program& program, const runtime::ProgramResult& result,
                     const HwConfig& hw, const std::string& source) {
  Profile p;
  p.source = source;
  p.hw = hw;
  p.cycles = result.cycles;
  p.macs = result.counters.macs;
  p.counters = result.counters;
  p.fault = result.fault;
  p.breakdown = cycle_breakdown(result.counters.instrs, 0, result.cycles);
  for (size_t i = 0; i < result.layers.size(); ++i) {
    const runtime::LayerCycles& lc = result.layers[i];
    LayerProfile l;
    l.name = lc.name;
    l.op = lc.op;
    l.code_first = lc.first;
    l.code_end = lc.end;
    l.start_cycle = lc.start_cycle;
    l.end_cycle = lc.end_cycle;
    l.macs = lc.macs;
    l.compute_busy = lc.compute_busy;
    if (i < program.layers.size()) {
      l.est_cycles = program.layers[i].est_cycles;
      l.sram = program.layers[i].sram;
    }
    for (const auto& r : result.counters.instrs) {
      if (r.index < l.code_first || r.index >= l.code_end) continue;
      ++l.instructions;
      for (int s = 0; s < runtime::kNumStalls; ++s) l.stalls[s] += r.stall[s];
      if (r.op == isa::Opcode::LOAD) l.ddr_read_bytes += r.ddr_bytes;
      if (r.op == isa::Opcode::STORE) l.ddr_write_bytes += r.ddr_bytes;
    }
    l.breakdown = cycle_breakdown(result.counters.instrs, l.start_cycle, l.end_cycle);
    p.layers.push_back(std::move(l));
  }
  return p;
}

namespace {

nlohmann::json breakdown_json(const CycleBreakdown& b) {
  nlohmann::json j = nlohmann::json::object();
  for (int c = 0; c < kNumCycleClasses; ++c) j[cycle_class_name(static_cast<CycleClass>(c))] = b[c];
  return j;
}

}  // namespace

nlohmann::json profile_json(const Profile& p, bool with_instructions) {
  std::vector<runtime::LayerCycles> cycles;
  for (const LayerProfile& l : p.layers) {
    runtime::LayerCycles lc;
    lc.name = l.name;
    lc.op = l.op;
    lc.first = l.code_first;
    lc.end = l.code_end;
    lc.macs = l.macs;
    lc.start_cycle = l.start_cycle;
    lc.end_cycle = l.end_cycle;
    lc.compute_busy = l.compute_busy;
    cycles.push_back(lc);
  }
  nlohmann::json j =
      runtime::report_json(p.counters, cycles, p.hw.mac_rows, p.hw.mac_cols, p.hw.clock_mhz);
  if (!with_instructions) j.erase("instructions");
  j["program"] = p.source;
  j["hw"] = p.hw.to_json();
  j["fault"] = p.fault ? p.fault->to_json() : nlohmann::json();
  j["frames_per_second"] = p.frames_per_second();
  j["cycle_breakdown"] = breakdown_json(p.breakdown);
  const double peak = static_cast<double>(p.peak_macs_per_cycle());
  const double bw = static_cast<double>(p.hw.ddr_bytes_per_cycle);
  j["roofline"] = {{"peak_macs_per_cycle", p.peak_macs_per_cycle()},
                   {"ddr_bytes_per_cycle", p.hw.ddr_bytes_per_cycle},
                   {"ridge_macs_per_byte", peak / bw}};
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    nlohmann::json& lj = j["layers"][i];
    lj["instructions"] = l.instructions;
    lj["est_cycles"] = l.est_cycles;
    lj["ddr_read_bytes"] = l.ddr_read_bytes;
    lj["ddr_write_bytes"] = l.ddr_write_bytes;
    lj["arithmetic_intensity"] = l.arithmetic_intensity();
    lj["macs_per_cycle"] = l.macs_per_cycle();
    nlohmann::json stalls = nlohmann::json::object();
    for (int s = 0; s < runtime::kNumStalls; ++s)
      stalls[runtime::stall_name(static_cast<runtime::Stall>(s))] = l.stalls[s];
    lj["stalls"] = stalls;
    lj["cycle_breakdown"] = breakdown_json(l.breakdown);
    nlohmann::json sram = nlohmann::json::object();
    for (size_t b = 0; b < l.sram.size(); ++b)
      sram[std::string(isa::kSramBufferNames[b])] = l.sram[b];
    lj["sram"] = sram;
  }
  return j;
}

}  // namespace bpusim::report
