// Helpers shared by the co-simulation tests: the seed, random tiles, comparisons.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "rtl_ref/tiles/tile_driver.h"
#include "tests/support/test_seed.h"

namespace bpusim::tile::testing {

// The seed and the per-test generator (BPUSIM_SEED, fixed by default): tests/support.
using ::bpusim::testing::test_rng;
using ::bpusim::testing::test_seed;

// A hardware configuration with this array and requantizer geometry (other keys default).
HwConfig geometry(int64_t rows, int64_t cols, int64_t requant_depth);

// Random tiles covering the documented ranges; n in [1, max_vectors]. A quarter of them
// carry a random output ready pattern.
MacTile random_mac_tile(std::mt19937_64& rng, const HwConfig& hw, int64_t max_vectors);
RequantTile random_requant_tile(std::mt19937_64& rng, const HwConfig& hw, int64_t max_vectors);
// A random ready pattern of 1..max_len cycles, each ready with probability p (at least one).
ReadyPattern random_ready(std::mt19937_64& rng, int max_len, double p);

// One record that passes validation: full output range, no activation; stage-2 fields set
// to an identity add (a + 0) when has_add.
ir::RequantChannel plain_channel(ir::Stage1Mode mode, DType out);

// "vector i, lane l: got X, want Y" for the first difference, or "" when equal.
std::string first_difference(const std::vector<int32_t>& got, const std::vector<int32_t>& want,
                             int64_t width);

// A short description of a tile for failure messages.
std::string describe(const MacTile& t, const HwConfig& hw);
std::string describe(const RequantTile& t, const HwConfig& hw);

}  // namespace bpusim::tile::testing
