// The host executor (runtime/host_ops.h): every op of its table on small tensors whose results
// are derived by hand, tensor layouts in DDR (nhwc, strided slices), and error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "runtime/host_ops.h"
#include "tests/support/test_util.h"

namespace bpusim::runtime::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class HostOps : public ::testing::Test {
 protected:
  void SetUp() override { ddr_.reset(1 << 20); }

  // Declares a tensor (dense, nchw unless `layout` says otherwise) and returns its name.
  std::string tensor(const std::string& name, DType t, Shape shape,
                     const std::string& layout = "nchw") {
    TensorDesc d;
    d.name = name;
    d.dtype = d.ir_dtype = t;
    d.shape = std::move(shape);
    d.ddr_addr = next_;
    d.layout = layout;
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
  void run(const json& ops) {
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
  run(json::parse(R"([
    {"op": "Quantize", "inputs": ["x"], "outputs": ["q"], "attrs": {"y_scale": 0.5, "y_zero_point": 10}},
    {"op": "Quantize", "inputs": ["x"], "outputs": ["qa"],
     "attrs": {"y_scale": [0.5, 0.25], "y_zero_point": [0, -3], "axis": 1}}
  ])"));
  // 0.5 -> 0 (half to even) + 10; 1.5 -> 2 + 10; -2 + 10; 2000 + 10 saturates.
  EXPECT_EQ(get("q"), Tensor::from<uint8_t>({1, 2, 1, 2}, {10, 12, 8, 255}));
  // Channel 0 scale 0.5: 0, 2 (1.5 -> 2); channel 1 scale 0.25, zp -3: -7, saturates at 127.
  EXPECT_EQ(get("qa"), Tensor::from<int8_t>({1, 2, 1, 2}, {0, 2, -7, 127}));
}

TEST_F(HostOps, DequantizeIsOneConversionAndOneMultiply) {
  tensor("q", DType::kU8, {4});
  tensor("f", DType::kF32, {4});
  set("q", Tensor::from<uint8_t>({4}, {0, 128, 129, 255}));
  run(json::parse(R"([{"op": "Dequantize", "inputs": ["q"], "outputs": ["f"],
                       "attrs": {"x_scale": 0.1, "x_zero_point": 128}}])"));
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
  run(json::parse(R"([{"op": "Conv", "inputs": ["x", "w", "b"], "outputs": ["y"],
                       "attrs": {"strides": [2, 2], "pads": [1, 1, 0, 0]}}])"));
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
  run(json::parse(R"([{"op": "Gemm", "inputs": ["a", "b", "c"], "outputs": ["y"],
                       "attrs": {"transB": 1, "alpha": 2.0, "beta": 0.5}}])"));
  EXPECT_EQ(floats("y"), (std::vector<float>{2 * 1 + 5, 2 * 5 + 10, 2 * 4 + 5, 2 * 11 + 10}));
}

TEST_F(HostOps, MatMulBroadcastsBatches) {
  tensor("a", DType::kF32, {2, 1, 2});
  tensor("b", DType::kF32, {2, 1});
  tensor("y", DType::kF32, {2, 1, 1});
  set("a", Tensor::from<float>({2, 1, 2}, {1, 2, 3, 4}));
  set("b", Tensor::from<float>({2, 1}, {10, 1}));
  run(json::parse(R"([{"op": "MatMul", "inputs": ["a", "b"], "outputs": ["y"]}])"));
  EXPECT_EQ(floats("y"), (std::vector<float>{12, 34}));
}

TEST_F(HostOps, PoolingMaxAverageAndGlobal) {
  tensor("x", DType::kF32, {1, 1, 2, 2});
  tensor("mx", DType::kF32, {1, 1, 2, 2});
  tensor("av", DType::kF32, {1, 1, 2, 2});
  tensor("avp", DType::kF32, {1, 1, 2, 2});
  tensor("g", DType::kF32, {1, 1, 1, 1});
  set("x", Tensor::from<float>({1, 1, 2, 2}, {1, 2, 3, 6}));
  run(json::parse(R"([
    {"op": "MaxPool", "inputs": ["x"], "outputs": ["mx"], "attrs": {"kernel_shape": [2, 2], "pads": [1, 1, 0, 0]}},
    {"op": "AveragePool", "inputs": ["x"], "outputs": ["av"], "attrs": {"kernel_shape": [2, 2], "pads": [1, 1, 0, 0]}},
    {"op": "AveragePool", "inputs": ["x"], "outputs": ["avp"],
     "attrs": {"kernel_shape": [2, 2], "pads": [1, 1, 0, 0], "count_include_pad": 1}},
    {"op": "GlobalAveragePool", "inputs": ["x"], "outputs": ["g"]}
  ])"));
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
  run(json::parse(R"([
    {"op": "Add", "inputs": ["a", "b"], "outputs": ["sum"]},
    {"op": "Mul", "inputs": ["a", "b"], "outputs": ["prod"]},
    {"op": "Relu", "inputs": ["a"], "outputs": ["relu"]},
    {"op": "Sigmoid", "inputs": ["b"], "outputs": ["sig"]}
  ])"));
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
  run(json::parse(R"([
    {"op": "Softmax", "inputs": ["x"], "outputs": ["sm"], "attrs": {"axis": 1}},
    {"op": "ArgMax", "inputs": ["x"], "outputs": ["am"], "attrs": {"axis": 1, "keepdims": 0}},
    {"op": "Concat", "inputs": ["x", "sm"], "outputs": ["cat"], "attrs": {"axis": 0}},
    {"op": "Flatten", "inputs": ["cat"], "outputs": ["flat"]}
  ])"));
  const auto sm = floats("sm");
  EXPECT_NEAR(sm[0] + sm[1] + sm[2], 1.0f, 1e-6f);
  EXPECT_EQ(sm[1], sm[2]);
  EXPECT_EQ(get("am").values<int64_t>()[0], 1);  // the first maximum
  const auto flat = floats("flat");
  EXPECT_EQ(flat[2], 3.0f);
  EXPECT_EQ(flat[4], sm[1]);
}

TEST_F(HostOps, NhwcAndStridedSlicesInDdr) {
  tensor("img", DType::kU8, {1, 2, 1, 3}, "nhwc");
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
  auto msg = [&](const char* ops) {
    return bpusim::testing::error_message([&] { run(json::parse(ops)); });
  };
  EXPECT_THAT(msg(R"([{"op": "Relu", "inputs": ["nope"], "outputs": ["x"]}])"),
              HasSubstr("op 0 (Relu): tensor \"nope\" is not in the TENSORS section"));
  EXPECT_THAT(msg(R"([{"op": "Quantize", "inputs": ["x"], "outputs": ["q"]}])"),
              HasSubstr("attribute 'y_scale' is required"));
  EXPECT_THAT(msg(R"([{"op": "Relu", "inputs": ["q"], "outputs": ["x"]}])"),
              HasSubstr("input 0 is uint8, expected float32"));
  EXPECT_THAT(msg(R"([{"op": "Nope", "inputs": [], "outputs": ["x"]}])"),
              HasSubstr("unknown host op (known: Add, ArgMax"));
}

TEST(HostTensors, ParseErrorsNameTheTensorAndKey) {
  EXPECT_THAT(bpusim::testing::error_message([] {
                parse_tensors(json::parse(R"([{"name": "t", "dtype": "uint8", "shape": [2]}])"),
                              "p.bpu");
              }),
              HasSubstr("p.bpu: TENSORS[0] 't': needs 'dtype', 'shape' and 'ddr_addr'"));
  EXPECT_THAT(
      bpusim::testing::error_message([] {
        parse_tensors(
            json::parse(R"([{"name": "t", "dtype": "uint9", "shape": [2], "ddr_addr": 0}])"),
            "p.bpu");
      }),
      HasSubstr("unknown element type 'uint9'"));
  EXPECT_THAT(bpusim::testing::error_message([] {
                parse_tensors(json::parse(R"([{"name": "t", "dtype": "uint8", "shape": [2, 3],
                  "ddr_addr": 0, "scales": [1, 2], "zps": [0, 0], "axis": 1}])"),
                              "p.bpu");
              }),
              HasSubstr("2 scales do not match axis 1 of shape [2, 3]"));
}

}  // namespace
}  // namespace bpusim::runtime::testing
