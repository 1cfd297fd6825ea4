#include "compiler/passes/pytorch_layout.h"

#include <algorithm>

#include "common/error.h"
#include "compiler/passes/graph_edit.h"
#include "ir/op_set.h"

namespace bpusim::compiler {

bool channels_last_contiguous(TorchLayout layout, const Shape& shape) {
  if (shape.size() != 4) return false;
  return layout == TorchLayout::kChannelsLast || shape[1] == 1 || (shape[2] == 1 && shape[3] == 1);
}

bool suggests_channels_last(TorchLayout layout, const Shape& shape) {
  return shape.size() == 4 && layout == TorchLayout::kChannelsLast &&
         !(shape[1] == 1 && shape[2] == 1 && shape[3] == 1);
}

namespace {

// The layout PyTorch gives the output of `n`, from its inputs' layouts.
TorchLayout output_layout(const ir::Graph& g, const ir::Node& n,
                          const std::vector<TorchLayout>& layout) {
  namespace op = ir::op;
  if (n.op == op::kQConv) return TorchLayout::kChannelsLast;
  // mul: the first operand's format, a broadcast gate's too (2.19).
  if (n.op == op::kQMul) return layout.at(n.inputs.at(0));
  // a broadcasting add: the full-size operand's format (2.20).
  if (n.op == op::kQAddBroadcast) {
    const ir::ValueId a = n.inputs.at(0), b = n.inputs.at(1);
    return layout.at(g.value(a).shape == g.value(n.outputs.at(0)).shape ? a : b);
  }
  // cat: the fast path's output is channels-last; the generic path's is at::cat's of the
  // dequantized inputs, channels-last when every input suggests channels-last (2.7, 6).
  if (n.op == op::kQConcat) {
    const bool all_channels_last = std::all_of(
        n.inputs.begin(), n.inputs.end(),
        [&](ir::ValueId v) { return suggests_channels_last(layout.at(v), g.value(v).shape); });
    return n.attr_string("recipe", "") == "qnnpack_channels_last" || all_channels_last
               ? TorchLayout::kChannelsLast
               : TorchLayout::kContiguous;
  }
  const bool keeps = n.op == op::kQMaxPool || n.op == op::kQAvgPool ||
                     n.op == op::kQGlobalAvgPool || n.op == op::kQClamp || n.op == op::kQAdd ||
                     n.op == op::kQLut || n.op == op::kQUpsampleNearest ||
                     n.op == op::kQUpsampleBilinear;
  // Dequantize, a float region's ops and its QuantStub keep a 4-D input's format in PyTorch
  // (a DeQuantStub -> QuantStub pair after a conv stays channels-last).
  const ir::OpDef* def = ir::find_op(n.op);
  const bool float_side = def == nullptr || def->group == ir::OpGroup::kFloat ||
                          n.op == op::kQuantize || n.op == op::kDequantize;
  const bool four_d = !n.inputs.empty() && n.inputs[0] != ir::kNoValue &&
                      g.value(n.inputs[0]).shape.size() == 4 &&
                      g.value(n.outputs.at(0)).shape.size() == 4;
  return keeps || (float_side && four_d) ? layout.at(n.inputs.at(0)) : TorchLayout::kContiguous;
}

// An add of operands of different shapes is ATen's broadcasting add in PyTorch (2.20), not
// QNNPACK's: it becomes QAddBroadcast, which takes a per-channel [N or 1, C, 1, 1] operand.
void convert_broadcast_add(ir::Graph& g, ir::Node& n, const FrontendState& st,
                           const std::vector<TorchLayout>& layout, const std::string& what) {
  const Shape& a = g.value(n.inputs.at(0)).shape;
  const Shape& b = g.value(n.inputs.at(1)).shape;
  if (a == b) return;
  const bool g_first = a.size() == 4 && b.size() == 4 && a[2] * a[3] == 1;
  const Shape& x = g_first ? b : a;
  const Shape& gate = g_first ? a : b;
  require(x.size() == 4 && gate.size() == 4 && (gate[0] == x[0] || gate[0] == 1) &&
              gate[1] == x[1] && gate[2] == 1 && gate[3] == 1 && x[2] * x[3] > 1,
          what, ": a broadcasting add of ", shape_str(a), " and ", shape_str(b),
          " is not supported: bpusim implements PyTorch's (ATen's) broadcasting add for a "
          "per-channel operand [N, C, 1, 1] of an [N, C, H, W] one only");
  require(g.value(n.inputs.at(0)).dtype == DType::kU8, what,
          ": a broadcasting add of int8 (qint8) tensors is not supported: PyTorch's qint8 recipe "
          "for it is not characterised (docs/pytorch-recipes.md 2.23)");
  const FrontendState::AddQuant& q = st.add_quant.at(n.name);
  const ir::ValueId full = n.inputs.at(g_first ? 1 : 0);
  const bool nhwc = layout[full] == TorchLayout::kChannelsLast && x[1] > 1;
  n.op = ir::op::kQAddBroadcast;
  n.attrs = {{"a_scale", q.a_scale},
             {"a_zero_point", int64_t{q.a_zp}},
             {"b_scale", q.b_scale},
             {"b_zero_point", int64_t{q.b_zp}},
             {"y_scale", q.y_scale},
             {"y_zero_point", int64_t{q.y_zp}},
             {"relu", int64_t{q.relu ? 1 : 0}},
             {"memory_order", std::string(nhwc ? "nhwc" : "nchw")},
             {ir::attr::kOutDType, std::string("uint8")}};
}

// XNNPACK multiplies int8 tensors of one shape; its broadcasting is not characterised.
void require_same_shape_int8_mul(const ir::Graph& g, const ir::Node& n, const std::string& what) {
  const Shape& a = g.value(n.inputs.at(0)).shape;
  const Shape& b = g.value(n.inputs.at(1)).shape;
  require(g.value(n.inputs.at(0)).dtype != DType::kI8 || a == b, what,
          ": a broadcasting multiply of int8 (qint8) tensors (", shape_str(a), " and ",
          shape_str(b),
          ") is not supported: PyTorch's qint8 recipe for it is not characterised "
          "(docs/pytorch-recipes.md 2.23)");
}

void set_concat_recipe(ir::Graph& g, ir::Node& n, const std::vector<TorchLayout>& layout,
                       const std::string& what) {
  const int64_t rank = static_cast<int64_t>(g.value(n.inputs.at(0)).shape.size());
  int64_t axis = n.attr_int(ir::attr::kAxis);
  require(axis >= -rank && axis < rank, what, ": axis ", axis, " is out of range for rank ", rank);
  if (axis < 0) axis += rank;
  n.attrs[ir::attr::kAxis] = axis;
  const bool fast = axis == 1 && std::all_of(n.inputs.begin(), n.inputs.end(), [&](ir::ValueId v) {
                      return channels_last_contiguous(layout[v], g.value(v).shape);
                    });
  n.attrs["recipe"] = std::string(fast ? "qnnpack_channels_last" : "qnnpack");
}

}  // namespace

std::vector<TorchLayout> apply_pytorch_layouts(ir::Graph& g, const FrontendState& st) {
  std::vector<TorchLayout> layout(g.values.size(), TorchLayout::kContiguous);
  for (ir::Node& n : g.nodes) {
    const std::string what = where(st.source, n);
    if (n.op == ir::op::kQAdd && st.add_quant.count(n.name))
      convert_broadcast_add(g, n, st, layout, what);
    // The front end's QConcat nodes get PyTorch's path; others keep their own recipe.
    if (n.op == ir::op::kQConcat && !st.preexisting.count(n.name))
      set_concat_recipe(g, n, layout, what);
    // A table pair (leaky_relu) counts positions in PyTorch's memory order of its input.
    if (n.op == ir::op::kQLut && n.has_attr("tail_table"))
      n.attrs["memory_order"] =
          std::string(layout[n.inputs.at(0)] == TorchLayout::kChannelsLast ? "nhwc" : "nchw");
    // ATen's average pools (ceil_mode, and every int8 pool) run the kernel of the input's
    // format (2.22, 2.23).
    const std::string recipe = n.attr_string("recipe", "");
    if ((n.op == ir::op::kQAvgPool || n.op == ir::op::kQGlobalAvgPool) &&
        (recipe == "aten" || recipe == "aten_adaptive"))
      n.attrs["recipe"] =
          recipe + (channels_last_contiguous(layout[n.inputs.at(0)], g.value(n.inputs.at(0)).shape)
                        ? "_channels_last"
                        : "_contiguous");
    if (n.op == ir::op::kQMul) require_same_shape_int8_mul(g, n, what);
    // Bilinear upsampling runs the channels-last kernel on a channels-last contiguous input.
    if (n.op == ir::op::kQUpsampleBilinear)
      n.attrs["memory_order"] = std::string(
          channels_last_contiguous(layout[n.inputs.at(0)], g.value(n.inputs.at(0)).shape) ? "nhwc"
                                                                                          : "nchw");
    // (qint8's clamp has no such defect, 2.23.)
    if (n.op == ir::op::kQClamp && st.clip_clamps.count(n.name) &&
        g.value(n.inputs.at(0)).dtype == DType::kU8)
      require(layout[n.inputs.at(0)] != TorchLayout::kChannelsLast, what,
              ": Clip (hardtanh/relu6/clamp) of a tensor PyTorch holds channels-last (the output "
              "of a conv, or computed from one) is not supported: torch 1.13 permutes the "
              "elements of such a clamp, so its result is not a clamp (docs/pytorch-recipes.md "
              "2.9); use ReLU, or clamp in a float region");
    for (ir::ValueId o : n.outputs) layout.at(o) = output_layout(g, n, layout);
  }
  return layout;
}

}  // namespace bpusim::compiler
