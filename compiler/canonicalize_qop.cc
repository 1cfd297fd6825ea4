#include "compiler/canonicalize_qop.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

using ir::Graph;
using ir::Node;

// The QOperator ops handled here.
bool is_qop(const std::string& op) {
  static const std::set<std::string> ops{"QuantizeLinear", "DequantizeLinear", "QLinearConv",
                                         "QLinearMatMul",  "ConvInteger",      "MatMulInteger"};
  return ops.count(op) != 0;
}

// One node's rewrite: reads its ONNX inputs, writes the canonical node.
class Rewrite {
 public:
  Rewrite(Graph& graph, Node& node, const std::string& source)
      : graph_(graph), node_(node), where_(cat(source, ": ", node.describe())) {}

  void run() {
    const std::string& op = node_.op;
    if (op == "QuantizeLinear") return quantize_linear();
    if (op == "DequantizeLinear") return dequantize_linear();
    if (op == "QLinearConv") return conv(/*qlinear=*/true);
    if (op == "ConvInteger") return conv(/*qlinear=*/false);
    if (op == "QLinearMatMul") return matmul(/*qlinear=*/true);
    if (op == "MatMulInteger") return matmul(/*qlinear=*/false);
  }

 private:
  // ---- inputs ----

  bool present(size_t slot) const {
    return slot < node_.inputs.size() && node_.inputs[slot] != ir::kNoValue;
  }

  ir::ValueId data(size_t slot, const char* field) const {
    require(present(slot), where_, ": input ", slot, " '", field, "' is missing");
    return node_.inputs[slot];
  }

  // A parameter input: must be a constant.
  const Tensor& constant(size_t slot, const char* field) const {
    const ir::Value& v = graph_.value(data(slot, field));
    require(v.constant.has_value(), where_, ": input ", slot, " '", field, "' ('", v.name,
            "') must be a constant (initializer or Constant node), not a run-time tensor");
    return *v.constant;
  }

  // Scales: float32, 1 value (scalar or [1]) or, when `per_channel_ok`, a 1-D vector;
  // each finite and > 0.
  std::vector<float> scales(size_t slot, const char* field, bool per_channel_ok) const {
    const Tensor& t = constant(slot, field);
    require(t.dtype() == DType::kF32, where_, ": input '", field, "' must be float32, got ",
            dtype_name(t.dtype()));
    require(t.numel() >= 1 && t.rank() <= 1 && (per_channel_ok || t.numel() == 1), where_,
            ": input '", field, "' has shape ", shape_str(t.shape()),
            per_channel_ok ? ", expected a scalar or a 1-D vector" : ", expected one value");
    const auto v = t.values<float>();
    for (size_t i = 0; i < v.size(); ++i)
      require(std::isfinite(v[i]) && v[i] > 0.0f, where_, ": input '", field, "' value ", v[i],
              " at index ", i, " must be finite and > 0");
    return {v.begin(), v.end()};
  }

  // Zero points: an integer of one of `allowed` types, count like the scales.
  struct ZeroPoints {
    DType dtype;
    std::vector<int32_t> values;
  };
  ZeroPoints zero_points(size_t slot, const char* field, std::vector<DType> allowed,
                         bool per_channel_ok) const {
    const Tensor& t = constant(slot, field);
    const bool ok = std::find(allowed.begin(), allowed.end(), t.dtype()) != allowed.end();
    require(ok, where_, ": input '", field, "' has unsupported element type ",
            dtype_name(t.dtype()));
    require(t.numel() >= 1 && t.rank() <= 1 && (per_channel_ok || t.numel() == 1), where_,
            ": input '", field, "' has shape ", shape_str(t.shape()),
            per_channel_ok ? ", expected a scalar or a 1-D vector" : ", expected one value");
    ZeroPoints z{t.dtype(), {}};
    for (int64_t i = 0; i < t.numel(); ++i) z.values.push_back(static_cast<int32_t>(t.as_int(i)));
    return z;
  }

  // The single zero point of a tensor the accelerator quantizes per tensor: a per-channel
  // vector is accepted only when all its entries are equal.
  int32_t uniform(const ZeroPoints& z, const char* field) const {
    for (size_t i = 1; i < z.values.size(); ++i)
      require(z.values[i] == z.values[0], where_, ": input '", field, "' value ", z.values[i],
              " at index ", i, " differs from ", z.values[0],
              " (per-channel zero points are not supported: one per tensor)");
    return z.values.at(0);
  }

  // When the data input's element type is known statically (graph input or constant), its
  // zero point must have the same type.
  void require_same_type(size_t data_slot, const char* data_field, const ZeroPoints& z,
                         const char* zp_field) const {
    const ir::ValueId id = node_.inputs.at(data_slot);
    const ir::Value& v = graph_.value(id);
    const bool known =
        v.constant.has_value() ||
        std::find(graph_.inputs.begin(), graph_.inputs.end(), id) != graph_.inputs.end();
    require(!known || v.dtype == z.dtype, where_, ": input '", zp_field, "' is ",
            dtype_name(z.dtype), " but '", data_field, "' is ", dtype_name(v.dtype));
  }

  // ---- output ----

  void replace(const char* op, std::vector<ir::ValueId> inputs,
               std::map<std::string, ir::AttrValue> attrs, DType out,
               std::optional<ir::QuantParams> quant) {
    node_.op = op;
    node_.inputs = std::move(inputs);
    node_.attrs = std::move(attrs);
    ir::Value& v = graph_.value(node_.outputs.at(0));
    v.dtype = out;
    v.quant = std::move(quant);
  }

  std::vector<int64_t> to_i64(const std::vector<int32_t>& v) const { return {v.begin(), v.end()}; }

  // ONNX's default axis is 1; negative axes count from the end (needs the input's rank).
  int64_t axis(ir::ValueId x) const {
    int64_t a = node_.attr_int("axis", 1);
    if (a < 0) {
      const ir::Value& v = graph_.value(x);
      require(v.shape_known, where_, ": attribute 'axis' value ", a,
              " is negative and the input's rank is unknown");
      a += static_cast<int64_t>(v.shape.size());
      require(a >= 0, where_, ": attribute 'axis' value ", node_.attr_int("axis", 1),
              " is out of range for rank ", v.shape.size());
    }
    return a;
  }

  void check_attrs(std::set<std::string> allowed) const {
    for (const auto& [key, value] : node_.attrs)
      require(allowed.count(key) != 0, where_, ": unsupported attribute '", key, "'");
  }

  // ---- the rewrites ----

  void quantize_linear() {
    check_attrs({"axis"});
    const ir::ValueId x = data(0, "x");
    const std::vector<float> scale = scales(1, "y_scale", true);
    ZeroPoints zp{DType::kU8, std::vector<int32_t>(scale.size(), 0)};
    if (present(2)) zp = zero_points(2, "y_zero_point", {DType::kU8, DType::kI8}, true);
    require(zp.values.size() == scale.size(), where_, ": y_zero_point has ", zp.values.size(),
            " values, y_scale has ", scale.size());
    ir::QuantParams q{scale, zp.values, scale.size() == 1 ? -1 : static_cast<int>(axis(x))};
    replace(ir::op::kQuantize, {x},
            {{"y_scale", scale},
             {"y_zero_point", to_i64(zp.values)},
             {ir::attr::kAxis, int64_t{q.axis}},
             {ir::attr::kOutDType, std::string(dtype_name(zp.dtype))}},
            zp.dtype, q);
  }

  void dequantize_linear() {
    check_attrs({"axis"});
    const ir::ValueId x = data(0, "x");
    const std::vector<float> scale = scales(1, "x_scale", true);
    std::vector<int32_t> zp(scale.size(), 0);
    if (present(2)) {
      const ZeroPoints z =
          zero_points(2, "x_zero_point", {DType::kU8, DType::kI8, DType::kI32}, true);
      require_same_type(0, "x", z, "x_zero_point");
      if (z.dtype == DType::kI32)
        for (size_t i = 0; i < z.values.size(); ++i)
          require(z.values[i] == 0, where_, ": input 'x_zero_point' value ", z.values[i],
                  " at index ", i, " is out of range: int32 data has zero point 0");
      zp = z.values;
    }
    require(zp.size() == scale.size(), where_, ": x_zero_point has ", zp.size(),
            " values, x_scale has ", scale.size());
    const int axis_value = scale.size() == 1 ? -1 : static_cast<int>(axis(x));
    graph_.value(x).quant = ir::QuantParams{scale, zp, axis_value};
    replace(
        ir::op::kDequantize, {x},
        {{"x_scale", scale}, {"x_zero_point", to_i64(zp)}, {ir::attr::kAxis, int64_t{axis_value}}},
        DType::kF32, std::nullopt);
  }

  void conv(bool qlinear) {
    check_attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    const std::string auto_pad = node_.attr_string("auto_pad", "NOTSET");
    require(auto_pad == "NOTSET" || auto_pad == "VALID", where_,
            ": unsupported attribute value auto_pad=", auto_pad, " (NOTSET or VALID only)");
    const size_t w_slot = qlinear ? 3 : 1;
    const ir::ValueId x = data(0, "x"), w = data(w_slot, "w");
    const ir::Value& wv = graph_.value(w);
    if (wv.shape_known) {
      require(wv.shape.size() == 4, where_, ": weight 'w' has shape ", shape_str(wv.shape),
              "; only 2-D convolution (weight rank 4) is supported");
      if (node_.has_attr("kernel_shape")) {
        const auto k = node_.attr_ints("kernel_shape", {});
        require(k == std::vector<int64_t>{wv.shape[2], wv.shape[3]}, where_,
                ": attribute 'kernel_shape' ", shape_str(k), " does not match weight shape ",
                shape_str(wv.shape));
      }
    }
    std::map<std::string, ir::AttrValue> attrs;
    for (const char* key : {"strides", "pads", "dilations", "group"})
      if (node_.has_attr(key)) attrs[key] = node_.attrs.at(key);
    if (auto_pad == "VALID") attrs["pads"] = std::vector<int64_t>{0, 0, 0, 0};
    finish_quantized(qlinear, ir::op::kQConv, x, w, "x", "w", std::move(attrs),
                     qlinear ? 8 : SIZE_MAX);
  }

  void matmul(bool qlinear) {
    check_attrs({});
    const ir::ValueId a = data(0, "a");
    const ir::ValueId b = data(qlinear ? 3 : 1, "b");
    finish_quantized(qlinear, ir::op::kQMatMul, a, b, "a", "b", {}, SIZE_MAX);
  }

  // Shared tail of conv and matmul: zero points, and the requantizer (fp32 for QLinear*,
  // int32 pass-through for *Integer). Slots: QLinear* (x, x_scale, x_zp, w, w_scale, w_zp,
  // y_scale, y_zp[, B]); *Integer (x, w[, x_zp[, w_zp]]).
  void finish_quantized(bool qlinear, const char* op, ir::ValueId x, ir::ValueId w, const char* xn,
                        const char* wn, std::map<std::string, ir::AttrValue> attrs,
                        size_t bias_slot) {
    const std::string xzp = cat(xn, "_zero_point"), wzp = cat(wn, "_zero_point");
    const size_t x_zp_slot = 2, w_zp_slot = qlinear ? 5 : 3;
    const size_t w_slot = qlinear ? 3 : 1;
    const std::vector<DType> int8s{DType::kU8, DType::kI8};
    int32_t x_zp = 0, w_zp = 0;
    if (present(x_zp_slot)) {
      const ZeroPoints z = zero_points(x_zp_slot, xzp.c_str(), int8s, false);
      require_same_type(0, xn, z, xzp.c_str());
      x_zp = z.values[0];
    }
    if (present(w_zp_slot)) {
      const ZeroPoints z = zero_points(w_zp_slot, wzp.c_str(), int8s, true);
      require_same_type(w_slot, wn, z, wzp.c_str());
      w_zp = uniform(z, wzp.c_str());
    }
    attrs[xzp] = int64_t{x_zp};
    attrs[wzp] = int64_t{w_zp};

    ir::Requant rq;
    std::optional<ir::QuantParams> quant;
    if (!qlinear) {
      rq.mode = ir::Stage1Mode::kInt32;
      rq.out_dtype = DType::kI32;
      rq.channels.assign(1, {});
    } else {
      const std::string xs = cat(xn, "_scale"), ws = cat(wn, "_scale");
      const float x_scale = scales(1, xs.c_str(), false)[0];
      const std::vector<float> w_scale = scales(4, ws.c_str(), true);
      const ir::Value& wv = graph_.value(w);
      if (wv.shape_known && !wv.shape.empty() && w_scale.size() > 1) {
        // Output channels: conv weight dim 0 (M), matmul weight last dim (N).
        const int64_t channels = op == std::string(ir::op::kQConv) ? wv.shape[0] : wv.shape.back();
        require(static_cast<int64_t>(w_scale.size()) == channels, where_, ": input '", ws, "' has ",
                w_scale.size(), " values for ", channels, " output channels");
      }
      const float y_scale = scales(6, "y_scale", false)[0];
      const ZeroPoints y_zp = zero_points(7, "y_zero_point", int8s, false);
      rq.mode = ir::Stage1Mode::kFp32;
      rq.out_dtype = y_zp.dtype;
      std::vector<int32_t> bias;
      if (bias_slot != SIZE_MAX && present(bias_slot)) {
        const Tensor& b = constant(bias_slot, "B");
        require(b.dtype() == DType::kI32 && b.rank() == 1, where_,
                ": input 'B' must be a 1-D int32 tensor, got ", dtype_name(b.dtype()), " ",
                shape_str(b.shape()));
        const auto v = b.values<int32_t>();
        bias.assign(v.begin(), v.end());
        require(bias.size() == w_scale.size() || w_scale.size() == 1, where_, ": input 'B' has ",
                bias.size(), " values but ", ws, " has ", w_scale.size());
      }
      const size_t channels = std::max<size_t>({w_scale.size(), bias.size(), 1});
      for (size_t c = 0; c < channels; ++c) {
        ir::RequantChannel ch;
        const float ws_c = w_scale.size() == 1 ? w_scale[0] : w_scale[c];
        // IEEE single: (x_scale * w_scale) / y_scale, rounded after each operation.
        const float product = x_scale * ws_c;
        ch.scale = product / y_scale;
        require(std::isfinite(ch.scale) && ch.scale > 0.0f, where_, ": requantization scale ", xs,
                " * ", ws, "[", c, "] / y_scale = ", x_scale, " * ", ws_c, " / ", y_scale, " = ",
                ch.scale, " is not a finite positive float32");
        ch.bias = bias.empty() ? 0 : bias[c];
        ch.zp = y_zp.values[0];
        ch.min = static_cast<int32_t>(ir::dtype_min(y_zp.dtype));
        ch.max = static_cast<int32_t>(ir::dtype_max(y_zp.dtype));
        rq.channels.push_back(ch);
      }
      quant = ir::QuantParams{{y_scale}, {y_zp.values[0]}, -1};
    }
    Node tmp;
    ir::set_requant(tmp, rq);
    attrs.insert(tmp.attrs.begin(), tmp.attrs.end());
    replace(op, {x, w}, std::move(attrs), rq.out_dtype, quant);
  }

  Graph& graph_;
  Node& node_;
  std::string where_;
};

}  // namespace

void canonicalize_qop(ir::Graph& graph, const std::string& source) {
  for (Node& node : graph.nodes)
    if (is_qop(node.op)) Rewrite(graph, node, source).run();
}

}  // namespace bpusim::compiler
