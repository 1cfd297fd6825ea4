// A deliberately simple cycle estimate, for the compile-time table and for choosing between
// tilings (the SystemC model gives real timings). Rules (docs/compiler.md, "Cycle estimate"):
//   LOAD/STORE  ddr.latency_cycles + ceil(n1*n2*roundup(n0, ddr.burst_bytes) / ddr.bytes_per_cycle)
//   CONV        out_h*out_w*k_h*k_w*ceil(in_c/mac.cols)*ceil(out_c/mac.rows) + mac.rows + mac.cols
//               (depthwise: out_h*out_w*k_h*k_w*ceil(c/mac.rows) + mac.rows + mac.cols)
//   REQUANT     n_pix*ceil(n_ch/mac.rows) + requant.pipeline_depth
//   VADD/VREQ/COPY  ceil(n/vector.lanes) + requant.pipeline_depth
//   POOL        out_h*out_w*k_h*k_w*ceil(c/vector.lanes) (global: in_h*in_w*ceil(c/lanes)) + depth
//   ARGMAX      n*ceil(c/vector.lanes) + requant.pipeline_depth
//   NOP/FINISH  1
// A layer runs its three queues concurrently, so its estimate is
//   max(sum of LOAD+STORE cycles (one shared DDR port), sum of COMPUTE cycles)
//   + the first LOAD + the last STORE (pipeline fill and drain).
#pragma once

#include <cstdint>
#include <span>

#include "common/hw_config.h"
#include "isa/isa.h"

namespace bpusim::compiler {

int64_t estimate_cycles(const isa::Operands& op, const HwConfig& hw);
// The layer rule above over a contiguous run of instructions.
int64_t estimate_layer_cycles(std::span<const isa::Operands> code, const HwConfig& hw);

}  // namespace bpusim::compiler
