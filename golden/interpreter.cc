#include "golden/interpreter.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "common/error.h"
#include "golden/node_attrs.h"
#include "golden/ops.h"
#include "golden/recipes.h"
#include "ir/op_set.h"

namespace bpusim::golden {
namespace {

using ir::Node;

// What a kernel sees: the node (attributes, name for messages) and its input tensors.
struct Ctx {
  const Node& node;
  std::vector<const Tensor*> in;  // nullptr for an absent optional input
  std::string what;               // "node 'conv1' (QConv)"

  const Tensor& input(size_t i) const { return *in.at(i); }
  const Tensor* optional(size_t i) const { return i < in.size() ? in[i] : nullptr; }
};

using Kernel = std::vector<Tensor> (*)(const Ctx&);

// ---- attribute readers (all validation errors name the node and the attribute) ----

ir::QuantParams quant_params(const Node& n, const char* scale_key, const char* zp_key) {
  ir::QuantParams q;
  q.scale = n.attr_floats(scale_key, {});
  for (int64_t z : n.attr_ints(zp_key, {})) {
    require(z >= std::numeric_limits<int32_t>::min() && z <= std::numeric_limits<int32_t>::max(),
            n.describe(), ": attribute '", zp_key, "' value ", z, " does not fit int32");
    q.zero_point.push_back(static_cast<int32_t>(z));
  }
  q.axis = static_cast<int>(n.attr_int(ir::attr::kAxis, -1));
  require(q.axis >= -1, n.describe(), ": attribute 'axis' value ", q.axis,
          " must be -1 (per tensor) or a dimension index");
  return q;
}

Affine affine(const Node& n, const char* scale_key, const char* zp_key) {
  return {n.attr_float(scale_key, 0.0f), int32_attr(n, zp_key, 0)};
}

// The `recipe` attribute of QAvgPool / QGlobalAvgPool / QConcat (ir/op_set.h).
AvgPoolRecipe avg_pool_recipe_attr(const Node& n) {
  const std::string r = n.attr_string("recipe", "onnx");
  if (r == "aten_channels_last") return AvgPoolRecipe::kAtenChannelsLast;
  if (r == "aten_contiguous") return AvgPoolRecipe::kAtenContiguous;
  if (r == "aten_adaptive_channels_last") return AvgPoolRecipe::kAtenAdaptiveChannelsLast;
  if (r == "aten_adaptive_contiguous") return AvgPoolRecipe::kAtenAdaptiveContiguous;
  require(r == "onnx" || r == "qnnpack", n.describe(), ": attribute 'recipe' value '", r,
          "' is not onnx, qnnpack, aten_channels_last, aten_contiguous, "
          "aten_adaptive_channels_last or aten_adaptive_contiguous");
  return r == "onnx" ? AvgPoolRecipe::kOnnx : AvgPoolRecipe::kQnnpack;
}

ConcatRecipe concat_recipe_attr(const Node& n) {
  const std::string r = n.attr_string("recipe", "onnx");
  if (r == "onnx") return ConcatRecipe::kOnnx;
  if (r == "qnnpack") return ConcatRecipe::kQnnpack;
  require(r == "qnnpack_channels_last", n.describe(), ": attribute 'recipe' value '", r,
          "' is not onnx, qnnpack or qnnpack_channels_last");
  return ConcatRecipe::kQnnpackChannelsLast;
}

// ---- kernels ----

std::vector<Tensor> k_quantize(const Ctx& c) {
  const DType out = ir::get_out_dtype(c.node, DType::kU8);
  const std::string method = c.node.attr_string("method", "div");
  require(method == "div" || method == "mul_inv", c.what, ": attribute 'method' value '", method,
          "' is not div or mul_inv");
  return {quantize(c.input(0), quant_params(c.node, "y_scale", "y_zero_point"), out,
                   method == "div" ? QuantizeMethod::kDiv : QuantizeMethod::kMulInv, c.what)};
}

std::vector<Tensor> k_dequantize(const Ctx& c) {
  return {dequantize(c.input(0), quant_params(c.node, "x_scale", "x_zero_point"), c.what)};
}

std::vector<Tensor> k_qconv(const Ctx& c) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.input(1);
  const Tensor* residual = c.optional(2);
  const Tensor acc =
      conv2d_acc(x, int32_attr(c.node, "x_zero_point", 0), w, int32_attr(c.node, "w_zero_point", 0),
                 conv_geometry(c.node), c.what);
  const ir::Requant rq = ir::get_requant(c.node, acc.dim(1), residual != nullptr);
  return {requantize(acc, 1, rq, residual, c.what)};
}

std::vector<Tensor> k_qmatmul(const Ctx& c) {
  const Tensor* residual = c.optional(2);
  const Tensor acc = matmul_acc(c.input(0), int32_attr(c.node, "a_zero_point", 0), c.input(1),
                                int32_attr(c.node, "b_zero_point", 0), c.what);
  const int64_t axis = static_cast<int64_t>(acc.rank()) - 1;
  const ir::Requant rq = ir::get_requant(c.node, acc.dim(axis), residual != nullptr);
  return {requantize(acc, axis, rq, residual, c.what)};
}

std::vector<Tensor> k_qadd(const Ctx& c) {
  const DType out = ir::get_out_dtype(c.node, DType::kU8);
  require(out != DType::kI32, c.what, ": out_dtype must be uint8 or int8");
  return {qadd(c.input(0), c.input(1), ir::get_add_params(c.node, out), out, c.what)};
}

std::vector<Tensor> k_qclamp(const Ctx& c) {
  return {
      clamp(c.input(0), c.node.attr_int(ir::attr::kMin), c.node.attr_int(ir::attr::kMax), c.what)};
}

std::vector<Tensor> k_qmul(const Ctx& c) {
  return {qmul(c.input(0), int32_attr(c.node, "a_zero_point", 0), c.input(1),
               int32_attr(c.node, "b_zero_point", 0), ir::get_requant(c.node, 1, false), c.what)};
}

// The H and W axes of a QUpsampleNearest / QUpsampleBilinear (attribute sizes or scales).
std::array<UpsampleAxis, 2> upsample_axes(const Ctx& c, const Tensor& x) {
  require(x.rank() == 4, c.what, ": input must be 4-D NCHW");
  const bool align = c.node.attr_int("align_corners", 0) != 0;
  std::array<UpsampleAxis, 2> axes;
  if (c.node.has_attr("sizes")) {
    const std::vector<int64_t> s = c.node.attr_ints("sizes", {});
    require(s.size() == 2 && s[0] > 0 && s[1] > 0, c.what,
            ": attribute 'sizes' needs 2 positive entries");
    for (int k = 0; k < 2; ++k) axes[k] = upsample_axis_from_size(x.dim(2 + k), s[k], align);
    return axes;
  }
  const std::vector<float> s = c.node.attr_floats("scales", {});
  require(s.size() == 2 && s[0] > 0.0f && s[1] > 0.0f, c.what,
          ": attribute 'scales' needs 2 positive entries");
  for (int k = 0; k < 2; ++k) axes[k] = upsample_axis_from_scale(x.dim(2 + k), s[k], align);
  return axes;
}

std::vector<Tensor> k_upsample_nearest(const Ctx& c) {
  const Tensor& x = c.input(0);
  const std::array<UpsampleAxis, 2> a = upsample_axes(c, x);
  return {gather2d(x, nearest_sources(a[0]), nearest_sources(a[1]), c.what)};
}

std::vector<Tensor> k_qadd_broadcast(const Ctx& c) {
  const std::string order = c.node.attr_string("memory_order", "nchw");
  require(order == "nchw" || order == "nhwc", c.what, ": attribute 'memory_order' value '", order,
          "' is not nchw or nhwc");
  const bool g_first = c.input(0).numel() < c.input(1).numel();
  const Affine a = affine(c.node, "a_scale", "a_zero_point");
  const Affine b = affine(c.node, "b_scale", "b_zero_point");
  const Tensor& x = c.input(g_first ? 1 : 0);
  const Tensor& g = c.input(g_first ? 0 : 1);
  return {qadd_broadcast(x, g_first ? b : a, g, g_first ? a : b, g_first,
                         affine(c.node, "y_scale", "y_zero_point"), c.node.attr_int("relu", 0) != 0,
                         order == "nhwc", ir::get_out_dtype(c.node, DType::kU8), c.what)};
}

std::vector<Tensor> k_upsample_bilinear(const Ctx& c) {
  const Tensor& x = c.input(0);
  const std::array<UpsampleAxis, 2> a = upsample_axes(c, x);
  const bool align = c.node.attr_int("align_corners", 0) != 0;
  const std::string order = c.node.attr_string("memory_order", "nchw");
  require(order == "nchw" || order == "nhwc", c.what, ": attribute 'memory_order' value '", order,
          "' is not nchw or nhwc");
  const bool nhwc = order == "nhwc";
  const auto zp = static_cast<int32_t>(c.node.attr_int("x_zero_point"));
  return {upsample_bilinear(x, zp, bilinear_sources(a[0], align, nhwc),
                            bilinear_sources(a[1], align, nhwc), nhwc, c.what)};
}

std::vector<Tensor> k_qlut(const Ctx& c) {
  const DType out = ir::get_out_dtype(c.node, c.input(0).dtype());
  if (!c.node.has_attr("tail_table"))
    return {lut(c.input(0), c.node.attr_ints("table", {}), out, c.what)};
  const std::string order = c.node.attr_string("memory_order", "nchw");
  require(order == "nchw" || order == "nhwc", c.what, ": attribute 'memory_order' value '", order,
          "' is not nchw or nhwc");
  return {lut_by_position(c.input(0), c.node.attr_ints("table", {}),
                          c.node.attr_ints("tail_table", {}), order == "nhwc", out, c.what)};
}

std::vector<Tensor> k_qconcat(const Ctx& c) {
  const std::vector<float> scales = c.node.attr_floats("x_scales", {});
  const std::vector<int64_t> zps = c.node.attr_ints("x_zero_points", {});
  require(scales.size() == c.in.size() && zps.size() == c.in.size(), c.what, ": ", scales.size(),
          " x_scales and ", zps.size(), " x_zero_points for ", c.in.size(), " inputs");
  std::vector<Affine> in;
  for (size_t k = 0; k < scales.size(); ++k) {
    require(zps[k] >= std::numeric_limits<int32_t>::min() &&
                zps[k] <= std::numeric_limits<int32_t>::max(),
            c.what, ": attribute 'x_zero_points' value ", zps[k], " does not fit int32");
    in.push_back({scales[k], static_cast<int32_t>(zps[k])});
  }
  const DType out = ir::get_out_dtype(c.node, c.input(0).dtype());
  return {qconcat(c.in, in, affine(c.node, "y_scale", "y_zero_point"), out,
                  c.node.attr_int(ir::attr::kAxis), c.what, concat_recipe_attr(c.node))};
}

std::vector<Tensor> k_max_pool(const Ctx& c) {
  if (c.node.op == ir::op::kMaxPool) {
    require(c.node.attr_int("storage_order", 0) == 0, c.what,
            ": unsupported attribute value storage_order=1");
    require(c.input(0).dtype() == DType::kF32, c.what, ": MaxPool input must be float32");
  } else {
    require(c.input(0).dtype() != DType::kF32, c.what, ": QMaxPool input must be an integer");
  }
  return {max_pool(c.input(0), pool_geometry(c.node), c.what)};
}

// The optional fixed-point form of a qnnpack average pool: attribute mode = "fixed" with
// integer attributes mult and shift (docs/requantizer.md 6); mode "fp32" (default) gives none.
std::optional<FixedScale> avg_pool_fixed_attr(const Node& n) {
  const std::string mode = n.attr_string(ir::attr::kMode, "fp32");
  require(mode == "fp32" || mode == "fixed", n.describe(), ": attribute 'mode' value '", mode,
          "' (expected fp32 or fixed)");
  if (mode == "fp32") return std::nullopt;
  require(avg_pool_recipe_attr(n) == AvgPoolRecipe::kQnnpack, n.describe(),
          ": mode 'fixed' needs recipe 'qnnpack'");
  const int64_t mult = n.attr_int(ir::attr::kMult, -1), shift = n.attr_int(ir::attr::kShift, -1);
  require(mult == 0 || (mult >= (int64_t{1} << 30) && mult < (int64_t{1} << 31)), n.describe(),
          ": attribute 'mult' value ", mult, " (expected 0 or [2^30, 2^31))");
  require(shift >= 0 && shift <= 62, n.describe(), ": attribute 'shift' value ", shift,
          " (expected 0..62)");
  return FixedScale{static_cast<int32_t>(mult), static_cast<int32_t>(shift)};
}

// [2.22] ATen's average pool: output quantization = input's; mode fixed encodes 1/d per
// divisor d (golden/recipes.h fixed_point_scale).
Tensor aten_avg_pool(const Ctx& c, AvgPoolRecipe recipe) {
  const Affine x = affine(c.node, "x_scale", "x_zero_point");
  const Affine y = affine(c.node, "y_scale", "y_zero_point");
  require(x.scale == y.scale && x.zero_point == y.zero_point &&
              ir::get_out_dtype(c.node, c.input(0).dtype()) == c.input(0).dtype(),
          c.what, ": ATen's average pool keeps the input's quantization");
  const PoolGeometry g = pool_geometry(c.node);
  const std::string mode = c.node.attr_string(ir::attr::kMode, "fp32");
  require(mode == "fp32" || mode == "fixed", c.what, ": attribute 'mode' value '", mode,
          "' (expected fp32 or fixed)");
  std::vector<FixedScale> fixed;
  if (mode == "fixed")
    for (int64_t d = 0; d <= g.kernel[0] * g.kernel[1]; ++d)
      fixed.push_back(
          d == 0 ? FixedScale{}
                 : fixed_point_scale(static_cast<float>(1.0 / static_cast<double>(d)), c.what));
  return qavg_pool_aten(c.input(0), g, x, recipe == AvgPoolRecipe::kAtenChannelsLast,
                        mode == "fixed" ? &fixed : nullptr, c.what);
}

std::vector<Tensor> k_qavg_pool(const Ctx& c) {
  const AvgPoolRecipe recipe = avg_pool_recipe_attr(c.node);
  require(recipe != AvgPoolRecipe::kAtenAdaptiveChannelsLast &&
              recipe != AvgPoolRecipe::kAtenAdaptiveContiguous,
          c.what, ": the aten_adaptive recipes are QGlobalAvgPool's");
  if (recipe == AvgPoolRecipe::kAtenChannelsLast || recipe == AvgPoolRecipe::kAtenContiguous)
    return {aten_avg_pool(c, recipe)};
  const DType out = ir::get_out_dtype(c.node, c.input(0).dtype());
  return {qavg_pool(c.input(0), pool_geometry(c.node), affine(c.node, "x_scale", "x_zero_point"),
                    affine(c.node, "y_scale", "y_zero_point"), out, c.what,
                    avg_pool_recipe_attr(c.node), avg_pool_fixed_attr(c.node))};
}

std::vector<Tensor> k_qglobal_avg_pool(const Ctx& c) {
  const AvgPoolRecipe recipe = avg_pool_recipe_attr(c.node);
  if (recipe == AvgPoolRecipe::kAtenAdaptiveChannelsLast ||
      recipe == AvgPoolRecipe::kAtenAdaptiveContiguous) {
    const Affine x = affine(c.node, "x_scale", "x_zero_point");
    const Affine y = affine(c.node, "y_scale", "y_zero_point");
    require(x.scale == y.scale && x.zero_point == y.zero_point &&
                ir::get_out_dtype(c.node, c.input(0).dtype()) == c.input(0).dtype() &&
                c.input(0).rank() == 4,
            c.what, ": ATen's adaptive average pool keeps the input's quantization (4-D input)");
    const bool channels_last = recipe == AvgPoolRecipe::kAtenAdaptiveChannelsLast;
    std::optional<FixedScale> fixed;
    if (c.node.attr_string(ir::attr::kMode, "fp32") == "fixed") {
      const float h = static_cast<float>(c.input(0).dim(2)),
                  w = static_cast<float>(c.input(0).dim(3));
      fixed = fixed_point_scale(channels_last ? 1.0f / (h * w) : (1.0f / h) / w, c.what);
    }
    return {qglobal_avg_pool_aten(c.input(0), x, channels_last, fixed, c.what)};
  }
  require(recipe == AvgPoolRecipe::kOnnx || recipe == AvgPoolRecipe::kQnnpack, c.what,
          ": QGlobalAvgPool takes recipe onnx, qnnpack or aten_adaptive_*");
  const DType out = ir::get_out_dtype(c.node, c.input(0).dtype());
  return {qglobal_avg_pool(c.input(0), affine(c.node, "x_scale", "x_zero_point"),
                           affine(c.node, "y_scale", "y_zero_point"), out, c.what,
                           avg_pool_recipe_attr(c.node), avg_pool_fixed_attr(c.node))};
}

std::vector<Tensor> k_argmax(const Ctx& c) {
  return {argmax(c.input(0), c.node.attr_int(ir::attr::kAxis, 0),
                 c.node.attr_int("keepdims", 1) != 0, c.node.attr_int("select_last_index", 0) != 0,
                 c.what)};
}

std::vector<Tensor> k_reshape(const Ctx& c) {
  const Tensor& shape = c.input(1);
  require(shape.dtype() == DType::kI64 && shape.rank() == 1, c.what,
          ": input 'shape' must be a 1-D int64 tensor, got ", dtype_name(shape.dtype()), " ",
          shape_str(shape.shape()));
  const auto dims = shape.values<int64_t>();
  return {reshape(c.input(0), {dims.begin(), dims.end()}, c.node.attr_int("allowzero", 0) != 0,
                  c.what)};
}

std::vector<Tensor> k_flatten(const Ctx& c) {
  return {flatten(c.input(0), c.node.attr_int(ir::attr::kAxis, 1), c.what)};
}

std::vector<Tensor> k_conv(const Ctx& c) {
  const Tensor& w = c.input(1);
  if (c.node.has_attr("kernel_shape")) {
    const auto k = c.node.attr_ints("kernel_shape", {});
    require(w.rank() == 4 && k.size() == 2 && k[0] == w.dim(2) && k[1] == w.dim(3), c.what,
            ": kernel_shape does not match weight shape ", shape_str(w.shape()));
  }
  return {conv2d_f32(c.input(0), w, c.optional(2), conv_geometry(c.node), c.what)};
}

std::vector<Tensor> k_gemm(const Ctx& c) {
  return {gemm_f32(c.input(0), c.input(1), c.optional(2), c.node.attr_float("alpha", 1.0f),
                   c.node.attr_float("beta", 1.0f), c.node.attr_int("transA", 0) != 0,
                   c.node.attr_int("transB", 0) != 0, c.what)};
}

std::vector<Tensor> k_matmul(const Ctx& c) {
  return {matmul_f32(c.input(0), c.input(1), c.what)};
}
std::vector<Tensor> k_add(const Ctx& c) {
  return {add_f32(c.input(0), c.input(1), c.what)};
}
std::vector<Tensor> k_relu(const Ctx& c) {
  return {relu_f32(c.input(0), c.what)};
}
std::vector<Tensor> k_mul(const Ctx& c) {
  return {mul_f32(c.input(0), c.input(1), c.what)};
}
std::vector<Tensor> k_sigmoid(const Ctx& c) {
  return {sigmoid_f32(c.input(0), c.what)};
}

std::vector<Tensor> k_avg_pool(const Ctx& c) {
  return {avg_pool_f32(c.input(0), pool_geometry(c.node), c.what)};
}

std::vector<Tensor> k_global_avg_pool(const Ctx& c) {
  return {global_avg_pool_f32(c.input(0), c.what)};
}

std::vector<Tensor> k_concat(const Ctx& c) {
  return {concat(c.in, c.node.attr_int(ir::attr::kAxis), c.what)};
}

const std::map<std::string_view, Kernel>& kernels() {
  namespace op = ir::op;
  static const std::map<std::string_view, Kernel> table{
      {op::kQuantize, k_quantize},
      {op::kDequantize, k_dequantize},
      {op::kQConv, k_qconv},
      {op::kQMatMul, k_qmatmul},
      {op::kQAdd, k_qadd},
      {op::kQClamp, k_qclamp},
      {op::kQConcat, k_qconcat},
      {op::kQLut, k_qlut},
      {op::kQMul, k_qmul},
      {op::kQUpsampleNearest, k_upsample_nearest},
      {op::kQUpsampleBilinear, k_upsample_bilinear},
      {op::kQAddBroadcast, k_qadd_broadcast},
      {op::kQMaxPool, k_max_pool},
      {op::kQAvgPool, k_qavg_pool},
      {op::kQGlobalAvgPool, k_qglobal_avg_pool},
      {op::kArgMax, k_argmax},
      {op::kReshape, k_reshape},
      {op::kFlatten, k_flatten},
      {op::kConv, k_conv},
      {op::kGemm, k_gemm},
      {op::kMatMul, k_matmul},
      {op::kAdd, k_add},
      {op::kMul, k_mul},
      {op::kRelu, k_relu},
      {op::kSigmoid, k_sigmoid},
      {op::kMaxPool, k_max_pool},
      {op::kAveragePool, k_avg_pool},
      {op::kGlobalAveragePool, k_global_avg_pool},
      {op::kConcat, k_concat},
  };
  return table;
}

}  // namespace

const Tensor& RunResult::output(const std::string& name) const {
  for (const NamedTensor& o : outputs)
    if (o.name == name) return o.tensor;
  fail("no graph output named '", name, "'");
}

bool has_kernel(std::string_view op) {
  return kernels().count(op) != 0;
}

void check_graph_inputs(const ir::Graph& graph, const std::map<std::string, Tensor>& inputs) {
  for (ir::ValueId id : graph.inputs) {
    const ir::Value& v = graph.value(id);
    auto it = inputs.find(v.name);
    require(it != inputs.end(), "graph input '", v.name, "' was not provided");
    const Tensor& t = it->second;
    require(t.dtype() == v.dtype, "graph input '", v.name, "': expected ", dtype_name(v.dtype),
            ", got ", dtype_name(t.dtype()));
    require(!v.shape_known || t.shape() == v.shape, "graph input '", v.name, "': expected shape ",
            shape_str(v.shape), ", got ", shape_str(t.shape()));
  }
  for (const auto& [name, tensor] : inputs) {
    const ir::ValueId id = graph.find(name);
    require(id != ir::kNoValue &&
                std::find(graph.inputs.begin(), graph.inputs.end(), id) != graph.inputs.end(),
            "'", name, "' is not an input of graph '", graph.name, "'");
  }
}

std::vector<Tensor> run_node(const ir::Node& node, const std::vector<const Tensor*>& inputs) {
  ir::check_node(node);
  auto kernel = kernels().find(node.op);
  require(kernel != kernels().end(), node.describe(), ": no golden kernel for op '", node.op, "'");
  std::vector<Tensor> outs = kernel->second(Ctx{node, inputs, node.describe()});
  require(outs.size() == node.outputs.size(), node.describe(), ": produced ", outs.size(),
          " outputs, the node has ", node.outputs.size());
  return outs;
}

RunResult run(const ir::Graph& graph, const std::map<std::string, Tensor>& inputs,
              const RunOptions& options) {
  check_graph_inputs(graph, inputs);
  std::vector<std::optional<Tensor>> env(graph.values.size());
  for (size_t i = 0; i < graph.values.size(); ++i)
    if (graph.values[i].constant) env[i] = *graph.values[i].constant;
  for (ir::ValueId id : graph.inputs) env[id] = inputs.at(graph.value(id).name);

  RunResult result;
  for (const Node& node : graph.nodes) {
    std::vector<const Tensor*> in;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ir::ValueId id = node.inputs[i];
      if (id == ir::kNoValue) {
        in.push_back(nullptr);
        continue;
      }
      require(env.at(id).has_value(), node.describe(), ": input ", i, " '", graph.value(id).name,
              "' has no value (not computed before this node)");
      in.push_back(&*env[id]);
    }
    std::vector<Tensor> outs = run_node(node, in);
    for (size_t i = 0; i < outs.size(); ++i) {
      const ir::ValueId id = node.outputs[i];
      if (options.keep_intermediates)
        result.intermediates.push_back({graph.value(id).name, outs[i]});
      env.at(id) = std::move(outs[i]);
    }
  }
  for (ir::ValueId id : graph.outputs) {
    require(env.at(id).has_value(), "graph output '", graph.value(id).name, "' is never computed");
    result.outputs.push_back({graph.value(id).name, *env[id]});
  }
  return result;
}

}  // namespace bpusim::golden
