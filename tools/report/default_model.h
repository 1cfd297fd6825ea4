// The default model of `bpusim demo` (models/digits, written by
// tools/py/train_default_model.py) and its committed records: the held-out test images and
// labels, PyTorch's quantized logits for each, and the float and PyTorch-quantized accuracies
// of manifest.json.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/tensor.h"

namespace bpusim::report {

// The models/digits directory of the source tree bpusim was built from.
std::string default_model_dir();

struct DemoModel {
  std::string dir;
  std::string onnx_path;
  std::string input_name, output_name;
  Tensor images;        // [N, ...] float32, one image per index of the first axis
  Tensor labels;        // [N] int64
  Tensor torch_logits;  // [N, classes] float32: PyTorch's quantized model output
  double float_accuracy = 0.0;
  double pytorch_accuracy = 0.0;
  nlohmann::json manifest;

  int64_t count() const { return images.dim(0); }
  int64_t classes() const { return torch_logits.dim(1); }
  // Image i as a batch of one ([1, ...]).
  Tensor image(int64_t i) const;
  // PyTorch's logits for image i as [1, classes].
  Tensor torch_output(int64_t i) const;
};

// Loads a model directory (manifest.json and the files it names), or an ONNX file whose
// directory holds such a manifest (that ONNX file is then the model). Errors name the path
// and the missing or inconsistent field.
DemoModel load_demo_model(const std::string& path);

// Row i (first axis) of `t` as a tensor of shape [1, rest...].
Tensor first_axis_row(const Tensor& t, int64_t i);

}  // namespace bpusim::report
