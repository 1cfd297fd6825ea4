// bpusim demo [--model DIR|MODEL.onnx] [--hw HW.json] [--set k=v] [--images N]
// [--report demo.html]: the first thing a new user runs. Compiles the default model
// (models/digits, tools/report/default_model.h), runs every test image through the SystemC
// model and the golden reference (a progress bar when stderr is a terminal), and prints the
// float and PyTorch-quantized accuracies recorded at training time, the accuracy on the
// simulated accelerator, how many outputs are bit-exact with golden and with PyTorch's
// committed logits, cycles per inference, frames per second at clock_mhz and MAC
// utilisation; writes an HTML report (the figures, the confusion matrix and the profile of
// the first image's run). Exit 1 when the SystemC model and golden disagree on any output,
// 3 on a modeled fault, 2 for bad options or model files.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "common/hw_config.h"
#include "compiler/compile.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"
#include "tools/report/default_model.h"
#include "tools/report/html.h"
#include "tools/report/profile.h"
#include "tools/report/progress.h"
#include "tools/report/run_summary.h"
#include "tools/report/svg.h"

namespace bpusim::cli {
namespace {

// Class predicted by one output: the argmax of its logits (first maximum), or the value of a
// single integer output (a model ending in ArgMax).
int64_t predicted_class(const Tensor& out) {
  if (out.numel() == 1 && out.dtype() != DType::kF32) return out.as_int(0);
  int64_t best = 0;
  for (int64_t i = 1; i < out.numel(); ++i)
    if (out.as_double(i) > out.as_double(best)) best = i;
  return best;
}

// An image the simulated accelerator classified wrongly.
struct Misclassified {
  int64_t index = 0, label = 0, predicted = 0;
};

struct DemoTally {
  int64_t images = 0;
  int64_t sim_correct = 0, torch_correct = 0;
  int64_t golden_exact = 0, torch_exact = 0;
  int64_t min_cycles = 0, max_cycles = 0, total_cycles = 0;
  std::vector<int64_t> golden_mismatches, torch_mismatches;  // image indices
  std::vector<Misclassified> wrong;                          // SystemC's argmax != label
  std::vector<std::vector<int64_t>> confusion;               // [label][prediction]

  double mean_cycles() const {
    return images ? static_cast<double>(total_cycles) / static_cast<double>(images) : 0.0;
  }
  double frames_per_second(const HwConfig& hw) const {
    return total_cycles ? static_cast<double>(hw.clock_mhz) * 1e6 / mean_cycles() : 0.0;
  }
};

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}
std::string pct(int64_t part, int64_t whole) {
  return pct(whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0);
}

// One "  label   value" line of the printed summary.
void row(const std::string& label, const std::string& value) {
  std::printf("  %-40s %s\n", label.c_str(), value.c_str());
}

std::string index_list(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 20; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() > 20) s += cat(", ... (", v.size(), " in all)");
  return s.empty() ? "none" : s;
}

// How many images SystemC misclassified and which: "1 of 360 (index 36: label 3, predicted
// 8)"; several are separated by "; ", and after 20 the list ends in "…".
std::string misclassified_summary(const DemoTally& t) {
  std::string s = cat(t.wrong.size(), " of ", t.images);
  if (t.wrong.empty()) return s;
  constexpr size_t kListed = 20;
  s += " (";
  for (size_t i = 0; i < t.wrong.size() && i < kListed; ++i) {
    const Misclassified& w = t.wrong[i];
    s += cat(i ? "; " : "", "index ", w.index, ": label ", w.label, ", predicted ", w.predicted);
  }
  if (t.wrong.size() > kListed) s += "; \u2026";
  return s + ")";
}

// The demo's own sections of the HTML report, before the profile of the first image.
std::vector<report::HtmlSection> demo_sections(const report::DemoModel& m, const DemoTally& t,
                                               const report::Profile& first) {
  const int64_t n = t.images;
  std::vector<report::HtmlSection> out;
  out.push_back({"accuracy", "Accuracy",
                 report::html_table({"model", "accuracy", "images", "source"},
                                    {{"float (before quantization)", pct(m.float_accuracy),
                                      std::to_string(m.count()), "manifest.json (training time)"},
                                     {"PyTorch quantized", pct(m.pytorch_accuracy),
                                      std::to_string(m.count()), "manifest.json (training time)"},
                                     {"PyTorch quantized", pct(t.torch_correct, n),
                                      std::to_string(n), "committed logits, these images"},
                                     {"simulated accelerator", pct(t.sim_correct, n),
                                      std::to_string(n), "SystemC model, this run"}})});
  out.push_back({"bit-exact", "Bit-exact outputs",
                 report::html_table({"comparison", "bit-exact", "differing images"},
                                    {{"SystemC vs golden reference", cat(t.golden_exact, " / ", n),
                                      index_list(t.golden_mismatches)},
                                     {"SystemC vs PyTorch logits", cat(t.torch_exact, " / ", n),
                                      index_list(t.torch_mismatches)}}) +
                     "<p class=\"note\">Misclassified images (SystemC): " +
                     report::xml_escape(misclassified_summary(t)) + ".</p>\n"});
  std::vector<std::string> header{"label \\ predicted"};
  for (size_t c = 0; c < t.confusion.size(); ++c) header.push_back(std::to_string(c));
  std::vector<std::vector<std::string>> rows;
  for (size_t l = 0; l < t.confusion.size(); ++l) {
    std::vector<std::string> row{std::to_string(l)};
    for (int64_t v : t.confusion[l]) row.push_back(v ? std::to_string(v) : "");
    rows.push_back(row);
  }
  out.push_back({"confusion", "Confusion matrix (simulated accelerator)",
                 report::html_table(header, rows, "confusion")});
  out.push_back(
      {"per-inference", "Per inference",
       report::html_table(
           {"figure", "value"},
           {{"cycles (min / max over the images)",
             cat(report::grouped_int(t.min_cycles), " / ", report::grouped_int(t.max_cycles))},
            {"frames per second (mean cycles)",
             report::grouped_int(static_cast<int64_t>(t.frames_per_second(first.hw)))},
            {"MAC utilisation", pct(first.utilisation())}}) +
           "<p class=\"note\">The sections below profile the run of image 0.</p>\n"});
  return out;
}

int run_demo(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string model = report::default_model_dir(), hw_path, report_path = "demo.html";
  std::vector<std::string> sets;
  int64_t max_images = 0;
  options.add_options()("model", po::value(&model)->default_value(model),
                        "model directory with manifest.json, or an ONNX file in one")(
      "hw", po::value(&hw_path), "hardware config JSON file")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "images", po::value(&max_images)->default_value(0),
      "run only the first N test images (0 = all)")(
      "report", po::value(&report_path)->default_value(report_path), "HTML report to write");
  po::positional_options_description positional;
  po::variables_map vm;
  if (!parse_args("demo", "[--hw HW.json] [--set k=v] [--images N] [--report demo.html]", args,
                  options, positional, vm))
    return kExitOk;
  require(max_images >= 0, "--images ", max_images, ": must be 0 (all) or a positive count");
  const report::DemoModel m = report::load_demo_model(model);
  const HwConfig hw = load_hw_config(hw_path, sets);
  const compiler::CompileResult compiled = compiler::compile_model(m.onnx_path, hw);
  int64_t macs = 0;
  for (const auto& l : compiled.layers) macs += l.macs;
  const int64_t n = max_images > 0 ? std::min(max_images, m.count()) : m.count();
  std::printf("bpusim demo: %s, %lld test images\n", m.onnx_path.c_str(),
              static_cast<long long>(n));
  std::printf("hardware: %lldx%lld MAC array at %lld MHz, DDR %lld bytes/cycle, requant %s\n",
              static_cast<long long>(hw.mac_rows), static_cast<long long>(hw.mac_cols),
              static_cast<long long>(hw.clock_mhz), static_cast<long long>(hw.ddr_bytes_per_cycle),
              hw.requant_mode == RequantMode::kFp32 ? "fp32" : "fixed");
  std::printf("compiled: %zu accelerator layers, %zu instructions, %s MACs per inference\n",
              compiled.layers.size(), compiled.program.code.size(),
              report::grouped_int(macs).c_str());

  runtime::RunOptions opts;
  opts.hw = hw;
  opts.source = m.onnx_path;
  const std::unique_ptr<runtime::Backend> systemc = make_backend("systemc");
  DemoTally t;
  t.images = n;
  t.confusion.assign(static_cast<size_t>(m.classes()),
                     std::vector<int64_t>(static_cast<size_t>(m.classes()), 0));
  std::optional<report::Profile> first;
  const ir::OnnxModel imported = ir::import_onnx(m.onnx_path);
  {
    report::Progress progress("simulating", n);
    for (int64_t i = 0; i < n; ++i) {
      const std::map<std::string, Tensor> in{{m.input_name, m.image(i)}};
      const runtime::ProgramResult r = runtime::run_program(compiled.program, in, opts, *systemc);
      if (r.fault) {
        progress.finish();
        std::cerr << "bpusim demo: image " << i << ": modeled fault: " << r.fault->message()
                  << "\n";
        return kExitFault;
      }
      const Tensor& got = r.output(m.output_name);
      const golden::RunResult want = golden::run_model(imported.graph, in, golden::options_for(hw));
      if (got == want.output(m.output_name))  // element type, shape and bytes
        ++t.golden_exact;
      else
        t.golden_mismatches.push_back(i);
      const Tensor torch = m.torch_output(i);
      if (got == torch)
        ++t.torch_exact;
      else
        t.torch_mismatches.push_back(i);
      const int64_t label = m.labels.values<int64_t>()[i];
      const int64_t pred = predicted_class(got);
      t.sim_correct += pred == label;
      t.torch_correct += predicted_class(torch) == label;
      if (pred != label) t.wrong.push_back({i, label, pred});
      if (label >= 0 && label < m.classes() && pred >= 0 && pred < m.classes())
        ++t.confusion[label][pred];
      t.min_cycles = i ? std::min(t.min_cycles, r.cycles) : r.cycles;
      t.max_cycles = i ? std::max(t.max_cycles, r.cycles) : r.cycles;
      t.total_cycles += r.cycles;
      if (!first) first = report::make_profile(compiled.program, r, hw, m.onnx_path);
      progress.update(i + 1);
    }
  }
  std::printf("\naccuracy\n");
  row("float model (PyTorch, at training)", cat(pct(m.float_accuracy), " of ", m.count()));
  row("quantized model (PyTorch, at training)", cat(pct(m.pytorch_accuracy), " of ", m.count()));
  row("quantized model (PyTorch's logits)",
      cat(pct(t.torch_correct, n), "  ", t.torch_correct, "/", n));
  row("simulated accelerator (SystemC)", cat(pct(t.sim_correct, n), "  ", t.sim_correct, "/", n));
  row("misclassified images (SystemC)", misclassified_summary(t));
  std::printf("bit-exact outputs\n");
  row("SystemC vs golden reference", cat(t.golden_exact, "/", n));
  row("SystemC vs PyTorch's quantized logits", cat(t.torch_exact, "/", n));
  std::printf("performance per inference (SystemC model)\n");
  row("cycles",
      t.max_cycles == t.min_cycles
          ? report::grouped_int(t.min_cycles)
          : cat(report::grouped_int(t.min_cycles), " .. ", report::grouped_int(t.max_cycles),
                " (mean ", report::grouped_int(static_cast<int64_t>(t.mean_cycles())), ")"));
  row(cat("frames per second at ", hw.clock_mhz, " MHz"),
      report::grouped_int(static_cast<int64_t>(t.frames_per_second(hw))));
  row("MAC utilisation", cat(pct(first->utilisation()), " of ", hw.mac_rows, "x", hw.mac_cols));

  report::HtmlPage page;
  page.title = "bpusim demo: " + m.manifest.value("model", std::string("model"));
  page.subtitle = cat(m.onnx_path, ": ", n, " test images on a ", hw.mac_rows, "x", hw.mac_cols,
                      " MAC array at ", hw.clock_mhz, " MHz");
  page.sections = demo_sections(m, t, *first);
  report::write_text_file(report_path, report::profile_html(*first, page));
  std::printf("report: %s\n", report_path.c_str());
  if (t.golden_exact != n) {
    std::fprintf(stderr,
                 "bpusim demo: the SystemC model and the golden reference differ on %lld "
                 "image(s): %s\n",
                 static_cast<long long>(n - t.golden_exact),
                 index_list(t.golden_mismatches).c_str());
    return kExitMismatch;
  }
  return kExitOk;
}

BPUSIM_COMMAND({"demo",
                "run the default model's test images on the simulated accelerator: accuracy, "
                "bit-exactness, cycles, HTML report",
                run_demo});

}  // namespace
}  // namespace bpusim::cli
