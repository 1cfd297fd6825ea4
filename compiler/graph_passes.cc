// Placeholder: the identity until the QDQ recognition and fusion passes land (graph_passes.h).
#include "compiler/graph_passes.h"

namespace bpusim::compiler {

void run_graph_passes(ir::Graph&, const HwConfig&, std::vector<std::string>&) {}

}  // namespace bpusim::compiler
