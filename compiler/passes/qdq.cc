#include "compiler/passes/qdq.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "common/error.h"
#include "compiler/passes/graph_edit.h"
#include "compiler/passes/pytorch_params.h"
#include "ir/onnx_import.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

using ir::Graph;
using ir::Node;
using ir::ValueId;
using Attrs = std::map<std::string, ir::AttrValue>;

// ---- reading the pattern ----

// A float value produced by a Dequantize node: the integer tensor and its quantization.
struct Dq {
  ValueId ints = ir::kNoValue;
  DType dtype = DType::kU8;
  std::vector<float> scale;
  std::vector<int32_t> zp;
  int axis = -1;
  bool per_tensor() const { return scale.size() == 1; }
};

std::optional<Dq> dequantized(const Graph& g, ValueId v) {
  const int p = producer_of(g, v);
  if (p < 0 || g.nodes[p].op != ir::op::kDequantize) return std::nullopt;
  const Node& d = g.nodes[p];
  Dq out;
  out.ints = d.inputs.at(0);
  out.dtype = g.value(out.ints).dtype;
  out.scale = d.attr_floats("x_scale", {});
  for (int64_t z : d.attr_ints("x_zero_point", std::vector<int64_t>(out.scale.size(), 0)))
    out.zp.push_back(static_cast<int32_t>(z));
  out.axis = static_cast<int>(d.attr_int(ir::attr::kAxis, -1));
  return out;
}

// The Quantize node that is the only reader of a float result.
struct Qz {
  int node = -1;
  ValueId out = ir::kNoValue;
  DType dtype = DType::kU8;
  float scale = 1.0f;
  int32_t zp = 0;
};

// The pattern's tail: [Relu ->] Quantize after the op's float output.
struct Tail {
  int relu = -1;  // node index of the Relu, or -1
  Qz q;
};

// Context of one node being recognised: the graph, the node, the message prefix.
class Pattern {
 public:
  Pattern(Graph& g, int k, FrontendState& st)
      : g_(g), k_(k), st_(st), what_(where(st.source, g.nodes[k])) {}

  Node& node() { return g_.nodes[k_]; }
  const std::string& what() const { return what_; }
  std::optional<Dq> dq(size_t i) { return dequantized(g_, input_or_none(node(), i)); }

  std::optional<Tail> tail(bool allow_relu) {
    Tail t;
    ValueId v = node().outputs.at(0);
    const int c = sole_consumer(g_, v);
    if (allow_relu && c >= 0 && g_.nodes[c].op == ir::op::kRelu) {
      t.relu = c;
      v = g_.nodes[c].outputs.at(0);
    }
    const int q = sole_consumer(g_, v);
    if (q < 0 || g_.nodes[q].op != ir::op::kQuantize) return std::nullopt;
    const Node& qn = g_.nodes[q];
    const std::vector<float> scale = qn.attr_floats("y_scale", {});
    require(scale.size() == 1, where(st_.source, qn), ": per-channel quantization of ",
            node().describe(), "'s output is not supported (activations are per tensor)");
    t.q = {q, qn.outputs.at(0), ir::get_out_dtype(qn, DType::kU8), scale[0],
           static_cast<int32_t>(qn.attr_ints("y_zero_point", {0}).at(0))};
    return t;
  }

  Tail require_tail(bool allow_relu, const char* expected) {
    std::optional<Tail> t = tail(allow_relu);
    require(t.has_value(), what_, ": the quantized op's result is not requantized: expected ",
            expected, " (each output read by exactly one QuantizeLinear)");
    return *t;
  }

  // Activations are per tensor, uint8 (quint8) or int8 (qint8: XNNPACK's and ATen's recipes,
  // docs/pytorch-recipes.md 2.23).
  void require_activation(const Dq& x, const char* role) const {
    require(x.per_tensor(), what_, ": ", role, " is quantized per channel (axis ", x.axis,
            "); activations must be quantized per tensor");
    require(x.dtype == DType::kU8 || x.dtype == DType::kI8, what_, ": ", role, " is ",
            dtype_name(x.dtype), "; activations are uint8 (quint8) or int8 (qint8)");
  }
  // The activations of one op share their type (PyTorch refuses to mix quint8 and qint8).
  DType require_activations(const std::vector<std::pair<const Dq*, const char*>>& xs) const {
    for (const auto& [x, role] : xs) {
      require_activation(*x, role);
      require(x->dtype == xs.front().first->dtype, what_, ": ", role, " is ", dtype_name(x->dtype),
              " but ", xs.front().second, " is ", dtype_name(xs.front().first->dtype),
              " (the operands of a quantized op have one type)");
    }
    return xs.front().first->dtype;
  }
  // Ops whose qint8 recipe in torch 1.13 is not characterised (docs/pytorch-recipes.md 2.23).
  void require_uint8_input(const Dq& x, const char* role) const {
    require_activation(x, role);
    require(x.dtype == DType::kU8, what_, ": ", role,
            " is int8 (qint8): PyTorch's qint8 recipe of this op is not characterised "
            "(docs/pytorch-recipes.md 2.23), so bpusim supports it for uint8 (quint8) "
            "activations only");
  }

  // A quantized op keeps its inputs' element type in PyTorch. torch 1.13's exporter labels
  // every qint8 op output uint8 with zero point Cast(0, UINT8) (docs/pytorch-recipes.md 4):
  // such an output of int8 activations is taken as int8 with zero point 0, and noted.
  void settle_output(Tail& t, DType in) {
    if (in == DType::kI8 && t.q.dtype == DType::kU8 && t.q.zp == 0) relabel_int8(t);
    require(t.q.dtype == in, what_, ": the output is ", dtype_name(t.q.dtype), " (zero point ",
            t.q.zp, ") but the inputs are ", dtype_name(in),
            in == DType::kI8
                ? "; torch 1.13's exporter labels qint8 outputs uint8, which bpusim undoes for "
                  "zero point 0 (symmetric int8) only"
                : "; a quantized op keeps its inputs' type in PyTorch");
  }
  // The same for an op that keeps its input's quantization (relu, pools, reshapes): the
  // output is relabelled only when the scale is the input's too; else it is a float region's
  // QuantStub, which may be uint8.
  void settle_same_qparams(const Dq& x, Tail& t) {
    if (x.dtype == DType::kI8 && t.q.dtype == DType::kU8 && t.q.zp == 0 && x.per_tensor() &&
        x.zp[0] == 0 && x.scale[0] == t.q.scale)
      relabel_int8(t);
  }
  void relabel_int8(Tail& t) {
    t.q.dtype = DType::kI8;
    g_.value(t.q.out).dtype = DType::kI8;
    g_.nodes[t.q.node].attrs[ir::attr::kOutDType] = std::string("int8");
    st_.int8_relabelled.push_back(node().name);
  }

  const Tensor& constant(ValueId v, const char* role) const {
    const Tensor* t = constant_of(g_, v);
    require(t != nullptr, what_, ": ", role, " '", g_.value(v).name,
            "' must be a constant (initializer or Constant node)");
    return *t;
  }

  // Rewrites the node into `op` writing the tail's Quantize output; drops the tail.
  void become(const char* op, std::vector<ValueId> inputs, Attrs attrs, const Tail& t) {
    Node& n = node();
    n.op = op;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    n.outputs = {t.q.out};
    if (t.relu >= 0) mark_removed(g_.nodes[t.relu]);
    mark_removed(g_.nodes[t.q.node]);
  }

  Graph& g_;
  int k_;
  FrontendState& st_;
  std::string what_;
};

// PyTorch runs relu, clamp, max pool, flatten and reshape with their input's (scale, zero
// point); a QuantizeLinear with other parameters after them is a float region's QuantStub.
bool same_qparams(const Dq& x, const Qz& q) {
  return x.per_tensor() && x.scale[0] == q.scale && x.zp[0] == q.zp && x.dtype == q.dtype;
}

// ---- shared pieces of conv and linear ----

// Per-channel float32 weight scales (`channels` of them) of a weight DQ whose channel axis
// is `axis`; per-tensor scales are broadcast.
std::vector<float> weight_scales(const Pattern& p, const Dq& w, int64_t channels, int axis) {
  require(w.per_tensor() || (static_cast<int64_t>(w.scale.size()) == channels && w.axis == axis),
          p.what(), ": weight scale has ", w.scale.size(), " values along axis ", w.axis,
          "; expected 1 or ", channels, " along axis ", axis, " (the output channels)");
  return w.per_tensor() ? std::vector<float>(channels, w.scale[0]) : w.scale;
}

// The single weight zero point (canonical ops hold one per tensor).
int32_t weight_zero_point(const Pattern& p, const Dq& w) {
  for (size_t i = 1; i < w.zp.size(); ++i)
    require(w.zp[i] == w.zp[0], p.what(), ": weight zero point ", w.zp[i], " of channel ", i,
            " differs from ", w.zp[0], " (one weight zero point per tensor is supported)");
  return w.zp.at(0);
}

// int32 bias per channel: a DQ of int32 integers whose scale is w_scale * x_scale (the
// exporter's bias chain), a float constant (quantized like PyTorch), or absent (zeros).
std::vector<int32_t> bias_values(Pattern& p, ValueId b, float x_scale,
                                 const std::vector<float>& w_scale) {
  const size_t channels = w_scale.size();
  std::vector<int32_t> out(channels, 0);
  if (b == ir::kNoValue) return out;
  auto check_shape = [&](const Tensor& t) {
    const bool row = t.rank() == 2 && t.dim(0) == 1;  // Gemm's C may be [1, N]
    require((t.rank() == 1 || row) && t.numel() == static_cast<int64_t>(channels), p.what(),
            ": bias has shape ", shape_str(t.shape()), ", expected [", channels, "]");
  };
  if (std::optional<Dq> bd = dequantized(p.g_, b)) {
    const Tensor& ints = p.constant(bd->ints, "bias");
    require(ints.dtype() == DType::kI32, p.what(), ": bias integers are ", dtype_name(ints.dtype()),
            ", expected int32");
    check_shape(ints);
    require(bd->per_tensor() || bd->scale.size() == channels, p.what(), ": bias scale has ",
            bd->scale.size(), " values for ", channels, " channels");
    for (size_t c = 0; c < channels; ++c) {
      const float want = w_scale[c] * x_scale;
      const float got = bd->per_tensor() ? bd->scale[0] : bd->scale[c];
      require(got == want, p.what(), ": bias scale ", got, " of channel ", c,
              " is not weight_scale * input_scale = ", w_scale[c], " * ", x_scale, " = ", want);
      out[c] = ints.values<int32_t>()[c];
    }
    return out;
  }
  const Tensor& f = p.constant(b, "bias");
  require(f.dtype() == DType::kF32, p.what(), ": bias is ", dtype_name(f.dtype()),
          "; expected a DequantizeLinear output or a float32 constant");
  check_shape(f);
  for (size_t c = 0; c < channels; ++c)
    out[c] = quantize_bias(f.values<float>()[c], w_scale[c] * x_scale);
  return out;
}

// Stage 1 of a conv/linear with PyTorch's scale order: QNNPACK's (2.3) for uint8, XNNPACK's
// (2.23, which refuses scales >= 256) for int8; clamp [y_zp, max] after a Relu.
ir::Requant requant(const Pattern& p, float x_scale, const std::vector<float>& w_scale,
                    const std::vector<int32_t>& bias, const Tail& t) {
  const bool xnnpack = t.q.dtype == DType::kI8;
  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kFp32;
  rq.out_dtype = t.q.dtype;
  for (size_t c = 0; c < w_scale.size(); ++c) {
    ir::RequantChannel ch;
    ch.bias = bias[c];
    ch.scale = xnnpack ? xnnpack_requant_scale(x_scale, w_scale[c], t.q.scale)
                       : requant_scale(x_scale, w_scale[c], t.q.scale);
    require(std::isfinite(ch.scale) && ch.scale > 0.0f && (!xnnpack || ch.scale < 256.0f), p.what(),
            ": requantization scale of channel ", c, " from weight scale ", w_scale[c],
            ", input scale ", x_scale, " and output scale ", t.q.scale, " is ", ch.scale,
            xnnpack ? "; XNNPACK (int8) needs a finite scale in (0, 256)"
                    : ", not a finite positive float32");
    ch.zp = t.q.zp;
    ch.min = t.relu >= 0 ? t.q.zp : static_cast<int32_t>(ir::dtype_min(t.q.dtype));
    ch.max = static_cast<int32_t>(ir::dtype_max(t.q.dtype));
    rq.channels.push_back(ch);
  }
  return rq;
}

void put_requant(Attrs& attrs, const ir::Requant& rq) {
  Node tmp;
  ir::set_requant(tmp, rq);
  attrs.insert(tmp.attrs.begin(), tmp.attrs.end());
}

// auto_pad NOTSET (explicit pads) or VALID (none); SAME_* would need the input size.
void copy_geometry(const Pattern& p, const Node& n, Attrs& attrs,
                   std::initializer_list<const char*> keys) {
  const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
  require(auto_pad == "NOTSET" || auto_pad == "VALID", p.what(),
          ": unsupported attribute value auto_pad=", auto_pad, " (NOTSET or VALID only)");
  for (const char* key : keys)
    if (n.has_attr(key)) attrs[key] = n.attrs.at(key);
  if (auto_pad == "VALID") attrs["pads"] = std::vector<int64_t>{0, 0, 0, 0};
}

Tensor transpose_2d(const Tensor& w) {
  Tensor t(w.dtype(), {w.dim(1), w.dim(0)});
  const size_t size = dtype_size(w.dtype());
  for (int64_t i = 0; i < w.dim(0); ++i)
    for (int64_t j = 0; j < w.dim(1); ++j)
      std::copy_n(w.bytes().data() + (i * w.dim(1) + j) * size, size,
                  t.bytes().data() + (j * w.dim(0) + i) * size);
  return t;
}

// ---- the patterns ----

void conv(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> w = p.dq(1);
  if (!w) return;  // a float conv (float region)
  const std::optional<Dq> x = p.dq(0);
  require(x.has_value(), p.what(),
          ": the weights are dequantized but input 'X' is not a DequantizeLinear output "
          "(a quantized conv needs a quantized input)");
  const DType in = p.require_activations({{&*x, "input 'X'"}});
  const Tensor& wt = p.constant(w->ints, "weight");
  require(wt.rank() == 4, p.what(), ": weight has shape ", shape_str(wt.shape()),
          "; only 2-D convolution (weight rank 4, [M, C / group, kh, kw]) is supported");
  require(wt.dtype() == DType::kI8 || wt.dtype() == DType::kU8, p.what(), ": weight is ",
          dtype_name(wt.dtype()), ", expected int8");
  if (n.has_attr("kernel_shape"))
    require(n.attr_ints("kernel_shape", {}) == std::vector<int64_t>{wt.dim(2), wt.dim(3)}, p.what(),
            ": attribute 'kernel_shape' ", shape_str(n.attr_ints("kernel_shape", {})),
            " does not match the weight shape ", shape_str(wt.shape()));
  Tail t = p.require_tail(true, "Conv -> [Relu] -> QuantizeLinear");
  p.settle_output(t, in);
  const std::vector<float> ws = weight_scales(p, *w, wt.dim(0), 0);
  require(in == DType::kU8 || weight_zero_point(p, *w) == 0, p.what(), ": weight zero point ",
          weight_zero_point(p, *w), " with int8 activations: PyTorch's XNNPACK kernels need 0");
  std::vector<int32_t> bias = bias_values(p, input_or_none(n, 2), x->scale[0], ws);
  Attrs attrs;
  copy_geometry(p, n, attrs, {"strides", "pads", "dilations", "group"});
  // QNNPACK runs a 1x1 conv with stride 1 and no padding as a gemm (2.3's bias note).
  const bool no_pads = n.attr_string("auto_pad", "NOTSET") == "VALID" ||
                       n.attr_ints("pads", {0, 0, 0, 0}) == std::vector<int64_t>{0, 0, 0, 0};
  const bool qnnpack_gemm = wt.dim(2) == 1 && wt.dim(3) == 1 && no_pads &&
                            n.attr_ints("strides", {1, 1}) == std::vector<int64_t>{1, 1};
  if (in == DType::kU8 && !qnnpack_gemm)
    std::transform(bias.begin(), bias.end(), bias.begin(), qnnpack_conv_bias);
  attrs["x_zero_point"] = int64_t{x->zp[0]};
  attrs["w_zero_point"] = int64_t{weight_zero_point(p, *w)};
  put_requant(attrs, requant(p, x->scale[0], ws, bias, t));
  p.become(ir::op::kQConv, {x->ints, w->ints}, std::move(attrs), t);
}

// Gemm (alpha = beta = 1, transA = 0, any transB) and MatMul with dequantized weights.
void linear(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> w = p.dq(1);
  if (!w) return;
  const std::optional<Dq> x = p.dq(0);
  require(x.has_value(), p.what(),
          ": the weights are dequantized but input 'A' is not a DequantizeLinear output "
          "(a quantized linear layer needs a quantized input)");
  const DType in = p.require_activations({{&*x, "input 'A'"}});
  const bool gemm = n.op == "Gemm";
  require(!gemm || (n.attr_float("alpha", 1.0f) == 1.0f && n.attr_float("beta", 1.0f) == 1.0f &&
                    n.attr_int("transA", 0) == 0),
          p.what(), ": a quantized Gemm needs alpha = 1, beta = 1 and transA = 0 (a linear layer)");
  const bool trans_b = gemm && n.attr_int("transB", 0) != 0;
  const Tensor& wt = p.constant(w->ints, "weight");
  require(wt.rank() == 2, p.what(), ": weight has shape ", shape_str(wt.shape()),
          ", expected a 2-D matrix");
  require(wt.dtype() == DType::kI8 || wt.dtype() == DType::kU8, p.what(), ": weight is ",
          dtype_name(wt.dtype()), ", expected int8");
  Tail t = p.require_tail(true, "Gemm -> [Relu] -> QuantizeLinear");
  p.settle_output(t, in);
  const int64_t channels = trans_b ? wt.dim(0) : wt.dim(1);
  const std::vector<float> ws = weight_scales(p, *w, channels, trans_b ? 0 : 1);
  require(in == DType::kU8 || (w->per_tensor() && weight_zero_point(p, *w) == 0), p.what(),
          ": a linear layer with int8 activations needs per-tensor weights with zero point 0 "
          "(PyTorch's XNNPACK linear refuses per-channel qint8 weights)");
  const std::vector<int32_t> bias =
      bias_values(p, gemm ? input_or_none(n, 2) : ir::kNoValue, x->scale[0], ws);
  const ValueId b =
      trans_b ? add_constant(p.g_, n.name + "::weight_KxN", transpose_2d(wt)) : w->ints;
  Attrs attrs;
  attrs["a_zero_point"] = int64_t{x->zp[0]};
  attrs["b_zero_point"] = int64_t{weight_zero_point(p, *w)};
  put_requant(attrs, requant(p, x->scale[0], ws, bias, t));
  p.become(ir::op::kQMatMul, {x->ints, b}, std::move(attrs), t);
}

void add(Pattern& p) {
  const std::optional<Dq> a = p.dq(0), b = p.dq(1);
  std::optional<Tail> tail = p.tail(true);
  if (!a || !b || !tail) return;  // a float add (float region)
  Tail& t = *tail;
  const DType in = p.require_activations({{&*a, "the first operand"}, {&*b, "the second operand"}});
  p.settle_output(t, in);
  const auto params = in == DType::kI8 ? xnnpack_add_params : add_params;
  Node tmp;
  ir::set_add_params(tmp, params(a->scale[0], a->zp[0], b->scale[0], b->zp[0], t.q.scale, t.q.zp,
                                 t.relu >= 0, p.what()));
  Attrs attrs = tmp.attrs;
  attrs[ir::attr::kOutDType] = std::string(dtype_name(in));
  p.st_.add_quant[p.node().name] = {a->scale[0], b->scale[0], t.q.scale,  a->zp[0],
                                    b->zp[0],    t.q.zp,      t.relu >= 0};
  p.become(ir::op::kQAdd, {a->ints, b->ints}, std::move(attrs), t);
}

// Mul(DQ a, DQ b) -> Q: ATen's quantized mul (2.19), numpy broadcasting (a per-channel gate).
void mul(Pattern& p) {
  const std::optional<Dq> a = p.dq(0), b = p.dq(1);
  std::optional<Tail> tail = p.tail(false);
  if (!a || !b || !tail) return;  // a float multiply (float region)
  Tail& t = *tail;
  const DType in = p.require_activations({{&*a, "the first operand"}, {&*b, "the second operand"}});
  p.settle_output(t, in);
  ir::Requant rq;
  rq.out_dtype = t.q.dtype;
  ir::RequantChannel ch;
  ch.scale = in == DType::kI8 ? xnnpack_mul_scale(a->scale[0], b->scale[0], t.q.scale)
                              : mul_scale(a->scale[0], b->scale[0], t.q.scale);
  require(std::isfinite(ch.scale) && ch.scale > 0.0f, p.what(), ": requantization scale from ",
          a->scale[0], " * ", b->scale[0], " and output scale ", t.q.scale, " is ", ch.scale,
          ", not a finite positive float32");
  ch.zp = t.q.zp;
  ch.min = static_cast<int32_t>(ir::dtype_min(in));
  ch.max = static_cast<int32_t>(ir::dtype_max(in));
  rq.channels.push_back(ch);
  Attrs attrs{{"a_zero_point", int64_t{a->zp[0]}}, {"b_zero_point", int64_t{b->zp[0]}}};
  put_requant(attrs, rq);
  p.become(ir::op::kQMul, {a->ints, b->ints}, std::move(attrs), t);
}

// Resize(DQ x, scales [1, 1, sh, sw] or sizes [N, C, oh, ow]) -> Q with x's qparams, as
// torch.onnx exports nn.Upsample / F.interpolate (2.21): nearest (asymmetric, floor) is a
// gather, bilinear (linear; half_pixel, or align_corners) blends four taps.
void resize(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (!x || !tail) return;
  p.settle_same_qparams(*x, *tail);
  const std::string mode = n.attr_string("mode", "nearest");
  const std::string coords = n.attr_string("coordinate_transformation_mode", "half_pixel");
  const bool nearest = mode == "nearest" && coords == "asymmetric" &&
                       n.attr_string("nearest_mode", "round_prefer_floor") == "floor";
  const bool bilinear =
      mode == "linear" &&
      (coords == "half_pixel" || coords == "pytorch_half_pixel" || coords == "align_corners");
  require(nearest || bilinear, p.what(),
          ": only PyTorch's nearest (mode nearest, asymmetric, floor) and bilinear (mode linear, "
          "half_pixel or align_corners) upsampling are supported, not mode ",
          mode, " with coordinate_transformation_mode ", coords);
  const ValueId scales = input_or_none(n, 2), sizes = input_or_none(n, 3);
  require((scales != ir::kNoValue) != (sizes != ir::kNoValue), p.what(),
          ": a Resize needs exactly one of scales and sizes");
  Attrs attrs;
  const ir::Value& in = p.g_.value(n.inputs.at(0));
  if (sizes != ir::kNoValue) {
    const Tensor& t = p.constant(sizes, "sizes");
    const bool batch_and_channels_kept =
        !in.shape_known || (in.shape.size() == 4 && t.numel() == 4 && t.as_int(0) == in.shape[0] &&
                            t.as_int(1) == in.shape[1]);
    require(t.dtype() == DType::kI64 && t.numel() == 4 && batch_and_channels_kept &&
                t.as_int(2) > 0 && t.as_int(3) > 0,
            p.what(), ": sizes must be int64 [N, C, oh, ow] keeping N and C of the input",
            in.shape_known ? " " + shape_str(in.shape) : std::string());
    attrs["sizes"] = std::vector<int64_t>{t.as_int(2), t.as_int(3)};
  } else {
    const Tensor& s = p.constant(scales, "scales");
    require(s.dtype() == DType::kF32 && s.numel() == 4 && s.values<float>()[0] == 1.0f &&
                s.values<float>()[1] == 1.0f && s.values<float>()[2] > 0.0f &&
                s.values<float>()[3] > 0.0f,
            p.what(), ": scales must be float32 [1, 1, sh, sw] with sh, sw > 0");
    attrs["scales"] = std::vector<float>{s.values<float>()[2], s.values<float>()[3]};
  }
  require(same_qparams(*x, tail->q), p.what(),
          ": an upsample keeps its input's quantization in PyTorch; this one requantizes");
  if (bilinear) {
    p.require_uint8_input(*x, "input 'X' of a bilinear upsample");
    attrs["align_corners"] = int64_t{coords == "align_corners" ? 1 : 0};
    attrs["x_zero_point"] = int64_t{x->zp[0]};
  }
  p.become(nearest ? ir::op::kQUpsampleNearest : ir::op::kQUpsampleBilinear, {x->ints},
           std::move(attrs), *tail);
}

void concat(Pattern& p) {
  Node& n = p.node();
  std::vector<Dq> parts;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (std::optional<Dq> d = p.dq(i)) parts.push_back(*d);
  std::optional<Tail> tail = p.tail(false);
  if (parts.size() != n.inputs.size() || !tail) return;  // a float concat (float region)
  Tail& t = *tail;
  std::vector<std::pair<const Dq*, const char*>> operands;
  for (const Dq& d : parts) operands.push_back({&d, "an input"});
  const DType in = p.require_activations(operands);
  p.settle_output(t, in);
  std::vector<ValueId> ints;
  std::vector<float> scales;
  std::vector<int64_t> zps;
  for (const Dq& d : parts) {
    ints.push_back(d.ints);
    scales.push_back(d.scale[0]);
    zps.push_back(d.zp[0]);
  }
  Attrs attrs{{ir::attr::kAxis, n.attr_int(ir::attr::kAxis)},
              {"x_scales", scales},
              {"x_zero_points", zps},
              {"y_scale", t.q.scale},
              {"y_zero_point", int64_t{t.q.zp}},
              {ir::attr::kOutDType, std::string(dtype_name(in))},
              {"recipe", std::string("qnnpack")}};  // channels-last path: frontend_layout
  p.become(ir::op::kQConcat, std::move(ints), std::move(attrs), t);
}

void max_pool(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (x && tail) p.settle_same_qparams(*x, *tail);
  if (!x || !tail || !same_qparams(*x, tail->q)) return;  // a float max pool (float region)
  const Tail& t = *tail;
  require(n.outputs.size() == 1, p.what(), ": the Indices output is not supported");
  p.require_activation(*x, "input 'X'");
  require(n.attr_int("storage_order", 0) == 0, p.what(),
          ": unsupported attribute value storage_order=1");
  Attrs attrs;
  copy_geometry(p, n, attrs, {"kernel_shape", "strides", "pads", "dilations", "ceil_mode"});
  p.become(ir::op::kQMaxPool, {x->ints}, std::move(attrs), t);
}

Attrs avg_pool_attrs(const Dq& x, const Tail& t) {
  return {{"x_scale", x.scale[0]},
          {"x_zero_point", int64_t{x.zp[0]}},
          {"y_scale", t.q.scale},
          {"y_zero_point", int64_t{t.q.zp}},
          {ir::attr::kOutDType, std::string(dtype_name(t.q.dtype))},
          {"recipe", std::string("qnnpack")}};
}

// PyTorch pools qint8 with ATen's native kernels (2.22, 2.23), which keep the input's
// quantization; bpusim runs them for zero point 0 (symmetric int8), where the NCHW and NHWC
// formulas need no zero point.
void require_int8_pool(const Pattern& p, const Dq& x, const Tail& t) {
  require(same_qparams(x, t.q) && x.zp[0] == 0, p.what(),
          ": an int8 average pool must keep its input's quantization with zero point 0 (PyTorch "
          "pools qint8 with ATen's kernels; bpusim supports symmetric int8 there), got input (",
          x.scale[0], ", ", x.zp[0], ") and output (", t.q.scale, ", ", t.q.zp, ")");
}

// A zero Pad in front of an AveragePool (the export of count_include_pad=True): its spatial
// pads, [top, left, bottom, right].
std::vector<int64_t> zero_pad(Pattern& p, const Node& pad) {
  const std::string where_pad = where(p.st_.source, pad);
  require(pad.attr_string("mode", "constant") == "constant", where_pad,
          ": only constant padding is supported");
  const Tensor& pads = p.constant(input_or_none(pad, 1), "pads");
  require(pads.dtype() == DType::kI64 && pads.numel() == 8, where_pad,
          ": pads must be 8 int64 values for a 4-D tensor, got ", dtype_name(pads.dtype()), " ",
          shape_str(pads.shape()));
  std::vector<int64_t> v(8);
  for (int i = 0; i < 8; ++i) v[i] = pads.as_int(i);
  require(v[0] == 0 && v[1] == 0 && v[4] == 0 && v[5] == 0 &&
              std::all_of(v.begin(), v.end(), [](int64_t e) { return e >= 0; }),
          where_pad, ": pads ", shape_str(v),
          " must be non-negative and pad only H and W before an average pool");
  if (const Tensor* value = constant_of(p.g_, input_or_none(pad, 2)))
    require(value->numel() == 1 && value->as_double(0) == 0.0, where_pad,
            ": the pad value must be 0 (the zero point) before an average pool");
  return {v[2], v[3], v[6], v[7]};
}

void avg_pool(Pattern& p) {
  Node& n = p.node();
  ValueId in = n.inputs.at(0);
  int pad = producer_of(p.g_, in);
  if (pad >= 0 && (p.g_.nodes[pad].op != "Pad" || sole_consumer(p.g_, in) != p.k_)) pad = -1;
  if (pad >= 0) in = p.g_.nodes[pad].inputs.at(0);
  const std::optional<Dq> x = dequantized(p.g_, in);
  std::optional<Tail> tail = p.tail(false);
  if (!x || !tail) return;  // a float average pool (float region)
  Tail& t = *tail;
  const DType dtype = p.require_activations({{&*x, "input 'X'"}});
  p.settle_output(t, dtype);
  if (dtype == DType::kI8) require_int8_pool(p, *x, t);
  Attrs attrs = avg_pool_attrs(*x, t);
  copy_geometry(p, n, attrs, {"kernel_shape", "strides", "pads"});
  if (n.attr_int("ceil_mode", 0) != 0 || dtype == DType::kI8) {
    // ATen's native kernel (2.22; every qint8 pool, 2.23): the divisor counts the Pad of
    // count_include_pad=True; the recipe's memory format is settled by apply_pytorch_layouts.
    require(same_qparams(*x, t.q), p.what(),
            ": a ceil_mode average pool keeps its input's quantization in PyTorch; this one "
            "requantizes");
    attrs["ceil_mode"] = int64_t{n.attr_int("ceil_mode", 0) != 0};
    attrs["count_include_pad"] = int64_t{pad >= 0 || n.attr_int("count_include_pad", 0) != 0};
    attrs["recipe"] = std::string("aten");
  }
  if (pad >= 0) {
    std::vector<int64_t> pads = std::get<std::vector<int64_t>>(
        attrs.try_emplace("pads", std::vector<int64_t>{0, 0, 0, 0}).first->second);
    require(pads.size() == 4, p.what(), ": attribute 'pads' must have 4 entries");
    const std::vector<int64_t> extra = zero_pad(p, p.g_.nodes[pad]);
    for (int i = 0; i < 4; ++i) pads[i] += extra[i];
    attrs["pads"] = pads;
    mark_removed(p.g_.nodes[pad]);
  }
  p.become(ir::op::kQAvgPool, {x->ints}, std::move(attrs), t);
}

void global_avg_pool(Pattern& p) {
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (!x || !tail) return;  // a float global average pool (float region)
  Tail& t = *tail;
  const DType dtype = p.require_activations({{&*x, "input 'X'"}});
  p.settle_output(t, dtype);
  Attrs attrs = avg_pool_attrs(*x, t);
  if (dtype == DType::kI8) {
    // adaptive_avg_pool2d's native kernels; the memory format is settled by
    // apply_pytorch_layouts.
    require_int8_pool(p, *x, t);
    attrs["recipe"] = std::string("aten_adaptive");
  }
  p.become(ir::op::kQGlobalAvgPool, {x->ints}, std::move(attrs), t);
}

// ReduceMean(DQ x, axes [2, 3]) -> Q with x's qparams: torch's quantized x.mean((2, 3)) equals
// its global average pool bit for bit (probed: quint8, both memory formats, any size), so it
// becomes QGlobalAvgPool; keepdims=0 adds a Reshape to [N, C].
void reduce_mean(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (!x || !tail) return;  // a float mean (float region)
  Tail& t = *tail;
  p.require_uint8_input(*x, "input 'data' of a mean");
  p.settle_output(t, DType::kU8);
  std::vector<int64_t> axes = n.attr_ints("axes", {});
  for (int64_t& a : axes)
    if (a < 0) a += 4;
  std::sort(axes.begin(), axes.end());
  require(axes == std::vector<int64_t>{2, 3} && input_or_none(n, 1) == ir::kNoValue, p.what(),
          ": only the mean over H and W (axes [2, 3], a global average pool) of a quantized "
          "tensor is supported, got axes ",
          shape_str(n.attr_ints("axes", {})));
  require(same_qparams(*x, t.q), p.what(),
          ": a quantized mean keeps its input's quantization in PyTorch; this one requantizes");
  const bool keep = n.attr_int("keepdims", 1) != 0;
  p.become(ir::op::kQGlobalAvgPool, {x->ints}, avg_pool_attrs(*x, t), t);
  if (keep) return;
  ir::Value pooled;
  pooled.name = p.g_.value(t.q.out).name + "_pooled";
  pooled.dtype = t.q.dtype;
  const ValueId v = p.g_.add_value(std::move(pooled));
  const ValueId shape =
      add_constant(p.g_, p.g_.value(v).name + "_shape", Tensor::from<int64_t>({2}, {0, -1}));
  Node reshape;
  reshape.op = ir::op::kReshape;
  reshape.name = p.node().name + "/flatten";
  reshape.inputs = {v, shape};
  reshape.outputs = {t.q.out};
  p.node().outputs = {v};
  // Right after the pool: the graph stays in topological order (prune relies on it).
  p.g_.nodes.insert(p.g_.nodes.begin() + p.k_ + 1, std::move(reshape));
}

// ---- table-driven activations (VLUT) ----

LutQuant lut_quant(const Dq& x) {
  return {x.scale.at(0), x.zp.at(0), x.dtype};
}
LutQuant lut_quant(const Qz& q) {
  return {q.scale, q.zp, q.dtype};
}

// The node becomes a QLut of the integers of `x` with `table`, writing the tail's output.
void become_lut(Pattern& p, const Dq& x, const Tail& t, const std::vector<int64_t>& table) {
  p.become(ir::op::kQLut, {x.ints},
           {{"table", table}, {ir::attr::kOutDType, std::string(dtype_name(t.q.dtype))}}, t);
}

// The table function of an ONNX unary op as torch.onnx exports PyTorch's table ops (2.14).
std::optional<LutFunction> lut_function(const Node& n) {
  if (n.op == "Sigmoid") return LutFunction::kSigmoid;
  if (n.op == "Tanh") return LutFunction::kTanh;
  if (n.op == "HardSigmoid" && n.attr_float("alpha", 0.2f) == 1.0f / 6.0f &&
      n.attr_float("beta", 0.5f) == 0.5f)
    return LutFunction::kHardSigmoid;
  return std::nullopt;
}

// Sigmoid / Tanh / HardSigmoid of a dequantized tensor requantized to PyTorch's fixed
// qparams: QNNPACK's table (2.14). With other output qparams it is a float region (host).
void unary_lut(Pattern& p) {
  const std::optional<LutFunction> f = lut_function(p.node());
  const std::optional<Dq> x = p.dq(0);
  const std::optional<Tail> tail = p.tail(false);
  if (!f || !x || !tail || !x->per_tensor()) return;
  const LutQuant want = *fixed_lut_output(*f);
  if (tail->q.scale != want.scale || tail->q.zp != want.zp || tail->q.dtype != want.type) return;
  p.require_uint8_input(*x, "input 'X'");
  become_lut(p, *x, *tail, pytorch_lut(*f, lut_quant(*x), lut_quant(tail->q)));
}

// LeakyRelu(DQ x) -> Q: ATen's leaky_relu (2.16), two tables chosen by memory position; the
// memory order is PyTorch's (set by apply_pytorch_layouts).
void leaky_relu(Pattern& p) {
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (!x || !tail || !x->per_tensor()) return;
  p.require_uint8_input(*x, "input 'X'");
  p.settle_output(*tail, DType::kU8);
  const LutPair t =
      leaky_relu_tables(lut_quant(*x), p.node().attr_float("alpha", 0.01f), lut_quant(tail->q));
  p.become(ir::op::kQLut, {x->ints},
           {{"table", t.vector_body},
            {"tail_table", t.scalar_tail},
            {ir::attr::kOutDType, std::string("uint8")}},
           *tail);
}

// HardSigmoid(DQ(x)) -> Mul(DQ(x), that) -> Q: nnq.Hardswish, QNNPACK's table (2.15).
bool hardswish(Pattern& p) {
  Node& n = p.node();
  for (size_t k : {0u, 1u}) {
    const int h = producer_of(p.g_, n.inputs.at(k));
    if (h < 0 || lut_function(p.g_.nodes[h]) != LutFunction::kHardSigmoid ||
        sole_consumer(p.g_, n.inputs[k]) != p.k_)
      continue;
    const std::optional<Dq> x = p.dq(1 - k);
    const std::optional<Dq> hx = dequantized(p.g_, p.g_.nodes[h].inputs.at(0));
    if (!x || !hx || x->ints != hx->ints || x->scale != hx->scale || x->zp != hx->zp ||
        !x->per_tensor())
      continue;
    const std::optional<Tail> tail = p.tail(false);
    if (!tail) return false;
    p.require_uint8_input(*x, "input 'X'");
    become_lut(p, *x, *tail,
               pytorch_lut(LutFunction::kHardSwish, lut_quant(*x), lut_quant(tail->q)));
    mark_removed(p.g_.nodes[h]);
    return true;
  }
  return false;
}

// Relu and Clip of a dequantized tensor: an integer clamp with the input's qparams (2.9);
// with other output qparams (a float region's ReLU / ReLU6 / hardtanh, 2.18) the table of
// quantize(clamp(dequantize(x))).
void clamp(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (!x || !tail || !x->per_tensor()) return;  // float (float region)
  p.settle_same_qparams(*x, *tail);
  const Tail& t = *tail;
  p.require_activation(*x, "input 'X'");
  // The float bounds: Relu's [0, inf), Clip's inputs (opset >= 11) or attributes.
  auto bound = [&](size_t i, const char* attr, float fallback) {
    if (n.op != "Clip") return fallback;
    if (const Tensor* c = constant_of(p.g_, input_or_none(n, i))) {
      require(c->dtype() == DType::kF32 && c->numel() == 1, p.what(), ": ", attr,
              " must be one float32 value");
      return c->values<float>()[0];
    }
    require(input_or_none(n, i) == ir::kNoValue, p.what(), ": ", attr, " must be a constant");
    return n.attr_float(attr, fallback);
  };
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float lo_f = bound(1, "min", n.op == "Clip" ? -kInf : 0.0f);
  const float hi_f = bound(2, "max", kInf);
  if (!same_qparams(*x, t.q)) {
    return become_lut(p, *x, t,
                      pytorch_lut(LutFunction::kClamp, lut_quant(*x), lut_quant(t.q), lo_f, hi_f));
  }
  // Integer bounds: hardtanh quantizes them with quantize_val (2.9); ReLU's low bound is zx.
  auto quantized = [&](float v, int64_t fallback) -> int64_t {
    return std::isfinite(v) ? quantize_like_pytorch(v, x->scale[0], x->zp[0], x->dtype) : fallback;
  };
  const int64_t lo = n.op == "Clip" ? quantized(lo_f, ir::dtype_min(x->dtype)) : x->zp[0];
  const int64_t hi = quantized(hi_f, ir::dtype_max(x->dtype));
  require(lo <= hi, p.what(), ": quantized min ", lo, " exceeds quantized max ", hi);
  if (n.op == "Clip") p.st_.clip_clamps.insert(n.name);
  p.become(ir::op::kQClamp, {x->ints}, {{ir::attr::kMin, lo}, {ir::attr::kMax, hi}}, t);
}

// Flatten / Reshape of a dequantized tensor: the same op on the integers.
void reshape(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> x = p.dq(0);
  std::optional<Tail> tail = p.tail(false);
  if (x && tail) p.settle_same_qparams(*x, *tail);
  if (!x || !tail || !same_qparams(*x, tail->q)) return;  // float (float region)
  const Tail& t = *tail;
  std::vector<ValueId> inputs = n.inputs;
  inputs[0] = x->ints;
  p.become(n.op == "Flatten" ? ir::op::kFlatten : ir::op::kReshape, std::move(inputs), n.attrs, t);
}

// ArgMax of a dequantized tensor: dequantization is increasing, so the argmax of the integers.
void argmax(Pattern& p) {
  Node& n = p.node();
  const std::optional<Dq> x = p.dq(0);
  if (!x || !x->per_tensor()) return;  // per-channel scales reorder values: keep it float
  n.inputs[0] = x->ints;
}

// Patterns that look like a PyTorch quantized op whose recipe is not implemented.
void refuse_uncovered(Pattern& p) {
  Node& n = p.node();
  if (n.op == "BatchNormalization" && p.dq(0))
    fail(p.what(),
         ": quantized batch norm is not supported; fuse conv + bn before "
         "prepare_qat (torch.ao.quantization.fuse_modules, docs/guide.md section 2)");
}

using Recognizer = void (*)(Pattern&);

const std::map<std::string, Recognizer>& recognizers() {
  static const std::map<std::string, Recognizer> table{
      {"Conv", conv},
      {"Gemm", linear},
      {"MatMul", linear},
      {"Add", add},
      {"Concat", concat},
      {"Resize", resize},
      {"MaxPool", max_pool},
      {"AveragePool", avg_pool},
      {"GlobalAveragePool", global_avg_pool},
      {"ReduceMean", reduce_mean},
      {"Relu", clamp},
      {"Clip", clamp},
      {"Flatten", reshape},
      {"Reshape", reshape},
      {"ArgMax", argmax},
      {"Mul",
       [](Pattern& p) {
         if (!hardswish(p)) mul(p);
       }},
      {"Sigmoid", unary_lut},
      {"Tanh", unary_lut},
      {"HardSigmoid", unary_lut},
      {"BatchNormalization", refuse_uncovered},
      {"LeakyRelu", leaky_relu},
  };
  return table;
}

// Element type of a run-time value when the front end knows it: canonical integer ops,
// graph inputs and constants carry it; everything else at this stage is a float op.
DType known_dtype(const Graph& g, ValueId v) {
  const int p = producer_of(g, v);
  if (p < 0) return g.value(v).dtype;
  const ir::OpDef* def = ir::find_op(g.nodes[p].op);
  if (def && def->group != ir::OpGroup::kFloat && g.nodes[p].op != ir::op::kDequantize)
    return g.value(v).dtype;
  return DType::kF32;
}

// Channel axis and count of an int32 pass-through node's output (QConv: axis 1 of 4;
// QMatMul: the last axis).
int64_t output_channels(const Graph& g, const Node& n) {
  const Tensor* w = constant_of(g, n.inputs.at(1));
  require(w != nullptr, n.describe(), ": the weight must be a constant");
  return n.op == ir::op::kQConv ? w->dim(0) : w->dim(w->rank() - 1);
}

}  // namespace

void fold_int32_bias(Graph& g, const FrontendState& st) {
  for (Node& n : g.nodes) {
    if ((n.op != ir::op::kQConv && n.op != ir::op::kQMatMul) ||
        n.attr_string(ir::attr::kMode, "") != "int32")
      continue;
    const int c = sole_consumer(g, n.outputs.at(0));
    if (c < 0 || g.nodes[c].op != "Add") continue;
    Node& a = g.nodes[c];
    const std::string what = where(st.source, a);
    const ValueId other = a.inputs.at(0) == n.outputs[0] ? a.inputs.at(1) : a.inputs.at(0);
    const Tensor* b = constant_of(g, other);
    require(b != nullptr && b->dtype() == DType::kI32, what, ": an Add after the int32 output of ",
            n.describe(), " must add a constant int32 bias");
    // The bias must vary along the channel axis only: right-aligned, the channel dim sits
    // 3 from the end for QConv ([N, M, H, W]) and last for QMatMul.
    const int64_t channels = output_channels(g, n);
    const size_t channel_from_end = n.op == ir::op::kQConv ? 3 : 1;
    bool per_channel = b->rank() <= (n.op == ir::op::kQConv ? 4u : 2u);
    for (size_t j = 1; j <= b->rank(); ++j) {
      const int64_t d = b->dim(b->rank() - j);
      per_channel = per_channel && (d == 1 || (j == channel_from_end && d == channels));
    }
    require(per_channel, what, ": the int32 bias of shape ", shape_str(b->shape()),
            " is not one value per output channel of ", n.describe(), " (", channels, ")");
    ir::Requant rq = ir::get_requant(n, channels, false);
    for (int64_t ch = 0; ch < channels; ++ch)
      rq.channels[ch].bias =
          wrap32(int64_t{rq.channels[ch].bias} + b->values<int32_t>()[b->numel() == 1 ? 0 : ch]);
    ir::set_requant(n, rq);
    ir::Value& out = g.value(a.outputs.at(0));
    out.dtype = DType::kI32;
    n.outputs = a.outputs;
    mark_removed(a);
  }
  erase_removed(g);
}

void remove_identity_casts(Graph& g, const FrontendState& st) {
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& n = g.nodes[k];
    if (n.op == "Identity" && n.inputs.size() == 1 && n.outputs.size() == 1) {
      g.value(n.outputs[0]).dtype = g.value(n.inputs[0]).dtype;
      bypass(g, static_cast<int>(k));
      continue;
    }
    if (n.op != "Cast") continue;
    const std::string what = where(st.source, n);
    const int64_t to = n.attr_int("to");
    const DType from = known_dtype(g, n.inputs.at(0));
    require(ir::dtype_of_onnx(to) == from, what, ": Cast of a run-time ", dtype_name(from),
            " tensor to ONNX element type ", to,
            " is not supported (only the exporter's no-op casts are)");
    g.value(n.outputs.at(0)).dtype = from;
    bypass(g, static_cast<int>(k));
  }
  erase_removed(g);
}

void recognize_qdq(Graph& g, FrontendState& st) {
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    auto r = recognizers().find(g.nodes[k].op);
    if (r == recognizers().end()) continue;
    Pattern p(g, static_cast<int>(k), st);
    r->second(p);
  }
  erase_removed(g);
  for (Node& n : g.nodes)
    if (n.op == ir::op::kQuantize) n.attrs["method"] = std::string("mul_inv");
}

}  // namespace bpusim::compiler
