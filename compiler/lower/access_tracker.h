// Who last touched every byte of every space, per queue: the bookkeeping behind both the
// scheduler (which turns conflicts into dependency tokens) and the schedule checker (which
// verifies that tokens order every conflict). Byte ranges are kept as a map of disjoint
// segments, so the cost is logarithmic in the number of distinct tile boundaries.
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "compiler/lower/footprint.h"

namespace bpusim::compiler {

inline constexpr int kNumQueues = 3;  // load, compute, store (isa::Queue order)
// Per queue, the largest index (within that queue) of an instruction; -1 for none.
using QueueIndex = std::array<int64_t, kNumQueues>;
inline constexpr QueueIndex kNoIndex{-1, -1, -1};

class AccessTracker {
 public:
  // For an access `a` by queue `q`, the latest earlier instruction of every OTHER queue that
  // it conflicts with: the last writer of any byte it reads (read after write); for a write
  // also the last reader of every other queue and the last writer (write after read/write).
  QueueIndex conflicts(const Access& a, int q) const;
  // Records that instruction `index` of queue `q` performed `a`. A write forgets earlier
  // readers of its bytes: whoever writes next must only be ordered after this writer.
  void record(const Access& a, int q, int64_t index);

 private:
  struct Segment {
    int64_t end;
    int writer_queue = -1;
    int64_t writer = -1;
    QueueIndex readers = kNoIndex;
  };
  using Map = std::map<int64_t, Segment>;
  // Splits the segment containing `pos` (if any) so that a segment starts at `pos`.
  static void split(Map& m, int64_t pos);
  // Makes [lo, hi) covered by segments (filling gaps with untouched segments).
  static void cover(Map& m, int64_t lo, int64_t hi);

  std::array<Map, kNumSpaces> spaces_;
};

}  // namespace bpusim::compiler
