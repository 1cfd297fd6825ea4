#include "compiler/lower/op_lowering.h"

#include <array>
#include <cmath>

#include "common/error.h"

namespace bpusim::compiler {

const OpLowering* find_lowering(std::string_view op) {
  static const std::array<const OpLowering*, 14> kTable{
      &kConvLowering,          &kMatMulLowering, &kAddLowering,      &kClampLowering,
      &kLutLowering,           &kMulLowering,    &kUpsampleLowering, &kBilinearLowering,
      &kBroadcastAddLowering,  &kConcatLowering, &kMaxPoolLowering,  &kAvgPoolLowering,
      &kGlobalAvgPoolLowering, &kArgMaxLowering};
  for (const OpLowering* l : kTable)
    if (l->op == op) return l;
  return nullptr;
}

namespace lower_detail {

std::string what(const Plan& plan, int node) {
  return plan.graph->nodes.at(node).describe();
}

Image require_image_4d(const Plan& plan, int node, ir::ValueId id, const char* operand) {
  const TensorDesc& t = plan.desc(id);
  auto im = image_4d(t);
  require(im.has_value(), what(plan, node), ": ", operand, " '", t.name, "' (shape ",
          shape_str(t.shape), ", stored ", layout_name(t.layout),
          t.layout == isa::TensorLayout::kNhwc ? cat(" as ", shape_str(t.nchw)) : std::string(),
          ") is not a 4-D NHWC image");
  return *im;
}

bool is_8bit(DType t) {
  return t == DType::kU8 || t == DType::kI8;
}

void require_8bit(const Plan& plan, int node, ir::ValueId id, const char* operand) {
  const ir::Value& v = plan.value(id);
  require(is_8bit(v.dtype), what(plan, node), ": ", operand, " '", v.name, "' has element type ",
          dtype_name(v.dtype), ", expected uint8 or int8");
}

std::string activation_name(int64_t lo, int64_t hi, int64_t zp, DType t) {
  if (lo == ir::dtype_min(t) && hi == ir::dtype_max(t)) return "";
  if (lo == zp && hi == ir::dtype_max(t)) return "relu";
  return cat("clamp[", lo, ",", hi, "]");
}

LayerStats finish_stats(const SramPlan& sram, std::string op, int64_t macs, int64_t tiles) {
  LayerStats s{std::move(op), macs, tiles, {}};
  for (int b = 0; b < 5; ++b) s.sram[b] = sram.used(static_cast<Space>(b));
  return s;
}

}  // namespace lower_detail
}  // namespace bpusim::compiler
