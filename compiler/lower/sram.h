// Double-buffered SRAM areas. A layer reserves areas in the buffers it uses; an area exists
// in both halves of its buffer (slot 0 in the lower half, slot 1 in the upper half). Tiles
// are identified by keys; an area remembers which tile each slot holds, so a tile that is
// still resident is reused instead of reloaded, and a new tile goes to the least recently
// used slot. Whether that slot is still being read is not this class's business: the
// scheduler derives the waits from the memory accesses.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/hw_config.h"
#include "compiler/lower/footprint.h"

namespace bpusim::compiler {

using TileKey = std::array<int64_t, 5>;

// Which half of each buffer was used last, carried from layer to layer so that the first
// tile of a layer goes to the half the previous layer's last tile did not use.
struct SramState {
  std::array<int, 5> last_half{1, 1, 1, 1, 1};
};

class SramPlan {
 public:
  SramPlan(const HwConfig& hw, SramState& state) : hw_(hw), state_(state) {}
  // Reserves `bytes` (a slot) in buffer `buf`; returns the area id. The caller's tiler has
  // checked that the areas of each buffer fit in half of it (asserted).
  int add(Space buf, int64_t bytes);

  struct Slot {
    int64_t addr;  // byte address in the buffer
    bool hit;      // the tile was already there
  };
  // The slot holding `key` in `area`, claiming the least recently used one on a miss.
  Slot get(int area, const TileKey& key);
  // Bytes reserved in `buf` (both halves), for the report.
  int64_t used(Space buf) const;

 private:
  struct Area {
    Space buf;
    int64_t offset;
    int64_t bytes;
    std::array<TileKey, 2> keys;
    std::array<bool, 2> valid{false, false};
    int recent;  // slot used last
  };
  const HwConfig& hw_;
  SramState& state_;
  std::vector<Area> areas_;
  std::array<int64_t, 5> end_{};  // bytes reserved per half, per buffer
};

}  // namespace bpusim::compiler
