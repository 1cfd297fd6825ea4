#include "tools/report/verify.h"

#include <bit>
#include <random>
#include <sstream>

#include "common/error.h"
#include "compiler/compile.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "ir/op_set.h"
#include "isa/assembler.h"
#include "runtime/runtime.h"

namespace bpusim::report {
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

// Every graph input: the given tensor, else a seeded random one (named in v.random_inputs).
void complete_inputs(const ir::Graph& g, std::map<std::string, Tensor> given, uint32_t seed,
                     Verification& v) {
  v.seed = seed;
  std::mt19937 rng(seed);
  for (ir::ValueId id : g.inputs) {
    const std::string& name = g.value(id).name;
    if (given.count(name)) continue;
    given[name] = random_input(g, id, rng);
    v.random_inputs.push_back(name);
  }
  v.inputs = std::move(given);
}

// Compares every node output the program stores in DDR with the golden's.
void compare_layers(const compiler::CompileResult& c, const runtime::ProgramResult& got,
                    const golden::RunResult& want, Verification& v) {
  std::map<std::string, const Tensor*> sim_tensors, golden_tensors;
  for (const auto& t : got.tensors) sim_tensors[t.name] = &t.tensor;
  for (const auto& t : want.intermediates) golden_tensors[t.name] = &t.tensor;
  std::map<std::string, const isa::TensorDesc*> descs;
  for (const isa::TensorDesc& d : c.program.tensors) descs[d.name] = &d;
  for (const ir::Node& n : c.graph.nodes) {
    for (ir::ValueId id : n.outputs) {
      const std::string& name = c.graph.value(id).name;
      const auto s = sim_tensors.find(name);
      const auto g = golden_tensors.find(name);
      if (s == sim_tensors.end() || g == golden_tensors.end()) {
        ++v.skipped;
        continue;
      }
      const Tensor& a = *s->second;
      const Tensor& b = *g->second;
      require(a.numel() == b.numel(), "layer '", n.name, "': the program stores ", a.numel(),
              " elements for '", name, "', the golden computes ", b.numel());
      LayerCheck l;
      l.node = n.name, l.op = n.op, l.tensor = name, l.shape = b.shape(), l.elements = a.numel();
      for (int64_t i = 0; i < a.numel(); ++i)
        if (!same_element(a, b, i)) {
          if (l.first_index < 0) l.first_index = i;
          ++l.differing;
        }
      if (l.differing) {
        l.golden_value = value_text(b, l.first_index);
        l.program_value = value_text(a, l.first_index);
        const auto d = descs.find(name);
        const uint64_t addr = d == descs.end() ? 0 : element_address(*d->second, l.first_index);
        const std::optional<int64_t> w =
            last_writer(c.program, layer_range(c.program, n.name), addr);
        if (w) l.instruction = *w, l.instruction_text = isa::disassemble(c.program.code[*w]);
      }
      v.layers.push_back(std::move(l));
    }
  }
}

}  // namespace

bool Verification::ok() const {
  if (fault) return false;
  for (const LayerCheck& l : layers)
    if (l.differing) return false;
  return true;
}

Verification verify_model(const std::string& model, const HwConfig& hw,
                          std::map<std::string, Tensor> given, uint32_t seed,
                          runtime::Backend& backend,
                          const std::function<void(isa::Program&)>& before_run) {
  Verification v;
  v.backend = backend.name();
  // With reuse most layers' outputs would be overwritten by the end of the run.
  compiler::CompileResult c = compiler::compile_model(model, hw, {.ddr_reuse = false});
  if (before_run) before_run(c.program);
  complete_inputs(c.graph, std::move(given), seed, v);

  runtime::RunOptions o;
  o.hw = hw;
  o.keep_tensors = true;
  o.source = model;
  const runtime::ProgramResult got = runtime::run_program(c.program, v.inputs, o, backend);
  if (got.fault) {
    v.fault = got.fault;
    return v;
  }
  golden::ModelOptions go = golden::options_for(hw);
  go.keep_intermediates = true;
  const ir::OnnxModel imported = ir::import_onnx(model);
  if (std::string w = ir::folded_bias_warning(imported); !w.empty())
    v.warnings.push_back(std::move(w));
  const golden::RunResult want = golden::run_model(imported.graph, v.inputs, go);
  compare_layers(c, got, want, v);
  return v;
}

std::string verification_text(const Verification& v) {
  std::ostringstream out;
  bool first = true;
  for (const LayerCheck& l : v.layers) {
    out << (l.differing ? "MISMATCH " : "OK       ") << l.node << " (" << l.op << ") -> "
        << l.tensor << ": " << l.elements << " elements compared";
    if (l.differing) out << ", " << l.differing << " differ";
    out << "\n";
    if (l.differing && first) {
      first = false;
      out << "first diverging layer: " << l.node << " (" << l.op << "), tensor '" << l.tensor
          << "' " << shape_str(l.shape) << ", element " << l.first_index
          << ": golden=" << l.golden_value << " " << v.backend << "=" << l.program_value << "\n";
      if (l.instruction >= 0)
        out << "instruction " << l.instruction << ": " << l.instruction_text << "\n";
    }
  }
  out << (v.ok() ? "verify: OK, " : "verify: MISMATCH, ") << v.layers.size()
      << " layers compared bit for bit";
  if (v.skipped) out << " (" << v.skipped << " node outputs not stored in DDR)";
  out << "\n";
  return out.str();
}

}  // namespace bpusim::report
