#include "compiler/lower/shape_infer.h"

#include <algorithm>

#include "common/error.h"
#include "compiler/passes/pytorch_params.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

using ir::Graph;
using ir::Node;

const ir::Value& input(const Graph& g, const Node& n, size_t i) {
  require(i < n.inputs.size() && n.inputs[i] != ir::kNoValue, n.describe(), ": input ", i,
          " is missing");
  const ir::Value& v = g.value(n.inputs[i]);
  require(v.shape_known, n.describe(), ": the shape of input '", v.name, "' is unknown");
  return v;
}

int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank, bool allow_end = false) {
  const int64_t hi = allow_end ? rank : rank - 1;
  const int64_t a = axis < 0 ? axis + rank + (allow_end ? 1 : 0) : axis;
  require(a >= 0 && a <= hi, n.describe(), ": attribute 'axis' value ", axis,
          " is out of range for rank ", rank);
  return a;
}

std::vector<int64_t> pair_attr(const Node& n, const char* key, int64_t fallback) {
  std::vector<int64_t> v = n.attr_ints(key, {fallback, fallback});
  require(v.size() == 2, n.describe(), ": attribute '", key, "' must have 2 entries, has ",
          v.size());
  for (int64_t x : v)
    require(x >= 1, n.describe(), ": attribute '", key, "' value ", x, " must be >= 1");
  return v;
}

std::vector<int64_t> pads_attr(const Node& n) {
  std::vector<int64_t> p = n.attr_ints("pads", {0, 0, 0, 0});
  require(p.size() == 4, n.describe(), ": attribute 'pads' must have 4 entries, has ", p.size());
  for (int64_t x : p) require(x >= 0, n.describe(), ": attribute 'pads' value ", x, " is negative");
  return p;
}

void require_rank(const Node& n, const ir::Value& v, size_t rank) {
  require(v.shape.size() == rank, n.describe(), ": input '", v.name, "' has shape ",
          shape_str(v.shape), ", expected rank ", rank);
}

// Output size of a sliding window (ceil_mode: PyTorch's rule: rounded up, so a window longer
// than the padded input by less than a stride gives one clipped window; the last window
// starts inside the image or its leading padding).
int64_t window_out(const Node& n, int64_t size, int64_t k, int64_t s, int64_t d, int64_t p0,
                   int64_t p1, bool ceil_mode) {
  const int64_t span = (k - 1) * d + 1;
  const int64_t room = size + p0 + p1 - span + (ceil_mode ? s - 1 : 0);
  require(room >= 0, n.describe(), ": window ", span, " is larger than the padded input ",
          size + p0 + p1);
  int64_t out = room / s + 1;
  if (ceil_mode && (out - 1) * s >= size + p0) --out;
  return out;
}

Shape conv_shape(const Graph& g, const Node& n) {
  const auto& x = input(g, n, 0);
  const auto& w = input(g, n, 1);
  require_rank(n, x, 4);
  require_rank(n, w, 4);
  const auto s = pair_attr(n, "strides", 1), d = pair_attr(n, "dilations", 1);
  const auto p = pads_attr(n);
  const int64_t group = n.attr_int("group", 1);
  require(group >= 1 && x.shape[1] % group == 0 && w.shape[0] % group == 0, n.describe(),
          ": attribute 'group' value ", group, " does not divide the ", x.shape[1], " input and ",
          w.shape[0], " output channels");
  require(w.shape[1] * group == x.shape[1], n.describe(), ": weight shape ", shape_str(w.shape),
          " does not match ", x.shape[1], " input channels in ", group, " group(s)");
  if (n.has_attr("kernel_shape"))
    require(n.attr_ints("kernel_shape", {}) == std::vector<int64_t>{w.shape[2], w.shape[3]},
            n.describe(), ": attribute 'kernel_shape' does not match the weight shape ",
            shape_str(w.shape));
  return {x.shape[0], w.shape[0],
          window_out(n, x.shape[2], w.shape[2], s[0], d[0], p[0], p[2], false),
          window_out(n, x.shape[3], w.shape[3], s[1], d[1], p[1], p[3], false)};
}

Shape pool_shape(const Graph& g, const Node& n) {
  const auto& x = input(g, n, 0);
  require_rank(n, x, 4);
  const auto k = n.attr_ints("kernel_shape", {});
  require(k.size() == 2 && k[0] >= 1 && k[1] >= 1, n.describe(),
          ": attribute 'kernel_shape' must be 2 positive entries");
  const auto s = pair_attr(n, "strides", 1), d = pair_attr(n, "dilations", 1);
  const auto p = pads_attr(n);
  const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
  return {x.shape[0], x.shape[1],
          window_out(n, x.shape[2], k[0], s[0], d[0], p[0], p[2], ceil_mode),
          window_out(n, x.shape[3], k[1], s[1], d[1], p[1], p[3], ceil_mode)};
}

Shape broadcast(const Node& n, const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    const int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    require(da == db || da == 1 || db == 1, n.describe(), ": shapes ", shape_str(a), " and ",
            shape_str(b), " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape matmul_shape(const Graph& g, const Node& n) {
  const Shape a = input(g, n, 0).shape, b = input(g, n, 1).shape;
  require(a.size() >= 2 && b.size() >= 2, n.describe(), ": matmul operands ", shape_str(a), " and ",
          shape_str(b), " must have rank >= 2");
  require(a.back() == b[b.size() - 2], n.describe(), ": matmul inner dimensions of ", shape_str(a),
          " and ", shape_str(b), " differ");
  Shape batch = broadcast(n, Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  batch.push_back(a[a.size() - 2]);
  batch.push_back(b.back());
  return batch;
}

Shape gemm_shape(const Graph& g, const Node& n) {
  const Shape a = input(g, n, 0).shape, b = input(g, n, 1).shape;
  require(a.size() == 2 && b.size() == 2, n.describe(), ": Gemm operands must be 2-D");
  const bool ta = n.attr_int("transA", 0) != 0, tb = n.attr_int("transB", 0) != 0;
  const int64_t k1 = ta ? a[0] : a[1], k2 = tb ? b[1] : b[0];
  require(k1 == k2, n.describe(), ": Gemm inner dimensions differ (", k1, " vs ", k2, ")");
  return {ta ? a[1] : a[0], tb ? b[0] : b[1]};
}

Shape concat_shape(const Graph& g, const Node& n) {
  Shape out = input(g, n, 0).shape;
  const int64_t axis = normalize_axis(n, n.attr_int("axis"), static_cast<int64_t>(out.size()));
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    const Shape& s = input(g, n, i).shape;
    require(s.size() == out.size(), n.describe(), ": input ", i, " has rank ", s.size(),
            ", expected ", out.size());
    for (size_t d = 0; d < s.size(); ++d)
      if (static_cast<int64_t>(d) != axis)
        require(s[d] == out[d], n.describe(), ": input ", i, " shape ", shape_str(s),
                " differs from ", shape_str(out), " outside axis ", axis);
    out[axis] += s[axis];
  }
  return out;
}

Shape reshape_shape(const Graph& g, const Node& n) {
  const Shape in = input(g, n, 0).shape;
  const ir::Value& sv = input(g, n, 1);
  require(sv.constant.has_value(), n.describe(), ": the target shape must be a constant");
  const auto target = sv.constant->values<int64_t>();
  const bool allow_zero = n.attr_int("allowzero", 0) != 0;
  Shape out(target.begin(), target.end());
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allow_zero) {
      require(i < in.size(), n.describe(), ": shape entry ", i, " copies a missing input dim");
      out[i] = in[i];
    } else if (out[i] == -1) {
      require(infer < 0, n.describe(), ": more than one -1 in the target shape");
      infer = static_cast<int>(i);
    } else {
      require(out[i] >= 0, n.describe(), ": shape entry ", out[i], " is invalid");
    }
  }
  if (infer >= 0) {
    out[infer] = 1;
    const int64_t known = numel(out);
    require(known > 0 && numel(in) % known == 0, n.describe(), ": cannot infer -1 reshaping ",
            shape_str(in), " to ", shape_str(Shape(target.begin(), target.end())));
    out[infer] = numel(in) / known;
  }
  require(numel(out) == numel(in), n.describe(), ": cannot reshape ", shape_str(in), " to ",
          shape_str(out));
  return out;
}

Shape flatten_shape(const Graph& g, const Node& n) {
  const Shape in = input(g, n, 0).shape;
  const int64_t axis =
      normalize_axis(n, n.attr_int("axis", 1), static_cast<int64_t>(in.size()), true);
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in[i];
  return {outer, outer == 0 ? 0 : numel(in) / std::max<int64_t>(outer, 1)};
}

Shape argmax_shape(const Graph& g, const Node& n) {
  Shape in = input(g, n, 0).shape;
  const int64_t axis = normalize_axis(n, n.attr_int("axis", 0), static_cast<int64_t>(in.size()));
  if (n.attr_int("keepdims", 1) != 0)
    in[axis] = 1;
  else
    in.erase(in.begin() + axis);
  return in;
}

// The output shape and element type of `n`.
std::pair<Shape, DType> infer(const Graph& g, const Node& n) {
  namespace op = ir::op;
  const std::string& o = n.op;
  auto in_type = [&](size_t i) { return input(g, n, i).dtype; };
  if (o == op::kQuantize) return {input(g, n, 0).shape, ir::get_out_dtype(n, DType::kU8)};
  if (o == op::kDequantize) return {input(g, n, 0).shape, DType::kF32};
  if (o == op::kQConv || o == op::kQMatMul) {
    const bool pass = n.attr_string(ir::attr::kMode, "") == "int32";
    return {o == op::kQConv ? conv_shape(g, n) : matmul_shape(g, n),
            ir::get_out_dtype(n, pass ? DType::kI32 : DType::kU8)};
  }
  if (o == op::kQUpsampleNearest || o == op::kQUpsampleBilinear) {
    Shape s = input(g, n, 0).shape;
    require_rank(n, input(g, n, 0), 4);
    s[2] = upsample_axis_of(n, 0, s[2]).out;
    s[3] = upsample_axis_of(n, 1, s[3]).out;
    require(s[2] > 0 && s[3] > 0, n.describe(), ": the upsampled size ", shape_str(s), " is empty");
    return {s, in_type(0)};
  }
  if (o == op::kQMul)
    return {broadcast(n, input(g, n, 0).shape, input(g, n, 1).shape),
            ir::get_out_dtype(n, DType::kU8)};
  if (o == op::kQAdd || o == op::kQAddBroadcast)
    return {broadcast(n, input(g, n, 0).shape, input(g, n, 1).shape),
            ir::get_out_dtype(n, DType::kU8)};
  if (o == op::kQClamp || o == op::kRelu || o == op::kSigmoid)
    return {input(g, n, 0).shape, in_type(0)};
  if (o == op::kQLut) return {input(g, n, 0).shape, ir::get_out_dtype(n, in_type(0))};
  if (o == op::kQConcat) return {concat_shape(g, n), ir::get_out_dtype(n, in_type(0))};
  if (o == op::kConcat) return {concat_shape(g, n), in_type(0)};
  if (o == op::kQMaxPool) return {pool_shape(g, n), in_type(0)};
  if (o == op::kQAvgPool) return {pool_shape(g, n), ir::get_out_dtype(n, in_type(0))};
  if (o == op::kQGlobalAvgPool || o == op::kGlobalAveragePool) {
    Shape s = input(g, n, 0).shape;
    require_rank(n, input(g, n, 0), 4);
    s[2] = s[3] = 1;
    return {s, o == op::kQGlobalAvgPool ? ir::get_out_dtype(n, in_type(0)) : DType::kF32};
  }
  if (o == op::kArgMax) return {argmax_shape(g, n), DType::kI64};
  if (o == op::kReshape) return {reshape_shape(g, n), in_type(0)};
  if (o == op::kFlatten) return {flatten_shape(g, n), in_type(0)};
  if (o == op::kConv) return {conv_shape(g, n), DType::kF32};
  if (o == op::kGemm) return {gemm_shape(g, n), DType::kF32};
  if (o == op::kMatMul) return {matmul_shape(g, n), DType::kF32};
  if (o == op::kAdd || o == op::kMul)
    return {broadcast(n, input(g, n, 0).shape, input(g, n, 1).shape), DType::kF32};
  if (o == op::kMaxPool || o == op::kAveragePool) return {pool_shape(g, n), DType::kF32};
  fail(n.describe(), ": unsupported op '", n.op, "' (not in the canonical op set, ir/op_set.h)");
}

}  // namespace

namespace {

// The byte size of `shape` with empty dimensions counted as 1 fits 64 bits (Error naming
// `what` otherwise): every size the lowering forms from the dimensions is at most that.
void require_addressable(Shape shape, DType t, const std::string& what) {
  for (int64_t& d : shape)
    if (d == 0) d = 1;
  tensor_bytes(shape, t, what);
}

}  // namespace

void infer_shapes(Graph& graph) {
  // Every size the lowering multiplies out (bytes, rows, planes) is a sub-product of a
  // tensor's byte size: checking that once per value keeps the rest overflow-free.
  for (ir::ValueId id : graph.inputs) {
    const ir::Value& v = graph.value(id);
    if (v.shape_known) require_addressable(v.shape, v.dtype, cat("graph input '", v.name, "'"));
  }
  for (const Node& n : graph.nodes) {
    require(n.outputs.size() == 1 && n.outputs[0] != ir::kNoValue, n.describe(),
            ": expected exactly one output, has ", n.outputs.size());
    auto [shape, dtype] = infer(graph, n);
    ir::Value& out = graph.value(n.outputs[0]);
    require(!out.shape_known || out.shape == shape, n.describe(), ": output '", out.name,
            "' is declared ", shape_str(out.shape), " but the op produces ", shape_str(shape));
    require_addressable(shape, dtype, cat(n.describe(), ": output '", out.name, "'"));
    out.shape = std::move(shape);
    out.shape_known = true;
    out.dtype = dtype;
  }
}

}  // namespace bpusim::compiler
