// The hardware a program runs on, as the runtime (runtime.h) sees it: one small interface that
// each implementation of the BPU provides — the SystemC model (sim::SystemcBackend) and the
// verilated RTL core. runtime/ knows no implementation; tools/cli/backends.h picks one by name.
//
// Contract:
// - configure(hw) applies a (validated) hardware configuration and clears every SRAM and the
//   DDR image (ddr() is then hw.ddr_size_bytes zero bytes). It throws bpusim::Error when the
//   backend cannot model `hw` (a configuration outside what it was built for); nothing else
//   changes the configuration.
// - ddr() is the DDR image of the last configure(). The runtime writes inputs and constants
//   there before a segment and reads results after it; SRAM and DDR contents persist across
//   run() calls (the segments of one program) until the next configure().
// - run(code, first, end) executes code[first, end) as one BPU segment: fetch starts at
//   `first` and stops after FINISH or at `end`. It returns when the segment is over: every
//   instruction fetched has ended, or the hardware reported a modeled fault. `cycles` runs
//   from the first fetch to the last instruction's end (or the fault); the counters and the
//   fault's cycle are counted from the start of the segment. The next run() starts clean
//   (no instruction, token or stall carried over), also after a fault.
// - Errors and faults: a modeled fault (an illegal access, an operand the units cannot
//   execute, a deadlock) is a RESULT in SegmentResult::fault, never an exception. An exception
//   (bpusim::Error, or anything else) means the backend itself could not run — a bug, a
//   missing resource — and the state of the hardware is then undefined until configure().
// - open_waveform(path) records the hardware's signals to `path` (VCD or FST, as the backend
//   writes) for every run() from now on, until close_waveform(); close_waveform() without an
//   open waveform does nothing. It throws when the file cannot be created.
// One backend object is used from one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/hw_config.h"
#include "isa/isa.h"
#include "runtime/ddr.h"
#include "runtime/fault.h"
#include "runtime/perf_counters.h"

namespace bpusim::runtime {

struct SegmentResult {
  int64_t cycles = 0;  // from the first fetch to the last instruction's end (or the fault)
  std::optional<Fault> fault;
  PerfCounters counters;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;            // "systemc", "rtl"
  virtual void configure(const HwConfig& hw) = 0;  // applies hw, clears SRAMs and DDR
  virtual Ddr& ddr() = 0;                          // the DDR image (persists across segments)
  // The contents of on-chip buffer `buf` (0 FEATURE .. 4 PARAM, the ISA's numbering), sized
  // by the configuration: for tests and debugging tools that place or inspect tiles directly.
  virtual std::span<uint8_t> sram(int buf) = 0;
  // One BPU segment: code[first, end).
  virtual SegmentResult run(std::span<const isa::Instruction> code, int64_t first, int64_t end) = 0;
  virtual void open_waveform(const std::string& path) = 0;  // VCD/FST from now on
  virtual void close_waveform() = 0;
};

}  // namespace bpusim::runtime
