// bpusim_bench_resnet18: the C++ half of the model benchmark (bench/run.sh runs
// bench/export_model.py first, which writes the model directory this reads). The name is
// ResNet-18's, the first model benchmarked; it runs any model export_model.py writes
// (ResNet-18, ResNet-50, MobileNetV2: torch.json's "model").
//
//   bpusim_bench_resnet18 --model-dir DIR [--runs N] [--warmup N] [--rtl-runs N] [--json OUT.json]
//                         [--hw HW.json] [--set key=value ...]
//
// Compiles DIR/model.onnx (a torchvision quantizable network, qnnpack), then on DIR/input_x.npy
// times runtime::run_program on the SystemC cycle-aware model and golden::run (the integer
// reference), each as the median of N runs on one thread (neither is multithreaded), checks
// the model's outputs are bit-exact with golden and that golden agrees with PyTorch
// (DIR/torch_qnnpack.npy: fraction of equal elements, largest distance in output LSBs; every
// element equal in requant mode fp32, within 1 LSB in mode fixed or for a folded-bias export,
// as docs/pytorch-recipes.md 2.3 and 5 allow). Then it runs the same program on the
// verilated RTL core (--rtl-runs times, default 1: some 10^5 cycles per wall second, ~250x
// slower than the SystemC model; 0 skips it) and compares it with the SystemC run as `bpusim cosim`
// does (tools/report/cosim.h): outputs bit for bit, total and per-layer cycles, each instruction's
// dispatch, issue, start and end. With PyTorch's times from DIR/torch.json (qnnpack and onednn
// at each thread count export_model.py timed) it prints one table (bpusim, golden, PyTorch per
// thread count, the ratios at each thread count, simulated cycles, MACs per wall second, peak
// memory; SystemC beside the RTL: wall time, cycles, cycles per wall second, the comparison)
// and writes the same figures as JSON. Exit codes as the CLI's: 0 bit-exact with golden, golden
// within the allowed distance of PyTorch and the RTL run equal to SystemC's; 1 a mismatch with
// golden, golden farther from PyTorch than allowed, or any difference between the RTL and SystemC
// runs; 2 user error; 3 modeled fault (on either backend).
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
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "compiler/compile.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/report/cosim.h"

namespace bpusim {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using nlohmann::json;

struct Options {
  fs::path model_dir;
  int runs = 7;
  int warmup = 1;  // of the SystemC model only: a golden run takes seconds, warm-up is noise
#ifdef BPUSIM_HAVE_RTL_CORE  // CMake option BPUSIM_RTL_CORE
  int rtl_runs = 1;          // the RTL core takes ~30 s at 224x224: one run, no warm-up; 0 = none
#else
  int rtl_runs = 0;  // this build has no RTL core
#endif
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
                                            "directory written by bench/export_model.py")(
      "runs", po::value(&o.runs)->default_value(o.runs), "timed runs each (median)")(
      "warmup", po::value(&o.warmup)->default_value(o.warmup), "untimed SystemC runs first")(
      "rtl-runs", po::value(&o.rtl_runs)->default_value(o.rtl_runs),
      "timed runs on the RTL core (median; 0 = skip it)")("json", po::value(&o.json_path),
                                                          "write the figures to this JSON file")(
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
  require(o.rtl_runs >= 0, "--rtl-runs must be >= 0, got ", o.rtl_runs);
#ifndef BPUSIM_HAVE_RTL_CORE
  require(o.rtl_runs == 0, "--rtl-runs ", o.rtl_runs,
          ": this build has no RTL core (CMake option BPUSIM_RTL_CORE is OFF)");
#endif
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
  require(in.good(), path.string(), ": cannot open (run bench/export_model.py first)");
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

// PyTorch's thread counts in torch.json, ascending: the keys of "by_threads", or the one
// top-level "threads" of a torch.json written before export_model.py timed several.
std::vector<int> torch_thread_counts(const json& torch) {
  std::vector<int> counts;
  if (torch.contains("by_threads"))
    for (const auto& item : torch["by_threads"].items()) counts.push_back(std::stoi(item.key()));
  else
    counts.push_back(torch.value("threads", 1));
  std::sort(counts.begin(), counts.end());
  return counts;
}

// PyTorch's figures at `threads` threads (the engines' {median_ms, min_ms, note}).
const json& torch_at(const json& torch, int threads) {
  return torch.contains("by_threads") ? torch["by_threads"][std::to_string(threads)] : torch;
}

// The model's name as printed: torch.json's "model" (torchvision's function name; resnet18
// for a torch.json from before export_model.py took --model).
std::string display_name(const std::string& model) {
  static const std::map<std::string, std::string> names{
      {"resnet18", "ResNet-18"}, {"resnet50", "ResNet-50"}, {"mobilenet_v2", "MobileNetV2"}};
  const auto it = names.find(model);
  return it == names.end() ? model : it->second;
}

std::string fmt(const json& v, const char* spec = "%.1f") {
  if (!v.is_number()) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v.get<double>());
  return buf;
}

// One backend's figures: timed runs, wall time in ms (median and each run), simulated cycles
// and simulated cycles per wall second (of the median).
json backend_figures(const std::vector<double>& ms, int64_t cycles) {
  const double m = median(ms);
  return {{"runs", ms.size()},
          {"wall_ms", m},
          {"wall_ms_all", ms},
          {"cycles", cycles},
          {"cycles_per_second", static_cast<double>(cycles) / (m / 1e3)}};
}

// The RTL run against the SystemC run: report::cosim_json (outputs, total and per-layer
// cycles, every instruction's dispatch/issue/start/end) and the largest per-layer difference.
json comparison_json(const report::CosimComparison& c, std::span<const isa::Instruction> code) {
  json j = report::cosim_json(c, code);
  int64_t largest = 0;
  for (const report::CosimLayer& l : c.layers)
    if (l.cycles[0] && l.cycles[1])
      largest = std::max(largest, std::abs(*l.cycles[1] - *l.cycles[0]));
  j["max_layer_cycle_difference"] = largest;
  j["instructions_differing"] = c.first_difference ? 1 + c.further_differences : 0;
  return j;
}

const char* yes_no(bool b) {
  return b ? "yes" : "NO";
}

// SystemC beside the RTL core, and how the RTL run compares.
void print_backends(const json& r) {
  if (!r.contains("rtl")) {
    std::printf("  RTL core: not run (--rtl-runs 0, or a build without it)\n");
    return;
  }
  const json& s = r["systemc"];
  const json& t = r["rtl"];
  std::printf("  %-28s %14s %14s\n", "", "SystemC", "RTL core");
  std::printf("  %-28s %14d %14d\n", "timed runs", s["runs"].get<int>(), t["runs"].get<int>());
  std::printf("  %-28s %14.3f %14.3f\n", "wall time s (median)", s["wall_ms"].get<double>() / 1e3,
              t["wall_ms"].get<double>() / 1e3);
  std::printf("  %-28s %14lld %14lld\n", "simulated cycles", s["cycles"].get<long long>(),
              t["cycles"].get<long long>());
  std::printf("  %-28s %14.0f %14.0f\n", "simulated cycles / wall s",
              s["cycles_per_second"].get<double>(), t["cycles_per_second"].get<double>());
  const json& c = r["rtl_vs_systemc"];
  std::printf("  RTL vs SystemC: outputs bit-exact %s; total cycles equal %s (difference %lld)\n",
              yes_no(c["outputs_equal"].get<bool>()), yes_no(c["cycles"]["difference"] == 0),
              c["cycles"]["difference"].get<long long>());
  if (!c["outputs_equal"].get<bool>())
    std::printf("    %s\n", c["output_difference"].get<std::string>().c_str());
  size_t differing_layers = 0;
  for (const json& l : c["layers"]) differing_layers += l["difference"] != 0;
  std::printf("  layer cycles equal %s (%zu layers; largest difference %lld cycles)\n",
              yes_no(differing_layers == 0), c["layers"].size(),
              c["max_layer_cycle_difference"].get<long long>());
  for (const json& l : c["layers"])
    if (l["difference"] != 0)
      std::printf("    layer %s: SystemC %s, RTL %s cycles (difference %s)\n",
                  l["name"].get<std::string>().c_str(), l["systemc"].dump().c_str(),
                  l["rtl"].dump().c_str(), l["difference"].dump().c_str());
  const auto differing = c["instructions_differing"].get<long long>();
  std::printf("  instruction dispatch/issue/start/end equal %s (%lld compared, %lld differ)\n",
              differing == 0 ? "yes" : "NO", c["instructions_compared"].get<long long>(),
              differing);
  const auto record = [](const json& rec) {  // "dispatch/issue/start/end", or no record
    if (rec.is_null()) return std::string("no record");
    return cat(rec["dispatch"].get<long long>(), "/", rec["issue"].get<long long>(), "/",
               rec["start"].get<long long>(), "/", rec["end"].get<long long>());
  };
  if (const json& d = c["first_difference"]; !d.is_null()) {
    std::printf("    first: instruction %lld on %s: %s\n", d["index"].get<long long>(),
                d["engine"].get<std::string>().c_str(),
                d["disassembly"].is_string() ? d["disassembly"].get<std::string>().c_str() : "?");
    std::printf("      dispatch/issue/start/end: SystemC %s, RTL %s\n",
                record(d["systemc"]).c_str(), record(d["rtl"]).c_str());
  }
}

void print_table(const json& r) {
  const json& t = r["time_ms"];
  const json& by = r["by_threads"];
  const json& counts = r["pytorch_thread_counts"];  // ascending (by's keys sort as strings)
  std::printf(
      "\n%s (torchvision quantizable %s, random weights, qnnpack, input %s), median of %d runs\n",
      display_name(r["model"]).c_str(), r["model"].get<std::string>().c_str(),
      r["input_shape"].get<std::string>().c_str(), r["runs"].get<int>());
  // One column per PyTorch thread count. bpusim run and golden run on one thread whatever the
  // column: their time is printed once, and the ratios of every column divide it.
  std::printf("  %-36s", "median wall ms; PyTorch on");
  for (const json& n : counts)
    std::printf(" %6d thread%s", n.get<int>(), n.get<int>() == 1 ? " " : "s");
  std::printf("\n");
  const auto row = [&](const char* label, const char* key, const char* spec) {
    std::printf("  %-36s", label);
    for (const json& n : counts)
      std::printf(" %13s", fmt(by[std::to_string(n.get<int>())][key], spec).c_str());
    std::printf("\n");
  };
  std::printf("  %-36s %13s\n", "bpusim run (SystemC, 1 thread)", fmt(t["bpusim_run"]).c_str());
  std::printf("  %-36s %13s\n", "golden reference (1 thread)", fmt(t["golden"]).c_str());
  row("PyTorch qnnpack", "pytorch_qnnpack_ms", "%.1f");
  row("PyTorch onednn", "pytorch_onednn_ms", "%.1f");
  row("sim / qnnpack (target <= 1.0)", "sim_over_qnnpack", "%.2f");
  row("sim / onednn", "sim_over_onednn", "%.2f");
  row("golden / qnnpack", "golden_over_qnnpack", "%.2f");
  std::printf("  sim / golden %s; bpusim and golden take one thread in every column\n",
              fmt(r["ratios"]["sim_over_golden"], "%.2f").c_str());
  std::printf("  simulated cycles %lld, MACs %lld (utilisation %.1f%%), %.3f G simulated MACs/s\n",
              r["cycles"].get<long long>(), r["macs"].get<long long>(),
              r["mac_utilisation"].get<double>() * 100, r["macs_per_second"].get<double>() / 1e9);
  print_backends(r);
  std::printf("  PyTorch %s, torchvision %s; machine %d core(s)\n",
              r["pytorch"].value("torch_version", "?").c_str(),
              r["pytorch"].value("torchvision_version", "?").c_str(), r["cores"].get<int>());
  std::printf(
      "  compile %.2f s, %lld instructions, %zu warnings; peak RSS %.0f MiB (after sim %.0f MiB)\n",
      r["compile_s"].get<double>(), r["instructions"].get<long long>(),
      r["compile_warnings"].size(), r["peak_rss_mib"].get<double>(),
      r["peak_rss_after_sim_mib"].get<double>());
  if (r.contains("load_average"))
    std::printf("  machine load average (1/5/15 min) %.2f %.2f %.2f\n",
                r["load_average"][0].get<double>(), r["load_average"][1].get<double>(),
                r["load_average"][2].get<double>());
  std::printf("  outputs bit-exact with golden: %s\n", yes_no(r["bit_exact"].get<bool>()));
  if (r.contains("pytorch_agreement")) {
    const json& a = r["pytorch_agreement"];
    std::printf(
        "  golden agrees with PyTorch qnnpack: %s (%.4f equal, max %s LSB; allowed %d: %s)\n",
        yes_no(a["within_allowed"].get<bool>()), a["fraction_equal"].get<double>(),
        fmt(a["max_lsb"], "%.0f").c_str(), a["allowed_lsb"].get<int>(),
        a["allowed_because"].get<std::string>().c_str());
  } else {
    std::printf(
        "  golden vs PyTorch qnnpack: not compared (no torch_qnnpack.npy, no "
        "output_scale or not one output)\n");
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
  // `runs` runs of the program on backend `name` after `warmup` untimed ones: the wall times in
  // ms, the last result in `result`; false (after a message) on a modeled fault.
  const auto run_on = [&](const char* name, int warmup, int runs, runtime::ProgramResult& result,
                          std::vector<double>& ms) {
    const auto backend = cli::make_backend(name);
    ms = time_runs(
        warmup, runs, [&] { return runtime::run_program(compiled.program, inputs, ro, *backend); },
        result);
    if (result.fault)
      std::fprintf(stderr, "modeled fault (%s): %s\n", name, result.fault->message().c_str());
    return !result.fault;
  };
  runtime::ProgramResult sim_result;
  std::vector<double> sim_ms;
  if (!run_on("systemc", o.warmup, o.runs, sim_result, sim_ms)) return 3;
  const double rss_after_sim = peak_rss_mib();
  golden::RunResult golden_result;
  const ir::OnnxModel model = ir::import_onnx((o.model_dir / "model.onnx").string());
  const auto golden_ms = time_runs(
      0, o.runs, [&] { return golden::run_model(model.graph, inputs, golden::options_for(hw)); },
      golden_result);

  // The RTL core last: it takes ~30 s at 224x224, so say so first.
  runtime::ProgramResult rtl_result;
  std::vector<double> rtl_ms;
  if (o.rtl_runs > 0) {
    std::printf("RTL core: %d run(s) of %lld simulated cycles...\n", o.rtl_runs,
                static_cast<long long>(sim_result.cycles));
    std::fflush(stdout);
    if (!run_on("rtl", 0, o.rtl_runs, rtl_result, rtl_ms)) return 3;
  }

  bool bit_exact = !golden_result.outputs.empty();
  for (const golden::NamedTensor& want : golden_result.outputs) {
    const bool same = sim_result.output(want.name) == want.tensor;
    if (!same) std::fprintf(stderr, "output %s differs from golden\n", want.name.c_str());
    bit_exact = bit_exact && same;
  }

  const double sim_median = median(sim_ms), golden_median = median(golden_ms);
  json r;
  r["model"] = torch.value("model", "resnet18");
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
  // PyTorch at each thread count it was timed at, against bpusim's and golden's one-thread
  // times (the same numbers in every column).
  r["pytorch_thread_counts"] = torch_thread_counts(torch);
  r["by_threads"] = json::object();
  for (const int n : torch_thread_counts(torch)) {
    const json& at = torch_at(torch, n);
    const json qnnpack = torch_ms(at, "qnnpack"), onednn = torch_ms(at, "onednn");
    r["by_threads"][std::to_string(n)] = {{"pytorch_qnnpack_ms", qnnpack},
                                          {"pytorch_onednn_ms", onednn},
                                          {"sim_over_qnnpack", ratio(sim_median, qnnpack)},
                                          {"sim_over_onednn", ratio(sim_median, onednn)},
                                          {"golden_over_qnnpack", ratio(golden_median, qnnpack)}};
  }
  r["bpusim_threads"] = 1;  // the SystemC kernel runs on one thread (sim/sim_thread.h)
  r["golden_threads"] = 1;
  r["input_shape"] = shape_str(x.shape());
  r["systemc"] = backend_figures(sim_ms, sim_result.cycles);
  bool rtl_equal = true;
  if (o.rtl_runs > 0) {
    r["time_ms"]["rtl_run"] = median(rtl_ms);
    r["rtl"] = backend_figures(rtl_ms, rtl_result.cycles);
    const report::CosimComparison c =
        report::compare_runs(sim_result, rtl_result, {"systemc", "rtl"});
    r["rtl_vs_systemc"] = comparison_json(c, compiled.program.code);
    rtl_equal = c.equal();
  }
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
  r["cores"] = std::thread::hardware_concurrency();
  r["pytorch"] = torch;
  r["notes"] = json::array();
  for (const char* engine : {"qnnpack", "onednn"})
    if (torch.contains(engine) && !torch[engine].value("note", "").empty())
      r["notes"].push_back(torch[engine]["note"]);
  const fs::path torch_out = o.model_dir / "torch_qnnpack.npy";
  bool pytorch_within = true;
  if (fs::exists(torch_out) && golden_result.outputs.size() == 1 &&
      torch.contains("output_scale")) {
    json a = agreement(golden_result.outputs[0].tensor, read_npy(torch_out.string()),
                       torch["output_scale"]);
    // What docs/pytorch-recipes.md allows: in requant mode fp32 golden computes PyTorch's
    // qnnpack recipes exactly (every element equal); mode fixed (2.3) and a bias that
    // torch.onnx.export folded (5; export_model.py never folds) may differ by 1 LSB.
    const bool fixed = hw.requant_mode == RequantMode::kFixed;
    const bool folded = !ir::folded_bias_layers(model).empty();
    const int allowed = fixed || folded ? 1 : 0;
    a["allowed_lsb"] = allowed;
    a["allowed_because"] = fixed    ? "requant.mode fixed"
                           : folded ? "folded bias"
                                    : "requant.mode fp32";
    pytorch_within = a["max_lsb"].get<double>() <= allowed &&
                     (allowed > 0 || a["fraction_equal"].get<double>() == 1.0);
    a["within_allowed"] = pytorch_within;
    if (!pytorch_within)
      std::fprintf(stderr,
                   "golden differs from PyTorch qnnpack beyond %d LSB: %.6f equal, max %.0f LSB\n",
                   allowed, a["fraction_equal"].get<double>(), a["max_lsb"].get<double>());
    r["pytorch_agreement"] = a;
  }

  print_table(r);
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    require(out.good(), o.json_path, ": cannot write");
    out << r.dump(2) << "\n";
  }
  return bit_exact && pytorch_within && rtl_equal ? 0 : 1;
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
