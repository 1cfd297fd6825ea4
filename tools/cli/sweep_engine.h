// How `bpusim sweep` runs its configurations (docs/guide.md section 7 and "Sweeping on a
// cluster"). Every sweep has a plan (the models, the base configuration, the axes, the seed,
// and the points: each model under each configuration) and a work directory that holds it:
//   DIR/plan.json          the plan (what --resume reads)
//   DIR/rows/<i>.json      point i's result row, written atomically (rename) once it is known:
//                          a point with a row is never run again
//   DIR/logs/              worker logs, Slurm task logs
//   DIR/slurm/             the Slurm engine's task script, slices and submitted job ids
// Both engines run each point as a worker process (`bpusim sweep --worker ...`: SystemC
// elaborates one model per process) and share everything but dispatch: the local engine
// spawns the workers itself, --jobs at a time; the Slurm engine submits job arrays whose tasks
// (`bpusim sweep --task DIR --slices F`) each run a slice of the points through the local
// engine, one at a time, and resubmits a task that ended without all of its rows (killed,
// timed out, node lost) up to --retries times. A point that fails deterministically (it does
// not fit, it faults) is a row with that status, like any other.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/report/sweep.h"

namespace bpusim::cli::sweep {

struct SlurmOptions {
  std::string partition;  // "" = the cluster's default
  std::string time;       // per-task time limit (sbatch --time), "" = the partition's
  int max_parallel = 0;   // array tasks running at once (sbatch --array=...%N), 0 = no limit
  int retries = 3;        // resubmissions of a task that ended without all of its rows
  int slice = 0;          // points per task, 0 = enough for at most 64 tasks
  double poll_seconds = 1.0;
};

struct Point {
  size_t model = 0;               // index into Plan::models
  std::vector<std::string> sets;  // the configuration's "key=value"s
};

struct Plan {
  std::vector<std::string> models;  // absolute paths (what workers open)
  std::vector<std::string> labels;  // the models as the user named them (rows, table, JSON)
  std::string hw_path;              // the base configuration ("" = defaults)
  uint32_t seed = 1;
  std::vector<report::SweepAxis> axes;  // the --set axes
  std::vector<Point> points;            // models outer, configurations inner
  std::string engine = "local";         // "local" or "slurm"
  int jobs = 1;                         // local engine: workers at once
  SlurmOptions slurm;

  // The axes of the table: "model" first when the sweep has several models.
  std::vector<report::SweepAxis> table_axes() const;
  nlohmann::json to_json() const;
  static Plan from_json(const nlohmann::json& j, const std::string& source);
};

class Workdir {
 public:
  explicit Workdir(std::filesystem::path root);
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path plan() const { return root_ / "plan.json"; }
  std::filesystem::path row(size_t point) const;
  std::filesystem::path logs() const { return root_ / "logs"; }
  std::filesystem::path slurm() const { return root_ / "slurm"; }
  // Point i's row, if written.
  std::optional<report::SweepRow> read_row(size_t point) const;
  // The points of `plan` without a row, in order.
  std::vector<size_t> pending(const Plan& plan) const;

 private:
  std::filesystem::path root_;
};

// Writes `text` to `path` atomically: a temporary file beside it, then rename.
void write_atomically(const std::filesystem::path& path, const std::string& text);

// The local engine: runs `points` of the plan as worker processes, `jobs` at a time, and
// leaves each one's row in the work directory (a worker that dies leaves a "crash" row);
// `show_progress`: a progress bar on stderr when it is a terminal.
// `in_task` (a Slurm task): a worker ended by SIGTERM, SIGKILL or SIGINT — the task being
// cancelled — leaves no row, so the point runs again when the task is retried.
void run_local(const Plan& plan, const Workdir& wd, const std::vector<size_t>& points, int jobs,
               bool show_progress, bool in_task);

// The Slurm engine: first waits for (and retries) the tasks of earlier submissions still in
// the queue (a resumed sweep), then submits the pending points, prints progress lines until
// every point has a row, and resubmits failed tasks. Needs sbatch and squeue on PATH.
void run_slurm(const Plan& plan, const Workdir& wd, const std::string& exe);

// `bpusim sweep --task DIR --slices F`: the body of one array task (SLURM_ARRAY_TASK_ID picks
// its slice of F). Exit 0 when every point of the slice has a row.
int run_task(const std::filesystem::path& dir, const std::filesystem::path& slices);

}  // namespace bpusim::cli::sweep
