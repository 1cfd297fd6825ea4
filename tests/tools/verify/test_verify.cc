// `bpusim verify` run as a user would: bit-exact on every committed model (fp32 and fixed
// requantizer, default and a tiny configuration), a corrupted program caught at the layer
// that reads the corrupted weight, and exit code 2 for bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "compiler/compile.h"
#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using ::testing::HasSubstr;

using testing::CliResult;
using testing::run_bpusim;

std::string model(const std::string& dir) {
  return testing::source_dir() + "/" + dir + "/model.onnx";
}

const char* const kSmall =
    " --set mac.rows=4 --set mac.cols=8 --set sram.feature.bytes=1024"
    " --set sram.weight.bytes=512 --set sram.accumulator.bytes=1024"
    " --set sram.output.bytes=512 --set sram.param.bytes=512";

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

TEST(VerifyCli, EveryCommittedModelIsBitExactInBothModesOnTwoConfigs) {
  std::vector<std::string> dirs = testing::committed_model_dirs();
  ASSERT_GE(dirs.size(), 13u);  // the committed models (a guard against an empty listing)
  dirs.push_back("models/digits");
  for (const std::string config : {"", kSmall})
    for (const char* mode : {"fp32", "fixed"})
      for (const std::string& dir : dirs) {
        const std::string args = model(dir) + " --set requant.mode=" + mode + config + " --seed 7";
        SCOPED_TRACE(args);
        const CliResult r = run_bpusim("verify " + args);
        EXPECT_EQ(r.status, 0) << r.output();
        EXPECT_THAT(r.output(), HasSubstr("random inputs, seed 7"));
        EXPECT_THAT(r.output(), HasSubstr("verify: OK"));
        EXPECT_TRUE(lines_starting(r.output(), "MISMATCH").empty()) << r.output();
        EXPECT_FALSE(lines_starting(r.output(), "OK ").empty()) << r.output();
      }
}

TEST(VerifyCli, GivenInputIsUsed) {
  const std::string dir = "tests/data/models/residual";
  const CliResult r = run_bpusim("verify " + model(dir) + " --input x=" + testing::source_dir() +
                                 "/" + dir + "/input_x.npy");
  EXPECT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), ::testing::Not(HasSubstr("random inputs")));
}

// A flipped weight byte: the first diverging layer is the first layer that reads WEIGHTS
// (byte 0 belongs to the first weighted layer); every layer before it still matches, and the
// report names the element, both values and a STORE of that layer.
TEST(VerifyCli, CorruptedWeightIsCaughtAtItsLayer) {
  const std::string path = model("tests/data/models/example_net");
  const CliResult r = run_bpusim("verify " + path + " --debug-flip-weight-byte 0");
  ASSERT_EQ(r.status, 1) << r.output();
  const auto bad = lines_starting(r.output(), "MISMATCH");
  ASSERT_FALSE(bad.empty()) << r.output();
  // The compiler stores WEIGHTS layer by layer in graph order: byte 0 is the first weight of
  // the first node with a constant weight operand.
  const compiler::CompileResult c = compiler::compile_model(path, HwConfig{});
  std::string weighted;
  for (const ir::Node& n : c.graph.nodes)
    if (weighted.empty() && (n.op == "QConv" || n.op == "QMatMul")) weighted = n.name;
  ASSERT_FALSE(weighted.empty());
  // "MISMATCH <layer> (<op>) -> ..." and "first diverging layer: <layer> (<op>), ..."
  const std::string first = bad[0].substr(9, bad[0].find(" (") - 9);
  EXPECT_EQ(first, weighted) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("first diverging layer: " + first + " ("));
  EXPECT_THAT(r.output(), ::testing::ContainsRegex("element [0-9]+: golden=-?[0-9.e+-]+ "
                                                   "systemc=-?[0-9.e+-]+"));
  EXPECT_THAT(r.output(), ::testing::ContainsRegex("instruction [0-9]+: STORE "));
  EXPECT_THAT(r.output(), HasSubstr("verify: MISMATCH"));
  // Nothing before the corrupted layer diverges.
  const auto pos = r.output().find("MISMATCH " + first);
  EXPECT_EQ(r.output().substr(0, pos).find("MISMATCH"), std::string::npos);
}

// A corrupted requantizer record: record 0 is channel 0 of the first weighted layer. Its
// zero point (byte 16) + 128 changes that layer's outputs (fp32 mode); its shift's sign byte
// (byte 15) makes the record invalid in fixed mode, a modeled fault (exit 3).
TEST(VerifyCli, CorruptedParamRecordIsCaughtAtItsLayerOrFaults) {
  const std::string path = model("tests/data/models/example_net");
  const compiler::CompileResult c = compiler::compile_model(path, HwConfig{});
  std::string weighted;
  for (const ir::Node& n : c.graph.nodes)
    if (weighted.empty() && (n.op == "QConv" || n.op == "QMatMul")) weighted = n.name;
  const CliResult r = run_bpusim("verify " + path + " --debug-flip-param-byte 16");
  ASSERT_EQ(r.status, 1) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("first diverging layer: " + weighted + " ("));
  const auto bad = lines_starting(r.output(), "MISMATCH");
  ASSERT_FALSE(bad.empty());
  EXPECT_EQ(bad[0].substr(9, bad[0].find(" (") - 9), weighted);
  const CliResult fault =
      run_bpusim("verify " + path + " --set requant.mode=fixed --debug-flip-param-byte 15");
  EXPECT_EQ(fault.status, 3) << fault.output();
  EXPECT_THAT(fault.output(), HasSubstr("modeled fault"));
  EXPECT_THAT(fault.output(), HasSubstr("shift"));
}

TEST(VerifyCli, BadInputExits2) {
  const std::string m = model("tests/data/models/mlp");
  EXPECT_EQ(run_bpusim("verify /nonexistent/model.onnx").status, 2);
  const CliResult wrong_name =
      run_bpusim("verify " + m + " --input nosuch=" + testing::source_dir() +
                 "/tests/data/models/mlp/input_x.npy");
  EXPECT_EQ(wrong_name.status, 2) << wrong_name.output();
  EXPECT_THAT(wrong_name.output(), HasSubstr("nosuch"));
  EXPECT_EQ(run_bpusim("verify " + m + " --input x=/nonexistent.npy").status, 2);
  EXPECT_EQ(run_bpusim("verify " + m + " --set no.such.key=1").status, 2);
  const CliResult flip = run_bpusim("verify " + m + " --debug-flip-weight-byte 999999999");
  EXPECT_EQ(flip.status, 2) << flip.output();
  EXPECT_THAT(flip.output(), HasSubstr("outside WEIGHTS"));
}

}  // namespace
}  // namespace bpusim
