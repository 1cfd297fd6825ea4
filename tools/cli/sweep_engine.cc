#include "tools/cli/sweep_engine.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "common/error.h"
#include "tools/report/progress.h"

extern char** environ;

namespace bpusim::cli::sweep {
namespace fs = std::filesystem;

// ---- plan ----

std::vector<report::SweepAxis> Plan::table_axes() const {
  std::vector<report::SweepAxis> out;
  if (models.size() > 1) out.push_back({"model", labels});
  out.insert(out.end(), axes.begin(), axes.end());
  return out;
}

nlohmann::json Plan::to_json() const {
  nlohmann::json j{{"models", models}, {"labels", labels}, {"hw", hw_path},
                   {"seed", seed},     {"engine", engine}, {"jobs", jobs}};
  for (const report::SweepAxis& a : axes)
    j["axes"].push_back({{"key", a.key}, {"values", a.values}});
  for (const Point& p : points) j["points"].push_back({{"model", p.model}, {"config", p.sets}});
  j["slurm"] = {
      {"partition", slurm.partition}, {"time", slurm.time},   {"max_parallel", slurm.max_parallel},
      {"retries", slurm.retries},     {"slice", slurm.slice}, {"poll_seconds", slurm.poll_seconds}};
  return j;
}

Plan Plan::from_json(const nlohmann::json& j, const std::string& source) {
  Plan p;
  try {
    p.models = j.at("models").get<std::vector<std::string>>();
    p.labels = j.at("labels").get<std::vector<std::string>>();
    p.hw_path = j.at("hw").get<std::string>();
    p.seed = j.at("seed").get<uint32_t>();
    p.engine = j.at("engine").get<std::string>();
    p.jobs = j.at("jobs").get<int>();
    for (const auto& a : j.value("axes", nlohmann::json::array()))
      p.axes.push_back(
          {a.at("key").get<std::string>(), a.at("values").get<std::vector<std::string>>()});
    for (const auto& pt : j.at("points"))
      p.points.push_back(
          {pt.at("model").get<size_t>(), pt.at("config").get<std::vector<std::string>>()});
    const auto& s = j.at("slurm");
    p.slurm = {s.at("partition").get<std::string>(),
               s.at("time").get<std::string>(),
               s.at("max_parallel").get<int>(),
               s.at("retries").get<int>(),
               s.at("slice").get<int>(),
               s.at("poll_seconds").get<double>()};
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": not a sweep plan: ", e.what());
  }
  require(p.labels.size() == p.models.size(), source, ": ", p.labels.size(), " labels for ",
          p.models.size(), " models");
  for (const Point& pt : p.points)
    require(pt.model < p.models.size(), source, ": a point names model ", pt.model, " of ",
            p.models.size());
  require(p.engine == "local" || p.engine == "slurm", source, ": unknown engine '", p.engine, "'");
  return p;
}

// ---- work directory ----

Workdir::Workdir(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  for (const fs::path& d : {root_ / "rows", logs(), slurm()}) {
    fs::create_directories(d, ec);
    require(!ec, d.string(), ": cannot create the directory (", ec.message(), ")");
  }
}

fs::path Workdir::row(size_t point) const {
  return root_ / "rows" / cat(point, ".json");
}

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::optional<report::SweepRow> Workdir::read_row(size_t point) const {
  const fs::path p = row(point);
  if (!fs::exists(p)) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(read_all(p), nullptr, false);
  require(!j.is_discarded(), p.string(), ": not JSON");
  return report::sweep_row_from_json(j, p.string());
}

std::vector<size_t> Workdir::pending(const Plan& plan) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < plan.points.size(); ++i)
    if (!fs::exists(row(i))) out.push_back(i);
  return out;
}

void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + cat(".tmp.", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    require(out.good(), tmp.string(), ": cannot write");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  require(!ec, path.string(), ": cannot rename ", tmp.string(), " onto it (", ec.message(), ")");
}

// ---- local engine ----

namespace {

// Starts `exe args...` with stdout to /dev/null and stderr to `log_path`.
pid_t spawn(const std::string& exe, const std::vector<std::string>& args,
            const std::string& log_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
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

struct Worker {
  size_t point;
  fs::path result, log;
};

bool cancelled_by(int status) {
  return WIFSIGNALED(status) &&
         (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGINT);
}

// The row of a finished worker: its result, or a "crash" row saying how it ended.
report::SweepRow collect(const Plan& plan, const Worker& w, int status) {
  const Point& p = plan.points[w.point];
  report::SweepRow row;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && fs::exists(w.result)) {
    row = report::sweep_row_from_json(nlohmann::json::parse(read_all(w.result)), w.result);
  } else {
    row.assignments = p.sets;
    row.status = "crash";
    std::string log = read_all(w.log);
    while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
    row.message = WIFSIGNALED(status) ? cat("worker killed by signal ", WTERMSIG(status))
                                      : cat("worker exited with ", WEXITSTATUS(status));
    if (!log.empty()) row.message += ": " + log.substr(log.size() > 400 ? log.size() - 400 : 0);
  }
  if (plan.models.size() > 1) row.model = plan.labels[p.model];
  return row;
}

std::string self_exe() {
  return fs::read_symlink("/proc/self/exe").string();
}

}  // namespace

void run_local(const Plan& plan, const Workdir& wd, const std::vector<size_t>& points, int jobs,
               bool show_progress, bool in_task) {
  const std::string exe = self_exe();
  std::map<pid_t, Worker> running;
  report::Progress progress("sweeping", static_cast<int64_t>(points.size()),
                            show_progress && ::isatty(STDERR_FILENO));
  size_t next = 0, done = 0;
  while (done < points.size()) {
    while (next < points.size() && static_cast<int>(running.size()) < jobs) {
      const size_t i = points[next++];
      const Point& p = plan.points[i];
      Worker w{i, wd.logs() / cat(i, ".result.json"), wd.logs() / cat(i, ".log")};
      std::vector<std::string> a{"sweep",           "--worker",
                                 w.result.string(), plan.models[p.model],
                                 "--seed",          std::to_string(plan.seed)};
      if (!plan.hw_path.empty()) a.insert(a.end(), {"--hw", plan.hw_path});
      for (const std::string& s : p.sets) a.insert(a.end(), {"--set", s});
      running[spawn(exe, a, w.log.string())] = w;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) throw std::runtime_error(cat("waitpid: ", std::strerror(errno)));
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Worker w = it->second;
    running.erase(it);
    progress.update(static_cast<int64_t>(++done));
    if (in_task && cancelled_by(status)) continue;  // no row: the retried task runs it again
    write_atomically(wd.row(w.point), report::sweep_row_json(collect(plan, w, status)).dump());
    std::error_code ec;
    fs::remove(w.result, ec);
  }
}

// ---- Slurm engine ----

namespace {

// Runs a command (no shell), returning its exit status and stdout; stderr is appended to
// `err` when given.
int run_command(const std::vector<std::string>& argv, std::string& out,
                std::string* err = nullptr) {
  int out_pipe[2], err_pipe[2];
  require(::pipe(out_pipe) == 0 && ::pipe(err_pipe) == 0, "pipe: ", std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  auto drain = [](int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return s;
  };
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    fail(argv[0], ": cannot run it (", std::strerror(rc),
         "); the Slurm engine needs the Slurm client commands on PATH");
  }
  out = drain(out_pipe[0]);
  const std::string e = drain(err_pipe[0]);
  if (err) *err += e;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One array task of one submission: which slice of which slices file.
struct Task {
  std::string slices;  // the slices file (DIR/slurm/slices-<n>.json)
  size_t index = 0;    // the array index = the slice
  bool operator<(const Task& o) const {
    return std::tie(slices, index) < std::tie(o.slices, o.index);
  }
};

struct Submission {
  std::string job;     // Slurm's array job id
  std::string slices;  // its slices file
  std::vector<size_t> indices;
};

std::vector<std::vector<size_t>> read_slices(const fs::path& path) {
  const nlohmann::json j = nlohmann::json::parse(read_all(path), nullptr, false);
  require(!j.is_discarded() && j.contains("slices"), path.string(), ": not a slices file");
  return j.at("slices").get<std::vector<std::vector<size_t>>>();
}

// DIR/slurm/jobs.json: every submission, so that a resumed sweep finds the tasks still queued.
std::vector<Submission> read_submissions(const Workdir& wd) {
  std::vector<Submission> out;
  const fs::path p = wd.slurm() / "jobs.json";
  if (!fs::exists(p)) return out;
  const nlohmann::json j = nlohmann::json::parse(read_all(p), nullptr, false);
  require(!j.is_discarded(), p.string(), ": not JSON");
  for (const auto& s : j)
    out.push_back({s.at("job").get<std::string>(), s.at("slices").get<std::string>(),
                   s.at("indices").get<std::vector<size_t>>()});
  return out;
}

void write_submissions(const Workdir& wd, const std::vector<Submission>& subs) {
  nlohmann::json j = nlohmann::json::array();
  for (const Submission& s : subs)
    j.push_back({{"job", s.job}, {"slices", s.slices}, {"indices", s.indices}});
  write_atomically(wd.slurm() / "jobs.json", j.dump(1));
}

std::string index_list(const std::vector<size_t>& indices) {
  std::string out;
  for (size_t i : indices) out += (out.empty() ? "" : ",") + std::to_string(i);
  return out;
}

// Submits array tasks `indices` of `slices`; returns the array job id.
std::string submit(const Plan& plan, const Workdir& wd, const std::string& exe,
                   const std::string& slices, const std::vector<size_t>& indices) {
  const fs::path script = wd.slurm() / "task.sh";
  if (!fs::exists(script)) {
    write_atomically(script,
                     cat("#!/bin/sh\n# One task of a bpusim sweep (tools/cli/sweep_engine.h).\n"
                         "exec '",
                         exe, "' sweep --task \"$1\" --slices \"$2\"\n"));
    fs::permissions(script, fs::perms::owner_all, fs::perm_options::add);
  }
  std::string array = index_list(indices);
  if (plan.slurm.max_parallel > 0) array += cat("%", plan.slurm.max_parallel);
  std::vector<std::string> argv{"sbatch",
                                "--parsable",
                                "--job-name=bpusim-sweep",
                                "--array=" + array,
                                "--ntasks=1",
                                "--cpus-per-task=1",
                                "--output=" + (wd.logs() / "slurm-%A_%a.out").string(),
                                "--chdir=" + wd.root().string()};
  if (!plan.slurm.partition.empty()) argv.push_back("--partition=" + plan.slurm.partition);
  if (!plan.slurm.time.empty()) argv.push_back("--time=" + plan.slurm.time);
  argv.insert(argv.end(), {script.string(), wd.root().string(), slices});
  std::string out, err;
  const int rc = run_command(argv, out, &err);
  require(rc == 0, "sbatch failed (exit ", rc, "): ", err.empty() ? out : err);
  const std::string job = out.substr(0, out.find_first_of(";\n"));
  require(!job.empty(), "sbatch printed no job id: ", out);
  return job;
}

// The state of every queued array task of `jobs` ("<job>_<index>" -> state); nullopt when
// squeue cannot be asked (the controller is busy or restarting: ask again later).
std::optional<std::map<std::string, std::string>> queue_states(const std::set<std::string>& jobs) {
  std::map<std::string, std::string> out;
  if (jobs.empty()) return out;
  std::string list;
  for (const std::string& j : jobs) list += (list.empty() ? "" : ",") + j;
  std::string text, err;
  if (run_command({"squeue", "-h", "-r", "-j", list, "-o", "%i %T"}, text, &err) != 0) {
    // squeue refuses a job list whose jobs have all left the queue: then nothing is queued.
    if (err.find("Invalid job id") != std::string::npos) return out;
    return std::nullopt;
  }
  std::istringstream in(text);
  std::string id, state;
  while (in >> id >> state) out[id] = state;
  return out;
}

// How long the monitor keeps asking a silent squeue before it gives up (--resume continues).
constexpr std::chrono::seconds kQueueSilence{600};

bool has_all_rows(const Workdir& wd, const std::vector<size_t>& points) {
  for (size_t p : points)
    if (!fs::exists(wd.row(p))) return false;
  return true;
}

}  // namespace

void run_slurm(const Plan& plan, const Workdir& wd, const std::string& exe) {
  std::vector<Submission> subs = read_submissions(wd);
  std::map<Task, std::string> active;  // task -> the array job it runs in
  std::map<Task, int> attempts;
  std::map<std::string, std::vector<std::vector<size_t>>> slices;  // file -> its slices
  auto slices_of = [&](const std::string& file) -> const std::vector<std::vector<size_t>>& {
    auto it = slices.find(file);
    if (it == slices.end()) it = slices.emplace(file, read_slices(file)).first;
    return it->second;
  };

  // A resumed sweep: the tasks of earlier submissions still queued are waited for, not rerun.
  std::set<size_t> in_flight;
  if (!subs.empty()) {
    std::set<std::string> jobs;
    for (const Submission& s : subs) jobs.insert(s.job);
    std::optional<std::map<std::string, std::string>> q;
    for (int tries = 0; !(q = queue_states(jobs)) && tries < 30; ++tries)
      std::this_thread::sleep_for(std::chrono::seconds(1));
    require(q.has_value(), "squeue does not answer: cannot tell which tasks are still queued");
    for (const Submission& s : subs)
      for (size_t i : s.indices)
        if (q->count(cat(s.job, "_", i)) && !has_all_rows(wd, slices_of(s.slices).at(i))) {
          active[{s.slices, i}] = s.job;
          attempts[{s.slices, i}] = 1;
          for (size_t p : slices_of(s.slices).at(i)) in_flight.insert(p);
        }
    if (!active.empty())
      std::cout << "slurm: " << active.size()
                << " task(s) of the earlier submission still queued\n";
  }

  // The pending points not in flight, in slices.
  std::vector<size_t> todo;
  for (size_t p : wd.pending(plan))
    if (!in_flight.count(p)) todo.push_back(p);
  if (!todo.empty()) {
    const size_t per =
        plan.slurm.slice > 0 ? static_cast<size_t>(plan.slurm.slice) : (todo.size() + 63) / 64;
    nlohmann::json j{{"slices", nlohmann::json::array()}};
    std::vector<size_t> indices;
    for (size_t k = 0; k < todo.size(); k += per) {
      indices.push_back(indices.size());
      j["slices"].push_back(std::vector<size_t>(
          todo.begin() + static_cast<std::ptrdiff_t>(k),
          todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), k + per))));
    }
    const std::string file = (wd.slurm() / cat("slices-", subs.size(), ".json")).string();
    write_atomically(file, j.dump());
    const std::string job = submit(plan, wd, exe, file, indices);
    subs.push_back({job, file, indices});
    write_submissions(wd, subs);
    for (size_t i : indices) active[{file, i}] = job, attempts[{file, i}] = 1;
    std::cout << "slurm: submitted job array " << job << ": " << indices.size() << " task(s), "
              << todo.size() << " configuration(s)";
    if (plan.slurm.max_parallel > 0)
      std::cout << ", at most " << plan.slurm.max_parallel << " at once";
    std::cout << "\n" << std::flush;
  }

  int failed = 0, finished = 0;
  std::string last;
  auto answered = std::chrono::steady_clock::now();
  while (!active.empty()) {
    std::set<std::string> jobs;
    for (const auto& [task, job] : active) jobs.insert(job);
    const auto q = queue_states(jobs);
    // A controller that stays away does not hang the sweep: the tasks keep their rows, and
    // --resume continues once the cluster answers again.
    require(q || std::chrono::steady_clock::now() - answered < kQueueSilence,
            "squeue has not "
            "answered for ",
            kQueueSilence.count(),
            " s; the submitted tasks keep running and "
            "writing rows: continue with bpusim sweep --resume ",
            wd.root().string());
    if (q) {
      answered = std::chrono::steady_clock::now();
      int pending = 0, running = 0;
      std::map<std::string, std::vector<size_t>> retry;  // slices file -> indices
      for (auto it = active.begin(); it != active.end();) {
        const auto s = q->find(cat(it->second, "_", it->first.index));
        if (s != q->end()) {
          (s->second == "PENDING" ? pending : running) += 1;
          ++it;
          continue;
        }
        const std::vector<size_t>& points = slices_of(it->first.slices).at(it->first.index);
        if (has_all_rows(wd, points)) {
          ++finished;
        } else if (attempts[it->first] <= plan.slurm.retries) {
          ++failed;
          ++attempts[it->first];
          retry[it->first.slices].push_back(it->first.index);
        } else {
          ++failed;
          for (size_t p : points) {
            if (fs::exists(wd.row(p))) continue;
            report::SweepRow row;
            row.assignments = plan.points[p].sets;
            if (plan.models.size() > 1) row.model = plan.labels[plan.points[p].model];
            row.status = "crash";
            row.message =
                cat("Slurm task ", it->second, "_", it->first.index, " ended ", attempts[it->first],
                    " time(s) without this row (killed, timed out or "
                    "its node failed); its log: ",
                    (wd.logs() / cat("slurm-", it->second, "_", it->first.index, ".out")).string());
            write_atomically(wd.row(p), report::sweep_row_json(row).dump());
          }
        }
        it = active.erase(it);
      }
      for (const auto& [file, indices] : retry) {
        const std::string job = submit(plan, wd, exe, file, indices);
        subs.push_back({job, file, indices});
        write_submissions(wd, subs);
        for (size_t i : indices) active[{file, i}] = job;
        std::cout << "slurm: resubmitted " << indices.size() << " task(s) that ended without all "
                  << "their rows as job array " << job << "\n";
      }
      const size_t rows = plan.points.size() - wd.pending(plan).size();
      const std::string line =
          cat("slurm: tasks ", pending, " pending, ", running, " running, ", finished, " done, ",
              failed, " failed; rows ", rows, "/", plan.points.size());
      if (line != last) std::cout << line << "\n" << std::flush;
      last = line;
    }
    if (!active.empty())
      std::this_thread::sleep_for(std::chrono::duration<double>(plan.slurm.poll_seconds));
  }
}

int run_task(const fs::path& dir, const fs::path& slices_file) {
  const Workdir wd(dir);
  const Plan plan = Plan::from_json(nlohmann::json::parse(read_all(wd.plan())), wd.plan().string());
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  require(id != nullptr,
          "sweep --task runs inside a Slurm array task (SLURM_ARRAY_TASK_ID is unset)");
  const std::vector<std::vector<size_t>> slices = read_slices(slices_file);
  const size_t index = std::stoul(id);
  require(index < slices.size(), slices_file.string(), ": no slice ", index);
  std::vector<size_t> todo;
  for (size_t p : slices[index])
    if (!fs::exists(wd.row(p))) todo.push_back(p);
  run_local(plan, wd, todo, 1, false, true);
  return has_all_rows(wd, slices[index]) ? 0 : 1;
}

}  // namespace bpusim::cli::sweep
