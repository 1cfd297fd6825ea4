// The timing rules of the model, one function per numbered rule of docs/timing.md (the doc
// gives the same formulas in prose; tests/sim/test_timing.cc has one named test per rule).
// Pure functions of an instruction's operands and the hardware configuration: the SystemC
// modules call them to know how long an instruction keeps its unit busy, and the MAC-array and
// requantizer formulas are the ones docs/microarch.md specifies for the RTL, cycle for cycle.
#pragma once

#include <cstdint>
#include <vector>

#include "common/hw_config.h"
#include "isa/isa.h"

namespace bpusim::sim::timing {

inline int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
// ceil(log2(n)) for n >= 1.
int64_t ceil_log2(int64_t n);

// Rule 1 — fetch: the controller fetches, decodes and dispatches one instruction per cycle.
inline constexpr int64_t kFetchCycles = 1;

// Rule 2 — control instructions: NOP and FINISH occupy the compute unit for one cycle.
inline constexpr int64_t kControlCycles = 1;

// Rule 4 — DMA: bytes that cross the DDR bus for a LOAD/STORE. Every run of n0 bytes is
// rounded out to whole aligned bursts: ceil((addr % burst + n0) / burst) * burst per run.
int64_t dma_bus_bytes(const isa::Operands& f, int64_t burst_bytes);
// A transfer alone on the port: ddr.latency_cycles + ceil(bus_bytes / ddr.bytes_per_cycle);
// 1 cycle when it moves nothing.
int64_t dma_cycles_alone(int64_t bus_bytes, const HwConfig& hw);

// Rule 5 — the DDR port shared by LOAD and STORE, in half-bytes per cycle (the whole port is
// 2 * ddr.bytes_per_cycle): first come, first served. A transfer moves at the full rate unless
// the other one arrived (started) before it and still moves data; then it waits for it.
inline int64_t ddr_rate(bool other_ahead, int64_t bytes_per_cycle) {
  return other_ahead ? 0 : 2 * bytes_per_cycle;
}
// Whether an instruction is a LOAD or STORE that moves data, and so takes its turn in the DMA
// order and on the DDR port (rule 5). The one definition: the controller's order, the engines'
// claims and the cost model use it.
inline bool dma_moves_data(const isa::Operands& f) {
  const auto op = static_cast<isa::Opcode>(f.opcode);
  return (op == isa::Opcode::LOAD || op == isa::Opcode::STORE) && f.n0 != 0 && f.n1 != 0 &&
         f.n2 != 0;
}
// Whole cycles until `remaining` half-bytes have moved at `rate` > 0 (0 when none remain):
// the port is granted in whole cycles.
inline int64_t ddr_cycles_left(int64_t remaining, int64_t rate) {
  return remaining <= 0 ? 0 : ceil_div(remaining, rate);
}

// Rule 6 — MAC array (weight-stationary, docs/microarch.md).
// Pipeline depth from an accepted input vector to its output: ceil(log2(cols)) + 2.
int64_t mac_depth(const HwConfig& hw);
// Output channels per pass: mac.rows, or min(rows, cols) on the diagonal for a depthwise CONV.
int64_t conv_block(const isa::Operands& f, const HwConfig& hw);
// A CONV's pipeline depth: the adder tree is tapped after the levels its columns need —
// ceil(log2(min(cols, in_c))) (depthwise: of min(block, out_c), the diagonal) — plus the
// product and accumulate stages. mac_depth(hw) when every column carries data.
int64_t conv_depth(const isa::Operands& f, const HwConfig& hw);
// Array passes of a CONV: one pass per (block of output channels, column block of input
// channels, kernel tap).
int64_t conv_passes(const isa::Operands& f, const HwConfig& hw);
// Pass k loads R_k weight beats, one per output channel it computes (the block, or what is
// left of out_c in the last block), into the array's shadow weights while pass k-1 streams
// its N = out_h*out_w input vectors:
//   R_1 + sum over k >= 2 of max(N, R_k) + N + conv_depth.
int64_t conv_cycles(const isa::Operands& f, const HwConfig& hw);
// Multiply-accumulates a CONV performs (padding taps included): the utilisation numerator.
int64_t conv_macs(const isa::Operands& f);
// One array tile as the RTL co-simulation counts it (first weight beat accepted to last output
// valid, output always ready): rows + vectors - 1 + depth.
int64_t mac_tile_latency(int64_t vectors, const HwConfig& hw);

// One pipelined tile with output back pressure, as docs/microarch.md defines it for the MAC
// array and the requantizer (one stall domain, en = !out_valid || out_ready): `load_beats`
// weight/record beats (one per cycle), then `vectors` inputs (one per enabled cycle), depth
// `depth`; output ready in cycle t is ready[t % size] (always when empty; it must contain a
// 1). Returns the cycle of the last output valid minus the cycle of the first beat.
int64_t pipelined_tile_latency(int64_t load_beats, int64_t vectors, int64_t depth,
                               const std::vector<uint8_t>& ready);

// Rule 7 — requantizer pipeline (lanes = mac.rows, depth = requant.pipeline_depth).
// A tile of up to `lanes` channels loads its channels' parameter records (one per cycle),
// streams n_pix vectors and drains before the next tile loads:
//   n_ch + ceil(n_ch / lanes) * (n_pix + depth).
int64_t requant_cycles(const isa::Operands& f, const HwConfig& hw);
// One requantizer tile as the RTL co-simulation counts it: lanes + vectors - 1 + depth.
int64_t requant_tile_latency(int64_t vectors, const HwConfig& hw);

// Rule 8 — vector unit: vector.lanes elements per beat, plus a fill/drain latency (the
// requantizer arithmetic depth for VADD, VREQ and average pooling, one cycle otherwise).
struct VectorCost {
  int64_t beats = 0;    // streaming beats (the part a bank conflict doubles)
  int64_t latency = 0;  // pipeline fill/drain
  int64_t cycles() const { return beats + latency; }
};
VectorCost vector_cost(isa::Opcode op, const isa::Operands& f, const HwConfig& hw);

// Rule 9 — intra-instruction bank conflict: an instruction that streams two operands through
// the same single-ported bank needs two accesses per beat, so its streaming beats double.
inline constexpr int64_t kConflictFactor = 2;

}  // namespace bpusim::sim::timing
