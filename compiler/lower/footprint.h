// The memory an instruction touches, derived from its fields alone (the semantics of
// docs/isa.md). The scheduler derives dependency tokens from it and the schedule checker
// verifies programs with it, so "which bytes does this instruction read or write" is
// answered in exactly one place.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/hw_config.h"
#include "isa/isa.h"

namespace bpusim::compiler {

// The five on-chip buffers, numbered like the ISA's `buf` field, and DDR.
enum class Space : uint8_t {
  kFeature = 0,
  kWeight = 1,
  kAcc = 2,
  kOutput = 3,
  kParam = 4,
  kDdr = 5
};
inline constexpr int kNumSpaces = 6;
std::string_view space_name(Space s);  // "FEATURE", ..., "DDR"
// Capacity of `s` in bytes under `hw`.
int64_t space_bytes(Space s, const HwConfig& hw);
// Banks of `s` under `hw` (PARAM is one bank; DDR counts as one).
int64_t space_banks(Space s, const HwConfig& hw);

// One access: bytes [lo, hi) of `space`. DDR accesses of LOAD/STORE are strided; they are
// reported as the bounding byte range (conservative for dependencies).
struct Access {
  Space space;
  int64_t lo;
  int64_t hi;
  bool write;
};

// Every access of `op` (empty for NOP and FINISH, and for zero-sized transfers).
std::vector<Access> footprint(const isa::Operands& op);

// The DDR runs of a LOAD or STORE: for every (i2, i1), the n0 contiguous bytes at
// dram_addr + i2*dram_stride2 + i1*dram_stride1, in SRAM order.
struct DdrRun {
  int64_t addr;
  int64_t bytes;
};
std::vector<DdrRun> ddr_runs(const isa::Operands& op);

// The queue an opcode runs in.
isa::Queue queue_of(const isa::Operands& op);

}  // namespace bpusim::compiler
