#include "sim/queue_engine.h"

#include "common/error.h"
#include "sim/clock.h"
#include "sim/timing.h"

namespace bpusim::sim {

QueueEngine::QueueEngine(sc_core::sc_module_name name, runtime::Engine id, RunState& state,
                         InstrQueue& queue, const Memories& memories,
                         runtime::PerfCounters& counters, BankArbiter& arbiter)
    : sc_core::sc_module(name),
      busy("busy"),
      instr("instr"),
      id_(id),
      state_(state),
      queue_(queue),
      mem_(memories),
      counters_(counters),
      arbiter_(arbiter) {
  SC_THREAD(thread);
}

void QueueEngine::bind_tokens(TokenFifo* pop_prev, TokenFifo* pop_next, TokenFifo* push_prev,
                              TokenFifo* push_next) {
  pop_prev_ = pop_prev;
  pop_next_ = pop_next;
  push_prev_ = push_prev;
  push_next_ = push_next;
}

void QueueEngine::bind_unit(isa::Opcode op, Unit* unit) {
  units_[static_cast<size_t>(op)] = unit;
}

void QueueEngine::thread() {
  instr.write(-1);
  for (;;) {
    idle_ = true;
    sc_core::wait(state_.start);
    idle_ = false;
    run_loop();
    current_ = nullptr;
    waiting_.clear();
    busy.write(false);
    instr.write(-1);
  }
}

void QueueEngine::run_loop() {
  for (;;) {
    waiting_ = "an instruction";
    int64_t queue_wait = 0;
    const Decoded* d = queue_.pop(queue_wait);
    if (d == nullptr || !execute(*d, queue_wait)) return;
  }
}

bool QueueEngine::take_tokens(const Decoded& d) {
  TokenFifo* const pops[] = {d.f.pop_prev ? pop_prev_ : nullptr,
                             d.f.pop_next ? pop_next_ : nullptr};
  TokenFifo* const pushes[] = {d.f.push_prev ? push_prev_ : nullptr,
                               d.f.push_next ? push_next_ : nullptr};
  for (;;) {
    TokenFifo* missing = nullptr;
    for (TokenFifo* f : pops)
      if (f != nullptr && !f->available()) missing = f;
    TokenFifo* full = nullptr;
    for (TokenFifo* f : pushes)
      if (f != nullptr && !f->room()) full = f;
    if (missing == nullptr && full == nullptr) break;
    if (missing != nullptr) {
      waiting_ = cat("a token on ", missing->basename());
      sc_core::wait(missing->pushed | state_.abort_event);
    } else {
      // Room freed by a token taken in cycle t shows from cycle t + 1.
      waiting_ = cat("room on ", full->basename());
      sc_core::wait(full->taken | state_.abort_event);
      if (!state_.abort) sc_core::wait(cycles(1), state_.abort_event);
    }
    if (state_.abort) return false;
  }
  for (TokenFifo* f : pops)
    if (f != nullptr) f->take();
  return true;
}

void QueueEngine::fault(const Decoded& d, std::string reason) {
  state_.raise(runtime::Fault{d.index, d.name(), d.fields_text(), runtime::engine_name(id_),
                              std::move(reason), 0});
}

bool QueueEngine::intra_conflict(const Plan& p) const {
  for (size_t i = 0; i < p.accesses.size(); ++i) {
    const Access& a = p.accesses[i];
    if (a.buf == Buf::kDdr || a.bytes == 0 || mem_.of(a.buf).ports() > 1) continue;
    for (size_t j = i + 1; j < p.accesses.size(); ++j) {
      const Access& b = p.accesses[j];
      if (b.buf != a.buf || b.bytes == 0) continue;
      const Sram& s = mem_.of(a.buf);
      if ((s.banks_of(a.addr, a.bytes) & s.banks_of(b.addr, b.bytes)).any()) return true;
    }
  }
  return false;
}

bool QueueEngine::acquire_banks(const Decoded& d, const Plan& p, BankClaim& held) {
  BankClaim want{};
  for (const Access& a : p.accesses)
    if (a.buf != Buf::kDdr)
      want[static_cast<int>(a.buf)] |= mem_.of(a.buf).banks_of(a.addr, a.bytes);
  waiting_ = "an SRAM bank port held by another unit, or the DMA order's turn";
  if (!arbiter_.claim(id_, want, timing::dma_moves_data(d.f))) return false;
  held = want;
  return true;
}

bool QueueEngine::execute(const Decoded& d, int64_t queue_wait) {
  current_ = &d;
  runtime::InstrRecord r;
  r.index = d.index;
  r.op = d.op;
  r.queue = d.queue;
  r.dispatch = d.dispatch;
  r.issue = state_.cycle();
  r.stall[static_cast<int>(runtime::Stall::kQueueEmpty)] = queue_wait;

  if (!take_tokens(d)) return false;
  r.stall[static_cast<int>(runtime::Stall::kTokenWait)] = state_.cycle() - r.issue;

  Unit* unit = units_[static_cast<size_t>(d.op)];
  if (unit == nullptr) {
    fault(d, cat("no unit of the ", runtime::engine_name(id_), " engine executes ", d.name()));
    return false;
  }
  Plan plan = unit->plan(d);
  if (!plan.fault.empty()) {
    fault(d, plan.fault);
    return false;
  }
  for (const Access& a : plan.accesses) {
    if (auto why = mem_.check(a)) {
      fault(d, *why);
      return false;
    }
  }
  const int64_t alone = plan.cycles;
  if (intra_conflict(plan)) {
    const int64_t extra = (timing::kConflictFactor - 1) * plan.beats;  // rule 9
    plan.cycles += extra;
    r.stall[static_cast<int>(runtime::Stall::kBankConflict)] += extra;
  }
  const int64_t before_banks = state_.cycle();
  BankClaim held{};
  if (!acquire_banks(d, plan, held)) return false;
  r.stall[static_cast<int>(runtime::Stall::kBankConflict)] += state_.cycle() - before_banks;

  r.start = state_.cycle();
  waiting_ = "its unit";
  busy.write(true);
  instr.write(static_cast<int32_t>(d.index));
  unit->run(d, plan);
  r.end = state_.cycle();
  busy.write(false);
  arbiter_.release(held);
  if (plan.bus_bytes > 0)
    r.stall[static_cast<int>(runtime::Stall::kDdrBandwidth)] =
        std::max<int64_t>(0, r.end - r.start - alone);

  if (d.f.push_prev) push_prev_->push();
  if (d.f.push_next) push_next_->push();

  r.macs = plan.macs;
  r.ddr_bytes = plan.payload_bytes;
  const int e = static_cast<int>(id_);
  for (int s = 0; s < runtime::kNumStalls; ++s) counters_.stalls[e][s] += r.stall[s];
  counters_.engine_busy[e] += r.end - r.start;
  counters_.macs += r.macs;
  if (plan.bus_bytes > 0) {
    counters_.ddr_bus_bytes += plan.bus_bytes;
    (d.op == isa::Opcode::STORE ? counters_.ddr_write_bytes : counters_.ddr_read_bytes) +=
        plan.payload_bytes;
    counters_.ddr_log.push_back({r.end, counters_.ddr_read_bytes, counters_.ddr_write_bytes});
  }
  counters_.instrs.push_back(r);
  current_ = nullptr;
  return !state_.abort;
}

}  // namespace bpusim::sim
