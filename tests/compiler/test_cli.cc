// `bpusim compile` run as a user would: the layer table and warnings, the program and the
// listing it writes, and exit code 2 with a clear message for bad input.
#include <gmock/gmock.h>

#include <gtest/gtest.h>
#include <unistd.h>
#include <regex>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "isa/container.h"
#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::CliResult;
using testing::run_bpusim;

class CompileCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bpusim_compile_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string model() {
  return testing::source_dir() + "/tests/compiler/data/qop_net.onnx";
}

TEST_F(CompileCli, PrintsTheLayerTableAndWarnings) {
  const CliResult r =
      run_bpusim(cat("compile ", model(), " -o ", path("p.bpu"), " --asm ", path("p.s"),
                     " --set mac.rows=8 --set sram.feature.bytes=2048"));
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("fused op"));
  EXPECT_THAT(r.output(), HasSubstr("conv1    conv 3x3 -> uint8"));
  EXPECT_THAT(r.output(), HasSubstr("dwconv2  conv 3x3/2 depthwise -> uint8"));
  EXPECT_THAT(r.output(), HasSubstr("fc       linear 128->10 -> uint8"));
  EXPECT_THAT(r.output(), HasSubstr("1 BPU segment(s), 2 host segment(s)"));
  EXPECT_THAT(r.output(), HasSubstr("warning: node 'quant' (Quantize) runs on the host"));
  EXPECT_THAT(r.output(), HasSubstr("warning: node 'dequant' (Dequantize) runs on the host"));
  const isa::Program p = isa::load_program(path("p.bpu"));
  EXPECT_EQ(p.hwconfig["mac.rows"], 8);
  EXPECT_THAT(testing::read_text(path("p.s")), HasSubstr("; layer fc: linear 128->10"));
}

// --report simulates the program and prints every layer's estimate against its simulated
// cycles: the cost model replays the timing rules, so they agree.
TEST_F(CompileCli, ReportComparesEachLayerWithTheSimulation) {
  const CliResult r =
      run_bpusim(cat("compile ", model(), " -o ", path("p.bpu"), " --report --set mac.rows=8"));
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("estimate against the SystemC model"));
  EXPECT_THAT(r.output(), ::testing::ContainsRegex("conv1 +[0-9]+ +[0-9]+ +0% +[0-9.]+%"));
  EXPECT_THAT(r.output(), HasSubstr("largest layer error 0%"));
  std::smatch m;
  const std::string out = r.output();
  ASSERT_TRUE(
      std::regex_search(out, m, std::regex("program: ([0-9]+) cycles estimated, ([0-9]+)")));
  EXPECT_EQ(m[1], m[2]);
}

// The DDR footprint line, with reuse (the default) and with --no-ddr-reuse; the program keeps
// every tensor on its own bytes only in the second case.
TEST_F(CompileCli, PrintsTheDdrFootprintAndCompilesWithoutReuse) {
  CliResult r = run_bpusim(cat("compile ", model(), " -o ", path("reuse.bpu")));
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(),
              ::testing::ContainsRegex("DDR tensors: [0-9]+ bytes with reuse \\(largest "
                                       "live set [0-9]+ bytes; each tensor its own "
                                       "bytes: [0-9]+\\) at 0x[0-9a-f]+; DDR end 0x"));
  r = run_bpusim(cat("compile ", model(), " -o ", path("own.bpu"), " --no-ddr-reuse"));
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), ::testing::ContainsRegex("DDR tensors: [0-9]+ bytes, no reuse"));
  auto overwritten = [](const isa::Program& p) {
    return std::count_if(p.tensors.begin(), p.tensors.end(),
                         [](const isa::TensorDesc& t) { return t.overwritten; });
  };
  EXPECT_GT(overwritten(isa::load_program(path("reuse.bpu"))), 0);
  EXPECT_EQ(overwritten(isa::load_program(path("own.bpu"))), 0);
}

TEST_F(CompileCli, BadInputsExitWithCodeTwo) {
  CliResult r = run_bpusim(cat("compile ", path("missing.onnx"), " -o ", path("p.bpu")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("missing.onnx"));
  r = run_bpusim(cat("compile ", model(), " -o ", path("p.bpu"), " --set mac.bogus=1"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("unknown hardware key 'mac.bogus'"));
  r = run_bpusim(cat("compile ", model(), " -o ", path("p.bpu"),
                     " --set mac.rows=1 --set sram.param.bytes=64"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(),
              HasSubstr("PARAM needs 64 bytes per slot, half of sram.param.bytes holds 32"));
  r = run_bpusim(cat("compile ", model()));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("output"));
}

}  // namespace
}  // namespace bpusim
