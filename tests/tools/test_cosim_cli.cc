// `bpusim cosim` run as a user would: the default model on the SystemC model and the RTL core
// (equal, with a given image and with seeded random inputs), a difference reported through the
// test hook, bad inputs and a configuration the RTL build has no core for (exit 2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/error.h"
#include "common/npy.h"
#include "tests/tools/scratch_test.h"

namespace bpusim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The scratch directory of scratch_test.h.
class CosimCli : public testing::ScratchTest {
 protected:
  static std::string digits(const std::string& file) {
    return testing::source_dir() + "/models/digits/" + file;
  }
  // Compiles the default model to d.bpu (with `sets`) and writes image 0 of its test set to
  // x0.npy.
  void compile(const std::string& sets = "") {
    const testing::CliResult c =
        testing::run_bpusim(cat("compile ", digits("model.onnx"), " -q -o ", path("d.bpu"), sets));
    ASSERT_EQ(c.status, 0) << c.output();
    const Tensor images = read_npy(digits("test_x.npy"));
    Tensor one(DType::kF32, {1, 1, 8, 8});
    std::copy_n(images.values<float>().begin(), 64, one.values<float>().begin());
    write_npy(path("x0.npy"), one);
  }
  static nlohmann::json read_json(const std::string& p) {
    return nlohmann::json::parse(testing::read_text(p));
  }
};

TEST_F(CosimCli, DefaultModelIsEqualOnBothBackends) {
  ASSERT_NO_FATAL_FAILURE(compile());
  const testing::CliResult r = testing::run_bpusim(
      cat("cosim ", path("d.bpu"), " --input x=", path("x0.npy"), " --report ", path("c.json")));
  ASSERT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), Not(HasSubstr("random inputs")));
  // "total cycles  <systemc>  <rtl>  <difference>"
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(total cycles +(\d+) +(\d+) +(-?\d+))")))
      << r.output();
  EXPECT_EQ(m[1], m[2]);
  EXPECT_EQ(m[3], "0");
  EXPECT_GT(std::stoll(m[1]), 0);
  EXPECT_THAT(r.output(), HasSubstr("outputs equal: yes (1 output compared"));
  EXPECT_THAT(r.output(), HasSubstr("all equal"));
  EXPECT_THAT(r.output(), HasSubstr("cosim: EQUAL"));

  const nlohmann::json j = read_json(path("c.json"));
  EXPECT_EQ(j["equal"], true);
  EXPECT_EQ(j["outputs_equal"], true);
  EXPECT_EQ(j["cycles"]["systemc"].get<int64_t>(), std::stoll(m[1]));
  EXPECT_EQ(j["cycles"]["rtl"], j["cycles"]["systemc"]);
  ASSERT_EQ(j["layers"].size(), 6u);  // the default model's BPU layers
  for (const auto& l : j["layers"]) EXPECT_EQ(l["difference"], 0) << l.dump();
  EXPECT_GT(j["instructions_compared"].get<int64_t>(), 0);
  EXPECT_TRUE(j["first_difference"].is_null());
  EXPECT_TRUE(j["seed"].is_null());
}

TEST_F(CosimCli, InputsNotGivenAreSeededRandom) {
  ASSERT_NO_FATAL_FAILURE(compile());
  const testing::CliResult r = testing::run_bpusim(cat("cosim ", path("d.bpu"), " --seed 5"));
  EXPECT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("random inputs (x), seed 5"));
  EXPECT_THAT(r.output(), HasSubstr("cosim: EQUAL"));
}

// The test hook delays one instruction's end on the RTL side by a cycle: the command names
// that instruction, its disassembly, its engine and both records, and exits 1.
TEST_F(CosimCli, ADifferenceIsReportedAtItsInstruction) {
  ASSERT_NO_FATAL_FAILURE(compile());
  const testing::CliResult r =
      testing::run_bpusim(cat("cosim ", path("d.bpu"), " --input x=", path("x0.npy"),
                              " --debug-delay-end 1 --report ", path("c.json")));
  ASSERT_EQ(r.status, 1) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("first difference: instruction 1 on "));
  EXPECT_THAT(r.output(), HasSubstr("1 instruction differs"));
  EXPECT_THAT(r.output(), HasSubstr("cosim: DIFFERENT (timing of 1 instruction)"));
  const nlohmann::json j = read_json(path("c.json"));
  EXPECT_EQ(j["equal"], false);
  EXPECT_EQ(j["outputs_equal"], true);
  EXPECT_EQ(j["first_difference"]["index"], 1);
  EXPECT_THAT(r.output(), HasSubstr(j["first_difference"]["disassembly"].get<std::string>()));
  EXPECT_EQ(j["first_difference"]["rtl"]["end"].get<int64_t>(),
            j["first_difference"]["systemc"]["end"].get<int64_t>() + 1);
}

// A LOAD past the end of FEATURE: both backends report the modeled fault at instruction 0,
// which is no difference (exit 0, the faults printed).
TEST_F(CosimCli, TheSameFaultOnBothBackendsIsNoDifference) {
  std::ofstream(path("f.s")) << "LOAD buf=FEATURE sram_addr=0x7ffff0 n0=64 n1=1 n2=1\nFINISH\n";
  const testing::CliResult a = testing::run_bpusim(cat("asm ", path("f.s"), " -o ", path("f.bpu")));
  ASSERT_EQ(a.status, 0) << a.output();
  const testing::CliResult r = testing::run_bpusim(cat("cosim ", path("f.bpu")));
  EXPECT_EQ(r.status, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("systemc: modeled fault: fault at instruction 0 (LOAD"));
  EXPECT_THAT(r.output(), HasSubstr("rtl: modeled fault: fault at instruction 0 (LOAD"));
  EXPECT_THAT(r.output(), HasSubstr("both backends fault at instruction 0"));
  EXPECT_THAT(r.output(), HasSubstr("cosim: EQUAL"));
}

TEST_F(CosimCli, BadInputsExitWithCodeTwo) {
  ASSERT_NO_FATAL_FAILURE(compile());
  testing::CliResult r =
      testing::run_bpusim(cat("cosim ", path("d.bpu"), " --input x=", path("none.npy")));
  EXPECT_EQ(r.status, 2) << r.output();
  EXPECT_THAT(r.output(), HasSubstr(path("none.npy")));
  r = testing::run_bpusim(cat("cosim ", path("d.bpu"), " --input y=", path("x0.npy")));
  EXPECT_EQ(r.status, 2) << r.output();
  EXPECT_THAT(r.output(), HasSubstr(path("d.bpu") + ": the program has no input 'y'"));
  r = testing::run_bpusim(cat("cosim ", path("missing.bpu")));
  EXPECT_EQ(r.status, 2) << r.output();
  EXPECT_THAT(r.output(), HasSubstr(path("missing.bpu")));
}

TEST_F(CosimCli, AConfigurationWithoutAnRtlCoreExitsWithCodeTwo) {
  ASSERT_NO_FATAL_FAILURE(compile(" --set mac.rows=7"));
  const testing::CliResult r = testing::run_bpusim(
      cat("cosim ", path("d.bpu"), " --input x=", path("x0.npy"), " --set mac.rows=7"));
  EXPECT_EQ(r.status, 2) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("the RTL backend has no core built for mac.rows=7"));
  EXPECT_THAT(r.output(), HasSubstr("the cores this build verilated are:"));
  EXPECT_THAT(r.output(), HasSubstr("default: mac.rows=32 mac.cols=32"));
  EXPECT_THAT(r.output(), Not(HasSubstr("total cycles")));  // refused before anything ran
}

}  // namespace
}  // namespace bpusim
