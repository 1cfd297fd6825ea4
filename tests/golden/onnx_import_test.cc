// ONNX import and QOperator canonicalization: a small QLinearConv model written with the
// protobuf API runs end to end; then one defect at a time (malformed, truncated, unsupported,
// inconsistent) must give a bpusim::Error naming the file, node, op type, field and value.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "compiler/canonicalize_qop.h"
#include "golden/interpreter.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "tests/support/test_util.h"

namespace bpusim::compiler {
using namespace bpusim::ir;  // the importer under test (ir/onnx_import.h)
namespace {

using bpusim::testing::error_message;
using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr auto kU8 = onnx::TensorProto_DataType_UINT8;
constexpr auto kI8 = onnx::TensorProto_DataType_INT8;
constexpr auto kI32 = onnx::TensorProto_DataType_INT32;
constexpr auto kI64 = onnx::TensorProto_DataType_INT64;
constexpr auto kF32 = onnx::TensorProto_DataType_FLOAT;

// Tensor with its values in the typed field (float_data / int32_data / int64_data).
onnx::TensorProto typed(const std::string& name, int32_t type, std::vector<int64_t> dims,
                        std::vector<double> values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  for (double v : values) {
    if (type == kF32)
      t.add_float_data(static_cast<float>(v));
    else if (type == kI64)
      t.add_int64_data(static_cast<int64_t>(v));
    else
      t.add_int32_data(static_cast<int32_t>(v));
  }
  return t;
}

// Tensor with its values in raw_data.
template <class T>
onnx::TensorProto raw(const std::string& name, int32_t type, std::vector<int64_t> dims,
                      std::vector<T> values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

onnx::TensorProto& initializer(onnx::ModelProto& m, const std::string& name) {
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return t;
  throw std::logic_error("no initializer " + name);
}

void add_io(onnx::ValueInfoProto* v, const std::string& name, int32_t type,
            std::vector<int64_t> dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(type);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

// y = QLinearConv(x u8 [1,1,2,2]; x_scale 0.5, x_zp 10; w int8 {2, -3} [2,1,1,1] with
// per-channel w_scale {0.25, 0.5}, w_zp 0; y_scale 0.25, y_zp 100; B {4, -8}).
// Channel 0: ((x - 10) * 2 + 4) * 0.5 + 100; channel 1: ((x - 10) * -3 - 8) * 1 + 100.
onnx::ModelProto conv_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  add_io(g->add_input(), "x", kU8, {1, 1, 2, 2});
  add_io(g->add_output(), "y", kU8, {1, 2, 2, 2});
  *g->add_initializer() = raw<float>("x_scale", kF32, {}, {0.5f});
  *g->add_initializer() = typed("x_zp", kU8, {}, {10});
  *g->add_initializer() = raw<int8_t>("w", kI8, {2, 1, 1, 1}, {2, -3});
  *g->add_initializer() = typed("w_scale", kF32, {2}, {0.25, 0.5});
  *g->add_initializer() = typed("w_zp", kI8, {2}, {0, 0});
  *g->add_initializer() = typed("y_scale", kF32, {}, {0.25});
  *g->add_initializer() = raw<uint8_t>("y_zp", kU8, {}, {100});
  *g->add_initializer() = raw<int32_t>("B", kI32, {2}, {4, -8});
  onnx::NodeProto* n = g->add_node();
  n->set_name("conv");
  n->set_op_type("QLinearConv");
  for (const char* in : {"x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "B"})
    n->add_input(in);
  n->add_output("y");
  auto* k = n->add_attribute();
  k->set_name("kernel_shape");
  k->set_type(onnx::AttributeProto_AttributeType_INTS);
  k->add_ints(1);
  k->add_ints(1);
  return m;
}

// Import, canonicalize, run on x = {10, 20, 30, 40}.
Tensor run_model(const onnx::ModelProto& m) {
  OnnxModel model = import_onnx(m, "m.onnx");
  canonicalize_qop(model.graph, model.source);
  return golden::run(model.graph, {{"x", Tensor::from<uint8_t>({1, 1, 2, 2}, {10, 20, 30, 40})}})
      .output("y");
}

std::string import_error(const onnx::ModelProto& m) {
  return error_message([&] { run_model(m); });
}

std::string temp_file(const std::string& name, const std::string& bytes) {
  const fs::path dir = fs::path(::testing::TempDir()) / "golden_onnx_import_test";
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

TEST(GoldenOnnxImport, QLinearConvModelRunsEndToEnd) {
  const Tensor y = run_model(conv_model());
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{102, 112, 122, 132, 92, 62, 32, 2}));
  // The same bytes through a file.
  const std::string path = temp_file("conv.onnx", conv_model().SerializeAsString());
  OnnxModel model = import_onnx(path);
  EXPECT_EQ(model.opset, 13);
  EXPECT_EQ(model.graph.nodes.size(), 1u);
  canonicalize_qop(model.graph, model.source);
  const ir::Node& n = model.graph.nodes[0];
  EXPECT_EQ(n.op, "QConv");
  EXPECT_EQ(n.attr_string("mode", ""), "fp32");
  EXPECT_EQ(n.attr_floats("scale", {}), (std::vector<float>{0.5f, 1.0f}));
  EXPECT_EQ(n.attr_ints("bias", {}), (std::vector<int64_t>{4, -8}));
}

TEST(GoldenOnnxImport, TypedAndRawTensorFieldsAndConstants) {
  EXPECT_EQ(tensor_from_proto(typed("a", kI8, {3}, {-128, 0, 127}), "c").values<int8_t>()[0], -128);
  EXPECT_EQ(tensor_from_proto(typed("a", kI64, {2}, {-5, 1e12}), "c").values<int64_t>()[1],
            1000000000000);
  EXPECT_EQ(tensor_from_proto(raw<int32_t>("a", kI32, {1}, {-7}), "c").values<int32_t>()[0], -7);
  EXPECT_EQ(tensor_from_proto(typed("a", kF32, {1, 1}, {2.5}), "c").shape(), (Shape{1, 1}));

  onnx::ModelProto m = conv_model();
  // y_scale from a Constant node (value_float), B from a Constant with a tensor value.
  auto* inits = m.mutable_graph()->mutable_initializer();
  inits->erase(inits->begin() + 7);  // B
  inits->erase(inits->begin() + 5);  // y_scale
  auto* nodes = m.mutable_graph()->mutable_node();
  onnx::NodeProto* c = nodes->Add();
  c->set_op_type("Constant");
  c->add_output("y_scale");
  auto* a = c->add_attribute();
  a->set_name("value_float");
  a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  a->set_f(0.25f);
  onnx::NodeProto* b = nodes->Add();
  b->set_op_type("Constant");
  b->add_output("B");
  a = b->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto_AttributeType_TENSOR);
  *a->mutable_t() = typed("", kI32, {2}, {4, -8});
  nodes->SwapElements(0, 2);  // the conv last: ONNX nodes are in topological order
  const Tensor y = run_model(m);
  EXPECT_EQ(std::vector<uint8_t>(y.values<uint8_t>().begin(), y.values<uint8_t>().end()),
            (std::vector<uint8_t>{102, 112, 122, 132, 92, 62, 32, 2}));
  // A node reading a tensor defined only by a later node is rejected.
  nodes->SwapElements(0, 2);
  EXPECT_THAT(import_error(m), HasSubstr("input 6 'y_scale' is not defined"));
}

TEST(GoldenOnnxImport, SymbolicDimensionsLeaveTheShapeUnknown) {
  onnx::ModelProto m = conv_model();
  m.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("N");
  const OnnxModel model = import_onnx(m, "m.onnx");
  const ir::Value& x = model.graph.value(model.graph.inputs.at(0));
  EXPECT_EQ(x.dtype, DType::kU8);
  EXPECT_FALSE(x.shape_known);
  EXPECT_EQ(run_model(m).values<uint8_t>()[0], 102);
}

TEST(GoldenOnnxImport, MalformedTruncatedAndMissingFiles) {
  const std::string bytes = conv_model().SerializeAsString();
  const std::string cut = temp_file("cut.onnx", bytes.substr(0, bytes.size() - 1));
  EXPECT_THAT(error_message([&] { import_onnx(cut); }),
              AllOf(HasSubstr(cut), HasSubstr("not a valid ONNX model"),
                    HasSubstr("malformed or truncated")));
  const std::string half = temp_file("half.onnx", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(error_message([&] { import_onnx(half); }), HasSubstr(half));
  const std::string junk = temp_file("junk.onnx", "\xff\xff\xff\xff");
  EXPECT_THAT(error_message([&] { import_onnx(junk); }), HasSubstr("not a valid ONNX model"));
  const std::string empty = temp_file("empty.onnx", "");
  EXPECT_THAT(error_message([&] { import_onnx(empty); }), HasSubstr("ir_version is missing"));
  EXPECT_THAT(error_message([&] { import_onnx("/nonexistent/m.onnx"); }),
              HasSubstr("/nonexistent/m.onnx: cannot open file"));

  const std::string pb = raw<uint8_t>("x", kU8, {2}, {1, 2}).SerializeAsString();
  const std::string tcut = temp_file("input_0.pb", pb.substr(0, pb.size() - 1));
  EXPECT_THAT(error_message([&] { read_tensor_file(tcut); }),
              AllOf(HasSubstr(tcut), HasSubstr("not a valid ONNX TensorProto")));
  const TensorFile ok = read_tensor_file(temp_file("ok.pb", pb));
  EXPECT_EQ(ok.name, "x");
  EXPECT_EQ(ok.tensor.values<uint8_t>()[1], 2);
}

TEST(GoldenOnnxImport, ScalesMustBeFinitePositive) {
  for (float bad : {0.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    onnx::ModelProto m = conv_model();
    initializer(m, "x_scale") = raw<float>("x_scale", kF32, {}, {bad});
    EXPECT_THAT(import_error(m),
                AllOf(HasSubstr("m.onnx: node 'conv' (QLinearConv)"), HasSubstr("'x_scale' value"),
                      HasSubstr("must be finite and > 0")))
        << bad;
  }
  onnx::ModelProto m = conv_model();
  initializer(m, "w_scale") = typed("w_scale", kF32, {2}, {0.25, -0.5});
  EXPECT_THAT(import_error(m), HasSubstr("input 'w_scale' value -0.5 at index 1"));
  // Each scale is fine but the requantization scale underflows float32.
  m = conv_model();
  initializer(m, "x_scale") = typed("x_scale", kF32, {}, {1e-30});
  initializer(m, "w_scale") = typed("w_scale", kF32, {2}, {1e-30, 1e-30});
  EXPECT_THAT(import_error(m), HasSubstr("is not a finite positive float32"));
}

TEST(GoldenOnnxImport, ZeroPointsOfTheWrongTypeOrOutOfRange) {
  onnx::ModelProto m = conv_model();
  initializer(m, "x_zp") = typed("x_zp", kI8, {}, {10});
  EXPECT_THAT(import_error(m), HasSubstr("node 'conv' (QLinearConv): input 'x_zero_point' is "
                                         "int8 but 'x' is uint8"));
  m = conv_model();
  initializer(m, "x_zp") = typed("x_zp", kU8, {}, {300});
  EXPECT_THAT(import_error(m), AllOf(HasSubstr("m.onnx: initializer 'x_zp'"),
                                     HasSubstr("field int32_data value 300 at index 0 is out of "
                                               "range for uint8")));
  m = conv_model();
  initializer(m, "w_zp") = typed("w_zp", kI8, {2}, {0, 1});
  EXPECT_THAT(import_error(m), HasSubstr("input 'w_zero_point' value 1 at index 1 differs from 0"));
  m = conv_model();
  initializer(m, "x_zp") = typed("x_zp", kU8, {2}, {10, 10});
  EXPECT_THAT(import_error(m), HasSubstr("input 'x_zero_point' has shape [2], expected one value"));
}

TEST(GoldenOnnxImport, BadTensorData) {
  onnx::ModelProto m = conv_model();
  initializer(m, "w") = raw<int8_t>("w", kI8, {2, 1, 1, 1}, {2, -3, 4});
  EXPECT_THAT(import_error(m),
              AllOf(HasSubstr("initializer 'w'"), HasSubstr("field raw_data has 3 bytes"),
                    HasSubstr("needs 2")));
  m = conv_model();
  initializer(m, "w_scale") = typed("w_scale", kF32, {3}, {0.25, 0.5});
  EXPECT_THAT(import_error(m), HasSubstr("field float_data has 2 values, shape [3] needs 3"));
  // Dims announcing far more than the data, or a size beyond 64 bits: an error naming the
  // initializer, checked before anything is allocated.
  m = conv_model();
  initializer(m, "w") = raw<int8_t>("w", kI8, {99999999999, 1, 1, 1}, {2, -3});
  EXPECT_THAT(import_error(m),
              AllOf(HasSubstr("initializer 'w'"),
                    HasSubstr("field raw_data has 2 bytes, shape "
                              "[99999999999, 1, 1, 1] of int8 needs 99999999999")));
  m = conv_model();
  initializer(m, "w_scale") = typed("w_scale", kF32, {4294967296, 4294967296}, {0.25});
  EXPECT_THAT(import_error(m),
              AllOf(HasSubstr("initializer 'w_scale'"), HasSubstr("overflows 64 bits")));
  m = conv_model();
  onnx::TensorProto d;
  d.set_name("x_scale");
  d.set_data_type(onnx::TensorProto_DataType_DOUBLE);
  d.add_double_data(0.1);  // DOUBLE is read as float32 only when that is exact
  initializer(m, "x_scale") = d;
  EXPECT_THAT(import_error(m),
              AllOf(HasSubstr("initializer 'x_scale'"),
                    HasSubstr("DOUBLE value 0.1 at index 0 is not exactly representable")));
  d.set_double_data(0, 0.5);
  initializer(m, "x_scale") = d;
  EXPECT_EQ(import_error(m), "");
  m = conv_model();
  initializer(m, "B") = typed("B", kF32, {2}, {4, -8});
  EXPECT_THAT(import_error(m), HasSubstr("input 'B' must be a 1-D int32 tensor, got float32 [2]"));
  m = conv_model();
  initializer(m, "w") = raw<int8_t>("w", kI8, {2, 1, 1}, {2, -3});
  EXPECT_THAT(import_error(m), HasSubstr("only 2-D convolution (weight rank 4) is supported"));
  m = conv_model();
  initializer(m, "w_scale") = typed("w_scale", kF32, {3}, {0.25, 0.5, 1});
  EXPECT_THAT(import_error(m), HasSubstr("input 'w_scale' has 3 values for 2 output channels"));
}

TEST(GoldenOnnxImport, UnsupportedAttributesOpsDomainsAndOpsets) {
  onnx::ModelProto m = conv_model();
  auto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("auto_pad");
  a->set_type(onnx::AttributeProto_AttributeType_STRING);
  a->set_s("SAME_UPPER");
  EXPECT_THAT(import_error(m), HasSubstr("node 'conv' (QLinearConv): unsupported attribute value "
                                         "auto_pad=SAME_UPPER"));
  m = conv_model();
  a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("foo");
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  EXPECT_THAT(import_error(m), HasSubstr("node 'conv' (QLinearConv): unsupported attribute 'foo'"));
  m = conv_model();
  a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("body");
  a->set_type(onnx::AttributeProto_AttributeType_GRAPH);
  EXPECT_THAT(import_error(m), HasSubstr("m.onnx: node 'conv' (QLinearConv): attribute 'body' has "
                                         "unsupported type GRAPH"));
  m = conv_model();
  m.mutable_graph()->mutable_node(0)->set_domain("com.microsoft");
  EXPECT_THAT(import_error(m), HasSubstr("unsupported operator domain 'com.microsoft'"));
  m = conv_model();
  m.mutable_opset_import(0)->set_version(9);
  EXPECT_THAT(import_error(m), HasSubstr("m.onnx: opset_import version 9 is not supported"));
  m = conv_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("QLinearSigmoid");
  EXPECT_THAT(import_error(m),
              HasSubstr("node 'conv' (QLinearSigmoid): unsupported op 'QLinearSigmoid'"));
}

TEST(GoldenOnnxImport, InconsistentGraphs) {
  onnx::ModelProto m = conv_model();
  m.mutable_graph()->mutable_node(0)->set_input(0, "nope");
  EXPECT_THAT(import_error(m), HasSubstr("node 'conv' (QLinearConv): input 0 'nope' is not "
                                         "defined"));
  m = conv_model();
  m.mutable_graph()->mutable_node(0)->set_output(0, "w");
  EXPECT_THAT(import_error(m), HasSubstr("tensor 'w' is defined more than once"));
  m = conv_model();
  m.mutable_graph()->mutable_output(0)->set_name("z");
  EXPECT_THAT(import_error(m), HasSubstr("graph output 'z' is not produced"));
  m = conv_model();
  m.clear_graph();
  EXPECT_THAT(import_error(m), HasSubstr("m.onnx: the model has no graph"));
}

// The compiler needs parameters as constants; the golden reference reads them from graph
// inputs too (ONNX's operator tests feed them so), with the element type checked.
TEST(GoldenOnnxImport, ParametersMustBeConstantsForTheCompiler) {
  onnx::ModelProto m = conv_model();
  auto* inits = m.mutable_graph()->mutable_initializer();
  inits->erase(inits->begin());  // x_scale becomes a graph input
  add_io(m.mutable_graph()->add_input(), "x_scale", kF32, {});
  EXPECT_THAT(import_error(m), HasSubstr("input 1 'x_scale' ('x_scale') must be a constant"));
  const OnnxModel model = import_onnx(m, "m.onnx");
  const Tensor x = Tensor::from<uint8_t>({1, 1, 2, 2}, {10, 20, 30, 40});
  EXPECT_THAT(
      error_message([&] {
        golden::run_model(model.graph, {{"x", x}, {"x_scale", Tensor::from<uint8_t>({}, {1})}});
      }),
      HasSubstr("graph input 'x_scale': expected float32, got uint8"));
  EXPECT_THAT(error_message([&] {
                golden::run_model(model.graph, {{"x", x},
                                                {"x_scale", Tensor::from<float>({}, {1})},
                                                {"w", Tensor::from<float>({}, {1})}});
              }),
              HasSubstr("'w' is not an input of graph 'g'"));
  const Tensor y =
      golden::run_model(model.graph, {{"x", x}, {"x_scale", Tensor::from<float>({}, {0.5f})}})
          .output("y");
  EXPECT_EQ(y.values<uint8_t>()[7], 2);
}

// One-node models for the other QOperator ops.
onnx::ModelProto single(const std::string& op, std::vector<onnx::TensorProto> inits,
                        std::vector<std::string> inputs, int32_t x_type) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  add_io(g->add_input(), "x", x_type, {2, 2});
  add_io(g->add_output(), "y", kF32, {2, 2});
  for (auto& t : inits) *g->add_initializer() = t;
  onnx::NodeProto* n = g->add_node();
  n->set_name("n");
  n->set_op_type(op);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output("y");
  return m;
}

TEST(GoldenOnnxImport, DequantizeInt32NeedsZeroPointZero) {
  const onnx::ModelProto m =
      single("DequantizeLinear", {typed("s", kF32, {}, {0.5}), typed("z", kI32, {}, {5})},
             {"x", "s", "z"}, kI32);
  OnnxModel model = import_onnx(m, "d.onnx");
  EXPECT_THAT(error_message([&] { canonicalize_qop(model.graph, model.source); }),
              HasSubstr("d.onnx: node 'n' (DequantizeLinear): input 'x_zero_point' value 5 at "
                        "index 0 is out of range: int32 data has zero point 0"));
}

TEST(GoldenOnnxImport, MatMulIntegerPerRowZeroPointsAreRejected) {
  const onnx::ModelProto m = single(
      "MatMulInteger", {typed("b", kU8, {2, 2}, {1, 2, 3, 4}), typed("az", kU8, {2}, {1, 2})},
      {"x", "b", "az"}, kU8);
  OnnxModel model = import_onnx(m, "mm.onnx");
  EXPECT_THAT(error_message([&] { canonicalize_qop(model.graph, model.source); }),
              HasSubstr("node 'n' (MatMulInteger): input 'a_zero_point' has shape [2], expected "
                        "one value"));
}

}  // namespace
}  // namespace bpusim::compiler
