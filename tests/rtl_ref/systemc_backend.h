// The SystemC backend of the co-simulation driver (tile_driver.h): one MAC-array tile or one
// requantizer tile through sim/'s units (sim/mac_array.h run_mac_tile, sim/requantizer.h
// run_requant_tile), with their outputs and the cycle count of docs/microarch.md.
#pragma once

#include <memory>

#include "common/hw_config.h"
#include "tests/rtl_ref/tile_driver.h"

namespace bpusim::tile {

std::unique_ptr<TileBackend> make_sim_tile_backend(const HwConfig& hw);

}  // namespace bpusim::tile
