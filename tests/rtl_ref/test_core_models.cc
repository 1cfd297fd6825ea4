// Every committed model on the RTL core: compiled for each hardware configuration the build
// verilated a core for (rtl_ref/configs/*.json) and each requant.mode, run on the SystemC model
// and on the verilated core, and compared the way `bpusim cosim` does — outputs bit for bit,
// total and per-layer cycles, every instruction's dispatch, issue, start and end. The
// SystemC model's cycle counts are proven here against the design, program by program. The
// cases and their inputs are the regression traces' (tools/traces/traces.h).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/hw_config.h"
#include "rtl_ref/core_backend.h"
#include "runtime/runtime.h"
#include "tests/support/test_util.h"
#include "tools/report/cosim.h"
#include "tools/traces/traces.h"

namespace bpusim {
namespace {

using traces::CommittedCase;

class RtlCoreModels : public ::testing::TestWithParam<CommittedCase> {};

TEST_P(RtlCoreModels, SystemcEqualsTheCoreCycleForCycle) {
  const CommittedCase& c = GetParam();
  const traces::CompiledCase compiled = traces::compile_case(testing::source_dir(), c);
  std::array<runtime::ProgramResult, 2> runs;
  const std::array<std::string, 2> names{"systemc", "rtl"};
  for (size_t b = 0; b < 2; ++b) {
    runs[b] = traces::run_case(compiled, names[b]);
    ASSERT_FALSE(runs[b].fault.has_value()) << names[b] << ": " << runs[b].fault->message();
  }
  const report::CosimComparison cmp = report::compare_runs(runs[0], runs[1], names);
  EXPECT_TRUE(cmp.equal()) << report::cosim_text(cmp, compiled.compiled.program.code);
  EXPECT_GT(cmp.instrs_compared, 0);
  EXPECT_GT(cmp.outputs_compared, 0);
  RecordProperty("cycles", std::to_string(cmp.cycles[1]));
}

INSTANTIATE_TEST_SUITE_P(
    Committed, RtlCoreModels,
    ::testing::ValuesIn(traces::cases_on_configs(traces::committed_cases(testing::source_dir()),
                                                 rtl::core_config_names())),
    [](const ::testing::TestParamInfo<CommittedCase>& info) { return info.param.id(); });

// Every configuration file is a valid hardware configuration with a verilated core of its
// structure (or, in a build that chose some with BPUSIM_RTL_CORE_CONFIGS, every chosen one),
// and default.json's structure is the defaults' (CMake reads the structural keys with those
// defaults spelled out; this keeps them equal to common/hw_config.h).
TEST(RtlCoreConfigs, EveryConfigurationHasItsCore) {
  const std::string dir = testing::source_dir() + "/rtl_ref/configs";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    ++files;
    const HwConfig hw = HwConfig::load(e.path().string());
    hw.validate();
    const std::string name = e.path().stem().string();
    const auto& v = rtl::core_variants();
    const auto it = std::find_if(v.begin(), v.end(), [&](const auto& c) { return c.name == name; });
    if (it == v.end() && rtl::core_variants_are_subset()) {
      --files;  // not chosen for this build
      continue;
    }
    ASSERT_NE(it, v.end()) << name;
    EXPECT_EQ(it->rows, hw.mac_rows) << name;
    EXPECT_EQ(it->cols, hw.mac_cols) << name;
    EXPECT_EQ(it->depth, hw.requant_pipeline_depth) << name;
    EXPECT_EQ(it->vlanes, hw.vector_lanes) << name;
  }
  EXPECT_EQ(files, static_cast<int>(rtl::core_variants().size()));
  const HwConfig defaults;
  const HwConfig file = HwConfig::load(dir + "/default.json");
  EXPECT_EQ(file.hash(), defaults.hash()) << "default.json must be the default configuration";
}

}  // namespace
}  // namespace bpusim
