// `bpusim golden` as a user runs it: outputs written as DIR/<output name>.npy equal PyTorch's,
// argmax indices as int64, and exit code 2 with a clear message for unknown --set keys,
// invalid hardware configs, missing inputs and malformed model files.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "common/npy.h"
#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::CliResult;
using testing::run_bpusim;

std::string model(const std::string& name) {
  return (fs::path(testing::source_dir()) / "tests/data/models" / name).string();
}

fs::path out_dir(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / "frontend_cli" / name;
  fs::remove_all(d);
  return d;
}

TEST(FrontendCli, GoldenWritesPyTorchsOutputs) {
  const fs::path dir = out_dir("float_region");
  const CliResult r = run_bpusim("golden " + model("float_region") +
                                 "/model.onnx --input x=" + model("float_region") +
                                 "/input_x.npy --output-dir " + dir.string());
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("logits: float32 [4, 10] -> "));
  EXPECT_EQ(read_npy((dir / "logits.npy").string()),
            read_npy(model("float_region") + "/torch_logits.npy"));

  const fs::path idx = out_dir("pool_concat");
  const CliResult a = run_bpusim(
      "golden " + model("pool_concat") + "/model.onnx --input x=" + model("pool_concat") +
      "/input_x.npy --output-dir " + idx.string() + " --set requant.mode=fixed");
  ASSERT_EQ(a.status, 0) << a.output();
  const Tensor classes = read_npy((idx / "class_idx.npy").string());
  EXPECT_EQ(classes.dtype(), DType::kI64);
  EXPECT_EQ(classes.shape(), (Shape{4}));
}

// A PyTorch export with torch.onnx.export's default constant folding: one warning per command
// naming the folded layers and the fix; none for the export without folding.
TEST(FrontendCli, FoldedBiasExportsAreWarnedOnce) {
  const std::string dir = model("depthwise");
  for (const char* cmd : {"compile", "golden", "verify"}) {
    SCOPED_TRACE(cmd);
    const fs::path scratch = out_dir(cmd);
    fs::create_directories(scratch);
    const std::string tail =
        std::string(cmd) == "compile" ? " -o " + (scratch / "p.bpu").string()
        : std::string(cmd) == "golden"
            ? " --input x=" + dir + "/input_x.npy --output-dir " + scratch.string()
            : "";
    const CliResult folded = run_bpusim(cat(cmd, " ", dir, "/model_folded.onnx", tail));
    ASSERT_EQ(folded.status, 0) << folded.output();
    const std::string out = folded.output();
    const size_t at = out.find("is an int32 constant that torch.onnx.export folded");
    ASSERT_NE(at, std::string::npos) << out;
    EXPECT_EQ(out.find("is an int32 constant that torch.onnx.export folded", at + 1),
              std::string::npos);
    EXPECT_THAT(out, HasSubstr("/stem/Conv"));
    const CliResult plain = run_bpusim(cat(cmd, " ", dir, "/model.onnx", tail));
    EXPECT_EQ(plain.output().find("torch.onnx.export folded"), std::string::npos);
  }
}

TEST(FrontendCli, DynamicBatchTakesTheInputsShape) {
  // The residual model with its batch dimension made symbolic (dynamic_axes).
  onnx::ModelProto m;
  {
    std::ifstream in(model("residual") + "/model.onnx", std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  m.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("N");
  const fs::path file = fs::path(::testing::TempDir()) / "residual_dynamic.onnx";
  {
    std::ofstream out(file, std::ios::binary);
    ASSERT_TRUE(m.SerializeToOstream(&out));
  }
  const fs::path dir = out_dir("dynamic");
  const CliResult r = run_bpusim("golden " + file.string() + " --input x=" + model("residual") +
                                 "/input_x.npy --output-dir " + dir.string());
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_EQ(read_npy((dir / "logits.npy").string()),
            read_npy(model("residual") + "/torch_logits.npy"));
  // bpusim compile needs static shapes and says so.
  const CliResult c = run_bpusim("compile " + file.string() + " -o " + (dir / "p.bpu").string());
  EXPECT_EQ(c.status, 2);
  EXPECT_THAT(c.output(), HasSubstr("graph input 'x' has no static shape"));
}

TEST(FrontendCli, UserErrorsExitWithCode2AndAMessage) {
  const std::string m = model("mlp") + "/model.onnx";
  const std::string x = " --input x=" + model("mlp") + "/input_x.npy";
  const std::string o = " --output-dir " + out_dir("errors").string();
  CliResult r = run_bpusim("golden " + m + x + o + " --set requant.foo=1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("requant.foo"));
  r = run_bpusim("golden " + m + x + o + " --set requant.mode=float");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("requant.mode"));
  r = run_bpusim("golden " + m + o);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("graph input 'x' was not provided"));
  r = run_bpusim("golden " + m + " --input x=/nonexistent.npy" + o);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("/nonexistent.npy"));
  r = run_bpusim("golden " + m + " --input x=" + model("mlp") + "/torch_logits_int.npy" + o);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("graph input 'x': expected float32, got int32"));

  // A truncated model file.
  const fs::path cut = fs::path(::testing::TempDir()) / "truncated.onnx";
  const std::string bytes = testing::read_text(m);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  r = run_bpusim("golden " + cut.string() + x + o);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("malformed or truncated"));
}

}  // namespace
}  // namespace bpusim
