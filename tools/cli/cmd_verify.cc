// bpusim verify MODEL.onnx [--input NAME=X.npy ...] [--hw HW.json] [--set key=value ...]
//                          [--seed N] [--backend NAME]
// Compiles the model (compiler/compile.h) without DDR reuse, so that every tensor keeps its own
// bytes until the end, runs the program on a backend (default the SystemC model;
// runtime/runtime.h, keeping every tensor's DDR contents) and the model itself on the
// golden reference (golden/model.h: the imported ONNX graph with PyTorch's recipes and golden's
// own parameters, never the compiler's graph; keeping every tensor) on the same inputs, and
// compares every layer's output bit for bit, in topological order. Inputs not given are
// seeded random tensors of the graph input's shape and type (the seed is printed); a float
// input that feeds a Quantize node is drawn over that quantizer's representable range.
// Prints one line per compared layer (OK or MISMATCH, elements compared); for the first
// diverging layer also the element (flat index in the logical NCHW shape), both values and the
// last instruction of that layer that wrote the element to DDR (its CODE index and
// disassembly; the LAYERS section gives each layer's instruction range).
// Exit codes (tools/cli/command.h): 0 everything bit-exact, 1 a mismatch, 2 bad input,
// 3 a modeled fault.
// Test hooks: --debug-flip-weight-byte K / --debug-flip-param-byte K flip the high bit of
// byte K of the compiled WEIGHTS / PARAMS before the run, so the tests can check that a
// corrupted program is caught (a mismatch, or a modeled fault for an invalid record).
#include <iostream>
#include <map>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"
#include "tools/report/verify.h"

namespace bpusim::cli {
namespace {

// The test hooks: flips the high bit of byte `k` of a section (k < 0: nothing).
void flip_high_bit(std::vector<uint8_t>& bytes, int64_t k, const char* option,
                   const char* section) {
  if (k < 0) return;
  require(k < static_cast<int64_t>(bytes.size()), option, " ", k, " is outside ", section, " (",
          bytes.size(), " bytes)");
  bytes[k] ^= 0x80;
}

int run_verify(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string model, hw_path, backend = kDefaultBackend;
  std::vector<std::string> inputs, sets;
  uint32_t seed = 1;
  int64_t flip_weight = -1, flip_param = -1;
  options.add_options()("model", po::value(&model)->required(), "ONNX model")(
      "input", po::value(&inputs)->composing(), "NAME=X.npy: a graph input (repeatable)")(
      "hw", po::value(&hw_path), "hardware config JSON file")(
      "set", po::value(&sets)->composing(), "override one hardware key: key=value (repeatable)")(
      "seed", po::value(&seed), "seed of the random inputs (default 1)")(
      "backend", po::value(&backend), backend_option_help().c_str())(
      "debug-flip-weight-byte", po::value(&flip_weight),
      "test hook: flip the high bit of this WEIGHTS byte before the run")(
      "debug-flip-param-byte", po::value(&flip_param),
      "test hook: flip the high bit of this PARAMS byte before the run");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse_args("verify",
                  "MODEL.onnx [--input NAME=X.npy ...] [--hw HW.json] [--set key=value ...] "
                  "[--seed N] [--backend NAME]",
                  args, options, positional, vm))
    return kExitOk;
  const HwConfig hw = load_hw_config(hw_path, sets);
  const std::unique_ptr<runtime::Backend> b = make_backend(backend);
  std::map<std::string, Tensor> given;
  for (const auto& [name, path] : parse_named_paths(inputs, "--input")) {
    require(given.count(name) == 0, "--input ", name, " is given twice");
    given[name] = read_npy(path);
  }
  const report::Verification v =
      report::verify_model(model, hw, std::move(given), seed, *b, [&](isa::Program& p) {
        flip_high_bit(p.weights.bytes, flip_weight, "--debug-flip-weight-byte", "WEIGHTS");
        flip_high_bit(p.params.bytes, flip_param, "--debug-flip-param-byte", "PARAMS");
      });
  if (!v.random_inputs.empty()) std::cout << "random inputs, seed " << v.seed << "\n";
  if (v.fault) {
    std::cerr << "bpusim verify: modeled fault: " << v.fault->message() << "\n";
    return kExitFault;
  }
  for (const std::string& w : v.warnings) std::cerr << "warning: " << w << "\n";
  std::cout << report::verification_text(v);
  return v.ok() ? kExitOk : kExitMismatch;
}

BPUSIM_COMMAND(
    {"verify",
     "compile an ONNX model, run it on a backend (default: the SystemC model) and the golden "
     "reference, "
     "compare every layer bit for bit",
     run_verify});

}  // namespace
}  // namespace bpusim::cli
