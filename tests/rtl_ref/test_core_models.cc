// Every committed model on the RTL core: compiled for each hardware configuration the build
// verilated a core for (rtl_ref/configs/*.json) and each requant.mode, run on the SystemC model
// and on the verilated core, and compared the way `bpusim cosim` does — outputs bit for bit,
// total and per-layer cycles, every instruction's dispatch, issue, start and end. The
// SystemC model's cycle counts are proven here against the design, program by program.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/npy.h"
#include "compiler/compile.h"
#include "rtl_ref/core_backend.h"
#include "runtime/runtime.h"
#include "tests/support/test_util.h"
#include "tools/cli/backends.h"
#include "tools/report/cosim.h"

namespace bpusim {
namespace {

struct Case {
  std::string model;   // folder with model.onnx
  std::string config;  // rtl_ref/configs/<config>.json
  std::string mode;    // requant.mode
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << std::filesystem::path(c.model).filename().string() << " on " << c.config << ", "
      << c.mode;
}

std::vector<Case> cases() {
  const std::string root = testing::source_dir();
  std::vector<std::string> models;
  for (const auto& e : std::filesystem::directory_iterator(root + "/tests/data/models"))
    models.push_back(e.path().string());
  std::sort(models.begin(), models.end());
  models.push_back(root + "/models/digits");
  std::vector<Case> out;
  for (const rtl::CoreVariant& v : rtl::core_variants())
    for (const char* mode : {"fp32", "fixed"})
      for (const std::string& m : models) out.push_back({m, v.name, mode});
  return out;
}

// The model's committed input: input_x.npy, or the default model's first test image.
std::map<std::string, Tensor> input_of(const std::string& dir) {
  if (std::filesystem::exists(dir + "/input_x.npy")) return {{"x", read_npy(dir + "/input_x.npy")}};
  const Tensor all = read_npy(dir + "/test_x.npy");  // [N, 1, 8, 8]
  Tensor first(DType::kF32, {1, all.shape()[1], all.shape()[2], all.shape()[3]});
  const auto src = all.values<float>();
  auto dst = first.values<float>();
  std::copy(src.begin(), src.begin() + first.numel(), dst.begin());
  return {{"x", first}};
}

class RtlCoreModels : public ::testing::TestWithParam<Case> {};

TEST_P(RtlCoreModels, SystemcEqualsTheCoreCycleForCycle) {
  const Case& c = GetParam();
  HwConfig hw = HwConfig::load(testing::source_dir() + "/rtl_ref/configs/" + c.config + ".json");
  hw.set("requant.mode=" + c.mode);
  const compiler::CompileResult compiled = compiler::compile_model(c.model + "/model.onnx", hw);
  const auto inputs = input_of(c.model);
  runtime::RunOptions options;
  options.hw = hw;
  std::array<runtime::ProgramResult, 2> runs;
  const std::array<std::string, 2> names{"systemc", "rtl"};
  for (size_t b = 0; b < 2; ++b) {
    const auto backend = cli::make_backend(names[b]);
    runs[b] = runtime::run_program(compiled.program, inputs, options, *backend);
    ASSERT_FALSE(runs[b].fault.has_value()) << names[b] << ": " << runs[b].fault->message();
  }
  const report::CosimComparison cmp = report::compare_runs(runs[0], runs[1], names);
  EXPECT_TRUE(cmp.equal()) << report::cosim_text(cmp, compiled.program.code);
  EXPECT_GT(cmp.instrs_compared, 0);
  EXPECT_GT(cmp.outputs_compared, 0);
  RecordProperty("cycles", std::to_string(cmp.cycles[1]));
}

INSTANTIATE_TEST_SUITE_P(
    Committed, RtlCoreModels, ::testing::ValuesIn(cases()),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::filesystem::path(info.param.model).filename().string() + "_" +
             info.param.config + "_" + info.param.mode;
    });

// Every configuration file is a valid hardware configuration with a verilated core of its
// structure, and default.json's structure is the defaults' (CMake reads the structural keys
// with those defaults spelled out; this keeps them equal to common/hw_config.h).
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
