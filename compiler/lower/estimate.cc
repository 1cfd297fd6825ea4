#include "compiler/lower/estimate.h"

#include <algorithm>

#include "compiler/lower/footprint.h"

namespace bpusim::compiler {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

int64_t estimate_cycles(const isa::Operands& o, const HwConfig& hw) {
  const int64_t depth = hw.requant_pipeline_depth;
  const int64_t lanes = hw.vector_lanes;
  switch (static_cast<isa::Opcode>(o.opcode)) {
    case isa::Opcode::NOP:
    case isa::Opcode::FINISH:
      return 1;
    case isa::Opcode::LOAD:
    case isa::Opcode::STORE: {
      const int64_t run = ceil_div(o.n0, hw.ddr_burst_bytes) * hw.ddr_burst_bytes;
      return hw.ddr_latency_cycles + ceil_div(o.n1 * o.n2 * run, hw.ddr_bytes_per_cycle);
    }
    case isa::Opcode::CONV: {
      const int64_t taps = o.out_h * o.out_w * o.k_h * o.k_w;
      const int64_t passes = o.depthwise
                                 ? ceil_div(o.out_c, hw.mac_rows)
                                 : ceil_div(o.in_c, hw.mac_cols) * ceil_div(o.out_c, hw.mac_rows);
      return taps * passes + hw.mac_rows + hw.mac_cols;
    }
    case isa::Opcode::REQUANT:
      return o.n_pix * ceil_div(o.n_ch, hw.mac_rows) + depth;
    case isa::Opcode::VADD:
    case isa::Opcode::VREQ:
    case isa::Opcode::VMUL:
    case isa::Opcode::COPY:
      return ceil_div(o.n, lanes) + depth;
    case isa::Opcode::VLUT:
      return ceil_div(o.n, lanes) + 4 + 1;
    case isa::Opcode::VBLEND:
      return 4 * ceil_div(o.n, lanes) + depth;
    case isa::Opcode::VFADD:
      return ceil_div(o.n, lanes) + 1 + depth;
    case isa::Opcode::POOL:
      if (o.kind == 2) return o.in_h * o.in_w * ceil_div(o.c, lanes) + depth;
      return o.out_h * o.out_w * o.k_h * o.k_w * ceil_div(o.c, lanes) + depth;
    case isa::Opcode::ARGMAX:
      return o.n * ceil_div(o.c, lanes) + depth;
  }
  return 1;
}

int64_t estimate_layer_cycles(std::span<const isa::Operands> code, const HwConfig& hw) {
  int64_t dma = 0, compute = 0, first_load = 0, last_store = 0;
  for (const isa::Operands& o : code) {
    const int64_t c = estimate_cycles(o, hw);
    const isa::Queue q = queue_of(o);
    if (q == isa::Queue::kCompute) {
      compute += c;
      continue;
    }
    dma += c;
    if (q == isa::Queue::kLoad && first_load == 0) first_load = c;
    if (q == isa::Queue::kStore) last_store = c;
  }
  return std::max(dma, compute) + first_load + last_store;
}

}  // namespace bpusim::compiler
