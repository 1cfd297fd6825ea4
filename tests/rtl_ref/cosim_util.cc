#include "tests/rtl_ref/cosim_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>

namespace bpusim::tile::testing {
namespace {

constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
bool chance(std::mt19937_64& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}
int32_t any_int32(std::mt19937_64& rng) {
  return static_cast<int32_t>(rng());
}

// Accumulator-like values: small, full range, or an edge of the int32 range.
int32_t random_acc(std::mt19937_64& rng) {
  static const int32_t kEdges[] = {kI32Min, kI32Min + 1, -1, 0, 1, kI32Max - 1, kI32Max};
  const double r = std::uniform_real_distribution<double>(0, 1)(rng);
  if (r < 0.4) return static_cast<int32_t>(uniform(rng, -(1 << 16), 1 << 16));
  if (r < 0.8) return any_int32(rng);
  return kEdges[uniform(rng, 0, std::size(kEdges) - 1)];
}

// Two sorted values in [lo, hi]: a clamp range.
std::pair<int32_t, int32_t> random_range(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  if (chance(rng, 0.5)) return {static_cast<int32_t>(lo), static_cast<int32_t>(hi)};
  int64_t a = uniform(rng, lo, hi), b = uniform(rng, lo, hi);
  if (a > b) std::swap(a, b);
  return {static_cast<int32_t>(a), static_cast<int32_t>(b)};
}

float random_scale(std::mt19937_64& rng) {
  const double r = std::uniform_real_distribution<double>(0, 1)(rng);
  if (r < 0.05) return 0.5f;      // ties
  if (r < 0.07) return 3.0e38f;   // products overflow to infinity
  if (r < 0.09) return 1.0e-40f;  // subnormal
  const double e = std::uniform_real_distribution<double>(-24, 6)(rng);
  return static_cast<float>(std::exp2(e));
}

ir::RequantChannel random_channel(std::mt19937_64& rng, ir::Stage1Mode mode, DType out) {
  ir::RequantChannel ch;
  const double r = std::uniform_real_distribution<double>(0, 1)(rng);
  ch.bias = r < 0.5   ? static_cast<int32_t>(uniform(rng, -1000, 1000))
            : r < 0.8 ? any_int32(rng)
                      : 0;
  if (mode == ir::Stage1Mode::kInt32) return ch;
  const int64_t lo = ir::dtype_min(out), hi = ir::dtype_max(out);
  if (mode == ir::Stage1Mode::kFp32) {
    ch.scale = random_scale(rng);
  } else {
    const double m = std::uniform_real_distribution<double>(0, 1)(rng);
    ch.mult = m < 0.05  ? 0
              : m < 0.1 ? (1 << 30)
                        : static_cast<int32_t>(uniform(rng, 1 << 30, kI32Max));
    ch.shift = static_cast<int32_t>(chance(rng, 0.7) ? uniform(rng, 20, 45) : uniform(rng, 0, 62));
  }
  ch.zp = static_cast<int32_t>(uniform(rng, lo, hi));
  std::tie(ch.min, ch.max) = random_range(rng, lo, hi);
  ir::AddParams& a = ch.add;
  a.add_const =
      chance(rng, 0.5) ? static_cast<int32_t>(uniform(rng, -(1 << 20), 1 << 20)) : any_int32(rng);
  a.add_mult_a = chance(rng, 0.5) ? static_cast<int32_t>(uniform(rng, 0, 1 << 20)) : any_int32(rng);
  a.add_mult_b = chance(rng, 0.5) ? static_cast<int32_t>(uniform(rng, 0, 1 << 20)) : any_int32(rng);
  a.add_shift = static_cast<int32_t>(uniform(rng, 0, 31));
  a.add_zp = static_cast<int32_t>(uniform(rng, lo, hi));
  std::tie(a.add_min, a.add_max) = random_range(rng, lo, hi);
  return ch;
}

}  // namespace

HwConfig geometry(int64_t rows, int64_t cols, int64_t requant_depth) {
  HwConfig hw;
  hw.mac_rows = rows;
  hw.mac_cols = cols;
  hw.requant_pipeline_depth = requant_depth;
  hw.validate();
  return hw;
}

ReadyPattern random_ready(std::mt19937_64& rng, int max_len, double p) {
  ReadyPattern ready(uniform(rng, 1, max_len));
  for (auto& r : ready) r = chance(rng, p);
  ready[uniform(rng, 0, ready.size() - 1)] = 1;
  return ready;
}

MacTile random_mac_tile(std::mt19937_64& rng, const HwConfig& hw, int64_t max_vectors) {
  const int64_t n = uniform(rng, 1, max_vectors);
  MacTile t;
  auto pick_operand = [&](DType& type, int32_t& zp) {
    type = chance(rng, 0.5) ? DType::kI8 : DType::kU8;
    const int64_t lo = ir::dtype_min(type), hi = ir::dtype_max(type);
    zp = static_cast<int32_t>(chance(rng, 0.2) ? (chance(rng, 0.5) ? lo : hi)
                                               : uniform(rng, lo, hi));
  };
  pick_operand(t.w_type, t.w_zp);
  pick_operand(t.x_type, t.x_zp);
  t.weights.resize(hw.mac_rows * hw.mac_cols);
  t.inputs.resize(n * hw.mac_cols);
  const bool extreme = chance(rng, 0.1);  // only 0x00/0x7f/0x80/0xff bytes
  auto byte = [&] {
    static const uint8_t kExtremes[] = {0x00, 0x7f, 0x80, 0xff};
    return extreme ? kExtremes[uniform(rng, 0, 3)] : static_cast<uint8_t>(rng());
  };
  for (auto& w : t.weights) w = byte();
  for (auto& x : t.inputs) x = byte();
  const double a = std::uniform_real_distribution<double>(0, 1)(rng);
  if (a > 1.0 / 3) {
    t.acc_in.resize(n * hw.mac_rows);
    for (auto& v : t.acc_in)
      v = a < 2.0 / 3 ? static_cast<int32_t>(uniform(rng, -(1 << 20), 1 << 20)) : any_int32(rng);
  }
  if (chance(rng, 0.25)) t.out_ready = random_ready(rng, 17, 0.5);
  return t;
}

RequantTile random_requant_tile(std::mt19937_64& rng, const HwConfig& hw, int64_t max_vectors) {
  const int64_t n = uniform(rng, 1, max_vectors), lanes = hw.mac_rows;
  RequantTile t;
  const double m = std::uniform_real_distribution<double>(0, 1)(rng);
  t.rq.mode = m < 0.4   ? ir::Stage1Mode::kFp32
              : m < 0.8 ? ir::Stage1Mode::kFixed
                        : ir::Stage1Mode::kInt32;
  const bool pass = t.rq.mode == ir::Stage1Mode::kInt32;
  t.rq.out_dtype = pass ? DType::kI32 : chance(rng, 0.5) ? DType::kU8 : DType::kI8;
  t.rq.has_add = !pass && chance(rng, 0.35);
  for (int64_t l = 0; l < lanes; ++l)
    t.rq.channels.push_back(random_channel(rng, t.rq.mode, t.rq.out_dtype));
  t.accs.resize(n * lanes);
  for (auto& a : t.accs) a = random_acc(rng);
  if (t.rq.has_add) {
    t.res_type = chance(rng, 0.5) ? DType::kI8 : DType::kU8;
    t.residual.resize(n * lanes);
    for (auto& b : t.residual) b = static_cast<uint8_t>(rng());
  }
  if (chance(rng, 0.25)) t.out_ready = random_ready(rng, 17, 0.5);
  return t;
}

ir::RequantChannel plain_channel(ir::Stage1Mode mode, DType out) {
  ir::RequantChannel ch;
  ch.scale = 1.0f;
  ch.mult = 1 << 30;
  ch.shift = 30;  // x * 2^30 / 2^30 = x
  ch.min = static_cast<int32_t>(ir::dtype_min(out));
  ch.max = static_cast<int32_t>(ir::dtype_max(out));
  if (mode == ir::Stage1Mode::kInt32) ch.min = ch.max = 0;
  ch.add = {0, 1, 0, 0, 0, ch.min, ch.max};
  return ch;
}

std::string first_difference(const std::vector<int32_t>& got, const std::vector<int32_t>& want,
                             int64_t width) {
  if (got.size() != want.size())
    return "got " + std::to_string(got.size()) + " values, want " + std::to_string(want.size());
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i]) {
      std::ostringstream s;
      s << "vector " << i / width << ", lane " << i % width << ": got " << got[i] << ", want "
        << want[i];
      return s.str();
    }
  return "";
}

std::string describe(const MacTile& t, const HwConfig& hw) {
  std::ostringstream s;
  s << hw.mac_rows << "x" << hw.mac_cols << " MAC tile, " << t.inputs.size() / hw.mac_cols
    << " vectors, w " << dtype_name(t.w_type) << " zp " << t.w_zp << ", x " << dtype_name(t.x_type)
    << " zp " << t.x_zp << (t.acc_in.empty() ? ", no acc_in" : ", acc_in") << ", ready pattern of "
    << t.out_ready.size();
  return s.str();
}

std::string describe(const RequantTile& t, const HwConfig& hw) {
  std::ostringstream s;
  s << hw.mac_rows << "-lane depth-" << hw.requant_pipeline_depth << " requant tile, "
    << t.accs.size() / hw.mac_rows << " vectors, mode " << ir::stage1_mode_name(t.rq.mode)
    << ", out " << dtype_name(t.rq.out_dtype)
    << (t.rq.has_add
            ? std::string(", stage 2 with ") + std::string(dtype_name(t.res_type)) + " residual"
            : std::string(""))
    << ", ready pattern of " << t.out_ready.size();
  return s.str();
}

}  // namespace bpusim::tile::testing
