#include "compiler/passes/requant_mode.h"

#include "common/error.h"
#include "compiler/passes/graph_edit.h"
#include "compiler/passes/pytorch_params.h"
#include "ir/op_set.h"

namespace bpusim::compiler {

namespace {

// A PyTorch average pool in fixed mode: mode "fixed" with the exact encoding of the pool's
// float scale (docs/requantizer.md 6), which the POOL record carries.
void select_avg_pool_fixed(ir::Graph& g, ir::Node& n, const FrontendState& st) {
  const float scale = avg_pool_scale(n.attr_float("x_scale", 0.0f), n.attr_float("y_scale", 0.0f),
                                     avg_pool_window(n, g.value(n.inputs.at(0)).shape));
  const FixedScale f = fixed_encoding(scale, where(st.source, n));
  n.attrs[ir::attr::kMode] = std::string("fixed");
  n.attrs[ir::attr::kMult] = int64_t{f.mult};
  n.attrs[ir::attr::kShift] = int64_t{f.shift};
}

}  // namespace

void select_requant_mode(ir::Graph& g, const HwConfig& hw, const FrontendState& st) {
  if (hw.requant_mode != RequantMode::kFixed) return;
  for (ir::Node& n : g.nodes) {
    // ATen's pools (2.22, 2.23): the lowering encodes each window divisor's multiplier.
    if ((n.op == ir::op::kQAvgPool || n.op == ir::op::kQGlobalAvgPool) &&
        n.attr_string("recipe", "onnx").starts_with("aten_")) {
      n.attrs[ir::attr::kMode] = std::string("fixed");
      continue;
    }
    if ((n.op == ir::op::kQAvgPool || n.op == ir::op::kQGlobalAvgPool) &&
        n.attr_string("recipe", "onnx") == "qnnpack" &&
        n.attr_string(ir::attr::kMode, "fp32") == "fp32") {
      select_avg_pool_fixed(g, n, st);
      continue;
    }
    if ((n.op != ir::op::kQConv && n.op != ir::op::kQMatMul && n.op != ir::op::kQMul) ||
        st.preexisting.count(n.name) || n.attr_string(ir::attr::kMode, "") != "fp32")
      continue;
    const Shape& out = g.value(n.outputs.at(0)).shape;
    const int64_t channels = n.op == ir::op::kQMul    ? 1
                             : n.op == ir::op::kQConv ? out.at(1)
                                                      : out.back();
    const bool has_add =
        n.op != ir::op::kQMul && n.inputs.size() > 2 && n.inputs[2] != ir::kNoValue;
    ir::Requant rq = ir::get_requant(n, channels, has_add);
    rq.mode = ir::Stage1Mode::kFixed;
    for (size_t c = 0; c < rq.channels.size(); ++c) {
      const FixedScale f =
          fixed_encoding(rq.channels[c].scale, cat(where(st.source, n), ": channel ", c));
      rq.channels[c].mult = f.mult;
      rq.channels[c].shift = f.shift;
    }
    n.attrs.erase(ir::attr::kScale);  // fixed mode has no float scale
    ir::set_requant(n, rq);
  }
}

}  // namespace bpusim::compiler
