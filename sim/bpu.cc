#include "sim/bpu.h"

#include <cstdlib>

#include "common/error.h"
#include "sim/sim_thread.h"

namespace bpusim::sim {

using isa::Opcode;

Bpu& Bpu::instance() {
  static Bpu* bpu = SimThread::get().call([] {
    // Keep stdout for the tool's own output.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    auto* b = new Bpu("bpu");  // lives as long as the SystemC kernel: never deleted
    b->configure_now(HwConfig{});
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // end elaboration: every process now waits
    return b;
  });
  return *bpu;
}

Bpu::Bpu(sc_core::sc_module_name name)
    : sc_core::sc_module(name),
      feature_("feature_sram", Buf::kFeature),
      weight_("weight_sram", Buf::kWeight),
      acc_("acc_sram", Buf::kAcc),
      output_("output_sram", Buf::kOutput),
      param_("param_sram", Buf::kParam),
      memories_{{&feature_, &weight_, &acc_, &output_, &param_}, &ddr_},
      load_q_("load_queue", &state_.abort, &state_.abort_event),
      compute_q_("compute_queue", &state_.abort, &state_.abort_event),
      store_q_("store_queue", &state_.abort, &state_.abort_event),
      l2c_("l2c"),
      c2l_("c2l"),
      c2s_("c2s"),
      s2c_("s2c"),
      controller_("controller", state_, {&load_q_, &compute_q_, &store_q_}, counters_, arbiter_),
      arbiter_("bank_arbiter", memories_, state_),
      dma_("dma", memories_),
      mac_("mac_array", memories_),
      requant_("requantizer", memories_),
      vector_("vector_unit", memories_),
      load_("load_engine", runtime::Engine::kLoad, state_, load_q_, memories_, counters_, arbiter_),
      compute_("compute_engine", runtime::Engine::kCompute, state_, compute_q_, memories_,
               counters_, arbiter_),
      store_("store_engine", runtime::Engine::kStore, state_, store_q_, memories_, counters_,
             arbiter_) {
  // Tokens: LOAD pops C2L (its next) and pushes L2C; COMPUTE pops L2C/S2C and pushes C2L/C2S;
  // STORE pops C2S (its previous) and pushes S2C.
  load_.bind_tokens(nullptr, &c2l_, nullptr, &l2c_);
  compute_.bind_tokens(&l2c_, &s2c_, &c2l_, &c2s_);
  store_.bind_tokens(&c2s_, nullptr, &s2c_, nullptr);
  load_.bind_unit(Opcode::LOAD, &dma_.load_channel);
  store_.bind_unit(Opcode::STORE, &dma_.store_channel);
  compute_.bind_unit(Opcode::CONV, &mac_);
  compute_.bind_unit(Opcode::REQUANT, &requant_);
  for (Opcode op : {Opcode::VADD, Opcode::VREQ, Opcode::POOL, Opcode::ARGMAX, Opcode::COPY,
                    Opcode::VLUT, Opcode::VMUL, Opcode::VBLEND, Opcode::VFADD})
    compute_.bind_unit(op, &vector_);
  compute_.bind_unit(Opcode::NOP, &control_);
  compute_.bind_unit(Opcode::FINISH, &control_);
  const std::array<std::pair<InstrQueue*, runtime::Engine>, 3> queues{
      {{&load_q_, runtime::Engine::kLoad},
       {&compute_q_, runtime::Engine::kCompute},
       {&store_q_, runtime::Engine::kStore}}};
  for (auto [q, e] : queues)
    q->on_depth = [this, e = e](int64_t depth) {
      counters_.queue_log.push_back({state_.cycle(), e, depth});
    };
}

void Bpu::configure(const HwConfig& hw) {
  SimThread::get().call([&] { configure_now(hw); });
}

void Bpu::configure_now(const HwConfig& hw) {
  hw_ = hw;
  feature_.configure(hw.feature_sram_bytes, hw.feature_sram_banks, hw.sram_ports);
  weight_.configure(hw.weight_sram_bytes, hw.weight_sram_banks, hw.sram_ports);
  acc_.configure(hw.acc_sram_bytes, hw.acc_sram_banks, hw.sram_ports);
  output_.configure(hw.output_sram_bytes, hw.output_sram_banks, hw.sram_ports);
  param_.configure(hw.param_sram_bytes, 1, hw.sram_ports);
  ddr_.reset(hw.ddr_size_bytes);
  dma_.configure(hw);
  mac_.configure(hw);
  requant_.configure(hw);
  vector_.configure(hw);
}

void Bpu::reset_run() {
  state_.abort = false;
  state_.fault.reset();
  state_.start_cycle = now_cycle();
  counters_ = runtime::PerfCounters{};
  for (InstrQueue* q : {&load_q_, &compute_q_, &store_q_}) q->reset(hw_.queue_depth);
  for (TokenFifo* t : {&l2c_, &c2l_, &c2s_, &s2c_}) t->reset(hw_.token_depth);
  dma_.port.reset();
  arbiter_.reset();
  for (Activity* a : {&mac_.activity, &requant_.activity, &vector_.activity, &control_.activity})
    a->busy_cycles = 0;
}

std::optional<runtime::Fault> Bpu::deadlock() const {
  for (const QueueEngine* e : {&load_, &compute_, &store_}) {
    if (e->idle()) continue;
    const Decoded* d = e->current();
    runtime::Fault f;
    f.unit = e->basename();
    f.reason = cat("deadlock: the ", e->basename(), " waits for ", e->waiting_for(),
                   " that no instruction will provide");
    if (d != nullptr) {
      f.instr_index = d->index;
      f.opcode = d->name();
      f.fields = d->fields_text();
    }
    return f;
  }
  if (!controller_.idle()) {
    runtime::Fault f;
    f.unit = "fetch";
    f.reason = "deadlock: the controller cannot dispatch into a full queue";
    return f;
  }
  return std::nullopt;
}

runtime::SegmentResult Bpu::run(std::span<const isa::Instruction> code, int64_t first,
                                int64_t end) {
  require(first >= 0 && first <= end && end <= static_cast<int64_t>(code.size()), "BPU segment [",
          first, ", ", end, ") is outside CODE (", code.size(), " instructions)");
  return SimThread::get().call([&] { return run_now(code, first, end); });
}

runtime::SegmentResult Bpu::run_now(std::span<const isa::Instruction> code, int64_t first,
                                    int64_t end) {
  program_.clear();
  program_.reserve(static_cast<size_t>(end - first));
  for (int64_t i = first; i < end; ++i) program_.push_back(Decoded::from(i, code[i]));
  controller_.load(program_);
  reset_run();
  state_.start.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  runtime::SegmentResult result;
  result.cycles = state_.cycle();
  if (!state_.fault) {
    if (auto f = deadlock()) {
      state_.raise(*f);
      sc_core::sc_start();  // unwind the blocked processes
    }
  }
  if (state_.fault) {
    result.fault = state_.fault;
    result.cycles = state_.fault->cycle;
  }
  counters_.cycles = result.cycles;
  counters_.unit_busy[static_cast<int>(runtime::UnitId::kDdr)] = dma_.port.busy_cycles();
  counters_.unit_busy[static_cast<int>(runtime::UnitId::kMac)] = mac_.activity.busy_cycles;
  counters_.unit_busy[static_cast<int>(runtime::UnitId::kRequant)] = requant_.activity.busy_cycles;
  counters_.unit_busy[static_cast<int>(runtime::UnitId::kVector)] = vector_.activity.busy_cycles;
  counters_.unit_busy[static_cast<int>(runtime::UnitId::kControl)] = control_.activity.busy_cycles;
  result.counters = std::move(counters_);
  counters_ = runtime::PerfCounters{};
  return result;
}

void Bpu::open_vcd(const std::string& path) {
  SimThread::get().call([&] { open_vcd_now(path); });
}

void Bpu::close_vcd() {
  SimThread::get().call([&] { close_vcd_now(); });
}

void Bpu::open_vcd_now(const std::string& path) {
  close_vcd_now();
  std::string base = path;
  if (base.size() > 4 && base.substr(base.size() - 4) == ".vcd") base.resize(base.size() - 4);
  vcd_ = sc_core::sc_create_vcd_trace_file(base.c_str());
  vcd_->set_time_unit(1, sc_core::SC_NS);
  sc_core::sc_trace(vcd_, controller_.pc, "fetch.pc");
  for (const QueueEngine* e : {&load_, &compute_, &store_}) {
    sc_core::sc_trace(vcd_, e->busy, std::string(e->basename()) + ".busy");
    sc_core::sc_trace(vcd_, e->instr, std::string(e->basename()) + ".instr");
  }
  for (const InstrQueue* q : {&load_q_, &compute_q_, &store_q_})
    sc_core::sc_trace(vcd_, q->depth_signal, std::string(q->basename()) + ".depth");
  for (const TokenFifo* t : {&l2c_, &c2l_, &c2s_, &s2c_})
    sc_core::sc_trace(vcd_, t->count_signal, std::string("tokens.") + t->basename());
  sc_core::sc_trace(vcd_, mac_.activity.busy, "mac_array.busy");
  sc_core::sc_trace(vcd_, requant_.activity.busy, "requantizer.busy");
  sc_core::sc_trace(vcd_, vector_.activity.busy, "vector_unit.busy");
  sc_core::sc_trace(vcd_, dma_.port.active_transfers, "ddr.active_transfers");
}

void Bpu::close_vcd_now() {
  if (vcd_ != nullptr) sc_core::sc_close_vcd_trace_file(vcd_);
  vcd_ = nullptr;
}

}  // namespace bpusim::sim
