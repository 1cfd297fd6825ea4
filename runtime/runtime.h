// The runtime: executes a whole `.bpu` Program (isa/container.h) on a backend (backend.h: the
// SystemC model, the verilated RTL core):
//   1. checks the program's hardware-config hash against the effective configuration and
//      applies that configuration to the backend (clearing every memory);
//   2. builds the DDR image: WEIGHTS and PARAMS at their DDR bases;
//   3. writes each input tensor to its TENSORS address (a float32 array given for a quantized
//      input is quantized with the descriptor's scale/zp, method div);
//   4. runs the SEGMENTS in order — BPU segments on the backend, host segments on the float
//      executor (host_ops.h); no SEGMENTS means one BPU segment over all of CODE;
//   5. reads every output tensor: dequantized to float32 when its descriptor has a scale
//      (per tensor or per axis), widened to int64 when its ir_dtype says so (ArgMax indices
//      stored as int32), else as stored;
//   6. returns outputs, counters on the program's time line (host segments take no cycles),
//      per-layer cycles (LAYERS) and the first modeled fault, which stops the program.
// The program's sections are the typed structs of isa/program_contract.h, validated when the
// file was read (isa::read_program); run_program checks again what holds across them (code
// ranges inside CODE, isa::check_program) for programs built in memory.
// User errors (bad inputs, code ranges, hash mismatch) throw bpusim::Error; a modeled fault is
// a result.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "isa/container.h"
#include "runtime/backend.h"
#include "runtime/fault.h"
#include "runtime/host_ops.h"
#include "runtime/perf_counters.h"

namespace bpusim::runtime {

struct RunOptions {
  HwConfig hw;                     // the effective configuration
  bool check_hash = true;          // refuse a program compiled for another configuration
  std::string waveform_path;       // the backend's waveform (VCD/FST; "" = none)
  std::string source = "program";  // the program's name in messages
  // Also return every non-constant TENSORS entry's DDR contents after the run (layer-by-layer
  // comparison, bpusim verify), except the entries marked `overwritten`: a program compiled
  // with DDR reuse put later tensors on their bytes, which no longer hold them. Compile with
  // CompileOptions::ddr_reuse = false to keep them all.
  bool keep_tensors = false;
};

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct ProgramResult {
  std::vector<NamedTensor> outputs;  // role "output", in TENSORS order
  PerfCounters counters;
  std::vector<LayerCycles> layers;
  std::optional<Fault> fault;
  int64_t cycles = 0;
  // keep_tensors only (also after a fault): every TENSORS entry but the constants and the
  // overwritten ones, as stored (element type in DDR, not dequantized) in its logical shape,
  // in TENSORS order.
  std::vector<NamedTensor> tensors;

  const Tensor& output(const std::string& name) const;
};

// Error naming both hashes (and the keys that differ when the program carries HWCONFIG)
// unless the program was compiled for `hw`.
void check_hw_hash(const isa::Program& p, const HwConfig& hw, const std::string& source);

// Runs `p` on `backend` (configured with options.hw first).
ProgramResult run_program(const isa::Program& p, const std::map<std::string, Tensor>& inputs,
                          const RunOptions& options, Backend& backend);

}  // namespace bpusim::runtime
