#include "ir/op_set.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "common/error.h"

namespace bpusim::ir {
namespace {

using A = AttrKind;

// Attribute lists shared by several ops.
std::vector<AttrDef> conv_geometry_attrs() {
  return {
      {"strides", A::kInts, false, "[sh, sw], default [1, 1]"},
      {"pads", A::kInts, false, "[top, left, bottom, right], default zeros"},
      {"dilations", A::kInts, false, "[dh, dw], default [1, 1]"},
      {"group", A::kInt, false, "groups, default 1; group == C == M is depthwise"},
  };
}

std::vector<AttrDef> pool_geometry_attrs(bool with_dilations) {
  std::vector<AttrDef> out{
      {"kernel_shape", A::kInts, true, "[kh, kw]"},
      {"strides", A::kInts, false, "[sh, sw], default [1, 1]"},
      {"pads", A::kInts, false, "[top, left, bottom, right], default zeros"},
      {"ceil_mode", A::kInt, false, "1: output size rounds up (PyTorch rule), default 0"},
  };
  if (with_dilations) out.push_back({"dilations", A::kInts, false, "[dh, dw], default [1, 1]"});
  return out;
}

// An upsampling's output: PyTorch's scale factor (as the ONNX Resize's float32 scales) or
// the size F.interpolate was given (docs/pytorch-recipes.md 2.21); one of the two.
std::vector<AttrDef> upsample_attrs() {
  return {{"scales", A::kFloats, false,
           "[sh, sw]: the float32 scales of the ONNX Resize (f32 of PyTorch's factor)"},
          {"sizes", A::kInts, false, "[oh, ow]: the output size (instead of scales)"}};
}

std::vector<AttrDef> requant_attrs() {
  return {
      {attr::kMode, A::kString, true, "stage 1: fp32 | fixed | int32 (pass-through)"},
      {attr::kOutDType, A::kString, false, "uint8 | int8 (fp32, fixed), int32 (int32 mode)"},
      {attr::kBias, A::kInts, false, "int32 bias per channel, default 0"},
      {attr::kScale, A::kFloats, false, "fp32 mode: float scale per channel, finite > 0"},
      {attr::kMult, A::kInts, false, "fixed mode: multiplier in [2^30, 2^31) or 0"},
      {attr::kShift, A::kInts, false, "fixed mode: right shift in [0, 62]"},
      {attr::kZp, A::kInts, false, "stage-1 output zero point, default 0"},
      {attr::kMin, A::kInts, false, "stage-1 clamp low (activation), default dtype min"},
      {attr::kMax, A::kInts, false, "stage-1 clamp high (activation), default dtype max"},
      {attr::kAddConst, A::kInts, false, "stage 2: constant term"},
      {attr::kAddMultA, A::kInts, false, "stage 2: multiplier of the stage-1 result"},
      {attr::kAddMultB, A::kInts, false, "stage 2: multiplier of the residual"},
      {attr::kAddShift, A::kInts, false, "stage 2: right shift in [0, 31]"},
      {attr::kAddZp, A::kInts, false, "stage 2: output zero point"},
      {attr::kAddMin, A::kInts, false, "stage 2: clamp low"},
      {attr::kAddMax, A::kInts, false, "stage 2: clamp high"},
  };
}

std::vector<AttrDef> add_attrs() {
  std::vector<AttrDef> all = requant_attrs();
  std::vector<AttrDef> out{{attr::kOutDType, A::kString, false, "uint8 | int8, default uint8"}};
  for (const AttrDef& a : all)
    if (a.name.starts_with("add_")) out.push_back({a.name, a.kind, true, a.doc});
  return out;
}

std::vector<AttrDef> qpool_attrs() {
  return {
      {"recipe", A::kString, false,
       "onnx (default: ONNX QDQ semantics) | qnnpack (PyTorch 1.13, docs/pytorch-recipes.md 2.8) "
       "| aten_channels_last | aten_contiguous (QAvgPool: ATen's kernels, 2.22) "
       "| aten_adaptive_channels_last | aten_adaptive_contiguous (QGlobalAvgPool of qint8: "
       "adaptive_avg_pool2d's kernels, 2.23)"},
      {"x_scale", A::kFloat, true, "input scale"},
      {"x_zero_point", A::kInt, false, "input zero point, default 0"},
      {"y_scale", A::kFloat, true, "output scale"},
      {"y_zero_point", A::kInt, false, "output zero point, default 0"},
      {attr::kOutDType, A::kString, false, "uint8 | int8, default: the input's type"},
      {attr::kMode, A::kString, false,
       "fp32 (default) | fixed: recipe qnnpack with the q31 scale mult/shift "
       "(docs/requantizer.md 6)"},
      {attr::kMult, A::kInt, false, "mode fixed: multiplier, 0 or [2^30, 2^31)"},
      {attr::kShift, A::kInt, false, "mode fixed: shift, 0..62"},
  };
}

template <class T>
std::vector<T> join(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<OpDef> build_op_set() {
  const ArgDef x{"x", Arity::kOne, ""};
  const ArgDef y{"y", Arity::kOne, ""};
  const ArgDef residual{"residual", Arity::kOptional,
                        "stage-2 input b (uint8/int8, output shape); present = stage 2 runs"};
  const std::vector<AttrDef> quant_axis{
      {attr::kAxis, A::kInt, false, "-1 (default): per tensor; else the per-slice axis (>= 0)"}};
  std::vector<OpDef> ops;

  // ---- quantized ----
  ops.push_back({op::kQuantize,
                 OpGroup::kQuantized,
                 "y = saturate(round_half_even(x / y_scale) + y_zero_point) (or x * (1 / y_scale))",
                 {{"x", Arity::kOne, "float32"}},
                 {{"y", Arity::kOne, "out_dtype"}},
                 join(quant_axis,
                      {{"y_scale", A::kFloats, true, "1 or dim(axis) entries"},
                       {"y_zero_point", A::kInts, false, "same count, default 0"},
                       {attr::kOutDType, A::kString, false, "uint8 | int8 | int32, default uint8"},
                       {"method", A::kString, false,
                        "div (default, ONNX: x / y_scale) | mul_inv (PyTorch: "
                        "x * (1 / y_scale))"}})});
  ops.push_back({op::kDequantize,
                 OpGroup::kQuantized,
                 "y = float32(x - x_zero_point) * x_scale",
                 {{"x", Arity::kOne, "uint8 | int8 | int32"}},
                 {{"y", Arity::kOne, "float32"}},
                 join(quant_axis, {{"x_scale", A::kFloats, true, "1 or dim(axis) entries"},
                                   {"x_zero_point", A::kInts, false, "same count, default 0"}})});
  ops.push_back(
      {op::kQConv,
       OpGroup::kQuantized,
       "2-D conv, int32 accumulation of (x - x_zp) * (w - w_zp), then the requantizer",
       {{"x", Arity::kOne, "uint8 | int8, [N, C, H, W]"},
        {"w", Arity::kOne, "int8 | uint8, [M, C / group, kh, kw] (a constant once compiled)"},
        residual},
       {{"y", Arity::kOne, "out_dtype, [N, M, OH, OW]; channel axis 1"}},
       join(
           join(conv_geometry_attrs(), {{"x_zero_point", A::kInt, false, "default 0"},
                                        {"w_zero_point", A::kInt, false, "per tensor, default 0"}}),
           requant_attrs())});
  ops.push_back({op::kQMatMul,
                 OpGroup::kQuantized,
                 "matmul with numpy batch broadcasting (ONNX MatMul, ranks >= 2), int32 "
                 "accumulation of (a - a_zp) * (b - b_zp), then the requantizer",
                 {{"a", Arity::kOne, "uint8 | int8, [..., M, K]"},
                  {"b", Arity::kOne, "int8 | uint8, [..., K, N]"},
                  residual},
                 {{"y", Arity::kOne, "out_dtype, [..., M, N]; channel axis = last (N)"}},
                 join({{"a_zero_point", A::kInt, false, "default 0"},
                       {"b_zero_point", A::kInt, false, "per tensor, default 0"}},
                      requant_attrs())});
  ops.push_back({op::kQAdd,
                 OpGroup::kQuantized,
                 "elementwise stage-2 add of two same-shape tensors (docs/requantizer.md)",
                 {{"a", Arity::kOne, "uint8 | int8"}, {"b", Arity::kOne, "uint8 | int8"}},
                 {y},
                 add_attrs()});
  ops.push_back({op::kQAddBroadcast,
                 OpGroup::kQuantized,
                 "ATen's quantized add with broadcasting (docs/pytorch-recipes.md 2.20): a 4-D "
                 "operand plus a per-channel [N or 1, C, 1, 1] one, in float32",
                 {{"a", Arity::kOne, "uint8 | int8"}, {"b", Arity::kOne, "uint8 | int8"}},
                 {y},
                 {{"a_scale", A::kFloat, true, "a's scale"},
                  {"a_zero_point", A::kInt, false, "default 0"},
                  {"b_scale", A::kFloat, true, "b's scale"},
                  {"b_zero_point", A::kInt, false, "default 0"},
                  {"y_scale", A::kFloat, true, "output scale"},
                  {"y_zero_point", A::kInt, false, "default 0"},
                  {"relu", A::kInt, false, "1: add_relu (default 0)"},
                  {"memory_order", A::kString, false,
                   "PyTorch's format of the full-size operand: nchw (default) or nhwc"},
                  {attr::kOutDType, A::kString, false, "uint8 (default) | int8"}}});
  ops.push_back({op::kQMul,
                 OpGroup::kQuantized,
                 "elementwise product with numpy broadcasting: stage 1 of the exact "
                 "(a - a_zp) * (b - b_zp) with one requantizer channel (docs/requantizer.md)",
                 {{"a", Arity::kOne, "uint8 | int8"}, {"b", Arity::kOne, "uint8 | int8"}},
                 {y},
                 join({{"a_zero_point", A::kInt, false, "default 0"},
                       {"b_zero_point", A::kInt, false, "default 0"}},
                      requant_attrs())});
  ops.push_back({op::kQUpsampleNearest,
                 OpGroup::kQuantized,
                 "PyTorch's nearest upsampling (docs/pytorch-recipes.md 2.21), a gather: "
                 "y[n, c, oy, ox] = x[n, c, src(oy), src(ox)] (same type and quantization)",
                 {{"x", Arity::kOne, "uint8 | int8, [N, C, H, W]"}},
                 {{"y", Arity::kOne, "x's type, [N, C, floor(H * sh), floor(W * sw)] or sizes"}},
                 upsample_attrs()});
  ops.push_back({op::kQUpsampleBilinear,
                 OpGroup::kQuantized,
                 "PyTorch's quantized bilinear upsampling (docs/pytorch-recipes.md 2.21): four "
                 "taps blended in float32, rounded, same type and quantization",
                 {{"x", Arity::kOne, "uint8 | int8, [N, C, H, W]"}},
                 {{"y", Arity::kOne, "x's type, [N, C, floor(H * sh), floor(W * sw)] or sizes"}},
                 join(upsample_attrs(),
                      {{"x_zero_point", A::kInt, true, "x's zero point"},
                       {"align_corners", A::kInt, false, "1: align_corners=True (default 0)"},
                       {"memory_order", A::kString, false,
                        "PyTorch's format of x: nchw (default) or nhwc (channels-last kernel)"}})});
  ops.push_back({op::kQClamp,
                 OpGroup::kQuantized,
                 "y = clamp(x, min, max) on integers (standalone ReLU / ReLU6)",
                 {x},
                 {{"y", Arity::kOne, "x's type"}},
                 {{attr::kMin, A::kInt, true, "low bound"}, {attr::kMax, A::kInt, true, "high"}}});
  ops.push_back({op::kQLut,
                 OpGroup::kQuantized,
                 "y = table[x] (uint8 x) or table[x + 128] (int8 x): any unary function of an "
                 "8-bit input, the table filled from the op's recipe (docs/requantizer.md 6)",
                 {x},
                 {{"y", Arity::kOne, "out_dtype"}},
                 {{"table", A::kInts, true, "256 entries, each in out_dtype's range"},
                  {"tail_table", A::kInts, false,
                   "256 entries for the elements at memory positions >= floor(numel / 64) * 64 "
                   "(ATen's scalar tail, docs/pytorch-recipes.md 2.16); absent: none"},
                  {"memory_order", A::kString, false,
                   "nchw | nhwc: the memory order those positions count in (with tail_table)"},
                  {attr::kOutDType, A::kString, false, "uint8 | int8 (default: x's type)"}}});
  ops.push_back({op::kQConcat,
                 OpGroup::kQuantized,
                 "concat, each input rescaled to (y_scale, y_zero_point) by the concat recipe",
                 {{"inputs", Arity::kVariadic, "uint8 | int8"}},
                 {y},
                 {{attr::kAxis, A::kInt, true, "concat axis (>= 0)"},
                  {"x_scales", A::kFloats, true, "one per input"},
                  {"x_zero_points", A::kInts, true, "one per input"},
                  {"y_scale", A::kFloat, true, ""},
                  {"y_zero_point", A::kInt, false, "default 0"},
                  {attr::kOutDType, A::kString, false, "default: the first input's type"},
                  {"recipe", A::kString, false,
                   "onnx (default: ONNX QDQ semantics) | qnnpack | qnnpack_channels_last "
                   "(PyTorch 1.13's generic and channels-last paths, docs/pytorch-recipes.md "
                   "2.7)"}}});
  ops.push_back({op::kQMaxPool,
                 OpGroup::kQuantized,
                 "max pooling on integers (padding never wins); output keeps x's quantization",
                 {x},
                 {y},
                 pool_geometry_attrs(true)});
  ops.push_back(
      {op::kQAvgPool,
       OpGroup::kQuantized,
       "average pooling, window sum rescaled by the average-pool recipe",
       {x},
       {y},
       join(join(pool_geometry_attrs(false), {{"count_include_pad", A::kInt, false, "default 0"}}),
            qpool_attrs())});
  ops.push_back({op::kQGlobalAvgPool,
                 OpGroup::kQuantized,
                 "average over H x W by the average-pool recipe, output [N, C, 1, 1]",
                 {x},
                 {y},
                 qpool_attrs()});

  // ---- any element type ----
  ops.push_back({op::kArgMax,
                 OpGroup::kAnyType,
                 "index of the maximum along axis (ties: first index unless select_last_index)",
                 {{"data", Arity::kOne, "any type; integers compared as integers"}},
                 {{"reduced", Arity::kOne, "int64"}},
                 {{attr::kAxis, A::kInt, false, "default 0, may be negative"},
                  {"keepdims", A::kInt, false, "default 1"},
                  {"select_last_index", A::kInt, false, "default 0"}}});
  ops.push_back({op::kReshape,
                 OpGroup::kAnyType,
                 "ONNX Reshape (0 copies a dim unless allowzero, -1 infers one dim)",
                 {{"data", Arity::kOne, ""}, {"shape", Arity::kOne, "int64, 1-D"}},
                 {{"reshaped", Arity::kOne, ""}},
                 {{"allowzero", A::kInt, false, "default 0"}}});
  ops.push_back({op::kFlatten,
                 OpGroup::kAnyType,
                 "ONNX Flatten to 2-D",
                 {{"input", Arity::kOne, ""}},
                 {{"output", Arity::kOne, ""}},
                 {{attr::kAxis, A::kInt, false, "default 1, may be negative"}}});

  // ---- float32 host ops (ONNX semantics; sums accumulate in double, rounded once) ----
  const ArgDef X{"X", Arity::kOne, "float32"};
  const ArgDef Y{"Y", Arity::kOne, "float32"};
  const AttrDef auto_pad{"auto_pad", A::kString, false, "NOTSET (default) or VALID only"};
  ops.push_back(
      {op::kConv,
       OpGroup::kFloat,
       "ONNX Conv, 2-D",
       {X, {"W", Arity::kOne, "float32"}, {"B", Arity::kOptional, "float32"}},
       {Y},
       join(conv_geometry_attrs(), {auto_pad, {"kernel_shape", A::kInts, false, "must match W"}})});
  ops.push_back({op::kGemm,
                 OpGroup::kFloat,
                 "ONNX Gemm: alpha * A' B' + beta * C",
                 {{"A", Arity::kOne, "float32"},
                  {"B", Arity::kOne, "float32"},
                  {"C", Arity::kOptional, "float32, unidirectional broadcast"}},
                 {Y},
                 {{"alpha", A::kFloat, false, "default 1"},
                  {"beta", A::kFloat, false, "default 1"},
                  {"transA", A::kInt, false, "default 0"},
                  {"transB", A::kInt, false, "default 0"}}});
  ops.push_back({op::kMatMul,
                 OpGroup::kFloat,
                 "ONNX MatMul, ranks >= 2",
                 {{"A", Arity::kOne, "float32"}, {"B", Arity::kOne, "float32"}},
                 {Y},
                 {}});
  ops.push_back({op::kAdd,
                 OpGroup::kFloat,
                 "ONNX Add with numpy broadcasting",
                 {{"A", Arity::kOne, "float32"}, {"B", Arity::kOne, "float32"}},
                 {{"C", Arity::kOne, "float32"}},
                 {}});
  ops.push_back({op::kMul,
                 OpGroup::kFloat,
                 "ONNX Mul with numpy broadcasting",
                 {{"A", Arity::kOne, "float32"}, {"B", Arity::kOne, "float32"}},
                 {{"C", Arity::kOne, "float32"}},
                 {}});
  ops.push_back({op::kRelu, OpGroup::kFloat, "max(x, 0)", {X}, {Y}, {}});
  ops.push_back({op::kSigmoid, OpGroup::kFloat, "1 / (1 + exp(-x))", {X}, {Y}, {}});
  ops.push_back(
      {op::kMaxPool,
       OpGroup::kFloat,
       "ONNX MaxPool, 2-D, one output",
       {X},
       {Y},
       join(pool_geometry_attrs(true), {auto_pad, {"storage_order", A::kInt, false, "0 only"}})});
  ops.push_back({op::kAveragePool,
                 OpGroup::kFloat,
                 "ONNX AveragePool, 2-D",
                 {X},
                 {Y},
                 join(pool_geometry_attrs(false),
                      {auto_pad, {"count_include_pad", A::kInt, false, "default 0"}})});
  ops.push_back({op::kGlobalAveragePool, OpGroup::kFloat, "mean over H x W", {X}, {Y}, {}});
  ops.push_back({op::kConcat,
                 OpGroup::kFloat,
                 "ONNX Concat (any element type)",
                 {{"inputs", Arity::kVariadic, ""}},
                 {{"concat_result", Arity::kOne, ""}},
                 {{attr::kAxis, A::kInt, true, "may be negative"}}});
  return ops;
}

size_t attr_index(AttrKind kind) {
  return static_cast<size_t>(kind);
}

// ---- requant attribute helpers ----

// Reads an int vector attribute as int32 values, one per channel (a single entry is
// broadcast); `fallback` when absent. Validates [lo, hi].
std::vector<int32_t> channel_ints(const Node& node, const char* key, int64_t channels,
                                  std::optional<int64_t> fallback, int64_t lo, int64_t hi) {
  std::vector<int64_t> raw = node.attr_ints(key, {});
  if (raw.empty()) {
    require(!node.has_attr(key), node.describe(), ": attribute '", key, "' is empty");
    require(fallback.has_value(), node.describe(), ": missing required attribute '", key, "'");
    raw.assign(1, *fallback);
  }
  require(raw.size() == 1 || static_cast<int64_t>(raw.size()) == channels, node.describe(),
          ": attribute '", key, "' has ", raw.size(), " entries, expected 1 or ", channels);
  std::vector<int32_t> out(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t v = raw.size() == 1 ? raw[0] : raw[c];
    require(v >= lo && v <= hi, node.describe(), ": attribute '", key, "' channel ", c, " value ",
            v, " is outside [", lo, ", ", hi, "]");
    out[c] = static_cast<int32_t>(v);
  }
  return out;
}

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

std::vector<AddParams> read_add(const Node& node, int64_t channels, DType out) {
  const int64_t lo = dtype_min(out), hi = dtype_max(out);
  auto field = [&](const char* key, int64_t l, int64_t h) {
    return channel_ints(node, key, channels, std::nullopt, l, h);
  };
  const auto cst = field(attr::kAddConst, kI32Min, kI32Max);
  const auto ma = field(attr::kAddMultA, kI32Min, kI32Max);
  const auto mb = field(attr::kAddMultB, kI32Min, kI32Max);
  const auto sh = field(attr::kAddShift, 0, 31);
  const auto zp = field(attr::kAddZp, lo, hi);
  const auto mn = field(attr::kAddMin, lo, hi);
  const auto mx = field(attr::kAddMax, lo, hi);
  std::vector<AddParams> out_params(channels);
  for (int64_t c = 0; c < channels; ++c) {
    require(mn[c] <= mx[c], node.describe(), ": channel ", c, " add_min ", mn[c], " > add_max ",
            mx[c]);
    out_params[c] = {cst[c], ma[c], mb[c], sh[c], zp[c], mn[c], mx[c]};
  }
  return out_params;
}

template <class T, class F>
void put(Node& node, const char* key, const std::vector<RequantChannel>& ch, F get) {
  std::vector<T> v;
  for (const RequantChannel& c : ch) v.push_back(get(c));
  node.attrs[key] = v;
}

void put_add(Node& node, const std::vector<AddParams>& add) {
  auto put_field = [&](const char* key, int32_t AddParams::*field) {
    std::vector<int64_t> v;
    for (const AddParams& a : add) v.push_back(a.*field);
    node.attrs[key] = v;
  };
  put_field(attr::kAddConst, &AddParams::add_const);
  put_field(attr::kAddMultA, &AddParams::add_mult_a);
  put_field(attr::kAddMultB, &AddParams::add_mult_b);
  put_field(attr::kAddShift, &AddParams::add_shift);
  put_field(attr::kAddZp, &AddParams::add_zp);
  put_field(attr::kAddMin, &AddParams::add_min);
  put_field(attr::kAddMax, &AddParams::add_max);
}

}  // namespace

const std::vector<OpDef>& op_set() {
  static const std::vector<OpDef> ops = build_op_set();
  return ops;
}

const OpDef* find_op(std::string_view name) {
  for (const OpDef& d : op_set())
    if (d.name == name) return &d;
  return nullptr;
}

std::string_view attr_kind_name(AttrKind kind) {
  switch (kind) {
    case AttrKind::kInt:
      return "int";
    case AttrKind::kFloat:
      return "float";
    case AttrKind::kString:
      return "string";
    case AttrKind::kInts:
      return "ints";
    case AttrKind::kFloats:
      return "floats";
  }
  return "?";
}

void check_node(const Node& node) {
  const OpDef* def = find_op(node.op);
  require(def != nullptr, node.describe(), ": unsupported op '", node.op,
          "' (not in the canonical op set, ir/op_set.h)");
  auto check_args = [&](const std::vector<ArgDef>& defs, const std::vector<ValueId>& ids,
                        const char* what) {
    size_t lo = 0, hi = 0;
    for (const ArgDef& a : defs) {
      hi = a.arity == Arity::kVariadic ? SIZE_MAX : hi + 1;
      if (a.arity != Arity::kOptional) ++lo;
    }
    require(ids.size() >= lo && ids.size() <= hi, node.describe(), ": has ", ids.size(), " ", what,
            "s, expected ", lo,
            hi == SIZE_MAX ? " or more"
            : hi == lo     ? ""
                           : cat(" to ", hi));
    for (size_t i = 0; i < ids.size(); ++i) {
      const ArgDef& a = defs[std::min(i, defs.size() - 1)];
      require(ids[i] != kNoValue || a.arity == Arity::kOptional, node.describe(), ": ", what, " ",
              i, " ('", a.name, "') is required but absent");
    }
  };
  check_args(def->inputs, node.inputs, "input");
  check_args(def->outputs, node.outputs, "output");
  for (const auto& [key, value] : node.attrs) {
    const AttrDef* a = nullptr;
    for (const AttrDef& d : def->attrs)
      if (d.name == key) a = &d;
    require(a != nullptr, node.describe(), ": unsupported attribute '", key, "'");
    require(value.index() == attr_index(a->kind), node.describe(), ": attribute '", key,
            "' must be of type ", attr_kind_name(a->kind));
  }
  for (const AttrDef& d : def->attrs)
    require(!d.required || node.has_attr(std::string(d.name)), node.describe(),
            ": missing required attribute '", d.name, "'");
}

std::string_view stage1_mode_name(Stage1Mode mode) {
  switch (mode) {
    case Stage1Mode::kFp32:
      return "fp32";
    case Stage1Mode::kFixed:
      return "fixed";
    case Stage1Mode::kInt32:
      return "int32";
  }
  return "?";
}

int64_t dtype_min(DType t) {
  switch (t) {
    case DType::kU8:
      return 0;
    case DType::kI8:
      return -128;
    case DType::kI32:
      return kI32Min;
    case DType::kI64:
      return std::numeric_limits<int64_t>::min();
    case DType::kF32:
      break;
  }
  fail("dtype_min: ", dtype_name(t), " is not an integer type");
}

int64_t dtype_max(DType t) {
  switch (t) {
    case DType::kU8:
      return 255;
    case DType::kI8:
      return 127;
    case DType::kI32:
      return kI32Max;
    case DType::kI64:
      return std::numeric_limits<int64_t>::max();
    case DType::kF32:
      break;
  }
  fail("dtype_max: ", dtype_name(t), " is not an integer type");
}

DType get_out_dtype(const Node& node, DType fallback) {
  if (!node.has_attr(attr::kOutDType)) return fallback;
  const std::string name = node.attr_string(attr::kOutDType, "");
  const DType t =
      dtype_from_name(name, cat(node.describe(), ": attribute '", attr::kOutDType, "'"));
  require(t == DType::kU8 || t == DType::kI8 || t == DType::kI32, node.describe(),
          ": attribute 'out_dtype' value '", name, "' is not uint8, int8 or int32");
  return t;
}

void set_requant(Node& node, const Requant& rq) {
  node.attrs[attr::kMode] = std::string(stage1_mode_name(rq.mode));
  node.attrs[attr::kOutDType] = std::string(dtype_name(rq.out_dtype));
  const auto& ch = rq.channels;
  put<int64_t>(node, attr::kBias, ch, [](const RequantChannel& c) { return c.bias; });
  if (rq.mode == Stage1Mode::kInt32) return;
  if (rq.mode == Stage1Mode::kFp32)
    put<float>(node, attr::kScale, ch, [](const RequantChannel& c) { return c.scale; });
  if (rq.mode == Stage1Mode::kFixed) {
    put<int64_t>(node, attr::kMult, ch, [](const RequantChannel& c) { return c.mult; });
    put<int64_t>(node, attr::kShift, ch, [](const RequantChannel& c) { return c.shift; });
  }
  put<int64_t>(node, attr::kZp, ch, [](const RequantChannel& c) { return c.zp; });
  put<int64_t>(node, attr::kMin, ch, [](const RequantChannel& c) { return c.min; });
  put<int64_t>(node, attr::kMax, ch, [](const RequantChannel& c) { return c.max; });
  if (rq.has_add) {
    std::vector<AddParams> add;
    for (const RequantChannel& c : ch) add.push_back(c.add);
    put_add(node, add);
  }
}

Requant get_requant(const Node& node, int64_t channels, bool has_add) {
  require(channels > 0, node.describe(), ": requantizer needs at least one output channel");
  Requant rq;
  const std::string mode = node.attr_string(attr::kMode, "");
  if (mode == "fp32") {
    rq.mode = Stage1Mode::kFp32;
  } else if (mode == "fixed") {
    rq.mode = Stage1Mode::kFixed;
  } else if (mode == "int32") {
    rq.mode = Stage1Mode::kInt32;
  } else {
    fail(node.describe(), ": attribute 'mode' value '", mode, "' is not fp32, fixed or int32");
  }
  const bool pass = rq.mode == Stage1Mode::kInt32;
  rq.out_dtype = get_out_dtype(node, pass ? DType::kI32 : DType::kU8);
  require(pass == (rq.out_dtype == DType::kI32), node.describe(), ": out_dtype ",
          dtype_name(rq.out_dtype), " does not fit mode ", mode,
          " (int32 output iff int32 pass-through)");
  require(!(pass && has_add), node.describe(),
          ": int32 pass-through cannot be followed by a fused add (stage 2)");
  rq.has_add = has_add;
  rq.channels.assign(channels, {});
  const auto bias = channel_ints(node, attr::kBias, channels, 0, kI32Min, kI32Max);
  for (int64_t c = 0; c < channels; ++c) rq.channels[c].bias = bias[c];
  if (pass) return rq;

  if (rq.mode == Stage1Mode::kFp32) {
    const std::vector<float> scale = node.attr_floats(attr::kScale, {});
    require(node.has_attr(attr::kScale), node.describe(), ": missing required attribute 'scale'");
    require(scale.size() == 1 || static_cast<int64_t>(scale.size()) == channels, node.describe(),
            ": attribute 'scale' has ", scale.size(), " entries, expected 1 or ", channels);
    for (int64_t c = 0; c < channels; ++c) {
      const float s = scale.size() == 1 ? scale[0] : scale[c];
      require(std::isfinite(s) && s > 0.0f, node.describe(), ": attribute 'scale' channel ", c,
              " value ", s, " must be finite and > 0");
      rq.channels[c].scale = s;
    }
  } else {
    const auto mult = channel_ints(node, attr::kMult, channels, std::nullopt, 0, kI32Max);
    const auto shift = channel_ints(node, attr::kShift, channels, std::nullopt, 0, 62);
    for (int64_t c = 0; c < channels; ++c) {
      require(mult[c] == 0 || mult[c] >= (int64_t{1} << 30), node.describe(),
              ": attribute 'mult' channel ", c, " value ", mult[c],
              " must be 0 or in [2^30, 2^31)");
      rq.channels[c].mult = mult[c];
      rq.channels[c].shift = shift[c];
    }
  }
  const int64_t lo = dtype_min(rq.out_dtype), hi = dtype_max(rq.out_dtype);
  const auto zp = channel_ints(node, attr::kZp, channels, 0, lo, hi);
  const auto mn = channel_ints(node, attr::kMin, channels, lo, lo, hi);
  const auto mx = channel_ints(node, attr::kMax, channels, hi, lo, hi);
  for (int64_t c = 0; c < channels; ++c) {
    require(mn[c] <= mx[c], node.describe(), ": channel ", c, " min ", mn[c], " > max ", mx[c]);
    rq.channels[c].zp = zp[c];
    rq.channels[c].min = mn[c];
    rq.channels[c].max = mx[c];
  }
  if (has_add) {
    const std::vector<AddParams> add = read_add(node, channels, rq.out_dtype);
    for (int64_t c = 0; c < channels; ++c) rq.channels[c].add = add[c];
  }
  return rq;
}

AddParams get_add_params(const Node& node, DType out_dtype) {
  return read_add(node, 1, out_dtype).at(0);
}

void set_add_params(Node& node, const AddParams& add) {
  put_add(node, {add});
}

}  // namespace bpusim::ir
