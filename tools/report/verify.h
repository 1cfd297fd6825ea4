// Layer-by-layer verification (`bpusim verify`, bpusim.verify in Python): a model compiled
// without DDR reuse (every tensor keeps its own bytes until the end) runs on a backend keeping
// every tensor's DDR contents, the model itself runs on the golden reference (golden/model.h:
// the imported ONNX graph, never the compiler's graph) on the same inputs, and every node
// output the program stores in DDR is compared with the golden's bit for bit, in topological
// order. For a differing layer the record also names the first differing element (flat index
// in the logical NCHW shape), both values and the last instruction of that layer that wrote
// the element to DDR.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "common/tensor.h"
#include "isa/container.h"
#include "runtime/backend.h"
#include "runtime/fault.h"

namespace bpusim::report {

struct LayerCheck {
  std::string node, op, tensor;  // the node, its op type, the output compared
  Shape shape;                   // the golden's shape of that output
  int64_t elements = 0, differing = 0;
  // For a differing layer: the first differing element, both values as text, and the last
  // instruction of the layer that wrote it (CODE index and disassembly; -1 when none).
  int64_t first_index = -1;
  std::string golden_value, program_value;
  int64_t instruction = -1;
  std::string instruction_text;
};

struct Verification {
  std::string backend;                     // the backend's name
  std::map<std::string, Tensor> inputs;    // what both ran on
  std::vector<std::string> random_inputs;  // the inputs drawn at random (seeded)
  uint32_t seed = 0;
  std::optional<runtime::Fault> fault;  // a modeled fault stops the run: nothing compared
  std::vector<LayerCheck> layers;
  int64_t skipped = 0;  // node outputs not stored in DDR (e.g. a view folded into its consumer)
  std::vector<std::string> warnings;  // about the model file (e.g. a folded bias)
  bool ok() const;                    // no fault and every layer bit-exact
};

// Compiles `model` for `hw`, runs it on `backend` and on the golden reference with `given`
// inputs, the others seeded random tensors of the graph input's shape and type (a float input
// that feeds a Quantize node drawn over that quantizer's range), and compares every layer.
// `before_run` may alter the compiled program (the CLI's fault-injection test hooks).
// Errors (bpusim::Error) for a model, input or configuration the user can fix.
Verification verify_model(const std::string& model, const HwConfig& hw,
                          std::map<std::string, Tensor> given, uint32_t seed,
                          runtime::Backend& backend,
                          const std::function<void(isa::Program&)>& before_run = {});

// What `bpusim verify` prints: one line per compared layer (OK or MISMATCH), the first
// diverging layer in detail, and a summary line.
std::string verification_text(const Verification& v);

}  // namespace bpusim::report
