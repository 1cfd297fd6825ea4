#include "tests/rtl_ref/systemc_backend.h"

#include "isa/param_record.h"
#include "sim/mac_array.h"
#include "sim/requantizer.h"

namespace bpusim::tile {
namespace {

isa::ParamRecord record_of(const ir::RequantChannel& ch) {
  isa::ParamRecord r;
  r.bias = ch.bias;
  r.scale = ch.scale;
  r.mult = ch.mult;
  r.shift = ch.shift;
  r.zp = ch.zp;
  r.min = ch.min;
  r.max = ch.max;
  r.add_const = ch.add.add_const;
  r.add_mult_a = ch.add.add_mult_a;
  r.add_mult_b = ch.add.add_mult_b;
  r.add_shift = ch.add.add_shift;
  r.add_zp = ch.add.add_zp;
  r.add_min = ch.add.add_min;
  r.add_max = ch.add.add_max;
  return r;
}

class SystemcBackend final : public TileBackend {
 public:
  explicit SystemcBackend(const HwConfig& hw) : hw_(hw) {}
  std::string name() const override { return "systemc"; }

  TileResult run_mac_tile(const MacTile& t) override {
    validate(t, hw_);
    sim::TileRun run = sim::run_mac_tile(hw_, t.weights, t.w_type == DType::kI8, t.w_zp, t.inputs,
                                         t.x_type == DType::kI8, t.x_zp, t.acc_in, t.out_ready);
    return {std::move(run.out), run.cycles};
  }

  TileResult run_requant(const RequantTile& t) override {
    validate(t, hw_);
    std::vector<isa::ParamRecord> records;
    for (const ir::RequantChannel& ch : t.rq.channels) records.push_back(record_of(ch));
    const sim::OutType type = t.rq.mode == ir::Stage1Mode::kInt32 ? sim::OutType::kI32
                              : t.rq.out_dtype == DType::kI8      ? sim::OutType::kI8
                                                                  : sim::OutType::kU8;
    sim::TileRun run =
        sim::run_requant_tile(hw_, records, t.rq.mode == ir::Stage1Mode::kFixed, type, t.rq.has_add,
                              t.res_type == DType::kI8, t.accs, t.residual, t.out_ready);
    return {std::move(run.out), run.cycles};
  }

 private:
  HwConfig hw_;
};

}  // namespace

std::unique_ptr<TileBackend> make_sim_tile_backend(const HwConfig& hw) {
  return std::make_unique<SystemcBackend>(hw);
}

}  // namespace bpusim::tile
