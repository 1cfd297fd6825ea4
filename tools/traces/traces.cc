#include "tools/traces/traces.h"

#include <algorithm>
#include <boost/crc.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/error.h"
#include "common/npy.h"
#include "isa/isa.h"
#include "tools/cli/backends.h"

namespace bpusim::traces {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::string CommittedCase::label() const {
  return model + " on " + config + ", " + mode;
}

std::string CommittedCase::id() const {
  return model + "_" + config + "_" + mode;
}

std::ostream& operator<<(std::ostream& os, const CommittedCase& c) {
  return os << c.label();
}

std::string CommittedCase::trace_path() const {
  return "traces/" + model + "/" + config + "-" + mode + ".json";
}

namespace {

// The names of the entries of `dir` that `keep` accepts, sorted.
template <class Keep>
std::vector<fs::path> sorted_entries(const fs::path& dir, Keep keep) {
  require(fs::is_directory(dir), dir.string(), ": no such folder");
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (keep(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<CommittedCase> committed_cases(const std::string& root) {
  std::vector<std::string> model_dirs;
  for (const auto& p : sorted_entries(fs::path(root) / "tests/data/models", [](const fs::path& p) {
         return fs::exists(p / "model.onnx");
       }))
    model_dirs.push_back("tests/data/models/" + p.filename().string());
  model_dirs.push_back("models/digits");
  std::vector<std::string> configs;
  for (const auto& p : sorted_entries(fs::path(root) / "rtl_ref/configs",
                                      [](const fs::path& p) { return p.extension() == ".json"; }))
    configs.push_back(p.stem().string());
  std::vector<CommittedCase> out;
  for (const std::string& config : configs)
    for (const char* mode : {"fp32", "fixed"})
      for (const std::string& dir : model_dirs) {
        const bool has_input = fs::exists(fs::path(root) / dir / "input_x.npy");
        out.push_back({fs::path(dir).filename().string(), dir, config, mode,
                       has_input ? "input_x.npy" : "test_x.npy"});
      }
  return out;
}

std::vector<CommittedCase> cases_on_configs(const std::vector<CommittedCase>& cases,
                                            const std::vector<std::string>& configs) {
  std::vector<CommittedCase> out;
  std::copy_if(cases.begin(), cases.end(), std::back_inserter(out), [&](const CommittedCase& c) {
    return std::find(configs.begin(), configs.end(), c.config) != configs.end();
  });
  return out;
}

std::map<std::string, Tensor> committed_inputs(const std::string& root, const CommittedCase& c) {
  const std::string path = root + "/" + c.model_dir + "/" + c.input;
  if (c.input == "input_x.npy") return {{"x", read_npy(path)}};
  const Tensor all = read_npy(path);  // [N, 1, 8, 8]
  require(all.rank() == 4 && all.dim(0) > 0, path, ": expected [N, C, H, W] images, got ",
          shape_str(all.shape()));
  Tensor first(DType::kF32, {1, all.dim(1), all.dim(2), all.dim(3)});
  const auto src = all.values<float>();
  auto dst = first.values<float>();
  std::copy(src.begin(), src.begin() + first.numel(), dst.begin());
  return {{"x", first}};
}

HwConfig case_config(const std::string& root, const CommittedCase& c) {
  HwConfig hw = HwConfig::load(root + "/rtl_ref/configs/" + c.config + ".json");
  hw.set("requant.mode=" + c.mode);
  return hw;
}

CompiledCase compile_case(const std::string& root, const CommittedCase& c) {
  CompiledCase out{case_config(root, c), {}, committed_inputs(root, c)};
  out.compiled = compiler::compile_model(root + "/" + c.model_dir + "/model.onnx", out.hw);
  return out;
}

runtime::ProgramResult run_case(const CompiledCase& c, const std::string& backend) {
  runtime::RunOptions options;
  options.hw = c.hw;
  const auto b = cli::make_backend(backend);
  return runtime::run_program(c.compiled.program, c.inputs, options, *b);
}

ordered_json make_trace(const CommittedCase& c, const runtime::ProgramResult& r) {
  if (r.fault) fail(c.label(), ": the run faulted: ", r.fault->message());
  ordered_json t;
  t["about"] =
      std::string("bpusim regression trace; every backend listed produces exactly this; ") +
      "regenerate with " + kUpdateCommand;
  t["model"] = c.model_dir;
  t["input"] = c.input == "input_x.npy" ? "x = input_x.npy" : "x = test_x.npy[0:1]";
  t["config"] = "rtl_ref/configs/" + c.config + ".json";
  t["requant_mode"] = c.mode;
  t["backends"] = kTraceBackends;
  t["cycles"] = r.cycles;
  ordered_json instrs;
  for (isa::Queue q : {isa::Queue::kLoad, isa::Queue::kCompute, isa::Queue::kStore})
    instrs[std::string(isa::name(q))] =
        std::count_if(r.counters.instrs.begin(), r.counters.instrs.end(),
                      [q](const runtime::InstrRecord& i) { return i.queue == q; });
  t["instructions"] = instrs;
  t["ddr_bytes"] = ordered_json{{"read", r.counters.ddr_read_bytes},
                                {"write", r.counters.ddr_write_bytes},
                                {"bus", r.counters.ddr_bus_bytes}};
  ordered_json layers = ordered_json::array();
  for (const runtime::LayerCycles& l : r.layers)
    layers.push_back(ordered_json{
        {"name", l.name}, {"cycles", l.cycles()}, {"start", l.start_cycle}, {"end", l.end_cycle}});
  t["layers"] = layers;
  ordered_json outputs = ordered_json::array();
  for (const runtime::NamedTensor& o : r.outputs) {
    boost::crc_32_type crc;
    crc.process_bytes(o.tensor.bytes().data(), o.tensor.bytes().size());
    char hex[11];
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(crc.checksum()));
    outputs.push_back(ordered_json{{"name", o.name},
                                   {"dtype", std::string(dtype_name(o.tensor.dtype()))},
                                   {"shape", o.tensor.shape()},
                                   {"crc32", hex}});
  }
  t["outputs"] = outputs;
  return t;
}

namespace {

// JSON on one line, with a space after each ':' and ','.
std::string one_line(const ordered_json& v) {
  std::string out;
  if (v.is_object()) {
    for (const auto& [key, value] : v.items())
      out += (out.empty() ? "" : ", ") + ordered_json(key).dump() + ": " + one_line(value);
    return "{" + out + "}";
  }
  if (v.is_array()) {
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + one_line(e);
    return "[" + out + "]";
  }
  return v.dump();
}

}  // namespace

std::string format_trace(const ordered_json& trace) {
  std::string out = "{\n";
  size_t i = 0;
  for (const auto& [key, value] : trace.items()) {
    out += "  " + ordered_json(key).dump() + ": ";
    const bool rows = value.is_array() && !value.empty() &&
                      std::all_of(value.begin(), value.end(),
                                  [](const ordered_json& e) { return e.is_object(); });
    if (rows) {
      out += "[\n";
      for (size_t r = 0; r < value.size(); ++r)
        out += "    " + one_line(value[r]) + (r + 1 < value.size() ? ",\n" : "\n");
      out += "  ]";
    } else {
      out += one_line(value);
    }
    out += ++i < trace.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

std::string TraceDifference::text() const {
  std::string out = field + ": committed " + committed + ", now " + now;
  for (size_t i = 0; i < next.size(); ++i) out += (i == 0 ? "; then " : ", ") + next[i];
  return out + (more > 0 ? " (and " + std::to_string(more) + " more)" : "");
}

namespace {

struct DiffWalk {
  std::optional<TraceDifference> first;
  int64_t count = 0;

  void record(const std::string& field, const std::string& committed, const std::string& now) {
    if (count++ == 0)
      first = TraceDifference{field, committed, now, {}, 0};
    else if (first->next.size() < 4)
      first->next.push_back(field + ": " + committed + " -> " + now);
  }

  // An array element's path: its index, and its name when it has one ("layers[2] conv1").
  static std::string element(const std::string& path, size_t i, const ordered_json& e) {
    std::string out = path;  // appended piece by piece: GCC 12 warns -Wrestrict on a + chain
    out.append("[").append(std::to_string(i)).append("]");
    if (e.is_object() && e.contains("name") && e["name"].is_string())
      out.append(" ").append(e["name"].get<std::string>());
    return out;
  }

  void walk(const ordered_json& a, const ordered_json& b, const std::string& path) {
    const std::string dot = path.empty() ? "" : path + ".";
    if (a.is_object() && b.is_object()) {
      for (const auto& [key, value] : a.items()) {
        if (b.contains(key))
          walk(value, b[key], dot + key);
        else
          record(dot + key, one_line(value), "(none)");
      }
      for (const auto& [key, value] : b.items())
        if (!a.contains(key)) record(dot + key, "(none)", one_line(value));
    } else if (a.is_array() && b.is_array()) {
      for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        if (i < a.size() && i < b.size())
          walk(a[i], b[i], element(path, i, a[i]));
        else if (i < a.size())
          record(element(path, i, a[i]), one_line(a[i]), "(none)");
        else
          record(element(path, i, b[i]), "(none)", one_line(b[i]));
      }
    } else if (a != b) {
      record(path.empty() ? "(the whole trace)" : path, one_line(a), one_line(b));
    }
  }
};

}  // namespace

std::optional<TraceDifference> first_difference(const ordered_json& committed,
                                                const ordered_json& now) {
  DiffWalk w;
  w.walk(committed, now, "");
  if (w.first) w.first->more = w.count - 1 - static_cast<int64_t>(w.first->next.size());
  return w.first;
}

std::optional<ordered_json> read_trace(const std::string& root, const CommittedCase& c) {
  const std::string path = root + "/" + c.trace_path();
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  try {
    return ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": not a trace: ", e.what(), " (regenerate it with ", kUpdateCommand, ")");
  }
}

}  // namespace bpusim::traces
