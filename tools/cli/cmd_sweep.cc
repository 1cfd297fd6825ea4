// bpusim sweep MODEL.onnx... --set key=v1,v2,... [--set ...] [--hw HW.json] [-o sweep.csv]
// [--json sweep.json] [--jobs N] [--seed S] [--engine local|slurm] [--workdir DIR]
// [--partition P] [--max-parallel N] [--time LIMIT] [--retries N] [--slice N]
// bpusim sweep --resume DIR [-o sweep.csv] [--json sweep.json]
// Compiles and simulates each model under every configuration of the product of the --set
// lists (seeded random inputs, the same for every configuration), prints a table (cycles, MAC
// utilisation, frames per second, SRAM use, DDR bytes; a model column when there are several)
// and writes it as CSV and JSON (tools/report/sweep.h).
//
// The points run as worker processes (`bpusim sweep --worker RESULT.json MODEL --set k=v ...`:
// SystemC elaborates one model per process), on this machine (--engine local, the default:
// --jobs at a time) or as Slurm job arrays (--engine slurm; tools/cli/sweep_engine.h). Every
// point's row goes into the work directory (--workdir, or a scratch directory for a local
// sweep) as soon as it is known; `--resume DIR` continues a sweep that was interrupted (also
// after this process died) without recomputing a row. A configuration that fails to compile
// (e.g. the model does not fit its SRAMs) or faults is a row with that status.
// Exit: 0 when every configuration ran, else 4 if a worker crashed, 3 if one faulted, 2 if
// one could not be compiled; 2 also for bad options or a model that cannot be read.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
#include "common/hw_config.h"
#include "compiler/compile.h"
#include "ir/onnx_import.h"
#include "runtime/runtime.h"
#include "tools/cli/command.h"
#include "tools/cli/program_setup.h"
#include "tools/cli/sweep_engine.h"
#include "tools/report/run_summary.h"
#include "tools/report/sweep.h"

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

int exit_code(const std::vector<report::SweepRow>& rows) {
  int code = kExitOk;
  for (const report::SweepRow& r : rows) {
    if (r.status == "crash") code = std::max<int>(code, kExitInternal);
    if (r.status == "fault") code = std::max<int>(code, kExitFault);
    if (r.status == "error") code = std::max<int>(code, kExitUserError);
  }
  return code;
}

// Removes a local sweep's scratch work directory however the parent leaves.
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

int run_task(const std::vector<std::string>& args) {
  po::options_description options("task options");
  std::string dir, slices;
  options.add_options()("task", po::value(&dir)->required(), "")(
      "slices", po::value(&slices)->required(), "");
  po::variables_map vm;
  if (!parse_args("sweep --task", "DIR --slices FILE", args, options, {}, vm)) return kExitOk;
  return sweep::run_task(dir, slices);
}

// Runs the plan's pending points on its engine, then prints and writes the table.
int finish(const sweep::Plan& plan, const sweep::Workdir& wd, const std::string& csv_path,
           const std::string& json_path) {
  const std::vector<size_t> pending = wd.pending(plan);
  if (plan.engine == "slurm")
    sweep::run_slurm(plan, wd, fs::read_symlink("/proc/self/exe").string());
  else
    sweep::run_local(plan, wd, pending, std::min<int>(plan.jobs, std::max<int>(1, pending.size())),
                     true, false);
  std::vector<report::SweepRow> rows;
  for (size_t i = 0; i < plan.points.size(); ++i) {
    std::optional<report::SweepRow> r = wd.read_row(i);
    check_invariant(r.has_value(), "sweep point ", i, " has no row after its engine finished");
    rows.push_back(std::move(*r));
  }
  const std::vector<report::SweepAxis> axes = plan.table_axes();
  if (plan.engine == "slurm") std::cout << "\n";
  std::cout << report::sweep_table(axes, rows);
  if (!csv_path.empty()) report::write_text_file(csv_path, report::sweep_csv(axes, rows));
  if (!json_path.empty()) {
    nlohmann::json j{{"seed", plan.seed}, {"axes", nlohmann::json::array()}};
    if (plan.labels.size() == 1)
      j["model"] = plan.labels[0];
    else
      j["models"] = plan.labels;
    for (const report::SweepAxis& a : axes)
      j["axes"].push_back({{"key", a.key}, {"values", a.values}});
    j["rows"] = nlohmann::json::array();
    for (const report::SweepRow& r : rows) j["rows"].push_back(report::sweep_row_json(r));
    report::write_json_file(json_path, j);
  }
  return exit_code(rows);
}

std::string plan_summary(const sweep::Plan& plan, size_t configs) {
  return cat(plan.labels.size() == 1 ? plan.labels[0] : cat(plan.labels.size(), " models"), ", ",
             configs, " configuration(s)",
             plan.models.size() > 1 ? cat(", ", plan.points.size(), " points") : "");
}

int run_sweep(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "--worker") return run_worker(args);
  if (!args.empty() && args[0] == "--task") return run_task(args);
  po::options_description options("options");
  std::vector<std::string> models, sets;
  std::string hw_path, csv_path, json_path, engine = "local", workdir, resume;
  sweep::SlurmOptions slurm;
  uint32_t seed = 1;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.add_options()("model", po::value(&models)->composing(), "ONNX model(s)")(
      "set", po::value(&sets)->composing(),
      "a hardware key and its values: key=v1,v2,... (repeatable; the sweep is the product)")(
      "hw", po::value(&hw_path), "base hardware config JSON file")(
      "output,o", po::value(&csv_path), "write the table as CSV")("json", po::value(&json_path),
                                                                  "write the table as JSON")(
      "jobs,j", po::value(&jobs)->default_value(jobs), "local engine: configurations in parallel")(
      "seed", po::value(&seed)->default_value(seed), "seed of the random inputs")(
      "engine", po::value(&engine)->default_value(engine), "local or slurm")(
      "workdir", po::value(&workdir),
      "directory for the plan and every row as it completes (required by --engine slurm; "
      "on a file system the cluster's nodes share)")(
      "resume", po::value(&resume), "continue the interrupted sweep of this work directory")(
      "partition", po::value(&slurm.partition), "slurm: the partition")(
      "max-parallel", po::value(&slurm.max_parallel), "slurm: array tasks running at once")(
      "time", po::value(&slurm.time), "slurm: time limit per task (sbatch --time)")(
      "retries", po::value(&slurm.retries)->default_value(slurm.retries),
      "slurm: resubmissions of a task that ends without its rows")(
      "slice", po::value(&slurm.slice), "slurm: configurations per task (default: <= 64 tasks)");
  po::positional_options_description positional;
  positional.add("model", -1);
  po::variables_map vm;
  if (!parse_args("sweep",
                  "MODEL.onnx... --set key=v1,v2,... [--set ...] [--hw HW.json] [-o sweep.csv] "
                  "[--json sweep.json] [--jobs N] [--engine local|slurm] [--workdir DIR] "
                  "[--partition P] [--max-parallel N] [--time LIMIT]\n"
                  "       bpusim sweep --resume DIR [-o sweep.csv] [--json sweep.json]",
                  args, options, positional, vm))
    return kExitOk;

  if (!resume.empty()) {
    require(models.empty() && sets.empty(), "--resume ", resume,
            ": the models and --set axes are the sweep's own (", resume, "/plan.json)");
    require(fs::exists(fs::path(resume) / "plan.json"), "--resume ", resume,
            ": no sweep there (plan.json is missing)");
    const sweep::Workdir wd(resume);
    const sweep::Plan plan = sweep::Plan::from_json(
        nlohmann::json::parse(std::ifstream(wd.plan()), nullptr, false), wd.plan().string());
    std::printf("sweep: resuming %s: %s, %zu of %zu rows done, %s engine\n\n", resume.c_str(),
                plan_summary(plan, plan.points.size() / plan.models.size()).c_str(),
                plan.points.size() - wd.pending(plan).size(), plan.points.size(),
                plan.engine.c_str());
    std::fflush(stdout);
    return finish(plan, wd, csv_path, json_path);
  }

  require(!models.empty(), "sweep: no model given");
  require(jobs >= 1, "--jobs ", jobs, ": must be at least 1");
  require(engine == "local" || engine == "slurm", "--engine ", engine,
          ": unknown engine (local or slurm)");
  require(engine == "local" || !workdir.empty(),
          "--engine slurm needs --workdir DIR (a directory the cluster's nodes share)");
  require(slurm.max_parallel >= 0 && slurm.retries >= 0 && slurm.slice >= 0,
          "--max-parallel, --retries and --slice must not be negative");
  const HwConfig base = load_hw_config(hw_path, {});
  sweep::Plan plan;
  plan.axes = report::parse_sweep_axes(sets, base);
  for (const std::string& m : models) {
    ir::import_onnx(m);  // a model that cannot be read is one error, not one per config
    plan.models.push_back(fs::absolute(m).string());
  }
  plan.labels = models;
  plan.hw_path = hw_path.empty() ? "" : fs::absolute(hw_path).string();
  plan.seed = seed;
  plan.engine = engine;
  plan.slurm = slurm;
  const auto configs = report::sweep_points(plan.axes);
  for (size_t m = 0; m < plan.models.size(); ++m)
    for (const auto& c : configs) plan.points.push_back({m, c});
  plan.jobs = std::min<int>(jobs, static_cast<int>(plan.points.size()));

  std::optional<ScratchDir> scratch;
  if (workdir.empty()) scratch.emplace();
  const fs::path dir = workdir.empty() ? scratch->path : fs::path(workdir);
  require(!fs::exists(dir / "plan.json"), "--workdir ", dir.string(),
          " already holds a sweep: continue it with --resume ", dir.string(),
          " or choose another directory");
  const sweep::Workdir wd(dir);
  sweep::write_atomically(wd.plan(), plan.to_json().dump(1));
  if (engine == "slurm")
    std::printf("sweep: %s on Slurm, work directory %s\n\n",
                plan_summary(plan, configs.size()).c_str(), dir.c_str());
  else
    std::printf("sweep: %s, %d in parallel\n\n", plan_summary(plan, configs.size()).c_str(),
                plan.jobs);
  std::fflush(stdout);
  return finish(plan, wd, csv_path, json_path);
}

BPUSIM_COMMAND({"sweep",
                "compile and simulate a model over a product of hardware configurations (CSV/JSON)",
                run_sweep});

}  // namespace
}  // namespace bpusim::cli
