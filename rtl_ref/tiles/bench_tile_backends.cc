// Simulation speed of every tile backend on the same tiles: the default hardware
// configuration's MAC array and requantizer, the same random tiles through golden, the
// verilated RTL, the SystemC model (each tile one instruction on the Bpu) and the
// stall-domain rule (systemc-rule) (tile_driver.h). Prints, per unit and backend, tiles per
// second and, for timed backends, simulated cycles per second (the sum of the operations'
// cycle counts over the wall time).
// Usage: bench_tile_backends [seconds per unit and backend (default 2)] [vectors per tile (64)]
//                            [backend (default: all)]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "rtl_ref/tiles/tile_driver.h"

namespace bpusim::tile {
namespace {

using Clock = std::chrono::steady_clock;

MacTile mac_tile(std::mt19937_64& rng, const HwConfig& hw, int64_t n) {
  MacTile t;
  t.weights.resize(hw.mac_rows * hw.mac_cols);
  t.inputs.resize(n * hw.mac_cols);
  for (auto& w : t.weights) w = static_cast<uint8_t>(rng());
  for (auto& x : t.inputs) x = static_cast<uint8_t>(rng());
  t.x_zp = 128;
  return t;
}

RequantTile requant_tile(std::mt19937_64& rng, const HwConfig& hw, int64_t n) {
  RequantTile t;
  t.rq.mode =
      hw.requant_mode == RequantMode::kFixed ? ir::Stage1Mode::kFixed : ir::Stage1Mode::kFp32;
  t.rq.out_dtype = DType::kU8;
  ir::RequantChannel ch;
  ch.bias = 7;
  ch.scale = 0.01f;
  ch.mult = 1 << 30;
  ch.shift = 36;
  ch.zp = 3;
  ch.min = 0;
  ch.max = 255;
  t.rq.channels.assign(hw.mac_rows, ch);
  t.accs.resize(n * hw.mac_rows);
  for (auto& a : t.accs) a = static_cast<int32_t>(rng());
  return t;
}

// Runs `op` until `seconds` have passed; prints the rates.
void measure(const std::string& what, double seconds, const std::function<TileResult()>& op) {
  const auto t0 = Clock::now();
  int64_t ops = 0, cycles = 0;
  bool timed = false;
  double elapsed = 0;
  do {
    const TileResult r = op();
    ++ops;
    if (r.cycles) {
      timed = true;
      cycles += *r.cycles;
    }
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds);
  std::printf("%-28s %12.0f tiles/s", what.c_str(), ops / elapsed);
  if (timed) std::printf("  %14.0f simulated cycles/s", cycles / elapsed);
  std::printf("\n");
}

}  // namespace
}  // namespace bpusim::tile

int main(int argc, char** argv) {
  using namespace bpusim::tile;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int64_t vectors = argc > 2 ? std::atoll(argv[2]) : 64;
  const std::string only = argc > 3 ? argv[3] : "";
  const bpusim::HwConfig hw;  // the default configuration
  std::mt19937_64 rng(1);
  const MacTile mt = mac_tile(rng, hw, vectors);
  const RequantTile rt = requant_tile(rng, hw, vectors);
  std::printf("default configuration: %lldx%lld array, requantizer depth %lld, %lld vectors/tile\n",
              static_cast<long long>(hw.mac_rows), static_cast<long long>(hw.mac_cols),
              static_cast<long long>(hw.requant_pipeline_depth), static_cast<long long>(vectors));
  for (const std::string& name : backend_names()) {
    if (!only.empty() && name != only) continue;
    auto backend = make_backend(name, hw);
    if (!backend) continue;
    measure(name + " mac_array", seconds, [&] { return backend->run_mac_tile(mt); });
    measure(name + " requant", seconds, [&] { return backend->run_requant(rt); });
  }
  return 0;
}
