// The RTL backend: rtl_ref's verilated MAC array and requantizer for the configuration's
// geometry, driven cycle by cycle through their ports. Timed.
#include "compiler/requant_record.h"
#include "isa/param_record.h"
#include "rtl_ref/mac_array_rtl.h"
#include "rtl_ref/requant_rtl.h"
#include "rtl_ref/tiles/tile_driver.h"

namespace bpusim::tile {
namespace {

class RtlBackend final : public TileBackend {
 public:
  explicit RtlBackend(const HwConfig& hw) : hw_(hw) {}
  std::string name() const override { return "rtl"; }

  TileResult run_mac_tile(const MacTile& t) override {
    validate(t, hw_);
    rtl::MacArrayTile io;
    io.weights = t.weights;
    io.w_signed = t.w_type == DType::kI8;
    io.w_zp = t.w_zp;
    io.inputs = t.inputs;
    io.x_signed = t.x_type == DType::kI8;
    io.x_zp = t.x_zp;
    io.acc_in = t.acc_in;
    rtl::UnitRun run = mac().run_tile(io, t.out_ready);
    return {std::move(run.out), run.cycles};
  }

  TileResult run_requant(const RequantTile& t) override {
    validate(t, hw_);
    rtl::RequantRtlTile io;
    for (const ir::RequantChannel& ch : t.rq.channels)
      io.records.push_back(isa::pack(compiler::param_record(ch)));
    io.fixed = t.rq.mode != ir::Stage1Mode::kFp32;
    io.passthru = t.rq.mode == ir::Stage1Mode::kInt32;
    io.has_res = t.rq.has_add;
    io.res_signed = t.res_type == DType::kI8;
    io.accs = t.accs;
    io.residual = t.residual;
    rtl::UnitRun run = requant().run_tile(io, t.out_ready);
    return {std::move(run.out), run.cycles};
  }

  void trace_to(const std::string& prefix) override {
    mac().trace_to(prefix + "_mac_array.fst");
    requant().trace_to(prefix + "_requant.fst");
  }

 private:
  // Units are verilated per geometry; each is created on first use so that a configuration
  // whose requantizer variant is missing can still run MAC tiles (and vice versa).
  rtl::MacArrayRtl& mac() {
    if (!mac_) mac_ = rtl::MacArrayRtl::create(hw_);
    return *mac_;
  }
  rtl::RequantRtl& requant() {
    if (!requant_) requant_ = rtl::RequantRtl::create(hw_);
    return *requant_;
  }

  const HwConfig hw_;
  std::unique_ptr<rtl::MacArrayRtl> mac_;
  std::unique_ptr<rtl::RequantRtl> requant_;
};

}  // namespace

std::unique_ptr<TileBackend> make_rtl_backend(const HwConfig& hw) {
  return std::make_unique<RtlBackend>(hw);
}

}  // namespace bpusim::tile
