// The committed regression traces (traces/, tools/traces/traces.h): every committed model x
// core configuration x requant mode recomputed on one backend and compared with its file.
// Built twice: traces_test on the SystemC model (label unit, with the tests of the file set,
// the format and the comparison) and traces_core_test on the verilated RTL core (label rtl).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#if BPUSIM_TEST_RTL
#include "rtl_ref/core_backend.h"
#endif
#include "tests/support/test_util.h"
#include "tools/traces/traces.h"

namespace bpusim {
namespace {

using nlohmann::ordered_json;
using traces::CommittedCase;

const char* const kBackend = BPUSIM_TEST_BACKEND;

class Traces : public ::testing::TestWithParam<CommittedCase> {};

TEST_P(Traces, Unchanged) {
  const CommittedCase& c = GetParam();
  const std::string root = testing::source_dir();
  const std::string where = c.trace_path() + " (" + c.label() + ", backend " + kBackend + ")";
  const auto committed = traces::read_trace(root, c);
  ASSERT_TRUE(committed.has_value())
      << where << " is missing: run " << traces::kUpdateCommand << " and commit traces/";
  const traces::CompiledCase compiled = traces::compile_case(root, c);
  const ordered_json now = traces::make_trace(c, traces::run_case(compiled, kBackend));
  const auto d = traces::first_difference(*committed, now);
  EXPECT_FALSE(d.has_value()) << where << " differs: " << d->text()
                              << "\nIf the change is intended, run " << traces::kUpdateCommand
                              << " and commit traces/ with it.";
}

// Rtl/Traces.Unchanged/<model>_<config>_<mode> and Systemc/...: one name per backend in ctest.
// On the RTL core, the configurations the build verilated a core for.
#if BPUSIM_TEST_RTL
const auto kCases = ::testing::ValuesIn(traces::cases_on_configs(
    traces::committed_cases(testing::source_dir()), rtl::core_config_names()));
#else
const auto kCases = ::testing::ValuesIn(traces::committed_cases(testing::source_dir()));
#endif
std::string case_id(const ::testing::TestParamInfo<CommittedCase>& info) {
  return info.param.id();
}
#if BPUSIM_TEST_RTL
INSTANTIATE_TEST_SUITE_P(Rtl, Traces, kCases, case_id);
#else
INSTANTIATE_TEST_SUITE_P(Systemc, Traces, kCases, case_id);
#endif

#if !BPUSIM_TEST_RTL
// traces/ holds exactly one file per committed case.
TEST(TraceFiles, OnePerCommittedCase) {
  const std::string root = testing::source_dir();
  std::set<std::string> expected, found;
  for (const CommittedCase& c : traces::committed_cases(root)) expected.insert(c.trace_path());
  for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/traces"))
    if (e.path().extension() == ".json")
      found.insert(std::filesystem::relative(e.path(), root).string());
  EXPECT_EQ(found, expected) << "run " << traces::kUpdateCommand;
  EXPECT_GE(expected.size(), 42u);  // today 7 models x 3 configurations x 2 modes
}

ordered_json sample() {
  return ordered_json::parse(R"({"cycles": 300, "layers": [
    {"name": "conv1", "cycles": 100, "start": 0, "end": 100},
    {"name": "fc", "cycles": 200, "start": 100, "end": 300}],
    "outputs": [{"name": "y", "shape": [1, 10], "crc32": "0x00000001"}]})");
}

TEST(TraceFormat, OneKeyAndOneLayerPerLineInOrder) {
  EXPECT_EQ(traces::format_trace(sample()),
            "{\n"
            "  \"cycles\": 300,\n"
            "  \"layers\": [\n"
            "    {\"name\": \"conv1\", \"cycles\": 100, \"start\": 0, \"end\": 100},\n"
            "    {\"name\": \"fc\", \"cycles\": 200, \"start\": 100, \"end\": 300}\n"
            "  ],\n"
            "  \"outputs\": [\n"
            "    {\"name\": \"y\", \"shape\": [1, 10], \"crc32\": \"0x00000001\"}\n"
            "  ]\n"
            "}\n");
  EXPECT_FALSE(
      traces::first_difference(sample(), ordered_json::parse(traces::format_trace(sample()))));
}

TEST(TraceDifference, NamesTheFirstFieldInFileOrderWithBothValues) {
  ordered_json now = sample();
  now["layers"][1]["cycles"] = 210;
  now["layers"][1]["end"] = 310;
  now["cycles"] = 310;
  auto d = traces::first_difference(sample(), now);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->text(),
            "cycles: committed 300, now 310; then layers[1] fc.cycles: 200 -> 210, "
            "layers[1] fc.end: 300 -> 310");
  now["cycles"] = 300;
  EXPECT_EQ(traces::first_difference(sample(), now)->text(),
            "layers[1] fc.cycles: committed 200, now 210; then layers[1] fc.end: 300 -> 310");

  now = sample();
  now["layers"].erase(1);
  now["outputs"][0]["shape"] = {10};
  now["extra"] = true;
  d = traces::first_difference(sample(), now);
  EXPECT_EQ(d->field, "layers[1] fc");
  EXPECT_EQ(d->now, "(none)");
  EXPECT_EQ(d->next.size(), 3u);  // the shape's two entries, "extra"
  EXPECT_EQ(d->more, 0);
  for (int i = 0; i < 5; ++i) now["outputs"][0]["shape"].push_back(i);
  EXPECT_EQ(traces::first_difference(sample(), now)->more, 3);  // 8 differences in all
}
#endif

}  // namespace
}  // namespace bpusim
