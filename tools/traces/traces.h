// Regression traces (traces/): every committed model (tests/data/models/*, models/digits) on
// every built core configuration (rtl_ref/configs/*.json) in each requant.mode, run on a
// backend and summed up as a small JSON file whose diff shows a timing change in review: total
// cycles, per-layer cycles, instructions per queue, DDR bytes, and a CRC-32 digest of every
// output. One trace per case, traces/<model>/<config>-<mode>.json; every backend in
// kTraceBackends produces exactly the same trace, so it is stored once.
//
// The tool (tools/traces/main.cc, scripts/update-traces.sh) rewrites the files; the tests
// (tests/tools/test_traces.cc) recompute them on each backend and compare. The enumeration of
// the committed cases and their inputs is shared with tests/rtl_ref/test_core_models.cc.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "compiler/compile.h"
#include "runtime/runtime.h"

namespace bpusim::traces {

// The backends every trace is checked on (and must be equal on).
inline constexpr std::array<const char*, 2> kTraceBackends{"systemc", "rtl"};
// The command that rewrites the traces, named in every message about a difference.
inline constexpr const char* kUpdateCommand = "scripts/update-traces.sh";

// One committed model on one configuration in one requant mode.
struct CommittedCase {
  std::string model;      // the model folder's name: "example_net", "digits"
  std::string model_dir;  // relative to the repository root: "tests/data/models/example_net"
  std::string config;     // rtl_ref/configs/<config>.json
  std::string mode;       // requant.mode: "fp32" or "fixed"
  std::string input;      // the file in model_dir that `x` comes from: "input_x.npy", or
                          // "test_x.npy" (its first image: the default model)

  std::string label() const;       // "example_net on default, fixed"
  std::string id() const;          // "example_net_default_fixed" (a test name)
  std::string trace_path() const;  // relative to the root: "traces/example_net/default-fixed.json"
};

std::ostream& operator<<(std::ostream& os, const CommittedCase& c);  // label()

// Every case, configuration-major then mode then model (models sorted, digits last), for the
// repository at `root`. The configurations are the files rtl_ref/configs/*.json: the ones the
// build verilates a core for (RtlCoreConfigs checks that they are the same).
std::vector<CommittedCase> committed_cases(const std::string& root);
// The cases whose configuration is one of `configs`, in their order: on the RTL core, the
// configurations the build verilated a core for (rtl::core_config_names()).
std::vector<CommittedCase> cases_on_configs(const std::vector<CommittedCase>& cases,
                                            const std::vector<std::string>& configs);

// The model's committed input `x`: input_x.npy, or the first image of test_x.npy ([1,1,8,8]).
std::map<std::string, Tensor> committed_inputs(const std::string& root, const CommittedCase& c);

// The configuration file with requant.mode set.
HwConfig case_config(const std::string& root, const CommittedCase& c);

// The case compiled for its configuration, ready to run on any backend.
struct CompiledCase {
  HwConfig hw;
  compiler::CompileResult compiled;
  std::map<std::string, Tensor> inputs;
};
CompiledCase compile_case(const std::string& root, const CommittedCase& c);

// The program run on the backend named `backend` (tools/cli/backends.h).
runtime::ProgramResult run_case(const CompiledCase& c, const std::string& backend);

// The trace of one run, keys in file order. Throws bpusim::Error when the run faulted.
nlohmann::ordered_json make_trace(const CommittedCase& c, const runtime::ProgramResult& r);

// The file's text: one key per line, each layer and each output on one line, a final newline.
std::string format_trace(const nlohmann::ordered_json& trace);

// The first field (in file order) where `now` differs from `committed`, as a path
// ("layers[2] conv1.cycles"), both values as JSON text ("(none)" where one has no such
// field), the next few differing fields and how many more differ after those.
struct TraceDifference {
  std::string field;
  std::string committed, now;
  std::vector<std::string> next;  // up to 4: "layers[3] fc.start: 300 -> 310"
  int64_t more = 0;
  // "cycles: committed 300, now 310; then layers[1] fc.cycles: 200 -> 210 (and 1 more)"
  std::string text() const;
};
std::optional<TraceDifference> first_difference(const nlohmann::ordered_json& committed,
                                                const nlohmann::ordered_json& now);

// The committed trace at root/c.trace_path(), or nullopt when there is no such file. Throws
// bpusim::Error when it is not valid JSON.
std::optional<nlohmann::ordered_json> read_trace(const std::string& root, const CommittedCase& c);

}  // namespace bpusim::traces
