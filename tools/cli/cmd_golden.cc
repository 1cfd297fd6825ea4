// bpusim golden MODEL.onnx --input NAME=X.npy ... --output-dir DIR [--hw HW.json] [--set k=v]:
// imports the model, runs the compiler front end (compiler/passes/frontend.h: the quantized,
// fused canonical graph for the hardware's requant.mode) and executes it on the golden
// reference (golden/interpreter.h). Writes DIR/<output name>.npy for every graph output in
// its own element type: float32 for dequantized outputs, int64 for argmax indices (characters
// other than letters, digits, '.', '-' and '_' in the name become '_'). Inputs exported with
// symbolic dimensions take the given tensors' shapes. The front end's notes (ops not fused,
// float regions on the host) go to stderr.
#include <filesystem>
#include <iostream>
#include <map>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "compiler/onnx_import.h"
#include "compiler/passes/frontend.h"
#include "golden/interpreter.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

namespace fs = std::filesystem;

std::string file_name_for(const std::string& output) {
  std::string name = output;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return name + ".npy";
}

// A graph input exported with symbolic dimensions (dynamic_axes) takes the shape of the
// tensor given for it, so the front end sees static shapes.
void bind_dynamic_shapes(ir::Graph& g, const std::map<std::string, Tensor>& feeds) {
  for (ir::ValueId id : g.inputs) {
    ir::Value& v = g.value(id);
    auto it = feeds.find(v.name);
    if (v.shape_known || it == feeds.end()) continue;
    v.shape = it->second.shape();
    v.shape_known = true;
  }
}

int run_golden(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string model, out_dir, hw_path;
  std::vector<std::string> inputs, sets;
  options.add_options()("model", po::value(&model)->required(), "ONNX model")(
      "input", po::value(&inputs)->composing(), "NAME=X.npy: a graph input (repeatable)")(
      "output-dir", po::value(&out_dir)->required(), "directory for <output name>.npy")(
      "hw", po::value(&hw_path), "hardware config JSON file")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse_args("golden",
                  "MODEL.onnx --input NAME=X.npy ... --output-dir DIR [--hw HW.json] "
                  "[--set key=value ...]",
                  args, options, positional, vm))
    return kExitOk;
  const HwConfig hw = load_hw_config(hw_path, sets);
  std::map<std::string, Tensor> feeds;
  for (const auto& [name, path] : parse_named_paths(inputs, "--input")) {
    require(feeds.count(name) == 0, "--input ", name, " is given twice");
    feeds[name] = read_npy(path);
  }
  compiler::OnnxModel imported = compiler::import_onnx(model);
  bind_dynamic_shapes(imported.graph, feeds);
  std::vector<std::string> notes;
  compiler::run_frontend_passes(imported.graph, hw, notes, imported.source);
  for (const std::string& n : notes) std::cerr << "note: " << n << "\n";
  const golden::RunResult result = golden::run(imported.graph, feeds);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  require(!ec, out_dir, ": cannot create the output directory: ", ec.message());
  for (const golden::NamedTensor& o : result.outputs) {
    const fs::path path = fs::path(out_dir) / file_name_for(o.name);
    write_npy(path.string(), o.tensor);
    std::cout << o.name << ": " << dtype_name(o.tensor.dtype()) << " "
              << shape_str(o.tensor.shape()) << " -> " << path.string() << "\n";
  }
  return kExitOk;
}

BPUSIM_COMMAND({"golden",
                "run an ONNX model's quantized graph on the golden reference, write .npy outputs",
                run_golden});

}  // namespace
}  // namespace bpusim::cli
