// bpusim sweep MODEL.onnx --set key=v1,v2,... [--set ...] [--hw HW.json] [-o sweep.csv]
// [--json sweep.json] [--jobs N] [--seed S]: compiles and simulates the model under every
// configuration of the product of the --set lists (seeded random inputs, the same for every
// configuration), prints a table (cycles, MAC utilisation, frames per second, SRAM use, DDR
// bytes) and writes it as CSV and JSON (tools/report/sweep.h).
//
// SystemC elaborates one model per process, so each configuration runs in a child process:
// this executable again, as `bpusim sweep --worker RESULT.json MODEL --set k=v ...` (one value
// per key), started with posix_spawn, --jobs of them at a time (default: one per core). The
// worker writes its SweepRow as JSON; a configuration that fails to compile (e.g. the model
// does not fit its SRAMs) or faults is a row with that status, not the end of the sweep.
// Exit: 0 when every configuration ran, else 4 if a worker crashed, 3 if one faulted, 2 if
// one could not be compiled; 2 also for bad options or a model that cannot be read.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
#include "common/hw_config.h"
#include "compiler/compile.h"
#include "ir/onnx_import.h"
#include "runtime/runtime.h"
#include "tools/cli/command.h"
#include "tools/cli/program_setup.h"
#include "tools/report/progress.h"
#include "tools/report/run_summary.h"
#include "tools/report/sweep.h"

extern char** environ;

namespace bpusim::cli {
namespace {

namespace fs = std::filesystem;

// ---- worker: one configuration in this process ----

report::SweepRow run_one(const std::string& model, const std::string& hw_path,
                         const std::vector<std::string>& sets, uint32_t seed) {
  report::SweepRow row;
  row.assignments = sets;
  try {
    const HwConfig hw = load_hw_config(hw_path, sets);
    hw.validate();
    row.sram_capacity = report::sram_capacity(hw);
    const compiler::CompileResult compiled = compiler::compile_model(model, hw);
    for (const auto& l : compiled.layers)
      for (int b = 0; b < report::kNumSrams; ++b)
        row.sram_peak[b] = std::max(row.sram_peak[b], l.sram[b]);
    const runtime::ProgramResult r = simulate_with_random_inputs(compiled.program, hw, model, seed);
    row.cycles = r.cycles;
    row.macs = r.counters.macs;
    row.utilisation = runtime::mac_utilisation(r.counters.macs, r.cycles, hw.mac_rows, hw.mac_cols);
    row.frames_per_second =
        r.cycles ? static_cast<double>(hw.clock_mhz) * 1e6 / static_cast<double>(r.cycles) : 0.0;
    row.ddr_read_bytes = r.counters.ddr_read_bytes;
    row.ddr_write_bytes = r.counters.ddr_write_bytes;
    row.instructions = static_cast<int64_t>(r.counters.instrs.size());
    if (r.fault) {
      row.status = "fault";
      row.message = r.fault->message();
    }
  } catch (const Error& e) {
    row.status = "error";
    row.message = e.what();
  }
  return row;
}

int run_worker(const std::vector<std::string>& args) {
  po::options_description options("worker options");
  std::string out, model, hw_path;
  std::vector<std::string> sets;
  uint32_t seed = 1;
  options.add_options()("worker", po::value(&out)->required(), "")(
      "model", po::value(&model)->required(), "")("hw", po::value(&hw_path), "")(
      "set", po::value(&sets)->composing(), "")("seed", po::value(&seed), "");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse_args("sweep --worker", "RESULT.json MODEL.onnx [--set k=v ...]", args, options,
                  positional, vm))
    return kExitOk;
  report::write_json_file(out, report::sweep_row_json(run_one(model, hw_path, sets, seed)));
  return kExitOk;
}

// ---- parent: the product of configurations over child processes ----

struct Child {
  size_t index;
  std::string result_path, log_path;
};

// Starts `bpusim sweep --worker ...` for configuration `index`; stdout is discarded and
// stderr goes to the log file (shown if the worker dies).
pid_t spawn_worker(const std::string& exe, const std::vector<std::string>& worker_args,
                   const std::string& log_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const std::string& a : worker_args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(cat("cannot start ", exe, ": ", std::strerror(rc)));
  return pid;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The row a finished worker left, or a "crash" row saying how it ended.
report::SweepRow collect(const Child& c, int status, const std::vector<std::string>& sets) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && fs::exists(c.result_path))
    return report::sweep_row_from_json(nlohmann::json::parse(read_all(c.result_path)),
                                       c.result_path);
  report::SweepRow row;
  row.assignments = sets;
  row.status = "crash";
  std::string log = read_all(c.log_path);
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
  row.message = WIFSIGNALED(status) ? cat("worker killed by signal ", WTERMSIG(status))
                                    : cat("worker exited with ", WEXITSTATUS(status));
  if (!log.empty()) row.message += ": " + log.substr(log.size() > 400 ? log.size() - 400 : 0);
  return row;
}

// Removes the sweep's scratch directory however the parent leaves.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "bpusim-sweep-XXXXXX").string();
    require(::mkdtemp(tmpl.data()) != nullptr, tmpl, ": cannot create a scratch directory");
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::vector<report::SweepRow> run_points(const std::string& model, const std::string& hw_path,
                                         const std::vector<std::vector<std::string>>& points,
                                         uint32_t seed, int jobs) {
  const std::string exe = fs::read_symlink("/proc/self/exe").string();
  ScratchDir scratch;
  std::vector<report::SweepRow> rows(points.size());
  std::map<pid_t, Child> running;
  report::Progress progress("sweeping", static_cast<int64_t>(points.size()));
  size_t next = 0, done = 0;
  while (done < points.size()) {
    while (next < points.size() && static_cast<int>(running.size()) < jobs) {
      Child c{next, (scratch.path / cat(next, ".json")).string(),
              (scratch.path / cat(next, ".log")).string()};
      std::vector<std::string> a{"sweep", "--worker", c.result_path,
                                 model,   "--seed",   std::to_string(seed)};
      if (!hw_path.empty()) a.insert(a.end(), {"--hw", hw_path});
      for (const std::string& s : points[next]) a.insert(a.end(), {"--set", s});
      running[spawn_worker(exe, a, c.log_path)] = c;
      ++next;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) throw std::runtime_error(cat("waitpid: ", std::strerror(errno)));
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    rows[it->second.index] = collect(it->second, status, points[it->second.index]);
    running.erase(it);
    progress.update(static_cast<int64_t>(++done));
  }
  return rows;
}

int exit_code(const std::vector<report::SweepRow>& rows) {
  int code = kExitOk;
  for (const report::SweepRow& r : rows) {
    if (r.status == "crash") code = std::max<int>(code, kExitInternal);
    if (r.status == "fault") code = std::max<int>(code, kExitFault);
    if (r.status == "error") code = std::max<int>(code, kExitUserError);
  }
  return code;
}

int run_sweep(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "--worker") return run_worker(args);
  po::options_description options("options");
  std::string model, hw_path, csv_path, json_path;
  std::vector<std::string> sets;
  uint32_t seed = 1;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.add_options()("model", po::value(&model)->required(), "ONNX model")(
      "set", po::value(&sets)->composing(),
      "a hardware key and its values: key=v1,v2,... (repeatable; the sweep is the product)")(
      "hw", po::value(&hw_path), "base hardware config JSON file")(
      "output,o", po::value(&csv_path), "write the table as CSV")("json", po::value(&json_path),
                                                                  "write the table as JSON")(
      "jobs,j", po::value(&jobs)->default_value(jobs), "configurations run in parallel")(
      "seed", po::value(&seed)->default_value(seed), "seed of the random inputs");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse_args("sweep",
                  "MODEL.onnx --set key=v1,v2,... [--set ...] [--hw HW.json] [-o sweep.csv] "
                  "[--json sweep.json] [--jobs N]",
                  args, options, positional, vm))
    return kExitOk;
  require(jobs >= 1, "--jobs ", jobs, ": must be at least 1");
  const HwConfig base = load_hw_config(hw_path, {});
  const std::vector<report::SweepAxis> axes = report::parse_sweep_axes(sets, base);
  ir::import_onnx(model);  // a model that cannot be read is one error, not one per config
  const auto points = report::sweep_points(axes);
  jobs = std::min<int>(jobs, static_cast<int>(points.size()));
  std::printf("sweep: %s, %zu configuration(s), %d in parallel\n\n", model.c_str(), points.size(),
              jobs);
  std::fflush(stdout);
  const std::vector<report::SweepRow> rows = run_points(model, hw_path, points, seed, jobs);
  std::cout << report::sweep_table(axes, rows);
  if (!csv_path.empty()) report::write_text_file(csv_path, report::sweep_csv(axes, rows));
  if (!json_path.empty()) {
    nlohmann::json j{{"model", model}, {"seed", seed}, {"axes", nlohmann::json::array()}};
    for (const report::SweepAxis& a : axes)
      j["axes"].push_back({{"key", a.key}, {"values", a.values}});
    j["rows"] = nlohmann::json::array();
    for (const report::SweepRow& r : rows) j["rows"].push_back(report::sweep_row_json(r));
    report::write_json_file(json_path, j);
  }
  return exit_code(rows);
}

BPUSIM_COMMAND({"sweep",
                "compile and simulate a model over a product of hardware configurations (CSV/JSON)",
                run_sweep});

}  // namespace
}  // namespace bpusim::cli
