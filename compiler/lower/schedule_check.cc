#include "compiler/lower/schedule_check.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <vector>

#include "common/error.h"
#include "compiler/lower/access_tracker.h"
#include "compiler/lower/footprint.h"

namespace bpusim::compiler {
namespace {

// The FIFO that queue `from` pushes into toward queue `to` (neighbours only).
Fifo fifo_between(int from, int to) {
  if (from == 0) return Fifo::kL2C;
  if (from == 2) return Fifo::kS2C;
  return to == 0 ? Fifo::kC2L : Fifo::kC2S;
}

std::string describe(std::span<const isa::Operands> code, int64_t i) {
  return cat("instruction ", i, " (", isa::name(static_cast<isa::Opcode>(code[i].opcode)), ")");
}

// The abstract run: execution order, and per instruction its queue, index in the queue and
// vector clock (latest instruction of each queue that happens before or is it).
struct Run {
  TokenReport report;
  std::vector<int64_t> order;
  std::vector<int> queue;
  std::vector<int64_t> local;
  std::vector<QueueIndex> vc;
  std::array<std::vector<int64_t>, kNumQueues> members;  // global indices per queue
};

Run simulate(std::span<const isa::Operands> code) {
  const int64_t n = static_cast<int64_t>(code.size());
  Run run;
  run.queue.resize(n);
  run.local.resize(n);
  run.vc.assign(n, kNoIndex);
  for (int64_t i = 0; i < n; ++i) {
    const int q = static_cast<int>(queue_of(code[i]));
    run.queue[i] = q;
    run.local[i] = static_cast<int64_t>(run.members[q].size());
    run.members[q].push_back(i);
  }
  // Each FIFO holds the producers of its pending tokens, oldest first.
  std::array<std::deque<int64_t>, 4> fifo;
  std::array<size_t, kNumQueues> head{};
  auto pops = [&](int64_t i) {
    std::vector<std::pair<Fifo, int>> out;
    const int q = run.queue[i];
    if (code[i].pop_prev) out.push_back({fifo_between(q - 1, q), q - 1});
    if (code[i].pop_next) out.push_back({fifo_between(q + 1, q), q + 1});
    return out;
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (int q = 0; q < kNumQueues; ++q) {
      while (head[q] < run.members[q].size()) {
        const int64_t i = run.members[q][head[q]];
        const auto needs = pops(i);
        if (!std::all_of(needs.begin(), needs.end(),
                         [&](auto& f) { return !fifo[static_cast<size_t>(f.first)].empty(); }))
          break;
        QueueIndex vc = run.local[i] > 0 ? run.vc[run.members[q][run.local[i] - 1]] : kNoIndex;
        vc[q] = run.local[i];
        for (const auto& [f, from] : needs) {
          const int64_t producer = fifo[static_cast<size_t>(f)].front();
          fifo[static_cast<size_t>(f)].pop_front();
          if (producer > i)
            fail(describe(code, i), " pops the ", fifo_name(f), " token of ",
                 describe(code, producer), ", which comes later in CODE order");
          for (int k = 0; k < kNumQueues; ++k) vc[k] = std::max(vc[k], run.vc[producer][k]);
        }
        run.vc[i] = vc;
        const int pushes[2] = {code[i].push_prev ? q - 1 : -1, code[i].push_next ? q + 1 : -1};
        for (int to : pushes) {
          if (to < 0) continue;
          const size_t f = static_cast<size_t>(fifo_between(q, to));
          fifo[f].push_back(i);
          ++run.report.pushes[f];
          run.report.max_pending[f] =
              std::max(run.report.max_pending[f], static_cast<int64_t>(fifo[f].size()));
        }
        run.order.push_back(i);
        ++head[q];
        progress = true;
      }
    }
  }
  for (int q = 0; q < kNumQueues; ++q) {
    run.report.instructions[q] = static_cast<int64_t>(run.members[q].size());
    if (head[q] < run.members[q].size()) {
      const int64_t i = run.members[q][head[q]];
      std::string fifos;
      for (const auto& [f, from] : pops(i))
        if (fifo[static_cast<size_t>(f)].empty())
          fifos += cat(fifos.empty() ? "" : ", ", fifo_name(f));
      fail("deadlock: ", describe(code, i), " in the ", isa::name(static_cast<isa::Queue>(q)),
           " queue waits for a ", fifos, " token that is never pushed");
    }
  }
  for (size_t f = 0; f < fifo.size(); ++f)
    if (!fifo[f].empty())
      fail(fifo[f].size(), " ", fifo_name(static_cast<Fifo>(f)),
           " token(s) pushed but never popped (first by ", describe(code, fifo[f].front()), ")");
  return run;
}

// ---- check_ddr_lifetimes

constexpr int64_t kUnused = std::numeric_limits<int64_t>::max();

// A tensor with its own bytes and everything that uses them through it or its views.
struct Root {
  std::string name;
  int64_t lo = 0, hi = 0;                       // DDR bytes [lo, hi)
  int64_t first = kUnused, last = -kUnused;     // use range in steps
  bool read_unwritten = false;                  // read at `first` before any write
  std::vector<const isa::TensorDesc*> entries;  // the root and its views
  bool used() const { return first <= last; }
};

class DdrRoots {
 public:
  DdrRoots(std::span<const isa::TensorDesc> tensors, int64_t steps) {
    std::map<std::string, const isa::TensorDesc*> by_name;
    for (const isa::TensorDesc& t : tensors)
      if (t.role != isa::TensorRole::kConstant) by_name[t.name] = &t;
    for (const auto& [name, t] : by_name) {
      const isa::TensorDesc* r = t;
      for (int hops = 0; !r->view_of.empty(); ++hops) {
        const auto it = by_name.find(r->view_of);
        if (it == by_name.end() || hops > static_cast<int>(by_name.size()))
          fail("TENSORS entry '", name, "' is a view of '", r->view_of,
               "', which is not a tensor with bytes of its own");
        r = it->second;
      }
      const auto [it, added] = index_.emplace(r->name, roots_.size());
      if (added) {
        Root root;
        root.name = r->name;
        root.lo = r->ddr_addr;
        root.hi = r->ddr_addr + r->bytes;
        roots_.push_back(std::move(root));
      }
      index_[name] = it->second;
      Root& root = roots_[it->second];
      root.entries.push_back(t);
      // The runtime writes inputs before the first step and reads outputs after the last.
      if (t->role == isa::TensorRole::kInput)
        root.first = -1, root.last = std::max(root.last, int64_t{-1});
      if (t->role == isa::TensorRole::kOutput) root.last = steps;
    }
  }
  // The root of TENSORS entry `name`, or nullptr when it has no entry (not in DDR).
  Root* find(const std::string& name) {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &roots_[it->second];
  }
  std::vector<Root>& roots() { return roots_; }

 private:
  std::vector<Root> roots_;
  std::map<std::string, size_t> index_;
};

std::string step_name(std::span<const ProgramStep> steps, int64_t s) {
  if (s < 0) return "before the first step (a model input)";
  if (s >= static_cast<int64_t>(steps.size())) return "after the last step (a model output)";
  return cat("step ", s, " '", steps[s].name, "'");
}

// Every DDR run of a LOAD (STORE) of `step` lies in [0, constants_end) or a root in `reads`
// (inside a root in `writes`).
void check_step_accesses(const ProgramStep& step, int64_t index,
                         const std::vector<const Root*>& reads,
                         const std::vector<const Root*>& writes, int64_t constants_end) {
  for (size_t i = 0; i < step.code.size(); ++i) {
    const isa::Operands& o = step.code[i];
    const bool load = o.opcode == static_cast<int64_t>(isa::Opcode::LOAD);
    if (!load && o.opcode != static_cast<int64_t>(isa::Opcode::STORE)) continue;
    if (o.n0 * o.n1 * o.n2 == 0) continue;
    const std::vector<const Root*>& allowed = load ? reads : writes;
    auto inside = [&](int64_t lo, int64_t hi) {
      if (load && hi <= constants_end) return true;
      return std::any_of(allowed.begin(), allowed.end(),
                         [&](const Root* r) { return r->lo <= lo && hi <= r->hi; });
    };
    for (const Access& a : footprint(o)) {
      if (a.space != Space::kDdr || inside(a.lo, a.hi)) continue;  // the bounding range
      for (const DdrRun& run : ddr_runs(o))
        if (!inside(run.addr, run.addr + run.bytes)) {
          std::string names;
          for (const Root* r : allowed)
            names += cat(names.empty() ? "" : ", ", "'", r->name, "' [", r->lo, ", ", r->hi, ")");
          fail("step ", index, " '", step.name, "': instruction ",
               step.first + static_cast<int64_t>(i), " (", load ? "LOAD" : "STORE", ") ",
               load ? "reads" : "writes", " DDR bytes [", run.addr, ", ", run.addr + run.bytes,
               ") outside every tensor the step ", load ? "reads or writes" : "writes", " (",
               names.empty() ? "none" : names,
               load ? cat(") and outside the constants [0, ", constants_end, ")") : ")");
        }
    }
  }
}

// Whether two roots share at least one byte.
bool share_bytes(const Root& a, const Root& b) {
  return a.lo < b.hi && b.lo < a.hi && a.lo < a.hi && b.lo < b.hi;
}

// `earlier` ends before `later` starts on the same bytes: every entry of `earlier` must say so.
void require_overwritten(const Root& earlier, const Root& later,
                         std::span<const ProgramStep> steps) {
  for (const isa::TensorDesc* t : earlier.entries)
    if (!t->overwritten)
      fail("TENSORS entry '", t->name, "' is not marked overwritten, but '", later.name,
           "' (first written at ", step_name(steps, later.first), ") reuses its DDR bytes [",
           std::max(earlier.lo, later.lo), ", ", std::min(earlier.hi, later.hi),
           "): after the run they do not hold it");
}

}  // namespace

std::string_view fifo_name(Fifo f) {
  switch (f) {
    case Fifo::kL2C:
      return "L2C";
    case Fifo::kC2L:
      return "C2L";
    case Fifo::kC2S:
      return "C2S";
    case Fifo::kS2C:
      return "S2C";
  }
  return "?";
}

TokenReport check_tokens(std::span<const isa::Operands> code) {
  return simulate(code).report;
}

TokenReport check_schedule(std::span<const isa::Operands> code, const HwConfig& hw) {
  const Run run = simulate(code);

  AccessTracker tracker;
  for (int64_t i : run.order) {
    const int q = run.queue[i];
    for (const Access& a : footprint(code[i])) {
      const int64_t size = space_bytes(a.space, hw);
      if (a.lo < 0 || a.hi > size)
        fail(describe(code, i), " accesses ", space_name(a.space), " bytes [", a.lo, ", ", a.hi,
             ") outside its ", size, " bytes");
      const QueueIndex need = tracker.conflicts(a, q);
      for (int p = 0; p < kNumQueues; ++p) {
        if (need[p] <= run.vc[i][p]) continue;
        const int64_t other = run.members[p][need[p]];
        fail(describe(code, i), (a.write ? " writes " : " reads "), space_name(a.space), " bytes [",
             a.lo, ", ", a.hi, ") that ", describe(code, other),
             " also accesses, and no token orders them");
      }
      tracker.record(a, q, run.local[i]);
    }
  }
  return run.report;
}

void check_token_depth(const TokenReport& report, const HwConfig& hw) {
  for (size_t f = 0; f < report.max_pending.size(); ++f)
    if (report.max_pending[f] > hw.token_depth)
      fail("the schedule keeps up to ", report.max_pending[f], " ", fifo_name(static_cast<Fifo>(f)),
           " tokens in flight, more than queue.token_depth = ", hw.token_depth,
           " holds (use queue.token_depth >= ", report.max_pending[f], ")");
}

}  // namespace bpusim::compiler

namespace bpusim::compiler {

void check_ddr_lifetimes(std::span<const isa::TensorDesc> tensors,
                         std::span<const ProgramStep> steps, int64_t constants_end) {
  const int64_t n = static_cast<int64_t>(steps.size());
  DdrRoots roots(tensors, n);
  for (int64_t s = 0; s < n; ++s) {
    std::vector<const Root*> reads, writes;
    for (const std::string& name : steps[s].writes)
      if (Root* r = roots.find(name)) {
        r->first = std::min(r->first, s);
        r->last = std::max(r->last, s);
        writes.push_back(r);
        reads.push_back(r);
      }
    for (const std::string& name : steps[s].reads)
      if (Root* r = roots.find(name)) {
        if (r->first > s) r->read_unwritten = true;
        r->first = std::min(r->first, s);
        r->last = std::max(r->last, s);
        reads.push_back(r);
      }
    check_step_accesses(steps[s], s, reads, writes, constants_end);
  }
  std::vector<Root>& all = roots.roots();
  for (const Root& r : all)
    if (r.read_unwritten)
      fail("tensor '", r.name, "' is read at ", step_name(steps, r.first),
           " but no earlier step writes it and it is not a model input");
  std::stable_sort(all.begin(), all.end(),
                   [](const Root& a, const Root& b) { return a.lo < b.lo; });
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].used()) continue;
    for (size_t j = i + 1; j < all.size() && all[j].lo < all[i].hi; ++j) {
      const Root& a = all[i];
      const Root& b = all[j];
      if (!b.used() || !share_bytes(a, b)) continue;
      if (a.last < b.first) {
        require_overwritten(a, b, steps);
      } else if (b.last < a.first) {
        require_overwritten(b, a, steps);
      } else {
        const Root& x = a.first <= b.first ? a : b;
        const Root& y = a.first <= b.first ? b : a;
        fail("tensors '", x.name, "' and '", y.name, "' share DDR bytes [", std::max(a.lo, b.lo),
             ", ", std::min(a.hi, b.hi), ") but '", x.name, "' is used until ",
             step_name(steps, x.last), " and '", y.name, "' from ", step_name(steps, y.first),
             ": one overwrites the other while it is live");
      }
    }
  }
}

}  // namespace bpusim::compiler
