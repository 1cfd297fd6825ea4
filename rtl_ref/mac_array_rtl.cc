#include "rtl_ref/mac_array_rtl.h"

#include "common/error.h"
#include "rtl_ref/rtl_variants.h"
#include "rtl_ref/verilated_harness.h"

namespace bpusim::rtl {
namespace {

// A zero point must fit the 9-bit signed port field.
void check_zp(int64_t tile, const char* field, int32_t zp) {
  require(zp >= -256 && zp <= 255, "mac_array tile ", tile, ": ", field, " = ", zp,
          " does not fit the 9-bit signed zero point field [-256, 255]");
}

// One verilated geometry, V = Vmac_array_<rows>x<cols>. Also the Unit of drive_tiles().
template <class V>
class MacArrayModel final : public MacArrayRtl {
 public:
  MacArrayModel(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {
    while ((int64_t{1} << levels_) < cols_) ++levels_;  // the whole adder tree
  }

  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  void trace_to(const std::string& path) override { harness_.trace_to(path); }
  uint64_t cycles_simulated() const override { return harness_.cycle(); }

  UnitRun run_tiles(std::span<const MacArrayTile> tiles, const ReadyPattern& out_ready) override {
    require(!tiles.empty(), "mac_array: no tile to run");
    std::vector<int64_t> n;
    for (size_t k = 0; k < tiles.size(); ++k) n.push_back(check(static_cast<int64_t>(k), tiles[k]));
    tiles_ = tiles;
    driven_load_ = driven_input_ = {-1, -1};
    UnitRun run = drive_tiles(*this, rows_, n, out_ready);
    tiles_ = {};
    return run;
  }

  // ---- the Unit interface of drive_tiles()
  void set_load(bool valid, int64_t tile, int64_t row) {
    V& io = harness_.io();
    io.w_valid = valid;
    io.w_last = valid && row == rows_ - 1;  // unit tiles load every row
    if (!valid || driven_load_ == Beat{tile, row}) return;
    const MacArrayTile& t = tiles_[tile];
    io.w_signed = t.w_signed;
    put_bits(io.w_zp, 0, 9, static_cast<uint64_t>(t.w_zp));
    for (int64_t c = 0; c < cols_; ++c) put_bits(io.w_data, 8 * c, 8, t.weights[row * cols_ + c]);
    driven_load_ = {tile, row};
  }
  void set_input(bool valid, int64_t tile, int64_t i, bool last) {
    V& io = harness_.io();
    io.x_valid = valid;
    io.x_last = last;
    io.x_levels = static_cast<uint8_t>(levels_);  // unit tiles use every column
    if (!valid || driven_input_ == Beat{tile, i}) return;
    const MacArrayTile& t = tiles_[tile];
    io.x_signed = t.x_signed;
    put_bits(io.x_zp, 0, 9, static_cast<uint64_t>(t.x_zp));
    for (int64_t c = 0; c < cols_; ++c) put_bits(io.x_data, 8 * c, 8, t.inputs[i * cols_ + c]);
    for (int64_t r = 0; r < rows_; ++r) {
      const int32_t acc = t.acc_in.empty() ? 0 : t.acc_in[i * rows_ + r];
      put_bits(io.x_acc, 32 * r, 32, static_cast<uint32_t>(acc));
    }
    driven_input_ = {tile, i};
  }
  void set_out_ready(bool ready) { harness_.io().y_ready = ready; }
  void settle() { harness_.settle(); }
  void tick() { harness_.tick(); }
  bool load_ready() { return harness_.io().w_ready; }
  bool input_ready() { return harness_.io().x_ready; }
  bool out_valid() { return harness_.io().y_valid; }
  bool out_last() { return harness_.io().y_last; }
  void read_out(std::vector<int32_t>& out) {
    for (int64_t r = 0; r < rows_; ++r)
      out.push_back(static_cast<int32_t>(get_bits(harness_.io().y_data, 32 * r, 32)));
  }

 private:
  using Beat = std::pair<int64_t, int64_t>;  // (tile, index) whose data the ports hold

  // Validates tile k against the ports; returns its vector count.
  int64_t check(int64_t k, const MacArrayTile& t) const {
    require(static_cast<int64_t>(t.weights.size()) == rows_ * cols_, "mac_array tile ", k, ": ",
            t.weights.size(), " weight bytes, the ", rows_, "x", cols_, " array needs ",
            rows_ * cols_);
    require(!t.inputs.empty() && t.inputs.size() % cols_ == 0, "mac_array tile ", k, ": ",
            t.inputs.size(), " input bytes is not a positive multiple of cols = ", cols_);
    const int64_t n = static_cast<int64_t>(t.inputs.size()) / cols_;
    require(t.acc_in.empty() || static_cast<int64_t>(t.acc_in.size()) == n * rows_,
            "mac_array tile ", k, ": ", t.acc_in.size(), " accumulator inputs, expected ",
            n * rows_, " (", n, " vectors x ", rows_, " rows) or none");
    check_zp(k, "w_zp", t.w_zp);
    check_zp(k, "x_zp", t.x_zp);
    return n;
  }

  const int64_t rows_;
  const int64_t cols_;
  int64_t levels_ = 0;
  Harness<V> harness_;
  std::span<const MacArrayTile> tiles_;
  Beat driven_load_{-1, -1};  // skip re-driving unchanged data
  Beat driven_input_{-1, -1};
};

}  // namespace

std::unique_ptr<MacArrayRtl> MacArrayRtl::create(int64_t rows, int64_t cols) {
#define BPUSIM_MAC_CASE(V, R, C) \
  if (rows == (R) && cols == (C)) return std::make_unique<MacArrayModel<V>>(R, C);
  BPUSIM_RTL_MAC_VARIANTS(BPUSIM_MAC_CASE)
#undef BPUSIM_MAC_CASE
  fail("rtl_ref: no verilated mac_array for mac.rows = ", rows, ", mac.cols = ", cols,
       " (available: ", variants(), "; add one in rtl_ref/CMakeLists.txt)");
}

std::unique_ptr<MacArrayRtl> MacArrayRtl::create(const HwConfig& hw) {
  return create(hw.mac_rows, hw.mac_cols);
}

std::string MacArrayRtl::variants() {
  std::string s;
#define BPUSIM_MAC_NAME(V, R, C) s += std::string(s.empty() ? "" : ", ") + #R "x" #C;
  BPUSIM_RTL_MAC_VARIANTS(BPUSIM_MAC_NAME)
#undef BPUSIM_MAC_NAME
  return s;
}

}  // namespace bpusim::rtl
