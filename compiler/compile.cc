#include "compiler/compile.h"

#include "compiler/lower/lower.h"
#include "compiler/lower/shape_infer.h"
#include "compiler/passes/frontend.h"
#include "ir/onnx_import.h"

namespace bpusim::compiler {

CompileResult compile_graph(ir::Graph graph, const HwConfig& hw, const std::string& source,
                            const CompileOptions& options) {
  hw.validate();
  CompileResult out;
  // The front end (canonicalize_qop included). Only its reasons for unfused ops become
  // warnings: lowering warns about every op it places on the host itself.
  out.warnings = run_frontend(graph, hw, source).not_fused;
  graph.toposort();
  infer_shapes(graph);
  Lowered lowered = lower_graph(graph, hw, options);
  out.graph = std::move(graph);
  out.program = std::move(lowered.program);
  out.layers = std::move(lowered.layers);
  out.est_cycles = lowered.est_cycles;
  out.ddr = lowered.ddr;
  out.warnings.insert(out.warnings.end(), lowered.warnings.begin(), lowered.warnings.end());
  return out;
}

CompileResult compile_model(const std::string& onnx_path, const HwConfig& hw,
                            const CompileOptions& options) {
  ir::OnnxModel model = ir::import_onnx(onnx_path);
  const std::string folded = ir::folded_bias_warning(model);
  CompileResult out = compile_graph(std::move(model.graph), hw, model.source, options);
  if (!folded.empty()) out.warnings.insert(out.warnings.begin(), folded);
  return out;
}

}  // namespace bpusim::compiler
