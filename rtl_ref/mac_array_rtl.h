// The verilated MAC array (rtl_ref/mac_array.v): drives one tile operation through its
// ports cycle by cycle, returns the sums and the cycle count, and can write an FST waveform.
// Arithmetic and timing are specified in docs/microarch.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "rtl_ref/unit_run.h"

namespace bpusim::rtl {

// One tile operation at the array's ports: a weight block, then n input vectors.
struct MacArrayTile {
  std::vector<uint8_t> weights;  // rows x cols raw bytes, weights[r * cols + c]
  bool w_signed = true;          // weight bytes are int8 (else uint8)
  int32_t w_zp = 0;              // 9-bit signed zero point field, [-256, 255]
  std::vector<uint8_t> inputs;   // n x cols raw bytes, inputs[i * cols + c]; n >= 1
  bool x_signed = false;         // input bytes are int8 (else uint8)
  int32_t x_zp = 0;              // 9-bit signed zero point field, [-256, 255]
  std::vector<int32_t> acc_in;   // n x rows accumulator inputs, or empty for zeros
};

class MacArrayRtl {
 public:
  // The verilated variant with this geometry (a fresh, reset model). Throws Error naming
  // the geometry and the variants this build has (rtl_ref/CMakeLists.txt lists them).
  static std::unique_ptr<MacArrayRtl> create(int64_t rows, int64_t cols);
  // The variant for mac.rows x mac.cols.
  static std::unique_ptr<MacArrayRtl> create(const HwConfig& hw);
  // "32x32, 4x5": the verilated geometries.
  static std::string variants();

  virtual ~MacArrayRtl() = default;
  virtual int64_t rows() const = 0;
  virtual int64_t cols() const = 0;

  // Loads tile.weights, streams tile.inputs and collects one output vector of `rows` sums
  // per input: out[i * rows + r] = wrap32(acc_in[i][r] + sum_c (w[r][c] - w_zp) *
  // (x[i][c] - x_zp)), with `out_ready` applying back pressure (unit_run.h). The array is
  // idle before and after. Throws Error when a size or field does not fit the ports.
  UnitRun run_tile(const MacArrayTile& tile, const ReadyPattern& out_ready = {}) {
    return run_tiles({&tile, 1}, out_ready);
  }
  // The same for several tiles back to back: tile k+1's weights are offered from the cycle
  // after tile k's last input was accepted (docs/microarch.md, tile sequences).
  virtual UnitRun run_tiles(std::span<const MacArrayTile> tiles,
                            const ReadyPattern& out_ready = {}) = 0;

  // Writes every signal of every following cycle to an FST file. Throws Error when the
  // file cannot be opened.
  virtual void trace_to(const std::string& fst_path) = 0;
  // Cycles simulated since construction (including reset).
  virtual uint64_t cycles_simulated() const = 0;
};

}  // namespace bpusim::rtl
