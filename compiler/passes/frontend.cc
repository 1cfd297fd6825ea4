#include "compiler/passes/frontend.h"

#include <set>
#include <vector>

#include "common/error.h"
#include "compiler/canonicalize_qop.h"
#include "compiler/lower/shape_infer.h"
#include "compiler/passes/float_ops.h"
#include "compiler/passes/fold_constants.h"
#include "compiler/passes/frontend_state.h"
#include "compiler/passes/fusion.h"
#include "compiler/passes/pytorch_layout.h"
#include "compiler/passes/qdq.h"
#include "compiler/passes/requant_mode.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

// Lowering and the shape-dependent passes need every shape: a symbolic (dynamic_axes) or
// missing input shape is refused with advice.
void require_static_inputs(const ir::Graph& g, const std::string& source) {
  for (ir::ValueId id : g.inputs) {
    const ir::Value& v = g.value(id);
    require(v.shape_known, source.empty() ? "" : cat(source, ": "), "graph input '", v.name,
            "' has no static shape (symbolic or missing dimensions); export the model with fixed "
            "input sizes (torch.onnx.export without dynamic_axes)");
  }
}

// The shapes an exporter declares after a ceil_mode average or max pool follow ONNX's rule, which
// keeps a last window PyTorch drops (docs/pytorch-recipes.md 2.22): they are inferred again
// from the pool's PyTorch shape instead of checked.
// Returns the pools.
std::vector<int> forget_shapes_after_ceil_pools(ir::Graph& graph) {
  std::vector<ir::ValueId> todo;
  std::vector<int> pools;
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const ir::Node& n = graph.nodes[k];
    if ((n.op == ir::op::kQAvgPool || n.op == ir::op::kQMaxPool) &&
        n.attr_int("ceil_mode", 0) != 0) {
      todo.push_back(n.outputs.at(0));
      pools.push_back(static_cast<int>(k));
    }
  }
  std::set<ir::ValueId> seen;
  while (!todo.empty()) {
    const ir::ValueId v = todo.back();
    todo.pop_back();
    if (!seen.insert(v).second) continue;
    graph.value(v).shape_known = false;
    for (int c : graph.consumers(v))
      for (ir::ValueId o : graph.nodes[static_cast<size_t>(c)].outputs)
        if (o != ir::kNoValue) todo.push_back(o);
  }
  return pools;
}

// ONNX's output size of a ceil_mode pool along spatial axis `axis` (0: H, 1: W): rounded up,
// without PyTorch's rule that drops a last window starting in the trailing padding.
int64_t onnx_ceil_size(const ir::Node& pool, const Shape& in, int axis) {
  const auto k = pool.attr_ints("kernel_shape", {1, 1});
  const auto s = pool.attr_ints("strides", {1, 1});
  const auto p = pool.attr_ints("pads", {0, 0, 0, 0});
  const auto d = pool.attr_ints("dilations", {1, 1});
  const auto a = static_cast<size_t>(axis);
  const int64_t span = (k.at(a) - 1) * d.at(a) + 1;
  return (in.at(2 + a) + p.at(a) + p.at(2 + a) - span + s.at(a) - 1) / s.at(a) + 1;
}

// Shape inference after ceil_mode pools: when it fails and a pool's PyTorch output is smaller
// than ONNX's rule gives, torch.onnx sized later layers (e.g. an adaptive pool's kernel)
// from ONNX's shape, and the file does not describe the PyTorch model: say so.
void infer_shapes_after_ceil_pools(ir::Graph& graph, const std::vector<int>& pools) {
  try {
    infer_shapes(graph);
  } catch (const InternalError&) {
    throw;
  } catch (const Error& e) {
    for (int k : pools) {
      const ir::Node& pool = graph.nodes[static_cast<size_t>(k)];
      const ir::Value& in = graph.value(pool.inputs.at(0));
      const ir::Value& out = graph.value(pool.outputs.at(0));
      if (!in.shape_known || !out.shape_known || in.shape.size() != 4) continue;
      const Shape onnx{out.shape[0], out.shape[1], onnx_ceil_size(pool, in.shape, 0),
                       onnx_ceil_size(pool, in.shape, 1)};
      if (onnx == out.shape) continue;
      fail(e.what(), " — the ceil_mode ", pool.describe(), " gives ", shape_str(out.shape),
           " in PyTorch, ", shape_str(onnx),
           " by ONNX's rule (PyTorch drops a last window that starts in the padding), and "
           "torch.onnx sized later layers from ONNX's shape: the file does not describe the "
           "PyTorch model (docs/pytorch-recipes.md 2.22); change the pool's padding or stride, "
           "or the input size");
    }
    throw;
  }
}

// One note for the model: which outputs were read as int8 although the file says uint8.
void note_int8_relabels(FrontendState& st) {
  if (st.int8_relabelled.empty()) return;
  std::string names;
  for (size_t i = 0; i < st.int8_relabelled.size() && i < 8; ++i)
    names += (i ? ", " : "") + st.int8_relabelled[i];
  if (st.int8_relabelled.size() > 8) names += cat(", ... (", st.int8_relabelled.size(), " in all)");
  st.not_fused.insert(
      st.not_fused.begin(),
      cat(st.source.empty() ? "" : st.source + ": ", "the outputs of ", names,
          " are labelled uint8 with zero point 0 but computed from int8 (qint8) activations: "
          "read as int8, as PyTorch computes them (torch 1.13's exporter labels every qint8 "
          "output uint8; docs/pytorch-recipes.md 4)"));
}

}  // namespace

FrontendNotes run_frontend(ir::Graph& graph, const HwConfig& hw, const std::string& source) {
  FrontendState st;
  st.source = source;
  for (const ir::Node& n : graph.nodes)
    if (const ir::OpDef* def = ir::find_op(n.op); def && def->group == ir::OpGroup::kQuantized)
      st.preexisting.insert(n.name);

  fold_constants(graph, source);
  canonicalize_qop(graph, source);
  fold_int32_bias(graph, st);
  remove_identity_casts(graph, st);
  recognize_qdq(graph, st);
  fold_batchnorm(graph, st);
  graph.prune();
  check_canonical(graph, st);
  graph.toposort();
  require_static_inputs(graph, source);
  infer_shapes_after_ceil_pools(graph, forget_shapes_after_ceil_pools(graph));
  apply_pytorch_layouts(graph, st);
  fuse_clamps(graph, st);
  fuse_residual_adds(graph, st);
  graph.toposort();
  select_requant_mode(graph, hw, st);
  report_float_regions(graph, st);
  note_int8_relabels(st);
  return {std::move(st.not_fused), std::move(st.host_regions)};
}

}  // namespace bpusim::compiler
