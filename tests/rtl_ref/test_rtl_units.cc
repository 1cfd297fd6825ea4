// The RTL wrappers themselves (rtl_ref/*_rtl.h) and the timing reference: tile sequences
// against docs/microarch.md's formulas, the documented timing diagrams, variants, errors
// and waveform output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "isa/param_record.h"
#include "rtl_ref/mac_array_rtl.h"
#include "rtl_ref/requant_rtl.h"
#include "rtl_ref/tiles/timing_ref.h"
#include "tests/rtl_ref/cosim_util.h"
#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim::tile {
namespace {

using bpusim::testing::error_message;
using testing::geometry;
using testing::test_rng;

rtl::MacArrayTile random_mac(std::mt19937_64& rng, int64_t rows, int64_t cols, int64_t n) {
  rtl::MacArrayTile t;
  t.weights.resize(rows * cols);
  t.inputs.resize(n * cols);
  for (auto& w : t.weights) w = static_cast<uint8_t>(rng());
  for (auto& x : t.inputs) x = static_cast<uint8_t>(rng());
  t.x_zp = static_cast<int32_t>(rng() % 256);
  return t;
}

rtl::RequantRtlTile random_requant(std::mt19937_64& rng, int64_t lanes, int64_t n) {
  rtl::RequantRtlTile t;
  isa::ParamRecord r;
  r.mult = 1 << 30;
  r.shift = 38;
  r.min = 0;
  r.max = 255;
  r.zp = static_cast<int32_t>(rng() % 256);
  t.records.assign(lanes, isa::pack(r));
  t.accs.resize(n * lanes);
  for (auto& a : t.accs) a = static_cast<int32_t>(rng());
  return t;
}

// Runs each tile alone and concatenates the outputs (reference for a sequence's outputs).
template <class Unit, class Tile>
std::vector<int32_t> one_by_one(Unit& unit, const std::vector<Tile>& tiles) {
  std::vector<int32_t> out;
  for (const Tile& t : tiles) {
    const auto run = unit.run_tile(t);
    out.insert(out.end(), run.out.begin(), run.out.end());
  }
  return out;
}

// The timing diagrams of docs/microarch.md.
TEST(TimingReference, DocumentedDiagrams) {
  const HwConfig hw = geometry(4, 4, 4);
  EXPECT_EQ(timing::mac_array(hw).depth, 4);
  EXPECT_EQ(timing::cycles(timing::mac_array(hw), {3}, {}), 10);
  EXPECT_EQ(timing::cycles(timing::mac_array(hw), {3}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1}), 12);
  EXPECT_EQ(timing::cycles(timing::requant(hw), {3}, {}), 10);
  EXPECT_EQ(timing::cycles(timing::requant(hw), {3, 1}, {}), 11 + 8);
  // The defaults quoted in the document.
  const HwConfig def;
  EXPECT_EQ(timing::mac_array(def).depth, 7);
  EXPECT_EQ(timing::cycles(timing::mac_array(def), {64}, {}), 102);
  EXPECT_EQ(timing::cycles(timing::requant(def), {64}, {}), 99);
  EXPECT_EQ(timing::mac_array(geometry(32, 1, 4)).depth, 2);
}

// The reference loop reduces to the closed forms when the output is always ready.
TEST(TimingReference, LoopMatchesClosedForms) {
  auto rng = test_rng();
  for (int i = 0; i < 200; ++i) {
    const HwConfig hw = geometry(1 + rng() % 40, 1 + rng() % 70, 1 + rng() % 12);
    std::vector<int64_t> n(1 + rng() % 4);
    for (auto& v : n) v = 1 + rng() % 50;
    for (const auto& u : {timing::mac_array(hw), timing::requant(hw)})
      ASSERT_EQ(timing::cycles(u, n, {}), timing::cycles_without_back_pressure(u, n));
  }
}

// Back-to-back MAC tiles: the next weights load while the previous tile drains.
TEST(RtlMacArray, TileSequencesFollowTheContract) {
  auto rng = test_rng();
  for (const auto& [rows, cols] : {std::pair{4, 5}, std::pair{32, 32}}) {
    auto mac = rtl::MacArrayRtl::create(rows, cols);
    for (int i = 0; i < 20; ++i) {
      std::vector<rtl::MacArrayTile> tiles;
      std::vector<int64_t> n;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        n.push_back(1 + rng() % 20);
        tiles.push_back(random_mac(rng, rows, cols, n.back()));
      }
      const rtl::ReadyPattern ready =
          i % 2 ? testing::random_ready(rng, 13, 0.6) : rtl::ReadyPattern{};
      const auto run = mac->run_tiles(tiles, ready);
      EXPECT_EQ(run.out, one_by_one(*mac, tiles));
      EXPECT_EQ(run.cycles, timing::cycles(timing::mac_array(geometry(rows, cols, 4)), n, ready))
          << rows << "x" << cols << ", " << n.size() << " tiles";
    }
  }
}

// Back-to-back requantizer tiles: the next records load once the pipeline has drained.
TEST(RtlRequant, TileSequencesFollowTheContract) {
  auto rng = test_rng();
  for (const auto& [lanes, depth] : {std::pair{4, 1}, std::pair{4, 9}, std::pair{32, 4}}) {
    auto rq = rtl::RequantRtl::create(lanes, depth);
    for (int i = 0; i < 20; ++i) {
      std::vector<rtl::RequantRtlTile> tiles;
      std::vector<int64_t> n;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        n.push_back(1 + rng() % 20);
        tiles.push_back(random_requant(rng, lanes, n.back()));
      }
      const rtl::ReadyPattern ready =
          i % 2 ? testing::random_ready(rng, 13, 0.6) : rtl::ReadyPattern{};
      const auto run = rq->run_tiles(tiles, ready);
      EXPECT_EQ(run.out, one_by_one(*rq, tiles));
      EXPECT_EQ(run.cycles, timing::cycles(timing::requant(geometry(lanes, 5, depth)), n, ready))
          << lanes << " lanes depth " << depth << ", " << n.size() << " tiles";
    }
  }
}

TEST(RtlVariants, ConfigurationsMapToVariants) {
  EXPECT_EQ(rtl::MacArrayRtl::create(HwConfig{})->rows(), 32);
  EXPECT_EQ(rtl::RequantRtl::create(HwConfig{})->depth(), 4);
  HwConfig hw = geometry(16, 16, 4);
  const std::string e = error_message([&] { rtl::MacArrayRtl::create(hw); });
  EXPECT_NE(e.find("mac.rows = 16, mac.cols = 16"), std::string::npos) << e;
  EXPECT_NE(e.find("32x32"), std::string::npos) << e;
  const std::string r = error_message([&] { rtl::RequantRtl::create(32, 5); });
  EXPECT_NE(r.find("pipeline depth 5"), std::string::npos) << r;
  EXPECT_NE(r.find("32 lanes depth 4"), std::string::npos) << r;
}

TEST(RtlWrappers, PortErrors) {
  auto mac = rtl::MacArrayRtl::create(4, 5);
  rtl::MacArrayTile t;
  t.weights.resize(20);
  t.inputs.resize(5);
  t.w_zp = -257;
  EXPECT_NE(error_message([&] { mac->run_tile(t); }).find("w_zp = -257"), std::string::npos);
  t.w_zp = 0;
  EXPECT_NE(error_message([&] {
              mac->run_tile(t, {0, 0, 0});
            }).find("never asserts ready"),
            std::string::npos);
  EXPECT_NE(error_message([&] { mac->run_tiles({}); }).find("no tile"), std::string::npos);
  auto rq = rtl::RequantRtl::create(4, 4);
  rtl::RequantRtlTile r;
  r.records.resize(3);
  r.accs.resize(4);
  EXPECT_NE(error_message([&] { rq->run_tile(r); }).find("3 parameter records"), std::string::npos);
  // A valid tile still runs after the errors.
  r.records.resize(4);
  EXPECT_EQ(rq->run_tile(r).out.size(), 4u);
}

// The waveform option writes an FST file (GTKWave's format) covering the simulated cycles.
TEST(RtlWrappers, WritesFstWaveforms) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bpusim_rtl_trace_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto mac = rtl::MacArrayRtl::create(4, 5);
    mac->trace_to((dir / "mac.fst").string());
    std::mt19937_64 rng(1);
    mac->run_tile(random_mac(rng, 4, 5, 3));
    auto rq = rtl::RequantRtl::create(4, 4);
    rq->trace_to((dir / "rq.fst").string());
    rq->run_tile(random_requant(rng, 4, 3));
  }  // closing the units flushes the files
  for (const char* f : {"mac.fst", "rq.fst"}) {
    std::ifstream in(dir / f, std::ios::binary);
    ASSERT_TRUE(in.good()) << f;
    char first = 1;
    in.read(&first, 1);
    EXPECT_EQ(first, 0) << f << ": an FST file starts with its header block (type 0)";
    EXPECT_GT(std::filesystem::file_size(dir / f), 200u) << f;
  }
  // GTKWave's own reader, when installed, must parse it (Debian package gtkwave).
  if (std::filesystem::exists("/usr/bin/fst2vcd")) {
    const auto vcd = dir / "mac.vcd";
    const std::string cmd = "/usr/bin/fst2vcd " + (dir / "mac.fst").string() + " > " + vcd.string();
    const bpusim::testing::CliResult r = bpusim::testing::run_command(cmd);
    ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output();
    const std::string text = bpusim::testing::read_text(vcd.string());
    EXPECT_NE(text.find("y_valid"), std::string::npos);
    EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  }
  const std::string e = error_message(
      [&] { rtl::MacArrayRtl::create(4, 5)->trace_to((dir / "no/such/dir/x.fst").string()); });
  EXPECT_NE(e.find("cannot open the waveform file"), std::string::npos) << e;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bpusim::tile
