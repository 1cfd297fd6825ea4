// `bpusim onnx-test` as a user runs it: PASS lines and exit 0, a FAIL line naming the first
// differing element and exit 1 for a case whose expected output was altered, and a FAIL
// "error:" line with exit 2 for a bad case directory.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using bpusim::testing::CliResult;
using bpusim::testing::run_bpusim;

const std::string kCases = BPUSIM_ONNX_TESTDATA;

TEST(GoldenOnnxTestCli, PassingCases) {
  const CliResult r =
      run_bpusim("onnx-test " + kCases + "/test_matmulinteger " + kCases + "/test_qlinearconv/");
  EXPECT_EQ(r.status, 0) << r.output();
  EXPECT_EQ(r.output(), "PASS test_matmulinteger\nPASS test_qlinearconv\n");
}

TEST(GoldenOnnxTestCli, AlteredExpectedOutputFailsWithTheFirstDifference) {
  const fs::path dir = fs::path(::testing::TempDir()) / "altered" / "test_matmulinteger";
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  fs::copy(kCases + "/test_matmulinteger", dir, fs::copy_options::recursive);
  fs::permissions(dir / "test_data_set_0" / "output_0.pb", fs::perms::owner_write,
                  fs::perm_options::add);
  // Y = [[-38, -83], [-44, -98], ...]: change element [1, 1] from -98 to -97.
  onnx::TensorProto y;
  {
    std::ifstream in(dir / "test_data_set_0" / "output_0.pb", std::ios::binary);
    ASSERT_TRUE(y.ParseFromIstream(&in));
  }
  ASSERT_EQ(y.data_type(), onnx::TensorProto_DataType_INT32);
  std::string data = y.raw_data();
  int32_t v = 0;
  std::memcpy(&v, data.data() + 3 * 4, 4);
  ASSERT_EQ(v, -98);
  v = -97;
  std::memcpy(data.data() + 3 * 4, &v, 4);
  y.set_raw_data(data);
  {
    std::ofstream out(dir / "test_data_set_0" / "output_0.pb", std::ios::binary);
    ASSERT_TRUE(y.SerializeToOstream(&out));
  }
  const CliResult r =
      run_bpusim("onnx-test " + dir.string() + " " + kCases + "/test_matmulinteger");
  EXPECT_EQ(r.status, 1) << r.output();
  EXPECT_EQ(r.output(),
            "FAIL test_matmulinteger: output 'Y' element [1, 1] expected -97 got -98\n"
            "PASS test_matmulinteger\n");
}

TEST(GoldenOnnxTestCli, BadCasesExitWithTwo) {
  const fs::path dir = fs::path(::testing::TempDir()) / "no_model_case";
  fs::create_directories(dir / "test_data_set_0");
  CliResult r = run_bpusim("onnx-test " + dir.string());
  EXPECT_EQ(r.status, 2) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("FAIL no_model_case: error: "));
  EXPECT_THAT(r.output(), HasSubstr("model.onnx: cannot open file"));
  r = run_bpusim("onnx-test /nonexistent/case");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("FAIL case: error: /nonexistent/case: not a directory"));
  r = run_bpusim("onnx-test");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output(), HasSubstr("no test directory given"));
}

}  // namespace
