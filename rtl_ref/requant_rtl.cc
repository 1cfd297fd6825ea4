#include "rtl_ref/requant_rtl.h"

#include "common/error.h"
#include "rtl_ref/rtl_variants.h"
#include "rtl_ref/verilated_harness.h"

namespace bpusim::rtl {
namespace {

// One verilated variant, V = Vrequant_l<lanes>_d<depth>. Also the Unit of drive_tiles().
template <class V>
class RequantModel final : public RequantRtl {
 public:
  RequantModel(int64_t lanes, int64_t depth) : lanes_(lanes), depth_(depth) {}

  int64_t lanes() const override { return lanes_; }
  int64_t depth() const override { return depth_; }
  void trace_to(const std::string& path) override { harness_.trace_to(path); }
  uint64_t cycles_simulated() const override { return harness_.cycle(); }

  UnitRun run_tiles(std::span<const RequantRtlTile> tiles, const ReadyPattern& out_ready) override {
    require(!tiles.empty(), "requant: no tile to run");
    std::vector<int64_t> n;
    for (size_t k = 0; k < tiles.size(); ++k) n.push_back(check(static_cast<int64_t>(k), tiles[k]));
    tiles_ = tiles;
    driven_load_ = driven_input_ = {-1, -1};
    UnitRun run = drive_tiles(*this, lanes_, n, out_ready);
    tiles_ = {};
    return run;
  }

  // ---- the Unit interface of drive_tiles()
  void set_load(bool valid, int64_t tile, int64_t lane) {
    V& io = harness_.io();
    io.p_valid = valid;
    io.p_last = valid && lane == lanes_ - 1;  // unit tiles load every lane
    if (!valid || driven_load_ == Beat{tile, lane}) return;
    const RequantRtlTile& t = tiles_[tile];
    io.p_fixed = t.fixed;
    io.p_passthru = t.passthru;
    io.p_has_res = t.has_res;
    io.p_res_signed = t.res_signed;
    const RequantRecordBytes& rec = t.records[lane];
    for (unsigned b = 0; b < rec.size(); ++b) put_bits(io.p_record, 8 * b, 8, rec[b]);
    driven_load_ = {tile, lane};
  }
  void set_input(bool valid, int64_t tile, int64_t i, bool last) {
    V& io = harness_.io();
    io.in_valid = valid;
    io.in_last = last;
    if (!valid || driven_input_ == Beat{tile, i}) return;
    const RequantRtlTile& t = tiles_[tile];
    for (int64_t l = 0; l < lanes_; ++l) {
      put_bits(io.in_acc, 32 * l, 32, static_cast<uint32_t>(t.accs[i * lanes_ + l]));
      put_bits(io.in_res, 8 * l, 8, t.residual.empty() ? 0 : t.residual[i * lanes_ + l]);
    }
    driven_input_ = {tile, i};
  }
  void set_out_ready(bool ready) { harness_.io().out_ready = ready; }
  void settle() { harness_.settle(); }
  void tick() { harness_.tick(); }
  bool load_ready() { return harness_.io().p_ready; }
  bool input_ready() { return harness_.io().in_ready; }
  bool out_valid() { return harness_.io().out_valid; }
  bool out_last() { return harness_.io().out_last; }
  void read_out(std::vector<int32_t>& out) {
    for (int64_t l = 0; l < lanes_; ++l)
      out.push_back(static_cast<int32_t>(get_bits(harness_.io().out_data, 32 * l, 32)));
  }

 private:
  using Beat = std::pair<int64_t, int64_t>;  // (tile, index) whose data the ports hold

  // Validates tile k against the ports; returns its vector count.
  int64_t check(int64_t k, const RequantRtlTile& t) const {
    require(static_cast<int64_t>(t.records.size()) == lanes_, "requant tile ", k, ": ",
            t.records.size(), " parameter records, the unit has ", lanes_, " lanes");
    require(!t.accs.empty() && t.accs.size() % lanes_ == 0, "requant tile ", k, ": ", t.accs.size(),
            " accumulators is not a positive multiple of lanes = ", lanes_);
    require(t.residual.empty() || t.residual.size() == t.accs.size(), "requant tile ", k, ": ",
            t.residual.size(), " residual bytes, expected ", t.accs.size(), " or none");
    return static_cast<int64_t>(t.accs.size()) / lanes_;
  }

  const int64_t lanes_;
  const int64_t depth_;
  Harness<V> harness_;
  std::span<const RequantRtlTile> tiles_;
  Beat driven_load_{-1, -1};  // skip re-driving unchanged data
  Beat driven_input_{-1, -1};
};

}  // namespace

std::unique_ptr<RequantRtl> RequantRtl::create(int64_t lanes, int64_t depth) {
#define BPUSIM_REQUANT_CASE(V, L, D) \
  if (lanes == (L) && depth == (D)) return std::make_unique<RequantModel<V>>(L, D);
  BPUSIM_RTL_REQUANT_VARIANTS(BPUSIM_REQUANT_CASE)
#undef BPUSIM_REQUANT_CASE
  fail("rtl_ref: no verilated requant for ", lanes, " lanes (mac.rows) and pipeline depth ", depth,
       " (requant.pipeline_depth) (available: ", variants(),
       "; add one in rtl_ref/CMakeLists.txt)");
}

std::unique_ptr<RequantRtl> RequantRtl::create(const HwConfig& hw) {
  return create(hw.mac_rows, hw.requant_pipeline_depth);
}

std::string RequantRtl::variants() {
  std::string s;
#define BPUSIM_REQUANT_NAME(V, L, D) \
  s += std::string(s.empty() ? "" : ", ") + #L " lanes depth " #D;
  BPUSIM_RTL_REQUANT_VARIANTS(BPUSIM_REQUANT_NAME)
#undef BPUSIM_REQUANT_NAME
  return s;
}

}  // namespace bpusim::rtl
