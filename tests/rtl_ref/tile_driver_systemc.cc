// The SystemC backend slots: the SystemC model and the stall-domain rule, implemented in
// systemc_backend.cc.
#include "tests/rtl_ref/systemc_backend.h"
#include "tests/rtl_ref/tile_driver.h"

namespace bpusim::tile {

std::unique_ptr<TileBackend> make_systemc_backend(const HwConfig& hw) {
  return make_sim_tile_backend(hw);
}

std::unique_ptr<TileBackend> make_systemc_rule_backend(const HwConfig& hw) {
  return make_sim_rule_tile_backend(hw);
}

}  // namespace bpusim::tile
