// RTL simulation speed: cycles per wall-clock second of the verilated default MAC array and
// requantizer (HwConfig defaults), driving random tiles back to back through the same
// wrappers the co-simulation tests use. Usage: bench_rtl [seconds_per_unit (default 2)]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "common/hw_config.h"
#include "rtl_ref/mac_array_rtl.h"
#include "rtl_ref/requant_rtl.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kVectorsPerTile = 64;

// Runs `tile()` until `seconds` have passed; prints and returns simulated cycles per second.
template <class Unit, class Tile>
double measure(const char* name, Unit& unit, const Tile& tile, double seconds) {
  const uint64_t c0 = unit.cycles_simulated();
  const auto t0 = Clock::now();
  int64_t tiles = 0;
  double elapsed = 0;
  do {
    unit.run_tile(tile);
    ++tiles;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds);
  const double cps = static_cast<double>(unit.cycles_simulated() - c0) / elapsed;
  std::printf("%-28s %10.0f cycles/s  (%lld tiles of %lld vectors in %.2f s)\n", name, cps,
              static_cast<long long>(tiles), static_cast<long long>(kVectorsPerTile), elapsed);
  return cps;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const bpusim::HwConfig hw;  // the default configuration
  std::mt19937 rng(1);
  auto byte = [&] { return static_cast<uint8_t>(rng()); };

  auto mac = bpusim::rtl::MacArrayRtl::create(hw);
  bpusim::rtl::MacArrayTile mt;
  mt.weights.resize(mac->rows() * mac->cols());
  mt.inputs.resize(kVectorsPerTile * mac->cols());
  for (auto& w : mt.weights) w = byte();
  for (auto& x : mt.inputs) x = byte();
  mt.x_zp = 128;
  char name[64];
  std::snprintf(name, sizeof name, "mac_array %lldx%lld", static_cast<long long>(mac->rows()),
                static_cast<long long>(mac->cols()));
  measure(name, *mac, mt, seconds);

  auto rq = bpusim::rtl::RequantRtl::create(hw);
  bpusim::rtl::RequantRtlTile rt;
  rt.records.resize(rq->lanes());
  for (auto& rec : rt.records) {
    const int32_t fields[14] = {7, 0x3c23d70a /* 0.01f */, 1 << 30, 36, 3, 0, 255};
    std::memcpy(rec.data(), fields, sizeof fields);
  }
  rt.fixed = hw.requant_mode == bpusim::RequantMode::kFixed;
  rt.accs.resize(kVectorsPerTile * rq->lanes());
  for (auto& a : rt.accs) a = static_cast<int32_t>(rng());
  std::snprintf(name, sizeof name, "requant %lld lanes depth %lld",
                static_cast<long long>(rq->lanes()), static_cast<long long>(rq->depth()));
  measure(name, *rq, rt, seconds);
  return 0;
}
