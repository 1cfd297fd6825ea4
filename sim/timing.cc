#include "sim/timing.h"

#include <algorithm>

namespace bpusim::sim::timing {

using isa::Opcode;
using isa::Operands;

int64_t ceil_log2(int64_t n) {
  int64_t bits = 0;
  while ((int64_t{1} << bits) < n) ++bits;
  return bits;
}

namespace {

// Bursts covering [addr, addr + n0).
int64_t run_bursts(uint64_t addr, int64_t n0, int64_t burst) {
  return ceil_div(static_cast<int64_t>(addr % burst) + n0, burst);
}

}  // namespace

int64_t dma_bus_bytes(const Operands& f, int64_t burst) {
  if (f.n0 == 0 || f.n1 == 0 || f.n2 == 0) return 0;
  const uint64_t base = static_cast<uint64_t>(f.dram_addr);
  const uint64_t s1 = static_cast<uint64_t>(f.dram_stride1);
  const uint64_t s2 = static_cast<uint64_t>(f.dram_stride2);
  int64_t bursts = 0;
  if (s1 % burst == 0 && s2 % burst == 0) {
    // Every run starts at the same offset within a burst.
    bursts = f.n1 * f.n2 * run_bursts(base, f.n0, burst);
  } else {
    for (int64_t i2 = 0; i2 < f.n2; ++i2) {
      const uint64_t plane = base + i2 * s2;
      if (s1 % burst == 0) {
        bursts += f.n1 * run_bursts(plane, f.n0, burst);
      } else {
        for (int64_t i1 = 0; i1 < f.n1; ++i1) bursts += run_bursts(plane + i1 * s1, f.n0, burst);
      }
    }
  }
  return bursts * burst;
}

int64_t dma_cycles_alone(int64_t bus_bytes, const HwConfig& hw) {
  if (bus_bytes == 0) return 1;
  return hw.ddr_latency_cycles + ceil_div(bus_bytes, hw.ddr_bytes_per_cycle);
}

int64_t mac_depth(const HwConfig& hw) {
  return ceil_log2(hw.mac_cols) + 2;
}

int64_t conv_depth(const Operands& f, const HwConfig& hw) {
  const int64_t used =
      f.depthwise ? std::min(conv_block(f, hw), f.out_c) : std::min(hw.mac_cols, f.in_c);
  return ceil_log2(std::max<int64_t>(used, 1)) + 2;
}

int64_t conv_block(const Operands& f, const HwConfig& hw) {
  return f.depthwise ? std::min(hw.mac_rows, hw.mac_cols) : hw.mac_rows;
}

int64_t conv_passes(const Operands& f, const HwConfig& hw) {
  const int64_t taps = f.k_h * f.k_w;
  if (f.depthwise) return ceil_div(f.out_c, conv_block(f, hw)) * taps;
  return ceil_div(f.out_c, hw.mac_rows) * ceil_div(f.in_c, hw.mac_cols) * taps;
}

int64_t conv_cycles(const Operands& f, const HwConfig& hw) {
  const int64_t passes = conv_passes(f, hw);
  const int64_t vectors = f.out_h * f.out_w;
  if (passes == 0 || vectors == 0) return 1;
  // Pass k loads R_k weight beats (the output channels it computes) while pass k-1 streams
  // its N vectors (double-buffered weights): the first load is exposed, then each pass takes
  // max(N, R_k) until the last one's N vectors. Passes run output block by output block,
  // each block for every (input-channel block, tap) pair.
  const int64_t block = conv_block(f, hw);
  const int64_t blocks = ceil_div(f.out_c, block);
  const int64_t pairs = passes / blocks;
  const int64_t first_rows = std::min(block, f.out_c);
  const int64_t last_rows = f.out_c - (blocks - 1) * block;
  const int64_t sum =
      pairs * ((blocks - 1) * std::max(vectors, block) + std::max(vectors, last_rows));
  return first_rows + sum - std::max(vectors, first_rows) + vectors + conv_depth(f, hw);
}

int64_t conv_macs(const Operands& f) {
  return f.out_h * f.out_w * f.out_c * f.k_h * f.k_w * (f.depthwise ? 1 : f.in_c);
}

int64_t mac_tile_latency(int64_t vectors, const HwConfig& hw) {
  return hw.mac_rows + vectors - 1 + mac_depth(hw);
}

int64_t pipelined_tile_latency(int64_t load_beats, int64_t vectors, int64_t depth,
                               const std::vector<uint8_t>& ready) {
  // stage[0] holds the vector that entered last, stage[depth - 1] the output register;
  // -1 is a bubble.
  std::vector<int64_t> stage(static_cast<size_t>(depth), -1);
  int64_t loaded = 0, sent = 0;
  for (int64_t t = 0;; ++t) {
    const bool out_valid = stage.back() >= 0;
    if (out_valid && stage.back() == vectors - 1) return t;  // the first beat is in cycle 0
    const bool out_ready = ready.empty() || ready[static_cast<size_t>(t) % ready.size()] != 0;
    const bool en = !out_valid || out_ready;
    const bool in_fire = loaded == load_beats && sent < vectors && en;
    if (en) {
      for (size_t i = stage.size() - 1; i > 0; --i) stage[i] = stage[i - 1];
      stage[0] = in_fire ? sent : -1;
    }
    if (loaded < load_beats) ++loaded;
    if (in_fire) ++sent;
  }
}

int64_t requant_cycles(const Operands& f, const HwConfig& hw) {
  const int64_t lanes = hw.mac_rows;
  const int64_t tiles = ceil_div(f.n_ch, lanes);
  if (tiles == 0 || f.n_pix == 0) return 1;
  // One record beat per channel (a tile loads only its own channels' records).
  return f.n_ch + tiles * (f.n_pix + hw.requant_pipeline_depth);
}

int64_t requant_tile_latency(int64_t vectors, const HwConfig& hw) {
  return hw.mac_rows + vectors - 1 + hw.requant_pipeline_depth;
}

VectorCost vector_cost(Opcode op, const Operands& f, const HwConfig& hw) {
  const int64_t lanes = hw.vector_lanes;
  const int64_t depth = hw.requant_pipeline_depth;
  switch (op) {
    case Opcode::VADD:
    case Opcode::VREQ:
    case Opcode::VMUL:
      return {ceil_div(f.n, lanes), 1 + depth};  // one parameter beat, then the pipeline
    case Opcode::POOL: {
      const int64_t groups = ceil_div(f.c, lanes);
      const int64_t taps = f.kind == 2 ? f.in_h * f.in_w : f.k_h * f.k_w;
      const int64_t outputs = f.kind == 2 ? 1 : f.out_h * f.out_w;
      return {outputs * groups * taps, f.kind == 0 ? 1 : 1 + depth};
    }
    case Opcode::ARGMAX:
      return {f.n * ceil_div(f.c, lanes), 1};
    case Opcode::COPY:
      return {ceil_div(f.n, lanes), 1};
    case Opcode::VFADD:  // two parameter beats, then the float pipeline
      return {ceil_div(f.n, lanes), 2 + depth};
    case Opcode::VBLEND:  // one tap vector per beat (four per lane group), then the pipeline
      return {4 * ceil_div(f.n, lanes), 1 + depth};
    case Opcode::VLUT:  // four table beats (64 PARAM bytes each), then one result register
      return {ceil_div(f.n, lanes), 4 + 1};
    default:
      return {0, 1};
  }
}

}  // namespace bpusim::sim::timing
