// The graph passes that run between import and lowering: the compiler front end
// (compiler/passes/frontend.h: export-noise folding, canonicalize_qop, QDQ pattern
// recognition, conv/linear/add/relu fusion, requantizer parameters for the hardware's
// requant.mode). Folding must precede canonicalize_qop (torch.onnx computes the Q/DQ scales
// with Cast nodes), so the front end runs it.
#pragma once

#include <string>
#include <vector>

#include "common/hw_config.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// Rewrites `graph` into canonical ops; appends human-readable notes (e.g. why an add was not
// fused) to `notes`. Throws bpusim::Error naming the node for unsupported patterns.
void run_graph_passes(ir::Graph& graph, const HwConfig& hw, std::vector<std::string>& notes,
                      const std::string& source = "");

}  // namespace bpusim::compiler
