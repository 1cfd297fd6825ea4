// The golden reference's model interpreter (golden/model.h) and its parameter recipes
// (golden/recipes.h): bit for bit against PyTorch's own outputs on every committed export, the
// worked examples of docs/requantizer.md, and clear errors for patterns outside its rules. No
// compiler code is linked: these results stand on golden alone.
#include <cmath>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "common/npy.h"
#include "golden/model.h"
#include "golden/recipes.h"
#include "ir/onnx_import.h"
#include "tests/support/test_util.h"

namespace bpusim::golden {
namespace {

namespace fs = std::filesystem;
using bpusim::testing::error_message;
using ::testing::HasSubstr;

// Elements of two tensors of the same type and shape that differ (floats by their bits).
int64_t differing(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.dtype(), b.dtype());
  EXPECT_EQ(a.shape(), b.shape());
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return a.numel();
  int64_t n = 0;
  for (size_t i = 0; i < a.bytes().size(); i += dtype_size(a.dtype()))
    n += std::memcmp(a.bytes().data() + i, b.bytes().data() + i, dtype_size(a.dtype())) != 0;
  return n;
}

// Every committed PyTorch export (tests/data/models/*/model.onnx): each graph output equals
// PyTorch's (torch_<output>.npy) bit for bit.
TEST(GoldenModel, CommittedExportsEqualPyTorch) {
  int compared = 0;
  for (const auto& dir : fs::directory_iterator(testing::source_dir() + "/tests/data/models")) {
    if (!fs::exists(dir.path() / "model.onnx")) continue;
    SCOPED_TRACE(dir.path().filename().string());
    const ir::OnnxModel m = ir::import_onnx((dir.path() / "model.onnx").string());
    const RunResult r =
        run_model(m.graph, {{"x", read_npy((dir.path() / "input_x.npy").string())}});
    for (const NamedTensor& out : r.outputs) {
      const fs::path want = dir.path() / ("torch_" + out.name + ".npy");
      ASSERT_TRUE(fs::exists(want)) << want;
      EXPECT_EQ(differing(out.tensor, read_npy(want.string())), 0) << out.name;
      ++compared;
    }
  }
  EXPECT_GE(compared, 6);
}

// The default model on all 360 of its test images.
TEST(GoldenModel, DigitsEqualPyTorchOnEveryTestImage) {
  const std::string dir = testing::source_dir() + "/models/digits";
  const ir::OnnxModel m = ir::import_onnx(dir + "/model.onnx");
  const Tensor images = read_npy(dir + "/test_x.npy");
  const Tensor logits = read_npy(dir + "/torch_logits.npy");
  ASSERT_EQ(images.dim(0), 360);
  const int64_t in_size = images.numel() / images.dim(0), out_size = logits.numel() / 360;
  int64_t bad = 0;
  for (int64_t i = 0; i < images.dim(0); ++i) {
    Tensor x(DType::kF32, {1, images.dim(1), images.dim(2), images.dim(3)});
    std::copy_n(images.values<float>().begin() + i * in_size, in_size, x.values<float>().begin());
    const Tensor y = run_model(m.graph, {{"x", x}}).output("logits");
    ASSERT_EQ(y.numel(), out_size);
    for (int64_t k = 0; k < out_size; ++k)
      bad += y.values<float>()[k] != logits.values<float>()[i * out_size + k];
  }
  EXPECT_EQ(bad, 0);
}

// ---- recipes: docs/requantizer.md section 9 and docs/pytorch-recipes.md ----

TEST(GoldenRecipes, QnnpackAddParametersOfTheWorkedExample) {
  const ir::AddParams p =
      qnnpack_add_params({0.05f, 128}, {0.1f, 120}, {0.12f, 125}, DType::kU8, false, "add");
  EXPECT_EQ(p.add_shift, 22);
  EXPECT_EQ(p.add_mult_a, 1747627);
  EXPECT_EQ(p.add_mult_b, 3495254);
  EXPECT_EQ(p.add_const, -643126736);
  EXPECT_EQ(p.add_zp, 125);
  EXPECT_EQ(p.add_min, 0);
  EXPECT_EQ(
      qnnpack_add_params({0.05f, 128}, {0.1f, 120}, {0.12f, 125}, DType::kU8, true, "add").add_min,
      125);
  EXPECT_THAT(error_message([] {
                qnnpack_add_params({1.0f, 0}, {1.0f, 0}, {1e-3f, 0}, DType::kU8, false, "node 'a'");
              }),
              HasSubstr("node 'a': operand scale / output scale = 1000"));
}

TEST(GoldenRecipes, RequantizationScalesInEachFrameworksOrder) {
  EXPECT_EQ(onnx_requant_scale(0.0235f, 0.0031f, 0.0472f), 0.001543432124890387f);
  const float x = 0.0235f, w = 0.0031f, y = 0.0472f;
  EXPECT_EQ(qnnpack_requant_scale(x, w, y), (w * x) * (1.0f / y));
  EXPECT_EQ(qnnpack_avg_pool_scale(0.5f, 0.25f, 6), 0.5f / (0.25f * 6.0f));
}

// PyTorch's nearest index rule (docs/pytorch-recipes.md 2.21) from the float32 scale of the
// ONNX Resize: factor 2 doubles, 1.75 maps 8 rows to 14 with float(1 / 1.75) = 0.571428597.
TEST(GoldenRecipes, NearestSourcesFollowPyTorchsIndexRule) {
  auto from_scale = [](int64_t in, float s) {
    return nearest_sources(upsample_axis_from_scale(in, s, false));
  };
  EXPECT_EQ(from_scale(3, 2.0f), (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(from_scale(8, 1.75f), (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7}));
  EXPECT_EQ(from_scale(4, 1.0f), (std::vector<int64_t>{0, 1, 2, 3}));  // a copy
  EXPECT_EQ(from_scale(5, 0.5f), (std::vector<int64_t>{0, 2}));
  // F.interpolate(size=...): scale = float(in) / float(out); 3 -> 7: 3/7 = 0.428571...
  EXPECT_EQ(nearest_sources(upsample_axis_from_size(3, 7, false)),
            (std::vector<int64_t>{0, 0, 0, 1, 1, 2, 2}));
}

// Bilinear sources (2.21): half-pixel x2 gives weights 0.25 / 0.75 with the first output
// clamped to the first input; align_corners maps the corners onto each other.
TEST(GoldenRecipes, BilinearSourcesFollowPyTorchsRule) {
  const std::vector<LinearSource> half =
      bilinear_sources(upsample_axis_from_scale(2, 2.0f, false), false, false);
  ASSERT_EQ(half.size(), 4u);
  EXPECT_EQ(half[0].lo, 0);
  EXPECT_EQ(half[0].w_hi, 0.0f);  // r = -0.25 clamped to 0
  EXPECT_EQ(half[1].lo, 0);
  EXPECT_EQ(half[1].hi, 1);
  EXPECT_EQ(half[1].w_hi, 0.25f);
  EXPECT_EQ(half[3].lo, 1);
  EXPECT_EQ(half[3].hi, 1);  // the last input has no right neighbour
  const std::vector<LinearSource> corners =
      bilinear_sources(upsample_axis_from_size(3, 5, true), true, true);
  ASSERT_EQ(corners.size(), 5u);
  EXPECT_EQ(corners[4].lo, 2);
  EXPECT_EQ(corners[4].w_hi, 0.0f);
  EXPECT_EQ(corners[1].w_hi, 0.5f);
}

TEST(GoldenRecipes, FixedPointScaleIsExact) {
  for (const float s : {0.05f, 1.0f, 0.001543432124890387f, 3.0e-7f, 1000.5f}) {
    const FixedScale f = fixed_point_scale(s, "t");
    EXPECT_GE(f.mult, 1 << 30) << s;
    EXPECT_LE(f.shift, 62) << s;
    EXPECT_EQ(std::ldexp(static_cast<double>(f.mult), -f.shift), static_cast<double>(s)) << s;
  }
  EXPECT_EQ(fixed_point_scale(std::ldexp(1.0f, -32), "t").shift, 62);
  const FixedScale tiny = fixed_point_scale(std::ldexp(1.0f, -33), "t");
  EXPECT_EQ(tiny.mult, 0);
  EXPECT_EQ(tiny.shift, 0);
  EXPECT_THAT(error_message([] { fixed_point_scale(std::ldexp(1.0f, 31), "node 'c'"); }),
              HasSubstr("node 'c': requantization scale 2.14748e+09 is >= 2^31"));
  EXPECT_THAT(error_message([] { fixed_point_scale(-1.0f, "node 'c'"); }),
              HasSubstr("must be finite and > 0"));
}

// ---- patterns outside the rules are errors naming the node ----

// x (float [1, 1, 2, 2]) -> QuantizeLinear -> DequantizeLinear -> `op` -> [QuantizeLinear] -> y.
onnx::ModelProto chain(const std::string& op, bool requantize) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  auto io = [](onnx::ValueInfoProto* v, const std::string& name, int type) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    for (int64_t d : {1, 1, 2, 2}) t->mutable_shape()->add_dim()->set_dim_value(d);
  };
  io(g->add_input(), "x", onnx::TensorProto_DataType_FLOAT);
  io(g->add_output(), "y",
     requantize ? onnx::TensorProto_DataType_UINT8 : onnx::TensorProto_DataType_FLOAT);
  onnx::TensorProto* s = g->add_initializer();
  s->set_name("s");
  s->set_data_type(onnx::TensorProto_DataType_FLOAT);
  s->add_float_data(0.5f);
  onnx::TensorProto* z = g->add_initializer();
  z->set_name("z");
  z->set_data_type(onnx::TensorProto_DataType_UINT8);
  z->add_int32_data(10);
  auto node = [&](const std::string& type, std::vector<std::string> in, const std::string& out) {
    onnx::NodeProto* n = g->add_node();
    n->set_name(type == op ? "the_op" : type + "_" + out);
    n->set_op_type(type);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  node("QuantizeLinear", {"x", "s", "z"}, "q");
  node("DequantizeLinear", {"q", "s", "z"}, "dq");
  const std::string op_out = requantize ? "f" : "y";
  if (op == "Pad") {
    onnx::TensorProto* p = g->add_initializer();
    p->set_name("pads");
    p->set_data_type(onnx::TensorProto_DataType_INT64);
    p->add_dims(8);
    for (int64_t v : {0, 0, 1, 1, 0, 0, 1, 1}) p->add_int64_data(v);
    node(op, {"dq", "pads"}, op_out);
  } else if (op == "AveragePool") {
    onnx::AttributeProto* k = node(op, {"dq"}, op_out)->add_attribute();
    k->set_name("kernel_shape");
    k->set_type(onnx::AttributeProto_AttributeType_INTS);
    k->add_ints(2);
    k->add_ints(2);
  } else {
    node(op, {"dq"}, op_out);
  }
  if (requantize) node("QuantizeLinear", {"f", "s", "z"}, "y");
  return m;
}

TEST(GoldenModel, PatternsOutsideTheRulesAreErrorsNamingTheNode) {
  const Tensor x = Tensor::from<float>({1, 1, 2, 2}, {0.5f, -1.0f, 2.0f, 3.5f});
  auto run_error = [&](const std::string& op, bool requantize) {
    const ir::OnnxModel m = ir::import_onnx(chain(op, requantize), "m.onnx");
    return error_message([&] { run_model(m.graph, {{"x", x}}); });
  };
  EXPECT_THAT(run_error("Pad", true),
              HasSubstr("node 'the_op' (Pad): a Pad whose result is quantized directly"));
  EXPECT_THAT(run_error("Relu", false),
              HasSubstr("graph output 'y' is a quantized op's result that no QuantizeLinear "
                        "requantizes"));
  EXPECT_THAT(run_error("Sin", true),
              HasSubstr("node 'the_op' (Sin): the golden reference has no semantics for op 'Sin'"));
  // The supported neighbour: Relu requantized keeps the qparams (2.9): max(q, zp).
  const ir::OnnxModel ok = ir::import_onnx(chain("Relu", true), "m.onnx");
  const Tensor y = run_model(ok.graph, {{"x", x}}).output("y");
  EXPECT_EQ(y, Tensor::from<uint8_t>({1, 1, 2, 2}, {11, 10, 14, 17}));
}

// requant.mode fixed applies each stage-1 scale in its fixed-point form, which rounds ties
// half away from zero (docs/requantizer.md 4.2): a 2x2 average pool whose sum of (x - zx) is 2
// at scale 0.5 / (0.5 * 4) = 0.25 gives 0.5, which fp32 rounds to 0 and fixed to 1.
TEST(GoldenModel, FixedModeRoundsTiesAwayFromZero) {
  const ir::OnnxModel m = ir::import_onnx(chain("AveragePool", true), "m.onnx");
  const std::map<std::string, Tensor> x{
      {"x", Tensor::from<float>({1, 1, 2, 2}, {0.5f, 0.5f, 0.0f, 0.0f})}};  // q = 11, 11, 10, 10
  ModelOptions fixed;
  fixed.requant_mode = ir::Stage1Mode::kFixed;
  EXPECT_EQ(run_model(m.graph, x).output("y"), Tensor::from<uint8_t>({1, 1, 1, 1}, {10}));
  EXPECT_EQ(run_model(m.graph, x, fixed).output("y"), Tensor::from<uint8_t>({1, 1, 1, 1}, {11}));
}

}  // namespace
}  // namespace bpusim::golden
