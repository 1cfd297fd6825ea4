#include "compiler/lower/schedule.h"

#include <algorithm>

#include "common/error.h"

namespace bpusim::compiler {
namespace {

constexpr int kLoad = static_cast<int>(isa::Queue::kLoad);
constexpr int kCompute = static_cast<int>(isa::Queue::kCompute);

bool has_tokens(const isa::Operands& o) {
  return o.pop_prev || o.pop_next || o.push_prev || o.push_next;
}

// Whether two instructions' accesses meet (same space, overlapping bytes).
bool overlaps(const std::vector<Access>& a, const std::vector<Access>& b) {
  for (const Access& x : a)
    for (const Access& y : b)
      if (x.space == y.space && x.lo < y.hi && y.lo < x.hi) return true;
  return false;
}

}  // namespace

void set_pop(isa::Operands& o, int self, int other) {
  check_invariant(std::abs(self - other) == 1, "a token between queues ", self, " and ", other,
                  ", which are not neighbours");
  (other < self ? o.pop_prev : o.pop_next) = 1;
}

void set_push(isa::Operands& o, int self, int other) {
  check_invariant(std::abs(self - other) == 1, "a token between queues ", self, " and ", other,
                  ", which are not neighbours");
  int64_t& flag = other < self ? o.push_prev : o.push_next;
  check_invariant(flag == 0, "a producer pushes twice into one FIFO");
  flag = 1;
}

void Schedule::emit(const isa::Operands& op) {
  check_invariant(!has_tokens(op), "Schedule::emit got an instruction with token flags");
  const auto code = static_cast<isa::Opcode>(op.opcode);
  if (code == isa::Opcode::STORE) {
    held_stores_.push_back(op);
    return;
  }
  if (code == isa::Opcode::LOAD) {
    const std::vector<Access> mine = footprint(op);
    const bool independent =
        std::none_of(held_stores_.begin(), held_stores_.end(),
                     [&](const isa::Operands& s) { return overlaps(mine, footprint(s)); });
    if (independent) {
      emit_with(op, kNoIndex);
      return;
    }
  }
  flush();
  emit_with(op, kNoIndex);
}

void Schedule::flush() {
  std::vector<isa::Operands> held;
  held.swap(held_stores_);
  for (const isa::Operands& s : held) emit_with(s, kNoIndex);
}

int64_t Schedule::first_compute_after(int q, int64_t index) const {
  const auto& c = queues_[kCompute];
  auto it =
      std::partition_point(c.begin(), c.end(), [&](const Entry& e) { return e.vc[q] < index; });
  return it == c.end() ? -1 : static_cast<int64_t>(it - c.begin());
}

int64_t Schedule::emit_with(const isa::Operands& op, QueueIndex required) {
  const int q = static_cast<int>(queue_of(op));
  const std::vector<Access> accesses = footprint(op);
  for (const Access& a : accesses) {
    const QueueIndex c = tracker_.conflicts(a, q);
    for (int p = 0; p < kNumQueues; ++p) required[p] = std::max(required[p], c[p]);
  }
  const QueueIndex base = queues_[q].empty() ? kNoIndex : queues_[q].back().vc;

  // LOAD <-> STORE: wait for a COMPUTE instruction that is ordered after the producer.
  const int far = q == kLoad ? 2 : q == 2 ? kLoad : -1;
  if (far >= 0 && required[far] > base[far]) {
    int64_t via = first_compute_after(far, required[far]);
    if (via < 0) {
      QueueIndex nop_needs = kNoIndex;
      nop_needs[far] = required[far];
      emit_with(isa::Operands{}, nop_needs);  // all-zero operands = NOP
      ++routing_nops_;
      via = static_cast<int64_t>(queues_[kCompute].size()) - 1;
    }
    required[kCompute] = std::max(required[kCompute], via);
    required[far] = -1;
  }

  isa::Operands self = op;
  QueueIndex vc = base;
  vc[q] = static_cast<int64_t>(queues_[q].size());
  for (int p : {q - 1, q + 1}) {
    if (p < 0 || p >= kNumQueues || required[p] <= vc[p]) continue;
    const Entry& producer = queues_[p][required[p]];
    set_push(code_[producer.global], p, q);
    set_pop(self, q, p);
    for (int i = 0; i < kNumQueues; ++i) vc[i] = std::max(vc[i], producer.vc[i]);
  }

  const int64_t global = static_cast<int64_t>(code_.size());
  code_.push_back(self);
  queues_[q].push_back({global, vc});
  for (const Access& a : accesses) tracker_.record(a, q, vc[q]);
  return global;
}

}  // namespace bpusim::compiler
