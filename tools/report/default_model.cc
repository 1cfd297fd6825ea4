#include "tools/report/default_model.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/npy.h"

namespace bpusim::report {

namespace fs = std::filesystem;

std::string default_model_dir() {
  return BPUSIM_DEFAULT_MODEL_DIR;
}

Tensor first_axis_row(const Tensor& t, int64_t i) {
  require(t.rank() >= 1 && i >= 0 && i < t.dim(0), "row ", i, " of a tensor of shape ",
          shape_str(t.shape()));
  Shape shape = t.shape();
  shape[0] = 1;
  Tensor row(t.dtype(), shape);
  const size_t bytes = row.bytes().size();
  std::copy_n(t.bytes().begin() + static_cast<std::ptrdiff_t>(i * bytes), bytes,
              row.bytes().begin());
  return row;
}

Tensor DemoModel::image(int64_t i) const {
  return first_axis_row(images, i);
}
Tensor DemoModel::torch_output(int64_t i) const {
  return first_axis_row(torch_logits, i);
}

namespace {

const nlohmann::json& field(const nlohmann::json& j, const std::string& key,
                            const std::string& where) {
  require(j.is_object() && j.contains(key), where, ": missing '", key, "'");
  return j[key];
}

std::string string_field(const nlohmann::json& j, const std::string& key,
                         const std::string& where) {
  const nlohmann::json& v = field(j, key, where);
  require(v.is_string(), where, ": '", key, "' must be a string");
  return v.get<std::string>();
}

double number_field(const nlohmann::json& j, const std::string& key, const std::string& where) {
  const nlohmann::json& v = field(j, key, where);
  require(v.is_number(), where, ": '", key, "' must be a number");
  return v.get<double>();
}

}  // namespace

DemoModel load_demo_model(const std::string& path) {
  require(fs::exists(path), path, ": no such model file or directory");
  DemoModel m;
  const bool is_dir = fs::is_directory(path);
  m.dir = is_dir ? path : fs::path(path).parent_path().string();
  if (m.dir.empty()) m.dir = ".";
  const std::string manifest_path = (fs::path(m.dir) / "manifest.json").string();
  std::ifstream in(manifest_path);
  require(in.good(), manifest_path,
          ": cannot open (the demo needs a model directory with the manifest.json that "
          "tools/py/train_default_model.py writes)");
  try {
    m.manifest = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(manifest_path, ": not valid JSON: ", e.what());
  }
  const nlohmann::json& man = m.manifest;
  const std::string& where = manifest_path;
  auto file = [&](const std::string& name) { return (fs::path(m.dir) / name).string(); };
  m.onnx_path = is_dir ? file(string_field(man, "onnx", where)) : path;
  m.input_name = string_field(field(man, "input", where), "name", where + ": input");
  m.output_name = string_field(field(man, "output", where), "name", where + ": output");
  const nlohmann::json& test = field(man, "test_images", where);
  m.images = read_npy(file(string_field(test, "file", where + ": test_images")));
  m.labels = read_npy(file(string_field(test, "labels", where + ": test_images")));
  m.torch_logits = read_npy(
      file(string_field(field(man, "torch_outputs", where), "file", where + ": torch_outputs")));
  const nlohmann::json& acc = field(man, "accuracy", where);
  m.float_accuracy = number_field(acc, "float", where + ": accuracy");
  m.pytorch_accuracy = number_field(acc, "pytorch_quantized", where + ": accuracy");

  require(m.images.dtype() == DType::kF32 && m.images.rank() >= 2, where,
          ": the test images must be float32 [N, ...], got ", dtype_name(m.images.dtype()), " ",
          shape_str(m.images.shape()));
  const int64_t n = m.images.dim(0);
  require(m.labels.dtype() == DType::kI64 && m.labels.shape() == Shape{n}, where,
          ": the labels must be int64 [", n, "], got ", dtype_name(m.labels.dtype()), " ",
          shape_str(m.labels.shape()));
  require(m.torch_logits.dtype() == DType::kF32 && m.torch_logits.rank() == 2 &&
              m.torch_logits.dim(0) == n,
          where, ": PyTorch's logits must be float32 [", n, ", classes], got ",
          dtype_name(m.torch_logits.dtype()), " ", shape_str(m.torch_logits.shape()));
  return m;
}

}  // namespace bpusim::report
