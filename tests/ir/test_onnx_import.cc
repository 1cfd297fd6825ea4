// The importer's report of PyTorch exports whose biases torch.onnx.export folded
// (ir::folded_bias_layers): every committed model_folded.onnx names exactly its layers with
// a bias; the model.onnx exports (Cast(Div) bias chains) name none.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/onnx_import.h"
#include "tests/support/test_util.h"

namespace bpusim::ir {
namespace {

namespace fs = std::filesystem;

TEST(OnnxImport, FoldedBiasesOfPyTorchExportsAreReported) {
  const fs::path root = fs::path(testing::source_dir()) / "tests/data/models";
  int folded_models = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!fs::exists(dir.path() / "model_folded.onnx")) continue;
    SCOPED_TRACE(dir.path().filename().string());
    const OnnxModel plain = import_onnx((dir.path() / "model.onnx").string());
    EXPECT_EQ(plain.producer, "pytorch");
    EXPECT_TRUE(folded_bias_layers(plain).empty());
    EXPECT_EQ(folded_bias_warning(plain), "");
    const OnnxModel folded = import_onnx((dir.path() / "model_folded.onnx").string());
    const std::vector<std::string> layers = folded_bias_layers(folded);
    // Every Conv/Gemm with a dequantized bias in the unfolded export is one of them.
    int with_bias = 0;
    for (const Node& n : plain.graph.nodes)
      if ((n.op == "Conv" || n.op == "Gemm") && n.inputs.size() > 2 &&
          plain.graph.producer(n.inputs[2]) >= 0 &&
          plain.graph.nodes[plain.graph.producer(n.inputs[2])].op == "DequantizeLinear")
        ++with_bias;
    EXPECT_EQ(static_cast<int>(layers.size()), with_bias);
    if (layers.empty()) continue;
    ++folded_models;
    EXPECT_THAT(folded_bias_warning(folded),
                ::testing::AllOf(::testing::HasSubstr("model_folded.onnx: the bias of "),
                                 ::testing::HasSubstr(layers.front()),
                                 ::testing::HasSubstr("do_constant_folding=False")));
  }
  EXPECT_GE(folded_models, 5);
}

}  // namespace
}  // namespace bpusim::ir
