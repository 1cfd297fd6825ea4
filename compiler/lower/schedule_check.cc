#include "compiler/lower/schedule_check.h"

#include <algorithm>
#include <deque>
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
