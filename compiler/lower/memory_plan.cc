// make_plan(): placement, layouts, aliases, constants and the DDR map (see plan.h).
#include <algorithm>
#include <map>
#include <set>

#include "common/error.h"
#include "compiler/lower/ddr_plan.h"
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

// A topological order of the nodes that keeps BPU nodes together and host nodes together as
// long as the dependencies allow (greedy: stay with the current kind while one of its nodes
// is ready; aliases go whenever ready), so the program has as few segments as possible.
std::vector<int> segment_order(const Plan& plan) {
  const ir::Graph& g = *plan.graph;
  const int n = static_cast<int>(g.nodes.size());
  std::vector<int> missing(n, 0);
  std::vector<std::vector<int>> readers(n);
  for (int k = 0; k < n; ++k)
    for (ir::ValueId id : g.nodes[k].inputs) {
      const int p = id == ir::kNoValue ? -1 : g.producer(id);
      if (p < 0) continue;
      ++missing[k];
      readers[p].push_back(k);
    }
  std::set<int> ready;
  for (int k = 0; k < n; ++k)
    if (missing[k] == 0) ready.insert(k);
  std::vector<int> order;
  Placement current = Placement::kBpu;
  while (!ready.empty()) {
    auto pick = std::find_if(ready.begin(), ready.end(), [&](int k) {
      return plan.nodes[k].placement == Placement::kAlias || plan.nodes[k].placement == current;
    });
    if (pick == ready.end()) {
      pick = ready.begin();
      current = plan.nodes[*pick].placement;
    }
    const int k = *pick;
    ready.erase(pick);
    order.push_back(k);
    for (int r : readers[k])
      if (--missing[r] == 0) ready.insert(r);
  }
  return order;
}

// Per value, the value whose bytes it uses: itself, or the root of its view_of chain (a
// Reshape alias of a concat slice's concat output, ...); kNoValue for constants.
std::vector<ir::ValueId> tensor_roots(const Plan& plan) {
  const ir::Graph& g = *plan.graph;
  std::map<std::string, ir::ValueId> by_name;
  for (size_t i = 0; i < g.values.size(); ++i) by_name[g.values[i].name] = ir::ValueId(i);
  std::vector<ir::ValueId> roots(g.values.size(), ir::kNoValue);
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (g.values[i].constant) continue;
    ir::ValueId r = ir::ValueId(i);
    while (!plan.tensors[r].view_of.empty()) r = by_name.at(plan.tensors[r].view_of);
    roots[i] = r;
  }
  return roots;
}

// Each root's lifetime in steps of plan.order (ddr_plan.h): from the first node that writes
// it or a view of it (its producer, or a concat input's producer storing into its slice) to
// the last node that reads it or a view; model inputs from before the first step, model
// outputs until after the last. Aliases move no bytes and are not accesses. Indexed by
// ValueId; meaningful for roots only.
std::vector<LiveRange> lifetimes(const Plan& plan, const std::vector<ir::ValueId>& roots) {
  const ir::Graph& g = *plan.graph;
  const int64_t end = static_cast<int64_t>(plan.order.size());
  std::vector<LiveRange> live(g.values.size(), LiveRange{0, end, -1});
  auto use = [&](ir::ValueId v, int64_t step) {
    if (v == ir::kNoValue || roots[v] == ir::kNoValue) return;
    LiveRange& r = live[roots[v]];
    r.first = std::min(r.first, step);
    r.last = std::max(r.last, step);
  };
  for (ir::ValueId v : g.inputs) use(v, -1);
  for (int64_t p = 0; p < end; ++p) {
    const ir::Node& n = g.nodes[plan.order[p]];
    if (plan.nodes[plan.order[p]].placement == Placement::kAlias) continue;
    for (ir::ValueId v : n.inputs) use(v, p);
    for (ir::ValueId v : n.outputs) use(v, p);
  }
  for (ir::ValueId v : g.outputs) use(v, end);
  return live;
}

// Whether `a` ends before `b`, placed on some of its bytes, starts: then `b` overwrites it.
bool overwrites(const LiveRange& a, int64_t a_addr, const LiveRange& b, int64_t b_addr) {
  return a.last < b.first && a.bytes > 0 && b.bytes > 0 && a_addr < b_addr + b.bytes &&
         b_addr < a_addr + a.bytes;
}

// Marks what keep_tensors may not trust after the run: every root a later root writes over,
// and the views of such roots.
void mark_overwritten(Plan& plan, const std::vector<ir::ValueId>& roots,
                      const std::vector<ir::ValueId>& ids, const std::vector<LiveRange>& live) {
  for (ir::ValueId a : ids)
    for (ir::ValueId b : ids)
      if (overwrites(live[a], plan.desc(a).ddr_addr, live[b], plan.desc(b).ddr_addr))
        plan.tensors[a].overwritten = true;
  for (size_t i = 0; i < roots.size(); ++i)
    if (roots[i] != ir::kNoValue) plan.tensors[i].overwritten = plan.desc(roots[i]).overwritten;
}

// The DDR map: WEIGHTS, PARAMS, then the tensor area. Every root (a non-constant value with
// bytes of its own) is a block live over its lifetime — or over the whole program without
// reuse — placed by place_blocks(); views take their root's bytes.
void allocate(Plan& plan, const std::vector<SliceView>& slices, const HwConfig& hw,
              const CompileOptions& options) {
  const ir::Graph& g = *plan.graph;
  DdrFootprint& f = plan.ddr;
  f.reuse = options.ddr_reuse;
  f.weights = static_cast<int64_t>(plan.weights.size());
  plan.params_base = align_up(f.weights, kSectionAlign);
  f.params = static_cast<int64_t>(plan.params.size() * isa::kParamRecordBytes);
  f.tensors_base = align_up(plan.params_base + f.params, kSectionAlign);
  const std::vector<ir::ValueId> roots = tensor_roots(plan);
  std::vector<LiveRange> live = lifetimes(plan, roots);
  std::vector<ir::ValueId> ids;  // the roots, in value order
  std::vector<LiveRange> blocks, whole;
  for (size_t i = 0; i < g.values.size(); ++i) {
    TensorDesc& t = plan.tensors[i];
    t.bytes = numel(t.shape) * static_cast<int64_t>(dtype_size(t.dtype));
    if (roots[i] != ir::ValueId(i)) continue;
    live[i].bytes = t.bytes;
    if (live[i].first > live[i].last) live[i].first = live[i].last = 0;  // never used
    ids.push_back(ir::ValueId(i));
    blocks.push_back(live[i]);
    whole.push_back({t.bytes, -1, static_cast<int64_t>(plan.order.size())});
  }
  const std::vector<int64_t> offsets = place_blocks(options.ddr_reuse ? blocks : whole, kDdrAlign);
  for (size_t b = 0; b < ids.size(); ++b)
    plan.tensors[ids[b]].ddr_addr = f.tensors_base + offsets[b];
  f.tensors = placement_end(blocks, offsets, kDdrAlign);
  f.peak_live = peak_live_bytes(blocks, kDdrAlign);
  f.no_reuse = peak_live_bytes(whole, kDdrAlign);
  for (const SliceView& s : slices)
    plan.tensors[s.value].ddr_addr = plan.desc(s.concat_out).ddr_addr + s.offset;
  for (size_t i = 0; i < g.values.size(); ++i) {
    TensorDesc& t = plan.tensors[i];
    if (!t.view_of.empty() && t.ddr_addr < 0) t.ddr_addr = plan.desc(roots[i]).ddr_addr;
  }
  mark_overwritten(plan, roots, ids, live);
  require(f.ddr_end() <= hw.ddr_size_bytes, "the program needs ", f.ddr_end(),
          " bytes of DDR (weights ", f.weights, ", parameter records ", f.params, ", tensors ",
          f.tensors, options.ddr_reuse ? "" : " without reuse", ") but ddr.size_bytes is ",
          hw.ddr_size_bytes);
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

Plan make_plan(const ir::Graph& graph, const HwConfig& hw, const CompileOptions& options) {
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
  plan.order = segment_order(plan);
  allocate(plan, slices, hw, options);
  return plan;
}

}  // namespace bpusim::compiler
