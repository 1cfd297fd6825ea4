#include "compiler/lower/access_tracker.h"

#include <algorithm>

namespace bpusim::compiler {

QueueIndex AccessTracker::conflicts(const Access& a, int q) const {
  QueueIndex req = kNoIndex;
  const Map& m = spaces_[static_cast<size_t>(a.space)];
  auto it = m.upper_bound(a.lo);
  if (it != m.begin()) --it;
  for (; it != m.end() && it->first < a.hi; ++it) {
    const Segment& s = it->second;
    if (s.end <= a.lo) continue;
    if (s.writer >= 0 && s.writer_queue != q)
      req[s.writer_queue] = std::max(req[s.writer_queue], s.writer);
    if (a.write)
      for (int p = 0; p < kNumQueues; ++p)
        if (p != q) req[p] = std::max(req[p], s.readers[p]);
  }
  return req;
}

void AccessTracker::split(Map& m, int64_t pos) {
  auto it = m.upper_bound(pos);
  if (it == m.begin()) return;
  --it;
  if (it->first < pos && it->second.end > pos) {
    Segment tail = it->second;
    it->second.end = pos;
    m.emplace(pos, tail);
  }
}

void AccessTracker::cover(Map& m, int64_t lo, int64_t hi) {
  split(m, lo);
  split(m, hi);
  int64_t pos = lo;
  auto it = m.lower_bound(lo);
  while (pos < hi) {
    if (it == m.end() || it->first > pos) {
      const int64_t gap_end = it == m.end() ? hi : std::min(hi, it->first);
      it = m.emplace_hint(it, pos, Segment{gap_end});
    }
    pos = it->second.end;
    ++it;
  }
}

void AccessTracker::record(const Access& a, int q, int64_t index) {
  Map& m = spaces_[static_cast<size_t>(a.space)];
  if (a.write) {
    split(m, a.lo);
    split(m, a.hi);
    m.erase(m.lower_bound(a.lo), m.lower_bound(a.hi));
    Segment s{a.hi, q, index, kNoIndex};
    m.emplace(a.lo, s);
    return;
  }
  cover(m, a.lo, a.hi);
  for (auto it = m.lower_bound(a.lo); it != m.end() && it->first < a.hi; ++it)
    it->second.readers[q] = std::max(it->second.readers[q], index);
}

}  // namespace bpusim::compiler
