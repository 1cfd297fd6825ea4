#include "rtl_ref/tiles/timing_ref.h"

#include <stdexcept>

namespace bpusim::tile::timing {

UnitTiming mac_array(const HwConfig& hw) {
  int64_t levels = 0;
  while ((int64_t{1} << levels) < hw.mac_cols) ++levels;
  return {hw.mac_rows, levels + 2, false};
}

UnitTiming requant(const HwConfig& hw) {
  return {hw.mac_rows, hw.requant_pipeline_depth, true};
}

int64_t cycles(const UnitTiming& u, const std::vector<int64_t>& vectors,
               const ReadyPattern& ready) {
  enum class State { kLoad, kStream, kDrain };
  struct Slot {
    int64_t tile = -1;  // -1: bubble
    int64_t index = 0;
  };
  const int64_t tiles = static_cast<int64_t>(vectors.size());
  std::vector<Slot> stage(u.depth + 1);  // stage[1..depth]; stage[depth] is the output
  State state = State::kLoad;
  int64_t load_tile = 0, beat = 0, in_tile = 0, sent = 0, first = -1;
  for (int64_t t = 0;; ++t) {
    if (t > 100'000'000) throw std::logic_error("timing reference: no progress");
    const Slot out = stage[u.depth];
    const bool out_valid = out.tile >= 0;
    const bool out_last = out_valid && out.index == vectors[out.tile] - 1;
    if (out_last && out.tile == tiles - 1) return t - first;
    const bool ready_now = ready.empty() || ready[t % ready.size()] != 0;
    const bool en = !out_valid || ready_now;
    const bool load_fire = state == State::kLoad && load_tile < tiles && load_tile <= in_tile;
    const bool in_fire = state == State::kStream && en && in_tile < tiles;
    if ((load_fire || in_fire) && first < 0) first = t;
    const bool in_last = in_fire && sent == vectors[in_tile] - 1;
    // State transitions at the edge that ends cycle t.
    if (load_fire && beat + 1 == u.load_beats)
      state = State::kStream;
    else if (in_last)
      state = u.load_waits_for_drain ? State::kDrain : State::kLoad;
    else if (state == State::kDrain && out_last && ready_now)
      state = State::kLoad;
    if (en) {
      for (int64_t k = u.depth; k > 1; --k) stage[k] = stage[k - 1];
      stage[1] = in_fire ? Slot{in_tile, sent} : Slot{};
    }
    if (load_fire && ++beat == u.load_beats) ++load_tile, beat = 0;
    if (in_fire && ++sent == vectors[in_tile]) ++in_tile, sent = 0;
  }
}

int64_t cycles_without_back_pressure(const UnitTiming& u, const std::vector<int64_t>& vectors) {
  int64_t sum = 0;
  for (int64_t n : vectors) sum += u.load_beats + n + (u.load_waits_for_drain ? u.depth : 0);
  return u.load_waits_for_drain ? sum - 1 : sum - 1 + u.depth;
}

}  // namespace bpusim::tile::timing
