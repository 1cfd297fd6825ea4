// Per-op lowering: one entry per canonical op that runs on the BPU. `prepare` validates the
// node (dtypes, layouts, attributes the hardware cannot express) and packs its constants into
// the plan; `emit` tiles it and appends its LOAD/COMPUTE/STORE instructions to the segment's
// schedule. Both throw bpusim::Error naming the node for anything the BPU cannot run.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/hw_config.h"
#include "compiler/lower/plan.h"
#include "compiler/lower/schedule.h"
#include "compiler/lower/sram.h"
#include "ir/op_set.h"

namespace bpusim::compiler {

struct LayerStats {
  std::string op;  // fused op description, e.g. "conv 3x3/2 +add +relu -> uint8"
  int64_t macs = 0;
  int64_t tiles = 0;              // output tiles
  std::array<int64_t, 5> sram{};  // bytes reserved per buffer (both halves)
};

struct EmitContext {
  const Plan& plan;
  const HwConfig& hw;
  Schedule& schedule;
  SramState& sram;
};

struct OpLowering {
  std::string_view op;
  void (*prepare)(Plan& plan, int node, const HwConfig& hw);
  LayerStats (*emit)(EmitContext& ctx, int node);
};

// The lowering of `op`, or nullptr when it does not run on the BPU.
const OpLowering* find_lowering(std::string_view op);

// Shared helpers of the op files.
namespace lower_detail {
// "node 'x' (QConv)".
std::string what(const Plan& plan, int node);
// The input image of a 4-D operand, or Error naming the node and the operand's layout.
Image require_image_4d(const Plan& plan, int node, ir::ValueId id, const char* operand);
bool is_8bit(DType t);
void require_8bit(const Plan& plan, int node, ir::ValueId id, const char* operand);
// "relu", "relu6/clamp" or "" from a clamp range relative to a zero point.
std::string activation_name(int64_t lo, int64_t hi, int64_t zp, DType t);
LayerStats finish_stats(const SramPlan& sram, std::string op, int64_t macs, int64_t tiles);
}  // namespace lower_detail

// The op tables of lower_conv.cc and lower_vector.cc.
extern const OpLowering kConvLowering;
extern const OpLowering kMatMulLowering;
extern const OpLowering kAddLowering;
extern const OpLowering kClampLowering;
extern const OpLowering kLutLowering;
extern const OpLowering kMulLowering;
extern const OpLowering kUpsampleLowering;
extern const OpLowering kBilinearLowering;
extern const OpLowering kBroadcastAddLowering;
extern const OpLowering kConcatLowering;
extern const OpLowering kMaxPoolLowering;
extern const OpLowering kAvgPoolLowering;
extern const OpLowering kGlobalAvgPoolLowering;
extern const OpLowering kArgMaxLowering;

}  // namespace bpusim::compiler
