// bpusim onnx-test DIR...: runs ONNX backend test cases (model.onnx + test_data_set_*/
// input_*.pb, output_*.pb) through import and the golden reference's model interpreter
// (golden/model.h; no compiler code), and compares every output bit for bit. One line per case:
//   PASS <name>
//   FAIL <name>: output 'y' element [i, j] expected E got G
//   FAIL <name>: error: <message>            (bad input: unreadable or unsupported case)
// Exit 0 when every case passes, 1 when some output differs, 2 when some case is bad input.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

namespace fs = std::filesystem;

std::string element_str(const Tensor& t, int64_t i) {
  std::ostringstream out;
  if (t.dtype() == DType::kF32) {
    out << std::setprecision(9) << t.as_double(i);
  } else {
    out << t.as_int(i);
  }
  return out.str();
}

std::string index_str(const Shape& shape, int64_t flat) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

// Empty when `got` equals `expected` bit for bit; else what differs first.
std::string compare(const std::string& name, const Tensor& expected, const Tensor& got) {
  if (expected.dtype() != got.dtype())
    return cat("output '", name, "' type: expected ", dtype_name(expected.dtype()), " got ",
               dtype_name(got.dtype()));
  if (expected.shape() != got.shape())
    return cat("output '", name, "' shape: expected ", shape_str(expected.shape()), " got ",
               shape_str(got.shape()));
  const size_t size = dtype_size(got.dtype());
  for (int64_t i = 0; i < got.numel(); ++i)
    if (std::memcmp(expected.bytes().data() + i * size, got.bytes().data() + i * size, size) != 0)
      return cat("output '", name, "' element ", index_str(got.shape(), i), " expected ",
                 element_str(expected, i), " got ", element_str(got, i));
  return "";
}

// input_0.pb, input_1.pb, ... (prefix "input" or "output") in index order.
std::vector<ir::TensorFile> read_numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<ir::TensorFile> out;
  for (size_t k = 0;; ++k) {
    const fs::path p = dir / cat(prefix, "_", k, ".pb");
    if (!fs::exists(p)) break;
    out.push_back(ir::read_tensor_file(p.string()));
  }
  return out;
}

// Pairs each test tensor with a graph value: by TensorProto name when it has one, else by
// position in `ids`.
std::map<std::string, Tensor> by_name(const ir::Graph& g, const std::vector<ir::ValueId>& ids,
                                      std::vector<ir::TensorFile> files, const fs::path& dir,
                                      const char* what) {
  require(files.size() == ids.size(), dir.string(), ": ", files.size(), " ", what, " files for ",
          ids.size(), " graph ", what, "s");
  std::map<std::string, Tensor> out;
  for (size_t k = 0; k < files.size(); ++k) {
    std::string name = files[k].name.empty() ? g.value(ids[k]).name : files[k].name;
    const bool known = std::any_of(ids.begin(), ids.end(),
                                   [&](ir::ValueId id) { return g.value(id).name == name; });
    require(known, dir.string(), ": ", what, "_", k, ".pb is named '", name,
            "', which is not a graph ", what);
    out[name] = std::move(files[k].tensor);
  }
  return out;
}

// Runs one data set; returns "" on a match, else the first difference.
std::string run_data_set(const fs::path& model_path, const fs::path& data_dir) {
  const ir::OnnxModel model = ir::import_onnx(model_path.string());
  const ir::Graph& g = model.graph;
  const std::map<std::string, Tensor> inputs =
      by_name(g, g.inputs, read_numbered(data_dir, "input"), data_dir, "input");
  const std::map<std::string, Tensor> expected =
      by_name(g, g.outputs, read_numbered(data_dir, "output"), data_dir, "output");
  golden::RunResult result;
  try {
    result = golden::run_model(g, inputs);
  } catch (const Error& e) {
    fail(model_path.string(), ": ", e.what());  // the interpreter does not know the file
  }
  for (const golden::NamedTensor& out : result.outputs) {
    const std::string diff = compare(out.name, expected.at(out.name), out.tensor);
    if (!diff.empty()) return diff;
  }
  return "";
}

std::vector<fs::path> data_sets(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().starts_with("test_data_set_"))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  require(!out.empty(), dir.string(), ": no test_data_set_* directory");
  return out;
}

int run(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()("dir", po::value<std::vector<std::string>>()->multitoken(),
                        "ONNX backend test case directories");
  po::positional_options_description positional;
  positional.add("dir", -1);
  po::variables_map vm;
  if (!parse_args("onnx-test", "DIR...", args, options, positional, vm)) return kExitOk;
  require(vm.count("dir") != 0, "bpusim onnx-test: no test directory given (see --help)");

  bool mismatch = false, bad_input = false;
  for (const std::string& arg : vm["dir"].as<std::vector<std::string>>()) {
    const fs::path dir = fs::path(arg).lexically_normal();
    const std::string name =
        (dir.has_filename() ? dir.filename() : dir.parent_path().filename()).string();
    try {
      require(fs::is_directory(dir), dir.string(), ": not a directory");
      std::string diff;
      const std::vector<fs::path> sets = data_sets(dir);
      for (const fs::path& set : sets) {
        diff = run_data_set(dir / "model.onnx", set);
        if (!diff.empty()) {
          if (sets.size() > 1) diff += cat(" (", set.filename().string(), ")");
          break;
        }
      }
      if (diff.empty()) {
        std::cout << "PASS " << name << "\n";
      } else {
        std::cout << "FAIL " << name << ": " << diff << "\n";
        mismatch = true;
      }
    } catch (const Error& e) {
      std::cout << "FAIL " << name << ": error: " << e.what() << "\n";
      bad_input = true;
    }
  }
  return bad_input ? kExitUserError : mismatch ? kExitMismatch : kExitOk;
}

BPUSIM_COMMAND({"onnx-test", "run ONNX backend test cases on the golden reference", run});

}  // namespace
}  // namespace bpusim::cli
