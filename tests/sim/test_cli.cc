// `bpusim run` end to end: outputs, summary, trace, VCD, report; refusal of another
// configuration (exit 2), a modeled fault (exit 3) and the --backend option.
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/npy.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"
#include "tests/runtime/tiny_program.h"
#include "tests/sim/sim_test_util.h"
#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim::sim::testing {
namespace {

using bpusim::testing::CliResult;
using bpusim::testing::run_bpusim;
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
  fs::path dir_;
};

TEST_F(Cli, RunWritesOutputsSummaryTraceVcdAndReport) {
  const CliResult r = run_bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"),
                                     " --output-dir ", path("out"), " --trace ", path("t.json"),
                                     " --vcd ", path("w.vcd"), " --report ", path("r.json")));
  ASSERT_EQ(r.status, 0) << r.output();
  const std::string out = r.out;
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
  // The report, the summary and the library agree on the program's cycles.
  const int64_t cycles = report["cycles"].get<int64_t>();
  EXPECT_THAT(out, HasSubstr(cat("total cycles: ", cycles, " (")));
  sim::SystemcBackend systemc;
  runtime::RunOptions o;
  EXPECT_EQ(runtime::run_program(isa::load_program(path("tiny.bpu")),
                                 {{"x", read_npy(path("x.npy"))}}, o, systemc)
                .cycles,
            cycles);
  EXPECT_TRUE(report["fault"].is_null());
  EXPECT_EQ(report["backend"], "systemc");  // the default
  const std::string vcd = bpusim::testing::read_text(path("w.vcd"));
  EXPECT_THAT(vcd, HasSubstr("$var"));
  const size_t scope = vcd.find("$scope module compute_engine $end");
  ASSERT_NE(scope, std::string::npos);
  EXPECT_NE(vcd.find("busy", scope), std::string::npos);
}

TEST_F(Cli, RefusesAnotherConfiguration) {
  const CliResult r = run_bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"),
                                     " --output-dir ", path("out"), " --set mac.rows=16"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("hash"));
  EXPECT_THAT(r.err, HasSubstr("mac.rows"));
}

// A bad BPUSIM_CONV_KERNEL (the MAC array's kernel choice, sim/mac_array.h) is a user error:
// exit 2 and a message naming the variable and its value, before anything is simulated.
TEST_F(Cli, UnknownConvKernelIsAUserError) {
  const CliResult r = bpusim::testing::run_command(
      cat("BPUSIM_CONV_KERNEL=bogus ", BPUSIM_EXE, " run ", path("tiny.bpu"),
          " --input x=", path("x.npy"), " --output-dir ", path("out")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("BPUSIM_CONV_KERNEL=bogus"));
}

TEST_F(Cli, ModeledFaultExitsThree) {
  isa::Program p = tiny_program(HwConfig{});
  p.code[2] = isa::assemble_line("VREQ in_addr=0xfffff0 out_addr=0x0 prm_addr=0x0 n=64 +pop_prev");
  isa::save_program(p, path("bad.bpu"));
  const CliResult r = run_bpusim(cat("run ", path("bad.bpu"), " --input x=", path("x.npy"),
                                     " --output-dir ", path("out"), " --report ", path("r.json")));
  EXPECT_EQ(r.status, 3);
  EXPECT_THAT(r.output(), HasSubstr("fault at instruction 2 (VREQ"));
  const auto report = nlohmann::json::parse(bpusim::testing::read_text(path("r.json")));
  EXPECT_EQ(report["fault"]["instruction"], 2);
}

TEST_F(Cli, BackendOptionChoosesTheBackend) {
  const CliResult ok = run_bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"),
                                      " --output-dir ", path("out"), " --backend systemc"));
  ASSERT_EQ(ok.status, 0) << ok.output();
  EXPECT_EQ(read_npy(path("out/index.npy")).values<int64_t>()[0], 5);
  const CliResult bad = run_bpusim(cat("run ", path("tiny.bpu"), " --input x=", path("x.npy"),
                                       " --output-dir ", path("out"), " --backend nope"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown backend 'nope'; available: systemc"));
  const CliResult help = run_bpusim("run --help");
  ASSERT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("--backend"));
}

}  // namespace
}  // namespace bpusim::sim::testing
