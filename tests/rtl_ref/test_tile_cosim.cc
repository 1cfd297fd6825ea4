// The co-simulation suite: the same MAC-array and requantizer tile operations through every
// backend of rtl_ref/tiles/tile_driver.h (instantiated once per backend below). Each operation's
// outputs must equal the golden backend's bit for bit, and a timed backend's cycle count must equal
// the reference timing loop of docs/microarch.md (rtl_ref/tiles/timing_ref.h) and, for a
// timed backend other than the RTL, the RTL's own count for the same operation.
//
// The SystemC model runs as two backends (rtl_ref/tiles/tile_driver_systemc.cc): "systemc", the
// Bpu's MacArray / Requantizer modules (each tile one instruction), for every tile without
// output back pressure — the model never applies any, so its random tiles drop their ready
// patterns and OutputBackPressure is skipped — and "systemc-rule", the stall-domain rule of
// docs/timing.md (sim::run_mac_tile, sim::run_requant_tile), for the whole suite including
// back pressure.
//
// Random tiles print their seed; BPUSIM_SEED=<seed> reproduces a run. BPUSIM_RTL_TRACE=DIR
// makes waveform-capable backends write DIR/<test>_<unit>.fst.
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "rtl_ref/tiles/tile_driver.h"
#include "rtl_ref/tiles/timing_ref.h"
#include "tests/rtl_ref/cosim_util.h"
#include "tests/support/test_util.h"

namespace bpusim::tile {
namespace {

using testing::describe;
using testing::first_difference;
using testing::geometry;
using testing::plain_channel;
using testing::test_rng;

constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int kRandomTiles = 1000;

struct Geometry {
  std::string name;
  int64_t rows, cols, depth;
};
// MAC geometries: the default array and a small, non-square one with an odd column count.
const std::vector<Geometry> kMacGeometries = {{"r32c32", 32, 32, 4}, {"r4c5", 4, 5, 4}};
// Requantizer geometries: the default, and 4 lanes at the default depth, the shortest
// pipeline and one longer than its step boundaries.
const std::vector<Geometry> kRequantGeometries = {
    {"l32d4", 32, 32, 4}, {"l4d4", 4, 5, 4}, {"l4d1", 4, 5, 1}, {"l4d9", 4, 5, 9}};

struct Param {
  std::string backend;
  Geometry geo;
};

void PrintTo(const Param& p, std::ostream* os) {
  *os << p.backend << "/" << p.geo.name;
}

std::vector<Param> params(const std::string& backend, const std::vector<Geometry>& geos) {
  std::vector<Param> out;
  for (const Geometry& g : geos) out.push_back({backend, g});
  return out;
}
std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return info.param.geo.name;
}

class CosimTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const Geometry& g = GetParam().geo;
    hw_ = geometry(g.rows, g.cols, g.depth);
    backend_ = make_backend(GetParam().backend, hw_);
    if (!backend_) GTEST_SKIP() << "backend '" << GetParam().backend << "' is not in this build";
    golden_ = make_golden_backend(hw_);
    if (const char* dir = std::getenv("BPUSIM_RTL_TRACE")) {
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      std::string name = std::string(info->test_suite_name()) + "." + info->name();
      for (char& c : name)
        if (c == '/' || c == '.') c = '_';
      backend_->trace_to(std::string(dir) + "/" + name);
    }
  }

  // Runs `t` through the backend under test: outputs equal to golden, cycles (when timed)
  // equal to the reference loop. Returns the backend's result.
  ::testing::AssertionResult check(const MacTile& t, TileResult* result = nullptr) {
    const TileResult got = backend_->run_mac_tile(t);
    const TileResult want = golden_->run_mac_tile(t);
    if (result) *result = got;
    const std::string diff = first_difference(got.out, want.out, hw_.mac_rows);
    if (!diff.empty()) return ::testing::AssertionFailure() << describe(t, hw_) << ": " << diff;
    const int64_t n = static_cast<int64_t>(t.inputs.size()) / hw_.mac_cols;
    if (auto r = check_cycles(got, timing::mac_array(hw_), n, t.out_ready); !r) return r;
    return same_cycles_as_rtl(got, [&](TileBackend& rtl) { return rtl.run_mac_tile(t); });
  }
  ::testing::AssertionResult check(const RequantTile& t) {
    const TileResult got = backend_->run_requant(t);
    const TileResult want = golden_->run_requant(t);
    const std::string diff = first_difference(got.out, want.out, hw_.mac_rows);
    if (!diff.empty()) return ::testing::AssertionFailure() << describe(t, hw_) << ": " << diff;
    const int64_t n = static_cast<int64_t>(t.accs.size()) / hw_.mac_rows;
    if (auto r = check_cycles(got, timing::requant(hw_), n, t.out_ready); !r) return r;
    return same_cycles_as_rtl(got, [&](TileBackend& rtl) { return rtl.run_requant(t); });
  }

  // `t` as the backend under test can run it: without its output ready pattern when the
  // backend applies no back pressure (the SystemC model).
  template <class Tile>
  Tile runnable(Tile t) const {
    if (!backend_->accepts_back_pressure()) t.out_ready.clear();
    return t;
  }

  HwConfig hw_;
  std::unique_ptr<TileBackend> backend_;
  std::unique_ptr<TileBackend> golden_;
  std::unique_ptr<TileBackend> rtl_;  // cycle reference for other timed backends

 private:
  // A timed backend other than the RTL must count exactly the RTL's cycles.
  template <class Run>
  ::testing::AssertionResult same_cycles_as_rtl(const TileResult& got, Run run) {
    if (!got.cycles || backend_->name() == "rtl") return ::testing::AssertionSuccess();
    if (!rtl_) rtl_ = make_rtl_backend(hw_);
    const TileResult ref = run(*rtl_);
    if (ref.cycles == got.cycles) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << backend_->name() << ": " << *got.cycles << " cycles, the RTL: " << *ref.cycles;
  }
  static ::testing::AssertionResult check_cycles(const TileResult& got, const timing::UnitTiming& u,
                                                 int64_t n, const ReadyPattern& ready) {
    if (!got.cycles) return ::testing::AssertionSuccess();  // untimed backend
    const int64_t want = timing::cycles(u, {n}, ready);
    if (*got.cycles == want) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << n << " vectors, ready pattern of " << ready.size() << ": " << *got.cycles
           << " cycles, the contract says " << want;
  }
};

// ------------------------------------------------------------------------------------------
// MAC array
// ------------------------------------------------------------------------------------------
class MacTileTest : public CosimTest {
 protected:
  // A tile whose every weight and input byte is the same.
  MacTile uniform_tile(uint8_t w, DType wt, int32_t wzp, uint8_t x, DType xt, int32_t xzp,
                       int64_t n) const {
    MacTile t;
    t.weights.assign(hw_.mac_rows * hw_.mac_cols, w);
    t.w_type = wt;
    t.w_zp = wzp;
    t.inputs.assign(n * hw_.mac_cols, x);
    t.x_type = xt;
    t.x_zp = xzp;
    return t;
  }
};

TEST_P(MacTileTest, RandomTiles) {
  auto rng = test_rng();
  for (int i = 0; i < kRandomTiles; ++i)
    ASSERT_TRUE(check(runnable(testing::random_mac_tile(rng, hw_, 12)))) << "random tile " << i;
}

// Every combination of extreme operand bytes and extreme zero points of both types: the
// largest products of both signs in every PE.
TEST_P(MacTileTest, ExtremeOperandsAndZeroPoints) {
  struct Extreme {
    DType type;
    uint8_t byte;
    int32_t zp;
  };
  std::vector<Extreme> extremes;
  for (DType t : {DType::kI8, DType::kU8})
    for (int64_t v : {ir::dtype_min(t), ir::dtype_max(t)})
      for (int64_t zp : {ir::dtype_min(t), int64_t{0}, ir::dtype_max(t)})
        extremes.push_back({t, static_cast<uint8_t>(v), static_cast<int32_t>(zp)});
  for (const Extreme& w : extremes)
    for (const Extreme& x : extremes)
      ASSERT_TRUE(check(uniform_tile(w.byte, w.type, w.zp, x.byte, x.type, x.zp, 2)));
}

// The largest products (+-255 * 255 in every PE) on top of accumulators next to both ends of
// the int32 range: the sum wraps up and down.
TEST_P(MacTileTest, AccumulatorWrapsBothWays) {
  const int32_t most = 255 * 255 * static_cast<int32_t>(hw_.mac_cols);
  for (const auto& [w_byte, acc] : std::vector<std::pair<uint8_t, int32_t>>{
           {255, kI32Max - most / 2}, {0, kI32Min + most / 2}, {255, kI32Max}, {0, kI32Min}}) {
    // uint8 x = 255 with zp 0; weights uint8 255 (zp 0) or 0 (zp 255): products +-65025.
    MacTile t = uniform_tile(w_byte, DType::kU8, w_byte ? 0 : 255, 255, DType::kU8, 0, 3);
    t.acc_in.assign(3 * hw_.mac_rows, acc);
    TileResult r;
    ASSERT_TRUE(check(t, &r));
    // The wrap really happened (not a tautology of the check above).
    EXPECT_EQ(r.out[0] < 0, w_byte == 255) << "acc " << acc;
  }
}

// The longest accumulation: a chain of passes, each one's outputs the next one's acc_in, with
// maximal products, long enough to cross the int32 range.
TEST_P(MacTileTest, LongestAccumulationChain) {
  auto rng = test_rng();
  const int64_t passes = 64;
  MacTile t = uniform_tile(255, DType::kU8, 0, 255, DType::kU8, 0, 1);
  const int64_t per_pass = int64_t{255} * 255 * hw_.mac_cols;
  t.acc_in.assign(hw_.mac_rows, static_cast<int32_t>(kI32Max - per_pass * passes / 2));
  bool wrapped = false;
  for (int64_t p = 0; p < passes; ++p) {
    for (auto& x : t.inputs) x = static_cast<uint8_t>(rng() % 2 ? 255 : 254);
    TileResult r;
    ASSERT_TRUE(check(t, &r)) << "pass " << p;
    wrapped = wrapped || r.out[0] < t.acc_in[0];
    t.acc_in = r.out;
  }
  EXPECT_TRUE(wrapped);
}

// One vector, and a long stream of vectors in one tile.
TEST_P(MacTileTest, ShortestAndLongestStreams) {
  auto rng = test_rng();
  for (int64_t n : {1, 2, 300}) {
    MacTile t = testing::random_mac_tile(rng, hw_, 1);
    t.inputs.resize(n * hw_.mac_cols);
    for (auto& x : t.inputs) x = static_cast<uint8_t>(rng());
    t.acc_in.clear();
    t.out_ready.clear();
    ASSERT_TRUE(check(t)) << n << " vectors";
  }
}

// Output back pressure with random ready patterns of several densities: the backends that
// apply it (golden's reference loop, the RTL, the systemc-rule backend's stall-domain rule;
// the SystemC model's units never see any, so it is not instantiated there).
class MacTileBackPressureTest : public MacTileTest {};
TEST_P(MacTileBackPressureTest, OutputBackPressure) {
  ASSERT_TRUE(backend_->accepts_back_pressure());
  auto rng = test_rng();
  for (double p : {0.15, 0.5, 0.85})
    for (int i = 0; i < 30; ++i) {
      MacTile t = testing::random_mac_tile(rng, hw_, 40);
      t.out_ready = testing::random_ready(rng, 29, p);
      ASSERT_TRUE(check(t)) << "ready probability " << p << ", tile " << i;
    }
}

TEST_P(MacTileTest, InvalidTilesAreErrors) {
  using bpusim::testing::error_message;
  MacTile t = uniform_tile(1, DType::kI8, 0, 1, DType::kU8, 0, 1);
  MacTile bad = t;
  bad.weights.pop_back();
  EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("weight bytes"),
            std::string::npos);
  bad = t;
  bad.inputs.push_back(0);
  EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("input bytes"),
            std::string::npos);
  bad = t;
  bad.x_zp = 256;
  EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("input zero point 256"),
            std::string::npos);
  bad = t;
  bad.w_type = DType::kI32;
  EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("int32"), std::string::npos);
  bad = t;
  bad.acc_in.assign(3, 0);
  EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("accumulator inputs"),
            std::string::npos);
  bad = t;
  bad.out_ready = {0, 0};
  EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("never asserts ready"),
            std::string::npos);
  if (!backend_->accepts_back_pressure()) {
    bad.out_ready = {1, 0};
    EXPECT_NE(error_message([&] { backend_->run_mac_tile(bad); }).find("'systemc-rule'"),
              std::string::npos);
  }
}

// ------------------------------------------------------------------------------------------
// Requantizer
// ------------------------------------------------------------------------------------------
class RequantTileTest : public CosimTest {
 protected:
  // A tile of `mode` whose every lane uses `ch` and whose vectors are `accs` spread over
  // the lanes (padded with zeros to whole vectors).
  RequantTile tile(ir::Stage1Mode mode, DType out, const ir::RequantChannel& ch,
                   std::vector<int32_t> accs) const {
    RequantTile t;
    t.rq.mode = mode;
    t.rq.out_dtype = out;
    t.rq.channels.assign(hw_.mac_rows, ch);
    while (accs.empty() || accs.size() % hw_.mac_rows) accs.push_back(0);
    t.accs = std::move(accs);
    return t;
  }
  // Adds stage 2 with `residual` bytes of type `res` (cycled over the accumulators).
  static void add_stage2(RequantTile& t, const ir::AddParams& add, DType res,
                         const std::vector<uint8_t>& residual) {
    t.rq.has_add = true;
    for (auto& ch : t.rq.channels) ch.add = add;
    t.res_type = res;
    t.residual.resize(t.accs.size());
    for (size_t i = 0; i < t.residual.size(); ++i) t.residual[i] = residual[i % residual.size()];
  }
  // Runs `t` and returns the outputs after checking them against golden.
  std::vector<int32_t> run_checked(const RequantTile& t) {
    EXPECT_TRUE(check(t));
    return golden_->run_requant(t).out;
  }
};

TEST_P(RequantTileTest, RandomTiles) {
  auto rng = test_rng();
  for (int i = 0; i < kRandomTiles; ++i)
    ASSERT_TRUE(check(runnable(testing::random_requant_tile(rng, hw_, 10)))) << "random tile " << i;
}

// Stage 1 saturates to int32 both ways, then the output clamps both ways.
TEST_P(RequantTileTest, SaturationBothWays) {
  const std::vector<int32_t> accs = {kI32Max,     kI32Min, kI32Max - 1,
                                     kI32Min + 1, 1 << 24, -(1 << 24)};
  for (DType out : {DType::kU8, DType::kI8}) {
    ir::RequantChannel fixed = plain_channel(ir::Stage1Mode::kFixed, out);
    fixed.mult = kI32Max;
    fixed.shift = 0;                                      // |acc * mult| up to 2^62: saturates
    fixed.zp = static_cast<int32_t>(ir::dtype_max(out));  // q + zp saturates too
    const auto y = run_checked(tile(ir::Stage1Mode::kFixed, out, fixed, accs));
    EXPECT_EQ(y[0], ir::dtype_max(out));
    EXPECT_EQ(y[1], ir::dtype_min(out));
    ir::RequantChannel fp = plain_channel(ir::Stage1Mode::kFp32, out);
    for (float scale : {3.0e38f, 1.0e10f, 1.0f}) {
      fp.scale = scale;
      const auto z = run_checked(tile(ir::Stage1Mode::kFp32, out, fp, accs));
      EXPECT_EQ(z[0], ir::dtype_max(out)) << scale;
      EXPECT_EQ(z[1], ir::dtype_min(out)) << scale;
    }
  }
}

// Exact halves of both signs: fixed mode rounds them away from zero, fp32 mode to even,
// stage 2 away from zero.
TEST_P(RequantTileTest, RoundingTiesOfBothSigns) {
  std::vector<int32_t> odd;
  for (int32_t v : {1, 3, 5, 7, 255, 257, kI32Max, kI32Max - 2}) {
    odd.push_back(v);
    odd.push_back(-v);
  }
  odd.push_back(kI32Min + 1);
  ir::RequantChannel half = plain_channel(ir::Stage1Mode::kFixed, DType::kI8);
  half.mult = 1 << 30;
  half.shift = 31;  // acc / 2
  const auto f = run_checked(tile(ir::Stage1Mode::kFixed, DType::kI8, half, odd));
  EXPECT_EQ(f[0], 1);   // 0.5 -> 1
  EXPECT_EQ(f[1], -1);  // -0.5 -> -1
  EXPECT_EQ(f[2], 2);   // 1.5 -> 2
  EXPECT_EQ(f[3], -2);
  ir::RequantChannel fp = plain_channel(ir::Stage1Mode::kFp32, DType::kI8);
  fp.scale = 0.5f;
  const auto e = run_checked(tile(ir::Stage1Mode::kFp32, DType::kI8, fp, odd));
  EXPECT_EQ(e[0], 0);  // 0.5 -> 0 (even)
  EXPECT_EQ(e[1], 0);
  EXPECT_EQ(e[2], 2);  // 1.5 -> 2
  EXPECT_EQ(e[3], -2);
  EXPECT_EQ(e[4], 2);  // 2.5 -> 2
  EXPECT_EQ(e[5], -2);
  // Stage 2: s = b (the residual byte), halved: ties for every odd b, both signs.
  std::vector<uint8_t> residual;
  for (int b = -127; b <= 127; b += 2) residual.push_back(static_cast<uint8_t>(b));
  RequantTile t =
      tile(ir::Stage1Mode::kFixed, DType::kI8, half, std::vector<int32_t>(residual.size(), 0));
  add_stage2(t, {0, 0, 1, 1, 0, -128, 127}, DType::kI8, residual);
  const auto s = run_checked(t);
  EXPECT_EQ(s[0], -64);                   // -63.5 -> -64
  EXPECT_EQ(s[residual.size() - 1], 64);  // 63.5 -> 64
}

// Shifts at both ends of their ranges, multipliers at both ends of theirs.
TEST_P(RequantTileTest, ShiftAndMultiplierExtremes) {
  auto rng = test_rng();
  std::vector<int32_t> accs;
  for (int i = 0; i < 64; ++i) accs.push_back(static_cast<int32_t>(rng()));
  for (int32_t shift : {0, 1, 31, 32, 61, 62})
    for (int32_t mult : {0, 1 << 30, kI32Max}) {
      ir::RequantChannel ch = plain_channel(ir::Stage1Mode::kFixed, DType::kI8);
      ch.shift = shift;
      ch.mult = mult;
      ASSERT_TRUE(check(tile(ir::Stage1Mode::kFixed, DType::kI8, ch, accs)))
          << "shift " << shift << " mult " << mult;
    }
  for (int32_t add_shift : {0, 1, 30, 31}) {
    RequantTile t = tile(ir::Stage1Mode::kFixed, DType::kU8,
                         plain_channel(ir::Stage1Mode::kFixed, DType::kU8), accs);
    add_stage2(t, {kI32Max, kI32Min, kI32Max, add_shift, 3, 0, 255}, DType::kU8, {0, 1, 255});
    ASSERT_TRUE(check(t)) << "add_shift " << add_shift;
  }
}

// Zero points at the ends of both output types with ReLU-like and narrow clamps.
TEST_P(RequantTileTest, ZeroPointsAndActivations) {
  std::vector<int32_t> accs;
  for (int32_t a = -300; a <= 300; a += 7) accs.push_back(a);
  for (DType out : {DType::kU8, DType::kI8})
    for (int64_t zp : {ir::dtype_min(out), int64_t{0}, ir::dtype_max(out)})
      for (int bounds = 0; bounds < 3; ++bounds) {
        ir::RequantChannel ch = plain_channel(ir::Stage1Mode::kFixed, out);
        ch.zp = static_cast<int32_t>(zp);
        if (bounds == 1) ch.min = ch.zp;  // ReLU
        if (bounds == 2) ch.min = ch.max = ch.zp;
        for (ir::Stage1Mode mode : {ir::Stage1Mode::kFixed, ir::Stage1Mode::kFp32})
          ASSERT_TRUE(check(tile(mode, out, ch, accs)))
              << dtype_name(out) << " zp " << zp << " bounds " << bounds;
      }
}

// int32 pass-through: acc + bias, wrapping.
TEST_P(RequantTileTest, Int32PassThrough) {
  ir::RequantChannel ch = plain_channel(ir::Stage1Mode::kInt32, DType::kI32);
  for (int32_t bias : {0, 1, -1, kI32Max, kI32Min}) {
    ch.bias = bias;
    const auto y = run_checked(
        tile(ir::Stage1Mode::kInt32, DType::kI32, ch, {kI32Max, kI32Min, 0, -5, 12345}));
    EXPECT_EQ(y[2], bias);
  }
}

// Stage 2's multiply-add wraps; signed and unsigned residuals.
TEST_P(RequantTileTest, Stage2Wrapping) {
  auto rng = test_rng();
  std::vector<int32_t> accs;
  for (int i = 0; i < 40; ++i) accs.push_back(static_cast<int32_t>(rng()));
  for (DType res : {DType::kU8, DType::kI8})
    for (DType out : {DType::kU8, DType::kI8}) {
      ir::RequantChannel ch = plain_channel(ir::Stage1Mode::kFixed, out);
      ch.shift = 36;
      RequantTile t = tile(ir::Stage1Mode::kFixed, out, ch, accs);
      const int32_t lo = static_cast<int32_t>(ir::dtype_min(out));
      const int32_t hi = static_cast<int32_t>(ir::dtype_max(out));
      add_stage2(t, {kI32Max - 5, 1 << 28, -(1 << 29), 24, lo + 1, lo, hi}, res,
                 {0, 1, 127, 128, 255});
      ASSERT_TRUE(check(t)) << dtype_name(res) << " residual, " << dtype_name(out) << " output";
    }
}

TEST_P(RequantTileTest, ScaleExtremes) {
  std::vector<int32_t> accs = {kI32Max, kI32Min, 1, -1, 3, -3, 1 << 20, -(1 << 20)};
  for (float scale : {1.0e-45f, 1.0e-40f, 1.1754944e-38f, 1.0e-9f, 0.999999940f, 1.0f, 1.00000012f,
                      65536.0f, 3.4028235e38f}) {
    ir::RequantChannel ch = plain_channel(ir::Stage1Mode::kFp32, DType::kI8);
    ch.scale = scale;
    ASSERT_TRUE(check(tile(ir::Stage1Mode::kFp32, DType::kI8, ch, accs))) << scale;
  }
}

// fp32 mode rounds twice before the final rounding: the int-to-float conversion (2^24 + 1
// and 2^24 + 3 are ties at one ulp = 2) and the multiply. With scale 201 / 2^25,
// float(2^24 + 1) = 2^24 gives exactly 100.5 (-> 100, even), float(2^24 + 3) = 2^24 + 4
// gives 100.50002 (-> 101); rounding the conversion the other way would swap them.
TEST_P(RequantTileTest, Fp32ConversionTies) {
  ir::RequantChannel ch = plain_channel(ir::Stage1Mode::kFp32, DType::kI8);
  ch.scale = 201.0f / 33554432.0f;
  const auto y = run_checked(
      tile(ir::Stage1Mode::kFp32, DType::kI8, ch, {16777217, -16777217, 16777219, -16777219}));
  EXPECT_EQ(y[0], 100);
  EXPECT_EQ(y[1], -100);
  EXPECT_EQ(y[2], 101);
  EXPECT_EQ(y[3], -101);
}

TEST_P(RequantTileTest, ShortestAndLongestStreams) {
  auto rng = test_rng();
  for (int64_t n : {1, 2, 300}) {
    RequantTile t = testing::random_requant_tile(rng, hw_, 1);
    t.accs.resize(n * hw_.mac_rows);
    for (auto& a : t.accs) a = static_cast<int32_t>(rng());
    if (t.rq.has_add) t.residual.resize(t.accs.size(), 7);
    t.out_ready.clear();
    ASSERT_TRUE(check(t)) << n << " vectors";
  }
}

class RequantTileBackPressureTest : public RequantTileTest {};
TEST_P(RequantTileBackPressureTest, OutputBackPressure) {
  ASSERT_TRUE(backend_->accepts_back_pressure());
  auto rng = test_rng();
  for (double p : {0.15, 0.5, 0.85})
    for (int i = 0; i < 30; ++i) {
      RequantTile t = testing::random_requant_tile(rng, hw_, 40);
      t.out_ready = testing::random_ready(rng, 29, p);
      ASSERT_TRUE(check(t)) << "ready probability " << p << ", tile " << i;
    }
}

TEST_P(RequantTileTest, InvalidTilesAreErrors) {
  using bpusim::testing::error_message;
  const RequantTile t = tile(ir::Stage1Mode::kFixed, DType::kU8,
                             plain_channel(ir::Stage1Mode::kFixed, DType::kU8), {1});
  RequantTile bad = t;
  bad.rq.channels[0].shift = 63;
  EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("'shift' channel 0 value 63"),
            std::string::npos);
  bad = t;
  bad.rq.channels.pop_back();
  EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("channel records"),
            std::string::npos);
  bad = t;
  bad.accs.push_back(0);
  EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("accumulators"),
            std::string::npos);
  bad = t;
  bad.residual.assign(t.accs.size(), 0);
  EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("without stage 2"),
            std::string::npos);
  bad = t;
  bad.rq.mode = ir::Stage1Mode::kFp32;
  for (auto& ch : bad.rq.channels) ch.scale = 0.0f;
  EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("finite and > 0"),
            std::string::npos);
  bad = t;
  bad.out_ready = {0};
  EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("never asserts ready"),
            std::string::npos);
  if (!backend_->accepts_back_pressure()) {
    bad.out_ready = {1, 0};
    EXPECT_NE(error_message([&] { backend_->run_requant(bad); }).find("'systemc-rule'"),
              std::string::npos);
  }
}

// ------------------------------------------------------------------------------------------
// One instantiation per backend. A backend that make_backend() does not provide in a build is
// skipped. SystemC: the model's modules; SystemCRule: the stall-domain rule (see the top).
// ------------------------------------------------------------------------------------------
INSTANTIATE_TEST_SUITE_P(Golden, MacTileTest, ::testing::ValuesIn(params("golden", kMacGeometries)),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Rtl, MacTileTest, ::testing::ValuesIn(params("rtl", kMacGeometries)),
                         param_name);
INSTANTIATE_TEST_SUITE_P(SystemC, MacTileTest,
                         ::testing::ValuesIn(params("systemc", kMacGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(SystemCRule, MacTileTest,
                         ::testing::ValuesIn(params("systemc-rule", kMacGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(Golden, RequantTileTest,
                         ::testing::ValuesIn(params("golden", kRequantGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(Rtl, RequantTileTest,
                         ::testing::ValuesIn(params("rtl", kRequantGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(SystemC, RequantTileTest,
                         ::testing::ValuesIn(params("systemc", kRequantGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(SystemCRule, RequantTileTest,
                         ::testing::ValuesIn(params("systemc-rule", kRequantGeometries)),
                         param_name);
// Back pressure: every backend but the SystemC model's units.
INSTANTIATE_TEST_SUITE_P(Golden, MacTileBackPressureTest,
                         ::testing::ValuesIn(params("golden", kMacGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(Rtl, MacTileBackPressureTest,
                         ::testing::ValuesIn(params("rtl", kMacGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(SystemCRule, MacTileBackPressureTest,
                         ::testing::ValuesIn(params("systemc-rule", kMacGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(Golden, RequantTileBackPressureTest,
                         ::testing::ValuesIn(params("golden", kRequantGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(Rtl, RequantTileBackPressureTest,
                         ::testing::ValuesIn(params("rtl", kRequantGeometries)), param_name);
INSTANTIATE_TEST_SUITE_P(SystemCRule, RequantTileBackPressureTest,
                         ::testing::ValuesIn(params("systemc-rule", kRequantGeometries)),
                         param_name);

}  // namespace
}  // namespace bpusim::tile
