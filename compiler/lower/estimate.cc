#include "compiler/lower/estimate.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <limits>

#include "common/error.h"
#include "compiler/lower/footprint.h"
#include "sim/timing.h"

namespace bpusim::compiler {
namespace {

namespace timing = sim::timing;
using isa::Opcode;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int kQueues = 3;  // LOAD, COMPUTE, STORE (isa::Queue order)

bool is_dma(const isa::Operands& op) {
  const auto code = static_cast<Opcode>(op.opcode);
  return code == Opcode::LOAD || code == Opcode::STORE;
}

// The SRAM banks an instruction touches, per space (rule 10; hw_config allows 256 banks).
constexpr size_t kMaxBanks = 256;
using BankSet = std::array<std::bitset<kMaxBanks>, kNumSpaces>;

BankSet banks_touched(const std::vector<Access>& accesses, const HwConfig& hw) {
  BankSet set{};
  for (const Access& a : accesses) {
    if (a.space == Space::kDdr || a.hi <= a.lo) continue;
    const int64_t banks = space_banks(a.space, hw);
    const int64_t bank_bytes = std::max<int64_t>(1, space_bytes(a.space, hw) / banks);
    const int64_t last = std::min(banks - 1, (a.hi - 1) / bank_bytes);
    for (int64_t b = a.lo / bank_bytes; b <= last; ++b)
      set[static_cast<size_t>(a.space)].set(static_cast<size_t>(b));
  }
  return set;
}

// Rule 9: two operands of one instruction in a common bank of a single-ported SRAM.
bool intra_conflict(const std::vector<Access>& accesses, const HwConfig& hw) {
  if (hw.sram_ports > 1) return false;
  for (size_t i = 0; i < accesses.size(); ++i)
    for (size_t j = i + 1; j < accesses.size(); ++j) {
      const Access& a = accesses[i];
      const Access& b = accesses[j];
      if (a.space != b.space || a.space == Space::kDdr) continue;
      const BankSet x = banks_touched({a}, hw), y = banks_touched({b}, hw);
      if ((x[static_cast<size_t>(a.space)] & y[static_cast<size_t>(a.space)]).any()) return true;
    }
  return false;
}

// The shared DDR port of rule 5 (timing::ddr_rate, first come first served): slot 0 is the
// LOAD, slot 1 the STORE.
class DdrPortModel {
 public:
  explicit DdrPortModel(int64_t bytes_per_cycle) : bpc_(bytes_per_cycle) {}
  void advance(int64_t now) {
    for (int slot : {0, 1})
      if (slots_[slot].active) slots_[slot].remaining -= (now - last_) * rate(slot);
    last_ = now;
  }
  void begin(int slot, int64_t now, int64_t bus_bytes) {
    advance(now);
    first_ = slots_[1 - slot].active ? 1 - slot : slot;
    slots_[slot] = {true, 2 * bus_bytes};
  }
  // Slot finished by `now` (advance first).
  bool finished(int slot) {
    Slot& s = slots_[slot];
    if (!s.active || s.remaining > 0) return false;
    s.active = false;
    return true;
  }
  int64_t next_finish() const {
    int64_t next = kNever;
    for (int slot : {0, 1}) {
      const Slot& s = slots_[slot];
      if (!s.active || rate(slot) == 0) continue;
      next = std::min(next, last_ + timing::ddr_cycles_left(s.remaining, rate(slot)));
    }
    return next;
  }

 private:
  struct Slot {
    bool active = false;
    int64_t remaining = 0;  // half-bytes
  };
  int64_t rate(int slot) const {
    return timing::ddr_rate(slots_[1 - slot].active && first_ == 1 - slot, bpc_);
  }
  int64_t bpc_;
  int64_t last_ = 0;
  std::array<Slot, 2> slots_{};
  int first_ = 0;  // of two active transfers, the one that began first
};

// Token FIFO between neighbouring queues: push times in order, pop times in order.
struct FifoModel {
  std::vector<int64_t> pushes, pops;
  bool token_ready(int64_t now) const {
    return pops.size() < pushes.size() && pushes[pops.size()] <= now;
  }
  // Tokens held as of the start of cycle `now` (a pop in cycle now frees room from now + 1).
  int64_t held_at(int64_t now) const {
    int64_t popped = static_cast<int64_t>(pops.size());
    for (auto it = pops.rbegin(); it != pops.rend() && *it >= now; ++it) --popped;
    return static_cast<int64_t>(pushes.size()) - popped;
  }
};

struct EngineModel {
  std::vector<int64_t> members;  // the queue's instructions, in program order
  size_t dispatched = 0;         // members dispatched so far
  size_t taken = 0;              // members the engine has taken (issued)
  int64_t cur = -1;              // taken, not ended
  bool started = false;
  int64_t end = kNever;         // end cycle of a started compute instruction
  int64_t data_begin = kNever;  // DMA: cycle its data phase begins (after the latency)
  int64_t bus_bytes = 0;
  BankSet banks{};
};

class SegmentPredictor {
 public:
  SegmentPredictor(std::span<const isa::Operands> code, const HwConfig& hw)
      : code_(code), hw_(hw), port_(hw.ddr_bytes_per_cycle), timing_(code.size()) {
    dispatch_.assign(code.size(), kNever);
    for (size_t i = 0; i < code.size(); ++i) {
      engines_[static_cast<int>(queue_of(code[i]))].members.push_back(static_cast<int64_t>(i));
      if (timing::dma_moves_data(code[i])) dma_order_.push_back(static_cast<int64_t>(i));
    }
  }

  // The whole prediction; or, with `limit`, empty as soon as the segment's span (first start
  // to last end) is certain to exceed `limit` cycles.
  std::vector<PredictedTiming> run(int64_t limit = kNever) {
    int64_t t = 0;
    size_t done = 0;
    while (done < code_.size()) {
      if (first_start_ != kNever && t - first_start_ > limit) return {};
      bool changed = false;
      done += finish_at(t, changed);
      // The DMA order's head as of the start of the cycle: one DMA that moves data starts per
      // cycle at most (rule 5).
      const int64_t turn = next_dma_ < dma_order_.size() ? dma_order_[next_dma_] : -1;
      for (int q = 0; q < kQueues; ++q) changed |= try_start(q, t, turn);
      changed |= try_dispatch(t);
      const int64_t next = next_event(t, changed);
      if (next == kNever) break;  // nothing can happen any more: a deadlock (checked below)
      t = next;
    }
    check_invariant(done == code_.size(), "the cost model stalled at cycle ", t, " with ",
                    code_.size() - done, " instructions left (the schedule deadlocks)");
    return std::move(timing_);
  }

 private:
  static int fifo_index(int from, int to) { return from < to ? 2 * from : 2 * to + 1; }

  // Ends every instruction whose time has come; returns how many ended.
  size_t finish_at(int64_t t, bool& changed) {
    port_.advance(t);
    size_t ended = 0;
    for (int q = 0; q < kQueues; ++q) {
      EngineModel& e = engines_[q];
      if (e.cur < 0 || !e.started) continue;
      bool over = e.end == t;
      if (e.data_begin != kNever) {
        if (e.data_begin == t) port_.begin(q == 0 ? 0 : 1, t, e.bus_bytes), changed = true;
        over = e.data_begin <= t && port_.finished(q == 0 ? 0 : 1);
      }
      if (!over) continue;
      end_instruction(q, t);
      ++ended;
      changed = true;
    }
    return ended;
  }

  void end_instruction(int q, int64_t t) {
    EngineModel& e = engines_[q];
    const isa::Operands& op = code_[static_cast<size_t>(e.cur)];
    timing_[static_cast<size_t>(e.cur)].end = t;
    if (op.push_prev) fifos_[fifo_index(q, q - 1)].pushes.push_back(t);
    if (op.push_next) fifos_[fifo_index(q, q + 1)].pushes.push_back(t);
    claim(e.banks, -1);
    e.cur = -1;
    e.started = false;
    e.end = e.data_begin = kNever;
    e.bus_bytes = 0;
    e.banks = {};
  }

  void claim(const BankSet& banks, int delta) {
    for (size_t s = 0; s < banks.size(); ++s)
      for (size_t b = 0; b < kMaxBanks; ++b)
        if (banks[s].test(b)) holders_[s][b] += delta;
  }

  bool banks_free(const BankSet& want) const {
    for (size_t s = 0; s < want.size(); ++s)
      for (size_t b = 0; b < kMaxBanks; ++b)
        if (want[s].test(b) && holders_[s][b] >= hw_.sram_ports) return false;
    return true;
  }

  // Engine q takes its next instruction when idle and starts it when its tokens, its push
  // FIFOs' room and its banks allow (rules 3 and 10), in the priority order of the calls.
  bool try_start(int q, int64_t t, int64_t turn) {
    EngineModel& e = engines_[q];
    bool changed = false;
    if (e.cur < 0) {
      if (e.taken >= e.dispatched || dispatch_[e.members[e.taken]] > t) return false;
      e.cur = e.members[e.taken++];
      changed = true;
    }
    if (e.started) return changed;
    const isa::Operands& op = code_[static_cast<size_t>(e.cur)];
    const bool ordered = timing::dma_moves_data(op);
    if (op.pop_prev && !fifos_[fifo_index(q - 1, q)].token_ready(t)) return changed;
    if (op.pop_next && !fifos_[fifo_index(q + 1, q)].token_ready(t)) return changed;
    if (op.push_prev && fifos_[fifo_index(q, q - 1)].held_at(t) >= hw_.token_depth) return changed;
    if (op.push_next && fifos_[fifo_index(q, q + 1)].held_at(t) >= hw_.token_depth) return changed;
    const std::vector<Access> accesses = footprint(op);
    const BankSet want = banks_touched(accesses, hw_);
    if (!banks_free(want) || (ordered && e.cur != turn)) return changed;
    if (ordered) ++next_dma_;

    if (op.pop_prev) fifos_[fifo_index(q - 1, q)].pops.push_back(t);
    if (op.pop_next) fifos_[fifo_index(q + 1, q)].pops.push_back(t);
    claim(want, +1);
    e.banks = want;
    e.started = true;
    timing_[static_cast<size_t>(e.cur)].start = t;
    first_start_ = std::min(first_start_, t);
    const int64_t bus = is_dma(op) ? timing::dma_bus_bytes(op, hw_.ddr_burst_bytes) : 0;
    if (bus > 0) {
      e.bus_bytes = bus;
      e.data_begin = t + hw_.ddr_latency_cycles;
      if (e.data_begin == t) port_.begin(q == 0 ? 0 : 1, t, bus);
    } else {
      e.end = t + estimate_cycles(op, hw_);
    }
    return true;
  }

  // Rule 1: instruction i is dispatched at cycle i + 1 at the earliest, when its queue has room
  // as of the end of cycle t (after this cycle's takes).
  bool try_dispatch(int64_t t) {
    if (fetch_ >= code_.size() || fetch_stopped_ || t < last_dispatch_) return false;
    EngineModel& e = engines_[static_cast<int>(queue_of(code_[fetch_]))];
    if (static_cast<int64_t>(e.dispatched - e.taken) >= hw_.queue_depth) return false;
    dispatch_[fetch_] = t + 1;
    last_dispatch_ = t + 1;
    ++e.dispatched;
    fetch_stopped_ = static_cast<Opcode>(code_[fetch_].opcode) == Opcode::FINISH;
    ++fetch_;
    return true;
  }

  int64_t next_event(int64_t t, bool changed) const {
    int64_t next = changed ? t + 1 : kNever;
    next = std::min(next, std::max(t + 1, port_.next_finish()));
    for (const EngineModel& e : engines_) {
      if (e.end != kNever && e.end > t) next = std::min(next, e.end);
      if (e.data_begin != kNever && e.data_begin > t) next = std::min(next, e.data_begin);
    }
    return next <= t ? t + 1 : next;
  }

  std::span<const isa::Operands> code_;
  const HwConfig& hw_;
  DdrPortModel port_;
  std::vector<PredictedTiming> timing_;
  std::vector<int64_t> dispatch_;
  std::array<EngineModel, kQueues> engines_;
  std::array<FifoModel, 4> fifos_;
  std::array<std::array<int64_t, kMaxBanks>, kNumSpaces> holders_{};
  std::vector<int64_t> dma_order_;  // the DMAs that move data, in program order (rule 5)
  int64_t first_start_ = kNever;    // the earliest start so far
  size_t next_dma_ = 0;             // the first of them not started
  size_t fetch_ = 0;
  bool fetch_stopped_ = false;
  int64_t last_dispatch_ = 0;
};

}  // namespace

int64_t estimate_cycles(const isa::Operands& o, const HwConfig& hw) {
  const auto code = static_cast<Opcode>(o.opcode);
  switch (code) {
    case Opcode::NOP:
    case Opcode::FINISH:
      return timing::kControlCycles;
    case Opcode::LOAD:
    case Opcode::STORE:
      return timing::dma_cycles_alone(timing::dma_bus_bytes(o, hw.ddr_burst_bytes), hw);
    case Opcode::CONV:
      return timing::conv_cycles(o, hw);
    case Opcode::REQUANT:
      return timing::requant_cycles(o, hw);
    default: {
      const timing::VectorCost cost = timing::vector_cost(code, o, hw);
      const bool conflict = intra_conflict(footprint(o), hw);
      return cost.cycles() + (conflict ? (timing::kConflictFactor - 1) * cost.beats : 0);
    }
  }
}

std::vector<PredictedTiming> predict_segment(std::span<const isa::Operands> code,
                                             const HwConfig& hw) {
  return SegmentPredictor(code, hw).run();
}

std::optional<int64_t> predict_span_at_most(std::span<const isa::Operands> code, const HwConfig& hw,
                                            int64_t limit) {
  const std::vector<PredictedTiming> timing = SegmentPredictor(code, hw).run(limit);
  if (timing.empty() && !code.empty()) return std::nullopt;
  const int64_t span = predicted_span(timing, 0, static_cast<int64_t>(timing.size()));
  if (span > limit) return std::nullopt;
  return span;
}

int64_t predicted_span(std::span<const PredictedTiming> timing, int64_t begin, int64_t end) {
  if (begin >= end) return 0;
  int64_t first = kNever, last = 0;
  for (int64_t i = begin; i < end; ++i) {
    first = std::min(first, timing[static_cast<size_t>(i)].start);
    last = std::max(last, timing[static_cast<size_t>(i)].end);
  }
  return last - first;
}

}  // namespace bpusim::compiler
