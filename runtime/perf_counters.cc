#include "runtime/perf_counters.h"

#include <nlohmann/json.hpp>

#include "isa/assembler.h"

namespace bpusim::runtime {

const char* stall_name(Stall s) {
  static const char* const kNames[] = {"token_wait", "queue_empty", "queue_full", "ddr_bandwidth",
                                       "bank_conflict"};
  return kNames[static_cast<int>(s)];
}

const char* engine_name(Engine e) {
  static const char* const kNames[] = {"load", "compute", "store", "fetch"};
  return kNames[static_cast<int>(e)];
}

const char* unit_name(UnitId u) {
  static const char* const kNames[] = {"ddr", "mac_array", "requantizer", "vector", "control"};
  return kNames[static_cast<int>(u)];
}

int64_t PerfCounters::stall_total(Stall s) const {
  int64_t total = 0;
  for (const auto& e : stalls) total += e[static_cast<int>(s)];
  return total;
}

void PerfCounters::append(const PerfCounters& o, int64_t offset) {
  cycles += o.cycles;
  for (InstrRecord r : o.instrs) {
    r.dispatch += offset;
    r.issue += offset;
    r.start += offset;
    r.end += offset;
    instrs.push_back(r);
  }
  for (int e = 0; e < kNumEngines; ++e) {
    for (int s = 0; s < kNumStalls; ++s) stalls[e][s] += o.stalls[e][s];
    engine_busy[e] += o.engine_busy[e];
  }
  for (int u = 0; u < kNumUnits; ++u) unit_busy[u] += o.unit_busy[u];
  macs += o.macs;
  const int64_t read0 = ddr_read_bytes, write0 = ddr_write_bytes;
  ddr_read_bytes += o.ddr_read_bytes;
  ddr_write_bytes += o.ddr_write_bytes;
  ddr_bus_bytes += o.ddr_bus_bytes;
  for (QueueSample q : o.queue_log) {
    q.cycle += offset;
    queue_log.push_back(q);
  }
  for (DdrSample d : o.ddr_log) {
    d.cycle += offset;
    d.read_bytes += read0;
    d.write_bytes += write0;
    ddr_log.push_back(d);
  }
}

double mac_utilisation(int64_t macs, int64_t cycles, int64_t rows, int64_t cols) {
  if (cycles <= 0) return 0.0;
  return static_cast<double>(macs) / (static_cast<double>(rows) * cols * cycles);
}

nlohmann::json report_json(const PerfCounters& c, const std::vector<LayerCycles>& layers,
                           int64_t mac_rows, int64_t mac_cols, int64_t clock_mhz) {
  using nlohmann::json;
  json j;
  j["cycles"] = c.cycles;
  j["seconds"] = static_cast<double>(c.cycles) / (static_cast<double>(clock_mhz) * 1e6);
  j["macs"] = c.macs;
  j["mac_utilisation"] = mac_utilisation(c.macs, c.cycles, mac_rows, mac_cols);
  j["ddr"] = {{"read_bytes", c.ddr_read_bytes},
              {"write_bytes", c.ddr_write_bytes},
              {"bus_bytes", c.ddr_bus_bytes}};
  json engines = json::object();
  for (int e = 0; e < kNumEngines; ++e) {
    json stalls = json::object();
    for (int s = 0; s < kNumStalls; ++s) stalls[stall_name(static_cast<Stall>(s))] = c.stalls[e][s];
    engines[engine_name(static_cast<Engine>(e))] = {{"busy_cycles", c.engine_busy[e]},
                                                    {"stalls", stalls}};
  }
  j["engines"] = engines;
  json units = json::object();
  for (int u = 0; u < kNumUnits; ++u) units[unit_name(static_cast<UnitId>(u))] = c.unit_busy[u];
  j["unit_busy_cycles"] = units;
  json stall_totals = json::object();
  for (int s = 0; s < kNumStalls; ++s)
    stall_totals[stall_name(static_cast<Stall>(s))] = c.stall_total(static_cast<Stall>(s));
  j["stalls"] = stall_totals;
  json lj = json::array();
  for (const auto& l : layers)
    lj.push_back({{"name", l.name},
                  {"op", l.op},
                  {"code", {l.first, l.end}},
                  {"macs", l.macs},
                  {"start_cycle", l.start_cycle},
                  {"end_cycle", l.end_cycle},
                  {"cycles", l.cycles()},
                  {"compute_busy_cycles", l.compute_busy},
                  {"mac_utilisation", mac_utilisation(l.macs, l.cycles(), mac_rows, mac_cols)}});
  j["layers"] = lj;
  json ij = json::array();
  for (const auto& r : c.instrs) {
    json stalls = json::object();
    for (int s = 0; s < kNumStalls; ++s)
      if (r.stall[s]) stalls[stall_name(static_cast<Stall>(s))] = r.stall[s];
    ij.push_back({{"index", r.index},
                  {"opcode", isa::name(r.op)},
                  {"queue", isa::name(r.queue)},
                  {"dispatch", r.dispatch},
                  {"issue", r.issue},
                  {"start", r.start},
                  {"end", r.end},
                  {"stalls", stalls},
                  {"macs", r.macs},
                  {"ddr_bytes", r.ddr_bytes}});
  }
  j["instructions"] = ij;
  return j;
}

namespace {

// Track (thread id) of an instruction in the trace: engines for DMA, units for compute.
int track_of(const InstrRecord& r) {
  using isa::Opcode;
  switch (r.op) {
    case Opcode::LOAD:
      return 1;
    case Opcode::STORE:
      return 6;
    case Opcode::CONV:
      return 2;
    case Opcode::REQUANT:
      return 3;
    case Opcode::NOP:
    case Opcode::FINISH:
      return 5;
    default:
      return 4;
  }
}

}  // namespace

nlohmann::json trace_json(const PerfCounters& c, std::span<const isa::Instruction> code,
                          int64_t clock_mhz) {
  using nlohmann::json;
  const double us = 1.0 / static_cast<double>(clock_mhz);  // microseconds per cycle
  json events = json::array();
  const char* const kTracks[] = {"",
                                 "load (DMA)",
                                 "compute: mac_array",
                                 "compute: requantizer",
                                 "compute: vector",
                                 "compute: control",
                                 "store (DMA)"};
  events.push_back(
      {{"ph", "M"}, {"pid", 0}, {"name", "process_name"}, {"args", {{"name", "bpu"}}}});
  for (int t = 1; t <= 6; ++t) {
    events.push_back({{"ph", "M"},
                      {"pid", 0},
                      {"tid", t},
                      {"name", "thread_name"},
                      {"args", {{"name", kTracks[t]}}}});
    events.push_back({{"ph", "M"},
                      {"pid", 0},
                      {"tid", t},
                      {"name", "thread_sort_index"},
                      {"args", {{"sort_index", t}}}});
  }
  for (const auto& r : c.instrs) {
    const int tid = track_of(r);
    if (r.start > r.issue) {
      std::string why = "wait";
      for (int s = 0; s < kNumStalls; ++s)
        if (r.stall[s] && s != static_cast<int>(Stall::kQueueEmpty) &&
            s != static_cast<int>(Stall::kDdrBandwidth))
          why += std::string(" ") + stall_name(static_cast<Stall>(s));
      events.push_back({{"ph", "X"},
                        {"pid", 0},
                        {"tid", tid},
                        {"name", why},
                        {"cat", "stall"},
                        {"ts", r.issue * us},
                        {"dur", (r.start - r.issue) * us},
                        {"args", {{"index", r.index}}}});
    }
    json args = {{"index", r.index},       {"queue", isa::name(r.queue)},
                 {"dispatch", r.dispatch}, {"issue", r.issue},
                 {"start", r.start},       {"end", r.end}};
    if (r.index >= 0 && r.index < static_cast<int64_t>(code.size())) {
      const isa::Operands f = isa::operands(code[r.index]);
      for (isa::Field field : isa::def(r.op).operands())
        args[std::string(isa::name(field))] = f[field];
      for (isa::Field token : isa::kTokenFields)
        if (f[token]) args[std::string(isa::name(token))] = 1;
    }
    for (int s = 0; s < kNumStalls; ++s)
      if (r.stall[s]) args[std::string("stall_") + stall_name(static_cast<Stall>(s))] = r.stall[s];
    if (r.macs) args["macs"] = r.macs;
    if (r.ddr_bytes) args["ddr_bytes"] = r.ddr_bytes;
    events.push_back({{"ph", "X"},
                      {"pid", 0},
                      {"tid", tid},
                      {"name", isa::name(r.op)},
                      {"cat", "instruction"},
                      {"ts", r.start * us},
                      {"dur", (r.end - r.start) * us},
                      {"args", args}});
  }
  for (const auto& q : c.queue_log)
    events.push_back({{"ph", "C"},
                      {"pid", 0},
                      {"name", std::string("queue depth: ") + engine_name(q.queue)},
                      {"ts", q.cycle * us},
                      {"args", {{"depth", q.depth}}}});
  for (const auto& d : c.ddr_log)
    events.push_back({{"ph", "C"},
                      {"pid", 0},
                      {"name", "DDR bytes"},
                      {"ts", d.cycle * us},
                      {"args", {{"read", d.read_bytes}, {"written", d.write_bytes}}}});
  return {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
}

}  // namespace bpusim::runtime
