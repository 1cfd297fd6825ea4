// The compile pipeline's hook for the front end (compiler/passes/frontend.h).
#include "compiler/graph_passes.h"

#include "compiler/passes/frontend.h"

namespace bpusim::compiler {

void run_graph_passes(ir::Graph& graph, const HwConfig& hw, std::vector<std::string>& notes,
                      const std::string& source) {
  // Only the reasons for unfused ops: lowering warns about every host node itself.
  const FrontendNotes front = run_frontend(graph, hw, source);
  notes.insert(notes.end(), front.not_fused.begin(), front.not_fused.end());
}

}  // namespace bpusim::compiler
