// The two SystemC backends of the tile driver (tile_driver.h):
//   systemc       the SystemC model itself: each tile is one instruction on the Bpu (sim/bpu.h,
//                 through the runtime::Backend "systemc", sim/systemc_backend.h) — a MAC tile
//                 one CONV, a requantizer tile one REQUANT — so the MacArray / Requantizer
//                 modules compute the outputs and the instruction's duration gives the cycles.
//                 The model (like the RTL core) applies no output back pressure to its units:
//                 a tile with a ready pattern is an Error naming systemc-rule.
//   systemc-rule  the stall-domain rule of docs/timing.md "Rule 6/7 with back pressure"
//                 (sim::run_mac_tile, sim::run_requant_tile): the units' arithmetic functions,
//                 with timing::pipelined_tile_latency stepping the rule. No SystemC module runs.
#include <cstring>

#include "common/error.h"
#include "compiler/requant_record.h"
#include "isa/param_record.h"
#include "rtl_ref/tiles/tile_driver.h"
#include "sim/mac_array.h"
#include "sim/requantizer.h"
#include "sim/sram.h"
#include "sim/systemc_backend.h"

namespace bpusim::tile {
namespace {

// A requantizer tile in the terms of sim/requantizer.h.
struct RequantArgs {
  std::vector<isa::ParamRecord> records;  // one per lane
  bool fixed = false;
  sim::OutType type = sim::OutType::kU8;
  bool res_signed = false;
};
RequantArgs requant_args(const RequantTile& t) {
  RequantArgs a;
  for (const ir::RequantChannel& ch : t.rq.channels)
    a.records.push_back(compiler::param_record(ch));
  a.fixed = t.rq.mode == ir::Stage1Mode::kFixed;
  a.type = t.rq.mode == ir::Stage1Mode::kInt32 ? sim::OutType::kI32
           : t.rq.out_dtype == DType::kI8      ? sim::OutType::kI8
                                               : sim::OutType::kU8;
  a.res_signed = t.res_type == DType::kI8;
  return a;
}

// The SystemC model: one tile = one instruction on the Bpu.
class SystemcBackend final : public TileBackend {
 public:
  explicit SystemcBackend(const HwConfig& hw) : hw_(hw) {}
  std::string name() const override { return "systemc"; }
  bool accepts_back_pressure() const override { return false; }

  TileResult run_mac_tile(const MacTile& t) override {
    validate(t, hw_);
    refuse_back_pressure("mac tile", t.out_ready);
    const int64_t n = static_cast<int64_t>(t.inputs.size()) / hw_.mac_cols;
    const std::vector<int32_t> acc =
        t.acc_in.empty() ? std::vector<int32_t>(static_cast<size_t>(n * hw_.mac_rows), 0)
                         : t.acc_in;
    put(sim::Buf::kFeature, t.inputs.data(), t.inputs.size());
    put(sim::Buf::kWeight, t.weights.data(), t.weights.size());  // [out_c][in_c]
    put(sim::Buf::kAcc, acc.data(), acc.size() * 4);
    const int64_t cycles = run(
        sim::mac_tile_conv(hw_, n, t.w_type == DType::kI8, t.w_zp, t.x_type == DType::kI8, t.x_zp));
    std::vector<int32_t> out(acc.size());
    std::memcpy(out.data(), model().sram(static_cast<int>(sim::Buf::kAcc)).data(), acc.size() * 4);
    return {std::move(out), cycles};
  }

  TileResult run_requant(const RequantTile& t) override {
    validate(t, hw_);
    refuse_back_pressure("requant tile", t.out_ready);
    const RequantArgs a = requant_args(t);
    const int64_t count = static_cast<int64_t>(t.accs.size());
    put(sim::Buf::kAcc, t.accs.data(), t.accs.size() * 4);
    const std::vector<uint8_t> records = isa::pack(a.records);
    put(sim::Buf::kParam, records.data(), records.size());
    put(sim::Buf::kFeature, t.residual.data(), t.residual.size());
    const int64_t cycles = run(sim::requant_tile_op(hw_, count / hw_.mac_rows, a.fixed, a.type,
                                                    t.rq.has_add, a.res_signed));
    return {sim::requant_results(model().sram(static_cast<int>(sim::Buf::kOutput)).data(), count,
                                 a.type),
            cycles};
  }

 private:
  static void refuse_back_pressure(const char* what, const ReadyPattern& ready) {
    require(
        ready.empty(), what, ": the SystemC model applies no output back pressure to its units",
        " (nor does the RTL core); a tile with an output ready pattern runs by the stall-domain",
        " rule on the 'systemc-rule' backend");
  }

  // The Bpu is one per process (sim/systemc_backend.h): configured for this backend's
  // hardware unless this backend was the last to configure it.
  runtime::Backend& model() {
    if (configured_ != id_) {
      model_.configure(hw_);
      configured_ = id_;
    }
    return model_;
  }

  void put(sim::Buf b, const void* data, size_t bytes) {
    const std::span<uint8_t> sram = model().sram(static_cast<int>(b));
    require(bytes <= sram.size(), "systemc tile backend: the tile's ", bytes, " bytes exceed the ",
            sim::buf_name(b), " SRAM (", sram.size(), " bytes)");
    if (bytes) std::memcpy(sram.data(), data, bytes);
  }

  // Runs `f` alone as one segment. The tile's cycles (docs/microarch.md: first beat accepted
  // to last output valid) are the instruction's duration minus 1: the instruction ends the
  // cycle after the last output valid (docs/timing.md rules 6 and 7).
  int64_t run(const isa::Operands& f) {
    const isa::Instruction code = isa::encode(f);
    const runtime::SegmentResult r = model().run({&code, 1}, 0, 1);
    if (r.fault) fail("systemc tile backend: ", r.fault->message());
    require(r.counters.instrs.size() == 1, "systemc tile backend: ", r.counters.instrs.size(),
            " instruction records for one instruction");
    return r.counters.instrs[0].end - r.counters.instrs[0].start - 1;
  }

  HwConfig hw_;
  sim::SystemcBackend model_;
  static inline int64_t next_id_ = 0;
  static inline int64_t configured_ = 0;  // id_ of the backend the Bpu is configured for
  const int64_t id_ = ++next_id_;
};

// The stall-domain rule: sim::run_mac_tile / sim::run_requant_tile.
class SystemcRuleBackend final : public TileBackend {
 public:
  explicit SystemcRuleBackend(const HwConfig& hw) : hw_(hw) {}
  std::string name() const override { return "systemc-rule"; }

  TileResult run_mac_tile(const MacTile& t) override {
    validate(t, hw_);
    sim::TileRun run = sim::run_mac_tile(hw_, t.weights, t.w_type == DType::kI8, t.w_zp, t.inputs,
                                         t.x_type == DType::kI8, t.x_zp, t.acc_in, t.out_ready);
    return {std::move(run.out), run.cycles};
  }

  TileResult run_requant(const RequantTile& t) override {
    validate(t, hw_);
    const RequantArgs a = requant_args(t);
    sim::TileRun run = sim::run_requant_tile(hw_, a.records, a.fixed, a.type, t.rq.has_add,
                                             a.res_signed, t.accs, t.residual, t.out_ready);
    return {std::move(run.out), run.cycles};
  }

 private:
  HwConfig hw_;
};

}  // namespace

std::unique_ptr<TileBackend> make_systemc_backend(const HwConfig& hw) {
  return std::make_unique<SystemcBackend>(hw);
}

std::unique_ptr<TileBackend> make_systemc_rule_backend(const HwConfig& hw) {
  return std::make_unique<SystemcRuleBackend>(hw);
}

}  // namespace bpusim::tile
