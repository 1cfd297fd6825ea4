// The compiler's one entry point: ONNX model (or an already imported graph) -> `.bpu`
// Program, the per-layer report and the warnings. Pipeline:
//   import_onnx -> run_frontend (compiler/passes/frontend.h: export-noise folding,
//   canonicalize_qop, QDQ recognition, fusion, requant parameters) -> toposort + infer_shapes ->
//   lower_graph (plan, tiling, schedule, codegen).
// compile_model(...).program goes to the runtime (runtime/runtime.h). The reference that a
// program's outputs are checked against interprets the model file itself, not .graph.
#pragma once

#include <string>
#include <vector>

#include "common/hw_config.h"
#include "compiler/lower/ddr_plan.h"
#include "compiler/options.h"
#include "compiler/program_builder.h"
#include "ir/graph.h"
#include "isa/container.h"

namespace bpusim::compiler {

struct CompileResult {
  ir::Graph graph;  // the canonical graph that was lowered (shapes inferred)
  isa::Program program;
  std::vector<isa::Layer> layers;
  std::vector<std::string> warnings;  // passes' notes, then ops not fused or on the host
  int64_t est_cycles = 0;             // the cost model's prediction of the program's cycles
  DdrFootprint ddr;                   // the DDR the program needs (ddr_summary prints it)
};

// Compiles the ONNX file at `onnx_path` for `hw`. Throws bpusim::Error (file, node, field,
// value) for anything the user can fix.
CompileResult compile_model(const std::string& onnx_path, const HwConfig& hw,
                            const CompileOptions& options = {});
// The same pipeline from an imported graph; `source` names it in messages.
CompileResult compile_graph(ir::Graph graph, const HwConfig& hw,
                            const std::string& source = "graph",
                            const CompileOptions& options = {});

}  // namespace bpusim::compiler
