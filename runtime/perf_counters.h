// Performance counters of one run (a BPU segment) and of a whole program: per-unit busy
// cycles, one record per instruction (dispatch, issue, start, end, stalls by reason), stall
// totals by reason, MACs, DDR traffic, and the event logs behind the trace's counter tracks
// (queue depths, DDR bytes). All cycles are counted from the start of the run; Profile::append
// shifts a run's records to the program's time line.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "isa/isa.h"

namespace bpusim::runtime {

enum class Stall : uint8_t {
  kTokenWait,     // the instruction waited for a dependency token
  kQueueEmpty,    // the engine waited for the controller to dispatch an instruction
  kQueueFull,     // the controller waited for room in a full instruction queue
  kDdrBandwidth,  // a DMA transfer took longer than alone because the port was shared
  kBankConflict,  // an SRAM bank was busy (rule 9 within an instruction, rule 10 between units)
};
inline constexpr int kNumStalls = 5;
const char* stall_name(Stall s);  // "token_wait", ...

// The engines that stall: fetch (the controller) and the three queues.
enum class Engine : uint8_t { kLoad = 0, kCompute = 1, kStore = 2, kFetch = 3 };
inline constexpr int kNumEngines = 4;
const char* engine_name(Engine e);  // "load", "compute", "store", "fetch"
inline Engine engine_of(isa::Queue q) {
  return static_cast<Engine>(q);
}

// Functional units with busy-cycle counters.
enum class UnitId : uint8_t { kDdr, kMac, kRequant, kVector, kControl };
inline constexpr int kNumUnits = 5;
const char* unit_name(UnitId u);  // "ddr", "mac_array", "requantizer", "vector", "control"

struct InstrRecord {
  int64_t index = 0;
  isa::Opcode op = isa::Opcode::NOP;
  isa::Queue queue = isa::Queue::kCompute;
  int64_t dispatch = 0;  // entered its queue
  int64_t issue = 0;     // taken by its engine
  int64_t start = 0;     // tokens and banks acquired: the unit starts
  int64_t end = 0;       // done: tokens pushed
  std::array<int64_t, kNumStalls> stall{};
  int64_t macs = 0;
  int64_t ddr_bytes = 0;  // payload bytes moved to/from DDR
};

struct QueueSample {
  int64_t cycle;
  Engine queue;
  int64_t depth;
};
struct DdrSample {
  int64_t cycle;
  int64_t read_bytes;  // cumulative payload bytes
  int64_t write_bytes;
};

struct PerfCounters {
  int64_t cycles = 0;
  std::vector<InstrRecord> instrs;  // in completion order
  std::array<std::array<int64_t, kNumStalls>, kNumEngines> stalls{};
  std::array<int64_t, kNumEngines> engine_busy{};
  std::array<int64_t, kNumUnits> unit_busy{};
  int64_t macs = 0;
  int64_t ddr_read_bytes = 0;
  int64_t ddr_write_bytes = 0;
  int64_t ddr_bus_bytes = 0;
  std::vector<QueueSample> queue_log;
  std::vector<DdrSample> ddr_log;

  int64_t stall_total(Stall s) const;
  // Adds `other` shifted by `offset` cycles (the program's time line).
  void append(const PerfCounters& other, int64_t offset);
};

// Cycles of one model layer (LAYERS section): the span from its first instruction's start to
// its last instruction's end, and its compute-unit busy cycles.
struct LayerCycles {
  std::string name;
  std::string op;
  int64_t first = 0, end = 0;  // instruction range [first, end)
  int64_t macs = 0;            // from LAYERS
  int64_t start_cycle = 0, end_cycle = 0;
  int64_t compute_busy = 0;
  int64_t cycles() const { return end_cycle - start_cycle; }
};

// MAC utilisation: MACs / (rows * cols * cycles); 0 when cycles is 0.
double mac_utilisation(int64_t macs, int64_t cycles, int64_t rows, int64_t cols);

// Every counter as JSON (the --report file); `layers` may be empty.
nlohmann::json report_json(const PerfCounters& c, const std::vector<LayerCycles>& layers,
                           int64_t mac_rows, int64_t mac_cols, int64_t clock_mhz);
// Chrome/Perfetto trace-event JSON: a track per engine and unit, a slice per instruction with
// its fields as args, counter tracks for queue depths and DDR bytes. Timestamps are cycles
// shown as microseconds divided by clock_mhz (i.e. real time at the configured clock).
// `code` is the program's CODE (slice args show each instruction's assembler text).
nlohmann::json trace_json(const PerfCounters& c, std::span<const isa::Instruction> code,
                          int64_t clock_mhz);

}  // namespace bpusim::runtime
