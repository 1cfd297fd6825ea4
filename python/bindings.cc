// _bpusim: the C++ side of the Python module `bpusim` (python/bpusim/__init__.py is the API
// users call; docs/python.md). It exposes the libraries the command line is made of, not a
// second implementation: compile_model, the runtime over the backends of
// tools/cli/backends.h, the golden reference, report::verify_model, and the profile report.
// Conventions:
//  - hardware configurations cross as JSON text (HwConfig::to_json / from_json) plus
//    "key=value" settings, validated exactly as `--hw` and `--set` are;
//  - tensors arrive as C-contiguous NumPy arrays (the Python layer makes them so) and leave
//    as NumPy arrays that own the runtime's buffers (no copy);
//  - bpusim::Error raises BadInputError, a modeled fault HardwareFault, anything else
//    InternalError (the CLI's exit codes 2, 3 and 4); the GIL is released while a model
//    compiles, runs or verifies.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/hw_config.h"
#include "compiler/compile.h"
#include "compiler/lower/report.h"
#include "golden/model.h"
#include "ir/onnx_import.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "tools/cli/backends.h"
#include "tools/report/html.h"
#include "tools/report/profile.h"
#include "tools/report/random_inputs.h"
#include "tools/report/run_summary.h"
#include "tools/report/verify.h"

namespace py = pybind11;

namespace bpusim::python {
namespace {

// ---- configuration ----

// A configuration as the Python layer passes it: (JSON text or "" for none, the name of where
// it came from for messages, ["key=value", ...]).
struct HwArgs {
  std::string json, source;
  std::vector<std::string> sets;
};

HwArgs hw_args(const py::tuple& t) {
  return {py::cast<std::string>(t[0]), py::cast<std::string>(t[1]),
          py::cast<std::vector<std::string>>(t[2])};
}

HwConfig make_hw(const HwArgs& a) {
  nlohmann::json j = nlohmann::json::object();
  if (!a.json.empty()) {
    j = nlohmann::json::parse(a.json, nullptr, false);
    require(!j.is_discarded(), a.source, ": not valid JSON");
  }
  HwConfig hw = HwConfig::from_json(j, a.source);
  for (const std::string& s : a.sets) hw.set(s);
  hw.validate();
  return hw;
}

// ---- tensors ----

DType dtype_of_array(const py::array& a, const std::string& name) {
  const py::dtype d = a.dtype();
  if (d.is(py::dtype::of<uint8_t>())) return DType::kU8;
  if (d.is(py::dtype::of<int8_t>())) return DType::kI8;
  if (d.is(py::dtype::of<int32_t>())) return DType::kI32;
  if (d.is(py::dtype::of<int64_t>())) return DType::kI64;
  if (d.is(py::dtype::of<float>())) return DType::kF32;
  fail("input '", name, "': NumPy dtype ", d.attr("name").cast<std::string>(),
       " is not one of uint8, int8, int32, int64, float32");
}

Tensor tensor_of(const py::array& a, const std::string& name) {
  Shape shape(a.shape(), a.shape() + a.ndim());
  Tensor t(dtype_of_array(a, name), shape);
  require(a.flags() & py::array::c_style, "input '", name, "' is not C-contiguous");
  std::memcpy(t.bytes().data(), a.data(), t.bytes().size());
  return t;
}

// A NumPy array of element type T over `owner`'s buffer; the array's capsule owns the tensor.
template <class T>
py::array typed_array(std::unique_ptr<Tensor> owner) {
  const std::vector<py::ssize_t> shape(owner->shape().begin(), owner->shape().end());
  T* data = owner->values<T>().data();
  py::capsule free_when_done(owner.release(), [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array_t<T>(shape, data, free_when_done);
}

// A NumPy array that owns `t`'s buffer (moved, not copied).
py::array array_of(Tensor t) {
  auto owner = std::make_unique<Tensor>(std::move(t));
  const DType dtype = owner->dtype();
  switch (dtype) {
    case DType::kU8:
      return typed_array<uint8_t>(std::move(owner));
    case DType::kI8:
      return typed_array<int8_t>(std::move(owner));
    case DType::kI32:
      return typed_array<int32_t>(std::move(owner));
    case DType::kI64:
      return typed_array<int64_t>(std::move(owner));
    case DType::kF32:
      return typed_array<float>(std::move(owner));
  }
  throw InternalError(cat("tensor of unknown element type ", static_cast<int>(dtype)));
}

std::map<std::string, Tensor> tensors_of(const py::dict& inputs) {
  std::map<std::string, Tensor> out;
  for (const auto& [k, v] : inputs) {
    const std::string name = py::cast<std::string>(k);
    out[name] = tensor_of(py::cast<py::array>(v), name);
  }
  return out;
}

template <class Named>
py::dict arrays_of(std::vector<Named>& named) {
  py::dict out;
  for (Named& n : named) out[py::str(n.name)] = array_of(std::move(n.tensor));
  return out;
}

// ---- programs ----

// A compiled or loaded program and what the compiler said about it.
struct PyProgram {
  isa::Program program;
  std::string source;  // the model it was compiled from ("" when loaded from a file)
  std::vector<std::string> warnings;
  int64_t est_cycles = 0;
  std::string compile_table;  // the per-layer table `bpusim compile` prints
  std::string ddr_summary;
};

PyProgram compile(const std::string& model, const py::tuple& hw_tuple, bool ddr_reuse) {
  const HwConfig hw = make_hw(hw_args(hw_tuple));
  py::gil_scoped_release unlocked;
  compiler::CompileResult c = compiler::compile_model(model, hw, {.ddr_reuse = ddr_reuse});
  PyProgram p;
  p.program = std::move(c.program);
  p.source = model;
  p.warnings = std::move(c.warnings);
  p.est_cycles = c.est_cycles;
  p.compile_table = compiler::layer_table(c.layers, p.program, c.est_cycles);
  p.ddr_summary = compiler::ddr_summary(c.ddr);
  return p;
}

PyProgram load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path, ": cannot open the program file");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  PyProgram p;
  p.program = isa::read_program(bytes, path);
  return p;
}

void save(const PyProgram& p, const std::string& path) {
  const std::vector<uint8_t> bytes = isa::write_program(p.program);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  require(out.good(), path, ": cannot write the program file");
}

// The configuration a program runs with: the one given, else its own HWCONFIG.
HwConfig run_hw(const PyProgram& p, const py::tuple& hw_tuple) {
  const HwArgs a = hw_args(hw_tuple);
  if (!a.json.empty()) return make_hw(a);
  return report::program_hw_config(p.program, "", a.sets, p.source.empty() ? "program" : p.source);
}

py::list tensor_descs(const PyProgram& p, isa::TensorRole role) {
  py::list out;
  for (const isa::TensorDesc& d : p.program.tensors) {
    if (d.role != role) continue;
    py::dict e;
    e["name"] = d.name;
    e["shape"] = d.shape;
    e["dtype"] = std::string(dtype_name(d.quantized() ? DType::kF32 : d.ir_dtype));
    e["stored_dtype"] = std::string(dtype_name(d.dtype));
    out.append(e);
  }
  return out;
}

class HardwareFaultError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What one run of a program needs, made while the GIL is held.
struct RunSetup {
  runtime::RunOptions options;
  std::map<std::string, Tensor> feeds;
  std::unique_ptr<runtime::Backend> backend;
};

RunSetup run_setup(const PyProgram& p, const py::dict& inputs, const std::string& backend_name,
                   const py::tuple& hw) {
  RunSetup s;
  s.options.hw = run_hw(p, hw);
  s.options.source = p.source.empty() ? "program" : p.source;
  s.feeds = tensors_of(inputs);
  s.backend = cli::make_backend(backend_name);
  return s;
}

// Runs the program; returns {"outputs", "cycles", "profile" (the profile JSON as text, without
// instruction records)}; a modeled fault raises HardwareFault.
py::dict run(const PyProgram& p, const py::dict& inputs, const std::string& backend_name,
             const py::tuple& hw) {
  RunSetup s = run_setup(p, inputs, backend_name, hw);
  runtime::ProgramResult r;
  std::string profile;
  {
    py::gil_scoped_release unlocked;
    r = runtime::run_program(p.program, s.feeds, s.options, *s.backend);
    if (!r.fault)
      profile = report::profile_json(
                    report::make_profile(p.program, r, s.options.hw, s.options.source), false)
                    .dump();
  }
  if (r.fault) throw HardwareFaultError(r.fault->message());
  py::dict out;
  out["outputs"] = arrays_of(r.outputs);
  out["cycles"] = r.cycles;
  out["profile"] = profile;
  return out;
}

// The outputs of the ONNX model at `model` on the golden reference.
py::dict golden_outputs(const std::string& model, const HwConfig& hw, const py::dict& inputs) {
  std::map<std::string, Tensor> feeds = tensors_of(inputs);
  golden::RunResult r;
  {
    py::gil_scoped_release unlocked;
    r = golden::run_model(ir::import_onnx(model).graph, feeds, golden::options_for(hw));
  }
  py::dict out;
  out["outputs"] = arrays_of(r.outputs);
  return out;
}

// The model `p` was compiled from, on the golden reference.
py::dict run_golden(const PyProgram& p, const py::dict& inputs, const py::tuple& hw) {
  require(!p.source.empty(),
          "backend 'golden' runs the ONNX model a program was compiled from; this program was "
          "loaded from a file: use bpusim.golden(model, inputs)");
  return golden_outputs(p.source, run_hw(p, hw), inputs);
}

// Runs the program and writes the HTML profile page; returns the profile JSON (with the
// instruction records).
std::string profile(const PyProgram& p, const std::string& html_path, const py::dict& inputs,
                    const std::string& backend_name, const py::tuple& hw) {
  RunSetup s = run_setup(p, inputs, backend_name, hw);
  py::gil_scoped_release unlocked;
  const runtime::ProgramResult r = runtime::run_program(p.program, s.feeds, s.options, *s.backend);
  const report::Profile prof = report::make_profile(p.program, r, s.options.hw, s.options.source);
  report::HtmlPage page;
  page.title = "bpusim profile: " + s.options.source;
  page.subtitle = cat(s.options.source, " on the ", s.backend->name(), " backend (Python API)");
  report::write_text_file(html_path, report::profile_html(prof, page));
  if (r.fault) throw HardwareFaultError(r.fault->message());
  return report::profile_json(prof).dump();
}

py::dict verify(const std::string& model, const py::tuple& hw_tuple, const py::dict& inputs,
                uint32_t seed, const std::string& backend_name) {
  const HwConfig hw = make_hw(hw_args(hw_tuple));
  std::map<std::string, Tensor> feeds = tensors_of(inputs);
  std::unique_ptr<runtime::Backend> backend = cli::make_backend(backend_name);
  report::Verification v;
  {
    py::gil_scoped_release unlocked;
    v = report::verify_model(model, hw, std::move(feeds), seed, *backend);
  }
  if (v.fault) throw HardwareFaultError(v.fault->message());
  py::list layers;
  for (const report::LayerCheck& l : v.layers) {
    py::dict d;
    d["node"] = l.node, d["op"] = l.op, d["tensor"] = l.tensor, d["shape"] = l.shape;
    d["elements"] = l.elements, d["differing"] = l.differing, d["ok"] = l.differing == 0;
    if (l.differing) {
      d["first_index"] = l.first_index;
      d["golden_value"] = l.golden_value, d["program_value"] = l.program_value;
      if (l.instruction >= 0) d["instruction"] = l.instruction;
      d["instruction_text"] = l.instruction_text;
    }
    layers.append(d);
  }
  py::dict out;
  out["ok"] = v.ok();
  out["backend"] = v.backend;
  out["layers"] = layers;
  out["skipped"] = v.skipped;
  out["random_inputs"] = v.random_inputs;
  out["seed"] = v.seed;
  out["warnings"] = v.warnings;
  out["text"] = report::verification_text(v);
  return out;
}

py::dict golden_run(const std::string& model, const py::tuple& hw, const py::dict& inputs) {
  return golden_outputs(model, make_hw(hw_args(hw)), inputs);
}

// The command line's seeded random inputs of a program (`bpusim profile` without --input).
py::dict random_inputs(const PyProgram& p, uint32_t seed) {
  std::map<std::string, Tensor> feeds = report::random_inputs(p.program, seed);
  py::dict out;
  for (auto& [name, t] : feeds) out[py::str(name)] = array_of(std::move(t));
  return out;
}

py::list hw_keys() {
  py::list out;
  for (const HwConfig::KeyInfo& k : HwConfig::keys()) out.append(k.name);
  return out;
}

}  // namespace
}  // namespace bpusim::python

PYBIND11_MODULE(_bpusim, m) {
  using namespace bpusim::python;
  namespace isa = bpusim::isa;
  m.doc() = "C++ core of the bpusim Python module (use `import bpusim`, not this).";

  // One class per exit code of the command line (docs/guide.md section 10).
  static py::exception<void> error(m, "Error", PyExc_RuntimeError);
  static py::exception<void> bad_input(m, "BadInputError", error.ptr());
  static py::exception<void> fault(m, "HardwareFault", error.ptr());
  static py::exception<void> internal(m, "InternalError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const bpusim::Error& e) {
      PyErr_SetString(bad_input.ptr(), e.what());
    } catch (const HardwareFaultError& e) {
      PyErr_SetString(fault.ptr(), e.what());
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::exception& e) {
      PyErr_SetString(internal.ptr(), e.what());
    }
  });

  py::class_<PyProgram>(m, "Program")
      .def_readonly("source", &PyProgram::source)
      .def_readonly("warnings", &PyProgram::warnings)
      .def_readonly("est_cycles", &PyProgram::est_cycles)
      .def_readonly("compile_table", &PyProgram::compile_table)
      .def_readonly("ddr_summary", &PyProgram::ddr_summary)
      .def("hw_json", [](const PyProgram& p) { return p.program.hwconfig.dump(); })
      .def("inputs", [](const PyProgram& p) { return tensor_descs(p, isa::TensorRole::kInput); })
      .def("outputs", [](const PyProgram& p) { return tensor_descs(p, isa::TensorRole::kOutput); })
      .def("layers",
           [](const PyProgram& p) {
             py::list out;
             for (const isa::Layer& l : p.program.layers) {
               py::dict d;
               d["name"] = l.name, d["op"] = l.op, d["macs"] = l.macs;
               d["est_cycles"] = l.est_cycles;
               d["code"] = py::make_tuple(l.code.first, l.code.end);
               out.append(d);
             }
             return out;
           })
      .def("random_inputs", &random_inputs)
      .def("disassemble",
           [](const PyProgram& p) { return bpusim::isa::disassemble(p.program.code); })
      .def("save", &save)
      .def("run", &run)
      .def("run_golden", &run_golden)
      .def("profile", &profile);
  m.def("compile", &compile);
  m.def("load", &load);
  m.def("verify", &verify);
  m.def("golden", &golden_run);
  m.def("hw_keys", &hw_keys);
  m.def("default_hw_json", [] { return bpusim::HwConfig{}.to_json().dump(); });
  m.def("backends", [] { return bpusim::cli::backend_option_help(); });
}
