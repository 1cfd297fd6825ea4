// bpusim::tiles — one driver interface over every implementation of the MAC array and the
// requantizer (docs/microarch.md): the golden reference, the verilated RTL units, and the
// SystemC model's units. A backend runs one tile operation and returns its outputs and, when
// it models time, the cycle count that docs/microarch.md defines. The tile co-simulation
// (tests/rtl_ref/test_tile_cosim.cc) runs the same GoogleTest suite over each backend;
// bench_tile_backends (this folder) times them side by side.
//
// Backends:
//   golden        tile_driver_golden.cc   golden::matmul_acc / golden::requantize; untimed
//   rtl           tile_driver_rtl.cc      rtl_ref's verilated units, driven cycle by cycle
//   systemc       tile_driver_systemc.cc  the SystemC model: the tile as one CONV / REQUANT on
//                                         the Bpu (its MacArray / Requantizer modules); no
//                                         output back pressure
//   systemc-rule  tile_driver_systemc.cc  the stall-domain rule (sim::run_mac_tile,
//                                         sim::run_requant_tile): tiles with back pressure
// Every function throws bpusim::Error naming the field and the value for an invalid tile.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "ir/op_set.h"

namespace bpusim::tile {

// Output back pressure: the unit's output ready in cycle t of the operation (t = 0 is its
// first cycle) is pattern[t % size] != 0; empty means always ready. Untimed backends
// ignore it; the systemc backend refuses it (accepts_back_pressure). Same meaning as
// rtl::ReadyPattern.
using ReadyPattern = std::vector<uint8_t>;

// One MAC array tile: a weight block for all mac.rows x mac.cols PEs, then n >= 1 input
// vectors of mac.cols bytes. out[i * rows + r] = wrap32(acc_in[i * rows + r] +
// sum_c (w[r][c] - w_zp) * (x[i][c] - x_zp)).
struct MacTile {
  std::vector<uint8_t> weights;  // rows x cols raw bytes, weights[r * cols + c]
  DType w_type = DType::kI8;     // kI8 or kU8
  int32_t w_zp = 0;              // in w_type's range
  std::vector<uint8_t> inputs;   // n x cols raw bytes, inputs[i * cols + c]
  DType x_type = DType::kU8;     // kU8 or kI8
  int32_t x_zp = 0;              // in x_type's range
  std::vector<int32_t> acc_in;   // n x rows accumulator inputs, or empty for zeros
  ReadyPattern out_ready;
};

// One requantizer tile: one parameter record per lane (lanes = mac.rows), then n >= 1
// vectors of lanes int32 accumulators (plus lanes residual bytes when rq.has_add).
// out[i * lanes + l] is the requantized value of accs[i * lanes + l] for channel l
// (docs/requantizer.md), as int32 (uint8/int8 results lie in their range).
struct RequantTile {
  ir::Requant rq;                 // mode (fp32 | fixed | int32), out_dtype, has_add, channels
  std::vector<int32_t> accs;      // n x lanes, accs[i * lanes + l]
  std::vector<uint8_t> residual;  // n x lanes raw bytes when rq.has_add, else empty
  DType res_type = DType::kU8;    // residual element type: kU8 or kI8
  ReadyPattern out_ready;
};

struct TileResult {
  std::vector<int32_t> out;       // n x rows (MAC) or n x lanes (requantizer)
  std::optional<int64_t> cycles;  // docs/microarch.md's count; nullopt when untimed
};

// Checks a tile against the hardware configuration and the documented ranges (sizes,
// element types, zero points, the requantizer record via ir::get_requant, the ready
// pattern). Throws Error naming the field and the value. Every backend calls it first.
void validate(const MacTile& tile, const HwConfig& hw);
void validate(const RequantTile& tile, const HwConfig& hw);

// A backend for one hardware configuration (mac.rows, mac.cols, requant.pipeline_depth).
// run_* may be called any number of times; each call is one complete operation starting
// and ending with idle units. Throws Error for invalid tiles.
class TileBackend {
 public:
  virtual ~TileBackend() = default;
  virtual std::string name() const = 0;
  virtual TileResult run_mac_tile(const MacTile& tile) = 0;
  virtual TileResult run_requant(const RequantTile& tile) = 0;
  // False when the backend cannot run a tile with an output ready pattern (run_* throws Error
  // for one): the SystemC model, whose units never see back pressure.
  virtual bool accepts_back_pressure() const { return true; }
  // Backends with waveforms write the following cycles of each unit to
  // `<path_prefix>_<unit>.fst`; others ignore it.
  virtual void trace_to(const std::string& path_prefix) { (void)path_prefix; }
};

std::unique_ptr<TileBackend> make_golden_backend(const HwConfig& hw);
std::unique_ptr<TileBackend> make_rtl_backend(const HwConfig& hw);
// The SystemC model's Bpu running each tile as one instruction, and the stall-domain rule
// (both in tile_driver_systemc.cc).
std::unique_ptr<TileBackend> make_systemc_backend(const HwConfig& hw);
std::unique_ptr<TileBackend> make_systemc_rule_backend(const HwConfig& hw);

// "golden", "rtl", "systemc", "systemc-rule".
std::vector<std::string> backend_names();
// The backend called `name`, or nullptr when it is not available in this build.
std::unique_ptr<TileBackend> make_backend(const std::string& name, const HwConfig& hw);

}  // namespace bpusim::tile
