// The timing contract of docs/microarch.md as an executable reference: the cycle count of
// a sequence of tile operations through one unit, for any output ready pattern. Tests
// compare every timed backend with it, so the RTL and the SystemC model agree with each
// other by agreeing with this. Part of bpusim::tiles (tile_driver.h); pure functions of their
// arguments, no simulation.
#pragma once

#include <cstdint>
#include <vector>

#include "common/hw_config.h"
#include "rtl_ref/tiles/tile_driver.h"

namespace bpusim::tile::timing {

// What distinguishes the two units' timing.
struct UnitTiming {
  int64_t load_beats = 0;             // weight rows / parameter records per tile
  int64_t depth = 0;                  // pipeline stages from input transfer to output valid
  bool load_waits_for_drain = false;  // requantizer: records load into an empty pipeline
};

// MAC array: R beats, depth ceil(log2 C) + 2, the next load overlaps the drain.
UnitTiming mac_array(const HwConfig& hw);
// Requantizer: mac.rows beats, depth requant.pipeline_depth, the next load waits.
UnitTiming requant(const HwConfig& hw);

// The reference loop of docs/microarch.md: first cycle the last tile's last output is
// valid, minus the cycle the first beat was accepted. vectors[k] >= 1 for every tile.
int64_t cycles(const UnitTiming& u, const std::vector<int64_t>& vectors, const ReadyPattern& ready);
// The closed forms for an always-ready output:
//   MAC:          sum_k (R + N_k) - 1 + D
//   requantizer:  sum_k (R + N_k + D) - 1
int64_t cycles_without_back_pressure(const UnitTiming& u, const std::vector<int64_t>& vectors);

}  // namespace bpusim::tile::timing
