// The runtime: executes a whole `.bpu` Program (isa/container.h) on the SystemC model.
//   1. checks the program's hardware-config hash against the effective configuration and
//      applies that configuration to the model (clearing every memory);
//   2. builds the DDR image: WEIGHTS and PARAMS at their DDR bases;
//   3. writes each input tensor to its TENSORS address (a float32 array given for a quantized
//      input is quantized with the descriptor's scale/zp, method div);
//   4. runs the SEGMENTS in order — BPU segments on the model, host segments on the float
//      executor (host_ops.h); no SEGMENTS section means one BPU segment over all of CODE;
//   5. reads every output tensor: dequantized to float32 when its descriptor has a scale
//      (per tensor or per axis), widened to int64 when its ir_dtype says so (ArgMax indices
//      stored as int32), else as stored;
//   6. returns outputs, counters on the program's time line (host segments take no cycles),
//      per-layer cycles (LAYERS) and the first modeled fault, which stops the program.
// User errors (bad inputs, bad JSON sections, hash mismatch) throw bpusim::Error; a modeled
// fault is a result.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "isa/container.h"
#include "sim/fault.h"
#include "sim/host_ops.h"
#include "sim/perf_counters.h"

namespace bpusim::sim {

struct RunOptions {
  HwConfig hw;                     // the effective configuration
  bool check_hash = true;          // refuse a program compiled for another configuration
  std::string vcd_path;            // unit activity as VCD ("" = none)
  std::string source = "program";  // the program's name in messages
  // Also return every non-constant TENSORS entry's DDR contents after the run (layer-by-layer
  // comparison, bpusim verify).
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
  // keep_tensors only (also after a fault): every TENSORS entry but the constants, as stored
  // (element type in DDR, not dequantized) in its logical shape, in TENSORS order.
  std::vector<NamedTensor> tensors;

  const Tensor& output(const std::string& name) const;
};

// Error naming both hashes (and the keys that differ when the program carries HWCONFIG)
// unless the program was compiled for `hw`.
void check_hw_hash(const isa::Program& p, const HwConfig& hw, const std::string& source);

ProgramResult run_program(const isa::Program& p, const std::map<std::string, Tensor>& inputs,
                          const RunOptions& options);

}  // namespace bpusim::sim
