#include "compiler/lower/sram.h"

#include "common/error.h"
#include "compiler/lower/tiling.h"

namespace bpusim::compiler {

int SramPlan::add(Space buf, int64_t bytes) {
  const size_t b = static_cast<size_t>(buf);
  const int64_t offset = end_[b];
  end_[b] = offset + align_up(bytes);
  check_invariant(end_[b] <= half_bytes(buf, hw_), space_name(buf), " areas need ", end_[b],
                  " bytes, a half holds ", half_bytes(buf, hw_));
  areas_.push_back({buf, offset, bytes, {}, {false, false}, state_.last_half[b]});
  return static_cast<int>(areas_.size()) - 1;
}

SramPlan::Slot SramPlan::get(int id, const TileKey& key) {
  Area& a = areas_.at(id);
  int slot = -1;
  for (int s = 0; s < 2; ++s)
    if (a.valid[s] && a.keys[s] == key) slot = s;
  const bool hit = slot >= 0;
  if (!hit) {
    slot = 1 - a.recent;
    a.keys[slot] = key;
    a.valid[slot] = true;
  }
  a.recent = slot;
  state_.last_half[static_cast<size_t>(a.buf)] = slot;
  return {slot * half_bytes(a.buf, hw_) + a.offset, hit};
}

int64_t SramPlan::used(Space buf) const {
  return 2 * end_[static_cast<size_t>(buf)];
}

}  // namespace bpusim::compiler
