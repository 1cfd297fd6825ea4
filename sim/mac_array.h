// The MAC array: executes CONV (docs/isa.md semantics, docs/microarch.md dataflow). The whole
// output tile is computed in bulk when the instruction's time has elapsed — never an event per
// MAC — and the time is rule 6 of docs/timing.md: passes of `mac.rows` output channels by
// `mac.cols` input channels per kernel tap, each loading its weights and streaming the tile's
// output pixels, plus the pipeline depth.
#pragma once

#include <cstdint>
#include <span>
#include <systemc>
#include <vector>

#include "common/hw_config.h"
#include "sim/conv_vnni.h"
#include "sim/memories.h"
#include "sim/unit.h"

namespace bpusim::sim {

// The CONV arithmetic on raw tile memory (no checks: the caller validated every range).
// in: [in_h][in_w][in_c] bytes; wgt: [out_c][k_h][k_w][in_c] (depthwise [c][k_h][k_w]);
// acc: [out_h][out_w][out_c] little-endian int32, overwritten or accumulated (wrapping).
// `scratch` is reused between calls to avoid allocations.
//
// The dense case has two kernels with identical results (tests/sim/test_conv_kernels.cc checks
// both against golden): the portable one (int16 operands, compiled for AVX2 and the baseline)
// and AVX-512 VNNI (sim/conv_vnni.h). kAuto takes VNNI when the CPU has it, unless the
// environment variable BPUSIM_CONV_KERNEL says `portable` (`vnni` insists on it, `auto` is the
// default): a way to compare the two, in tests and benchmarks.
enum class ConvKernel { kAuto, kPortable, kVnni };
struct ConvScratch {
  ConvKernel kernel = ConvKernel::kAuto;
  std::vector<int16_t> x, w, col;
  std::vector<int32_t> sums;
  VnniScratch vnni;
};
void conv_tile(const isa::Operands& f, const uint8_t* in, const uint8_t* wgt, uint8_t* acc,
               ConvScratch& scratch);

// The kernel kAuto stands for on this machine: kVnni or kPortable (BPUSIM_CONV_KERNEL read once;
// an unknown value, or `vnni` on a CPU without it, throws Error naming the variable and value).
ConvKernel resolved_conv_kernel();

// Operand checks shared by plan() and tests: empty when legal, else the fault reason.
std::string conv_operand_fault(const isa::Operands& f);

// The result of one unit tile (the RTL co-simulation's unit of work, docs/microarch.md).
struct TileRun {
  std::vector<int32_t> out;
  int64_t cycles = 0;  // first beat accepted to last output valid
};

// The instruction one MAC-array tile of n input vectors is: a 1x1 CONV of n pixels (in_h =
// out_h = 1, in_w = out_w = n, in_c = mac.cols, out_c = mac.rows, stride and dilation 1) that
// accumulates onto ACC, every address 0. The RTL co-simulation runs it on the Bpu.
isa::Operands mac_tile_conv(const HwConfig& hw, int64_t n, bool w_signed, int32_t w_zp,
                            bool x_signed, int32_t x_zp);

// One MAC-array tile by the stall-domain rule (docs/timing.md "Rule 6/7 with back pressure"),
// not through the MacArray module: weights [rows][cols] raw bytes, n input vectors [n][cols],
// accumulator inputs [n][rows] (empty: zeros); out[i * rows + r] = wrap32(acc_in + sum_c (w -
// w_zp) * (x - x_zp)) computed by conv_tile on mac_tile_conv's operands, and the cycles by
// timing::pipelined_tile_latency under the output ready pattern (which the model never
// applies). The caller validated the sizes, zero-point ranges and the pattern.
TileRun run_mac_tile(const HwConfig& hw, const std::vector<uint8_t>& weights, bool w_signed,
                     int32_t w_zp, const std::vector<uint8_t>& inputs, bool x_signed, int32_t x_zp,
                     const std::vector<int32_t>& acc_in, const std::vector<uint8_t>& ready);

class MacArray : public sc_core::sc_module, public Unit {
 public:
  MacArray(sc_core::sc_module_name name, const Memories& memories);
  // Also resolves the CONV kernel here, before the simulation runs, so that a bad
  // BPUSIM_CONV_KERNEL is a user error of the run and not an exception inside a SystemC process.
  void configure(const HwConfig& hw) {
    hw_ = hw;
    scratch_.kernel = resolved_conv_kernel();
  }

  Plan plan(const Decoded& d) override;
  void run(const Decoded& d, const Plan& p) override;

  Activity activity;

 private:
  const Memories& mem_;
  HwConfig hw_;
  ConvScratch scratch_;
};

}  // namespace bpusim::sim
