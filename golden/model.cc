#include "golden/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <variant>

#include "common/error.h"
#include "golden/node_attrs.h"
#include "golden/ops.h"
#include "golden/recipes.h"
#include "ir/onnx_import.h"
#include "ir/shape_ops.h"

namespace bpusim::golden {
namespace {

using ir::Node;
using ir::ValueId;

// How PyTorch holds a quantized tensor in memory (docs/pytorch-recipes.md 6); only cat's path
// depends on it.
enum class MemoryFormat { kOther, kContiguous, kChannelsLast };

// A quantized tensor: its integers and their affine map (per tensor, or per slice along axis).
struct QTensor {
  Tensor ints;
  ir::QuantParams q;
  MemoryFormat format = MemoryFormat::kOther;
};
using QRef = std::shared_ptr<const QTensor>;

// The output of a DequantizeLinear, kept symbolic so that quantized ops see the integers.
struct Dequantized {
  QRef q;
};

// A quantized op's float result, computed once the QuantizeLinear after it (or a Relu and then
// a QuantizeLinear) gives the output's scale and zero point.
struct Pending {
  enum class Kind {
    kConv,
    kLinear,
    kAdd,
    kConcat,
    kRelu,
    kClip,
    kMaxPool,
    kPad,
    kAvgPool,
    kGlobalAvgPool,
    kReshape,
    kSigmoid,  // PyTorch's table ops (2.14), or a float region's sigmoid
    kTanh,
    kHardSigmoid,
    kHardSwish,  // HardSigmoid(x) * x (2.15)
    kMul,        // the product of two quantized tensors (2.19)
    kUpsample,   // nearest or bilinear Resize (2.21)
    kLeakyRelu   // ATen's leaky_relu (2.16)
  };
  Kind kind = Kind::kConv;
  const Node* node = nullptr;
  std::vector<QRef> args;              // the quantized operands
  QRef bias;                           // kConv, kLinear: the bias (int32), or null
  bool relu = false;                   // kConv, kLinear, kAdd: a Relu follows
  std::array<int64_t, 4> pads{};       // kPad, kAvgPool: zero padding [top, left, bottom, right]
  float clip_lo = 0, clip_hi = 0;      // kClip
  std::vector<int64_t> shape;          // kReshape: the target shape; kGlobalAvgPool: a reshape
  std::array<UpsampleAxis, 2> axes{};  // kUpsample: the H and W axes
  bool bilinear = false;               // kUpsample: mode linear
  bool align_corners = false;          // kUpsample, bilinear
  float slope = 0.0f;                  // kLeakyRelu
  bool padded_input = false;           // kAvgPool: after a Pad (count_include_pad=True)
};

using Value = std::variant<std::monostate, Tensor, QRef, Dequantized, Pending>;

// Constant-foldable ops (docs/pytorch-recipes.md 5, step 1).
const std::set<std::string>& foldable_ops() {
  static const std::set<std::string> ops{"Identity",  "Cast",    "Shape",     "ConstantOfShape",
                                         "Mul",       "Div",     "Unsqueeze", "Squeeze",
                                         "Transpose", "Reshape", "Concat",    "Slice"};
  return ops;
}

// y[i] = f(dequantize(x[i])) (2.2) as an `out` tensor; f returns a value in out's range.
template <class F>
Tensor map_dequantized(const Tensor& ints, const Affine& x, DType out, F f) {
  Tensor y(out, ints.shape());
  for (int64_t i = 0; i < ints.numel(); ++i) {
    const int32_t v = f(dequantize_value(ints.as_int(i), x.scale, x.zero_point));
    if (out == DType::kI8)
      y.values<int8_t>()[i] = static_cast<int8_t>(v);
    else
      y.values<uint8_t>()[i] = static_cast<uint8_t>(v);
  }
  return y;
}

std::vector<int64_t> int_values(const Tensor& t) {
  std::vector<int64_t> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.as_int(i);
  return v;
}

int64_t normalized_axis(int64_t axis, size_t rank, const std::string& what) {
  const auto r = static_cast<int64_t>(rank);
  require(axis >= -r && axis < r, what, ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + r : axis;
}

Shape unsqueezed(Shape s, std::vector<int64_t> axes, const std::string& what) {
  const size_t rank = s.size() + axes.size();
  for (int64_t& a : axes) a = normalized_axis(a, rank, what);
  std::sort(axes.begin(), axes.end());
  for (int64_t a : axes) s.insert(s.begin() + a, 1);
  return s;
}

Shape squeezed(const Shape& s, std::vector<int64_t> axes, const std::string& what) {
  for (int64_t& a : axes) a = normalized_axis(a, s.size(), what);
  Shape out;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool listed = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
    require(!listed || s[i] == 1, what, ": cannot squeeze dim ", i, " of size ", s[i]);
    if (!(listed || (axes.empty() && s[i] == 1))) out.push_back(s[i]);
  }
  return out;
}

class Interpreter {
 public:
  Interpreter(const ir::Graph& g, const ModelOptions& o)
      : g_(g), o_(o), env_(g.values.size()), constant_(g.values.size(), false) {}

  RunResult run(const std::map<std::string, Tensor>& inputs) {
    check_graph_inputs(g_, inputs);
    for (size_t i = 0; i < g_.values.size(); ++i)
      if (g_.values[i].constant) {
        env_[i] = *g_.values[i].constant;
        constant_[i] = true;
      }
    for (ValueId id : g_.inputs) env_[id] = inputs.at(g_.value(id).name);
    for (const Node& n : g_.nodes) {
      if (foldable_ops().count(n.op) && all_constant(n)) {
        fold(n);
        continue;
      }
      try {
        step(n);
      } catch (const InternalError&) {
        throw;
      } catch (const Error& e) {
        if (ceil_divergence_.empty()) throw;
        fail(e.what(), " — ", ceil_divergence_);
      }
      track_float_format(n);
      if (o_.keep_intermediates)
        for (ValueId id : n.outputs) keep(id);
    }
    for (ValueId id : g_.outputs) result_.outputs.push_back({g_.value(id).name, output(id)});
    return std::move(result_);
  }

 private:
  // ---- access to node inputs ----

  std::string what(const Node& n) const { return n.describe(); }
  bool present(const Node& n, size_t i) const {
    return i < n.inputs.size() && n.inputs[i] != ir::kNoValue;
  }
  const Value& in(const Node& n, size_t i) const {
    require(present(n, i), what(n), ": input ", i, " is missing");
    const Value& v = env_.at(n.inputs[i]);
    require(!std::holds_alternative<std::monostate>(v), what(n), ": input ", i, " '",
            g_.value(n.inputs[i]).name, "' has no value (not computed before this node)");
    return v;
  }
  bool all_constant(const Node& n) const {
    return !n.inputs.empty() && std::all_of(n.inputs.begin(), n.inputs.end(), [&](ValueId v) {
      return v == ir::kNoValue || constant_.at(v);
    });
  }
  // A parameter input (scale, zero point, weight, shape): a plain tensor — an initializer, a
  // folded constant or a graph input (the ONNX operator tests feed parameters as inputs).
  const Tensor& constant(const Node& n, size_t i, const char* role) const {
    require(present(n, i), what(n), ": input ", i, " '", role, "' is missing");
    const auto* t = std::get_if<Tensor>(&in(n, i));
    require(t != nullptr, what(n), ": input ", i, " '", role,
            "' must be a tensor (initializer, constant or graph input), not a quantized or "
            "pending value");
    return *t;
  }
  std::vector<float> scales(const Node& n, size_t i, const char* role) const {
    const Tensor& t = constant(n, i, role);
    require(t.dtype() == DType::kF32 && t.numel() >= 1 && t.rank() <= 1, what(n), ": input '", role,
            "' must be a float32 scalar or 1-D tensor, got ", dtype_name(t.dtype()), " ",
            shape_str(t.shape()));
    const auto v = t.values<float>();
    for (float s : v)
      require(std::isfinite(s) && s > 0.0f, what(n), ": input '", role, "' value ", s,
              " must be finite and > 0");
    return {v.begin(), v.end()};
  }
  // Zero points (`count` zeros of `fallback` type when the input is absent) and their type.
  std::pair<std::vector<int32_t>, DType> zero_points(const Node& n, size_t i, const char* role,
                                                     size_t count, DType fallback) const {
    if (!present(n, i)) return {std::vector<int32_t>(count, 0), fallback};
    const Tensor& t = constant(n, i, role);
    require(t.dtype() != DType::kF32 && t.rank() <= 1, what(n), ": input '", role,
            "' must be an integer scalar or 1-D tensor");
    std::vector<int32_t> z;
    for (int64_t v : int_values(t)) z.push_back(static_cast<int32_t>(v));
    return {z, t.dtype()};
  }
  // The one zero point of a tensor quantized per tensor for the MAC array: a vector is
  // accepted when all its entries are equal.
  int32_t uniform(const std::vector<int32_t>& z, const Node& n, const char* role) const {
    require(!z.empty(), what(n), ": ", role, " has no zero point");
    for (int32_t v : z)
      require(v == z[0], what(n), ": ", role, " has per-channel zero points (", v, " and ", z[0],
              "); one per tensor is supported");
    return z[0];
  }
  Affine per_tensor(const QTensor& t, const Node& n, const char* role) const {
    require(t.q.scale.size() == 1 && t.q.zero_point.size() == 1, what(n), ": ", role,
            " is quantized per channel; activations must be quantized per tensor");
    return {t.q.scale[0], t.q.zero_point[0]};
  }
  const Dequantized* dequantized(const Node& n, size_t i) const {
    return present(n, i) ? std::get_if<Dequantized>(&in(n, i)) : nullptr;
  }
  // A float32 input: a float tensor, or a DequantizeLinear's output, dequantized (2.2).
  Tensor float_input(const Node& n, size_t i) {
    const Value& v = in(n, i);
    if (const auto* p = std::get_if<Pending>(&v); p && p->kind == Pending::Kind::kSigmoid)
      return sigmoid_f32(dequantize(p->args[0]->ints, p->args[0]->q, what(n)), what(n));
    if (const auto* d = std::get_if<Dequantized>(&v)) {
      Tensor f = dequantize(d->q->ints, d->q->q, what(n));
      if (o_.keep_intermediates && kept_.insert(n.inputs[i]).second)
        result_.intermediates.push_back({g_.value(n.inputs[i]).name, f});
      return f;
    }
    const auto* t = std::get_if<Tensor>(&v);
    require(t != nullptr && t->dtype() == DType::kF32, what(n), ": input ", i, " '",
            g_.value(n.inputs[i]).name,
            std::holds_alternative<Pending>(v)
                ? "' is a quantized op's result that no QuantizeLinear requantizes"
                : "' must be a float32 tensor");
    return *t;
  }
  // The integers of a quantized (QuantizeLinear / QLinear*) or plain integer input.
  const Tensor& int_input(const Node& n, size_t i) const {
    const Value& v = in(n, i);
    if (const auto* q = std::get_if<QRef>(&v)) return (*q)->ints;
    const auto* t = std::get_if<Tensor>(&v);
    require(t != nullptr && t->dtype() != DType::kF32, what(n), ": input ", i, " '",
            g_.value(n.inputs[i]).name, "' must be an integer tensor");
    return *t;
  }
  void set(const Node& n, Value v, size_t i = 0) { env_.at(n.outputs.at(i)) = std::move(v); }
  void set_q(const Node& n, Tensor ints, ir::QuantParams q, MemoryFormat f) {
    set(n, std::make_shared<const QTensor>(QTensor{std::move(ints), std::move(q), f}));
  }

  // A ceil_mode pool whose PyTorch output is smaller than the shape the file declares (PyTorch
  // drops a last window ONNX's rule keeps, docs/pytorch-recipes.md 2.22): later layers that
  // torch.onnx sized from the declared shape no longer fit; a later error says why.
  void note_ceil_divergence(const Pending& p, const Node& q, const Shape& got) {
    const bool pool = p.kind == Pending::Kind::kMaxPool || p.kind == Pending::Kind::kAvgPool;
    if (!pool || p.node->attr_int("ceil_mode", 0) == 0 || !ceil_divergence_.empty()) return;
    const Shape& in = p.args.at(0)->ints.shape();
    if (in.size() != 4 || got.size() != 4) return;
    PoolGeometry g = pool_geometry(*p.node);
    for (size_t i = 0; i < 4; ++i) g.pads[i] += p.pads[i];
    Shape onnx = got;
    for (size_t a = 0; a < 2; ++a) {  // ONNX: rounded up, no dropped last window
      const int64_t span = g.dilations[a] * (g.kernel[a] - 1) + 1;
      onnx[2 + a] =
          (in[2 + a] + g.pads[a] + g.pads[2 + a] - span + g.strides[a] - 1) / g.strides[a] + 1;
    }
    if (onnx == got) return;
    ceil_divergence_ =
        cat("the ceil_mode ", what(*p.node), " (output ", what(q), ") gives ", shape_str(got),
            " in PyTorch, ", shape_str(onnx),
            " by ONNX's rule (PyTorch drops a last window that starts in the padding), and "
            "torch.onnx sized later layers from ONNX's shape: the file does not describe the "
            "PyTorch model (docs/pytorch-recipes.md 2.22); change the pool's padding or stride, or "
            "the input size");
  }

  // ---- PyTorch's memory format of float values ----

  // A dequantized value has its quantized tensor's format; a float op's 4-D result that of
  // its first 4-D input (PyTorch's dequantize, elementwise ops and convolutions keep
  // channels-last); anything else (model inputs, constants) is contiguous.
  MemoryFormat float_format(ValueId v) const {
    if (const auto* d = std::get_if<Dequantized>(&env_.at(v))) return d->q->format;
    const auto f = float_format_.find(v);
    return f == float_format_.end() ? MemoryFormat::kContiguous : f->second;
  }
  static size_t rank_of(const Value& v) {
    if (const auto* t = std::get_if<Tensor>(&v)) return t->rank();
    if (const auto* d = std::get_if<Dequantized>(&v)) return d->q->ints.rank();
    return 0;
  }
  void track_float_format(const Node& n) {
    if (n.inputs.empty() || n.inputs[0] == ir::kNoValue || rank_of(env_.at(n.inputs[0])) != 4)
      return;
    for (ValueId o : n.outputs) {
      const auto* t = o == ir::kNoValue ? nullptr : std::get_if<Tensor>(&env_.at(o));
      if (t && t->dtype() == DType::kF32 && t->rank() == 4)
        float_format_[o] = float_format(n.inputs[0]);
    }
  }

  // ---- constant folding (ONNX semantics, except PyTorch's bias rounding) ----

  void fold(const Node& n) {
    const std::string w = what(n);
    auto c = [&](size_t i) -> const Tensor& { return std::get<Tensor>(in(n, i)); };
    Tensor out;
    if (n.op == "Identity") {
      out = c(0);
    } else if (n.op == "Cast") {
      const DType to = ir::require_onnx_dtype(n.attr_int("to"), cat(w, ": Cast attribute 'to'"));
      const auto div = divisions_.find(n.inputs.at(0));
      if (to == DType::kI32 && div != divisions_.end() && c(0).dtype() == DType::kF32)
        out = pytorch_bias(div->second.first, div->second.second, w);
      else
        out = cast(c(0), to, w);
    } else if (n.op == "Shape") {
      const Shape& s = c(0).shape();
      out = Tensor::from<int64_t>({static_cast<int64_t>(s.size())}, s);
    } else if (n.op == "ConstantOfShape") {
      const Shape shape = int_values(c(0));
      const Tensor fill = present(n, 1) ? c(1) : Tensor::from<float>({1}, {0.0f});
      require(fill.numel() == 1, w, ": value must hold one element");
      out = Tensor(fill.dtype(), shape);
      for (int64_t i = 0; i < out.numel(); ++i)
        std::copy_n(fill.bytes().begin(), dtype_size(fill.dtype()),
                    out.bytes().begin() + i * static_cast<int64_t>(dtype_size(fill.dtype())));
    } else if (n.op == "Mul" || n.op == "Div") {
      require(c(0).dtype() == DType::kF32 && c(1).dtype() == DType::kF32, w,
              ": only float32 constants are folded, got ", dtype_name(c(0).dtype()), " and ",
              dtype_name(c(1).dtype()));
      out = n.op == "Mul" ? mul_f32(c(0), c(1), w) : div_f32(c(0), c(1), w);
      if (n.op == "Div") divisions_[n.outputs.at(0)] = {n.inputs[0], n.inputs[1]};
    } else if (n.op == "Unsqueeze" || n.op == "Squeeze") {
      const std::vector<int64_t> axes = present(n, 1) ? int_values(c(1)) : n.attr_ints("axes", {});
      out = c(0).reshaped(n.op == "Unsqueeze" ? unsqueezed(c(0).shape(), axes, w)
                                              : squeezed(c(0).shape(), axes, w));
    } else if (n.op == "Transpose") {
      out = transpose(c(0), n.attr_ints("perm", {}), w);
    } else if (n.op == "Slice") {
      auto list = [&](size_t i) {
        return present(n, i) ? int_values(c(i)) : std::vector<int64_t>{};
      };
      out = ir::slice_1d(c(0), list(1), list(2), list(3), list(4), w);
    } else if (n.op == "Concat") {
      std::vector<const Tensor*> parts;
      for (size_t i = 0; i < n.inputs.size(); ++i) parts.push_back(&c(i));
      out = concat(parts, n.attr_int("axis"), w);
    } else {  // Reshape
      out = reshape(c(0), int_values(c(1)), n.attr_int("allowzero", 0) != 0, w);
    }
    set(n, std::move(out));
    constant_.at(n.outputs.at(0)) = true;
  }

  // Cast(Div(bias, s), INT32) as PyTorch evaluates it (2.3): quantize with 1.0f / s.
  Tensor pytorch_bias(ValueId bias_id, ValueId scale_id, const std::string& w) const {
    const Tensor& bias = std::get<Tensor>(env_.at(bias_id));
    const Tensor& scale = std::get<Tensor>(env_.at(scale_id));
    require(bias.dtype() == DType::kF32 && scale.dtype() == DType::kF32 &&
                (scale.numel() == 1 || scale.numel() == bias.numel()),
            w, ": the bias chain must divide a float32 bias by one scale or one per element");
    Tensor out(DType::kI32, bias.shape());
    const auto b = bias.values<float>();
    const auto s = scale.values<float>();
    for (int64_t i = 0; i < bias.numel(); ++i)
      out.values<int32_t>()[i] = pytorch_bias_value(b[i], s[scale.numel() == 1 ? 0 : i]);
    return out;
  }

  // ---- one node ----

  void step(const Node& n) {
    const std::string& op = n.op;
    if (op == "QuantizeLinear") return quantize_linear(n);
    if (op == "DequantizeLinear") return dequantize_linear(n);
    if (op == "Cast" || op == "Identity") return pass_through(n);
    if (op == "Conv" || op == "Gemm" || op == "MatMul") return conv_or_linear(n);
    if (op == "Add") return add(n);
    if (op == "Relu") return relu(n);
    if (op == "Clip") return clip(n);
    if (op == "MaxPool") return max_pool_op(n);
    if (op == "Pad") return pad(n);
    if (op == "AveragePool") return average_pool(n);
    if (op == "GlobalAveragePool") return global_average_pool(n);
    if (op == "ReduceMean") return reduce_mean(n);
    if (op == "Flatten" || op == "Reshape") return reshape_op(n);
    if (op == "Concat") return concat_op(n);
    if (op == "Resize") return resize(n);
    if (op == "Shape") return shape_of(n);
    if (op == "LeakyRelu") {
      require(dequantized(n, 0) != nullptr, what(n),
              ": LeakyRelu of a float tensor is not supported");
      Pending p;
      p.slope = n.attr_float("alpha", 0.01f);
      return pending_unary(n, Pending::Kind::kLeakyRelu, std::move(p));
    }
    if (op == "ArgMax") return argmax_op(n);
    if (op == "Sigmoid" || op == "Tanh" || op == "HardSigmoid") return table_activation(n);
    if (op == "Mul") return mul(n);
    if (op == "BatchNormalization") return batch_norm(n);
    if (op == "QLinearConv" || op == "ConvInteger") return qoperator_conv(n);
    if (op == "QLinearMatMul" || op == "MatMulInteger") return qoperator_matmul(n);
    const ir::OpDef* def = ir::find_op(op);
    require(def != nullptr && def->group != ir::OpGroup::kFloat, what(n),
            ": the golden reference has no semantics for op '", op, "'");
    canonical(n);
  }

  void quantize_linear(const Node& n) {
    const std::vector<float> s = scales(n, 1, "y_scale");
    const auto [zp, dtype] = zero_points(n, 2, "y_zero_point", s.size(), DType::kU8);
    require(zp.size() == s.size(), what(n), ": ", zp.size(), " zero points for ", s.size(),
            " scales");
    const Value& x = in(n, 0);
    if (const auto* p = std::get_if<Pending>(&x)) {
      require(s.size() == 1, what(n), ": a quantized op's output must be quantized per tensor");
      const Affine y{s[0], zp[0]};
      const DType out = pytorch_output_type(*p, y, dtype);
      if (out != dtype) relabelled_.insert(n.outputs.at(0));
      QRef r = evaluate(*p, y, out);
      note_ceil_divergence(*p, n, r->ints.shape());
      return set(n, std::move(r));
    }
    const Tensor f = float_input(n, 0);
    ir::QuantParams q{s, zp, -1};
    if (s.size() > 1)
      q.axis = static_cast<int>(normalized_axis(n.attr_int("axis", 1), f.rank(), what(n)));
    // PyTorch's quantize_val multiplies by the float32 reciprocal (2.1); the result keeps the
    // float tensor's memory format (a QuantStub after a DeQuantStub stays channels-last).
    Tensor ints = quantize(f, q, dtype, QuantizeMethod::kMulInv, what(n));
    set_q(n, std::move(ints), std::move(q), float_format(n.inputs.at(0)));
  }

  void dequantize_linear(const Node& n) {
    const std::vector<float> s = scales(n, 1, "x_scale");
    const Value& x = in(n, 0);
    const QRef* q = std::get_if<QRef>(&x);
    const Tensor& ints = q ? (*q)->ints : int_input(n, 0);
    const auto [zp, dtype] = zero_points(n, 2, "x_zero_point", s.size(), ints.dtype());
    require(zp.size() == s.size(), what(n), ": ", zp.size(), " zero points for ", s.size(),
            " scales");
    ir::QuantParams params{s, zp, -1};
    if (s.size() > 1)
      params.axis = static_cast<int>(normalized_axis(n.attr_int("axis", 1), ints.rank(), what(n)));
    if (q && (*q)->q.scale == params.scale && (*q)->q.zero_point == params.zero_point &&
        (*q)->q.axis == params.axis)
      return set(n, Dequantized{*q});
    set(n, Dequantized{std::make_shared<const QTensor>(
               QTensor{ints, params, q ? (*q)->format : MemoryFormat::kOther})});
  }

  // Cast / Identity of a run-time value: the exporter's no-op Cast after a QuantizeLinear keeps
  // the quantized tensor; a plain tensor is converted.
  // Shape of a computed value: its static shape, a constant from here on.
  void shape_of(const Node& n) {
    const Value& x = in(n, 0);
    Shape s = g_.value(n.inputs.at(0)).shape;
    if (const auto* t = std::get_if<Tensor>(&x)) s = t->shape();
    if (const auto* q = std::get_if<QRef>(&x)) s = (*q)->ints.shape();
    if (const auto* d = std::get_if<Dequantized>(&x)) s = d->q->ints.shape();
    require(!s.empty() || g_.value(n.inputs.at(0)).shape_known, what(n), ": the shape of '",
            g_.value(n.inputs.at(0)).name, "' is not known");
    set(n, Tensor::from<int64_t>({static_cast<int64_t>(s.size())}, s));
    constant_.at(n.outputs.at(0)) = true;
  }

  void pass_through(const Node& n) {
    const Value& x = in(n, 0);
    if (n.op == "Identity") return set(n, x);
    const DType to =
        ir::require_onnx_dtype(n.attr_int("to"), cat(what(n), ": Cast attribute 'to'"));
    if (const auto* q = std::get_if<QRef>(&x)) {
      // The exporter's Cast(to=UINT8) after a qint8 output it labelled uint8 stays a no-op.
      if (relabelled_.count(n.inputs.at(0)) && to == DType::kU8) {
        relabelled_.insert(n.outputs.at(0));
        return set(n, x);
      }
      require((*q)->ints.dtype() == to, what(n), ": Cast of a quantized ",
              dtype_name((*q)->ints.dtype()), " tensor to ", dtype_name(to),
              " (only the exporter's no-op casts are supported)");
      return set(n, x);
    }
    const auto* t = std::get_if<Tensor>(&x);
    require(t != nullptr, what(n), ": Cast of a dequantized or pending value is not supported");
    set(n, cast(*t, to, what(n)));
  }

  void conv_or_linear(const Node& n) {
    const Dequantized* w = dequantized(n, 1);
    if (w == nullptr) {  // a float host op
      const Tensor x = float_input(n, 0), wf = float_input(n, 1);
      std::optional<Tensor> b;
      if (present(n, 2)) b = float_input(n, 2);
      const Tensor* bp = b ? &*b : nullptr;
      if (n.op == "Conv") return set(n, conv2d_f32(x, wf, bp, conv_geometry(n), what(n)));
      if (n.op == "MatMul") return set(n, matmul_f32(x, wf, what(n)));
      return set(n, gemm_f32(x, wf, bp, n.attr_float("alpha", 1.0f), n.attr_float("beta", 1.0f),
                             n.attr_int("transA", 0) != 0, n.attr_int("transB", 0) != 0, what(n)));
    }
    const Dequantized* x = dequantized(n, 0);
    require(x != nullptr, what(n), ": the weight is dequantized but the input is not");
    if (n.op == "Gemm")
      require(n.attr_int("transA", 0) == 0 && n.attr_int("transB", 0) == 1 &&
                  n.attr_float("alpha", 1.0f) == 1.0f && n.attr_float("beta", 1.0f) == 1.0f,
              what(n), ": a quantized Gemm must be PyTorch's linear (transB=1, alpha=beta=1)");
    Pending p;
    p.kind = n.op == "Conv" ? Pending::Kind::kConv : Pending::Kind::kLinear;
    p.node = &n;
    p.args = {x->q, w->q};
    if (present(n, 2)) {
      const Dequantized* b = dequantized(n, 2);
      require(b != nullptr, what(n), ": the bias of a quantized op must be a DequantizeLinear");
      p.bias = b->q;
    }
    set(n, std::move(p));
  }

  void add(const Node& n) {
    const Dequantized* a = dequantized(n, 0);
    const Dequantized* b = dequantized(n, 1);
    if (a && b) {
      Pending p;
      p.kind = Pending::Kind::kAdd;
      p.node = &n;
      p.args = {a->q, b->q};
      return set(n, std::move(p));
    }
    const auto* ta = std::get_if<Tensor>(&in(n, 0));
    const auto* tb = std::get_if<Tensor>(&in(n, 1));
    if (ta && tb && ta->dtype() == DType::kI32 && tb->dtype() == DType::kI32)
      return set(n, add_i32_wrap(*ta, *tb, what(n)));  // an int32 layer's bias (2.12)
    set(n, add_f32(float_input(n, 0), float_input(n, 1), what(n)));
  }

  // A same-qparams op on a dequantized input (2.6, 2.9, 2.10).
  void pending_unary(const Node& n, Pending::Kind kind, Pending p = {}) {
    p.kind = kind;
    p.node = &n;
    p.args = {std::get<Dequantized>(in(n, 0)).q};
    set(n, std::move(p));
  }

  void relu(const Node& n) {
    const Value& x = in(n, 0);
    if (const auto* p = std::get_if<Pending>(&x);
        p && !p->relu &&
        (p->kind == Pending::Kind::kConv || p->kind == Pending::Kind::kLinear ||
         p->kind == Pending::Kind::kAdd)) {
      Pending fused = *p;
      fused.relu = true;
      return set(n, std::move(fused));
    }
    if (dequantized(n, 0)) return pending_unary(n, Pending::Kind::kRelu);
    set(n, relu_f32(float_input(n, 0), what(n)));
  }

  void clip(const Node& n) {
    require(dequantized(n, 0) != nullptr, what(n),
            ": Clip of a float tensor is not supported (a quantized clamp must read a "
            "DequantizeLinear)");
    Pending p;
    auto bound = [&](size_t i, const char* attr, float fallback) {
      if (present(n, i)) {
        const Tensor& t = constant(n, i, attr);
        require(t.dtype() == DType::kF32 && t.numel() == 1, what(n), ": '", attr,
                "' must be one float32");
        return t.values<float>()[0];
      }
      return n.attr_float(attr, fallback);
    };
    p.clip_lo = bound(1, "min", -std::numeric_limits<float>::infinity());
    p.clip_hi = bound(2, "max", std::numeric_limits<float>::infinity());
    pending_unary(n, Pending::Kind::kClip, std::move(p));
  }

  void max_pool_op(const Node& n) {
    require(n.attr_int("storage_order", 0) == 0, what(n),
            ": unsupported attribute value storage_order=1");
    if (dequantized(n, 0)) return pending_unary(n, Pending::Kind::kMaxPool);
    const Value& x = in(n, 0);
    if (const auto* q = std::get_if<QRef>(&x))  // a QOperator graph pools the integers
      return set_q(n, max_pool((*q)->ints, pool_geometry(n), what(n)), (*q)->q, (*q)->format);
    set(n, max_pool(float_input(n, 0), pool_geometry(n), what(n)));
  }

  // Sigmoid, Tanh, HardSigmoid of a dequantized tensor: PyTorch's table ops (2.14) once the
  // QuantizeLinear after them is known; a float Sigmoid is a float-region op.
  void table_activation(const Node& n) {
    if (!dequantized(n, 0)) {
      require(n.op == "Sigmoid", what(n), ": ", n.op, " of a float tensor is not supported");
      return set(n, sigmoid_f32(float_input(n, 0), what(n)));
    }
    if (n.op == "HardSigmoid")
      require(n.attr_float("alpha", 0.2f) == 1.0f / 6.0f && n.attr_float("beta", 0.5f) == 0.5f,
              what(n), ": HardSigmoid with alpha ", n.attr_float("alpha", 0.2f), ", beta ",
              n.attr_float("beta", 0.5f), " is not PyTorch's hardsigmoid (alpha 1/6, beta 0.5)");
    pending_unary(n, n.op == "Sigmoid" ? Pending::Kind::kSigmoid
                     : n.op == "Tanh"  ? Pending::Kind::kTanh
                                       : Pending::Kind::kHardSigmoid);
  }

  // Mul(DQ(x), HardSigmoid(DQ(x))) in either order is PyTorch's hardswish (2.15), Mul of two
  // dequantized tensors its quantized mul (2.19); anything else a float multiply.
  void mul(const Node& n) {
    for (size_t k : {0u, 1u}) {
      const auto* h = std::get_if<Pending>(&in(n, k));
      const Dequantized* x = dequantized(n, 1 - k);
      if (h && h->kind == Pending::Kind::kHardSigmoid && x &&
          x->q->ints.bytes().data() == h->args.at(0)->ints.bytes().data() &&
          x->q->q.scale == h->args[0]->q.scale && x->q->q.zero_point == h->args[0]->q.zero_point) {
        Pending p;
        p.kind = Pending::Kind::kHardSwish;
        p.node = &n;
        p.args = {x->q};
        return set(n, std::move(p));
      }
    }
    const Dequantized* a = dequantized(n, 0);
    const Dequantized* b = dequantized(n, 1);
    if (a && b) {
      Pending p;
      p.kind = Pending::Kind::kMul;
      p.node = &n;
      p.args = {a->q, b->q};
      return set(n, std::move(p));
    }
    set(n, mul_f32(float_input(n, 0), float_input(n, 1), what(n)));
  }

  // Pad of a dequantized NCHW tensor with the value 0.0 (= the zero point), which only an
  // AveragePool may read (the count_include_pad=True export, docs/pytorch-recipes.md 4).
  void pad(const Node& n) {
    require(dequantized(n, 0) != nullptr, what(n),
            ": only a zero Pad of a quantized tensor before AveragePool is supported");
    require(n.attr_string("mode", "constant") == "constant", what(n),
            ": only constant padding is supported");
    const std::vector<int64_t> pads =
        present(n, 1) ? int_values(constant(n, 1, "pads")) : n.attr_ints("pads", {});
    require(pads.size() == 8 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0,
            what(n), ": pads ", shape_str(pads), " must pad H and W of an NCHW tensor only");
    if (present(n, 2)) {
      const Tensor& v = constant(n, 2, "constant_value");
      require(v.numel() == 1 && v.as_double(0) == 0.0, what(n), ": the pad value must be 0");
    }
    Pending p;
    p.pads = {pads[2], pads[3], pads[6], pads[7]};
    pending_unary(n, Pending::Kind::kPad, std::move(p));
  }

  // Resize of a dequantized tensor as torch.onnx exports nn.Upsample / F.interpolate
  // (docs/pytorch-recipes.md 2.21): nearest (asymmetric, floor) or bilinear (linear,
  // half_pixel or align_corners), with float32 scales [1, 1, sh, sw] or int64 sizes
  // [N, C, oh, ow].
  void resize(const Node& n) {
    const std::string w = what(n);
    const Dequantized* d = dequantized(n, 0);
    require(d != nullptr, w, ": Resize of a float tensor is not supported");
    const std::string mode = n.attr_string("mode", "nearest");
    const std::string coords = n.attr_string("coordinate_transformation_mode", "half_pixel");
    Pending p;
    p.bilinear = mode == "linear" && (coords == "half_pixel" || coords == "pytorch_half_pixel" ||
                                      coords == "align_corners");
    p.align_corners = coords == "align_corners";
    const bool nearest = mode == "nearest" && coords == "asymmetric" &&
                         n.attr_string("nearest_mode", "round_prefer_floor") == "floor";
    require(nearest || p.bilinear, w,
            ": only nearest (nearest, asymmetric, floor) and bilinear (linear, half_pixel or "
            "align_corners) upsampling are supported, not mode ",
            mode, " with ", coords);
    require(present(n, 2) != present(n, 3), w, ": a Resize needs exactly one of scales and sizes");
    const Shape& in = d->q->ints.shape();
    require(in.size() == 4, w, ": only 4-D NCHW inputs are upsampled, got ", shape_str(in));
    if (present(n, 3)) {
      const std::vector<int64_t> sizes = int_values(constant(n, 3, "sizes"));
      require(sizes.size() == 4 && sizes[0] == in[0] && sizes[1] == in[1] && sizes[2] > 0 &&
                  sizes[3] > 0,
              w, ": sizes must be [N, C, oh, ow] of the input ", shape_str(in));
      for (int k = 0; k < 2; ++k)
        p.axes[k] = upsample_axis_from_size(in[2 + k], sizes[2 + k], p.align_corners);
    } else {
      const Tensor& s = constant(n, 2, "scales");
      require(s.dtype() == DType::kF32 && s.numel() == 4 && s.values<float>()[0] == 1.0f &&
                  s.values<float>()[1] == 1.0f && s.values<float>()[2] > 0.0f &&
                  s.values<float>()[3] > 0.0f,
              w, ": scales must be [1, 1, sh, sw] with sh, sw > 0");
      for (int k = 0; k < 2; ++k)
        p.axes[k] = upsample_axis_from_scale(in[2 + k], s.values<float>()[2 + k], p.align_corners);
    }
    require(p.axes[0].out > 0 && p.axes[1].out > 0, w, ": the upsampled size is empty");
    pending_unary(n, Pending::Kind::kUpsample, std::move(p));
  }

  void average_pool(const Node& n) {
    const Value& x = in(n, 0);
    if (const auto* padded = std::get_if<Pending>(&x);
        padded && padded->kind == Pending::Kind::kPad) {
      Pending p = *padded;
      p.kind = Pending::Kind::kAvgPool;
      p.node = &n;
      p.padded_input = true;
      return set(n, std::move(p));
    }
    if (dequantized(n, 0)) return pending_unary(n, Pending::Kind::kAvgPool);
    set(n, avg_pool_f32(float_input(n, 0), pool_geometry(n), what(n)));
  }

  // x.mean((2, 3)) of a quantized tensor: PyTorch's result equals the global average pool
  // (2.8; probed in both memory formats); keepdims=0 drops the two unit dims.
  void reduce_mean(const Node& n) {
    const Dequantized* d = dequantized(n, 0);
    require(d != nullptr, what(n), ": ReduceMean of a float tensor is not supported");
    std::vector<int64_t> axes = n.attr_ints("axes", {});
    for (int64_t& a : axes)
      if (a < 0) a += static_cast<int64_t>(d->q->ints.rank());
    std::sort(axes.begin(), axes.end());
    require(d->q->ints.rank() == 4 && axes == std::vector<int64_t>{2, 3} && !present(n, 1), what(n),
            ": only the mean over H and W (axes [2, 3]) of a 4-D quantized tensor is "
            "supported");
    Pending p;
    if (n.attr_int("keepdims", 1) == 0) p.shape = {d->q->ints.dim(0), d->q->ints.dim(1)};
    pending_unary(n, Pending::Kind::kGlobalAvgPool, std::move(p));
  }

  void global_average_pool(const Node& n) {
    if (dequantized(n, 0)) return pending_unary(n, Pending::Kind::kGlobalAvgPool);
    set(n, global_avg_pool_f32(float_input(n, 0), what(n)));
  }

  std::vector<int64_t> target_shape(const Node& n, const Shape& in_shape) const {
    if (n.op == "Reshape") return int_values(constant(n, 1, "shape"));
    const int64_t axis = n.attr_int("axis", 1);
    return flatten(Tensor(DType::kU8, in_shape), axis, what(n)).shape();
  }

  void reshape_op(const Node& n) {
    const bool allow_zero = n.attr_int("allowzero", 0) != 0;
    if (const Dequantized* d = dequantized(n, 0)) {
      Pending p;
      p.shape = target_shape(n, d->q->ints.shape());
      return pending_unary(n, Pending::Kind::kReshape, std::move(p));
    }
    const Value& x = in(n, 0);
    if (const auto* q = std::get_if<QRef>(&x))
      return set_q(n, reshape((*q)->ints, target_shape(n, (*q)->ints.shape()), allow_zero, what(n)),
                   (*q)->q, MemoryFormat::kOther);
    const auto* t = std::get_if<Tensor>(&x);
    require(t != nullptr, what(n), ": input 0 must be a tensor");
    set(n, reshape(*t, target_shape(n, t->shape()), allow_zero, what(n)));
  }

  void concat_op(const Node& n) {
    const bool quantized = std::all_of(n.inputs.begin(), n.inputs.end(), [&](ValueId v) {
      return std::holds_alternative<Dequantized>(env_.at(v));
    });
    if (quantized) {
      Pending p;
      p.kind = Pending::Kind::kConcat;
      p.node = &n;
      for (size_t i = 0; i < n.inputs.size(); ++i) p.args.push_back(dequantized(n, i)->q);
      return set(n, std::move(p));
    }
    std::vector<Tensor> parts;
    for (size_t i = 0; i < n.inputs.size(); ++i) parts.push_back(float_input(n, i));
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : parts) ptrs.push_back(&t);
    set(n, concat(ptrs, n.attr_int("axis"), what(n)));
  }

  void argmax_op(const Node& n) {
    const Value& x = in(n, 0);
    const Dequantized* d = dequantized(n, 0);
    const QRef* q = std::get_if<QRef>(&x);
    const Tensor* t = std::get_if<Tensor>(&x);
    // Dequantization is increasing: the argmax of the integers (2.11).
    const Tensor input = d ? d->q->ints : q ? (*q)->ints : t ? *t : float_input(n, 0);
    set(n, argmax(input, n.attr_int("axis", 0), n.attr_int("keepdims", 1) != 0,
                  n.attr_int("select_last_index", 0) != 0, what(n)));
  }

  // ONNX BatchNormalization (inference): y = (x - mean) / sqrt(var + eps) * scale + B per
  // channel (axis 1), computed in double and rounded to float32 once.
  void batch_norm(const Node& n) {
    const Tensor x = float_input(n, 0);
    require(x.rank() >= 2, what(n), ": input must have a channel axis");
    std::vector<std::vector<double>> p;
    for (size_t i = 1; i <= 4; ++i) {
      const Tensor t = float_input(n, i);
      require(t.numel() == x.dim(1), what(n), ": input ", i, " has ", t.numel(), " values for ",
              x.dim(1), " channels");
      std::vector<double> v(t.numel());
      for (int64_t c = 0; c < t.numel(); ++c) v[c] = t.as_double(c);
      p.push_back(std::move(v));
    }
    const double eps = n.attr_float("epsilon", 1e-5f);
    Tensor y = x;
    const int64_t inner = x.numel() / (x.dim(0) * x.dim(1));
    auto out = y.values<float>();
    for (int64_t i = 0; i < y.numel(); ++i) {
      const int64_t c = i / inner % x.dim(1);
      out[i] = static_cast<float>((x.as_double(i) - p[2][c]) / std::sqrt(p[3][c] + eps) * p[0][c] +
                                  p[1][c]);
    }
    set(n, std::move(y));
  }

  // ---- ONNX QOperator ops (their ONNX definitions; docs/requantizer.md 4.1) ----

  // The requantizer of a QLinearConv/QLinearMatMul or a PyTorch conv/linear: per output channel
  // c, bias[c] and scale[c] (applied in the configured mode), output (y, out), clamp from
  // `lo` (the type minimum, or y's zero point under a ReLU) to the type maximum.
  ir::Requant requant(const std::vector<int32_t>& bias, const std::vector<float>& scale,
                      const Affine& y, DType out, bool relu, const std::string& w) const {
    ir::Requant rq;
    rq.mode = o_.requant_mode;
    rq.out_dtype = out;
    for (size_t c = 0; c < scale.size(); ++c) {
      ir::RequantChannel ch;
      ch.bias = bias.empty() ? 0 : bias[c];
      ch.scale = scale[c];
      require(std::isfinite(ch.scale) && ch.scale > 0.0f, w, ": requantization scale of channel ",
              c, " is ", ch.scale, ", not a finite positive float32");
      if (rq.mode == ir::Stage1Mode::kFixed) {
        const FixedScale f = fixed_point_scale(ch.scale, cat(w, ": channel ", c));
        ch.mult = f.mult;
        ch.shift = f.shift;
      }
      ch.zp = y.zero_point;
      ch.min = relu ? y.zero_point : static_cast<int32_t>(ir::dtype_min(out));
      ch.max = static_cast<int32_t>(ir::dtype_max(out));
      rq.channels.push_back(ch);
    }
    return rq;
  }

  // Per-channel float32 scales of `channels` output channels from one or `channels` weight
  // scales with `f(x_scale, w_scale[c], y_scale)`.
  template <class F>
  std::vector<float> channel_scales(float sx, const std::vector<float>& sw, float sy,
                                    int64_t channels, F f, const Node& n) const {
    require(sw.size() == 1 || static_cast<int64_t>(sw.size()) == channels, what(n), ": ", sw.size(),
            " weight scales for ", channels, " output channels");
    std::vector<float> s(channels);
    for (int64_t c = 0; c < channels; ++c) s[c] = f(sx, sw[sw.size() == 1 ? 0 : c], sy);
    return s;
  }

  std::vector<int32_t> qoperator_bias(const Node& n, size_t slot, int64_t channels) const {
    if (!present(n, slot)) return {};
    const Tensor& b = constant(n, slot, "B");
    require(b.dtype() == DType::kI32 && b.rank() == 1 && b.numel() == channels, what(n),
            ": input 'B' must be int32 [", channels, "], got ", dtype_name(b.dtype()), " ",
            shape_str(b.shape()));
    const auto v = b.values<int32_t>();
    return {v.begin(), v.end()};
  }

  // QLinearConv (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B) or ConvInteger
  // (x, w, x_zp, w_zp).
  void qoperator_conv(const Node& n) {
    const bool qlinear = n.op == "QLinearConv";
    const size_t w_slot = qlinear ? 3 : 1;
    const Tensor& x = int_input(n, 0);
    const Tensor& w = constant(n, w_slot, "w");
    const int32_t zx = zero_points(n, 2, "x_zero_point", 1, x.dtype()).first.at(0);
    const int32_t zw = uniform(zero_points(n, qlinear ? 5 : 3, "w_zero_point", 1, w.dtype()).first,
                               n, "w_zero_point");
    Tensor acc = conv2d_acc(x, zx, w, zw, conv_geometry(n), what(n));
    if (!qlinear) return set(n, std::move(acc));
    qlinear_requant(n, std::move(acc), 1, w.dim(0), qoperator_bias(n, 8, w.dim(0)));
  }

  // QLinearMatMul (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) or MatMulInteger
  // (a, b, a_zp, b_zp).
  void qoperator_matmul(const Node& n) {
    const bool qlinear = n.op == "QLinearMatMul";
    const size_t b_slot = qlinear ? 3 : 1;
    const Tensor& a = int_input(n, 0);
    const Tensor& b = int_input(n, b_slot);
    const int32_t za = zero_points(n, 2, "a_zero_point", 1, a.dtype()).first.at(0);
    const int32_t zb = uniform(zero_points(n, qlinear ? 5 : 3, "b_zero_point", 1, b.dtype()).first,
                               n, "b_zero_point");
    Tensor acc = matmul_acc(a, za, b, zb, what(n));
    if (!qlinear) return set(n, std::move(acc));
    const int64_t axis = static_cast<int64_t>(acc.rank()) - 1;
    const int64_t channels = acc.dim(axis);
    qlinear_requant(n, std::move(acc), axis, channels, {});
  }

  void qlinear_requant(const Node& n, Tensor acc, int64_t axis, int64_t channels,
                       const std::vector<int32_t>& bias) {
    const float sx = scales(n, 1, "x_scale").at(0), sy = scales(n, 6, "y_scale").at(0);
    const std::vector<float> sw = scales(n, 4, "w_scale");
    const auto [zy, out] = zero_points(n, 7, "y_zero_point", 1, DType::kU8);
    const Affine y{sy, zy.at(0)};
    const ir::Requant rq = requant(
        bias, channel_scales(sx, sw, sy, channels, onnx_requant_scale, n), y, out, false, what(n));
    set_q(n, requantize(acc, axis, rq, nullptr, what(n)), ir::QuantParams{{sy}, {zy.at(0)}, -1},
          MemoryFormat::kOther);
  }

  // A canonical op (ir/op_set.h) in the model: golden's canonical kernel on plain tensors.
  void canonical(const Node& n) {
    std::vector<Tensor> held;
    held.reserve(n.inputs.size());
    std::vector<const Tensor*> ptrs;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!present(n, i)) {
        ptrs.push_back(nullptr);
        continue;
      }
      const Value& v = in(n, i);
      if (const auto* q = std::get_if<QRef>(&v)) {
        ptrs.push_back(&(*q)->ints);
      } else if (std::holds_alternative<Tensor>(v)) {
        ptrs.push_back(&std::get<Tensor>(v));
      } else {
        held.push_back(float_input(n, i));
        ptrs.push_back(&held.back());
      }
    }
    std::vector<Tensor> outs = run_node(n, ptrs);
    for (size_t i = 0; i < outs.size(); ++i) set(n, std::move(outs[i]), i);
  }

  // ---- the PyTorch recipes, once the output's quantization is known ----

  QRef evaluate(const Pending& p, const Affine& y, DType out) const {
    const Node& n = *p.node;
    const std::string w = what(n);
    auto make = [](Tensor ints, const Affine& a, MemoryFormat f) {
      return std::make_shared<const QTensor>(
          QTensor{std::move(ints), ir::QuantParams{{a.scale}, {a.zero_point}, -1}, f});
    };
    const QTensor& x = *p.args.at(0);
    require_pytorch_int8_recipe(p, out);
    switch (p.kind) {
      case Pending::Kind::kConv:
      case Pending::Kind::kLinear:
        return make(
            conv_or_linear_recipe(p, y, out), y,
            p.kind == Pending::Kind::kConv ? MemoryFormat::kChannelsLast : MemoryFormat::kOther);
      case Pending::Kind::kAdd: {
        const QTensor& b = *p.args.at(1);
        if (x.ints.shape() != b.ints.shape()) {
          const auto [ints, format] = broadcast_add(p, y, out);
          return make(ints, y, format);
        }
        if (out == DType::kI8)  // XNNPACK (2.23)
          return make(qadd_xnnpack(x.ints, per_tensor(x, n, "input A"), b.ints,
                                   per_tensor(b, n, "input B"), y, p.relu, w),
                      y, x.format);
        const ir::AddParams params = qnnpack_add_params(
            per_tensor(x, n, "input A"), per_tensor(b, n, "input B"), y, out, p.relu, w);
        return make(qadd(x.ints, b.ints, params, out, w), y, x.format);
      }
      case Pending::Kind::kConcat:
        return concat_recipe(p, y, out);
      case Pending::Kind::kAvgPool:
        return make(avg_pool_recipe(p, y, out), y, x.format);
      case Pending::Kind::kGlobalAvgPool:  // a ReduceMean with keepdims=0 drops H and W
        return p.shape.empty()
                   ? make(avg_pool_recipe(p, y, out), y, x.format)
                   : make(avg_pool_recipe(p, y, out).reshaped(p.shape), y, MemoryFormat::kOther);
      case Pending::Kind::kPad:
        fail(w, ": a Pad whose result is quantized directly is not supported");
      case Pending::Kind::kSigmoid:
      case Pending::Kind::kTanh:
      case Pending::Kind::kHardSigmoid:
      case Pending::Kind::kHardSwish:
        return make(table_recipe(p, y, out), y, x.format);
      case Pending::Kind::kUpsample: {
        // 2.21: a gather, the input's quantization; torch 1.13 mislabels (N, C, 1, 1) inputs.
        const Affine a = per_tensor(x, n, "input");
        require(a.scale == y.scale && a.zero_point == y.zero_point && x.ints.dtype() == out, w,
                ": an upsample keeps its input's quantization in PyTorch");
        require(!(x.ints.dim(2) == 1 && x.ints.dim(3) == 1 && x.ints.dim(1) > 1), w,
                ": upsampling an (N, C, 1, 1) tensor: torch 1.13 returns its bytes permuted "
                "(docs/pytorch-recipes.md 2.21)");
        if (!p.bilinear)
          return make(gather2d(x.ints, nearest_sources(p.axes[0]), nearest_sources(p.axes[1]), w),
                      y, x.format);
        // The NHWC kernel runs on a channels-last contiguous input (C == 1 is one).
        const bool nhwc = x.format == MemoryFormat::kChannelsLast || x.ints.dim(1) == 1;
        return make(upsample_bilinear(x.ints, a.zero_point,
                                      bilinear_sources(p.axes[0], p.align_corners, nhwc),
                                      bilinear_sources(p.axes[1], p.align_corners, nhwc), nhwc, w),
                    y, x.format);
      }
      case Pending::Kind::kLeakyRelu: {
        // 2.16: the element's position in PyTorch's memory order picks the vectorized body's
        // formula or the scalar tail's (one thread: the first floor(numel / 64) * 64 are
        // vectorized).
        const Affine a = per_tensor(x, n, "input");
        require(out == DType::kU8 && x.ints.dtype() == DType::kU8, w,
                ": leaky_relu is implemented for quint8");
        const int64_t vector_end = x.ints.numel() / 64 * 64;
        const bool nhwc = x.format == MemoryFormat::kChannelsLast && x.ints.rank() == 4;
        Tensor ints(out, x.ints.shape());
        for (int64_t i = 0; i < x.ints.numel(); ++i) {
          const int64_t pos = nhwc ? nhwc_position(x.ints.shape(), i) : i;
          ints.values<uint8_t>()[i] = static_cast<uint8_t>(aten_leaky_relu(
              static_cast<int32_t>(x.ints.as_int(i)), a, p.slope, y, pos < vector_end));
        }
        return make(std::move(ints), y, x.format);
      }
      case Pending::Kind::kMul: {
        // ATen's qmul (2.19): stage 1 of the exact product with (sa * sb) * (1 / sy); numpy
        // broadcasting. The output takes the first operand's memory format, a gate's too (a
        // channels-last gate, e.g. from a conv, gives a channels-last product).
        const QTensor& b = *p.args.at(1);
        const Affine aa = per_tensor(x, n, "input A"), ba = per_tensor(b, n, "input B");
        const float scale = out == DType::kI8  // XNNPACK's vmul (2.23)
                                ? xnnpack_requant_scale(aa.scale, ba.scale, y.scale)
                                : aten_mul_scale(aa.scale, ba.scale, y.scale);
        const ir::Requant rq = requant({}, {scale}, y, out, false, w);
        Tensor ints = qmul(x.ints, aa.zero_point, b.ints, ba.zero_point, rq, w);
        return make(std::move(ints), y, x.format);
      }
      default:
        break;
    }
    const Affine a = per_tensor(x, n, "input");
    // A relu or clip that changes the quantization is a float region's (2.18):
    // quantize(clamp(dequantize(x))).
    if ((p.kind == Pending::Kind::kRelu || p.kind == Pending::Kind::kClip) &&
        (a.scale != y.scale || a.zero_point != y.zero_point || x.ints.dtype() != out)) {
      const float lo = p.kind == Pending::Kind::kRelu ? 0.0f : p.clip_lo;
      const float hi =
          p.kind == Pending::Kind::kRelu ? std::numeric_limits<float>::infinity() : p.clip_hi;
      return make(map_dequantized(x.ints, a, out,
                                  [&](float v) {
                                    return quantize_value(std::min(std::max(v, lo), hi), y.scale,
                                                          y.zero_point, out,
                                                          QuantizeMethod::kMulInv);
                                  }),
                  y, x.format);
    }
    // relu, clip, max pool, reshape: PyTorch keeps the input's quantization (2.6, 2.9, 2.10).
    require(a.scale == y.scale && a.zero_point == y.zero_point && x.ints.dtype() == out, w,
            ": changes the quantization (", a.scale, ", ", a.zero_point, ") to (", y.scale, ", ",
            y.zero_point, "); PyTorch keeps it for this op");
    switch (p.kind) {
      case Pending::Kind::kRelu:
        return make(clamp(x.ints, a.zero_point, ir::dtype_max(out), w), y, x.format);
      case Pending::Kind::kClip: {
        require(x.format != MemoryFormat::kChannelsLast || out == DType::kI8, w,
                ": Clip of a tensor PyTorch holds channels-last: torch 1.13 permutes the elements "
                "of such a clamp (docs/pytorch-recipes.md 2.9)");
        auto bound = [&](float v, int64_t fallback) {
          return std::isfinite(v)
                     ? quantize_value(v, a.scale, a.zero_point, out, QuantizeMethod::kMulInv)
                     : fallback;
        };
        return make(clamp(x.ints, bound(p.clip_lo, ir::dtype_min(out)),
                          bound(p.clip_hi, ir::dtype_max(out)), w),
                    y, x.format);
      }
      case Pending::Kind::kMaxPool:
        return make(max_pool(x.ints, pool_geometry(n), w), y, x.format);
      default:  // kReshape
        return make(reshape(x.ints, p.shape, n.attr_int("allowzero", 0) != 0, w), y,
                    MemoryFormat::kOther);
    }
  }

  // 2.14, 2.15: the table ops, evaluated element by element from their definitions. sigmoid,
  // tanh and hardsigmoid have fixed output qparams in PyTorch; a sigmoid requantized to other
  // qparams is a float region's (float sigmoid, then quantize 2.1).
  Tensor table_recipe(const Pending& p, const Affine& y, DType out) const {
    const Node& n = *p.node;
    const QTensor& x = *p.args.at(0);
    const Affine a = per_tensor(x, n, "input");
    require(out == DType::kU8, what(n), ": PyTorch's table activations output quint8, not ",
            dtype_name(out));
    if (p.kind == Pending::Kind::kHardSwish)
      return map_dequantized(x.ints, a, out, [&](float v) { return qnnpack_hardswish(v, y); });
    const Affine fixed = p.kind == Pending::Kind::kTanh ? kTanhOutput : kSigmoidOutput;
    if (y.scale == fixed.scale && y.zero_point == fixed.zero_point) {
      if (p.kind == Pending::Kind::kSigmoid)
        return map_dequantized(x.ints, a, out, qnnpack_sigmoid);
      if (p.kind == Pending::Kind::kTanh) return map_dequantized(x.ints, a, out, qnnpack_tanh);
      return map_dequantized(x.ints, a, out, qnnpack_hardsigmoid);
    }
    require(p.kind == Pending::Kind::kSigmoid, what(n), ": ", n.op, " requantized to (", y.scale,
            ", ", y.zero_point, "): PyTorch's quantized ", n.op, " has the fixed output (",
            fixed.scale, ", ", fixed.zero_point, ")");
    const Tensor f = sigmoid_f32(dequantize(x.ints, x.q, what(n)), what(n));
    return quantize(f, ir::QuantParams{{y.scale}, {y.zero_point}, -1}, out, QuantizeMethod::kMulInv,
                    what(n));
  }

  // 2.3 / 2.4 (and 2.12's bias): conv or linear, requantized to (y, out).
  // QNNPACK runs a conv as a gemm when its kernel is 1x1 with stride 1 and no padding.
  static bool qnnpack_gemm(const Node& n, const Tensor& weight) {
    const Conv2dGeometry g = conv_geometry(n);
    return weight.rank() == 4 && weight.dim(2) == 1 && weight.dim(3) == 1 && g.strides[0] == 1 &&
           g.strides[1] == 1 && g.pads == std::array<int64_t, 4>{0, 0, 0, 0};
  }

  Tensor conv_or_linear_recipe(const Pending& p, const Affine& y, DType out) const {
    const Node& n = *p.node;
    const std::string w = what(n);
    const QTensor& x = *p.args.at(0);
    const QTensor& weight = *p.args.at(1);
    const Affine xa = per_tensor(x, n, "input");
    const int32_t zw = uniform(weight.q.zero_point, n, "the weight");
    const int64_t channels =
        n.op == "MatMul" ? weight.ints.dim(weight.ints.rank() - 1) : weight.ints.dim(0);
    const bool xnnpack = x.ints.dtype() == DType::kI8;  // qint8 activations (2.23)
    const std::vector<float> scale =
        channel_scales(xa.scale, weight.q.scale, y.scale, channels,
                       xnnpack ? xnnpack_requant_scale : qnnpack_requant_scale, n);
    for (float sc : scale)
      require(!xnnpack || sc < 256.0f, w, ": requantization scale ", sc,
              " >= 256, which XNNPACK refuses");
    require(!xnnpack || zw == 0, w, ": weight zero point ", zw,
            " with int8 activations (XNNPACK needs 0)");
    std::vector<int32_t> bias;
    if (p.bias) {
      const QTensor& b = *p.bias;
      require(b.ints.dtype() == DType::kI32 && b.ints.numel() == channels, w,
              ": the bias must be int32 with one value per output channel (", channels, ")");
      for (int64_t c = 0; c < channels; ++c) {
        // The exporter's bias scale is float32(w_scale * x_scale) (2.3).
        const float want = weight.q.scale[weight.q.scale.size() == 1 ? 0 : c] * xa.scale;
        const float got = b.q.scale[b.q.scale.size() == 1 ? 0 : c];
        require(got == want, w, ": bias scale ", got, " of channel ", c,
                " is not w_scale * x_scale = ", want);
        bias.push_back(static_cast<int32_t>(b.ints.as_int(c)));
      }
    }
    if (n.op == "Conv" && !xnnpack && !qnnpack_gemm(n, weight.ints))
      std::transform(bias.begin(), bias.end(), bias.begin(), qnnpack_conv_bias);
    const ir::Requant rq = requant(bias, scale, y, out, p.relu, w);
    if (n.op == "Conv") {
      const Tensor acc = conv2d_acc(x.ints, xa.zero_point, weight.ints, zw, conv_geometry(n), w);
      return requantize(acc, 1, rq, nullptr, w);
    }
    // Gemm (transB = 1) reads the weight as [N, K]; MatMul as [K, N].
    const Tensor b = n.op == "Gemm" ? transpose(weight.ints, {1, 0}, w) : weight.ints;
    const Tensor acc = matmul_acc(x.ints, xa.zero_point, b, zw, w);
    return requantize(acc, static_cast<int64_t>(acc.rank()) - 1, rq, nullptr, w);
  }

  // 2.7: the channels-last fast path when every input is 4-D and channels-last contiguous in
  // PyTorch's sense and the axis is 1; else the generic path.
  QRef concat_recipe(const Pending& p, const Affine& y, DType out) const {
    const Node& n = *p.node;
    const std::string w = what(n);
    const int64_t axis = normalized_axis(n.attr_int("axis"), p.args.at(0)->ints.rank(), w);
    std::vector<const Tensor*> ints;
    std::vector<Affine> in;
    bool fast = axis == 1;
    // The generic path dequantizes, runs at::cat and quantizes, each allocating with
    // suggest_memory_format(): channels-last when every input is held channels-last (a
    // [N, 1, 1, 1] tensor suggests contiguous whatever its strides).
    bool all_channels_last = true;
    for (const QRef& q : p.args) {
      ints.push_back(&q->ints);
      in.push_back(per_tensor(*q, n, "an input"));
      const Shape& s = q->ints.shape();
      fast = fast && s.size() == 4 &&
             (q->format == MemoryFormat::kChannelsLast || s[1] == 1 || (s[2] == 1 && s[3] == 1));
      all_channels_last = all_channels_last && s.size() == 4 &&
                          q->format == MemoryFormat::kChannelsLast &&
                          !(s[1] == 1 && s[2] == 1 && s[3] == 1);
    }
    Tensor y_ints = qconcat(ints, in, y, out, axis, w,
                            fast ? ConcatRecipe::kQnnpackChannelsLast : ConcatRecipe::kQnnpack);
    return std::make_shared<const QTensor>(QTensor{
        std::move(y_ints), ir::QuantParams{{y.scale}, {y.zero_point}, -1},
        fast || all_channels_last ? MemoryFormat::kChannelsLast : MemoryFormat::kContiguous});
  }

  // 2.8: QNNPACK's average pool (divisor kh * kw always), a preceding zero Pad's pads added.
  Tensor avg_pool_recipe(const Pending& p, const Affine& y, DType out) const {
    const Node& n = *p.node;
    const std::string w = what(n);
    const QTensor& x = *p.args.at(0);
    const Affine xa = per_tensor(x, n, "input");
    std::optional<FixedScale> fixed;
    if (p.kind == Pending::Kind::kGlobalAvgPool) {
      require(x.ints.rank() == 4, w, ": input must be NCHW");
      if (out == DType::kI8) {  // adaptive_avg_pool2d's native kernels (2.22, 2.23)
        require(xa.scale == y.scale && xa.zero_point == y.zero_point, w,
                ": an int8 global average pool keeps its input's quantization in PyTorch");
        const bool channels_last = x.format == MemoryFormat::kChannelsLast || x.ints.dim(1) == 1 ||
                                   (x.ints.dim(2) == 1 && x.ints.dim(3) == 1);
        if (o_.requant_mode == ir::Stage1Mode::kFixed) {
          const auto h = static_cast<float>(x.ints.dim(2)), wd = static_cast<float>(x.ints.dim(3));
          fixed = fixed_point_scale(channels_last ? 1.0f / (h * wd) : (1.0f / h) / wd, w);
        }
        return qglobal_avg_pool_aten(x.ints, xa, channels_last, fixed, w);
      }
      if (o_.requant_mode == ir::Stage1Mode::kFixed)
        fixed = fixed_point_scale(
            qnnpack_avg_pool_scale(xa.scale, y.scale, x.ints.dim(2) * x.ints.dim(3)), w);
      return qglobal_avg_pool(x.ints, xa, y, out, w, AvgPoolRecipe::kQnnpack, fixed);
    }
    PoolGeometry g = pool_geometry(n);
    for (size_t i = 0; i < 4; ++i) g.pads[i] += p.pads[i];
    if (g.ceil_mode || out == DType::kI8) return aten_avg_pool(p, x, xa, y, out, g);
    if (o_.requant_mode == ir::Stage1Mode::kFixed)
      fixed = fixed_point_scale(
          qnnpack_avg_pool_scale(xa.scale, y.scale, g.kernel[0] * g.kernel[1]), w);
    return qavg_pool(x.ints, g, xa, y, out, w, AvgPoolRecipe::kQnnpack, fixed);
  }

  // The activations of a pending op: a conv's or linear's first operand (the others are its
  // weights), every operand of the other ops.
  std::vector<QRef> activations(const Pending& p) const {
    using K = Pending::Kind;
    const size_t count = p.kind == K::kConv || p.kind == K::kLinear ? 1 : p.args.size();
    return {p.args.begin(), p.args.begin() + static_cast<std::ptrdiff_t>(count)};
  }
  static bool any_int8(const std::vector<QRef>& xs) {
    return std::any_of(xs.begin(), xs.end(),
                       [](const QRef& a) { return a->ints.dtype() == DType::kI8; });
  }
  static bool keeps_qparams(const Pending& p) {
    using K = Pending::Kind;
    return p.kind == K::kMaxPool || p.kind == K::kRelu || p.kind == K::kClip ||
           p.kind == K::kReshape || p.kind == K::kUpsample || p.kind == K::kAvgPool ||
           p.kind == K::kGlobalAvgPool;
  }

  // The type of a quantized op's result. PyTorch keeps its inputs' type, but torch 1.13's
  // exporter labels every qint8 op output uint8 with zero point Cast(0, UINT8)
  // (docs/pytorch-recipes.md 4): such an output of int8 activations is read as int8 when its
  // zero point is 0 and, for ops that keep their input's quantization, its scale is the
  // input's (with another scale it is a float region's QuantStub, which may be uint8).
  DType pytorch_output_type(const Pending& p, const Affine& y, DType labelled) const {
    const std::vector<QRef> xs = activations(p);
    const bool int8_in = any_int8(xs);
    if (!int8_in || labelled != DType::kU8 || y.zero_point != 0) return labelled;
    if (keeps_qparams(p)) {
      const QTensor& x = *xs.at(0);
      if (x.q.scale.size() != 1 || x.q.scale[0] != y.scale || x.q.zero_point[0] != 0)
        return labelled;
    }
    return DType::kI8;
  }

  // PyTorch computes qint8 conv, linear, add and mul with XNNPACK and the rest with ATen's
  // native kernels (docs/pytorch-recipes.md 2.23). The recipes implemented here for int8 are
  // those 2.23 characterises; the others are refused rather than computed another way.
  void require_pytorch_int8_recipe(const Pending& p, DType out) const {
    using K = Pending::Kind;
    const std::vector<QRef> xs = activations(p);
    const bool int8_in = any_int8(xs);
    if (!int8_in) return;
    const Node& n = *p.node;
    // A relu or clip that changes the quantization is a float region's (DeQuantStub -> float
    // op -> QuantStub of any type, 2.18), computed in float.
    if ((p.kind == K::kRelu || p.kind == K::kClip) && out != DType::kI8) return;
    for (const QRef& a : xs)
      require(a->ints.dtype() == DType::kI8, what(n),
              ": mixes int8 and uint8 activations (PyTorch's quantized ops take one type)");
    require(out == DType::kI8, what(n), ": an int8 (qint8) activation input with a ",
            dtype_name(out),
            " output: PyTorch keeps the input's type, and torch 1.13's exporter labels qint8 "
            "outputs uint8, which bpusim undoes for zero point 0 (symmetric int8) only");
    const bool supported =
        p.kind == K::kConv || p.kind == K::kLinear || p.kind == K::kConcat ||
        p.kind == K::kMaxPool || p.kind == K::kRelu || p.kind == K::kClip ||
        p.kind == K::kReshape || (p.kind == K::kUpsample && !p.bilinear) ||
        ((p.kind == K::kAdd || p.kind == K::kMul) && xs[0]->ints.shape() == xs[1]->ints.shape()) ||
        p.kind == K::kAvgPool || (p.kind == K::kGlobalAvgPool && n.op != "ReduceMean");
    require(supported, what(n),
            ": an int8 (qint8) activation input: PyTorch 1.13's qint8 recipe of this op is not "
            "characterised (docs/pytorch-recipes.md 2.23: tables, leaky_relu, bilinear "
            "upsampling, mean and broadcasting add/mul are not); use quint8 activations for it");
  }

  // 2.20: an add whose operands differ in shape takes ATen's kernel; the output has the
  // full-size operand's format, which decides the vector/scalar positions.
  std::pair<Tensor, MemoryFormat> broadcast_add(const Pending& p, const Affine& y,
                                                DType out) const {
    const std::string w = what(*p.node);
    const QTensor& a = *p.args.at(0);
    const QTensor& b = *p.args.at(1);
    const bool g_first = a.ints.numel() < b.ints.numel();
    const QTensor& x = g_first ? b : a;
    const QTensor& g = g_first ? a : b;
    const bool channels_last = x.format == MemoryFormat::kChannelsLast;
    return {qadd_broadcast(x.ints, per_tensor(x, *p.node, "the full-size operand"), g.ints,
                           per_tensor(g, *p.node, "the broadcast operand"), g_first, y, p.relu,
                           channels_last, out, w),
            x.format};
  }

  // 2.22: ceil_mode takes ATen's native kernel, chosen by PyTorch's format of the input (a
  // tensor with C == 1 or H == W == 1 is channels-last contiguous too); the Pad of
  // count_include_pad=True counts in the divisor.
  Tensor aten_avg_pool(const Pending& p, const QTensor& x, const Affine& xa, const Affine& y,
                       DType out, PoolGeometry g) const {
    const std::string w = what(*p.node);
    require(xa.scale == y.scale && xa.zero_point == y.zero_point && x.ints.dtype() == out, w,
            ": a ceil_mode average pool keeps its input's quantization in PyTorch");
    g.count_include_pad = p.padded_input || p.node->attr_int("count_include_pad", 0) != 0;
    const bool channels_last = x.format == MemoryFormat::kChannelsLast || x.ints.dim(1) == 1 ||
                               (x.ints.dim(2) == 1 && x.ints.dim(3) == 1);
    std::vector<FixedScale> fixed;
    if (o_.requant_mode == ir::Stage1Mode::kFixed)
      for (int64_t d = 0; d <= g.kernel[0] * g.kernel[1]; ++d)
        fixed.push_back(
            d == 0 ? FixedScale{}
                   : fixed_point_scale(static_cast<float>(1.0 / static_cast<double>(d)), w));
    return qavg_pool_aten(x.ints, g, xa, channels_last, fixed.empty() ? nullptr : &fixed, w);
  }

  // ---- results ----

  void keep(ValueId id) {
    const Value& v = env_.at(id);
    if (const auto* q = std::get_if<QRef>(&v))
      result_.intermediates.push_back({g_.value(id).name, (*q)->ints});
    else if (const auto* t = std::get_if<Tensor>(&v))
      result_.intermediates.push_back({g_.value(id).name, *t});
  }

  Tensor output(ValueId id) const {
    const Value& v = env_.at(id);
    const std::string& name = g_.value(id).name;
    if (const auto* q = std::get_if<QRef>(&v)) return (*q)->ints;
    if (const auto* d = std::get_if<Dequantized>(&v))
      return dequantize(d->q->ints, d->q->q, cat("graph output '", name, "'"));
    const auto* t = std::get_if<Tensor>(&v);
    require(t != nullptr, "graph output '", name,
            "' is a quantized op's result that no QuantizeLinear requantizes");
    return *t;
  }

  const ir::Graph& g_;
  const ModelOptions& o_;
  std::vector<Value> env_;
  std::vector<bool> constant_;
  std::map<ValueId, std::pair<ValueId, ValueId>> divisions_;  // folded Div -> its operands
  std::set<ValueId> kept_;       // dequantized values already in result_.intermediates
  std::string ceil_divergence_;  // note_ceil_divergence's explanation, once
  std::map<ValueId, MemoryFormat> float_format_;  // float results of float ops (float_format)
  std::set<ValueId> relabelled_;  // qint8 results the file labels uint8 (pytorch_output_type)
  RunResult result_;
};

}  // namespace

ModelOptions options_for(const HwConfig& hw) {
  ModelOptions o;
  o.requant_mode =
      hw.requant_mode == RequantMode::kFixed ? ir::Stage1Mode::kFixed : ir::Stage1Mode::kFp32;
  return o;
}

RunResult run_model(const ir::Graph& model, const std::map<std::string, Tensor>& inputs,
                    const ModelOptions& options) {
  return Interpreter(model, options).run(inputs);
}

}  // namespace bpusim::golden
