// bpusim_bench_resnet18: the C++ half of the ResNet-18 benchmark (bench/run.sh runs
// bench/resnet18.py first, which writes the model directory this reads).
//
//   bpusim_bench_resnet18 --model-dir DIR [--runs N] [--warmup N] [--json OUT.json] [--hw HW.json]
//                         [--set key=value ...]
//
// Compiles DIR/model.onnx (torchvision's quantizable ResNet-18, qnnpack), then on
// DIR/input_x.npy times runtime::run_program on the SystemC cycle-aware model and golden::run (the
// integer reference), each as the median of N runs, checks the model's outputs are bit-exact
// with golden and measures golden's agreement with PyTorch (DIR/torch_qnnpack.npy: fraction
// of equal elements, largest distance in output LSBs). With PyTorch's times from
// DIR/torch.json it prints one table (bpusim, golden, PyTorch qnnpack and onednn, the ratios,
// simulated cycles, MACs per wall second, peak memory) and writes the same figures as JSON.
// Exit codes as the CLI's: 0 bit-exact, 1 mismatch with golden, 2 user error, 3 modeled fault.
#include <sys/resource.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "compiler/compile.h"
#include "golden/interpreter.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"

namespace bpusim {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using nlohmann::json;

struct Options {
  fs::path model_dir;
  int runs = 7;
  int warmup = 1;  // of the SystemC model only: a golden run takes seconds, warm-up is noise
  std::string json_path;
  std::string hw_path;
  std::vector<std::string> sets;
};

// Parses argv; nullopt after printing the help.
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  po::options_description desc("bpusim_bench_resnet18 --model-dir DIR [options]");
  desc.add_options()("help,h", "this help")("model-dir",
                                            po::value<fs::path>(&o.model_dir)->required(),
                                            "directory written by bench/resnet18.py")(
      "runs", po::value(&o.runs)->default_value(o.runs), "timed runs each (median)")(
      "warmup", po::value(&o.warmup)->default_value(o.warmup), "untimed SystemC runs first")(
      "json", po::value(&o.json_path), "write the figures to this JSON file")(
      "hw", po::value(&o.hw_path), "hardware config JSON file")(
      "set", po::value(&o.sets)->composing(), "override one hardware key: key=value");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    fail("bpusim_bench_resnet18: ", e.what());
  }
  require(o.runs >= 1, "--runs must be >= 1, got ", o.runs);
  require(o.warmup >= 0, "--warmup must be >= 0, got ", o.warmup);
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Peak resident set size of this process so far, in MiB (Linux reports ru_maxrss in KiB).
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Runs `f` `warmup` times untimed, then `runs` times; returns the timed runs' wall times in ms
// and leaves the last result in `out`.
template <typename F, typename R>
std::vector<double> time_runs(int warmup, int runs, F&& f, R& out) {
  for (int i = 0; i < warmup; ++i) out = f();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    out = f();
    ms.push_back(seconds_since(t0) * 1e3);
  }
  return ms;
}

// How far `got` is from `want` (same element count): equal fraction and the largest
// distance in units of `lsb` (the quantized output's scale).
json agreement(const Tensor& got, const Tensor& want, double lsb) {
  require(got.numel() == want.numel(), "PyTorch output has ", want.numel(), " elements, bpusim's ",
          got.numel());
  int64_t equal = 0;
  double max_diff = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double d = std::abs(got.as_double(i) - want.as_double(i));
    equal += d == 0;
    max_diff = std::max(max_diff, d);
  }
  return {{"fraction_equal", static_cast<double>(equal) / static_cast<double>(got.numel())},
          {"max_lsb", std::round(max_diff / lsb)}};
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  require(in.good(), path.string(), ": cannot open (run bench/resnet18.py first)");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    fail(path.string(), ": not valid JSON: ", e.what());
  }
}

// PyTorch's median for `engine` in ms from torch.json, or null when it was unavailable.
json torch_ms(const json& torch, const std::string& engine) {
  if (!torch.contains(engine)) return nullptr;
  return torch[engine].value("median_ms", json());
}

json ratio(double num, const json& den) {
  return den.is_number() ? json(num / den.get<double>()) : json();
}

std::string fmt(const json& v, const char* spec = "%.1f") {
  if (!v.is_number()) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v.get<double>());
  return buf;
}

void print_table(const json& r) {
  const json& t = r["time_ms"];
  const json& x = r["ratios"];
  std::printf("\nResNet-18 (torchvision quantizable, qnnpack, 1x3x224x224), median of %d runs\n",
              r["runs"].get<int>());
  std::printf("  %-34s %12s\n", "", "median ms");
  std::printf("  %-34s %12s\n", "bpusim run (SystemC cycle-aware)", fmt(t["bpusim_run"]).c_str());
  std::printf("  %-34s %12s\n", "golden reference", fmt(t["golden"]).c_str());
  std::printf("  %-34s %12s\n", "PyTorch qnnpack", fmt(t["pytorch_qnnpack"]).c_str());
  std::printf("  %-34s %12s\n", "PyTorch onednn", fmt(t["pytorch_onednn"]).c_str());
  std::printf(
      "  ratios: sim/qnnpack %s (target <= 1.0), sim/onednn %s, sim/golden %s, "
      "golden/qnnpack %s\n",
      fmt(x["sim_over_qnnpack"], "%.2f").c_str(), fmt(x["sim_over_onednn"], "%.2f").c_str(),
      fmt(x["sim_over_golden"], "%.2f").c_str(), fmt(x["golden_over_qnnpack"], "%.2f").c_str());
  std::printf("  simulated cycles %lld, MACs %lld (utilisation %.1f%%), %.3f G simulated MACs/s\n",
              r["cycles"].get<long long>(), r["macs"].get<long long>(),
              r["mac_utilisation"].get<double>() * 100, r["macs_per_second"].get<double>() / 1e9);
  std::printf("  PyTorch %s, %d thread(s); bpusim one simulation thread\n",
              r["pytorch"].value("torch_version", "?").c_str(), r["pytorch"].value("threads", 0));
  std::printf(
      "  compile %.2f s, %lld instructions, %zu warnings; peak RSS %.0f MiB (after sim %.0f MiB)\n",
      r["compile_s"].get<double>(), r["instructions"].get<long long>(),
      r["compile_warnings"].size(), r["peak_rss_mib"].get<double>(),
      r["peak_rss_after_sim_mib"].get<double>());
  if (r.contains("load_average"))
    std::printf("  machine load average (1/5/15 min) %.2f %.2f %.2f\n",
                r["load_average"][0].get<double>(), r["load_average"][1].get<double>(),
                r["load_average"][2].get<double>());
  std::printf("  outputs bit-exact with golden: %s\n", r["bit_exact"].get<bool>() ? "yes" : "NO");
  if (r.contains("pytorch_agreement")) {
    const json& a = r["pytorch_agreement"];
    std::printf("  agreement with PyTorch qnnpack: %.4f equal, max %s LSB\n",
                a["fraction_equal"].get<double>(), fmt(a["max_lsb"], "%.0f").c_str());
  }
  for (const auto& note : r["notes"]) std::printf("  note: %s\n", note.get<std::string>().c_str());
}

int run(const Options& o) {
  const HwConfig hw = load_hw_config(o.hw_path, o.sets);
  const json torch = read_json(o.model_dir / "torch.json");
  const Tensor x = read_npy((o.model_dir / "input_x.npy").string());
  const std::map<std::string, Tensor> inputs{{"x", x}};

  auto t0 = std::chrono::steady_clock::now();
  const compiler::CompileResult compiled =
      compiler::compile_model((o.model_dir / "model.onnx").string(), hw);
  const double compile_s = seconds_since(t0);

  runtime::RunOptions ro;
  ro.hw = hw;
  sim::SystemcBackend systemc;
  runtime::ProgramResult sim_result;
  const auto sim_ms = time_runs(
      o.warmup, o.runs, [&] { return runtime::run_program(compiled.program, inputs, ro, systemc); },
      sim_result);
  if (sim_result.fault) {
    std::fprintf(stderr, "modeled fault: %s\n", sim_result.fault->message().c_str());
    return 3;
  }
  const double rss_after_sim = peak_rss_mib();
  golden::RunResult golden_result;
  const auto golden_ms = time_runs(
      0, o.runs, [&] { return golden::run(compiled.graph, inputs); }, golden_result);

  bool bit_exact = !golden_result.outputs.empty();
  for (const golden::NamedTensor& want : golden_result.outputs) {
    const bool same = sim_result.output(want.name) == want.tensor;
    if (!same) std::fprintf(stderr, "output %s differs from golden\n", want.name.c_str());
    bit_exact = bit_exact && same;
  }

  const double sim_median = median(sim_ms), golden_median = median(golden_ms);
  json r;
  r["runs"] = o.runs;
  r["hw_hash"] = hw.hash();
  r["time_ms"] = {{"bpusim_run", sim_median},
                  {"golden", golden_median},
                  {"pytorch_qnnpack", torch_ms(torch, "qnnpack")},
                  {"pytorch_onednn", torch_ms(torch, "onednn")},
                  {"bpusim_run_all", sim_ms},
                  {"golden_all", golden_ms}};
  r["ratios"] = {{"sim_over_qnnpack", ratio(sim_median, r["time_ms"]["pytorch_qnnpack"])},
                 {"sim_over_onednn", ratio(sim_median, r["time_ms"]["pytorch_onednn"])},
                 {"golden_over_qnnpack", ratio(golden_median, r["time_ms"]["pytorch_qnnpack"])},
                 {"sim_over_golden", sim_median / golden_median}};
  r["cycles"] = sim_result.cycles;
  r["macs"] = sim_result.counters.macs;
  r["mac_utilisation"] = runtime::mac_utilisation(sim_result.counters.macs, sim_result.cycles,
                                                  hw.mac_rows, hw.mac_cols);
  r["macs_per_second"] = static_cast<double>(sim_result.counters.macs) / (sim_median / 1e3);
  r["compile_s"] = compile_s;
  r["instructions"] = compiled.program.code.size();
  r["compile_warnings"] = compiled.warnings;  // ops not fused or left on the host
  r["peak_rss_after_sim_mib"] = rss_after_sim;
  r["peak_rss_mib"] = peak_rss_mib();
  r["bit_exact"] = bit_exact;
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) r["load_average"] = {load[0], load[1], load[2]};
  r["pytorch"] = torch;
  r["notes"] = json::array();
  for (const char* engine : {"qnnpack", "onednn"})
    if (torch.contains(engine) && !torch[engine].value("note", "").empty())
      r["notes"].push_back(torch[engine]["note"]);
  const fs::path torch_out = o.model_dir / "torch_qnnpack.npy";
  if (fs::exists(torch_out) && golden_result.outputs.size() == 1 && torch.contains("output_scale"))
    r["pytorch_agreement"] = agreement(golden_result.outputs[0].tensor,
                                       read_npy(torch_out.string()), torch["output_scale"]);

  print_table(r);
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    require(out.good(), o.json_path, ": cannot write");
    out << r.dump(2) << "\n";
  }
  return bit_exact ? 0 : 1;
}

}  // namespace
}  // namespace bpusim

int main(int argc, char** argv) {
  try {
    const auto options = bpusim::parse(argc, argv);
    return options ? bpusim::run(*options) : 0;
  } catch (const bpusim::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
