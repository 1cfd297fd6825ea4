// bpusim golden MODEL.onnx --input NAME=X.npy ... --output-dir DIR [--hw HW.json] [--set k=v]:
// imports the model and runs it on the golden reference's model interpreter (golden/model.h:
// PyTorch's recipes, its own parameters, the hardware's requant.mode; no compiler code).
// Writes DIR/<output name>.npy for every graph output in its own element type: float32 for
// dequantized outputs, int64 for argmax indices (characters other than letters, digits, '.',
// '-' and '_' in the name become '_').
#include <filesystem>
#include <iostream>
#include <map>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
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
  const ir::OnnxModel imported = ir::import_onnx(model);
  if (const std::string w = ir::folded_bias_warning(imported); !w.empty())
    std::cerr << "warning: " << w << "\n";
  const golden::RunResult result =
      golden::run_model(imported.graph, feeds, golden::options_for(hw));
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
