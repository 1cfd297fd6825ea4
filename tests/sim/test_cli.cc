// `bpusim run` end to end: outputs, summary, trace, VCD, report; refusal of another
// configuration (exit 2), a modeled fault (exit 3) and the --backend option.
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/npy.h"
#include "tests/runtime/tiny_program.h"
#include "tests/sim/sim_test_util.h"
#include "tests/support/test_util.h"

namespace bpusim::sim::testing {
namespace {

using runtime::testing::tiny_program;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bpusim_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    isa::save_program(tiny_program(HwConfig{}), path("tiny.bpu"));
    write_npy(path("x.npy"), Tensor::from<uint8_t>({1, 8}, {0, 10, 12, 12, 30, 130, 14, 25}));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Runs bpusim with `args`; returns the exit code, stdout+stderr in `out`.
  int bpusim(const std::string& args, std::string& out) {
    const std::string log = path("log.txt");
    const int status =
        std::system((std::string(BPUSIM_CLI) + " " + args + " > " + log + " 2>&1").c_str());
    out = bpusim::testing::read_text(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  fs::path dir_;
};

TEST_F(Cli, RunWritesOutputsSummaryTraceVcdAndReport) {
  std::string out;
  const int rc = bpusim(
      cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"), " --output-dir ", path("out"),
          " --trace ", path("t.json"), " --vcd ", path("w.vcd"), " --report ", path("r.json")),
      out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("total cycles:"));
  EXPECT_THAT(out, HasSubstr("MAC utilisation"));
  EXPECT_THAT(out, HasSubstr("token_wait"));
  EXPECT_THAT(out, HasSubstr("argmax"));  // a layer
  const Tensor index = read_npy(path("out/index.npy"));
  EXPECT_EQ(index.values<int64_t>()[0], 5);
  EXPECT_EQ(read_npy(path("out/out.npy")).values<float>()[5], 60.0f);
  const auto trace = nlohmann::json::parse(bpusim::testing::read_text(path("t.json")));
  EXPECT_FALSE(trace["traceEvents"].empty());
  const auto report = nlohmann::json::parse(bpusim::testing::read_text(path("r.json")));
  EXPECT_GT(report["cycles"].get<int64_t>(), 0);
  EXPECT_TRUE(report["fault"].is_null());
  EXPECT_EQ(report["backend"], "systemc");  // the default
  const std::string vcd = bpusim::testing::read_text(path("w.vcd"));
  EXPECT_THAT(vcd, HasSubstr("$var"));
  const size_t scope = vcd.find("$scope module compute_engine $end");
  ASSERT_NE(scope, std::string::npos);
  EXPECT_NE(vcd.find("busy", scope), std::string::npos);
}

TEST_F(Cli, RefusesAnotherConfiguration) {
  std::string out;
  EXPECT_EQ(bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"), " --output-dir ",
                       path("out"), " --set mac.rows=16"),
                   out),
            2);
  EXPECT_THAT(out, HasSubstr("hash"));
  EXPECT_THAT(out, HasSubstr("mac.rows"));
}

TEST_F(Cli, ModeledFaultExitsThree) {
  isa::Program p = tiny_program(HwConfig{});
  p.code[2] = isa::assemble_line("VREQ in_addr=0xfffff0 out_addr=0x0 prm_addr=0x0 n=64 +pop_prev");
  isa::save_program(p, path("bad.bpu"));
  std::string out;
  EXPECT_EQ(bpusim(cat("run ", path("bad.bpu"), " --input x=", path("x.npy"), " --output-dir ",
                       path("out"), " --report ", path("r.json")),
                   out),
            3);
  EXPECT_THAT(out, HasSubstr("fault at instruction 2 (VREQ"));
  const auto report = nlohmann::json::parse(bpusim::testing::read_text(path("r.json")));
  EXPECT_EQ(report["fault"]["instruction"], 2);
}

TEST_F(Cli, BackendOptionChoosesTheBackend) {
  std::string out;
  ASSERT_EQ(bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"), " --output-dir ",
                       path("out"), " --backend systemc"),
                   out),
            0)
      << out;
  EXPECT_EQ(read_npy(path("out/index.npy")).values<int64_t>()[0], 5);
  EXPECT_EQ(bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"), " --output-dir ",
                       path("out"), " --backend nope"),
                   out),
            2);
  EXPECT_THAT(out, HasSubstr("unknown backend 'nope'; available: systemc"));
  ASSERT_EQ(bpusim("run --help", out), 0);
  EXPECT_THAT(out, HasSubstr("--backend"));
}

}  // namespace
}  // namespace bpusim::sim::testing
