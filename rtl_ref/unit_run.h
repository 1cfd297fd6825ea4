// Types shared by the wrappers of the verilated units (mac_array_rtl.h, requant_rtl.h).
#pragma once

#include <cstdint>
#include <vector>

namespace bpusim::rtl {

// Output back pressure of one operation: the unit's output ready in cycle t, counted from
// the operation's first cycle (t = 0), is pattern[t % pattern.size()] != 0. An empty
// pattern means always ready. A non-empty pattern must contain at least one 1.
using ReadyPattern = std::vector<uint8_t>;

// The result of tile operations driven back to back through a unit.
struct UnitRun {
  // Output vectors in order (tile by tile), each `width` int32 values (width = rows or
  // lanes).
  std::vector<int32_t> out;
  // The first cycle in which the last tile's last output is valid, minus the cycle of the
  // first beat the unit accepted (weights/parameters count as inputs). This is the number
  // docs/microarch.md's latency formulas give.
  int64_t cycles = 0;
};

}  // namespace bpusim::rtl
