// Builds small ONNX models (the onnx protobuf API) shaped like torch.onnx's QDQ exports, for
// the front-end tests: QuantizeLinear/DequantizeLinear with scale and zero-point
// initializers, int8 weights with per-tensor or per-channel scales, int32 biases whose
// DequantizeLinear scale is w_scale * x_scale.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "compiler/passes/frontend.h"
#include "golden/interpreter.h"
#include "ir/onnx_import.h"

namespace bpusim::testing {

inline constexpr int kF32 = onnx::TensorProto_DataType_FLOAT;
inline constexpr int kU8 = onnx::TensorProto_DataType_UINT8;
inline constexpr int kI8 = onnx::TensorProto_DataType_INT8;
inline constexpr int kI32 = onnx::TensorProto_DataType_INT32;
inline constexpr int kI64 = onnx::TensorProto_DataType_INT64;
inline constexpr int kF64 = onnx::TensorProto_DataType_DOUBLE;

class OnnxBuilder {
 public:
  OnnxBuilder() {
    model.set_ir_version(8);
    model.add_opset_import()->set_version(13);
    model.mutable_graph()->set_name("test");
  }

  void input(const std::string& name, int type, const std::vector<int64_t>& dims) {
    value_info(model.mutable_graph()->add_input(), name, type, dims);
  }
  void output(const std::string& name, int type = kF32) {
    value_info(model.mutable_graph()->add_output(), name, type, {});
  }

  // An initializer with raw little-endian data of element type `type`.
  template <class T>
  std::string init(const std::string& name, int type, const std::vector<int64_t>& dims,
                   const std::vector<T>& values) {
    onnx::TensorProto* t = model.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
    return name;
  }
  std::string f32(const std::string& name, const std::vector<int64_t>& dims,
                  const std::vector<float>& v) {
    return init(name, kF32, dims, v);
  }
  std::string i64(const std::string& name, const std::vector<int64_t>& v) {
    return init(name, kI64, {static_cast<int64_t>(v.size())}, v);
  }

  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& output, const std::string& name = "") {
    onnx::NodeProto* n = model.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? output : name);
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(output);
    return *n;
  }
  static void attr(onnx::NodeProto& n, const std::string& key, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& key, float v) {
    auto* a = n.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& key, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t e : v) a->add_ints(e);
  }

  // QuantizeLinear(x) with scalar scale and zero point of type `zp_type` (uint8 or int8).
  std::string quantize(const std::string& x, float scale, int zp, const std::string& name,
                       int zp_type = kU8) {
    const std::string s = f32(name + "_s", {}, {scale});
    const std::string z = zero_point(name + "_z", zp, zp_type);
    node("QuantizeLinear", {x, s, z}, name + "_q", name + "/QuantizeLinear");
    return name + "_q";
  }
  // DequantizeLinear(q) with scalar scale and zero point.
  std::string dequantize(const std::string& q, float scale, int zp, const std::string& name,
                         int zp_type = kU8) {
    const std::string s = f32(name + "_dqs", {}, {scale});
    const std::string z = zero_point(name + "_dqz", zp, zp_type);
    node("DequantizeLinear", {q, s, z}, name + "_dq", name + "/DequantizeLinear");
    return name + "_dq";
  }
  // Q then DQ: a quantized activation as the next op sees it.
  std::string qdq(const std::string& x, float scale, int zp, const std::string& name) {
    return dequantize(quantize(x, scale, zp, name), scale, zp, name);
  }

  // DequantizeLinear of int8 weights: one scale ([1], like torch's export) or one per output
  // channel (axis 0); weight zero points 0 unless `zps` is given.
  std::string weight(const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<int8_t>& w, const std::vector<float>& scales,
                     std::vector<int8_t> zps = {}, int64_t axis = 0) {
    if (zps.empty()) zps.assign(scales.size(), 0);
    const int64_t n = static_cast<int64_t>(scales.size());
    init(name + "_w", kI8, dims, w);
    f32(name + "_ws", {n}, scales);
    init(name + "_wz", kI8, {n}, zps);
    onnx::NodeProto& d = node("DequantizeLinear", {name + "_w", name + "_ws", name + "_wz"},
                              name + "_wdq", name + "/DequantizeLinear_1");
    if (n > 1) attr(d, "axis", axis);
    return name + "_wdq";
  }
  // DequantizeLinear of an int32 bias with scale `scales` (w_scale * x_scale) and zero point 0.
  std::string bias(const std::string& name, const std::vector<int32_t>& b,
                   const std::vector<float>& scales) {
    const int64_t n = static_cast<int64_t>(scales.size());
    init(name + "_b", kI32, {static_cast<int64_t>(b.size())}, b);
    f32(name + "_bs", {n}, scales);
    init(name + "_bz", kI32, {n}, std::vector<int32_t>(n, 0));
    onnx::NodeProto& d = node("DequantizeLinear", {name + "_b", name + "_bs", name + "_bz"},
                              name + "_bdq", name + "/DequantizeLinear_2");
    if (n > 1) attr(d, "axis", int64_t{0});
    return name + "_bdq";
  }

  // The imported graph (source "test.onnx").
  ir::Graph graph() const { return ir::import_onnx(model, "test.onnx").graph; }

  onnx::ModelProto model;

 private:
  std::string zero_point(const std::string& name, int zp, int type) {
    if (type == kI8) return init(name, kI8, {}, std::vector<int8_t>{static_cast<int8_t>(zp)});
    return init(name, kU8, {}, std::vector<uint8_t>{static_cast<uint8_t>(zp)});
  }
  static void value_info(onnx::ValueInfoProto* v, const std::string& name, int type,
                         const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    if (dims.empty()) return;
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
};

// Imports `b`'s model and runs the front end for `hw`; the notes go to `notes` when given.
inline ir::Graph front_end(const OnnxBuilder& b, const HwConfig& hw = {},
                           compiler::FrontendNotes* notes = nullptr) {
  ir::Graph g = b.graph();
  compiler::FrontendNotes n = compiler::run_frontend(g, hw, "test.onnx");
  if (notes) *notes = std::move(n);
  return g;
}

// Nodes of `g` with op `op`.
inline std::vector<const ir::Node*> nodes_of(const ir::Graph& g, const std::string& op) {
  std::vector<const ir::Node*> out;
  for (const ir::Node& n : g.nodes)
    if (n.op == op) out.push_back(&n);
  return out;
}

// A deterministic float tensor with values in [lo, hi).
inline Tensor ramp(const Shape& shape, float lo, float hi, uint32_t seed = 1) {
  Tensor t(DType::kF32, shape);
  uint32_t s = seed;
  for (float& v : t.values<float>()) {
    s = s * 1664525u + 1013904223u;
    v = lo + (hi - lo) * static_cast<float>(s >> 8) / static_cast<float>(1u << 24);
  }
  return t;
}

}  // namespace bpusim::testing
