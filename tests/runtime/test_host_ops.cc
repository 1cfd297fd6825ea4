// The host executor (runtime/host_ops.h): every op of its table on small tensors whose results
// are derived by hand, tensor layouts in DDR (nhwc, strided slices), and error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "runtime/host_ops.h"
#include "tests/support/test_util.h"

namespace bpusim::runtime::testing {
namespace {

using ::testing::HasSubstr;
using K = isa::HostOpKind;
using Ints = std::vector<int64_t>;
using Floats = std::vector<float>;

// A host op named after its output.
isa::HostOp op(K kind, std::vector<std::string> inputs, const std::string& output,
               std::map<std::string, isa::HostAttr> attrs = {}) {
  return {kind, output, std::move(inputs), output, std::move(attrs)};
}

class HostOps : public ::testing::Test {
 protected:
  void SetUp() override { ddr_.reset(1 << 20); }

  // Declares a tensor (dense, row-major unless `layout` says otherwise) and returns its name.
  std::string tensor(const std::string& name, DType t, Shape shape,
                     isa::TensorLayout layout = isa::TensorLayout::kRowMajor) {
    TensorDesc d;
    d.name = name;
    d.dtype = d.ir_dtype = t;
    d.shape = std::move(shape);
    d.layout = layout;
    if (layout == isa::TensorLayout::kNhwc) d.nchw = d.shape;
    d.ddr_addr = static_cast<int64_t>(next_);
    d.bytes = numel(d.shape) * static_cast<int64_t>(dtype_size(t));
    next_ += (numel(d.shape) * dtype_size(t) + 63) / 64 * 64 + 64;
    descs_.push_back(d);
    return name;
  }
  void set(const std::string& name, const Tensor& t) { write_tensor(ddr_, desc(name), t); }
  Tensor get(const std::string& name) { return read_tensor(ddr_, desc(name)); }
  const TensorDesc& desc(const std::string& name) {
    for (const auto& d : descs_)
      if (d.name == name) return d;
    throw std::runtime_error("no tensor " + name);
  }
  void run(const std::vector<isa::HostOp>& ops) {
    HostExecutor host(ddr_, descs_);
    host.run(ops, "host segment");
  }
  std::vector<float> floats(const std::string& name) {
    const Tensor t = get(name);
    return {t.values<float>().begin(), t.values<float>().end()};
  }

  Ddr ddr_;
  std::vector<TensorDesc> descs_;
  uint64_t next_ = 0;
};

TEST_F(HostOps, QuantizeDivAndMulInvAndPerAxis) {
  tensor("x", DType::kF32, {1, 2, 1, 2});
  tensor("q", DType::kU8, {1, 2, 1, 2});
  tensor("qa", DType::kI8, {1, 2, 1, 2});
  set("x", Tensor::from<float>({1, 2, 1, 2}, {0.25f, 0.75f, -1.0f, 1000.0f}));
  run({op(K::kQuantize, {"x"}, "q", {{"y_scale", 0.5f}, {"y_zero_point", int64_t{10}}}),
       op(K::kQuantize, {"x"}, "qa",
          {{"y_scale", Floats{0.5f, 0.25f}},
           {"y_zero_point", Ints{0, -3}},
           {"axis", int64_t{1}}})});
  // 0.5 -> 0 (half to even) + 10; 1.5 -> 2 + 10; -2 + 10; 2000 + 10 saturates.
  EXPECT_EQ(get("q"), Tensor::from<uint8_t>({1, 2, 1, 2}, {10, 12, 8, 255}));
  // Channel 0 scale 0.5: 0, 2 (1.5 -> 2); channel 1 scale 0.25, zp -3: -7, saturates at 127.
  EXPECT_EQ(get("qa"), Tensor::from<int8_t>({1, 2, 1, 2}, {0, 2, -7, 127}));
}

TEST_F(HostOps, DequantizeIsOneConversionAndOneMultiply) {
  tensor("q", DType::kU8, {4});
  tensor("f", DType::kF32, {4});
  set("q", Tensor::from<uint8_t>({4}, {0, 128, 129, 255}));
  run({op(K::kDequantize, {"q"}, "f", {{"x_scale", 0.1f}, {"x_zero_point", int64_t{128}}})});
  EXPECT_EQ(floats("f"), (std::vector<float>{-128 * 0.1f, 0.0f, 0.1f, 127 * 0.1f}));
}

TEST_F(HostOps, ConvWithPaddingStrideAndBias) {
  tensor("x", DType::kF32, {1, 1, 3, 3});
  tensor("w", DType::kF32, {1, 1, 2, 2});
  tensor("b", DType::kF32, {1});
  tensor("y", DType::kF32, {1, 1, 2, 2});
  set("x", Tensor::from<float>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
  set("w", Tensor::from<float>({1, 1, 2, 2}, {1, 0, 0, -1}));
  set("b", Tensor::from<float>({1}, {0.5f}));
  run({op(K::kConv, {"x", "w", "b"}, "y", {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 0, 0}}})});
  // Windows start at (-1,-1), (-1,1), (1,-1), (1,1): x[iy][ix] - x[iy+1][ix+1] + 0.5 with
  // zeros outside: 0 - 1, 0 - 3, 0 - 7, 5 - 9.
  EXPECT_EQ(floats("y"), (std::vector<float>{-0.5f, -2.5f, -6.5f, -3.5f}));
}

TEST_F(HostOps, GemmTransposedWithBroadcastBias) {
  tensor("a", DType::kF32, {2, 3});
  tensor("b", DType::kF32, {2, 3});
  tensor("c", DType::kF32, {2});
  tensor("y", DType::kF32, {2, 2});
  set("a", Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6}));
  set("b", Tensor::from<float>({2, 3}, {1, 0, 0, 0, 1, 1}));
  set("c", Tensor::from<float>({2}, {10, 20}));
  run({op(K::kGemm, {"a", "b", "c"}, "y",
          {{"transB", int64_t{1}}, {"alpha", 2.0f}, {"beta", 0.5f}})});
  EXPECT_EQ(floats("y"), (std::vector<float>{2 * 1 + 5, 2 * 5 + 10, 2 * 4 + 5, 2 * 11 + 10}));
}

TEST_F(HostOps, MatMulBroadcastsBatches) {
  tensor("a", DType::kF32, {2, 1, 2});
  tensor("b", DType::kF32, {2, 1});
  tensor("y", DType::kF32, {2, 1, 1});
  set("a", Tensor::from<float>({2, 1, 2}, {1, 2, 3, 4}));
  set("b", Tensor::from<float>({2, 1}, {10, 1}));
  run({op(K::kMatMul, {"a", "b"}, "y")});
  EXPECT_EQ(floats("y"), (std::vector<float>{12, 34}));
}

TEST_F(HostOps, PoolingMaxAverageAndGlobal) {
  tensor("x", DType::kF32, {1, 1, 2, 2});
  tensor("mx", DType::kF32, {1, 1, 2, 2});
  tensor("av", DType::kF32, {1, 1, 2, 2});
  tensor("avp", DType::kF32, {1, 1, 2, 2});
  tensor("g", DType::kF32, {1, 1, 1, 1});
  set("x", Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 6}));
  const std::map<std::string, isa::HostAttr> window{{"kernel_shape", Ints{2, 2}},
                                                    {"pads", Ints{1, 1, 0, 0}}};
  auto include_pad = window;
  include_pad["count_include_pad"] = int64_t{1};
  run({op(K::kMaxPool, {"x"}, "mx", window), op(K::kAveragePool, {"x"}, "av", window),
       op(K::kAveragePool, {"x"}, "avp", include_pad), op(K::kGlobalAveragePool, {"x"}, "g")});
  EXPECT_EQ(floats("mx"), (std::vector<float>{1, 2, 3, 6}));
  EXPECT_EQ(floats("av"), (std::vector<float>{1, 1.5f, 2, 3}));
  EXPECT_EQ(floats("avp"), (std::vector<float>{0.25f, 0.75f, 1, 3}));
  EXPECT_EQ(floats("g"), (std::vector<float>{3}));
}

TEST_F(HostOps, ElementwiseOps) {
  tensor("a", DType::kF32, {2, 2});
  tensor("b", DType::kF32, {2});
  tensor("sum", DType::kF32, {2, 2});
  tensor("prod", DType::kF32, {2, 2});
  tensor("relu", DType::kF32, {2, 2});
  tensor("sig", DType::kF32, {2});
  set("a", Tensor::from<float>({2, 2}, {-1, 2, 3, -4}));
  set("b", Tensor::from<float>({2}, {0, 10}));
  run({op(K::kAdd, {"a", "b"}, "sum"), op(K::kMul, {"a", "b"}, "prod"), op(K::kRelu, {"a"}, "relu"),
       op(K::kSigmoid, {"b"}, "sig")});
  EXPECT_EQ(floats("sum"), (std::vector<float>{-1, 12, 3, 6}));
  EXPECT_EQ(floats("prod"), (std::vector<float>{0, 20, 0, -40}));
  EXPECT_EQ(floats("relu"), (std::vector<float>{0, 2, 3, 0}));
  EXPECT_EQ(floats("sig")[0], 0.5f);
  EXPECT_EQ(floats("sig")[1], static_cast<float>(1.0 / (1.0 + std::exp(-10.0))));
}

TEST_F(HostOps, SoftmaxArgmaxConcatAndReshape) {
  tensor("x", DType::kF32, {1, 3});
  tensor("sm", DType::kF32, {1, 3});
  tensor("am", DType::kI64, {1});
  tensor("cat", DType::kF32, {2, 3});
  tensor("flat", DType::kF32, {6});
  set("x", Tensor::from<float>({1, 3}, {1, 3, 3}));
  run({op(K::kSoftmax, {"x"}, "sm", {{"axis", int64_t{1}}}),
       op(K::kArgMax, {"x"}, "am", {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}}),
       op(K::kConcat, {"x", "sm"}, "cat", {{"axis", int64_t{0}}}),
       op(K::kFlatten, {"cat"}, "flat")});
  const auto sm = floats("sm");
  EXPECT_NEAR(sm[0] + sm[1] + sm[2], 1.0f, 1e-6f);
  EXPECT_EQ(sm[1], sm[2]);
  EXPECT_EQ(get("am").values<int64_t>()[0], 1);  // the first maximum
  const auto flat = floats("flat");
  EXPECT_EQ(flat[2], 3.0f);
  EXPECT_EQ(flat[4], sm[1]);
}

TEST_F(HostOps, NhwcAndStridedSlicesInDdr) {
  tensor("img", DType::kU8, {1, 2, 1, 3}, isa::TensorLayout::kNhwc);
  const Tensor logical = Tensor::from<uint8_t>({1, 2, 1, 3}, {1, 2, 3, 10, 20, 30});
  set("img", logical);
  // DDR holds [h][w][c]: pixel by pixel, channels innermost.
  std::vector<uint8_t> raw(6);
  ddr_.read(desc("img").ddr_addr, raw, "test");
  EXPECT_EQ(raw, (std::vector<uint8_t>{1, 10, 2, 20, 3, 30}));
  EXPECT_EQ(get("img"), logical);
  // A 2-channel slice of a 5-channel image: pixels 5 bytes apart.
  TensorDesc slice = desc("img");
  slice.name = "slice";
  slice.ddr_addr = 0x8000;
  slice.pixel_stride = 5;
  write_tensor(ddr_, slice, logical);
  std::vector<uint8_t> strided(13);
  ddr_.read(0x8000, strided, "test");
  EXPECT_EQ(strided, (std::vector<uint8_t>{1, 10, 0, 0, 0, 2, 20, 0, 0, 0, 3, 30, 0}));
  EXPECT_EQ(read_tensor(ddr_, slice), logical);
}

TEST_F(HostOps, ErrorsNameTheOpAndTheProblem) {
  tensor("x", DType::kF32, {2});
  tensor("q", DType::kU8, {2});
  auto msg = [&](const isa::HostOp& o) {
    return bpusim::testing::error_message([&] { run({o}); });
  };
  EXPECT_THAT(msg(op(K::kRelu, {"nope"}, "x")),
              HasSubstr("op 0 (Relu): tensor \"nope\" is not in the TENSORS section"));
  EXPECT_THAT(msg(op(K::kQuantize, {"x"}, "q")), HasSubstr("attribute 'y_scale' is required"));
  EXPECT_THAT(msg(op(K::kRelu, {"q"}, "x")), HasSubstr("input 0 is uint8, expected float32"));
  EXPECT_THAT(msg(op(K::kSoftmax, {"x"}, "x", {{"axis", 1.5f}})),
              HasSubstr("op 0 (Softmax): attribute 'axis': expected an integer, got 1.5"));
  // Unknown ops and malformed descriptors never reach the executor: the program contract's
  // reader refuses them (tests/isa/test_program_contract.cc).
}

// A program whose declared output does not hold what the op computes (found by fuzzing
// .bpu programs: a Quantize wrote past a smaller output) is an error, never a write past it.
TEST_F(HostOps, OutputsOfTheWrongSizeAreErrors) {
  tensor("x", DType::kF32, {2, 3});
  tensor("q1", DType::kU8, {1});
  tensor("f1", DType::kF32, {1});
  tensor("a4", DType::kI64, {4});
  tensor("wide", DType::kF32, {2, 5});
  tensor("tall", DType::kF32, {3, 3});
  auto msg = [&](const isa::HostOp& o) {
    return bpusim::testing::error_message([&] { run({o}); });
  };
  EXPECT_THAT(msg(op(K::kQuantize, {"x"}, "q1", {{"y_scale", 0.5f}})),
              HasSubstr("op 0 (Quantize): computed 6 elements for the output 'q1' of shape [1]"));
  EXPECT_THAT(msg(op(K::kDequantize, {"q1"}, "x", {{"x_scale", 0.5f}})),
              HasSubstr("computed 1 elements for the output 'x' of shape [2, 3]"));
  EXPECT_THAT(msg(op(K::kArgMax, {"x"}, "a4", {{"axis", int64_t{1}}})),
              HasSubstr("computed 2 elements for the output 'a4' of shape [4]"));
  EXPECT_THAT(msg(op(K::kConcat, {"x", "x"}, "wide", {{"axis", int64_t{1}}})),
              HasSubstr("inputs add up to more than the output along the axis"));
  EXPECT_THAT(msg(op(K::kConcat, {"x"}, "tall", {{"axis", int64_t{1}}})),
              HasSubstr("input [2, 3] does not match the output [3, 3] off the axis 1"));
  EXPECT_THAT(msg(op(K::kSoftmax, {"x"}, "x", {{"axis", int64_t{5}}})),
              HasSubstr("op 0 (Softmax): axis out of range"));
}

}  // namespace
}  // namespace bpusim::runtime::testing
