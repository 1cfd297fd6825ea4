// The golden backend: every output comes from the golden reference (golden/ops.h); this
// file only reshapes tiles into tensors. Untimed.
#include <cstring>

#include "golden/ops.h"
#include "rtl_ref/tiles/tile_driver.h"

namespace bpusim::tile {
namespace {

// A tensor of element type `t` holding raw bytes (uint8 or int8 elements).
Tensor byte_tensor(DType t, Shape shape, const std::vector<uint8_t>& bytes) {
  Tensor out(t, std::move(shape));
  std::memcpy(out.bytes().data(), bytes.data(), bytes.size());
  return out;
}

std::vector<int32_t> int32_values(const Tensor& t) {
  std::vector<int32_t> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = static_cast<int32_t>(t.as_int(i));
  return v;
}

class GoldenBackend final : public TileBackend {
 public:
  explicit GoldenBackend(const HwConfig& hw) : hw_(hw) {}
  std::string name() const override { return "golden"; }

  // The array's tile is a matrix product: x [n, cols] times W^T [cols, rows], plus acc_in.
  TileResult run_mac_tile(const MacTile& t) override {
    validate(t, hw_);
    const int64_t rows = hw_.mac_rows, cols = hw_.mac_cols;
    const int64_t n = static_cast<int64_t>(t.inputs.size()) / cols;
    std::vector<uint8_t> wt(t.weights.size());  // transposed: [c][r]
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) wt[c * rows + r] = t.weights[r * cols + c];
    const Tensor sums =
        golden::matmul_acc(byte_tensor(t.x_type, {n, cols}, t.inputs), t.x_zp,
                           byte_tensor(t.w_type, {cols, rows}, wt), t.w_zp, "mac tile");
    TileResult res{int32_values(sums), std::nullopt};
    if (!t.acc_in.empty())
      for (size_t i = 0; i < res.out.size(); ++i)
        res.out[i] = golden::wrap32(int64_t{t.acc_in[i]} + res.out[i]);
    return res;
  }

  // The lanes are the channel axis of an [n, lanes] accumulator tensor.
  TileResult run_requant(const RequantTile& t) override {
    validate(t, hw_);
    const int64_t lanes = hw_.mac_rows;
    const int64_t n = static_cast<int64_t>(t.accs.size()) / lanes;
    const Tensor acc = Tensor::from<int32_t>({n, lanes}, t.accs);
    const Tensor res = t.rq.has_add ? byte_tensor(t.res_type, {n, lanes}, t.residual) : Tensor();
    const Tensor y =
        golden::requantize(acc, 1, t.rq, t.rq.has_add ? &res : nullptr, "requant tile");
    return {int32_values(y), std::nullopt};
  }

 private:
  const HwConfig hw_;
};

}  // namespace

std::unique_ptr<TileBackend> make_golden_backend(const HwConfig& hw) {
  return std::make_unique<GoldenBackend>(hw);
}

}  // namespace bpusim::tile
