// make_plan(): placement, layouts, aliases, constants and the DDR map (see plan.h).
#include <algorithm>
#include <set>

#include "common/error.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/lower/tiling.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

namespace op = ir::op;

constexpr int64_t kSectionAlign = 4096;

bool is_integer(DType t) {
  return t != DType::kF32;
}

void default_layout(TensorDesc& t) {
  if (t.shape.size() == 4 && is_integer(t.dtype)) {
    t.layout = isa::TensorLayout::kNhwc;
    t.nchw = t.shape;
  } else {
    t.layout = isa::TensorLayout::kRowMajor;
    t.nchw.clear();
  }
}

// The contract's form of a value's quantization: one zero point per scale, axis -1 per tensor.
std::optional<isa::Quantization> quantization(const std::optional<ir::QuantParams>& q) {
  if (!q || q->scale.empty()) return std::nullopt;
  isa::Quantization out{q->scale, q->zero_point, q->per_tensor() ? -1 : q->axis};
  if (out.zero_point.empty()) out.zero_point.assign(out.scale.size(), 0);
  return out;
}

std::vector<TensorDesc> initial_descs(const ir::Graph& g) {
  std::vector<TensorDesc> out(g.values.size());
  const std::set<ir::ValueId> inputs(g.inputs.begin(), g.inputs.end());
  const std::set<ir::ValueId> outputs(g.outputs.begin(), g.outputs.end());
  for (size_t i = 0; i < g.values.size(); ++i) {
    const ir::Value& v = g.values[i];
    TensorDesc& t = out[i];
    t.name = v.name;
    t.dtype = t.ir_dtype = v.dtype;
    t.shape = v.shape;
    t.quant = quantization(v.quant);
    t.role = outputs.count(static_cast<ir::ValueId>(i))  ? isa::TensorRole::kOutput
             : inputs.count(static_cast<ir::ValueId>(i)) ? isa::TensorRole::kInput
                                                         : isa::TensorRole::kInternal;
    default_layout(t);
  }
  return out;
}

Placement classify(const ir::Graph& g, const ir::Node& n) {
  if (n.op == op::kReshape || n.op == op::kFlatten) return Placement::kAlias;
  if (!find_lowering(n.op)) return Placement::kHost;
  if (n.op == op::kArgMax) {
    const DType t = g.value(n.inputs[0]).dtype;
    return t == DType::kU8 || t == DType::kI8 ? Placement::kBpu : Placement::kHost;
  }
  return Placement::kBpu;
}

// The layout of a Reshape/Flatten output that shares its input's bytes.
void alias_layout(const TensorDesc& in, TensorDesc& out) {
  if (in.layout == isa::TensorLayout::kRowMajor) {
    out.layout = isa::TensorLayout::kRowMajor;
    out.nchw.clear();
    return;
  }
  const Shape& s = in.nchw;
  if (out.shape == s) {
    out.layout = isa::TensorLayout::kNhwc;
    out.nchw = s;
  } else if (s[2] * s[3] == 1 || s[1] == 1) {  // NHWC order == NCHW order
    out.layout = isa::TensorLayout::kRowMajor;
    out.nchw.clear();
  } else {
    out.layout = isa::TensorLayout::kNhwc;
    out.nchw = s;
  }
}

// Whether BPU node `consumer` can read `v` as laid out now. A tensor whose NHWC bytes do not
// follow its logical shape (the Flatten of an NHWC image) is readable only by a linear layer,
// which permutes its weights instead.
bool accepts(const Plan& plan, const ir::Node& consumer, ir::ValueId v) {
  const TensorDesc& t = plan.desc(v);
  const std::string& o = consumer.op;
  if (t.layout == isa::TensorLayout::kNhwc && t.shape != t.nchw)
    return o == op::kQMatMul && consumer.inputs[0] == v && t.shape.size() == 2 &&
           t.shape[0] == t.nchw[0] && t.shape[1] == t.nchw[1] * t.nchw[2] * t.nchw[3];
  if (o == op::kQConv || o == op::kQMaxPool || o == op::kQAvgPool || o == op::kQGlobalAvgPool)
    return image_4d(t).has_value();
  if (o == op::kQMatMul) return image_rows(t).has_value();
  if (o == op::kArgMax) {
    const int64_t rank = static_cast<int64_t>(t.shape.size());
    int64_t axis = consumer.attr_int("axis", 0);
    if (axis < 0) axis += rank;
    return (image_4d(t) && axis == 1) || (image_rows(t) && axis == rank - 1);
  }
  if (o == op::kQConcat)
    return image_4d(t) || memory_order_key(t) == "flat" + std::to_string(numel(t.shape));
  return true;
}

void plan_layouts(Plan& plan) {
  const ir::Graph& g = *plan.graph;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const ir::Node& n = g.nodes[k];
    NodePlan& np = plan.nodes[k];
    TensorDesc& out = plan.tensors[n.outputs[0]];
    if (np.placement == Placement::kBpu && n.op == op::kArgMax) {
      out.dtype = DType::kI32;  // ARGMAX writes int32 indices; the graph's type is int64
      default_layout(out);
    }
    if (np.placement == Placement::kBpu &&
        (n.op == op::kQAdd || n.op == op::kQClamp || n.op == op::kQLut || n.op == op::kQMul ||
         n.op == op::kQAddBroadcast)) {
      // An elementwise result lies like its full-size operand (a QMul gate may come first).
      const bool first = plan.desc(n.inputs[0]).shape == out.shape || n.inputs.size() < 2;
      const TensorDesc& a = plan.desc(n.inputs[first ? 0 : 1]);
      if (a.shape == out.shape) out.layout = a.layout, out.nchw = a.nchw;
    }
    if (np.placement == Placement::kBpu &&
        (n.op == op::kQUpsampleNearest || n.op == op::kQUpsampleBilinear)) {
      const TensorDesc& a = plan.desc(n.inputs[0]);  // an NHWC image stays NHWC
      if (a.layout == isa::TensorLayout::kNhwc && a.nchw == a.shape)
        out.layout = a.layout, out.nchw = out.shape;
    }
    if (np.placement != Placement::kAlias) continue;
    const TensorDesc& in = plan.desc(n.inputs[0]);
    alias_layout(in, out);
    out.view_of = in.view_of.empty() ? in.name : in.view_of;
    // Keep the alias only when every reader can use the shared bytes as they lie; else the
    // host copies them into the output's own layout.
    std::string reader;
    if (out.role == isa::TensorRole::kOutput && out.layout == isa::TensorLayout::kNhwc &&
        out.shape != out.nchw)
      reader = "the model output";
    for (int c : g.consumers(n.outputs[0])) {
      if (!reader.empty()) break;
      const bool bpu = plan.nodes[c].placement == Placement::kBpu;
      if (bpu ? !accepts(plan, g.nodes[c], n.outputs[0])
              : out.layout == isa::TensorLayout::kNhwc && out.shape != out.nchw)
        reader = g.nodes[c].describe();
    }
    if (!reader.empty()) {
      np.placement = Placement::kHost;
      np.note =
          cat("the reshaped bytes are not in the layout ", reader, " reads; the host copies them");
      out.view_of.clear();
      default_layout(out);
    }
  }
}

// Concat inputs that their producer can store straight into the output's slice.
struct SliceView {
  ir::ValueId value;
  ir::ValueId concat_out;
  int64_t offset;  // bytes from the start of the concat output
};

std::vector<SliceView> plan_concat_slices(Plan& plan) {
  const ir::Graph& g = *plan.graph;
  std::vector<SliceView> views;
  const std::set<ir::ValueId> boundary = [&] {
    std::set<ir::ValueId> s(g.inputs.begin(), g.inputs.end());
    s.insert(g.outputs.begin(), g.outputs.end());
    return s;
  }();
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const ir::Node& n = g.nodes[k];
    if (plan.nodes[k].placement != Placement::kBpu || n.op != op::kQConcat) continue;
    plan.nodes[k].concat_move.assign(n.inputs.size(), -2);
    const TensorDesc& y = plan.desc(n.outputs[0]);
    const bool nhwc = y.layout == isa::TensorLayout::kNhwc && image_4d(y).has_value();
    const int64_t rank = static_cast<int64_t>(y.shape.size());
    int64_t axis = n.attr_int("axis");
    if (axis < 0) axis += rank;
    // Memory axis of the concat and the byte size of everything inside it.
    const int64_t mem_axis = nhwc ? std::array<int64_t, 4>{0, 3, 1, 2}[axis] : axis;
    const Shape mem = nhwc ? Shape{y.shape[0], y.shape[2], y.shape[3], y.shape[1]} : y.shape;
    int64_t outer = 1, inner_total = 1;
    for (int64_t d = 0; d < rank; ++d) (d < mem_axis ? outer : inner_total) *= mem[d];
    inner_total *= dtype_size(y.dtype);
    const bool channel_axis = mem_axis == rank - 1;
    if (!channel_axis && outer != 1) continue;
    const auto scales = n.attr_floats("x_scales", {});
    const auto zps = n.attr_ints("x_zero_points", {});
    const float y_scale = n.attr_float("y_scale", 0.0f);
    const int64_t y_zp = n.attr_int("y_zero_point", 0);
    int64_t offset = 0;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const ir::ValueId v = n.inputs[i];
      TensorDesc& t = plan.tensors[v];
      const int64_t inner = numel(t.shape) / std::max<int64_t>(outer, 1) * dtype_size(t.dtype);
      const int producer = g.producer(v);
      const bool ok =
          producer >= 0 && plan.nodes[producer].placement == Placement::kBpu &&
          (g.nodes[producer].op == op::kQConv || g.nodes[producer].op == op::kQMatMul ||
           g.nodes[producer].op == op::kQMaxPool || g.nodes[producer].op == op::kQAvgPool ||
           g.nodes[producer].op == op::kQGlobalAvgPool) &&
          !boundary.count(v) && g.consumers(v).size() == 1 &&
          std::count(n.inputs.begin(), n.inputs.end(), v) == 1 && t.dtype == y.dtype &&
          i < scales.size() && i < zps.size() && scales[i] == y_scale && zps[i] == y_zp &&
          t.view_of.empty() && (nhwc ? image_4d(t).has_value() : image_rows(t).has_value());
      if (ok) {
        t.view_of = y.name;
        if (channel_axis) t.pixel_stride = inner_total;
        views.push_back({v, n.outputs[0], offset});
        plan.nodes[k].concat_move[i] = -1;
      }
      offset += inner;
    }
  }
  return views;
}

// Constant inputs of host ops become TENSORS entries (role "constant") whose bytes live in
// WEIGHTS; a constant shared by several host ops is stored once.
void pack_host_constants(Plan& plan, int k) {
  const ir::Node& n = plan.graph->nodes[k];
  for (ir::ValueId id : n.inputs) {
    if (id == ir::kNoValue || !plan.value(id).constant || plan.tensors[id].ddr_addr >= 0) continue;
    const auto b = plan.value(id).constant->bytes();
    std::vector<uint8_t> bytes(b.size());
    std::transform(b.begin(), b.end(), bytes.begin(), [](std::byte x) { return uint8_t(x); });
    TensorDesc& t = plan.tensors[id];
    t.ddr_addr = add_weights(plan, bytes);
    t.role = isa::TensorRole::kConstant;
    t.layout = isa::TensorLayout::kRowMajor;
    t.nchw.clear();
  }
}

void allocate(Plan& plan, const std::vector<SliceView>& slices, const HwConfig& hw) {
  const ir::Graph& g = *plan.graph;
  const int64_t weights_bytes = static_cast<int64_t>(plan.weights.size());
  plan.params_base = align_up(weights_bytes, kSectionAlign);
  const int64_t params_bytes = static_cast<int64_t>(plan.params.size() * isa::kParamRecordBytes);
  int64_t next = align_up(plan.params_base + params_bytes, kSectionAlign);
  const int64_t first_tensor = next;
  for (size_t i = 0; i < g.values.size(); ++i) {
    TensorDesc& t = plan.tensors[i];
    t.bytes = numel(t.shape) * static_cast<int64_t>(dtype_size(t.dtype));
    if (g.values[i].constant || !t.view_of.empty()) continue;
    t.ddr_addr = next;
    next = align_up(next + t.bytes, kDdrAlign);
  }
  for (const SliceView& s : slices)
    plan.tensors[s.value].ddr_addr = plan.desc(s.concat_out).ddr_addr + s.offset;
  // Aliases share their root's address (roots are never views themselves except slices,
  // which nobody else reads).
  for (size_t i = 0; i < g.values.size(); ++i) {
    TensorDesc& t = plan.tensors[i];
    if (t.view_of.empty() || t.ddr_addr >= 0) continue;
    t.ddr_addr = plan.desc(g.find(t.view_of)).ddr_addr;
  }
  plan.ddr_end = next;
  require(next <= hw.ddr_size_bytes, "the program needs ", next, " bytes of DDR (weights ",
          weights_bytes, ", parameter records ", params_bytes, ", tensors ", next - first_tensor,
          ") but ddr.size_bytes is ", hw.ddr_size_bytes);
}

}  // namespace

int64_t add_weights(Plan& plan, const std::vector<uint8_t>& bytes) {
  const int64_t addr = align_up(static_cast<int64_t>(plan.weights.size()), kDdrAlign);
  plan.weights.resize(addr);
  plan.weights.insert(plan.weights.end(), bytes.begin(), bytes.end());
  return addr;
}

int64_t add_params(Plan& plan, const std::vector<isa::ParamRecord>& records) {
  const int64_t index = static_cast<int64_t>(plan.params.size());
  plan.params.insert(plan.params.end(), records.begin(), records.end());
  return index;
}

Plan make_plan(const ir::Graph& graph, const HwConfig& hw) {
  Plan plan;
  plan.graph = &graph;
  plan.tensors = initial_descs(graph);
  plan.nodes.resize(graph.nodes.size());
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    ir::check_node(graph.nodes[k]);
    plan.nodes[k].placement = classify(graph, graph.nodes[k]);
  }
  plan_layouts(plan);
  const std::vector<SliceView> slices = plan_concat_slices(plan);
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const int node = static_cast<int>(k);
    if (plan.nodes[k].placement == Placement::kBpu)
      find_lowering(graph.nodes[k].op)->prepare(plan, node, hw);
    else if (plan.nodes[k].placement == Placement::kHost)
      pack_host_constants(plan, node);
  }
  allocate(plan, slices, hw);
  return plan;
}

}  // namespace bpusim::compiler
