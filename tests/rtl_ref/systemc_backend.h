// The two SystemC backends of the co-simulation driver (tile_driver.h):
//   systemc       the SystemC model itself: each tile is one instruction on the Bpu (sim/bpu.h,
//                 through the runtime::Backend "systemc", sim/systemc_backend.h) — a MAC tile
//                 one CONV, a requantizer tile one REQUANT — so the MacArray / Requantizer
//                 modules compute the outputs and the instruction's duration gives the cycles.
//                 The model (like the RTL core) applies no output back pressure to its units:
//                 a tile with a ready pattern is an Error naming systemc-rule.
//   systemc-rule  the stall-domain rule of docs/timing.md "Rule 6/7 with back pressure"
//                 (sim::run_mac_tile, sim::run_requant_tile): the units' arithmetic functions,
//                 with timing::pipelined_tile_latency stepping the rule. No SystemC module runs.
#pragma once

#include <memory>

#include "common/hw_config.h"
#include "tests/rtl_ref/tile_driver.h"

namespace bpusim::tile {

std::unique_ptr<TileBackend> make_sim_tile_backend(const HwConfig& hw);
std::unique_ptr<TileBackend> make_sim_rule_tile_backend(const HwConfig& hw);

}  // namespace bpusim::tile
