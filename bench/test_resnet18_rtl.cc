// ResNet-18 on the RTL core, cycle for cycle: torchvision's quantizable ResNet-18 at a reduced
// input (bench/export_model.py --size 64, exported into the build tree by the ctest fixture
// resnet18_rtl_export; the directory comes in BPUSIM_RESNET18_DIR), compiled for the default
// configuration in each requant mode and run on the SystemC model and on the verilated core:
// the outputs are bit-exact, the total cycles, every layer's cycles and every instruction's
// dispatch, issue, start and end (PerfCounters::instrs by CODE index) are equal, compared as
// `bpusim cosim` does (tools/report/cosim.h). Labels "rtl" and "torch".
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "common/hw_config.h"
#include "common/npy.h"
#include "compiler/compile.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/report/cosim.h"

namespace bpusim {
namespace {

namespace fs = std::filesystem;

class Resnet18Rtl : public testing::TestWithParam<std::string> {};

TEST_P(Resnet18Rtl, RtlRunEqualsSystemcRun) {
  const char* dir_env = std::getenv("BPUSIM_RESNET18_DIR");
  ASSERT_NE(dir_env, nullptr) << "BPUSIM_RESNET18_DIR: the directory bench/export_model.py wrote";
  const fs::path dir = dir_env;
  HwConfig hw;
  hw.set("requant.mode=" + GetParam());
  const compiler::CompileResult compiled =
      compiler::compile_model((dir / "model.onnx").string(), hw);
  const std::map<std::string, Tensor> inputs{{"x", read_npy((dir / "input_x.npy").string())}};
  runtime::RunOptions ro;
  ro.hw = hw;
  const auto run_on = [&](const char* name) {
    const auto backend = cli::make_backend(name);
    return runtime::run_program(compiled.program, inputs, ro, *backend);
  };
  const runtime::ProgramResult systemc = run_on("systemc");
  const runtime::ProgramResult rtl = run_on("rtl");
  ASSERT_FALSE(systemc.fault) << systemc.fault->message();
  ASSERT_FALSE(rtl.fault) << rtl.fault->message();
  // Something ran: the logits, a layer per conv/add/pool/fc, a record per instruction.
  ASSERT_EQ(systemc.outputs.size(), 1u);
  ASSERT_GE(systemc.layers.size(), 20u);
  ASSERT_EQ(systemc.counters.instrs.size(), compiled.program.code.size());

  const report::CosimComparison c = report::compare_runs(systemc, rtl, {"systemc", "rtl"});
  const std::string text = report::cosim_text(c, compiled.program.code);
  EXPECT_TRUE(c.outputs_equal) << text;
  EXPECT_EQ(c.cycles[1], c.cycles[0]) << text;
  EXPECT_TRUE(c.layers_equal()) << text;
  EXPECT_EQ(c.layers.size(), systemc.layers.size()) << text;  // matched by position and name
  EXPECT_FALSE(c.first_difference) << text;                   // dispatch, issue, start, end
  EXPECT_EQ(c.instrs_compared, static_cast<int64_t>(systemc.counters.instrs.size())) << text;
  std::printf("requant.mode=%s: %lld cycles, %zu layers, %lld instructions compared: %s\n",
              GetParam().c_str(), static_cast<long long>(c.cycles[0]), c.layers.size(),
              static_cast<long long>(c.instrs_compared), c.equal() ? "EQUAL" : "DIFFERENT");
}

INSTANTIATE_TEST_SUITE_P(RequantModes, Resnet18Rtl, testing::Values("fp32", "fixed"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace bpusim
