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
#include <bit>
#include <iostream>
#include <map>
#include <optional>
#include <random>

#include "common/error.h"
#include "common/hw_config.h"
#include "common/npy.h"
#include "compiler/compile.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "ir/op_set.h"
#include "isa/assembler.h"
#include "runtime/host_ops.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/cli/command.h"

namespace bpusim::cli {
namespace {

// The interval a random float input is drawn from: the representable range of the Quantize
// node that consumes it (per-tensor parameters), else [-1, 1].
std::pair<float, float> float_input_range(const ir::Graph& g, ir::ValueId id) {
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::op::kQuantize || n.inputs.empty() || n.inputs[0] != id) continue;
    const auto scales = n.attr_floats("y_scale", {});
    const auto zps = n.attr_ints("y_zero_point", {0});
    if (scales.size() != 1 || zps.size() != 1 || !(scales[0] > 0)) continue;
    const DType t = g.value(n.outputs.at(0)).dtype;
    const double lo = static_cast<double>(ir::dtype_min(t)),
                 hi = static_cast<double>(ir::dtype_max(t));
    return {static_cast<float>((lo - zps[0]) * scales[0]),
            static_cast<float>((hi - zps[0]) * scales[0])};
  }
  return {-1.0f, 1.0f};
}

// A seeded random tensor for graph input `id`: floats uniform over float_input_range, 8-bit
// integers over the whole type, wider integers in [-100, 100].
Tensor random_input(const ir::Graph& g, ir::ValueId id, std::mt19937& rng) {
  const ir::Value& v = g.value(id);
  require(v.shape_known, "graph input '", v.name, "' has a symbolic shape: give it with --input ",
          v.name, "=X.npy");
  Tensor t(v.dtype, v.shape);
  if (v.dtype == DType::kF32) {
    const auto [lo, hi] = float_input_range(g, id);
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& x : t.values<float>()) x = d(rng);
    return t;
  }
  const bool narrow = v.dtype == DType::kU8 || v.dtype == DType::kI8;
  std::uniform_int_distribution<int64_t> d(narrow ? ir::dtype_min(v.dtype) : -100,
                                           narrow ? ir::dtype_max(v.dtype) : 100);
  auto fill = [&]<class T>(std::span<T> out) {
    for (T& x : out) x = static_cast<T>(d(rng));
  };
  switch (v.dtype) {
    case DType::kU8:
      fill(t.values<uint8_t>());
      break;
    case DType::kI8:
      fill(t.values<int8_t>());
      break;
    case DType::kI32:
      fill(t.values<int32_t>());
      break;
    case DType::kI64:
      fill(t.values<int64_t>());
      break;
    default:
      fail("graph input '", v.name, "' has unsupported type ", dtype_name(v.dtype));
  }
  return t;
}

// Byte address in DDR of logical element `i` (row-major in the NCHW shape) of `d`.
uint64_t element_address(const isa::TensorDesc& d, int64_t i) {
  const int64_t es = static_cast<int64_t>(dtype_size(d.dtype));
  if (d.layout == isa::TensorLayout::kNhwc) {
    const int64_t c = d.nchw[1], h = d.nchw[2], w = d.nchw[3];
    const int64_t n = i / (c * h * w), ch = i / (h * w) % c, y = i / w % h, x = i % w;
    const int64_t stride = d.pixel_stride ? d.pixel_stride : c * es;
    return d.ddr_addr + static_cast<uint64_t>(((n * h + y) * w + x) * stride + ch * es);
  }
  const int64_t last = d.shape.empty() ? 1 : d.shape.back();
  if (d.pixel_stride == 0 || last == 0) return d.ddr_addr + static_cast<uint64_t>(i * es);
  return d.ddr_addr + static_cast<uint64_t>(i / last * d.pixel_stride + i % last * es);
}

// Whether the STORE `o` writes DDR byte `addr`.
bool store_covers(const isa::Operands& o, uint64_t addr) {
  for (int64_t k2 = 0; k2 < std::max<int64_t>(o.n2, 1); ++k2) {
    const int64_t rel = static_cast<int64_t>(addr) - o.dram_addr - k2 * o.dram_stride2;
    if (rel < 0) continue;
    const int64_t k1 = o.dram_stride1 > 0 ? std::min(rel / o.dram_stride1, o.n1 - 1) : 0;
    if (k1 >= 0 && rel - k1 * o.dram_stride1 < o.n0) return true;
  }
  return false;
}

// The LAYERS entry named `name` (the instruction range of that layer), or all of CODE.
isa::CodeRange layer_range(const isa::Program& p, const std::string& name) {
  for (const isa::Layer& l : p.layers)
    if (l.name == name) return l.code;
  return {0, static_cast<int64_t>(p.code.size())};
}

// The last STORE in `r` that writes `addr`, else the last instruction of `r` (nullopt when
// the range is empty).
std::optional<int64_t> last_writer(const isa::Program& p, isa::CodeRange r, uint64_t addr) {
  for (int64_t i = r.end - 1; i >= r.first; --i)
    if (p.code[i].opcode() == isa::Opcode::STORE && store_covers(isa::operands(p.code[i]), addr))
      return i;
  if (r.end > r.first) return r.end - 1;
  return std::nullopt;
}

// Element `i` of a tensor as text, and whether two tensors' elements are bit-identical
// (floats by their bits, integers by value: ArgMax indices are int32 in DDR, int64 in golden).
std::string value_text(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kF32 ? cat(t.values<float>()[i]) : cat(t.as_int(i));
}
bool same_element(const Tensor& a, const Tensor& b, int64_t i) {
  if (a.dtype() == DType::kF32 || b.dtype() == DType::kF32)
    return a.dtype() == b.dtype() && std::bit_cast<uint32_t>(a.values<float>()[i]) ==
                                         std::bit_cast<uint32_t>(b.values<float>()[i]);
  return a.as_int(i) == b.as_int(i);
}

struct Inputs {
  std::map<std::string, Tensor> feeds;
  uint32_t seed = 0;
  bool random = false;
};

Inputs make_inputs(const compiler::CompileResult& c, const std::vector<std::string>& given,
                   uint32_t seed) {
  Inputs in;
  in.seed = seed;
  for (const auto& [name, path] : parse_named_paths(given, "--input")) {
    require(in.feeds.count(name) == 0, "--input ", name, " is given twice");
    in.feeds[name] = read_npy(path);
  }
  std::mt19937 rng(seed);
  for (ir::ValueId id : c.graph.inputs) {
    const std::string& name = c.graph.value(id).name;
    if (in.feeds.count(name)) continue;
    in.feeds[name] = random_input(c.graph, id, rng);
    in.random = true;
  }
  return in;
}

// Compares every node output the program stores in DDR with the golden's; prints the per-layer
// lines and the first divergence (the program's value labelled with the backend's name).
// Returns true when everything is bit-exact.
bool compare_layers(const compiler::CompileResult& c, const runtime::ProgramResult& got,
                    const golden::RunResult& want, const std::string& backend) {
  std::map<std::string, const Tensor*> sim_tensors, golden_tensors;
  for (const auto& t : got.tensors) sim_tensors[t.name] = &t.tensor;
  for (const auto& t : want.intermediates) golden_tensors[t.name] = &t.tensor;
  std::map<std::string, const isa::TensorDesc*> descs;
  for (const isa::TensorDesc& d : c.program.tensors) descs[d.name] = &d;
  bool all_ok = true;
  int64_t layers = 0, skipped = 0;
  for (const ir::Node& n : c.graph.nodes) {
    for (ir::ValueId id : n.outputs) {
      const std::string& name = c.graph.value(id).name;
      const auto s = sim_tensors.find(name);
      const auto g = golden_tensors.find(name);
      if (s == sim_tensors.end() || g == golden_tensors.end()) {
        ++skipped;  // not materialised in DDR (e.g. a view folded into its consumer)
        continue;
      }
      ++layers;
      const Tensor& a = *s->second;
      const Tensor& b = *g->second;
      require(a.numel() == b.numel(), "layer '", n.name, "': the program stores ", a.numel(),
              " elements for '", name, "', the golden computes ", b.numel());
      int64_t first_bad = -1, bad = 0;
      for (int64_t i = 0; i < a.numel(); ++i)
        if (!same_element(a, b, i)) {
          if (first_bad < 0) first_bad = i;
          ++bad;
        }
      std::cout << (bad ? "MISMATCH " : "OK       ") << n.name << " (" << n.op << ") -> " << name
                << ": " << a.numel() << " elements compared";
      if (bad) std::cout << ", " << bad << " differ";
      std::cout << "\n";
      if (bad && all_ok) {
        all_ok = false;
        std::cout << "first diverging layer: " << n.name << " (" << n.op << "), tensor '" << name
                  << "' " << shape_str(b.shape()) << ", element " << first_bad
                  << ": golden=" << value_text(b, first_bad) << " " << backend << "="
                  << value_text(a, first_bad) << "\n";
        const auto d = descs.find(name);
        const uint64_t addr = d == descs.end() ? 0 : element_address(*d->second, first_bad);
        const std::optional<int64_t> w =
            last_writer(c.program, layer_range(c.program, n.name), addr);
        if (w)
          std::cout << "instruction " << *w << ": " << isa::disassemble(c.program.code[*w]) << "\n";
      }
    }
  }
  std::cout << (all_ok ? "verify: OK, " : "verify: MISMATCH, ") << layers
            << " layers compared bit for bit";
  if (skipped) std::cout << " (" << skipped << " node outputs not stored in DDR)";
  std::cout << "\n";
  return all_ok;
}

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
  // With reuse most layers' outputs would be overwritten by the end of the run.
  compiler::CompileResult c = compiler::compile_model(model, hw, {.ddr_reuse = false});
  flip_high_bit(c.program.weights.bytes, flip_weight, "--debug-flip-weight-byte", "WEIGHTS");
  flip_high_bit(c.program.params.bytes, flip_param, "--debug-flip-param-byte", "PARAMS");
  const Inputs in = make_inputs(c, inputs, seed);
  if (in.random) std::cout << "random inputs, seed " << in.seed << "\n";

  runtime::RunOptions o;
  o.hw = hw;
  o.keep_tensors = true;
  o.source = model;
  const runtime::ProgramResult got = runtime::run_program(c.program, in.feeds, o, *b);
  if (got.fault) {
    std::cerr << "bpusim verify: modeled fault: " << got.fault->message() << "\n";
    return kExitFault;
  }
  golden::ModelOptions go = golden::options_for(hw);
  go.keep_intermediates = true;
  const ir::OnnxModel imported = ir::import_onnx(model);
  if (const std::string w = ir::folded_bias_warning(imported); !w.empty())
    std::cerr << "warning: " << w << "\n";
  const golden::RunResult want = golden::run_model(imported.graph, in.feeds, go);
  return compare_layers(c, got, want, b->name()) ? kExitOk : kExitMismatch;
}

BPUSIM_COMMAND(
    {"verify",
     "compile an ONNX model, run it on a backend (default: the SystemC model) and the golden "
     "reference, "
     "compare every layer bit for bit",
     run_verify});

}  // namespace
}  // namespace bpusim::cli
